package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
)

// TestClusterTwoAccountsSurviveANodeLoss runs the deployment past one
// machine: a three-node JetStream cluster with the signals stream
// replicated three times, two signal publishers publishing the same events
// (as workers of a queue group do), and two portfolio services, one per
// account, each with its own durable consumer and paper broker. The stream's
// leader is killed in the middle of a burst of events. Every event is
// handled exactly once per account, and each account's orders are exactly
// the one plan the first event calls for.
func TestClusterTwoAccountsSurviveANodeLoss(t *testing.T) {
	ctx := context.Background()
	r := newReplicated(t)
	accounts := []*paperAccount{r.startAccount(t, "DU1000001", 1), r.startAccount(t, "DU1000002", 2)}

	// The burst: the day's event and eleven more of the same day, each
	// published by both workers.
	evs := rigEvents(t)
	first := evs[len(evs)-1]
	if first.Regime != signals.Leadership {
		t.Fatalf("the rig's latest event is %s", first.Regime)
	}
	const n = 12
	pubs := []*jetstream.Publisher{
		jetstream.NewPublisher(r.connect(t, "worker-1"), jetstream.PublisherConfig{AckWait: 500 * time.Millisecond}),
		jetstream.NewPublisher(r.connect(t, "worker-2"), jetstream.PublisherConfig{AckWait: 500 * time.Millisecond}),
	}
	var killed string
	start := time.Now()
	for i := range n {
		ev := first
		if i > 0 {
			ev = another(first, i)
		}
		if err := signals.Sign(&ev, r.signer); err != nil {
			t.Fatal(err)
		}
		data, _ := signals.MarshalEvent(ev)
		if i == n/2 {
			killed = r.killLeader(t)
		}
		for _, p := range pubs {
			if _, err := p.Publish(ctx, service.DefaultSubject, ev.ID, data, nil); err != nil {
				t.Fatalf("publish event %d: %v", i, err)
			}
		}
	}

	t.Logf("burst published in %v", time.Since(start))
	for _, a := range accounts {
		checkFor(t, 60*time.Second, 20*time.Millisecond, func() error {
			c, err := a.js.Consumer(ctx, jetstream.DefaultStreamName, "rotor-portfolio-"+a.id)
			if err != nil {
				return err
			}
			info, err := c.Info(ctx)
			if err != nil {
				return err
			}
			if info.NumPending != 0 || info.NumAckPending != 0 || info.AckFloor.Stream < n {
				return fmt.Errorf("%s: pending %d, ack pending %d, ack floor %d", a.id, info.NumPending, info.NumAckPending, info.AckFloor.Stream)
			}
			return nil
		})
		t.Logf("%s settled after %v", a.id, time.Since(start))
		received := rows(t, a.log, audit.KindSignalReceived)
		ids := map[string]bool{}
		for _, r := range received {
			ids[r.EventID] = true
		}
		if len(received) != n || len(ids) != n {
			t.Errorf("%s: %d events received (%d distinct), want %d once each", a.id, len(received), len(ids), n)
		}
		intents := rows(t, a.log, audit.KindOrderIntent)
		byRef := a.brokerRefs()
		if len(intents) == 0 || len(byRef) != len(intents) {
			t.Fatalf("%s: %d intents, broker refs %v", a.id, len(intents), byRef)
		}
		for _, in := range intents {
			if in.EventID != first.ID || byRef[in.OrderRef] != 1 {
				t.Errorf("%s: intent %s of event %s is at the broker %d times; only the first event should trade, once",
					a.id, in.OrderRef, in.EventID, byRef[in.OrderRef])
			}
		}
		plan := payload[service.PlanPayload](t, rows(t, a.log, audit.KindPlan)[0])
		for _, rt := range plan.Targets.Roots {
			if got, _ := a.sim.Engine().PositionOf(rt.Contract.ConID); rt.Contract.ConID != 0 && got != rt.Contracts {
				t.Errorf("%s: %s holds %d, target %d", a.id, rt.Contract.LocalSymbol, got, rt.Contracts)
			}
		}
	}
	info, err := r.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != n || info.Cluster.Leader == killed {
		t.Fatalf("the stream holds %d events (want %d), leader %s (killed %s)", info.State.Msgs, n, info.Cluster.Leader, killed)
	}
}
