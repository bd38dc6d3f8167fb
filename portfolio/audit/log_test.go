package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// testClock is a deterministic clock that moves 1ms and a few ns per reading.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond + 7)
	return c.t
}

// MustOpenLog opens a fresh audit log in a temporary directory with a test
// clock and closes it when the test ends.
func MustOpenLog(tb testing.TB) *audit.Log {
	tb.Helper()
	return mustOpenAt(tb, filepath.Join(tb.TempDir(), "audit.db"), audit.Options{})
}

func mustOpenAt(tb testing.TB, path string, opts audit.Options) *audit.Log {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = newTestClock().Now
	}
	l, err := audit.Open(context.Background(), path, opts)
	if err != nil {
		tb.Fatalf("Open(%s)=%v", path, err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

func mustAppend(tb testing.TB, l *audit.Log, e audit.Entry) audit.Record {
	tb.Helper()
	r, err := l.Append(context.Background(), e)
	if err != nil {
		tb.Fatalf("Append(%+v)=%v", e, err)
	}
	return r
}

// fill appends n rows of mixed kinds.
func fill(tb testing.TB, l *audit.Log, n int) []audit.Record {
	tb.Helper()
	kinds := []string{audit.KindSignalReceived, audit.KindPlan, audit.KindOrderIntent, audit.KindFill}
	var out []audit.Record
	for i := 0; i < n; i++ {
		out = append(out, mustAppend(tb, l, audit.Entry{
			Kind:    kinds[i%len(kinds)],
			EventID: "ev-1", Instrument: "RTY",
			Payload: map[string]any{"i": i, "note": "ünïcode ✓"},
		}))
	}
	return out
}

// rawDB opens the file with plain database/sql, as an attacker (or an
// auditor) would.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", path+"?_busy_timeout=5000")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	return db
}

func mustExec(tb testing.TB, db *sql.DB, q string, args ...any) {
	tb.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		tb.Fatalf("exec %q: %v", q, err)
	}
}

func mustVerify(tb testing.TB, l *audit.Log) audit.VerifyReport {
	tb.Helper()
	rep, err := l.Verify(context.Background(), nil)
	if err != nil {
		tb.Fatalf("Verify()=%v", err)
	}
	return rep
}

func TestOpen_Pragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	l := mustOpenAt(t, path, audit.Options{})
	fill(t, l, 1)
	db := rawDB(t, path)
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if got, want := mode, "wal"; got != want {
		t.Fatalf("journal_mode=%q, want %q", got, want)
	}
	if got, want := l.Path(), path; got != want {
		t.Fatalf("Path()=%q, want %q", got, want)
	}
}

func TestOpen_PathWithQuestionMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?name#.db")
	l := mustOpenAt(t, path, audit.Options{})
	fill(t, l, 2)
	mustVerify(t, l)
}

func TestClose(t *testing.T) {
	l := MustOpenLog(t)
	fill(t, l, 1)
	q, err := l.Query(context.Background(), audit.Filter{}) // the readers have a connection open
	if err != nil || len(q) != 1 {
		t.Fatalf("Query: %d rows, %v", len(q), err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// The last handle closed: the WAL is checkpointed into the database
	// and removed, and the file holds every row on its own.
	if _, err := os.Stat(l.Path() + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the WAL is still there after Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close()=%v, want nil", err)
	}
	ctx := context.Background()
	if _, err := l.Append(ctx, audit.Entry{Kind: "plan"}); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("Append after Close=%v, want ErrClosed", err)
	}
	if _, err := l.Verify(ctx, nil); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("Verify after Close=%v, want ErrClosed", err)
	}
	if _, err := l.Query(ctx, audit.Filter{}); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("Query after Close=%v, want ErrClosed", err)
	}
}

func TestOpen_ReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	if _, err := audit.Open(ctx, path, audit.Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only Open of a missing file succeeded")
	}
	w := mustOpenAt(t, path, audit.Options{})
	fill(t, w, 3)

	r := mustOpenAt(t, path, audit.Options{ReadOnly: true})
	if _, err := r.Append(ctx, audit.Entry{Kind: "plan"}); !errors.Is(err, audit.ErrReadOnly) {
		t.Fatalf("Append on read-only=%v, want ErrReadOnly", err)
	}
	if got, want := mustVerify(t, r).Rows, int64(3); got != want {
		t.Fatalf("Verify().Rows=%d, want %d", got, want)
	}
	// A writer keeps appending while the reader is open.
	fill(t, w, 2)
	h, err := r.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Seq, int64(5); got != want {
		t.Fatalf("Head().Seq=%d, want %d", got, want)
	}
}
