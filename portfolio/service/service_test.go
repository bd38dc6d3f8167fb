package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/portfolio/state"
)

// TestEventToPositions runs the whole path: an event published on JetStream
// → plan → risk → write-ahead intents → orders over the TWS protocol → fills
// → positions at the broker equal to the targets, and an audit log that
// tells the story and verifies. The same event again (a replay under another
// message id) places nothing.
func TestEventToPositions(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	w.start(t, w.config(w.broker(t, 1), l))
	ev := w.latest(t)
	w.publish(t, ev)
	w.consumerSettled(t, 1)

	plans := rows(t, l, audit.KindPlan)
	if len(plans) != 1 || plans[0].EventID != ev.ID {
		t.Fatalf("plan rows: %+v", plans)
	}
	// The day's first marks are committed with the decision, not on their
	// own: one commit (one fsync) before the orders go out.
	marks, received := rows(t, l, state.KindRiskMarks), rows(t, l, audit.KindSignalReceived)
	if len(marks) != 1 || len(received) != 1 || marks[0].Seq+1 != received[0].Seq || !marks[0].Time.Equal(received[0].Time) {
		t.Errorf("the marks (%+v) are not written in the decision's batch (%+v)", marks, received)
	}
	plan := payload[service.PlanPayload](t, plans[0])
	intents := rows(t, l, audit.KindOrderIntent)
	if len(intents) == 0 {
		t.Fatalf("no order intents for a leadership event: plan %+v", plan.Plan)
	}
	t.Logf("%d intents; targets %s long %s", len(intents), plan.Targets.Regime, plan.Targets.LongNotional)
	// Every intent is committed before its order reached the broker.
	sent := rows(t, l, audit.KindOrderSent)
	if len(sent) != len(intents) {
		t.Fatalf("%d intents, %d order_sent rows", len(intents), len(sent))
	}
	byRef := w.brokerOrdersByRef()
	for i, in := range intents {
		if byRef[in.OrderRef] != 1 {
			t.Errorf("intent %s: %d orders at the broker, want 1", in.OrderRef, byRef[in.OrderRef])
		}
		if sent[i].Seq < in.Seq {
			t.Errorf("order_sent row %d before its intent %d", sent[i].Seq, in.Seq)
		}
	}
	// The broker's positions are the targets.
	checkFor(t, 10e9, 20e6, func() error {
		for _, rt := range plan.Targets.Roots {
			got, _ := w.sim.Engine().PositionOf(rt.Contract.ConID)
			if rt.Contract.ConID != 0 && got != rt.Contracts {
				return fmt.Errorf("%s: broker holds %d, target %d", rt.Contract.LocalSymbol, got, rt.Contracts)
			}
		}
		return nil
	})
	// Every order reached a final state and every execution was recorded once.
	checkFor(t, 10e9, 20e6, func() error {
		open, err := l.IntentsWithoutFinalState(context.Background())
		if err != nil || len(open) != 0 {
			return fmt.Errorf("intents without a final state: %d (%v)", len(open), err)
		}
		if got, want := len(rows(t, l, audit.KindFill)), len(w.sim.Engine().Executions()); got != want {
			return fmt.Errorf("%d fill rows, broker has %d executions", got, want)
		}
		return nil
	})
	story, err := l.Story(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range story {
		kinds[r.Kind]++
	}
	for _, k := range []string{audit.KindSignalReceived, audit.KindPlan, audit.KindRiskDecision, audit.KindOrderIntent, audit.KindOrderSent, audit.KindOrderStatus, audit.KindFill} {
		if kinds[k] == 0 {
			t.Errorf("the event's story has no %s row: %v", k, kinds)
		}
	}

	// A replay of the same event (another message id) is recognised.
	before := len(w.sim.Engine().Orders())
	signed := ev
	w.publish(t, signed) // same id: dropped by the stream's duplicate window
	data := mustMarshalSigned(t, w, ev)
	w.publishRaw(t, ev.ID+"-replayed", data)
	w.consumerSettled(t, 2)
	if after := len(w.sim.Engine().Orders()); after != before {
		t.Fatalf("a replayed event placed %d more orders", after-before)
	}
	if n := len(rows(t, l, audit.KindPlan)); n != 1 {
		t.Fatalf("%d plan rows after the replay, want 1", n)
	}
	if _, err := l.Verify(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// TestDryRunRoutesNothing: in dry-run mode the event is decided and recorded
// (signal_received, plan, risk_decision) and nothing reaches the broker.
func TestDryRunRoutesNothing(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	cfg := w.config(w.broker(t, 1), l)
	cfg.Mode = service.DryRun
	w.start(t, cfg)
	ev := w.latest(t)
	w.publish(t, ev)
	w.consumerSettled(t, 1)
	for _, k := range []string{audit.KindSignalReceived, audit.KindPlan, audit.KindRiskDecision} {
		if n := len(rows(t, l, k)); n != 1 {
			t.Errorf("%d %s rows, want 1", n, k)
		}
	}
	if n := len(rows(t, l, audit.KindOrderIntent)); n != 0 {
		t.Errorf("%d order intents in dry-run mode", n)
	}
	plan := payload[service.PlanPayload](t, rows(t, l, audit.KindPlan)[0])
	if len(plan.Plan.Orders) == 0 || plan.Mode != service.DryRun {
		t.Fatalf("dry run planned %d orders in mode %s; the rig's event should trade", len(plan.Plan.Orders), plan.Mode)
	}
	if n := len(w.sim.Engine().Orders()); n != 0 {
		t.Fatalf("%d orders reached the broker in dry-run mode", n)
	}
}

// TestPaperModeRefusesLiveAccount: the paper interlock at the service's
// door, before any broker is asked anything.
func TestPaperModeRefusesLiveAccount(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(w.broker(t, 1), w.openLog(t))
	cfg.Account = "U1234567"
	_, err := service.New(cfg)
	if !errors.Is(err, service.ErrConfig) || !strings.Contains(err.Error(), "paper") {
		t.Fatalf("New with a live account in paper mode: %v", err)
	}
	cfg.Mode = service.DryRun
	if _, err := service.New(cfg); err != nil {
		t.Fatalf("a dry run may preview a live account: %v", err)
	}
}
