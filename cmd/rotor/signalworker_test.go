package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/rotor-trading/rotor/signals/worker"
)

// lockedBuffer is a command's stderr that the test reads while the command
// writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// writeMarketDataThrough writes a generated history up to end as CSV files.
func writeMarketDataThrough(t *testing.T, end time.Time) string {
	t.Helper()
	dir := t.TempDir()
	series := marketdata.Generate(marketdata.GenConfig{Seed: 5, Start: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), End: end})
	for sym, s := range series {
		var buf bytes.Buffer
		if err := marketdata.WriteCSV(&buf, s); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sym+".csv"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// latestDue is the latest NYSE trading day whose 16:30 New York run has
// passed at now: the last day a worker with the default delay publishes.
func latestDue(t *testing.T, now time.Time) string {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	n := now.In(loc)
	for d := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC); ; d = d.AddDate(0, 0, -1) {
		y, m, dd := d.Date()
		if marketdata.IsTradingDay(d) && !time.Date(y, m, dd, 16, 30, 0, 0, loc).After(now) {
			return d.Format(time.DateOnly)
		}
	}
}

// The real command, on the real clock: it catches up the last few trading
// days into an embedded NATS store, stops cleanly when cancelled, and the
// store then holds exactly those days.
func TestSignalWorkerCatchesUpAndStops(t *testing.T) {
	const catchUp = 5
	start := time.Now()
	data := writeMarketDataThrough(t, start.UTC().AddDate(0, 0, 1))
	dataDir := t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	stderr := &lockedBuffer{}
	root := newRootCmd(&stdout, stderr)
	root.SetArgs([]string{"signal-worker", "--data", data, "--data-dir", dataDir, "--max-catch-up", "5", "--log-json"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stderr.String(), "next run ") {
		select {
		case err := <-done:
			t.Fatalf("signal-worker exited early: %v\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no schedule logged after 60s:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("signal-worker: %v\n%s", err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("signal-worker did not stop after cancel:\n%s", stderr)
	}
	logs := stderr.String()
	for _, want := range []string{`"public_key":"U`, `"message":"signal worker started"`, `"close":"16:00 America/New_York"`, "signal worker stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
	// The command stopped its embedded server; open the store again.
	emb, err := jetstream.StartEmbedded(context.Background(), jetstream.EmbeddedConfig{StoreDir: filepath.Join(dataDir, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Shutdown()
	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: emb.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := natsjs.New(nc)
	stream, err := js.Stream(context.Background(), jetstream.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(context.Background(), natsjs.WithSubjectFilter(jetstream.DefaultSubjectPrefix+">"))
	if err != nil {
		t.Fatal(err)
	}
	daily := info.State.Subjects[jetstream.DefaultSubjectPrefix+worker.DailySubject]
	// A close+delay passing while the test ran adds that day.
	want := uint64(catchUp)
	if latestDue(t, time.Now()) != latestDue(t, start) {
		want++
	}
	if daily != want {
		t.Fatalf("the stream holds %d daily events, want %d (subjects %v)", daily, want, info.State.Subjects)
	}
	msg, err := jetstream.LastMsg(context.Background(), js, "", jetstream.DefaultSubjectPrefix+worker.DailySubject)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := signals.UnmarshalEvent(msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ev.AsOf, latestDue(t, time.Now()); got != want {
		t.Fatalf("the last event is for %s, want %s", got, want)
	}
	kp, _, err := loadSigner(filepath.Join(dataDir, "signer.nk"), "", zerolog.Nop())
	if err != nil {
		t.Fatalf("the worker did not keep its key in the data directory: %v", err)
	}
	pub, _ := kp.PublicKey()
	if err := signals.Verify(ev, []string{pub}); err != nil {
		t.Fatalf("the event does not verify with the worker's key: %v", err)
	}
}

func TestSignalWorkerHelpAndBadFlags(t *testing.T) {
	out, _, err := runRotor(t, context.Background(), "signal-worker", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rotor.signals.leadership.change", "trading days", "queue group", "--nats-url", "--delay", "--max-catch-up", "--retry-every", "16:00 New York"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %q", want)
		}
	}
	root, _, _ := runRotor(t, context.Background(), "--help")
	if !strings.Contains(root, "signal-worker") {
		t.Error("rotor --help does not list signal-worker")
	}

	data := writeMarketDataThrough(t, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"signal-worker"}, "--data DIR or --ib HOST:PORT"},
		{[]string{"signal-worker", "--data", data, "--delay", "0s"}, "--delay"},
		{[]string{"signal-worker", "--data", data, "--delay", "13h"}, "--delay"},
		{[]string{"signal-worker", "--data", data, "--retry-every", "-1m"}, "--retry-every"},
		{[]string{"signal-worker", "--data", data, "--max-catch-up", "0"}, "--max-catch-up"},
		{[]string{"signal-worker", "--data", data, "--key", filepath.Join(data, "IWM.csv")}, "nkey seed"},
		{[]string{"signal-worker", "--data", data, "--data-dir", t.TempDir(), "--nats-url", "nats://127.0.0.1:1"}, "unreachable"},
	}
	for _, tt := range tests {
		_, _, err := runRotor(t, context.Background(), tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("rotor %v: err = %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
}
