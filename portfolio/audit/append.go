package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// maxIDLen bounds every id column; ids are references, not documents.
const maxIDLen = 256

// Append writes one row and returns it as stored: seq is the next number,
// time is the log's clock, and hash extends the chain. When Append returns
// without error the row is committed and fsync'd; the portfolio service may
// send the order it describes.
//
// Errors: *InvalidError (ErrInvalid) for a bad entry, ErrReadOnly, ErrClosed,
// ErrBusy when another process held the lock past the busy timeout, or a
// context error. On any error nothing was written, with one exception shared
// by every database: if the context is cancelled while COMMIT is in flight,
// the row may be stored although an error is returned. Reconciliation treats
// such an intent like any other intent without a final state.
func (l *Log) Append(ctx context.Context, e Entry) (Record, error) {
	recs, err := l.append(ctx, []Entry{e}, nil, false)
	if err != nil {
		return Record{}, err
	}
	return recs[0], nil
}

// AppendBatch writes entries in one transaction: all of them, with
// consecutive seqs and one time, or none (a plan, its risk decision and its
// order intents land together). If any entry is invalid, nothing is written
// and the *InvalidError says which. An empty batch writes nothing.
//
// The guards are checked in the transaction, before any row is written:
// if one does not hold, nothing is written and the error is a
// *ConflictError (ErrConflict).
func (l *Log) AppendBatch(ctx context.Context, entries []Entry, guards ...Guard) ([]Record, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	return l.append(ctx, entries, guards, true)
}

func (l *Log) append(ctx context.Context, entries []Entry, guards []Guard, batch bool) ([]Record, error) {
	if err := l.acquire(); err != nil {
		return nil, err
	}
	defer l.mu.RUnlock()
	if l.readOnly {
		return nil, ErrReadOnly
	}

	recs := make([]Record, len(entries))
	for i, e := range entries {
		r, err := prepare(e)
		if err != nil {
			err.Index, err.Batch = i, batch
			return nil, err
		}
		recs[i] = r
	}
	for i, g := range guards {
		if err := validGuard(i, g); err != nil {
			return nil, err
		}
	}

	// The statements are taken before the transaction holds the writer's
	// only connection (see statementCache.get).
	headStmt, doneHead, err := l.ws.get(ctx, headSQL)
	if err != nil {
		return nil, dbError("append: prepare", err)
	}
	defer doneHead()
	insertStmt, doneInsert, err := l.ws.get(ctx, insertSQL)
	if err != nil {
		return nil, dbError("append: prepare", err)
	}
	defer doneInsert()
	guardStmts := make([]*sql.Stmt, len(guards))
	guardArgs := make([][]any, len(guards))
	for i, g := range guards {
		var q string
		q, guardArgs[i] = g.query()
		stmt, done, err := l.ws.get(ctx, q)
		if err != nil {
			return nil, dbError("append: prepare guard", err)
		}
		defer done()
		guardStmts[i] = stmt
	}

	tx, err := l.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock, now
	if err != nil {
		return nil, dbError("append: begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op

	head, err := headOf(ctx, tx.StmtContext(ctx, headStmt))
	if err != nil {
		return nil, dbError("append: read head", err)
	}
	for i, g := range guards {
		if err := checkGuard(ctx, tx.StmtContext(ctx, guardStmts[i]), g, guardArgs[i]); err != nil {
			return nil, err
		}
	}
	// The clock is read under the lock, so times follow seqs as long as the
	// clock does not step back.
	now := l.now().UTC()
	if y := now.Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("audit: append: clock reads %v, outside years 1-9999", now)
	}
	timeText := formatTime(now)
	now, _ = time.Parse(timeLayout, timeText) // what a reader will get back

	stmt := tx.StmtContext(ctx, insertStmt)

	for i := range recs {
		r := &recs[i]
		r.Seq = head.Seq + 1
		r.Time = now
		r.PrevHash = head.Hash
		r.Hash = rowHash(r.Seq, timeText, r.Kind, r.EventID, r.PlanID, r.OrderRef,
			r.BrokerOrderID, r.PermID, r.Instrument, r.Account, r.Payload, r.PrevHash)
		if _, err := stmt.ExecContext(ctx, r.Seq, timeText, r.Kind,
			nullString(r.EventID), nullString(r.PlanID), nullString(r.OrderRef),
			nullInt(r.BrokerOrderID), nullInt(r.PermID),
			nullString(r.Instrument), nullString(r.Account),
			string(r.Payload), r.PrevHash, r.Hash); err != nil {
			return nil, dbError(fmt.Sprintf("append seq %d (%s)", r.Seq, r.Kind), err)
		}
		head = Head{Seq: r.Seq, Hash: r.Hash}
	}
	if err := tx.Commit(); err != nil {
		return nil, dbError("append: commit", err)
	}
	l.log.Debug().Int64("seq", head.Seq).Int("rows", len(recs)).Str("kind", recs[0].Kind).Msg("audit append")
	return recs, nil
}

const (
	headSQL   = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
	insertSQL = `INSERT INTO events
		(seq, time, kind, event_id, plan_id, order_ref, broker_order_id, perm_id, instrument, account, payload, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// headOf reads the last row's seq and hash (GenesisHash for an empty log)
// with headSQL's statement.
func headOf(ctx context.Context, stmt *sql.Stmt) (Head, error) {
	h := Head{Hash: GenesisHash}
	err := stmt.QueryRowContext(ctx).Scan(&h.Seq, &h.Hash)
	if err == sql.ErrNoRows {
		return Head{Hash: GenesisHash}, nil
	}
	return h, err
}

// prepare validates an entry and turns it into a Record without seq, time
// or hashes. The payload is compacted so the stored text is canonical and
// has no newline (the shell script reads one row per line).
func prepare(e Entry) (Record, *InvalidError) {
	bad := func(field, format string, args ...any) (Record, *InvalidError) {
		return Record{}, &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if e.Kind == "" {
		return bad("Kind", "empty; use one of the Kind constants")
	}
	if len(e.Kind) > 64 {
		return bad("Kind", "longer than 64 bytes")
	}
	for _, c := range []byte(e.Kind) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return bad("Kind", "%q has characters other than a-z, 0-9 and '_'", e.Kind)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"EventID", e.EventID}, {"PlanID", e.PlanID}, {"OrderRef", e.OrderRef},
		{"Instrument", e.Instrument}, {"Account", e.Account},
	} {
		if len(f.v) > maxIDLen {
			return bad(f.name, "longer than %d bytes", maxIDLen)
		}
		if !utf8.ValidString(f.v) {
			return bad(f.name, "not valid UTF-8")
		}
		for _, c := range f.v {
			if c < 0x20 || c == 0x7f {
				return bad(f.name, "%q contains a control character", f.v)
			}
		}
	}

	var raw []byte
	switch {
	case e.Payload != nil && e.RawPayload != nil:
		return bad("Payload", "both Payload and RawPayload are set; give one")
	case e.RawPayload != nil:
		if !json.Valid(e.RawPayload) {
			return bad("RawPayload", "not valid JSON")
		}
		if !utf8.Valid(e.RawPayload) {
			return bad("Payload", "not valid UTF-8")
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, e.RawPayload); err != nil {
			return bad("Payload", "not valid JSON: %v", err)
		}
		raw = buf.Bytes()
	case e.Payload != nil:
		// json.Marshal's output is compact valid UTF-8 already: it
		// compacts what MarshalJSON methods and RawMessages return, and
		// replaces invalid UTF-8 in strings.
		b, err := json.Marshal(e.Payload)
		if err != nil {
			return bad("Payload", "cannot be marshalled to JSON: %v", err)
		}
		raw = b
	default:
		raw = []byte("{}")
	}

	return Record{
		Kind: e.Kind, EventID: e.EventID, PlanID: e.PlanID, OrderRef: e.OrderRef,
		BrokerOrderID: e.BrokerOrderID, PermID: e.PermID,
		Instrument: e.Instrument, Account: e.Account,
		Payload: json.RawMessage(raw),
	}, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullInt(n int64) sql.NullInt64      { return sql.NullInt64{Int64: n, Valid: n != 0} }
