package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"
	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// quietIBAPI sets ibapi's logger, a process global that its goroutines read
// without a lock, once for the test binary, through the same sync.Once the
// command uses, so no command run by a test replaces it while a client is
// live. Warn to io.Discard, not Nop: broker/ib's frame guard relies on
// ibapi's log.Panic.
func quietIBAPI() {
	ibapiLogger.Do(func() {
		ibapi.SetLogger(zerolog.New(io.Discard).Level(zerolog.WarnLevel))
	})
}

// planWorld is a paper broker on the wall clock with its default history,
// and a signed event from the same generated market in a file.
type planWorld struct {
	sim       *ibsim.Server
	dataDir   string
	eventFile string
	event     signals.Event
}

// newPlanWorld starts the paper broker and writes the latest event whose
// as_of close has passed, signed by eventKey. When signerKey is not nil its
// seed is written to <data-dir>/signer.nk, the default trust.
func newPlanWorld(t *testing.T, eventKey, signerKey nkeys.KeyPair) *planWorld {
	t.Helper()
	quietIBAPI()
	sim := ibsim.New(ibsim.Config{Account: ibsim.DefaultAccount, Logger: zerolog.Nop()})
	if err := sim.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })

	now := time.Now()
	end := now.UTC()
	series := marketdata.Generate(marketdata.GenConfig{Seed: ibsim.DefaultSeed, Start: end.AddDate(-ibsim.DefaultHistoryYears, 0, 0), End: end})
	evs, err := signals.Replay(series, signals.DefaultConfig(), end.AddDate(0, 0, -90), end)
	if err != nil {
		t.Fatal(err)
	}
	// The latest event whose as_of close is behind us: today's, before the
	// close, would be refused as from the future.
	var ev signals.Event
	found := false
	for i := len(evs) - 1; i >= 0; i-- {
		at, err := admit.EventTime(evs[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		if !at.After(now) {
			ev, found = evs[i], true
			break
		}
	}
	if !found {
		t.Fatalf("no event among %d replayed has its close behind %s", len(evs), now)
	}
	if err := signals.Sign(&ev, eventKey); err != nil {
		t.Fatal(err)
	}
	data, err := signals.MarshalEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	w := &planWorld{sim: sim, dataDir: t.TempDir(), event: ev}
	w.eventFile = filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(w.eventFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if signerKey != nil {
		seed, err := signerKey.Seed()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(w.dataDir, "signer.nk"), append(seed, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func newUserKey(t *testing.T) nkeys.KeyPair {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func (w *planWorld) args(extra ...string) []string {
	return append([]string{"plan", "--ib", w.sim.Addr(), "--data-dir", w.dataDir, "--event", w.eventFile, "--any-age"}, extra...)
}

// previewRows reads the preview rows of the world's audit log.
func (w *planWorld) previewRows(t *testing.T) []audit.Record {
	t.Helper()
	ctx := context.Background()
	l, err := audit.Open(ctx, filepath.Join(w.dataDir, "audit.db"), audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs, err := l.Query(ctx, audit.Filter{Kinds: []string{audit.KindPreview}})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// assertNothingSent checks that the paper broker saw no order.
func (w *planWorld) assertNothingSent(t *testing.T) {
	t.Helper()
	if orders := w.sim.Engine().Orders(); len(orders) != 0 {
		t.Fatalf("plan sent %d orders to the broker, want none: %+v", len(orders), orders)
	}
}

var previewRowLine = regexp.MustCompile(`Recorded as preview row (\d+) in (.+)\.\n`)

func TestPlanFromEventFile(t *testing.T) {
	kp := newUserKey(t)
	w := newPlanWorld(t, kp, kp)
	out, stderr, err := runRotor(t, context.Background(), w.args()...)
	if err != nil {
		t.Fatalf("rotor plan: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}
	if !strings.Contains(out, "Preview for "+ibsim.DefaultAccount+" at ") || !strings.Contains(out, "(dry run: nothing sent)") {
		t.Errorf("no preview heading for %s:\n%s", ibsim.DefaultAccount, out)
	}
	table, none := false, false
	for _, line := range strings.Split(out, "\n") {
		table = table || strings.HasPrefix(line, "INSTRUMENT")
		none = none || strings.HasPrefix(line, "No orders")
	}
	if table == none {
		t.Errorf("want exactly one of the order table (INSTRUMENT...) or 'No orders' (table %v, no orders %v):\n%s", table, none, out)
	}
	if !strings.Contains(out, "Sleeve: NLV ") {
		t.Errorf("no sleeve line:\n%s", out)
	}
	m := previewRowLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no 'Recorded as preview row N in ...' line:\n%s", out)
	}
	seq, _ := strconv.ParseInt(m[1], 10, 64)
	if want := filepath.Join(w.dataDir, "audit.db"); m[2] != want {
		t.Errorf("the preview is said to be recorded in %s, want %s", m[2], want)
	}

	recs := w.previewRows(t)
	if len(recs) != 1 {
		t.Fatalf("the audit log holds %d preview rows, want 1: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.Seq != seq {
		t.Errorf("preview row seq = %d, the output says %d", r.Seq, seq)
	}
	if r.EventID != w.event.ID {
		t.Errorf("preview row event_id = %q, want %q", r.EventID, w.event.ID)
	}
	if r.Account != ibsim.DefaultAccount {
		t.Errorf("preview row account = %q, want %q", r.Account, ibsim.DefaultAccount)
	}
	var payload struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(r.Payload, &payload); err != nil {
		t.Fatalf("preview payload: %v", err)
	}
	if want := "file " + w.eventFile; payload.Source != want {
		t.Errorf("preview source = %q, want %q", payload.Source, want)
	}
	w.assertNothingSent(t)
}

func TestPlanJSON(t *testing.T) {
	kp := newUserKey(t)
	w := newPlanWorld(t, kp, kp)
	out, stderr, err := runRotor(t, context.Background(), w.args("--json")...)
	if err != nil {
		t.Fatalf("rotor plan --json: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}
	var got struct {
		AuditSeq int64             `json:"audit_seq"`
		Summary  string            `json:"summary"`
		Rows     []json.RawMessage `json:"rows"`
		Plan     []string          `json:"plan_verdicts"`
		Decision struct {
			EventID string `json:"event_id"`
			Account string `json:"account"`
			Plan    struct {
				Orders []json.RawMessage `json:"orders"`
			} `json:"plan"`
		} `json:"decision"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("plan --json is not JSON: %v\n%s", err, out)
	}
	if got.AuditSeq <= 0 {
		t.Errorf("audit_seq = %d, want > 0", got.AuditSeq)
	}
	if len(got.Rows) != len(got.Decision.Plan.Orders) {
		t.Errorf("%d rows for %d planned orders", len(got.Rows), len(got.Decision.Plan.Orders))
	}
	if got.Summary == "" {
		t.Error("empty summary")
	}
	if got.Decision.EventID != w.event.ID || got.Decision.Account != ibsim.DefaultAccount {
		t.Errorf("decision for event %q account %q, want %q and %q", got.Decision.EventID, got.Decision.Account, w.event.ID, ibsim.DefaultAccount)
	}
	recs := w.previewRows(t)
	if len(recs) != 1 || recs[0].Seq != got.AuditSeq || recs[0].EventID != w.event.ID {
		t.Errorf("preview rows = %+v, want one at seq %d for event %s", recs, got.AuditSeq, w.event.ID)
	}
	w.assertNothingSent(t)
}

func TestPlanRejectsUntrustedEvent(t *testing.T) {
	w := newPlanWorld(t, newUserKey(t), newUserKey(t))
	out, _, err := runRotor(t, context.Background(), w.args()...)
	if err == nil {
		t.Fatalf("rotor plan admitted an event signed by an untrusted key:\n%s", out)
	}
	for _, want := range []string{"not admitted", "signature"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
	path := filepath.Join(w.dataDir, "audit.db")
	if _, statErr := os.Stat(path); statErr == nil {
		if recs := w.previewRows(t); len(recs) != 0 {
			t.Errorf("a rejected event left %d preview rows: %+v", len(recs), recs)
		}
	} else if !os.IsNotExist(statErr) {
		t.Fatal(statErr)
	}
	w.assertNothingSent(t)
}

func TestPlanNoTrustedKey(t *testing.T) {
	w := newPlanWorld(t, newUserKey(t), nil)
	out, _, err := runRotor(t, context.Background(), w.args()...)
	if err == nil {
		t.Fatalf("rotor plan ran with no trusted key:\n%s", out)
	}
	if !strings.Contains(err.Error(), "--trust") {
		t.Errorf("err = %v, want it to mention --trust", err)
	}
	w.assertNothingSent(t)
}
