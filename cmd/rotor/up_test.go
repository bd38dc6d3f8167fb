package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/portfolio/audit"
)

// TestUpRunsWorkerAndService runs `rotor up` against the paper broker on the
// real clock: the worker's cold start publishes the last few trading days,
// the service handles every one of them (received, or rejected as stale),
// and a cancel stops everything cleanly.
func TestUpRunsWorkerAndService(t *testing.T) {
	quietIBAPI()
	sim := ibsim.New(ibsim.Config{Logger: zerolog.Nop()})
	if err := sim.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	data := writeMarketDataThrough(t, time.Now().UTC().AddDate(0, 0, 1))
	dataDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lockedBuffer{}
	root := newRootCmd(&bytes.Buffer{}, stderr)
	root.SetArgs([]string{"up", "--ib", sim.Addr(), "--data", data, "--data-dir", dataDir, "--max-catch-up", "3", "--mode", "paper", "--log-json", "--metrics-addr", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	path := filepath.Join(dataDir, "audit.db")
	deadline := time.Now().Add(60 * time.Second)
	handled := 0
	for handled < 3 {
		select {
		case err := <-done:
			t.Fatalf("up exited early: %v\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 events handled after 60s:\n%s", handled, stderr)
		}
		time.Sleep(20 * time.Millisecond)
		handled, _ = countHandled(path)
	}
	checkMetrics(t, stderr.String(), "rotor_events_received_total", "rotor_events_rejected_total", "rotor_broker_connected", "go_goroutines")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("up: %v\n%s", err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("up did not stop after cancel:\n%s", stderr)
	}
	if n, err := countHandled(path); err != nil || n != 3 {
		t.Fatalf("after the stop: %d events handled (%v), want exactly 3", n, err)
	}
}

// countHandled counts the events the service recorded as received or
// rejected.
func countHandled(path string) (int, error) {
	l, err := audit.Open(context.Background(), path, audit.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer l.Close()
	recs, err := l.Query(context.Background(), audit.Filter{Kinds: []string{audit.KindSignalReceived, audit.KindSignalRejected}})
	if err != nil {
		return 0, fmt.Errorf("query: %w", err)
	}
	return len(recs), nil
}

// checkMetrics finds the metrics URL in the JSON logs, scrapes it and checks
// that each name is exposed.
func checkMetrics(t *testing.T, logs string, names ...string) {
	t.Helper()
	m := regexp.MustCompile(`"addr":"(http://[^"]+/metrics)"`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", logs)
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, n := range names {
		if !strings.Contains(string(body), "\n"+n) {
			t.Errorf("%s does not expose %s", m[1], n)
		}
	}
}
