package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/portfolio/admit"
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
	cluster, err := jetstream.StartCluster(ctx, "rotor", 3, t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Shutdown()
	connect := func(name string) natsjs.JetStream {
		nc, err := jetstream.Connect(ctx, jetstream.ConnConfig{URL: cluster.ClientURLs(), Name: name, ReconnectWait: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, _ := natsjs.New(nc)
		return js
	}
	js := connect("admin")
	stream, err := jetstream.EnsureStream(ctx, js, jetstream.StreamConfig{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := nkeys.CreateUser()
	trusted, _ := signer.PublicKey()
	clock := func() time.Time { return rigNow }

	type account struct {
		id  string
		sim *ibsim.Server
		log *audit.Log
		js  natsjs.JetStream
	}
	var accounts []*account
	for i, id := range []string{"DU1000001", "DU1000002"} {
		a := &account{id: id, js: connect("portfolio " + id)}
		a.sim = ibsim.New(ibsim.Config{Account: id, Now: clock, Series: rigSeries, Logger: zerolog.Nop()})
		if err := a.sim.Open(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.sim.Close() })
		b := ib.New(ib.Config{Addr: a.sim.Addr(), ClientID: int64(1 + i), Now: clock})
		if err := b.Open(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		if a.log, err = audit.Open(ctx, filepath.Join(t.TempDir(), id+".db"), audit.Options{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.log.Close() })
		s, err := service.New(service.Config{Account: id, Mode: service.Paper, Broker: b, Log: a.log, JetStream: a.js,
			Admit: admit.Policy{Trusted: []string{trusted}}, Now: clock, AckWait: 2 * time.Second,
			RetryDelay: 100 * time.Millisecond, MonitorEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Open(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close(5 * time.Second) })
		accounts = append(accounts, a)
	}

	// The burst: the day's event and eleven more of the same day, each
	// published by both workers.
	evs := rigEvents(t)
	first := evs[len(evs)-1]
	if first.Regime != signals.Leadership {
		t.Fatalf("the rig's latest event is %s", first.Regime)
	}
	const n = 12
	pubs := []*jetstream.Publisher{
		jetstream.NewPublisher(connect("worker-1"), jetstream.PublisherConfig{AckWait: 500 * time.Millisecond}),
		jetstream.NewPublisher(connect("worker-2"), jetstream.PublisherConfig{AckWait: 500 * time.Millisecond}),
	}
	var killed string
	start := time.Now()
	for i := range n {
		ev := first
		if i > 0 {
			ev = another(first, i)
		}
		if err := signals.Sign(&ev, signer); err != nil {
			t.Fatal(err)
		}
		data, _ := signals.MarshalEvent(ev)
		if i == n/2 {
			info, err := stream.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			killed = info.Cluster.Leader
			cluster.Node(killed).Shutdown()
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
		byRef := map[string]int{}
		for _, o := range a.sim.Engine().Orders() {
			byRef[o.Ref]++
		}
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
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != n || info.Cluster.Leader == killed {
		t.Fatalf("the stream holds %d events (want %d), leader %s (killed %s)", info.State.Msgs, n, info.Cluster.Leader, killed)
	}
}
