package risk

import (
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

func TestGrossLeverage(t *testing.T) {
	// Another strategy is short 5 ES ($1.5M): $1.5M of gross room is left
	// under 3x of $1M, fifteen RTY, and the RTY hedges the ES so net stays
	// within 2x.
	tests := []struct {
		name string
		qty  int64
		want int64
		code Code
	}{
		{"just under", 14, 14, CodeOK},
		{"at", 15, 15, CodeOK},
		{"just over", 16, 15, CodeGrossLeverage},
		{"far over", 40, 15, CodeGrossLeverage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Positions = []broker.Position{hold(esH, -5)}
			in.Orders = []broker.OrderRequest{buy("rty", rtyH, tt.qty)}
			checkApproved(t, in, "rty", tt.want, tt.code)
		})
	}
}

func TestGrossLeverageMessage(t *testing.T) {
	// Gross $2.3M before the plan: seven RTY fit, ten would be 3.3x.
	in := baseInput(t)
	in.Positions = []broker.Position{hold(esH, -5), hold(m2kH, 80)}
	in.Orders = []broker.OrderRequest{buy("rty", rtyH, 10)}
	d := checkApproved(t, in, "rty", 7, CodeGrossLeverage)
	v, _ := verdict(order(t, d, "rty").Verdicts, CodeGrossLeverage)
	if got, want := v.Message, "gross leverage 3.30x after the plan exceeds the limit 3.00x; BUY RTYH6 order scaled from 10 to 7 contracts"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	if got, want := v.Actual, dec("3.3"); !got.Equal(want) {
		t.Fatalf("actual %s, want %s", got, want)
	}
	if got, want := v.Action, ActionScale; got != want {
		t.Fatalf("action %s, want %s", got, want)
	}
	if got, want := d.Exposure.GrossLeverageAfter, dec("3"); !got.Equal(want) {
		t.Fatalf("gross leverage after %s, want %s", got, want)
	}
}

func TestOtherStrategiesCounted(t *testing.T) {
	// Flat, ten RTY fit easily; with another strategy's $1M of XAK and
	// short $1.2M of ES only $0.8M of gross room is left.
	in := baseInput(t)
	in.Orders = []broker.OrderRequest{buy("rty", rtyH, 10)}
	checkApproved(t, in, "rty", 10, CodeOK)

	in.Positions = []broker.Position{hold(xakH, 50), hold(esH, -4),
		{Account: "DU123", Contract: broker.Contract{Symbol: "IWM", SecType: broker.Stock, Multiplier: 1}, Quantity: 1000}}
	in.Prices = append(in.Prices, Price{Root: "IWM", Value: dec("230"), Time: in.Now})
	d := checkApproved(t, in, "rty", 8, CodeGrossLeverage)
	if got, want := d.Exposure.GrossNotionalBefore, dec("2200000"); !got.Equal(want) {
		t.Fatalf("gross before %s, want %s (stock positions are not futures notional)", got, want)
	}
}

func TestNetLeverage(t *testing.T) {
	tests := []struct {
		name  string
		es    int64 // another strategy's ES, $300,000 each
		order broker.OrderRequest
		want  int64
		code  Code
	}{
		// Long $1.5M of ES: $0.5M of net room.
		{"just under", 5, buy("o", rtyH, 4), 4, CodeOK},
		{"at", 5, buy("o", rtyH, 5), 5, CodeOK},
		{"just over", 5, buy("o", rtyH, 6), 5, CodeNetLeverage},
		{"selling lowers net", 5, sell("o", rtyH, 10), 10, CodeOK},
		// Long $2.4M of ES, over 2x: buying is refused, selling too
		// little still leaves net over the limit, selling enough fits.
		{"over, adding", 8, buy("o", rtyH, 1), 0, CodeNetLeverage},
		{"over, not enough", 8, sell("o", rtyH, 3), 0, CodeNetLeverage},
		{"over, enough", 8, sell("o", rtyH, 4), 4, CodeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Limits.MaxGrossLeverage = dec("5")
			in.Positions = []broker.Position{hold(esH, tt.es)}
			in.Orders = []broker.OrderRequest{tt.order}
			checkApproved(t, in, "o", tt.want, tt.code)
		})
	}
}

func TestRTYAndM2KScaleToWholeContracts(t *testing.T) {
	// At 2123.4 one RTY is $106,170 and one M2K $10,617. 3x of $1M fits 28
	// RTY ($2,972,760); the $27,240 left fits 2 M2K, not 5.
	in := baseInput(t)
	in.Limits.MaxNetLeverage = dec("3")
	for i := range in.Prices {
		in.Prices[i].Value = dec("2123.4")
	}
	in.Orders = []broker.OrderRequest{buy("rty", rtyH, 30), buy("m2k", m2kH, 5)}
	d := Check(in)
	if got, want := order(t, d, "rty").Approved, int64(28); got != want {
		t.Fatalf("RTY approved %d, want %d", got, want)
	}
	if got, want := order(t, d, "m2k").Approved, int64(2); got != want {
		t.Fatalf("M2K approved %d, want %d", got, want)
	}
	if got, want := d.Exposure.GrossNotionalAfter, dec("2993994"); !got.Equal(want) {
		t.Fatalf("gross after %s, want %s", got, want)
	}
	if got, want := order(t, d, "m2k").Notional, dec("21234"); !got.Equal(want) {
		t.Fatalf("M2K notional %s, want %s", got, want)
	}
	// One more M2K contract would break the limit: the scaling is tight.
	in.Orders = []broker.OrderRequest{buy("rty", rtyH, 28), buy("m2k", m2kH, 3)}
	if got, want := order(t, Check(in), "m2k").Approved, int64(2); got != want {
		t.Fatalf("M2K approved %d, want %d", got, want)
	}
}

func TestInstrumentLimits(t *testing.T) {
	tests := []struct {
		name   string
		limits InstrumentLimit
		qty    int64
		want   int64
		code   Code
	}{
		// Held: 5 RTYH6 and 10 RTYM6, 15 RTY contracts and $1.5M.
		{"contracts just under", InstrumentLimit{20, dec("5000000")}, 4, 4, CodeOK},
		{"contracts at", InstrumentLimit{20, dec("5000000")}, 5, 5, CodeOK},
		{"contracts just over", InstrumentLimit{20, dec("5000000")}, 6, 5, CodeInstrumentContracts},
		{"notional just under", InstrumentLimit{200, dec("2000000")}, 4, 4, CodeOK},
		{"notional at", InstrumentLimit{200, dec("2000000")}, 5, 5, CodeOK},
		{"notional just over", InstrumentLimit{200, dec("2000000")}, 6, 5, CodeInstrumentNotional},
		{"no room", InstrumentLimit{15, dec("5000000")}, 1, 0, CodeInstrumentContracts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Limits.MaxGrossLeverage = dec("10")
			in.Limits.MaxNetLeverage = dec("10")
			in.Limits.InstrumentOverrides = map[string]InstrumentLimit{"RTY": tt.limits}
			in.Positions = []broker.Position{hold(rtyH, 5), hold(rtyM, 10)}
			in.Orders = []broker.OrderRequest{buy("o", rtyH, tt.qty)}
			checkApproved(t, in, "o", tt.want, tt.code)
		})
	}
	// The override is for RTY only: M2K has the default.
	in := baseInput(t)
	in.Limits.InstrumentOverrides = map[string]InstrumentLimit{"RTY": {1, dec("100000")}}
	in.Orders = []broker.OrderRequest{buy("o", m2kH, 30)}
	checkApproved(t, in, "o", 30, CodeOK)
}

func TestOrderLimits(t *testing.T) {
	tests := []struct {
		name      string
		contracts int64
		notional  string
		order     broker.OrderRequest
		want      int64
		code      Code
	}{
		{"contracts just under", 10, "5000000", buy("o", rtyH, 9), 9, CodeOK},
		{"contracts at", 10, "5000000", buy("o", rtyH, 10), 10, CodeOK},
		{"contracts just over", 10, "5000000", buy("o", rtyH, 11), 10, CodeOrderContracts},
		{"notional just under", 50, "500000", buy("o", rtyH, 4), 4, CodeOK},
		{"notional at", 50, "500000", buy("o", rtyH, 5), 5, CodeOK},
		{"notional just over", 50, "500000", buy("o", rtyH, 6), 5, CodeOrderNotional},
		{"one contract is too big", 50, "99999", buy("o", rtyH, 1), 0, CodeOrderNotional},
		// A risk-reducing order is cut too: the flattening goes in pieces.
		{"reducing order cut", 10, "5000000", sell("o", rtyH, 15), 10, CodeOrderContracts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Limits.MaxOrderContracts = tt.contracts
			in.Limits.MaxOrderNotional = dec(tt.notional)
			in.Positions = []broker.Position{hold(rtyH, 15)}
			in.Orders = []broker.OrderRequest{tt.order}
			in.Limits.MaxGrossLeverage = dec("10")
			in.Limits.MaxNetLeverage = dec("10")
			in.Limits.MaxMarginUse = dec("1")
			checkApproved(t, in, "o", tt.want, tt.code)
		})
	}
}

func TestMargin(t *testing.T) {
	tests := []struct {
		name string
		qty  int64
		want int64
		code Code
	}{
		// $400,000 of margin is used, 50% of $1M is $500,000: ten RTY at
		// $10,000 each.
		{"just under", 9, 9, CodeOK},
		{"at", 10, 10, CodeOK},
		{"just over", 11, 10, CodeMargin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Account.InitMargin = dec("400000")
			in.Orders = []broker.OrderRequest{buy("o", rtyH, tt.qty)}
			d := checkApproved(t, in, "o", tt.want, tt.code)
			if got, want := order(t, d, "o").MarginEffect, dec("10000").Mul(decimal.NewFromInt(tt.want)); !got.Equal(want) {
				t.Fatalf("margin effect %s, want %s", got, want)
			}
		})
	}
	t.Run("freed margin stops at zero", func(t *testing.T) {
		// The table says $100,000 for 10 RTY, the broker charges $50,000.
		in := baseInput(t)
		in.Account.InitMargin = dec("50000")
		in.Positions = []broker.Position{hold(rtyH, 10)}
		in.Orders = []broker.OrderRequest{sell("o", rtyH, 10)}
		d := checkApproved(t, in, "o", 10, CodeOK)
		if got, want := d.Exposure.MarginAfter, dec("0"); !got.Equal(want) {
			t.Fatalf("margin after %s, want %s", got, want)
		}
		if got, want := order(t, d, "o").MarginEffect, dec("-50000"); !got.Equal(want) {
			t.Fatalf("margin effect %s, want %s", got, want)
		}
	})
	t.Run("no margin figure", func(t *testing.T) {
		in := baseInput(t)
		delete(in.InitialMargin, "RTY")
		in.Orders = []broker.OrderRequest{buy("o", rtyH, 1)}
		checkApproved(t, in, "o", 0, CodeMargin)
	})
	t.Run("a roll frees the margin it needs", func(t *testing.T) {
		in := baseInput(t)
		in.Account.InitMargin = dec("500000")
		in.Positions = []broker.Position{hold(rtyH, 10)}
		// The opening leg is listed first; the closing leg still goes
		// first, so the room it frees is there.
		in.Orders = []broker.OrderRequest{buy("open", rtyM, 10), sell("close", rtyH, 10)}
		d := Check(in)
		if got, want := order(t, d, "open").Approved, int64(10); got != want {
			t.Fatalf("opening leg approved %d, want %d: %+v", got, want, d.Verdicts)
		}
		if got, want := order(t, d, "close").Approved, int64(10); got != want {
			t.Fatalf("closing leg approved %d, want %d", got, want)
		}
		in.Orders = in.Orders[:1]
		checkApproved(t, in, "open", 0, CodeMargin)
	})
}

func TestReducingAllowedOverLimits(t *testing.T) {
	// Gross is 4x, over the 3x limit; margin use 60%, over 50%.
	in := baseInput(t)
	in.Account.InitMargin = dec("600000")
	in.Positions = []broker.Position{hold(rtyH, 25), hold(esH, -5)}
	in.Orders = []broker.OrderRequest{sell("cut", rtyH, 5), buy("add", xakH, 1)}
	d := Check(in)
	if got, want := order(t, d, "cut").Approved, int64(5); got != want {
		t.Fatalf("reducing order approved %d, want %d: %+v", got, want, d.Verdicts)
	}
	if !order(t, d, "cut").ReducesRisk {
		t.Fatal("selling 5 of 25 RTY held does not count as reducing risk")
	}
	if got, want := order(t, d, "add").Approved, int64(0); got != want {
		t.Fatalf("adding order approved %d, want %d", got, want)
	}
	if got, want := d.Exposure.GrossLeverageAfter, dec("3.5"); !got.Equal(want) {
		t.Fatalf("gross leverage after %s, want %s", got, want)
	}
	// A flip (long 25, sell 40) closes the 25 unconditionally; of the 15
	// short beyond, net leverage (short $1.5M of ES already) leaves room
	// for 5.
	in.Orders = []broker.OrderRequest{sell("flip", rtyH, 40)}
	d = checkApproved(t, in, "flip", 30, CodeNetLeverage)
	if order(t, d, "flip").ReducesRisk {
		t.Fatal("an order crossing zero counts as reducing risk")
	}
	// With margin for no more contracts after the close, only the close
	// goes.
	in.Account.InitMargin = dec("750000")
	d = checkApproved(t, in, "flip", 25, CodeMargin)
	v, _ := verdict(order(t, d, "flip").Verdicts, CodeMargin)
	if !strings.Contains(v.Message, "scaled from 40 to 25 contracts, the part that closes the position") {
		t.Fatalf("message %q does not say the order was cut to the closing part", v.Message)
	}
}
