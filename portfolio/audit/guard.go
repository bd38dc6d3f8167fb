package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A Guard is a condition AppendBatch checks inside its transaction, under
// the database's write lock, before it writes a row: when a guard does not
// hold, nothing is written and AppendBatch returns a *ConflictError. A
// writer that decided on rows it read earlier guards its batch with what it
// read, so a row written since (by this process or another) cannot slip
// between the read and the commit.
//
// The guards are NoNewer and NoRow.
type Guard interface {
	// query is the guard's SELECT, with its arguments: it returns seq and
	// a payload (or NULL) of the rows that may break the guard, and may
	// return a row whose seq is NULL for none.
	query() (string, []any)
	// breaks reports whether a row query returned breaks the guard.
	breaks(payload json.RawMessage) bool
	String() string
}

// NoNewer holds when no row of Kinds for Account has a seq above Seq: the
// state a writer derived from those rows, as of Seq, is still current. An
// empty Account means rows without one.
type NoNewer struct {
	Account string
	Kinds   []string
	Seq     int64
}

func (g NoNewer) query() (string, []any) {
	args := make([]any, 0, len(g.Kinds)+2)
	for _, k := range g.Kinds {
		args = append(args, k)
	}
	args = append(args, g.Seq, nullString(g.Account))
	// events_kind orders each kind's rows by seq, so this reads only the
	// rows after Seq (MIN, not ORDER BY: no sort).
	return "SELECT MIN(seq), NULL FROM events WHERE kind IN (?" + strings.Repeat(", ?", len(g.Kinds)-1) +
		") AND seq > ? AND account IS ?", args
}

func (g NoNewer) breaks(json.RawMessage) bool { return true }

func (g NoNewer) String() string {
	return fmt.Sprintf("no %s row of account %q after seq %d", strings.Join(g.Kinds, "/"), g.Account, g.Seq)
}

// NoRow holds when no row of Kind for Account carries EventID, or none that
// Match accepts when Match is set (it is given the row's payload). It is
// how a writer records an event once. An empty Account means rows without
// one.
type NoRow struct {
	Kind, EventID, Account string
	Match                  func(payload json.RawMessage) bool
}

func (g NoRow) query() (string, []any) {
	return "SELECT seq, payload FROM events WHERE event_id = ? AND kind = ? AND account IS ? ORDER BY seq",
		[]any{g.EventID, g.Kind, nullString(g.Account)}
}

func (g NoRow) breaks(payload json.RawMessage) bool { return g.Match == nil || g.Match(payload) }

func (g NoRow) String() string {
	return fmt.Sprintf("no %s row of event %q for account %q", g.Kind, g.EventID, g.Account)
}

// ErrConflict means a guard of AppendBatch did not hold: a row written
// since the caller read the log changes what it meant to write. Nothing was
// written. The error is a *ConflictError; read the log again and decide
// afresh.
var ErrConflict = errors.New("audit: a guard of the batch does not hold")

// ConflictError names the guard that did not hold and the row that broke
// it.
type ConflictError struct {
	Guard Guard
	Seq   int64 // the row that breaks the guard
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("audit: guard %q broken by row %d (nothing in the batch was written)", e.Guard, e.Seq)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// checkGuard runs g's query with stmt inside the append's transaction.
func checkGuard(ctx context.Context, stmt *sql.Stmt, g Guard, args []any) error {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return dbError("append: check guard", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq     sql.NullInt64 // NULL: MIN over no row
			payload []byte
		)
		if err := rows.Scan(&seq, &payload); err != nil {
			return dbError("append: check guard", err)
		}
		if seq.Valid && g.breaks(payload) {
			return &ConflictError{Guard: g, Seq: seq.Int64}
		}
	}
	if err := rows.Err(); err != nil {
		return dbError("append: check guard", err)
	}
	return nil
}

// validGuard returns an *InvalidError for a guard that cannot be checked.
func validGuard(i int, g Guard) error {
	bad := func(reason string) error {
		return &InvalidError{Field: fmt.Sprintf("guards[%d]", i), Reason: reason}
	}
	switch g := g.(type) {
	case nil:
		return bad("nil")
	case NoNewer:
		if len(g.Kinds) == 0 {
			return bad("NoNewer needs at least one kind")
		}
	case NoRow:
		if g.Kind == "" || g.EventID == "" {
			return bad("NoRow needs a kind and an event id")
		}
	}
	return nil
}
