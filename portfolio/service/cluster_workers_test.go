package service_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"

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
	r := newReplicated(t)
	a := r.startAccount(t, rigAccount, 1)
	clock := func() time.Time { return rigNow }

	const catchUp = 12
	var published atomic.Int64
	var kill sync.Once
	var killed string
	killLeader := func(n int64) {
		if n < 4 {
			return
		}
		kill.Do(func() { killed = r.killLeader(t) })
	}
	var workers []*worker.Worker
	start := make(chan struct{})
	for i := range 2 {
		wjs := r.connect(t, fmt.Sprintf("worker-%d", i))
		w := worker.New(worker.Config{
			Load:      func(context.Context) (map[string]marketdata.Series, error) { return rigSeries, nil },
			Publisher: slowPublisher{jetstream.NewPublisher(wjs, jetstream.PublisherConfig{AckWait: 500 * time.Millisecond}), start, &published, killLeader},
			Last:      worker.LastFromStream(wjs, ""), Signer: r.signer, MaxCatchUp: catchUp,
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
		handled := len(rows(t, a.log, audit.KindSignalReceived)) + len(rows(t, a.log, audit.KindSignalRejected))
		if handled < catchUp {
			return fmt.Errorf("%d of %d events handled", handled, catchUp)
		}
		if open, err := a.log.IntentsWithoutFinalState(ctx); err != nil || len(open) > 0 {
			return fmt.Errorf("%d orders not final yet (%v)", len(open), err)
		}
		return nil
	})
	kill.Do(func() {}) // Do's return orders the killer's write before this read
	if killed == "" {
		t.Fatal("the leader was never killed: the workers published fewer than 4 events")
	}
	received, rejected := rows(t, a.log, audit.KindSignalReceived), rows(t, a.log, audit.KindSignalRejected)
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
	info, err := r.stream.Info(ctx, natsjs.WithSubjectFilter(jetstream.DefaultSubjectPrefix+worker.DailySubject))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.State.Subjects[jetstream.DefaultSubjectPrefix+worker.DailySubject]; got != catchUp {
		t.Fatalf("the daily subject holds %d events, want %d (each day once)", got, catchUp)
	}
	intents := rows(t, a.log, audit.KindOrderIntent)
	byRef := a.brokerRefs()
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
