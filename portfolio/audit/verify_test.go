package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// attacked opens a log with n rows and a raw connection to its file with
// the append-only triggers dropped, as an attacker with write access would.
func attacked(t *testing.T, n int) (*audit.Log, *sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	l := mustOpenAt(t, path, audit.Options{})
	fill(t, l, n)
	db := rawDB(t, path)
	for _, tr := range []string{"events_no_update", "events_no_delete", "events_insert_at_head"} {
		mustExec(t, db, "DROP TRIGGER "+tr)
	}
	return l, db, path
}

// wantChainError checks that err is a *ChainError for row seq with problem p
// whose message contains detail.
func wantChainError(t *testing.T, err error, seq int64, p audit.Problem, detail string) {
	t.Helper()
	var ce *audit.ChainError
	if !errors.As(err, &ce) || !errors.Is(err, audit.ErrTampered) {
		t.Fatalf("err=%v, want *ChainError", err)
	}
	if ce.Seq != seq || ce.Problem != p || !strings.Contains(ce.Error(), detail) {
		t.Fatalf("err=%v (seq %d, %v), want seq %d, %v, containing %q", err, ce.Seq, ce.Problem, seq, p, detail)
	}
	if !strings.HasPrefix(err.Error(), "audit: ") {
		t.Fatalf("err=%q, want prefix audit: ", err)
	}
}

func TestVerify_Intact(t *testing.T) {
	l := MustOpenLog(t)
	fill(t, l, 10)
	var calls, lastDone, lastTotal int64
	rep, err := l.Verify(context.Background(), func(done, total int64) { calls++; lastDone, lastTotal = done, total })
	if err != nil {
		t.Fatal(err)
	}
	h, _ := l.Head(context.Background())
	if rep.Rows != 10 || rep.Head != h {
		t.Fatalf("Verify()=%+v, want 10 rows up to %+v", rep, h)
	}
	if calls == 0 || lastDone != 10 || lastTotal != 10 {
		t.Fatalf("progress: %d calls, last (%d, %d), want final (10, 10)", calls, lastDone, lastTotal)
	}
	empty := MustOpenLog(t)
	if rep := mustVerify(t, empty); rep.Rows != 0 || rep.Head.Hash != audit.GenesisHash {
		t.Fatalf("Verify(empty)=%+v", rep)
	}
}

func TestTriggers_RefuseUpdateDelete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	l := mustOpenAt(t, path, audit.Options{})
	recs := fill(t, l, 3)
	db := rawDB(t, path)
	for _, q := range []string{
		"UPDATE events SET payload = '{}' WHERE seq = 2",
		"DELETE FROM events WHERE seq = 3",
		"DELETE FROM events",
		// Not at the head: REPLACE would delete row 2 without a delete trigger.
		"INSERT OR REPLACE INTO events SELECT * FROM events WHERE seq = 2",
		"INSERT INTO events (seq, time, kind, payload, prev_hash, hash) VALUES (9, '2026-03-02T14:30:00.000000000Z', 'plan', '{}', '" + recs[2].Hash + "', '" + recs[2].Hash + "')",
		// At the head but not chained.
		"INSERT INTO events (seq, time, kind, payload, prev_hash, hash) VALUES (4, '2026-03-02T14:30:00.000000000Z', 'plan', '{}', '" + recs[0].Hash + "', '" + recs[2].Hash + "')",
	} {
		_, err := db.Exec(q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err=%v, want the append-only trigger to abort", q, err)
		}
	}
	if got, want := mustVerify(t, l).Rows, int64(3); got != want {
		t.Fatalf("rows=%d, want %d", got, want)
	}
}

func TestVerify_ChangedPayload(t *testing.T) {
	l, db, _ := attacked(t, 10)
	mustExec(t, db, `UPDATE events SET payload = '{"i":4,"note":"forged"}' WHERE seq = 5`)
	_, err := l.Verify(context.Background(), nil)
	wantChainError(t, err, 5, audit.ProblemChanged, "row 5's content does not match its hash")
}

func TestVerify_ChangedID(t *testing.T) {
	l, db, _ := attacked(t, 10)
	mustExec(t, db, `UPDATE events SET instrument = 'M2K' WHERE seq = 7`)
	rep, err := l.Verify(context.Background(), nil)
	wantChainError(t, err, 7, audit.ProblemChanged, "row 7's content does not match its hash")
	if rep.Rows != 6 {
		t.Fatalf("Rows=%d, want 6 good rows before the damage", rep.Rows)
	}
}

// NULL and ” hash the same; the canonical-form check catches the rewrite.
func TestVerify_NonCanonical(t *testing.T) {
	l, db, _ := attacked(t, 5)
	mustExec(t, db, `PRAGMA ignore_check_constraints = ON`)
	mustExec(t, db, `UPDATE events SET plan_id = '' WHERE seq = 2`)
	_, err := l.Verify(context.Background(), nil)
	wantChainError(t, err, 2, audit.ProblemChanged, "row 2's content does not match its hash")

	l2, db2, _ := attacked(t, 0)
	mustAppend(t, l2, audit.Entry{Kind: audit.KindOrderSent, BrokerOrderID: 17})
	// INTEGER affinity turns '17' back into 17, so the attacker rebuilds the
	// table with a text column.
	mustExec(t, db2, `ALTER TABLE events RENAME TO events_old`)
	mustExec(t, db2, `CREATE TABLE events AS SELECT seq, time, kind, event_id, plan_id, order_ref,
		CAST(broker_order_id AS TEXT) AS broker_order_id, perm_id, instrument, account, payload, prev_hash, hash FROM events_old`)
	_, err = l2.Verify(context.Background(), nil)
	wantChainError(t, err, 1, audit.ProblemChanged, "not stored as Append stores it")
}

func TestVerify_DeletedMiddleRow(t *testing.T) {
	l, db, _ := attacked(t, 10)
	mustExec(t, db, `DELETE FROM events WHERE seq = 5`)
	_, err := l.Verify(context.Background(), nil)
	wantChainError(t, err, 5, audit.ProblemMissing, "row 5 is missing (rows 4 and 6 present)")

	mustExec(t, db, `DELETE FROM events WHERE seq IN (1, 2)`)
	_, err = l.Verify(context.Background(), nil)
	wantChainError(t, err, 1, audit.ProblemMissing, "rows 1 to 2 are missing (row 3 is the first present)")
}

// Removing a row and renumbering the rest to close the gap.
func TestVerify_DeletedAndRenumbered(t *testing.T) {
	l, db, _ := attacked(t, 10)
	mustExec(t, db, `DELETE FROM events WHERE seq = 5`)
	mustExec(t, db, `UPDATE events SET seq = seq + 1000 WHERE seq > 5`)
	mustExec(t, db, `UPDATE events SET seq = seq - 1001 WHERE seq > 1000`)
	_, err := l.Verify(context.Background(), nil)
	wantChainError(t, err, 5, audit.ProblemReordered, "row 5 holds the content that belongs at row 6")
}

// swapRows exchanges every column but seq between rows a and b.
func swapRows(t *testing.T, db *sql.DB, a, b int64) {
	t.Helper()
	mustExec(t, db, "CREATE TEMP TABLE swap AS SELECT * FROM events WHERE seq IN (?, ?)", a, b)
	mustExec(t, db, "UPDATE temp.swap SET seq = CASE seq WHEN ? THEN ? ELSE ? END", a, b, a)
	mustExec(t, db, "DELETE FROM events WHERE seq IN (?, ?)", a, b)
	mustExec(t, db, "INSERT INTO events SELECT * FROM temp.swap")
	mustExec(t, db, "DROP TABLE temp.swap")
}

func TestVerify_SwappedRows(t *testing.T) {
	t.Run("adjacent", func(t *testing.T) {
		l, db, _ := attacked(t, 10)
		swapRows(t, db, 4, 5)
		_, err := l.Verify(context.Background(), nil)
		wantChainError(t, err, 4, audit.ProblemReordered, "row 4 holds the content that belongs at row 5")
	})
	t.Run("far apart", func(t *testing.T) {
		l, db, _ := attacked(t, 10)
		swapRows(t, db, 3, 8)
		_, err := l.Verify(context.Background(), nil)
		wantChainError(t, err, 3, audit.ProblemChanged, "row 3's content does not match its hash")
	})
	t.Run("hashes recomputed", func(t *testing.T) {
		l, db, _ := attacked(t, 10)
		swapRows(t, db, 3, 8)
		rehash(t, l, db, 3)
		rehash(t, l, db, 8)
		_, err := l.Verify(context.Background(), nil)
		wantChainError(t, err, 3, audit.ProblemReordered, "row 3 does not chain to row 2")
	})
}

// rehash recomputes row seq's own hash from its (changed) content, keeping
// its prev_hash: an attacker who knows the encoding.
func rehash(t *testing.T, l *audit.Log, db *sql.DB, seq int64) {
	t.Helper()
	r, err := l.Get(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "UPDATE events SET hash = ? WHERE seq = ?", r.ComputeHash(), seq)
}

func TestVerify_InsertedRow(t *testing.T) {
	t.Run("renumbered", func(t *testing.T) {
		l, db, _ := attacked(t, 10)
		prev, _ := l.Get(context.Background(), 4)
		mustExec(t, db, `UPDATE events SET seq = seq + 1000 WHERE seq >= 5`)
		mustExec(t, db, `UPDATE events SET seq = seq - 999 WHERE seq > 1000`)
		forgeRow(t, db, 5, prev.Hash)
		_, err := l.Verify(context.Background(), nil)
		wantChainError(t, err, 5, audit.ProblemInserted, "row 5 was inserted")
	})
	t.Run("replaced", func(t *testing.T) {
		// The forged row takes row 5's place with a valid hash of its own.
		l, db, _ := attacked(t, 10)
		prev, _ := l.Get(context.Background(), 4)
		mustExec(t, db, `DELETE FROM events WHERE seq = 5`)
		forgeRow(t, db, 5, prev.Hash)
		_, err := l.Verify(context.Background(), nil)
		// Rows 5 and 6 each match their own hash; the break is between them.
		wantChainError(t, err, 6, audit.ProblemReordered, "row 6 does not chain to row 5 (its prev_hash is not row 5's hash): rows were reordered or inserted, or row 5 was rewritten")
	})
	t.Run("at the end, unchained", func(t *testing.T) {
		l, db, _ := attacked(t, 10)
		forgeRow(t, db, 11, audit.GenesisHash)
		_, err := l.Verify(context.Background(), nil)
		wantChainError(t, err, 11, audit.ProblemReordered, "row 11 does not chain to row 10")
	})
	t.Run("seq zero", func(t *testing.T) {
		l, db, _ := attacked(t, 3)
		mustExec(t, db, `PRAGMA ignore_check_constraints = ON`)
		forgeRow(t, db, 0, audit.GenesisHash)
		_, err := l.Verify(context.Background(), nil)
		wantChainError(t, err, 0, audit.ProblemInserted, "below 1")
	})
}

// forgeRow inserts a row at seq whose own hash is right.
func forgeRow(t *testing.T, db *sql.DB, seq int64, prevHash string) {
	t.Helper()
	const tm = "2026-03-02T14:30:00.500000000Z"
	payload := `{"forged":true}`
	h := audit.RowHash(seq, tm, "fill", "ev-1", "", "", 0, 0, "RTY", "", []byte(payload), prevHash)
	mustExec(t, db, `INSERT INTO events (seq, time, kind, event_id, instrument, payload, prev_hash, hash)
		VALUES (?, ?, 'fill', 'ev-1', 'RTY', ?, ?, ?)`, seq, tm, payload, prevHash, h)
}

func TestVerifyAgainst_TruncatedTail(t *testing.T) {
	ctx := context.Background()
	l, db, _ := attacked(t, 10)
	head, err := l.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.VerifyAgainst(ctx, head, nil); err != nil {
		t.Fatalf("VerifyAgainst(intact)=%v", err)
	}
	mustExec(t, db, `DELETE FROM events WHERE seq > 8`)
	if _, err := l.Verify(ctx, nil); err != nil {
		t.Fatalf("Verify() of a truncated log=%v, want nil (a shorter chain is a valid chain)", err)
	}
	_, err = l.VerifyAgainst(ctx, head, nil)
	wantChainError(t, err, 9, audit.ProblemTruncated, "the log ends at row 8 but the remembered head is row 10")
}

func TestVerifyAgainst_RebuiltChain(t *testing.T) {
	ctx := context.Background()
	l, db, _ := attacked(t, 6)
	head, _ := l.Head(ctx)
	// Rewrite row 3 and recompute every hash from there: Verify cannot tell.
	mustExec(t, db, `UPDATE events SET payload = '{"rewritten":true}' WHERE seq = 3`)
	for seq := int64(3); seq <= 6; seq++ {
		prev, _ := l.Get(ctx, seq-1)
		mustExec(t, db, "UPDATE events SET prev_hash = ? WHERE seq = ?", prev.Hash, seq)
		rehash(t, l, db, seq)
	}
	mustVerify(t, l)
	_, err := l.VerifyAgainst(ctx, head, nil)
	wantChainError(t, err, 6, audit.ProblemHeadMismatch, "row 6's hash is not the remembered head's hash")
}

func TestOpen_BrokenHead(t *testing.T) {
	ctx := context.Background()
	l, db, path := attacked(t, 5)
	mustExec(t, db, `UPDATE events SET payload = '{}' WHERE seq = 5`)
	l.Close()
	_, err := audit.Open(ctx, path, audit.Options{})
	wantChainError(t, err, 5, audit.ProblemChanged, "found by the check of the last rows at open")

	ro := mustOpenAt(t, path, audit.Options{ReadOnly: true})
	_, err = ro.Verify(ctx, nil)
	wantChainError(t, err, 5, audit.ProblemChanged, "row 5's content does not match its hash")
}
