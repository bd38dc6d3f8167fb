package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/trace"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"
	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// The rig's world: a Tuesday afternoon in Chicago, with CME open, the day
// after the event's as-of (Monday), during a small-cap leadership episode.
var (
	chicago = mustZone("America/Chicago")
	rigNow  = time.Date(2026, 3, 10, 13, 30, 0, 0, chicago)
	rigAsOf = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
)

const rigAccount = "DU1000001"

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// rigSeries is the generated market: six years of history (the resistance zone is 2021-2022) with a leadership
// episode over the last six months.
var rigSeries = marketdata.Generate(marketdata.GenConfig{Seed: 11,
	Start: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
	Leadership: &marketdata.Episode{Start: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)}})

// rigEvents are the signal's events for the last 40 trading days up to
// rigAsOf, oldest first.
func rigEvents(tb testing.TB) []signals.Event {
	tb.Helper()
	evs, err := signals.Replay(rigSeries, signals.DefaultConfig(), rigAsOf.AddDate(0, 0, -60), rigAsOf)
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// world is the parts that outlive a service: the paper broker, NATS and the
// audit file, and the worker's signing key.
type world struct {
	sim     *ibsim.Server
	emb     *jetstream.Embedded
	nc      *nats.Conn
	js      natsjs.JetStream
	pub     *jetstream.Publisher
	auditDB string
	signer  nkeys.KeyPair
	trusted []string
	events  []signals.Event
	clock   func() time.Time
	// orders receives every order as the paper broker reads it off the
	// socket (dropped when nobody keeps up).
	orders chan seenOrder
}

// seenOrder is an order the paper broker read: its reference, and when
// the broker had read and decoded it.
type seenOrder struct {
	ref string
	at  time.Time
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	ctx := context.Background()
	w := &world{clock: func() time.Time { return rigNow }, events: rigEvents(tb), orders: make(chan seenOrder, 1024)}
	onOrder := func(ref string) {
		trace.Log(context.Background(), "step", "on_socket")
		select {
		case w.orders <- seenOrder{ref: ref, at: time.Now()}:
		default:
		}
	}
	w.sim = ibsim.New(ibsim.Config{Account: rigAccount, Now: w.clock, Series: rigSeries, Logger: zerolog.Nop(), OnOrder: onOrder})
	if err := w.sim.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.sim.Close() })
	var err error
	if w.emb, err = jetstream.StartEmbedded(ctx, jetstream.EmbeddedConfig{StoreDir: filepath.Join(tb.TempDir(), "nats")}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.emb.Shutdown)
	if w.nc, err = jetstream.Connect(ctx, jetstream.ConnConfig{URL: w.emb.ClientURL(), Name: "test"}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.nc.Close)
	if w.js, err = natsjs.New(w.nc); err != nil {
		tb.Fatal(err)
	}
	if _, err = jetstream.EnsureStream(ctx, w.js, jetstream.StreamConfig{}); err != nil {
		tb.Fatal(err)
	}
	w.pub = jetstream.NewPublisher(w.js, jetstream.PublisherConfig{})
	if w.signer, err = nkeys.CreateUser(); err != nil {
		tb.Fatal(err)
	}
	pk, _ := w.signer.PublicKey()
	w.trusted = []string{pk}
	w.auditDB = filepath.Join(tb.TempDir(), "audit.db")
	return w
}

// latest is the newest event, which must be a leadership event for the
// rig's tests to trade.
func (w *world) latest(tb testing.TB) signals.Event {
	ev := w.events[len(w.events)-1]
	if ev.Regime != signals.Leadership {
		tb.Fatalf("the rig's latest event is %s, want leadership: pick another seed", ev.Regime)
	}
	return ev
}

// publish signs ev and publishes it on the daily subject.
func (w *world) publish(tb testing.TB, ev signals.Event) {
	tb.Helper()
	w.publishRaw(tb, ev.ID, mustMarshalSigned(tb, w, ev))
}

func (w *world) publishRaw(tb testing.TB, id string, data []byte) {
	tb.Helper()
	if _, err := w.pub.Publish(context.Background(), service.DefaultSubject, id, data, nil); err != nil {
		tb.Fatal(err)
	}
}

// manual connects a client that is not a service's (another strategy, an
// operator's tool), draining its events as a service would.
func (w *world) manual(tb testing.TB, clientID int64) *ib.Client {
	c := w.broker(tb, clientID)
	go func() {
		for range c.Events() {
		}
	}()
	return c
}

// broker connects a new adapter to the paper broker.
func (w *world) broker(tb testing.TB, clientID int64) *ib.Client {
	tb.Helper()
	c := ib.New(ib.Config{Addr: w.sim.Addr(), ClientID: clientID, Now: w.clock, ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
	if err := c.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func (w *world) openLog(tb testing.TB) *audit.Log {
	tb.Helper()
	l, err := audit.Open(context.Background(), w.auditDB, audit.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// config is a paper-mode service config on the world's parts.
func (w *world) config(b broker.Broker, l *audit.Log) service.Config {
	return service.Config{
		Account: rigAccount, Mode: service.Paper, Broker: b, Log: l, JetStream: w.js,
		Admit: admit.Policy{Trusted: w.trusted}, Now: w.clock, AckWait: 2 * time.Second,
		RetryDelay: 200 * time.Millisecond, MonitorEvery: -1,
	}
}

func (w *world) start(tb testing.TB, cfg service.Config) *service.Service {
	tb.Helper()
	s, err := service.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close(5 * time.Second) })
	return s
}

// consumerSettled waits until the account's consumer has nothing pending
// and nothing unacknowledged, with at least delivered messages handed out.
func (w *world) consumerSettled(tb testing.TB, delivered uint64) {
	tb.Helper()
	w.consumerSettledWithin(tb, delivered, 30*time.Second)
}

// consumerSettledWithin is consumerSettled waiting at most within.
func (w *world) consumerSettledWithin(tb testing.TB, delivered uint64, within time.Duration) {
	tb.Helper()
	checkFor(tb, within, 20*time.Millisecond, func() error {
		c, err := w.js.Consumer(context.Background(), jetstream.DefaultStreamName, "rotor-portfolio-"+rigAccount)
		if err != nil {
			return err
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 || info.Delivered.Consumer < delivered || info.AckFloor.Consumer < delivered {
			return fmt.Errorf("consumer: pending %d, ack pending %d, delivered %d, ack floor %d (want %d acked)",
				info.NumPending, info.NumAckPending, info.Delivered.Consumer, info.AckFloor.Consumer, delivered)
		}
		return nil
	})
}

// rows returns the log's rows of the given kinds.
func rows(tb testing.TB, l *audit.Log, kinds ...string) []audit.Record {
	tb.Helper()
	recs, err := l.Query(context.Background(), audit.Filter{Kinds: kinds})
	if err != nil {
		tb.Fatal(err)
	}
	return recs
}

func payload[T any](tb testing.TB, r audit.Record) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(r.Payload, &v); err != nil {
		tb.Fatalf("row %d (%s): %v", r.Seq, r.Kind, err)
	}
	return v
}

// brokerOrdersByRef counts the paper broker's orders per reference.
func (w *world) brokerOrdersByRef() map[string]int { return ordersByRef(w.sim) }

// ordersByRef counts a paper broker's orders per reference.
func ordersByRef(sim *ibsim.Server) map[string]int {
	out := map[string]int{}
	for _, o := range sim.Engine().Orders() {
		out[o.Ref]++
	}
	return out
}

func checkFor(tb testing.TB, total, every time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return
		}
		if !time.Now().Before(deadline) {
			tb.Fatalf("still failing after %s: %v", total, err)
		}
		time.Sleep(every)
	}
}

func TestMain(m *testing.M) {
	// Once, before any client runs: ibapi's logger is a global. Warn, not
	// Nop: the adapter's frame guard relies on ibapi's panics.
	ibapi.SetLogger(zerolog.New(io.Discard).Level(zerolog.WarnLevel))
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

func mustMarshalSigned(tb testing.TB, w *world, ev signals.Event) []byte {
	tb.Helper()
	if err := signals.Sign(&ev, w.signer); err != nil {
		tb.Fatal(err)
	}
	data, err := signals.MarshalEvent(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
