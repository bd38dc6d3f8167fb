package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
)

// hostile is text from outside rotor that lands in the log: a rejected
// message's excerpt. The pages must show it, escaped.
const hostile = `<script>alert("pwned")</script><img src=x onerror=alert(1)>`

// fixture is a small audit log written the way the portfolio service writes
// one, with the real payload types: days of signal, plan and risk decision,
// trades on two of them, and one hostile rejected message.
type fixture struct {
	Path     string
	Events   []string // event ids, oldest first
	Traded   string   // an event whose plan traded (RTY and M2K bought)
	Sold     string   // an event whose plan sold RTY
	Rejected int64    // the seq of the signal_rejected row
	Fills    int      // fill rows written
	Days     []time.Time
}

var sectors = []string{"XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"}

// writeFixture writes the fixture's log into a fresh directory and returns
// it; the test opens the log itself (read-only, as the server does).
func writeFixture(tb testing.TB, days int) fixture {
	tb.Helper()
	ctx := context.Background()
	fx := fixture{Path: filepath.Join(tb.TempDir(), "audit.db")}
	now := time.Date(2025, 3, 3, 21, 45, 0, 0, time.UTC)
	l, err := audit.Open(ctx, fx.Path, audit.Options{Now: func() time.Time { now = now.Add(time.Second); return now }})
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	must := func(recs []audit.Record, err error) []audit.Record {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return recs
	}
	const account = "DU1000001"
	rty := broker.Contract{ConID: 616507031, Symbol: "RTY", LocalSymbol: "RTYM5", SecType: "FUT", Exchange: "CME", Currency: "USD", Multiplier: 50}
	m2k := broker.Contract{ConID: 296431014, Symbol: "M2K", LocalSymbol: "M2KM5", SecType: "FUT", Exchange: "CME", Currency: "USD", Multiplier: 5}
	held := map[string]int64{}
	nlv := decimal.NewFromInt(1_000_000)
	execs := 0
	for d := range days {
		dayStart := time.Date(2025, 3, 3+d, 21, 45, 0, 0, time.UTC)
		now = dayStart
		fx.Days = append(fx.Days, dayStart)
		asOf := dayStart.Format(time.DateOnly)
		px := 2000 + 10*float64(d)
		ev := fixtureEvent(d, days, asOf, px)
		fx.Events = append(fx.Events, ev.ID)
		planID := fmt.Sprintf("%016x", 0xabc000+d)
		mustMarshal := func(v any) json.RawMessage {
			b, err := json.Marshal(v)
			if err != nil {
				tb.Fatal(err)
			}
			return b
		}
		must(nil, appendOne(ctx, l, audit.Entry{Kind: state.KindRiskMarks, Account: account,
			Payload: state.Marks{Day: asOf, DayStartNLV: nlv, HighWaterMark: nlv}}))

		var orders []portfolio.PlannedOrder
		switch d {
		case 2:
			fx.Traded = ev.ID
			orders = []portfolio.PlannedOrder{
				{OrderRequest: broker.OrderRequest{Ref: "rotor-" + planID + "-M2K-M2KM5-target", Contract: m2k, Side: broker.Buy, Quantity: 3, Type: "MKT"}, Root: "M2K", Leg: portfolio.LegTarget, Current: 0, Target: 3, Reason: "target 3 contracts"},
				{OrderRequest: broker.OrderRequest{Ref: "rotor-" + planID + "-RTY-RTYM5-target", Contract: rty, Side: broker.Buy, Quantity: 2, Type: "MKT"}, Root: "RTY", Leg: portfolio.LegTarget, Current: 0, Target: 2, Reason: "target 2 contracts"},
			}
		case 4:
			fx.Sold = ev.ID
			orders = []portfolio.PlannedOrder{
				{OrderRequest: broker.OrderRequest{Ref: "rotor-" + planID + "-RTY-RTYM5-target", Contract: rty, Side: broker.Sell, Quantity: 1, Type: "MKT"}, Root: "RTY", Leg: portfolio.LegTarget, Current: 2, Target: 1, Reason: "target 1 contract"},
			}
		}
		var positions []broker.Position
		for _, c := range []broker.Contract{m2k, rty} {
			if q := held[c.Symbol]; q != 0 {
				positions = append(positions, broker.Position{Account: account, Contract: c, Quantity: q, AvgCost: decimal.NewFromFloat(px * float64(c.Multiplier))})
			}
		}
		price := decimal.NewFromFloat(px)
		for i := range orders {
			orders[i].Price = price
			orders[i].Notional = price.Mul(decimal.NewFromInt(orders[i].Contract.Multiplier * orders[i].Quantity))
		}
		plan := service.PlanPayload{Mode: service.Paper,
			Market: service.Market{Account: broker.Account{ID: account, Currency: "USD", NetLiquidation: nlv, UpdatedAt: dayStart},
				Positions: positions, Prices: map[string]service.Quote{"RTY": {Price: price, At: dayStart, Bar: asOf}, "M2K": {Price: price, At: dayStart, Bar: asOf}}},
			Targets: portfolio.Targets{EventID: ev.ID, AsOf: asOf, Regime: ev.Regime, Account: account, NLV: nlv},
			Plan:    portfolio.PlanResult{PlanID: planID, EventID: ev.ID, Account: account, AsOf: dayStart, Orders: orders}}
		dec := risk.Decision{At: dayStart, Orders: []risk.OrderDecision{}}
		for i, o := range orders {
			od := risk.OrderDecision{Order: o.OrderRequest, Approved: o.Quantity, Action: risk.ActionApprove, Price: price, Notional: o.Notional,
				Verdicts: []risk.Verdict{{Code: risk.CodeOK, Action: risk.ActionApprove, OrderRef: o.Ref, Message: "every limit holds"}}}
			if i == 1 { // risk trims the RTY buy to show a scale verdict
				od.Approved, od.Action = 1, risk.ActionScale
				od.Verdicts = []risk.Verdict{{Code: "GROSS_LEVERAGE", Action: risk.ActionScale, OrderRef: o.Ref, Unit: "x",
					Limit: decimal.NewFromFloat(0.5), Actual: decimal.NewFromFloat(0.6), Message: "gross leverage 0.6x over the limit 0.5x: scaled to 1"}}
			}
			dec.Orders = append(dec.Orders, od)
			dec.Verdicts = append(dec.Verdicts, od.Verdicts...)
		}
		received := service.ReceivedPayload{Mode: service.Paper, StreamSeq: uint64(d + 1), AsOf: asOf, Regime: ev.Regime, Score: ev.Score, Event: mustMarshal(ev)}
		batch := []audit.Entry{
			{Kind: audit.KindSignalReceived, EventID: ev.ID, Account: account, Payload: received},
			{Kind: audit.KindPlan, EventID: ev.ID, PlanID: planID, Account: account, Payload: plan},
			{Kind: audit.KindRiskDecision, EventID: ev.ID, PlanID: planID, Account: account, Payload: dec},
		}
		for i, od := range dec.Orders {
			o := orders[i]
			req := od.Order
			req.Quantity = od.Approved
			batch = append(batch, audit.Entry{Kind: audit.KindOrderIntent, EventID: ev.ID, PlanID: planID, OrderRef: o.Ref, Instrument: o.Root, Account: account,
				Payload: service.IntentPayload{Mode: service.Paper, Request: req, Root: o.Root, Leg: o.Leg, Proposed: o.Quantity, Current: o.Current, Target: o.Target,
					Price: price, Notional: o.Notional, At: dayStart}})
		}
		must(l.AppendBatch(ctx, batch))
		for _, od := range dec.Orders {
			execs++
			ref, c := od.Order.Ref, od.Order.Contract
			base := audit.Entry{PlanID: planID, OrderRef: ref, BrokerOrderID: int64(execs), PermID: 1_000_000_000 + int64(execs), Instrument: c.Symbol, Account: account}
			fillPx := price.Add(decimal.NewFromFloat(0.2))
			execID := fmt.Sprintf("exec.%04d", execs)
			for _, e := range []audit.Entry{
				with(base, audit.KindOrderSent, service.SentPayload{OrderID: base.BrokerOrderID, PermID: base.PermID, Status: broker.StatusSubmitted}),
				with(base, audit.KindOrderStatus, service.StatusPayload{Status: broker.StatusSubmitted, Remaining: od.Approved}),
				with(base, audit.KindFill, state.FillPayload{ExecID: execID, ContractKey: c.Key(), LocalSymbol: c.LocalSymbol, ConID: c.ConID,
					Side: od.Order.Side, Quantity: od.Approved, Price: fillPx, Time: dayStart.Add(time.Minute)}),
				with(base, audit.KindOrderStatus, service.StatusPayload{Status: broker.StatusFilled, Filled: od.Approved, AvgFillPrice: fillPx, Final: true}),
				with(base, service.KindCommission, service.CommissionPayload{ExecID: execID, Commission: decimal.NewFromFloat(2.25), Currency: "USD"}),
			} {
				must(nil, appendOne(ctx, l, e))
			}
			fx.Fills++
			if od.Order.Side == broker.Buy {
				held[c.Symbol] += od.Approved
			} else {
				held[c.Symbol] -= od.Approved
			}
		}
		nlv = nlv.Add(decimal.NewFromInt(int64(1500 * (d%3 - 1))))
		if d == 1 {
			rec, err := l.Append(ctx, audit.Entry{Kind: audit.KindSignalRejected, Account: account, Payload: service.RejectionPayload{
				Reason: admit.Reason("bad_signature"), Detail: "signature does not verify " + hostile, Subject: "rotor.signals.leadership",
				StreamSeq: 99, Delivered: 1, Size: len(hostile), ClaimedID: "deadbeef", Excerpt: hostile}})
			if err != nil {
				tb.Fatal(err)
			}
			fx.Rejected = rec.Seq
		}
	}
	return fx
}

func with(e audit.Entry, kind string, payload any) audit.Entry {
	e.Kind, e.Payload = kind, payload
	return e
}

func appendOne(ctx context.Context, l *audit.Log, e audit.Entry) error {
	_, err := l.Append(ctx, e)
	return err
}

// fixtureEvent is day d's signal: lagging, then neutral, then leadership on
// the last day, with all eleven sectors, the micro-cap and the zone.
func fixtureEvent(d, days int, asOf string, px float64) signals.Event {
	cfg := signals.DefaultConfig()
	bench := 0.05 + 0.01*float64(d)
	rs := signals.RelativeStrength{LookbackDays: cfg.Lookback, From: "2024-12-01", Benchmark: cfg.Benchmark, BenchmarkReturn: bench,
		Sectors: map[string]signals.SectorStrength{}, SectorsTotal: len(sectors), Missing: []string{}}
	sum := 0.0
	for i, s := range sectors {
		ret := 0.03 + 0.006*float64(i) - 0.004*float64(d)
		sp := bench - ret
		rs.Sectors[s] = signals.SectorStrength{Return: ret, Spread: sp}
		if sp > 0 {
			rs.SectorsBeaten++
		}
		sum += sp
	}
	rs.MeanSpread = sum / float64(len(sectors))
	rs.BeatsAll = rs.SectorsBeaten == rs.SectorsTotal
	regime := signals.Lagging
	switch {
	case d == days-1:
		regime = signals.Leadership
	case d >= 2:
		regime = signals.Neutral
	}
	low := 40.0
	closeMC := 52 + 1.5*float64(d)
	mc := signals.Microcap{Symbol: cfg.Microcap, Low: low, LowDate: "2024-09-03", Close: closeMC, PctOffLow: closeMC/low - 1,
		WindowDays: cfg.MicrocapLowWindow, Threshold: cfg.ThrustThreshold}
	mc.Thrust = mc.PctOffLow >= mc.Threshold
	res := signals.Resistance{ZoneLow: 2240, ZoneHigh: 2290, TopK: 5, Close: px / 10 * 1.1, Status: signals.Below, Band: 0.03,
		Window: signals.Window{From: "2021-01-04", To: "2022-12-30"}}
	return signals.Event{Schema: signals.Schema, ID: fmt.Sprintf("%032x", 0xe0e0+d), AsOf: asOf, Regime: regime, Score: 0.3 + 0.1*float64(d),
		RelativeStrength: rs, Microcap: mc, Resistance: res, Hysteresis: signals.Hysteresis{Target: regime, MinDays: 2, Since: asOf}}
}
