package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
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
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/rotor-trading/rotor/signals/worker"
)

// slowPublisher is a worker's publisher on a slow link: each publish takes
// a few milliseconds more, so that a node can die in the middle of the
// workers' catch-up. after is called with the count of publishes so far.
type slowPublisher struct {
	pub   *jetstream.Publisher
	start <-chan struct{} // closed once every worker is open
	n     *atomic.Int64
	after func(n int64)
}

func (p slowPublisher) Publish(ctx context.Context, subject, id string, data []byte, h map[string]string) (jetstream.PubResult, error) {
	<-p.start
	time.Sleep(15 * time.Millisecond)
	res, err := p.pub.Publish(ctx, subject, id, data, h)
	if err == nil {
		p.after(p.n.Add(1))
	}
	return res, err
}

// TestClusterWorkersInAQueueGroup runs two real signal workers (same key,
// same data) against a three-node cluster, as a queue group of workers
// does, with a portfolio service consuming. The stream's leader is killed
// after the workers' fourth publish, in the middle of their cold-start
// catch-up of twelve trading days. The daily subject holds each day once,
// the service handles each once (the eleven older days rejected as stale,
// the last one traded), and the broker holds exactly that plan's orders.
func TestClusterWorkersInAQueueGroup(t *testing.T) {
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

	sim := ibsim.New(ibsim.Config{Account: rigAccount, Now: clock, Series: rigSeries, Logger: zerolog.Nop()})
	if err := sim.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	b := ib.New(ib.Config{Addr: sim.Addr(), ClientID: 1, Now: clock})
	if err := b.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	l, err := audit.Open(ctx, filepath.Join(t.TempDir(), "audit.db"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := service.New(service.Config{Account: rigAccount, Mode: service.Paper, Broker: b, Log: l, JetStream: connect("portfolio"),
		Admit: admit.Policy{Trusted: []string{trusted}}, Now: clock, AckWait: 2 * time.Second,
		RetryDelay: 100 * time.Millisecond, MonitorEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close(5 * time.Second)

	const catchUp = 12
	var published atomic.Int64
	var kill sync.Once
	var killed string
	killLeader := func(n int64) {
		if n < 4 {
			return
		}
		kill.Do(func() {
			info, err := stream.Info(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			killed = info.Cluster.Leader
			go cluster.Node(killed).Shutdown() // not on the publishing goroutine
		})
	}
	var workers []*worker.Worker
	start := make(chan struct{})
	for i := range 2 {
		wjs := connect(fmt.Sprintf("worker-%d", i))
		w := worker.New(worker.Config{
			Load:      func(context.Context) (map[string]marketdata.Series, error) { return rigSeries, nil },
			Publisher: slowPublisher{jetstream.NewPublisher(wjs, jetstream.PublisherConfig{AckWait: 500 * time.Millisecond}), start, &published, killLeader},
			Last:      worker.LastFromStream(wjs, ""), Signer: signer, MaxCatchUp: catchUp,
			Now: clock, After: worker.NewManualClock(rigNow).After,
		})
		if err := w.Open(ctx); err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		workers = append(workers, w)
	}
	close(start) // both workers publish their catch-up at once, as a queue group
	lastDay := marketdata.TradingDays(rigAsOf, rigAsOf)[0].Format(time.DateOnly)
	checkFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		for i, w := range workers {
			if st := w.Status(); st.LastAsOf != lastDay {
				return fmt.Errorf("worker %d is at %q (%v)", i, st.LastAsOf, st.Err)
			}
		}
		handled := len(rows(t, l, audit.KindSignalReceived)) + len(rows(t, l, audit.KindSignalRejected))
		if handled < catchUp {
			return fmt.Errorf("%d of %d events handled", handled, catchUp)
		}
		if open, err := l.IntentsWithoutFinalState(ctx); err != nil || len(open) > 0 {
			return fmt.Errorf("%d orders not final yet (%v)", len(open), err)
		}
		return nil
	})
	kill.Do(func() {}) // Do's return orders the killer's write before this read
	if killed == "" {
		t.Fatal("the leader was never killed: the workers published fewer than 4 events")
	}
	received, rejected := rows(t, l, audit.KindSignalReceived), rows(t, l, audit.KindSignalRejected)
	if len(received) != 1 || len(rejected) != catchUp-1 {
		for _, r := range rejected {
			p := payload[service.RejectionPayload](t, r)
			t.Logf("rejected %s: %s %s", p.ClaimedID, p.Reason, p.Detail)
		}
		t.Fatalf("%d received and %d rejected, want 1 and %d (each day once)", len(received), len(rejected), catchUp-1)
	}
	for _, r := range rejected {
		if p := payload[service.RejectionPayload](t, r); p.Reason != admit.ReasonStale {
			t.Errorf("row %d rejected as %s (%s), want stale", r.Seq, p.Reason, p.Detail)
		}
	}
	info, err := stream.Info(ctx, natsjs.WithSubjectFilter(jetstream.DefaultSubjectPrefix+worker.DailySubject))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.State.Subjects[jetstream.DefaultSubjectPrefix+worker.DailySubject]; got != catchUp {
		t.Fatalf("the daily subject holds %d events, want %d (each day once)", got, catchUp)
	}
	intents := rows(t, l, audit.KindOrderIntent)
	byRef := map[string]int{}
	for _, o := range sim.Engine().Orders() {
		byRef[o.Ref]++
	}
	if len(intents) == 0 || len(byRef) != len(intents) {
		t.Fatalf("%d intents, broker refs %v", len(intents), byRef)
	}
	for _, in := range intents {
		if byRef[in.OrderRef] != 1 || in.EventID != received[0].EventID {
			t.Errorf("intent %s of event %s: %d orders at the broker", in.OrderRef, in.EventID, byRef[in.OrderRef])
		}
	}
	t.Logf("killed %s after the workers' 4th publish; %d publishes in all", killed, published.Load())
}
