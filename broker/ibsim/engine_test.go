package ibsim

import (
	"errors"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/shopspring/decimal"
)

var testDay = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)

// flatSeries is a history where every symbol closes at a fixed price, so
// marks are known by construction.
func flatSeries(prices map[string]float64) map[string]marketdata.Series {
	out := make(map[string]marketdata.Series)
	for sym, p := range prices {
		var bars []marketdata.Bar
		for d := testDay.AddDate(0, 0, -30); !d.After(testDay); d = d.AddDate(0, 0, 1) {
			day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
			bars = append(bars, marketdata.Bar{Date: day, Open: p, High: p, Low: p, Close: p, AdjClose: p, Volume: 1000})
		}
		out[sym] = marketdata.Series{Symbol: sym, Bars: bars}
	}
	return out
}

func newTestEngine(t testing.TB, cash int64, mutate func(*EngineConfig)) *Engine {
	t.Helper()
	cfg := EngineConfig{Account: "DU1000001", StartingCash: decimal.NewFromInt(cash), Now: func() time.Time { return testDay },
		Series: flatSeries(map[string]float64{"RUT": 2400, "GSPC": 6500, "IWM": 240, "XLK": 140})}
	if mutate != nil {
		mutate(&cfg)
	}
	return NewEngine(cfg)
}

func rty(month string) ContractQuery {
	return ContractQuery{Symbol: "RTY", SecType: "FUT", Exchange: "CME", Currency: "USD", Month: month}
}

func spec(id int64, q ContractQuery, action string, qty int64, typ string, limit string) OrderSpec {
	s := OrderSpec{ClientID: 1, OrderID: id, Contract: q, Action: action, Quantity: decimal.NewFromInt(qty), Type: typ, Ref: "ref-" + action}
	if limit != "" {
		s.Limit = decimal.RequireFromString(limit)
	}
	return s
}

func TestEngineListsFrontPlusFourQuarterlies(t *testing.T) {
	e := newTestEngine(t, 1_000_000, nil)
	ls := e.Resolve(ContractQuery{Symbol: "RTY", SecType: "FUT"})
	var got []string
	for _, l := range ls {
		got = append(got, l.LocalSymbol+"@"+l.Expiry.Format("20060102"))
	}
	want := []string{"RTYZ6@20261218", "RTYH7@20270319", "RTYM7@20270618", "RTYU7@20270917", "RTYZ7@20271217"}
	if len(got) != len(want) {
		t.Fatalf("listings = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("listing %d = %s, want %s (all: %v)", i, got[i], want[i], got)
		}
	}
	if n := len(e.Resolve(ContractQuery{Symbol: "NOPE", SecType: "FUT"})); n != 0 {
		t.Fatalf("unknown root resolved to %d listings, want 0", n)
	}
	if n := len(e.Resolve(ContractQuery{Symbol: "IWM", SecType: "STK", Exchange: "SMART"})); n != 1 {
		t.Fatalf("IWM resolved to %d listings, want 1", n)
	}
}

func TestEngineMarketOrderFillsAndBooks(t *testing.T) {
	e := newTestEngine(t, 1_000_000, func(c *EngineConfig) { c.SlippageTicks = 2 })
	o, ups, err := e.Place(spec(1, rty("202612"), "BUY", 3, "MKT", ""))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.Status, broker.StatusFilled; got != want {
		t.Fatalf("returned status = %s, want %s (the order after matching)", got, want)
	}
	kinds := []UpdateKind{UpdateOpenOrder, UpdateStatus, UpdateExecution, UpdateOpenOrder, UpdateStatus, UpdateCommission}
	if len(ups) != len(kinds) {
		t.Fatalf("got %d updates, want %d", len(ups), len(kinds))
	}
	for i, k := range kinds {
		if ups[i].Kind != k {
			t.Fatalf("update %d kind = %d, want %d", i, ups[i].Kind, k)
		}
	}
	x := ups[2].Exec
	// 2400 + 2 ticks of 0.10 slippage on a buy.
	if got, want := x.Price.String(), "2400.2"; got != want {
		t.Fatalf("fill price = %s, want %s", got, want)
	}
	if got, want := x.Commission.String(), "6.75"; got != want {
		t.Fatalf("commission = %s, want %s (3 x 2.25)", got, want)
	}
	if got, want := ups[4].Order.Status, broker.StatusFilled; got != want {
		t.Fatalf("final status = %s, want %s", got, want)
	}
	a := e.Account()
	// Net liquidation: cash less commission plus the mark-to-market of
	// 3 x 50 x (2400 - 2400.2) = -30.
	if got, want := a.NetLiquidation.String(), decimal.NewFromInt(1_000_000).Sub(decimal.RequireFromString("36.75")).String(); got != want {
		t.Fatalf("net liquidation = %s, want %s", got, want)
	}
	if got, want := a.InitMargin.String(), "26400"; got != want {
		t.Fatalf("initial margin = %s, want %s", got, want)
	}
	ps := e.Positions()
	if len(ps) != 1 || ps[0].Quantity != 3 || ps[0].AvgCost.String() != "120010" {
		t.Fatalf("positions = %+v, want 3 RTY at avg cost 120010 (2400.2 x 50)", ps)
	}
}

func TestEngineRealizedPnLOnClose(t *testing.T) {
	e := newTestEngine(t, 1_000_000, nil)
	if _, _, err := e.Place(spec(1, rty("202612"), "BUY", 2, "MKT", "")); err != nil {
		t.Fatal(err)
	}
	e.SetPrice("RUT", 2410)
	_, ups, err := e.Place(spec(2, rty("202612"), "SELL", 2, "MKT", ""))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ups[len(ups)-1].Exec.RealizedPnL.String(), "1000"; got != want {
		t.Fatalf("realized = %s, want %s (2 x 50 x 10)", got, want)
	}
	if n := len(e.Positions()); n != 0 {
		t.Fatalf("positions after close = %d, want 0", n)
	}
	// Cash: +1000 realized, -4 x 2.25 commissions.
	if got, want := e.Account().NetLiquidation.String(), "1000991"; got != want {
		t.Fatalf("net liquidation = %s, want %s", got, want)
	}
}

func TestEngineLimitOrderRestsUntilMarketable(t *testing.T) {
	e := newTestEngine(t, 1_000_000, nil)
	_, ups, err := e.Place(spec(1, rty("202612"), "BUY", 1, "LMT", "2390.0"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 {
		t.Fatalf("resting limit order produced %d updates, want 2 (openOrder, orderStatus)", len(ups))
	}
	if ups := e.SetPrice("RUT", 2395); len(ups) != 0 {
		t.Fatalf("price above the limit filled the order: %d updates", len(ups))
	}
	ups = e.SetPrice("RUT", 2380)
	if len(ups) == 0 {
		t.Fatal("price through the limit did not fill the order")
	}
	if got, want := ups[0].Exec.Price.String(), "2380"; got != want {
		t.Fatalf("fill price = %s, want %s (the mark, better than the limit)", got, want)
	}
}

func TestEnginePartialFills(t *testing.T) {
	e := newTestEngine(t, 10_000_000, func(c *EngineConfig) { c.PartialFillSize = 4 })
	_, ups, err := e.Place(spec(1, rty("202612"), "BUY", 10, "MKT", ""))
	if err != nil {
		t.Fatal(err)
	}
	var parts []int64
	for _, u := range ups {
		if u.Kind == UpdateExecution {
			parts = append(parts, u.Exec.Quantity)
		}
	}
	if len(parts) != 3 || parts[0] != 4 || parts[1] != 4 || parts[2] != 2 {
		t.Fatalf("fill parts = %v, want [4 4 2]", parts)
	}
}

func TestEngineRejections(t *testing.T) {
	tests := []struct {
		name string
		cash int64
		spec OrderSpec
		code int64
	}{
		{"not on tick", 1_000_000, spec(1, rty("202612"), "BUY", 1, "LMT", "2400.05"), CodeNotOnTick},
		{"unknown contract", 1_000_000, spec(1, ContractQuery{Symbol: "ZZZ", SecType: "FUT"}, "BUY", 1, "MKT", ""), CodeNoSecDef},
		{"ambiguous contract", 1_000_000, spec(1, ContractQuery{Symbol: "RTY", SecType: "FUT"}, "BUY", 1, "MKT", ""), CodeNoSecDef},
		{"beyond available funds", 10_000, spec(1, rty("202612"), "BUY", 2, "MKT", ""), CodeRejected},
		{"fractional quantity", 1_000_000, func() OrderSpec {
			s := spec(1, rty("202612"), "BUY", 1, "MKT", "")
			s.Quantity = decimal.RequireFromString("1.5")
			return s
		}(), CodeRejected},
		{"stop orders", 1_000_000, spec(1, rty("202612"), "BUY", 1, "STP", ""), CodeRejected},
		{"zero order id", 1_000_000, spec(0, rty("202612"), "BUY", 1, "MKT", ""), CodeDuplicateID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, tt.cash, nil)
			_, _, err := e.Place(tt.spec)
			var rj *Reject
			if !errors.As(err, &rj) {
				t.Fatalf("Place() error = %v, want a *Reject", err)
			}
			if rj.Code != tt.code {
				t.Fatalf("code = %d (%s), want %d", rj.Code, rj.Msg, tt.code)
			}
			if n := len(e.Orders()); n != 0 {
				t.Fatalf("a rejected order was booked: %d orders", n)
			}
		})
	}
}

func TestEngineDuplicateOrderIDAndCancel(t *testing.T) {
	e := newTestEngine(t, 1_000_000, nil)
	if _, _, err := e.Place(spec(5, rty("202612"), "BUY", 1, "LMT", "2000.0")); err != nil {
		t.Fatal(err)
	}
	var rj *Reject
	if _, _, err := e.Place(spec(5, rty("202612"), "BUY", 1, "LMT", "2000.0")); !errors.As(err, &rj) || rj.Code != CodeDuplicateID {
		t.Fatalf("second order with id 5: err = %v, want 103", err)
	}
	if got, want := e.NextID(1), int64(6); got != want {
		t.Fatalf("NextID = %d, want %d", got, want)
	}
	o, _, err := e.Cancel(1, 5)
	if err != nil || o.Status != broker.StatusCancelled {
		t.Fatalf("Cancel = %v, %v; want a cancelled order", o.Status, err)
	}
	if _, _, err := e.Cancel(1, 5); !errors.As(err, &rj) || rj.Code != CodeCancelUnknown {
		t.Fatalf("cancel of a cancelled order: err = %v, want 10147", err)
	}
}

func TestEngineShortAndFlip(t *testing.T) {
	e := newTestEngine(t, 1_000_000, nil)
	if _, _, err := e.Place(spec(1, rty("202612"), "SELL", 2, "MKT", "")); err != nil {
		t.Fatal(err)
	}
	e.SetPrice("RUT", 2390)
	if _, _, err := e.Place(spec(2, rty("202612"), "BUY", 3, "MKT", "")); err != nil {
		t.Fatal(err)
	}
	ps := e.Positions()
	if len(ps) != 1 || ps[0].Quantity != 1 || ps[0].AvgCost.String() != "119500" {
		t.Fatalf("positions = %+v, want long 1 at 119500 after flipping", ps)
	}
	// Short 2 from 2400 covered at 2390: +2 x 50 x 10 = 1000.
	if got, want := e.Account().RealizedPnL.String(), "1000"; got != want {
		t.Fatalf("realized = %s, want %s", got, want)
	}
}

func TestEngineSweepFillsWhenTheClockReachesANewClose(t *testing.T) {
	now := testDay
	series := flatSeries(map[string]float64{"RUT": 2400})
	// Tomorrow's bar closes lower, through the resting limit.
	tomorrow := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	s := series["RUT"]
	s.Bars = append(s.Bars, marketdata.Bar{Date: tomorrow, Open: 2380, High: 2385, Low: 2370, Close: 2375, AdjClose: 2375})
	series["RUT"] = s
	e := newTestEngine(t, 1_000_000, func(c *EngineConfig) { c.Series = series; c.Now = func() time.Time { return now } })
	gtc := spec(1, rty("202612"), "BUY", 1, "LMT", "2380.0")
	gtc.TIF = "GTC"
	if _, _, err := e.Place(gtc); err != nil {
		t.Fatal(err)
	}
	if ups := e.Sweep(); len(ups) != 0 {
		t.Fatalf("sweep on the same day filled: %d updates", len(ups))
	}
	now = now.Add(24 * time.Hour)
	ups := e.Sweep()
	if len(ups) == 0 || ups[0].Exec.Price.String() != "2375" {
		t.Fatalf("sweep after the clock reached a close of 2375: %+v, want a fill at 2375", ups)
	}
}

func TestEngineDayOrdersExpireAtTheEndOfTheirDay(t *testing.T) {
	now := testDay
	e := newTestEngine(t, 1_000_000, func(c *EngineConfig) { c.Now = func() time.Time { return now } })
	day := spec(1, rty("202612"), "BUY", 1, "LMT", "2000.0")
	gtc := spec(2, rty("202612"), "BUY", 1, "LMT", "2000.0")
	gtc.TIF = "GTC"
	for _, s := range []OrderSpec{day, gtc} {
		if _, _, err := e.Place(s); err != nil {
			t.Fatal(err)
		}
	}
	if ups := e.Sweep(); len(ups) != 0 {
		t.Fatalf("same-day sweep changed %d orders", len(ups))
	}
	now = now.Add(6 * time.Hour) // past midnight UTC
	e.Sweep()
	got := map[int64]broker.OrderStatus{}
	for _, o := range e.Orders() {
		got[o.OrderID] = o.Status
	}
	if got[1] != broker.StatusCancelled || got[2] != broker.StatusSubmitted {
		t.Fatalf("statuses the next day = %v, want DAY order 1 Cancelled and GTC order 2 Submitted", got)
	}
}

// PlaceAppend appends to the buffer it is given (reusing its room) and
// leaves it as it was on a refusal; what it appends is what Place returns.
func TestEnginePlaceAppendReusesTheBuffer(t *testing.T) {
	a, b := newTestEngine(t, 1_000_000, nil), newTestEngine(t, 1_000_000, nil)
	buf := make([]Update, 1, 16)
	buf[0] = Update{Kind: UpdateStatus}
	_, want, err := a.Place(spec(1, rty("202612"), "BUY", 3, "MKT", ""))
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := b.PlaceAppend(buf, spec(1, rty("202612"), "BUY", 3, "MKT", ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1+len(want) || &got[0] != &buf[0] {
		t.Fatalf("PlaceAppend gave %d updates (in the buffer: %v), want 1 + %d in the buffer", len(got), &got[0] == &buf[0], len(want))
	}
	for i := range want {
		if got[1+i].Kind != want[i].Kind || got[1+i].Order.Status != want[i].Order.Status ||
			!got[1+i].Exec.Price.Equal(want[i].Exec.Price) {
			t.Fatalf("update %d: %+v, want %+v", i, got[1+i], want[i])
		}
	}
	_, refused, err := b.PlaceAppend(buf[:1], spec(1, rty("202612"), "BUY", 3, "MKT", "")) // a duplicate id
	if err == nil || len(refused) != 1 || &refused[0] != &buf[0] {
		t.Fatalf("refused PlaceAppend: %v, %d updates; want an error and the buffer as it was", err, len(refused))
	}
}
