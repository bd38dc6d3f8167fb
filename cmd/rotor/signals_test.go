package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// episodeEnd is the last day of the generated leadership episode.
var episodeEnd = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

// writeMarketData writes a generated history with a small-cap leadership
// episode to CSV files, as a user's data directory would hold them.
func writeMarketData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	series := marketdata.Generate(marketdata.GenConfig{Seed: 3, Start: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), End: episodeEnd,
		Leadership: &marketdata.Episode{Start: episodeEnd.AddDate(0, -6, 0), End: episodeEnd}})
	for sym, s := range series {
		f, err := os.Create(filepath.Join(dir, sym+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		if err := marketdata.WriteCSV(f, s); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSignalsJSONAndSummary(t *testing.T) {
	data := writeMarketData(t)
	out, stderr, err := runRotor(t, context.Background(), "signals", "--data", data, "--asof", "2026-06-30", "--json")
	if err != nil {
		t.Fatalf("signals --json: %v\n%s", err, stderr)
	}
	ev, err := signals.UnmarshalEvent(compact(t, out))
	if err != nil {
		t.Fatalf("the printed event does not pass the strict reader: %v", err)
	}
	if ev.AsOf != "2026-06-30" || ev.Regime != signals.Leadership || ev.RelativeStrength.SectorsBeaten != 11 || !ev.Microcap.Thrust {
		t.Fatalf("event = %s %s, %d beaten, thrust %v; want 2026-06-30 leadership, 11 beaten, thrust", ev.AsOf, ev.Regime,
			ev.RelativeStrength.SectorsBeaten, ev.Microcap.Thrust)
	}
	if ev.Signature != nil {
		t.Fatal("--json without --publish or --key signed the event")
	}
	// The same inputs give the same event, byte for byte.
	again, _, err := runRotor(t, context.Background(), "signals", "--data", data, "--asof", "2026-06-30", "--json")
	if err != nil || again != out {
		t.Fatalf("a second run printed a different event (err %v)", err)
	}

	sum, _, err := runRotor(t, context.Background(), "signals", "--data", data, "--asof", "2026-06-30")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LEADERSHIP", "beaten 11 of 11", "THRUST", "XLK", "XLRE", ev.ID} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary does not show %q:\n%s", want, sum)
		}
	}
}

// compact turns the indented JSON back into the canonical bytes.
func compact(t *testing.T, s string) []byte {
	t.Helper()
	var b strings.Builder
	inString, escaped := false, false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case inString:
			b.WriteRune(r)
			if escaped {
				escaped = false
			} else if r == '\\' {
				escaped = true
			} else if r == '"' {
				inString = false
			}
		case r == '"':
			inString = true
			b.WriteRune(r)
		case r == ' ' || r == '\n' || r == '\t':
		default:
			b.WriteRune(r)
		}
	}
	return []byte(b.String())
}

func TestSignalsPublishOnceSigned(t *testing.T) {
	data := writeMarketData(t)
	emb, err := jetstream.StartEmbedded(context.Background(), jetstream.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Shutdown()
	kp, _ := nkeys.CreateUser()
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	keyFile := filepath.Join(t.TempDir(), "worker.nk")
	if err := os.WriteFile(keyFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"signals", "--data", data, "--asof", "2026-06-30", "--publish", "--nats-url", emb.ClientURL(), "--key", keyFile}
	_, stderr, err := runRotor(t, context.Background(), args...)
	if err != nil || !strings.Contains(stderr, "published ") {
		t.Fatalf("first publish: %v\n%s", err, stderr)
	}
	_, stderr, err = runRotor(t, context.Background(), args...)
	if err != nil || !strings.Contains(stderr, "already published") {
		t.Fatalf("second publish of the same day: %v, want it reported as already published\n%s", err, stderr)
	}

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
	info, _ := stream.Info(context.Background())
	if got, want := info.State.Msgs, uint64(1); got != want {
		t.Fatalf("stream holds %d messages, want %d", got, want)
	}
	msg, err := jetstream.LastMsg(context.Background(), js, jetstream.DefaultStreamName, "rotor.signals.leadership")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := signals.UnmarshalEvent(msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := signals.Verify(ev, []string{pub}); err != nil {
		t.Fatalf("published event does not verify with the worker's key: %v", err)
	}
	if got := msg.Header.Get("Nats-Msg-Id"); got != ev.ID {
		t.Fatalf("Nats-Msg-Id = %q, want the event id %q", got, ev.ID)
	}
}

func TestSignalsBadArguments(t *testing.T) {
	data := writeMarketData(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"signals"}, "--data DIR or --ib HOST:PORT"},
		{[]string{"signals", "--data", data, "--ib", "127.0.0.1:1"}, "exactly one source"},
		{[]string{"signals", "--data", data, "--asof", "30/06/2026"}, "--asof"},
		{[]string{"signals", "--data", filepath.Join(data, "nope")}, "--data"},
		{[]string{"signals", "--data", data, "--asof", "2026-06-30", "--key", filepath.Join(data, "IWM.csv")}, "nkey seed"},
	}
	for _, tt := range tests {
		_, _, err := runRotor(t, context.Background(), tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("rotor %v: err = %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
}

// TestSignalsFromBroker computes the day's event from the paper broker's
// history over the TWS protocol: enough history is asked for the micro-cap's
// 252-day low and the default fixed resistance window of 2021-2022.
func TestSignalsFromBroker(t *testing.T) {
	quietIBAPI()
	sim := ibsim.New(ibsim.Config{Logger: zerolog.Nop()})
	if err := sim.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	out, stderr, err := runRotor(t, context.Background(), "signals", "--ib", sim.Addr(), "--json", "--log-level", "warn")
	if err != nil {
		t.Fatalf("signals --ib: %v\n%s", err, stderr)
	}
	ev, err := signals.UnmarshalEvent([]byte(strings.TrimSpace(out)))
	if err != nil {
		t.Fatalf("the event: %v\n%s", err, out)
	}
	if ev.Microcap.Symbol != "IWC" || ev.RelativeStrength.SectorsTotal != 11 {
		t.Fatalf("event lacks the micro-cap or sectors: %+v", ev.Microcap)
	}
}

// TestHistoryDays covers the fixed resistance window and the micro-cap's low.
func TestHistoryDays(t *testing.T) {
	cfg := signals.DefaultConfig()
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	if got, min := historyDays(cfg, end, 30), len(marketdata.TradingDays(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), end)); got < min {
		t.Fatalf("historyDays = %d, fewer than the %d trading days since the resistance window's start", got, min)
	}
	cfg.Resistance = signals.ResistanceConfig{Mode: signals.ResistanceRolling, RollingDays: 10, TopK: 3}
	if got := historyDays(cfg, end, 30); got < cfg.MicrocapLowWindow+30 {
		t.Fatalf("historyDays = %d, fewer than the micro-cap's window plus the warm-up", got)
	}
}
