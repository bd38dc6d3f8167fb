package risk

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

func TestStaleEvent(t *testing.T) {
	tests := []struct {
		name    string
		age     time.Duration // Now - EventTime
		zero    bool
		wantAdd int64
	}{
		{"just under", 36*time.Hour - time.Second, false, 1},
		{"at", 36 * time.Hour, false, 1},
		{"just over", 36*time.Hour + time.Second, false, 0},
		{"from the future", -37 * time.Hour, false, 0},
		{"slightly ahead", -time.Second, false, 1},
		{"no event time", 0, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.EventTime = in.Now.Add(-tt.age)
			if tt.zero {
				in.EventTime = time.Time{}
			}
			in.Positions = []broker.Position{hold(rtyH, 3)}
			in.Orders = []broker.OrderRequest{buy("add", m2kH, 1), sell("cut", rtyH, 3)}
			code := CodeOK
			if tt.wantAdd == 0 {
				code = CodeStaleEvent
			}
			d := checkApproved(t, in, "add", tt.wantAdd, code)
			// Reducing risk stays possible on an old signal.
			if got, want := order(t, d, "cut").Approved, int64(3); got != want {
				t.Fatalf("reducing order approved %d, want %d", got, want)
			}
		})
	}
}

func TestStalePrice(t *testing.T) {
	tests := []struct {
		name string
		age  time.Duration
		want int64
		code Code
	}{
		{"just under", 15*time.Minute - time.Second, 3, CodeOK},
		{"at", 15 * time.Minute, 3, CodeOK},
		{"just over", 15*time.Minute + time.Second, 0, CodeStalePrice},
		{"from the future", -16 * time.Minute, 0, CodeStalePrice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Prices = []Price{{ConID: rtyH.ConID, Value: dec("2000"), Time: in.Now.Add(-tt.age)}}
			in.Positions = []broker.Position{hold(rtyH, 5)}
			// A reducing order needs a fresh price too.
			in.Orders = []broker.OrderRequest{sell("cut", rtyH, 3)}
			checkApproved(t, in, "cut", tt.want, tt.code)
		})
	}
}

func TestNoPrice(t *testing.T) {
	in := baseInput(t)
	in.Prices = in.Prices[1:] // no RTY
	in.Orders = []broker.OrderRequest{buy("rty", rtyH, 1), buy("m2k", m2kH, 1)}
	checkApproved(t, in, "rty", 0, CodeNoPrice)
	checkApproved(t, in, "m2k", 1, CodeOK)

	// A root price serves every expiry of the root.
	in.Prices = append(in.Prices, Price{Root: "RTY", Value: dec("2000"), Time: in.Now})
	checkApproved(t, in, "rty", 1, CodeOK)

	// A zero price is no price.
	in.Prices = []Price{{ConID: 1, Value: dec("0"), Time: in.Now}}
	checkApproved(t, in, "rty", 0, CodeNoPrice)
}

func TestUnvaluedPositionBlocksAddingOnly(t *testing.T) {
	// Another strategy holds XAZ, which has no price: leverage cannot be
	// measured, so nothing may add risk; reducing RTY still goes.
	xaz := future(9, "XAZ", "XAZH6", 250)
	for _, tt := range []struct {
		name   string
		prices []Price
		code   Code
	}{
		{"no price", nil, CodeNoPrice},
		{"stale price", []Price{{ConID: 9, Value: dec("100"), Time: time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)}}, CodeStalePrice},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Prices = append(in.Prices, tt.prices...)
			in.Positions = []broker.Position{hold(rtyH, 5), hold(xaz, 3)}
			in.Orders = []broker.OrderRequest{sell("cut", rtyH, 2), buy("add", m2kH, 1)}
			d := checkApproved(t, in, "add", 0, tt.code)
			checkApproved(t, in, "cut", 2, CodeOK)
			v, ok := verdict(d.Verdicts, tt.code)
			if !ok || v.OrderRef != "" || !strings.Contains(v.Message, "XAZH6") {
				t.Fatalf("plan-wide verdict %+v does not name the position", v)
			}
		})
	}
}

func TestPriceCollar(t *testing.T) {
	tests := []struct {
		side  broker.Side
		price string
		want  int64
	}{
		// 2% of 2000 is 40.
		{broker.Buy, "2039.9", 2}, {broker.Buy, "2040", 2}, {broker.Buy, "2040.1", 0},
		{broker.Sell, "1960.1", 2}, {broker.Sell, "1960", 2}, {broker.Sell, "1959.9", 0},
		{broker.Buy, "1950", 0}, // far below is as suspect as far above
	}
	for _, tt := range tests {
		t.Run(string(tt.side)+" "+tt.price, func(t *testing.T) {
			in := baseInput(t)
			in.Orders = []broker.OrderRequest{{Ref: "o", Contract: rtyH, Side: tt.side, Quantity: 2,
				Type: broker.Limit, LimitPrice: dec(tt.price)}}
			code := CodeOK
			if tt.want == 0 {
				code = CodePriceCollar
			}
			checkApproved(t, in, "o", tt.want, code)
		})
	}
}

func TestOrderRate(t *testing.T) {
	in := baseInput(t)
	in.Limits.MaxOrdersPerMinute = 3
	in.Positions = []broker.Position{hold(rtyH, 5)}
	// Two orders in the trailing minute; one exactly a minute ago and one
	// older do not count. One slot is left.
	in.RecentOrders = []time.Time{in.Now.Add(-10 * time.Second), in.Now.Add(-59 * time.Second),
		in.Now.Add(-time.Minute), in.Now.Add(-5 * time.Minute)}
	in.Orders = []broker.OrderRequest{buy("a1", m2kH, 1), buy("a2", esH, 1)}
	checkApproved(t, in, "a1", 1, CodeOK)
	checkApproved(t, in, "a2", 0, CodeOrderRate)

	// At the limit, nothing goes.
	in.RecentOrders = append(in.RecentOrders, in.Now.Add(-time.Second))
	checkApproved(t, in, "a1", 0, CodeOrderRate)

	// A reducing order takes the last slot first, wherever it is listed.
	in.RecentOrders = in.RecentOrders[:4]
	in.Orders = []broker.OrderRequest{buy("add", m2kH, 1), sell("cut", rtyH, 1)}
	checkApproved(t, in, "cut", 1, CodeOK)
	checkApproved(t, in, "add", 0, CodeOrderRate)
}

func TestInvalidOrders(t *testing.T) {
	stock := broker.Contract{ConID: 77, Symbol: "IWM", SecType: broker.Stock, Multiplier: 1}
	unknown := broker.Contract{ConID: 78, Symbol: "ZZZ", SecType: broker.Future}
	lmtNoPrice := buy("lmt", rtyH, 1)
	lmtNoPrice.Type = broker.Limit
	tests := []struct {
		name   string
		orders []broker.OrderRequest
		bad    string
	}{
		{"zero quantity", []broker.OrderRequest{buy("o", rtyH, 0)}, "o"},
		{"limit without price", []broker.OrderRequest{lmtNoPrice}, "lmt"},
		{"stock", []broker.OrderRequest{buy("o", stock, 1)}, "o"},
		{"unknown root", []broker.OrderRequest{buy("o", unknown, 1)}, "o"},
		{"two orders for one contract", []broker.OrderRequest{buy("o1", rtyH, 1), buy("o2", rtyH, 1)}, "o2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Orders = tt.orders
			checkApproved(t, in, tt.bad, 0, CodeInvalidOrder)
		})
	}
	in := baseInput(t)
	in.Orders = []broker.OrderRequest{buy("o", rtyH, 1), buy("o", m2kH, 1)}
	d := Check(in)
	if got, want := d.Orders[1].Approved, int64(0); got != want {
		t.Fatalf("repeated reference approved %d, want %d", got, want)
	}
	if got, want := d.Orders[0].Approved, int64(1); got != want {
		t.Fatalf("first order approved %d, want %d", got, want)
	}
}

func TestInvalidLimitsRejectEverything(t *testing.T) {
	in := baseInput(t)
	in.Limits.MaxGrossLeverage = decimal.Zero
	in.Positions = []broker.Position{hold(rtyH, 5)}
	in.Orders = []broker.OrderRequest{sell("cut", rtyH, 1)}
	d := checkApproved(t, in, "cut", 0, CodeInvalidLimits)
	v, _ := verdict(d.Verdicts, CodeInvalidLimits)
	if !strings.Contains(v.Message, "MaxGrossLeverage") {
		t.Fatalf("message %q does not name the field", v.Message)
	}
}

func TestNoClock(t *testing.T) {
	in := baseInput(t)
	in.Now = time.Time{}
	in.Orders = []broker.OrderRequest{buy("o", rtyH, 1)}
	checkApproved(t, in, "o", 0, CodeInvalidInput)
}

func TestEveryOrderHasAVerdict(t *testing.T) {
	in := baseInput(t)
	// Gross $1.7M; the XAK sale frees $40,000 first, so 13 RTY fit.
	in.Positions = []broker.Position{hold(esH, -5), hold(xakH, 10)}
	in.Orders = []broker.OrderRequest{buy("a", rtyH, 20), buy("b", m2kH, 3), sell("c", xakH, 2)}
	d := Check(in)
	n := 0
	for _, o := range d.Orders {
		if len(o.Verdicts) == 0 {
			t.Fatalf("order %s has no verdict", o.Order.Ref)
		}
		for _, v := range o.Verdicts {
			if v.OrderRef != o.Order.Ref {
				t.Fatalf("order %s carries a verdict for %q", o.Order.Ref, v.OrderRef)
			}
		}
		n += len(o.Verdicts)
	}
	if got, want := len(d.Verdicts), n; got != want {
		t.Fatalf("%d verdicts in the decision, want %d (all orders', no plan-wide)", got, want)
	}
	if got, want := len(d.Approved()), 3; got != want {
		t.Fatalf("%d approved orders, want %d: %+v", got, want, d.Verdicts)
	}
	if got, want := d.Approved()[0].Quantity, int64(13); got != want {
		t.Fatalf("first approved quantity %d, want %d", got, want)
	}
}

func TestDeterminism(t *testing.T) {
	in := baseInput(t)
	in.Positions = []broker.Position{hold(esH, -5), hold(m2kH, 40), hold(xakH, -10)}
	in.Orders = []broker.OrderRequest{buy("a", rtyH, 20), sell("b", m2kH, 50), buy("c", xakH, 30), sell("d", esH, 1)}
	first, err := json.Marshal(Check(in))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		// Same input, and the same input with positions and prices listed
		// in another order: the same decision.
		if i%2 == 1 {
			p := in.Positions
			p[0], p[len(p)-1] = p[len(p)-1], p[0]
			q := in.Prices
			q[0], q[len(q)-1] = q[len(q)-1], q[0]
		}
		got, err := json.Marshal(Check(in))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(first) {
			t.Fatalf("run %d gave another decision:\n%s\nwant\n%s", i, got, first)
		}
	}
	d := Check(in)
	for i, o := range d.Orders {
		if got, want := o.Order.Ref, in.Orders[i].Ref; got != want {
			t.Fatalf("order %d is %s, want %s (the plan's order)", i, got, want)
		}
	}
}

func TestDecisionJSON(t *testing.T) {
	in := baseInput(t)
	in.Positions = []broker.Position{hold(esH, -5), hold(m2kH, 80)}
	in.Orders = []broker.OrderRequest{buy("rty", rtyH, 10)}
	d := Check(in)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"code":"GROSS_LEVERAGE"`, `"action":"scale"`, `"order_ref":"rty"`, `"approved":7`, `"limit":"3"`, `"actual":"3.3"`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("JSON %s lacks %s", b, want)
		}
	}
	var back Decision
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := back.Orders[0].Verdicts[0].Code, CodeGrossLeverage; got != want {
		t.Fatalf("round trip code %s, want %s", got, want)
	}
	if got, want := back.Orders[0].Approved, int64(7); got != want {
		t.Fatalf("round trip approved %d, want %d", got, want)
	}
	if !back.Orders[0].Verdicts[0].Actual.Equal(dec("3.3")) {
		t.Fatalf("round trip actual %s", back.Orders[0].Verdicts[0].Actual)
	}
}

func TestCodeText(t *testing.T) {
	if got, want := CodeMaintenanceBreak.String(), "MAINTENANCE_BREAK"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if _, err := json.Marshal(Verdict{Code: "NOPE", Action: ActionReject}); err == nil {
		t.Fatal("an unknown code marshalled")
	}
	if _, err := json.Marshal(Verdict{Code: CodeOK, Action: "maybe"}); err == nil {
		t.Fatal("an unknown action marshalled")
	}
	var v Verdict
	if err := json.Unmarshal([]byte(`{"code":"NOPE","action":"reject"}`), &v); err == nil {
		t.Fatal("an unknown code unmarshalled")
	}
	if err := json.Unmarshal([]byte(`{"code":"HOLIDAY","action":"reject"}`), &v); err != nil {
		t.Fatal(err)
	}
	if got, want := v.Code, CodeHoliday; got != want {
		t.Fatalf("code %s, want %s", got, want)
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatalf("DefaultLimits().Validate() = %v", err)
	}
	tests := []struct {
		field string
		mod   func(*Limits)
	}{
		{"MaxGrossLeverage", func(l *Limits) { l.MaxGrossLeverage = dec("-1") }},
		{"MaxNetLeverage", func(l *Limits) { l.MaxNetLeverage = decimal.Zero }},
		{"Instrument.MaxContracts", func(l *Limits) { l.Instrument.MaxContracts = 0 }},
		{"Instrument.MaxNotional", func(l *Limits) { l.Instrument.MaxNotional = decimal.Zero }},
		{"InstrumentOverrides[M2K].MaxContracts", func(l *Limits) {
			l.InstrumentOverrides = map[string]InstrumentLimit{"M2K": {0, dec("1")}}
		}},
		{"MaxOrderContracts", func(l *Limits) { l.MaxOrderContracts = -1 }},
		{"MaxOrderNotional", func(l *Limits) { l.MaxOrderNotional = decimal.Zero }},
		{"MaxMarginUse", func(l *Limits) { l.MaxMarginUse = dec("1.5") }},
		{"LimitCollar", func(l *Limits) { l.LimitCollar = dec("1") }},
		{"MaxEventAge", func(l *Limits) { l.MaxEventAge = 0 }},
		{"MaxPriceAge", func(l *Limits) { l.MaxPriceAge = -time.Second }},
		{"MaxOrdersPerMinute", func(l *Limits) { l.MaxOrdersPerMinute = 0 }},
		{"DailyLossFraction", func(l *Limits) { l.DailyLossFraction = dec("1") }},
		{"DailyLossAmount", func(l *Limits) { l.DailyLossAmount = dec("-5") }},
		{"DailyLossFraction and DailyLossAmount", func(l *Limits) { l.DailyLossFraction = decimal.Zero }},
		{"MaxDrawdown", func(l *Limits) { l.MaxDrawdown = decimal.Zero }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			l := DefaultLimits()
			tt.mod(&l)
			err := l.Validate()
			if err == nil {
				t.Fatal("Validate() = nil")
			}
			if !errors.Is(err, ErrInvalidLimits) {
				t.Fatalf("Validate() = %v, not ErrInvalidLimits", err)
			}
			if !strings.Contains(err.Error(), tt.field+" is") || !strings.Contains(err.Error(), "want") {
				t.Fatalf("Validate() = %q, want it to name %s and what it may be", err, tt.field)
			}
		})
	}
	// Limit values themselves are allowed.
	l := DefaultLimits()
	l.MaxMarginUse = dec("1")
	l.DailyLossFraction = decimal.Zero
	l.DailyLossAmount = dec("25000")
	if err := l.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
}
