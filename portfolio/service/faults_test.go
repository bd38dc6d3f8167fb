package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
)

// another returns ev under another id: a second event of the same day, for
// tests that need several fresh events.
func another(ev signals.Event, n int) signals.Event {
	ev.ID = fmt.Sprintf("%024x%08x", 0xfeed, n)
	return ev
}

// TestSocketDroppedWithOrderInFlight drops the broker's socket right after
// it accepted the first order and before it acknowledged it: the outcome is
// unknown, the event stays unacknowledged, and when the adapter has
// reconnected the redelivery finds the order by reference instead of sending
// it again.
func TestSocketDroppedWithOrderInFlight(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	w.start(t, w.config(w.broker(t, 1), l))
	w.sim.DropAfterNextOrder()
	ev := w.latest(t)
	w.publish(t, ev)
	w.consumerSettled(t, 1)

	intents := rows(t, l, audit.KindOrderIntent)
	byRef := w.brokerOrdersByRef()
	for _, in := range intents {
		if byRef[in.OrderRef] != 1 {
			t.Errorf("%s: %d orders at the broker, want 1", in.OrderRef, byRef[in.OrderRef])
		}
	}
	if len(byRef) != len(intents) || len(intents) == 0 {
		t.Fatalf("broker refs %v, %d intents", byRef, len(intents))
	}
	resolved := 0
	for _, r := range rows(t, l, audit.KindOrderSent) {
		if payload[service.SentPayload](t, r).Resolved {
			resolved++
		}
	}
	if len(rows(t, l, audit.KindError)) == 0 {
		t.Error("the unresolved first attempt left no error row")
	}
	reconnected := false
	for _, r := range rows(t, l, audit.KindReconcile) {
		if payload[service.ReconcilePayload](t, r).Trigger != "start" {
			reconnected = true
		}
	}
	if !reconnected {
		t.Error("no reconciliation after the adapter reconnected")
	}
	t.Logf("%d intents, %d order_sent rows resolved by lookup", len(intents), resolved)
}

// TestPositionMismatchBlocksUntilAcknowledged: a trade in RTY that rotor did
// not make (another client) is found by reconciliation, blocks RTY (risk
// rejects its orders) until an operator acknowledges the broker's position.
func TestPositionMismatchBlocksUntilAcknowledged(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	manual := w.manual(t, 9)
	rty, err := manual.ResolveFuture(context.Background(), "RTY", rigNow, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := manual.PlaceOrder(context.Background(), broker.OrderRequest{Ref: "manual-1", Contract: rty, Side: broker.Buy, Quantity: 2, Type: broker.Market}); err != nil {
		t.Fatal(err)
	}
	w.start(t, w.config(w.broker(t, 1), l))
	blocked, err := state.Blocked(context.Background(), l, rigAccount)
	if err != nil || blocked["RTY"] == "" {
		t.Fatalf("RTY not blocked after reconciling a foreign trade: %v %v", blocked, err)
	}
	ev := w.latest(t)
	w.publish(t, ev)
	w.consumerSettled(t, 1)
	dec := payload[risk.Decision](t, rows(t, l, audit.KindRiskDecision)[0])
	sawBlocked := false
	for _, o := range dec.Orders {
		if strings.Contains(o.Order.Ref, "-RTY-") {
			if o.Approved != 0 || o.Verdicts[0].Code != risk.CodeInstrumentBlocked {
				t.Errorf("RTY order %s approved %d with %+v while RTY is blocked", o.Order.Ref, o.Approved, o.Verdicts)
			}
			sawBlocked = true
		}
	}
	if !sawBlocked {
		t.Fatalf("the plan had no RTY order to block: %+v", dec.Orders)
	}

	if _, err := state.AckPositions(context.Background(), l, rigAccount, "RTY", "tester", "manual trade, keep it"); err != nil {
		t.Fatal(err)
	}
	w.publish(t, another(ev, 1))
	w.consumerSettled(t, 2)
	decs := rows(t, l, audit.KindRiskDecision)
	dec = payload[risk.Decision](t, decs[len(decs)-1])
	for _, o := range dec.Orders {
		for _, v := range o.Verdicts {
			if v.Code == risk.CodeInstrumentBlocked {
				t.Errorf("still blocked after the acknowledgement: %+v", o)
			}
		}
	}
}

// TestKillSwitchTripsCancelsAndHoldsUntilReset: a loss beyond the daily limit
// trips the kill switch from the monitor, rotor's working orders are
// cancelled, the next event adds nothing, and after `rotor risk reset` an
// event trades again.
func TestKillSwitchTripsCancelsAndHoldsUntilReset(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	b := w.broker(t, 1)
	cfg := w.config(b, l)
	cfg.MonitorEvery = 20 * time.Millisecond
	w.start(t, cfg)
	ev := w.latest(t)
	w.publish(t, ev)
	w.consumerSettled(t, 1)

	// A resting order of rotor's that the kill switch must cancel.
	resting := placeResting(t, b, "M2K", 1000)
	// Small caps fall 12%: the long sleeve loses more than 3% of the account.
	last := rigSeries["RUT"].Bars[len(rigSeries["RUT"].Bars)-1].Close
	w.sim.SetPrice("RUT", last*0.88)
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		ks, err := state.KillSwitch(context.Background(), l, rigAccount)
		if err != nil || !ks.Tripped {
			return fmt.Errorf("kill switch not tripped: %+v %v", ks, err)
		}
		for _, o := range w.sim.Engine().Orders() {
			if o.Ref == resting.Ref && o.Status.Working() {
				return fmt.Errorf("rotor's resting order is still working")
			}
		}
		return nil
	})

	w.publish(t, another(ev, 1))
	w.consumerSettled(t, 2)
	if !hasPlanVerdict(t, l, risk.CodeKillSwitch) {
		t.Fatal("an event under the tripped kill switch got no KILL_SWITCH verdict")
	}
	// The loss recovers before the operator resets. A monitor pass that
	// read the account before the recovery trips the switch again, as it
	// should; the operator then resets again.
	w.sim.SetPrice("RUT", last)
	checkFor(t, 10*time.Second, 10*cfg.MonitorEvery, func() error {
		ks, err := state.KillSwitch(context.Background(), l, rigAccount)
		if err != nil {
			return err
		}
		if ks.Tripped {
			if _, err := state.ResetKillSwitch(context.Background(), l, rigAccount, "tester", "loss understood", rigNow); err != nil {
				return err
			}
			return fmt.Errorf("reset; checking that it holds")
		}
		return nil
	})
	w.publish(t, another(ev, 2))
	w.consumerSettled(t, 3)
	if hasPlanVerdict(t, l, risk.CodeKillSwitch) {
		t.Fatal("KILL_SWITCH verdict after the reset")
	}
}

// hasPlanVerdict reports whether the latest risk decision has a verdict with
// code c.
func hasPlanVerdict(tb testing.TB, l *audit.Log, c risk.Code) bool {
	decs := rows(tb, l, audit.KindRiskDecision)
	for _, v := range payload[risk.Decision](tb, decs[len(decs)-1]).Verdicts {
		if v.Code == c {
			return true
		}
	}
	return false
}

// TestWorkingOrderHoldsBackItsRoot: while an order of rotor's still works in
// RTY, the plan's RTY orders are held back (recorded with the reason) and
// the rest of the plan goes out.
func TestWorkingOrderHoldsBackItsRoot(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	b := w.broker(t, 1)
	w.start(t, w.config(b, l))
	resting := placeResting(t, b, "RTY", 100)
	// The service learns of it from the broker's order events, as it would
	// of an order placed through its client by another rotor process.
	checkFor(t, 10*time.Second, time.Millisecond, func() error {
		for _, r := range rows(t, l, audit.KindOrderStatus) {
			if r.OrderRef == resting.Ref {
				return nil
			}
		}
		return fmt.Errorf("no status of %s recorded", resting.Ref)
	})
	w.publish(t, w.latest(t))
	w.consumerSettled(t, 1)
	plan := payload[service.PlanPayload](t, rows(t, l, audit.KindPlan)[0])
	heldRTY := 0
	for _, h := range plan.HeldBack {
		if !strings.Contains(h.Ref, "-RTY-") || !strings.Contains(h.Reason, resting.Ref) {
			t.Errorf("held back %s: %s", h.Ref, h.Reason)
		}
		heldRTY++
	}
	if heldRTY == 0 {
		t.Fatalf("no RTY order held back while %s works: %+v", resting.Ref, plan.Plan.Orders)
	}
	intents := rows(t, l, audit.KindOrderIntent)
	for _, in := range intents {
		if in.Instrument == "RTY" {
			t.Errorf("an RTY intent %s while RTY has a working order", in.OrderRef)
		}
	}
	if len(intents) == 0 {
		t.Fatal("the M2K leg should still go out")
	}
}

// placeResting places, through b, a buy limit order of rotor's (by its
// reference) in root's contract to hold, far below the market so that it
// rests, and returns it.
func placeResting(tb testing.TB, b broker.Broker, root string, limit int64) broker.OrderRequest {
	tb.Helper()
	c, err := b.ResolveFuture(context.Background(), root, rigNow, 5)
	if err != nil {
		tb.Fatal(err)
	}
	o := broker.OrderRequest{Ref: "rotor-0000000000000000-" + root + "-resting-target", Contract: c, Side: broker.Buy, Quantity: 1,
		Type: broker.Limit, LimitPrice: decimal.NewFromInt(limit)}
	if _, err := b.PlaceOrder(context.Background(), o); err != nil {
		tb.Fatal(err)
	}
	return o
}

// TestLostPullRequestDelaysTheNextEventBriefly loses one of the service's
// pull requests on its way to NATS, as a server that forgets a waiting pull
// does (seen under load, about once in a hundred bursts): the service
// notices the missing heartbeats and pulls again, so the events are handled
// within seconds, not after nats.go's default 30 s.
func TestLostPullRequestDelaysTheNextEventBriefly(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	proxy := newPullDropper(t, strings.TrimPrefix(w.emb.ClientURL(), "nats://"))
	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: proxy.url(), Name: "service via a lossy proxy"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := w.config(w.broker(t, 1), l)
	cfg.JetStream = js
	w.start(t, cfg)

	// The next pull is lost, whichever it is: the one the first event
	// waits for (if the service's first pull has not gone yet) or the one
	// the second waits for. Either way one of them waits on the recovery.
	proxy.dropNextPull()
	start := time.Now()
	ev := w.latest(t)
	w.publish(t, ev)
	select {
	case <-proxy.dropped:
	case <-time.After(10 * time.Second):
		t.Fatal("the service sent no pull request")
	}
	w.publish(t, another(ev, 1))
	w.consumerSettledWithin(t, 2, 10*time.Second-time.Since(start))
	t.Logf("both events settled %v after the first was published", time.Since(start).Round(time.Millisecond))
	if n := len(rows(t, l, audit.KindSignalReceived)); n != 2 {
		t.Fatalf("%d signal_received rows, want 2", n)
	}
}

// TestDeletedConsumerIsCreatedAgain deletes the service's durable consumer
// under it, as an operator's mistake or a recreated stream would: the
// service creates it again and the next event is handled, instead of the
// service staying up but deaf.
func TestDeletedConsumerIsCreatedAgain(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	w.start(t, w.config(w.broker(t, 1), l))
	ctx := context.Background()
	if err := w.js.DeleteConsumer(ctx, jetstream.DefaultStreamName, "rotor-portfolio-"+rigAccount); err != nil {
		t.Fatal(err)
	}
	w.publish(t, w.latest(t))
	checkFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if n := len(rows(t, l, audit.KindSignalReceived)); n != 1 {
			return fmt.Errorf("%d signal_received rows, want 1", n)
		}
		return nil
	})
	w.consumerSettled(t, 1)
}
