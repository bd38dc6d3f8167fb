package portfolio_test

import (
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/signals"
	"github.com/shopspring/decimal"
)

const account = "DU1234567"

// d parses a decimal or fails the test binary.
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// date is a calendar day at midnight UTC.
func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// asOf is a trading day well before the June 2026 roll window.
var asOf = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// future is a quarterly future of root expiring on the third Friday of
// year/month, with a made-up but stable ConID.
func future(root string, year int, month time.Month) broker.Contract {
	exp := broker.ThirdFriday(year, month)
	inst, err := broker.LookupInstrument(root)
	if err != nil {
		panic(err)
	}
	id := int64(0)
	for _, c := range root {
		id = id*131 + int64(c)
	}
	return broker.Contract{ConID: id*1000000 + int64(year)*100 + int64(month), Symbol: root,
		LocalSymbol: broker.LocalSymbol(root, exp), SecType: broker.Future, Exchange: "CME", Currency: "USD",
		Expiry: exp, Multiplier: inst.Multiplier}
}

// event is a minimal event with the given regime and sector spreads.
func event(regime signals.Regime, spreads map[string]float64) signals.Event {
	sectors := map[string]signals.SectorStrength{}
	for fund, s := range spreads {
		sectors[fund] = signals.SectorStrength{Return: 0.10 - s, Spread: s}
	}
	return signals.Event{Schema: signals.Schema, ID: "0123456789abcdef0123456789abcdef", AsOf: "2026-03-02",
		Regime: regime, RelativeStrength: signals.RelativeStrength{Benchmark: "IWM", BenchmarkReturn: 0.10, Sectors: sectors}}
}

// noVol is the default sleeve with volatility targeting off, so the
// numbers of a test are the sizing formula's alone.
func noVol() portfolio.SleeveConfig {
	c := portfolio.DefaultSleeve()
	c.VolTarget = 0
	return c
}

// input is a target input for NLV 1,000,000, RTY and M2K at 2100 and the
// June 2026 contracts.
func input(regime signals.Regime, cfg portfolio.SleeveConfig) portfolio.TargetInput {
	return portfolio.TargetInput{
		Event:   event(regime, map[string]float64{"XLK": 0.05}),
		Account: account,
		NLV:     d("1000000"),
		Prices:  map[string]decimal.Decimal{"RTY": d("2100"), "M2K": d("2100")},
		Contracts: map[string]broker.Contract{
			"RTY": future("RTY", 2026, time.June), "M2K": future("M2K", 2026, time.June),
		},
		Config: cfg,
	}
}

// mustTargets sizes in or fails the test.
func mustTargets(tb testing.TB, in portfolio.TargetInput) portfolio.Targets {
	tb.Helper()
	t, err := portfolio.NewTargets(in)
	if err != nil {
		tb.Fatalf("NewTargets: %v", err)
	}
	return t
}

// mustPlan plans or fails the test.
func mustPlan(tb testing.TB, cur []broker.Position, t portfolio.Targets, at time.Time) portfolio.PlanResult {
	tb.Helper()
	p, err := portfolio.Plan(cur, t, at, t.Config)
	if err != nil {
		tb.Fatalf("Plan: %v", err)
	}
	return p
}

// pos is a position of the account.
func pos(c broker.Contract, qty int64) broker.Position {
	return broker.Position{Account: account, Contract: c, Quantity: qty}
}

// signedOrders maps each order's local symbol to its signed quantity.
func signedOrders(p portfolio.PlanResult) map[string]int64 {
	m := map[string]int64{}
	for _, o := range p.Orders {
		q := o.Quantity
		if o.Side == broker.Sell {
			q = -q
		}
		m[o.Contract.LocalSymbol] += q
	}
	return m
}

// equalCounts compares signed order maps.
func equalCounts(got, want map[string]int64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
