package risk

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func mustChicago(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// ct is a wall-clock time in Chicago.
func ct(tb testing.TB, y int, m time.Month, d, hh, mm, ss int) time.Time {
	tb.Helper()
	return time.Date(y, m, d, hh, mm, ss, 0, mustChicago(tb))
}

func future(conID int64, root, local string, mult int64) broker.Contract {
	return broker.Contract{ConID: conID, Symbol: root, LocalSymbol: local, SecType: broker.Future,
		Exchange: "CME", Currency: "USD", Multiplier: mult}
}

// The contracts of the fixtures, at round prices: one RTY is $100,000 of
// notional, one M2K $10,000, one ES $300,000, one XAK $20,000.
var (
	rtyH = future(1, "RTY", "RTYH6", 50)
	m2kH = future(2, "M2K", "M2KH6", 5)
	esH  = future(3, "ES", "ESH6", 50)
	xakH = future(4, "XAK", "XAKH6", 100)
	rtyM = future(5, "RTY", "RTYM6", 50)
)

func buy(ref string, c broker.Contract, n int64) broker.OrderRequest {
	return broker.OrderRequest{Ref: ref, Contract: c, Side: broker.Buy, Quantity: n, Type: broker.Market}
}

func sell(ref string, c broker.Contract, n int64) broker.OrderRequest {
	return broker.OrderRequest{Ref: ref, Contract: c, Side: broker.Sell, Quantity: n, Type: broker.Market}
}

func hold(c broker.Contract, n int64) broker.Position {
	return broker.Position{Account: "DU123", Contract: c, Quantity: n}
}

// testLimits are the limits the fixtures are measured against.
func testLimits() Limits {
	return Limits{
		MaxGrossLeverage:   dec("3"),
		MaxNetLeverage:     dec("2"),
		Instrument:         InstrumentLimit{MaxContracts: 200, MaxNotional: dec("5000000")},
		MaxOrderContracts:  50,
		MaxOrderNotional:   dec("5000000"),
		MaxMarginUse:       dec("0.5"),
		LimitCollar:        dec("0.02"),
		MaxEventAge:        36 * time.Hour,
		MaxPriceAge:        15 * time.Minute,
		MaxOrdersPerMinute: 30,
		DailyLossFraction:  dec("0.03"),
		MaxDrawdown:        dec("0.10"),
	}
}

// baseInput is a $1,000,000 paper account on a Tuesday morning in January
// (CST), flat, with fresh prices and a one-hour-old event.
func baseInput(tb testing.TB) Input {
	tb.Helper()
	now := ct(tb, 2026, time.January, 13, 10, 0, 0)
	at := now.Add(-time.Minute)
	return Input{
		Now:     now,
		Limits:  testLimits(),
		Account: broker.Account{ID: "DU123", Currency: "USD", NetLiquidation: dec("1000000")},
		Prices: []Price{
			{ConID: 1, Value: dec("2000"), Time: at},
			{ConID: 2, Value: dec("2000"), Time: at},
			{ConID: 3, Value: dec("6000"), Time: at},
			{ConID: 4, Value: dec("200"), Time: at},
			{ConID: 5, Value: dec("2000"), Time: at},
		},
		InitialMargin: map[string]decimal.Decimal{
			"RTY": dec("10000"), "M2K": dec("1000"), "ES": dec("25000"), "XAK": dec("5000"),
		},
		EventTime:     now.Add(-time.Hour),
		DayStartNLV:   dec("1000000"),
		HighWaterMark: dec("1000000"),
	}
}

// order returns the decision about the order with reference ref.
func order(tb testing.TB, d Decision, ref string) OrderDecision {
	tb.Helper()
	for _, o := range d.Orders {
		if o.Order.Ref == ref {
			return o
		}
	}
	tb.Fatalf("no decision for order %q", ref)
	return OrderDecision{}
}

// verdict returns the first verdict with code among vs.
func verdict(vs []Verdict, code Code) (Verdict, bool) {
	for _, v := range vs {
		if v.Code == code {
			return v, true
		}
	}
	return Verdict{}, false
}

func codes(vs []Verdict) string {
	var s []string
	for _, v := range vs {
		s = append(s, string(v.Code))
	}
	return strings.Join(s, ",")
}

// checkApproved runs Check and asserts the approved quantity and that the
// order carries a verdict with want code.
func checkApproved(tb testing.TB, in Input, ref string, want int64, code Code) Decision {
	tb.Helper()
	d := Check(in)
	o := order(tb, d, ref)
	if got := o.Approved; got != want {
		tb.Fatalf("order %s approved %d, want %d; verdicts: %+v", ref, got, want, o.Verdicts)
	}
	if _, ok := verdict(o.Verdicts, code); !ok {
		tb.Fatalf("order %s verdicts %s, want one %s: %+v", ref, codes(o.Verdicts), code, o.Verdicts)
	}
	if got, want := o.Action, actionFor(o.Order.Quantity, o.Approved); got != want {
		tb.Fatalf("order %s action %s, want %s", ref, got, want)
	}
	return d
}
