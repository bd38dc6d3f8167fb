package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

func TestAppend_RoundTrip(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	l := mustOpenAt(t, filepath.Join(t.TempDir(), "audit.db"), audit.Options{Now: clock.Now})
	e := audit.Entry{
		Kind: audit.KindOrderIntent, EventID: "ev-1", PlanID: "plan-1", OrderRef: "plan-1/RTY/1",
		BrokerOrderID: 17, PermID: -42, Instrument: "RTY", Account: "DU1234567",
		RawPayload: json.RawMessage("{\n  \"qty\": 3,\n  \"price\": \"2101.30\" }"),
	}
	got := mustAppend(t, l, e)
	if got.Seq != 1 || got.PrevHash != audit.GenesisHash || len(got.Hash) != 64 {
		t.Fatalf("Append()=%+v, want seq 1 from genesis", got)
	}
	if got, want := string(got.Payload), `{"qty":3,"price":"2101.30"}`; got != want {
		t.Fatalf("Payload=%s, want %s (compacted)", got, want)
	}
	if got.Time.Location() != time.UTC || got.Time.Nanosecond() == 0 {
		t.Fatalf("Time=%v, want UTC with nanoseconds", got.Time)
	}
	back, err := l.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", back) != fmt.Sprintf("%+v", got) {
		t.Fatalf("Get(1)=%+v\nwant %+v", back, got)
	}
	if !back.Time.Equal(got.Time) {
		t.Fatalf("time %v != %v", back.Time, got.Time)
	}
	if got, want := back.ComputeHash(), back.Hash; got != want {
		t.Fatalf("ComputeHash()=%s, want %s", got, want)
	}

	// A marshalled payload is stored compact too, whatever loose JSON or
	// invalid UTF-8 it carries.
	loose := mustAppend(t, l, audit.Entry{Kind: audit.KindPlan, Payload: map[string]any{
		"raw": json.RawMessage("{ \"a\" :\n [1, 2] }"), "text": "bad \xff byte"}})
	if got, want := string(loose.Payload), `{"raw":{"a":[1,2]},"text":"bad \ufffd byte"}`; got != want {
		t.Fatalf("Payload=%s, want %s", got, want)
	}

	// Empty ids come back empty, the default payload is {}.
	r2 := mustAppend(t, l, audit.Entry{Kind: audit.KindError})
	back2, err := l.Get(ctx, r2.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if back2.EventID != "" || back2.BrokerOrderID != 0 || string(back2.Payload) != "{}" || back2.PrevHash != loose.Hash {
		t.Fatalf("Get(2)=%+v", back2)
	}
	if _, err := l.Get(ctx, 99); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("Get(99)=%v, want ErrNotFound", err)
	}
}

func TestAppend_SeqWithoutGaps(t *testing.T) {
	l := MustOpenLog(t)
	recs := fill(t, l, 50)
	batch, err := l.AppendBatch(context.Background(), []audit.Entry{{Kind: "plan"}, {Kind: "risk_decision"}})
	if err != nil {
		t.Fatal(err)
	}
	recs = append(recs, batch...)
	for i, r := range recs {
		if got, want := r.Seq, int64(i+1); got != want {
			t.Fatalf("row %d seq=%d, want %d", i, got, want)
		}
		if i > 0 && r.PrevHash != recs[i-1].Hash {
			t.Fatalf("row %d prev_hash=%s, want %s", r.Seq, r.PrevHash, recs[i-1].Hash)
		}
	}
	if got, want := mustVerify(t, l).Rows, int64(52); got != want {
		t.Fatalf("Verify().Rows=%d, want %d", got, want)
	}
}

func TestAppend_Invalid(t *testing.T) {
	l := MustOpenLog(t)
	for _, tc := range []struct {
		name  string
		e     audit.Entry
		field string
	}{
		{"no kind", audit.Entry{}, "Kind"},
		{"kind upper case", audit.Entry{Kind: "Plan"}, "Kind"},
		{"kind with space", audit.Entry{Kind: "order intent"}, "Kind"},
		{"bad raw json", audit.Entry{Kind: "plan", RawPayload: json.RawMessage(`{"a":`)}, "RawPayload"},
		{"both payloads", audit.Entry{Kind: "plan", Payload: 1, RawPayload: json.RawMessage(`1`)}, "Payload"},
		{"unmarshallable", audit.Entry{Kind: "plan", Payload: func() {}}, "Payload"},
		{"control char id", audit.Entry{Kind: "plan", OrderRef: "a\nb"}, "OrderRef"},
		{"bad utf8 id", audit.Entry{Kind: "plan", Account: "\xff"}, "Account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Append(context.Background(), tc.e)
			var ie *audit.InvalidError
			if !errors.As(err, &ie) || !errors.Is(err, audit.ErrInvalid) {
				t.Fatalf("Append()=%v, want *InvalidError", err)
			}
			if got, want := ie.Field, tc.field; got != want {
				t.Fatalf("Field=%q, want %q (%v)", got, want, err)
			}
		})
	}
	if h, _ := l.Head(context.Background()); h.Seq != 0 {
		t.Fatalf("invalid appends wrote rows: head %+v", h)
	}
}

func TestAppendBatch_Atomic(t *testing.T) {
	ctx := context.Background()
	l := MustOpenLog(t)
	fill(t, l, 2)
	_, err := l.AppendBatch(ctx, []audit.Entry{
		{Kind: audit.KindPlan, PlanID: "p1"},
		{Kind: audit.KindRiskDecision, PlanID: "p1"},
		{Kind: audit.KindOrderIntent, PlanID: "p1", RawPayload: json.RawMessage("not json")},
	})
	var ie *audit.InvalidError
	if !errors.As(err, &ie) || ie.Index != 2 || ie.Field != "RawPayload" {
		t.Fatalf("AppendBatch()=%v, want invalid entry 2 RawPayload", err)
	}
	if h, _ := l.Head(ctx); h.Seq != 2 {
		t.Fatalf("head after failed batch=%d, want 2", h.Seq)
	}

	// A batch that fails inside the database (the context is cancelled
	// after the first insert cannot be arranged portably, so: a cancelled
	// context) writes nothing either.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.AppendBatch(cctx, []audit.Entry{{Kind: "plan"}, {Kind: "plan"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("AppendBatch(cancelled)=%v, want context.Canceled", err)
	}

	recs, err := l.AppendBatch(ctx, []audit.Entry{
		{Kind: audit.KindPlan, PlanID: "p1"},
		{Kind: audit.KindRiskDecision, PlanID: "p1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].Seq != 3 || recs[1].Seq != 4 || !recs[0].Time.Equal(recs[1].Time) || recs[1].PrevHash != recs[0].Hash {
		t.Fatalf("AppendBatch()=%+v", recs)
	}
	mustVerify(t, l)
}

func TestAppend_ConcurrentGoroutines(t *testing.T) {
	l := MustOpenLog(t)
	const workers, each = 8, 25
	appendMany(t, []*audit.Log{l}, workers, each)
	if got, want := mustVerify(t, l).Rows, int64(workers*each); got != want {
		t.Fatalf("Verify().Rows=%d, want %d", got, want)
	}
}

// Two Log handles on one file stand for two processes: every append takes
// the database's write lock (BEGIN IMMEDIATE), so the chain stays one.
func TestAppend_TwoHandlesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	a := mustOpenAt(t, path, audit.Options{})
	b := mustOpenAt(t, path, audit.Options{})
	const workers, each = 4, 25
	appendMany(t, []*audit.Log{a, b}, workers, each)
	for _, l := range []*audit.Log{a, b} {
		if got, want := mustVerify(t, l).Rows, int64(2*workers*each); got != want {
			t.Fatalf("Verify().Rows=%d, want %d", got, want)
		}
	}
}

// appendMany runs workers goroutines per log, each appending each rows, and
// checks that no seq was handed out twice.
func appendMany(t *testing.T, logs []*audit.Log, workers, each int) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int64]bool{}
		errs []error
	)
	for li, l := range logs {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					r, err := l.Append(context.Background(), audit.Entry{
						Kind: audit.KindBrokerEvent, Account: fmt.Sprintf("DU%d", li),
						Payload: map[string]int{"worker": w, "i": i},
					})
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else if seen[r.Seq] {
						errs = append(errs, fmt.Errorf("seq %d handed out twice", r.Seq))
					}
					seen[r.Seq] = true
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d appends failed, first: %v", len(errs), errs[0])
	}
}

// Another process holding the write lock past the busy timeout makes
// Append fail with ErrBusy, writing nothing; once it lets go, Append works.
func TestAppend_Busy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	l := mustOpenAt(t, path, audit.Options{BusyTimeout: 50 * time.Millisecond})
	fill(t, l, 1)
	conn, err := rawDB(t, path).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	_, err = l.Append(ctx, audit.Entry{Kind: audit.KindPlan})
	if !errors.Is(err, audit.ErrBusy) {
		t.Fatalf("Append while locked=%v, want ErrBusy", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if r := mustAppend(t, l, audit.Entry{Kind: audit.KindPlan}); r.Seq != 2 {
		t.Fatalf("Append after unlock: seq %d, want 2", r.Seq)
	}
}
