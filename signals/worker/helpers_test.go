package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/rotor-trading/rotor/signals/worker"
)

// checkFor calls f every `every` until it returns nil or total has passed,
// and fails the test with f's last error then.
func checkFor(tb testing.TB, total, every time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(every)
	}
	tb.Fatalf("checkFor: still failing after %s: %v", total, err)
}

// newYork is the exchange's zone.
var newYork = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// ny is a New York wall-clock time, "2006-01-02 15:04".
func ny(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, newYork)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// date is a day as marketdata and signals hold it, midnight UTC.
func date(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// fakeClock is the worker's ManualClock, which the tests move.
type fakeClock = worker.ManualClock

func newFakeClock(now time.Time) *fakeClock { return worker.NewManualClock(now) }

// waitIdle waits until n workers sleep on the clock: each has finished its
// run (timers are removed when they fire, so a woken worker is not counted
// until it sleeps again).
func waitIdle(tb testing.TB, c *fakeClock, n int) {
	tb.Helper()
	checkFor(tb, 60*time.Second, 2*time.Millisecond, func() error {
		if got := c.Waiting(); got != n {
			return fmt.Errorf("%d workers asleep, want %d", got, n)
		}
		return nil
	})
}

// The generated history every test uses: a small-cap leadership episode
// from May to October 2026, so the regime changes in and after it.
var (
	genOnce   sync.Once
	genSeries map[string]marketdata.Series
)

func history() map[string]marketdata.Series {
	genOnce.Do(func() {
		genSeries = marketdata.Generate(marketdata.GenConfig{Seed: 3,
			Start: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
			Leadership: &marketdata.Episode{Start: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)}})
	})
	return genSeries
}

// market is a directory of CSV files, one per symbol, as a vendor fills it.
type market struct{ dir string }

// newMarket writes the history up to and including through.
func newMarket(tb testing.TB, through time.Time) *market {
	tb.Helper()
	m := &market{dir: tb.TempDir()}
	m.writeThrough(tb, through)
	return m
}

// writeThrough (re)writes every symbol's bars up to and including day.
func (m *market) writeThrough(tb testing.TB, day time.Time) {
	tb.Helper()
	for sym, s := range history() {
		n := 0
		for n < len(s.Bars) && !s.Bars[n].Date.After(day) {
			n++
		}
		var buf bytes.Buffer
		if err := marketdata.WriteCSV(&buf, marketdata.Series{Symbol: sym, Bars: s.Bars[:n]}); err != nil {
			tb.Fatal(err)
		}
		// Write then rename, as a vendor's sync should: a reader never
		// sees half a file.
		tmp := filepath.Join(m.dir, "."+sym+".tmp")
		if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(m.dir, sym+".csv")); err != nil {
			tb.Fatal(err)
		}
	}
}

func (m *market) load(context.Context) (map[string]marketdata.Series, error) {
	return marketdata.ReadDir(m.dir)
}

// natsEnv is an embedded nats-server with JetStream, a connection and the
// signals stream.
type natsEnv struct {
	storeDir string
	port     int
	emb      *jetstream.Embedded
	nc       *nats.Conn
	js       natsjs.JetStream
}

func startNATS(tb testing.TB) *natsEnv {
	tb.Helper()
	e := &natsEnv{storeDir: tb.TempDir()}
	e.start(tb)
	u, err := url.Parse(e.emb.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	if e.port, err = strconv.Atoi(u.Port()); err != nil {
		tb.Fatal(err)
	}
	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: e.emb.ClientURL(), Name: tb.Name(),
		ConnectTimeout: 2 * time.Second, ReconnectWait: 10 * time.Millisecond, ReconnectWaitMax: 50 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	e.nc = nc
	if e.js, err = natsjs.New(nc); err != nil {
		tb.Fatal(err)
	}
	if _, err := jetstream.EnsureStream(context.Background(), e.js, jetstream.StreamConfig{}); err != nil {
		tb.Fatal(err)
	}
	return e
}

// start (re)starts the server on the store directory and, after the first
// start, on the same port, so the connection finds it again.
func (e *natsEnv) start(tb testing.TB) {
	tb.Helper()
	emb, err := jetstream.StartEmbedded(context.Background(), jetstream.EmbeddedConfig{StoreDir: e.storeDir, Port: e.port})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(emb.Shutdown)
	e.emb = emb
}

// publisher is the real Publisher with a short retry policy, so that a test
// of an outage does not wait out the default minute.
func (e *natsEnv) publisher() *jetstream.Publisher {
	return jetstream.NewPublisher(e.js, jetstream.PublisherConfig{AckWait: time.Second,
		Retry: jetstream.RetryPolicy{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxAttempts: 3}})
}

// msg is one stored message.
type msg struct {
	seq     uint64
	subject string
	msgID   string
	ev      signals.Event
}

// messages returns every message of the stream in order, decoded.
func (e *natsEnv) messages(tb testing.TB) []msg {
	tb.Helper()
	ctx := context.Background()
	s, err := e.js.Stream(ctx, jetstream.DefaultStreamName)
	if err != nil {
		tb.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var out []msg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			tb.Fatalf("GetMsg(%d): %v", seq, err)
		}
		ev, err := signals.UnmarshalEvent(m.Data)
		if err != nil {
			tb.Fatalf("message %d on %s is not a valid event: %v", seq, m.Subject, err)
		}
		out = append(out, msg{seq: seq, subject: m.Subject, msgID: m.Header.Get("Nats-Msg-Id"), ev: ev})
	}
	return out
}

// on keeps the messages of one subject suffix.
func on(msgs []msg, suffix string) []msg {
	var out []msg
	for _, m := range msgs {
		if m.subject == jetstream.DefaultSubjectPrefix+suffix {
			out = append(out, m)
		}
	}
	return out
}

// dailyCount counts the daily subject's messages.
func (e *natsEnv) dailyCount(tb testing.TB) int {
	tb.Helper()
	return len(on(e.messages(tb), worker.DailySubject))
}

// asOfs lists the as_of of each message.
func asOfs(msgs []msg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ev.AsOf
	}
	return out
}

// ids lists the event id of each message.
func ids(msgs []msg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ev.ID
	}
	return out
}

// logBuffer is a log sink a test reads while a worker writes to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// signer is a fresh user nkey.
func signer(tb testing.TB) nkeys.KeyPair {
	tb.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		tb.Fatal(err)
	}
	return kp
}

// rig is what a test's workers share: the data, NATS, the clock and a key.
type rig struct {
	market *market
	nats   *natsEnv
	clock  *fakeClock
	key    nkeys.KeyPair
}

func newRig(tb testing.TB, now time.Time) *rig {
	tb.Helper()
	return &rig{market: newMarket(tb, date(tb, "2026-12-31")), nats: startNATS(tb), clock: newFakeClock(now), key: signer(tb)}
}

// config is a worker configuration on the rig.
func (r *rig) config(maxCatchUp int) worker.Config {
	return worker.Config{
		Load:       r.market.load,
		Publisher:  r.nats.publisher(),
		Last:       worker.LastFromStream(r.nats.js, ""),
		Signer:     r.key,
		Now:        r.clock.Now,
		After:      r.clock.After,
		MaxCatchUp: maxCatchUp,
	}
}

// open opens a worker on cfg that is closed when the test ends, and prints
// its log if the test failed.
func open(tb testing.TB, cfg worker.Config) (*worker.Worker, *logBuffer) {
	tb.Helper()
	logs := &logBuffer{}
	cfg.Logger = zerolog.New(logs).With().Timestamp().Logger()
	w := worker.New(cfg)
	if err := w.Open(context.Background()); err != nil {
		tb.Fatalf("Open: %v\n%s", err, logs)
	}
	tb.Cleanup(func() {
		w.Close()
		if tb.Failed() {
			tb.Logf("worker log:\n%s", logs)
		}
	})
	return w, logs
}

// replay is one long uninterrupted replay of the days from..to: what the
// stream must hold.
func replay(tb testing.TB, from, to time.Time) []signals.Event {
	tb.Helper()
	evs, err := signals.Replay(history(), signals.DefaultConfig(), from, to)
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustWrite(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}
