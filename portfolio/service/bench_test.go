package service_test

import (
	"context"
	"fmt"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/risk"
)

// BenchmarkEventToOrder is the latency harness of the durable path: an
// event published on JetStream (file store) → delivered to the service
// (arrived) → decoded, verified and checked (admitted) → sized and
// risk-checked (received, decided) → intents committed, fsync'd, under the
// guards that deduplicate it (recorded) → rotor's first order read off the
// paper broker's socket (on_socket, the headline p50/p99/p999; timed on the
// broker's reading goroutine once it has decoded the order, as
// BenchmarkFloor times its frame on the goroutine that reads it) → the
// first fill's row committed (filled). Each stage's own time is reported too
// (stage-…), so a regression shows where it happened. Between iterations
// (untimed) another client flattens the book so that every event trades
// again, and the benchmark waits so that the service's client stays under
// IB's 50 messages a second, as a day's single event does.
//
// Each event is preceded, after the same pause, by one through the floor of
// the path (see floorPath) in the same world, so the two see the same
// machine at the same moment: floor-p50-µs and the like, and x-floor-p50,
// rotor's median over the floor's.
//
// Run with -trace, every stage is a runtime/trace log message ("step"),
// with "publish" and the broker's "on_socket", so `go tool trace` shows
// each event's goroutines between them.
func BenchmarkEventToOrder(b *testing.B) {
	w := newWorld(b)
	l := w.openLog(b)
	manual := w.manual(b, 9)
	cfg := w.config(w.broker(b, 1), l)
	cfg.Limits = risk.DefaultLimits()
	cfg.Limits.MaxOrdersPerMinute = 1 << 20 // the benchmark trades far faster than a day's rebalance
	var mu sync.Mutex
	stepAt := map[service.Step]time.Time{}
	cfg.Step = func(s service.Step) {
		trace.Log(context.Background(), "step", string(s))
		mu.Lock()
		if _, ok := stepAt[s]; !ok {
			stepAt[s] = time.Now()
		}
		mu.Unlock()
	}
	w.start(b, cfg)
	floor := newFloorPath(b, w)
	var floorLat []time.Duration
	ev := w.latest(b)
	stages := []service.Step{service.StepArrived, service.StepAdmitted, service.StepReceived, service.StepDecided, service.StepRecorded, "on_socket", service.StepFilled}
	cum := map[service.Step][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		flatten(b, w, manual, i)
		floor.ready(b)
		time.Sleep(250 * time.Millisecond)
		floorLat = append(floorLat, floor.once(b, i))
		time.Sleep(250 * time.Millisecond)
		data := mustMarshalSigned(b, w, another(ev, i+100))
		mu.Lock()
		clear(stepAt)
		mu.Unlock()
		b.StartTimer()
		start := time.Now()
		trace.Log(context.Background(), "step", "publish")
		w.publishRaw(b, fmt.Sprintf("bench-%d", i), data)
		onSocket := awaitRotorOrder(b, w)
		b.StopTimer()
		checkFor(b, 10*time.Second, 50*time.Microsecond, func() error {
			mu.Lock()
			defer mu.Unlock()
			if stepAt[service.StepFilled].IsZero() {
				return fmt.Errorf("no fill recorded")
			}
			return nil
		})
		mu.Lock()
		stepAt["on_socket"] = onSocket
		for _, s := range stages {
			cum[s] = append(cum[s], stepAt[s].Sub(start))
		}
		mu.Unlock()
		w.consumerSettled(b, uint64(i+1))
	}
	p50 := reportQuantiles(b, "", cum["on_socket"])
	floorP50 := reportQuantiles(b, "floor-", floorLat)
	b.ReportMetric(float64(p50)/float64(floorP50), "x-floor-p50")
	prev := make([]time.Duration, b.N)
	for _, s := range stages {
		own := make([]time.Duration, b.N)
		for i, d := range cum[s] {
			own[i] = d - prev[i]
		}
		prev = cum[s]
		reportQuantiles(b, "stage-"+string(s)+"-", own)
	}
}

// reportQuantiles reports the median, 99th and 99.9th percentiles of ds
// in µs (with fewer than 1000 samples, p999 is the largest) and returns the
// median.
func reportQuantiles(b *testing.B, prefix string, ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), prefix+"p50-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), prefix+"p99-µs")
	b.ReportMetric(float64(ds[len(ds)*999/1000].Microseconds()), prefix+"p999-µs")
	return ds[len(ds)/2]
}

// awaitRotorOrder waits for the next order of rotor's on the broker's
// socket and returns when the broker had read it.
func awaitRotorOrder(tb testing.TB, w *world) time.Time {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case o := <-w.orders:
			if strings.HasPrefix(o.ref, "rotor-") {
				return o.at
			}
		case <-timeout:
			tb.Fatal("no order of rotor's reached the broker in 30s")
		}
	}
}

// flatten closes every position with market orders from another client and
// waits until the book is flat and the order channel is drained. The
// client's view of the positions may not hold rotor's latest fill yet, so
// it tries again (with the view as it is then) until the paper broker's
// book is flat.
func flatten(tb testing.TB, w *world, c broker.Broker, i int) {
	tb.Helper()
	ctx := context.Background()
	flat := func() error {
		for _, p := range w.sim.Engine().Positions() {
			if p.Quantity != 0 {
				return fmt.Errorf("%s still %d", p.Listing.LocalSymbol, p.Quantity)
			}
		}
		return nil
	}
	for attempt := 0; flat() != nil; attempt++ {
		if attempt == 5 {
			tb.Fatalf("the book is not flat after %d rounds of closing orders: %v", attempt, flat())
		}
		pos, err := c.Positions(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for j, p := range pos {
			if p.Quantity == 0 {
				continue
			}
			side := broker.Sell
			if p.Quantity < 0 {
				side = broker.Buy
			}
			q := p.Quantity
			if q < 0 {
				q = -q
			}
			if _, err := c.PlaceOrder(ctx, broker.OrderRequest{Ref: fmt.Sprintf("flatten-%d-%d-%d", i, attempt, j), Contract: p.Contract, Side: side, Quantity: q, Type: broker.Market}); err != nil {
				tb.Fatal(err)
			}
		}
		deadline := time.Now().Add(2 * time.Second)
		for flat() != nil && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	for {
		select {
		case <-w.orders:
		default:
			return
		}
	}
}

// BenchmarkPlanAndRisk200 is sizing, planning and the risk check for a book
// of 200 futures positions (13 or 14 expiries of each of the 15 roots, most
// of them other strategies').
func BenchmarkPlanAndRisk200(b *testing.B) {
	ev := rigEvents(b)[len(rigEvents(b))-1]
	roots := broker.InstrumentRoots()
	var positions []broker.Position
	prices := map[string]decimal.Decimal{}
	contracts := map[string]broker.Contract{}
	var riskPrices []risk.Price
	for i := 0; len(positions) < 200; i++ {
		root := roots[i%len(roots)]
		inst, _ := broker.LookupInstrument(root)
		expiry := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC).AddDate(0, 3*(i/len(roots)), 0)
		c := broker.Contract{ConID: int64(1000 + i), Symbol: root, LocalSymbol: broker.LocalSymbol(root, expiry), SecType: broker.Future,
			Exchange: inst.Exchange, Currency: "USD", Expiry: expiry, Multiplier: inst.Multiplier}
		if _, ok := contracts[root]; !ok && i >= len(roots) {
			contracts[root] = c // the second expiry is the one to hold
		}
		positions = append(positions, broker.Position{Account: rigAccount, Contract: c, Quantity: int64(i%7 - 3)})
		if _, ok := prices[root]; !ok {
			prices[root] = decimal.NewFromInt(int64(100 + 10*(i%len(roots))))
			riskPrices = append(riskPrices, risk.Price{Root: root, Value: prices[root], Time: rigNow})
		}
	}
	for _, root := range roots {
		if _, ok := contracts[root]; !ok {
			b.Fatalf("no contract for %s", root)
		}
	}
	cfg := portfolio.DefaultSleeve()
	cfg.VolTarget = 0
	nlv := decimal.NewFromInt(50_000_000)
	margins := map[string]decimal.Decimal{}
	for _, r := range roots {
		margins[r] = decimal.NewFromInt(10_000)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := portfolio.NewTargets(portfolio.TargetInput{Event: ev, Account: rigAccount, NLV: nlv, Prices: prices, Contracts: contracts, Config: cfg})
		if err != nil {
			b.Fatal(err)
		}
		plan, err := portfolio.Plan(positions, t, rigNow, cfg)
		if err != nil {
			b.Fatal(err)
		}
		d := risk.Check(risk.Input{Now: rigNow, Limits: risk.DefaultLimits(), Account: broker.Account{ID: rigAccount, NetLiquidation: nlv},
			Positions: positions, Orders: plan.Requests(), Prices: riskPrices, InitialMargin: margins, EventTime: rigNow,
			DayStartNLV: nlv, HighWaterMark: nlv})
		if len(d.Orders) != len(plan.Orders) {
			b.Fatal("decision and plan differ")
		}
	}
}
