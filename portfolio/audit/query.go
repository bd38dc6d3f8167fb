package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// columns is the select list every reader uses, in scanRecord's order.
const columns = `seq, time, kind, event_id, plan_id, order_ref, broker_order_id, perm_id, instrument, account, payload, prev_hash, hash`

// Filter selects rows for Query and Each. Zero fields do not filter.
type Filter struct {
	From, To   time.Time // From <= time < To
	Kinds      []string  // any of these kinds
	EventID    string
	PlanID     string
	OrderRef   string
	Instrument string
	AfterSeq   int64 // seq > AfterSeq (paging forward)
	BeforeSeq  int64 // seq < BeforeSeq (paging backward)
	Desc       bool  // newest first
	Limit      int   // at most this many rows; 0 = all
}

func (f Filter) where() (string, []any, error) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) { conds = append(conds, cond); args = append(args, a...) }
	if !f.From.IsZero() {
		add("time >= ?", formatTime(f.From))
	}
	if !f.To.IsZero() {
		add("time < ?", formatTime(f.To))
	}
	if len(f.Kinds) > 0 {
		add("kind IN (?"+strings.Repeat(", ?", len(f.Kinds)-1)+")", anys(f.Kinds)...)
	}
	if f.EventID != "" {
		add("event_id = ?", f.EventID)
	}
	if f.PlanID != "" {
		add("plan_id = ?", f.PlanID)
	}
	if f.OrderRef != "" {
		add("order_ref = ?", f.OrderRef)
	}
	if f.Instrument != "" {
		add("instrument = ?", f.Instrument)
	}
	if f.AfterSeq != 0 {
		add("seq > ?", f.AfterSeq)
	}
	if f.BeforeSeq != 0 {
		add("seq < ?", f.BeforeSeq)
	}
	if f.Limit < 0 {
		return "", nil, &InvalidError{Field: "Filter.Limit", Reason: "negative"}
	}
	q := "SELECT " + columns + " FROM events"
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	if f.Desc {
		q += " ORDER BY seq DESC"
	} else {
		q += " ORDER BY seq"
	}
	if f.Limit > 0 {
		q += " LIMIT ?" // an argument, so that every limit shares one prepared statement
		args = append(args, f.Limit)
	}
	return q, args, nil
}

// Query returns the rows that match f, ordered by seq (newest first with
// f.Desc). For exports of the whole log use Each, which does not hold every
// row in memory.
func (l *Log) Query(ctx context.Context, f Filter) ([]Record, error) {
	var out []Record
	err := l.Each(ctx, f, func(r Record) error { out = append(out, r); return nil })
	return out, err
}

// Each calls fn for every row that matches f, in the order Query would
// return them, streaming from the database. An error from fn stops the
// iteration and is returned as is.
func (l *Log) Each(ctx context.Context, f Filter, fn func(Record) error) error {
	q, args, err := f.where()
	if err != nil {
		return err
	}
	return l.each(ctx, q, args, fn)
}

func (l *Log) each(ctx context.Context, q string, args []any, fn func(Record) error) error {
	if err := l.acquire(); err != nil {
		return err
	}
	defer l.mu.RUnlock()
	stmt, done, err := l.rs.get(ctx, q)
	if err != nil {
		return dbError("query", err)
	}
	defer done()
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return dbError("query", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return dbError("query", rows.Err())
}

// LastSeqOf returns the seq of the newest row of any of kinds, 0 when there
// is none: one indexed lookup per kind, cheap enough to ask on every
// decision whether state derived from those kinds may have changed.
func (l *Log) LastSeqOf(ctx context.Context, kinds ...string) (int64, error) {
	if len(kinds) == 0 {
		return 0, errors.New("audit: LastSeqOf needs at least one kind")
	}
	if err := l.acquire(); err != nil {
		return 0, err
	}
	defer l.mu.RUnlock()
	parts := make([]string, len(kinds))
	args := make([]any, len(kinds))
	for i, k := range kinds {
		parts[i] = "SELECT MAX(seq) AS s FROM events WHERE kind = ?"
		args[i] = k
	}
	var seq sql.NullInt64
	q := "SELECT MAX(s) FROM (" + strings.Join(parts, " UNION ALL ") + ")"
	stmt, done, err := l.rs.get(ctx, q)
	if err != nil {
		return 0, dbError("last seq", err)
	}
	defer done()
	if err := stmt.QueryRowContext(ctx, args...).Scan(&seq); err != nil {
		return 0, dbError("last seq", err)
	}
	return seq.Int64, nil
}

// Get returns row seq, or ErrNotFound.
func (l *Log) Get(ctx context.Context, seq int64) (Record, error) {
	return l.one(ctx, "SELECT "+columns+" FROM events WHERE seq = ?", seq)
}

// Last returns the newest row of kind, or the newest row of all when kind
// is empty; ErrNotFound if there is none.
func (l *Log) Last(ctx context.Context, kind string) (Record, error) {
	if kind == "" {
		return l.one(ctx, "SELECT "+columns+" FROM events ORDER BY seq DESC LIMIT 1")
	}
	return l.one(ctx, "SELECT "+columns+" FROM events WHERE kind = ? ORDER BY seq DESC LIMIT 1", kind)
}

func (l *Log) one(ctx context.Context, q string, args ...any) (Record, error) {
	var out []Record
	if err := l.each(ctx, q, args, func(r Record) error { out = append(out, r); return nil }); err != nil {
		return Record{}, err
	}
	if len(out) == 0 {
		return Record{}, ErrNotFound
	}
	return out[0], nil
}

// Story returns every row tied to the signal event eventID, ordered by seq:
// the rows that carry the event id, the rows that carry any plan id found on
// those, and the rows that carry any order reference found on either. That
// is the whole story of a decision: the signal, the plan, each risk verdict,
// each intent, what the broker said and each fill. Broker rows belong to the
// story only if they carry the order reference. ErrNotFound if no row
// carries the event id.
func (l *Log) Story(ctx context.Context, eventID string) ([]Record, error) {
	if eventID == "" {
		return nil, &InvalidError{Field: "eventID", Reason: "empty"}
	}
	const q = `WITH
  ev AS (SELECT seq, plan_id, order_ref FROM events WHERE event_id = ?1),
  plans AS (SELECT plan_id FROM ev WHERE plan_id IS NOT NULL),
  pl AS (SELECT seq, order_ref FROM events WHERE plan_id IN plans),
  refs AS (SELECT order_ref FROM ev WHERE order_ref IS NOT NULL
           UNION SELECT order_ref FROM pl WHERE order_ref IS NOT NULL),
  story AS (SELECT seq FROM ev
            UNION SELECT seq FROM pl
            UNION SELECT seq FROM events WHERE order_ref IN refs)
SELECT ` + columns + ` FROM events WHERE seq IN story ORDER BY seq`
	var out []Record
	if err := l.each(ctx, q, []any{eventID}, func(r Record) error { out = append(out, r); return nil }); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}

// IntentsWithoutFinalState returns, for reconciliation, the latest
// order_intent row of every order reference that has no final state yet:
// no row of kind order_status with the same order_ref, after the intent,
// whose payload has "final": true. The portfolio service writes such a row
// when an order is filled, cancelled or rejected (or found so by
// reconciliation); every intent returned here must be matched against the
// broker's open orders and executions before anything is sent again.
// Ordered by seq.
func (l *Log) IntentsWithoutFinalState(ctx context.Context) ([]Record, error) {
	const q = `SELECT ` + columns + ` FROM events AS i
WHERE i.kind = 'order_intent' AND i.order_ref IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events AS n
                  WHERE n.order_ref = i.order_ref AND n.seq > i.seq AND n.kind = 'order_intent')
  AND NOT EXISTS (SELECT 1 FROM events AS s
                  WHERE s.order_ref = i.order_ref AND s.seq > i.seq AND s.kind = 'order_status'
                    AND json_extract(s.payload, '$.final') = 1)
ORDER BY i.seq`
	var out []Record
	err := l.each(ctx, q, nil, func(r Record) error { out = append(out, r); return nil })
	return out, err
}

// Head returns the last row's seq and hash ({0, GenesisHash} when empty).
func (l *Log) Head(ctx context.Context) (Head, error) {
	if err := l.acquire(); err != nil {
		return Head{}, err
	}
	defer l.mu.RUnlock()
	stmt, done, err := l.rs.get(ctx, headSQL)
	if err != nil {
		return Head{}, dbError("head", err)
	}
	defer done()
	h, err := headOf(ctx, stmt)
	return h, dbError("head", err)
}

// checkHead recomputes the last row's hash and checks that it chains to the
// row before it: a cheap check at Open that catches a damaged tail.
func (l *Log) checkHead(ctx context.Context, db *sql.DB) (Head, error) {
	rows, err := db.QueryContext(ctx, "SELECT * FROM (SELECT "+verifyColumns+" FROM events ORDER BY seq DESC LIMIT 2) ORDER BY seq")
	if err != nil {
		return Head{}, dbError("open "+l.path+": read head", err)
	}
	defer rows.Close()
	var (
		r    verifyRow
		buf  []byte
		prev = Head{Hash: GenesisHash}
		n    int
	)
	for rows.Next() {
		if err := r.scan(rows); err != nil {
			return Head{}, err
		}
		if n++; n == 2 || r.seq == 1 {
			if cerr := checkRow(&r, &buf, prev, ""); cerr != nil {
				cerr.Detail += " (found by the check of the last rows at open; run verify)"
				return Head{}, cerr
			}
		}
		prev = Head{Seq: r.seq, Hash: r.hash}
	}
	if err := rows.Err(); err != nil {
		return Head{}, dbError("open "+l.path+": read head", err)
	}
	return prev, nil
}

// scanRecord reads one row selected with columns.
func scanRecord(rows *sql.Rows) (Record, error) {
	var (
		r                                           Record
		timeText                                    string
		eventID, planID, orderRef, instrument, acct sql.NullString
		brokerOrderID, permID                       sql.NullInt64
		payload                                     string
	)
	if err := rows.Scan(&r.Seq, &timeText, &r.Kind, &eventID, &planID, &orderRef,
		&brokerOrderID, &permID, &instrument, &acct, &payload, &r.PrevHash, &r.Hash); err != nil {
		return Record{}, dbError(fmt.Sprintf("read row after %d", r.Seq), err)
	}
	t, err := time.Parse(timeLayout, timeText)
	if err != nil {
		return Record{}, fmt.Errorf("audit: row %d: time %q: %w", r.Seq, timeText, err)
	}
	r.Time = t
	r.EventID, r.PlanID, r.OrderRef = eventID.String, planID.String, orderRef.String
	r.BrokerOrderID, r.PermID = brokerOrderID.Int64, permID.Int64
	r.Instrument, r.Account = instrument.String, acct.String
	r.Payload = json.RawMessage(payload)
	return r, nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
