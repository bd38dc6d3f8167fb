package audit

import (
	"context"
	"database/sql"
	"fmt"
)

// VerifyReport says how much of the chain Verify checked.
type VerifyReport struct {
	Rows int64 // rows that were checked and hold (all of them when Verify returns nil)
	Head Head  // the last row that holds
}

// canonicalSQL is true when a row has none of the two forms the hash
// encoding cannot tell apart from the canonical one: ” for a NULL text id
// (both encode as "0:,") and an integer id stored as text ('17' and 17 both
// encode as "2:17,"). The schema's CHECK constraints forbid both; Verify
// re-checks for a table rebuilt without them. (It is kept this small on
// purpose: each typeof() costs per row over the whole log.)
const canonicalSQL = `(coalesce('' IN (event_id, plan_id, order_ref, instrument, account), 0) = 0
 AND typeof(broker_order_id) IN ('integer', 'null') AND typeof(perm_id) IN ('integer', 'null'))`

// progressEvery is how many rows pass between progress callbacks.
const progressEvery = 4096

// Verify recomputes the whole chain, streaming the rows in seq order from
// one consistent snapshot (appends may go on meanwhile), and returns a
// *ChainError (ErrTampered) naming the first row at which it stops holding:
//
//   - ProblemChanged: "row N's content does not match its hash". Which
//     column changed cannot be known, only that one did.
//   - ProblemMissing: "row N is missing (rows N-1 and N+1 present)".
//   - ProblemReordered: row N does not chain to row N-1, or holds the content
//     of the row that belongs at N+1.
//   - ProblemInserted: row N is not part of the chain (the row after it
//     chains past it, or holds the content that belongs at N).
//
// It holds against anyone who drops the triggers and edits the table, as
// long as they cannot recompute every later hash; someone who can rewrite
// the whole file can rebuild a consistent chain, which only a head
// remembered elsewhere (VerifyAgainst) exposes. Likewise rows cut off the
// end leave a valid, shorter chain: Verify alone cannot see that.
//
// progress, if not nil, is called every few thousand rows and at the end
// with the rows checked and the total.
func (l *Log) Verify(ctx context.Context, progress func(done, total int64)) (VerifyReport, error) {
	return l.verify(ctx, nil, progress)
}

// VerifyAgainst is Verify plus a check against a head remembered earlier
// (from Head or an earlier VerifyReport): the log must still reach
// anchor.Seq (else ProblemTruncated: rows were cut off the end) and row
// anchor.Seq must still have anchor.Hash (else ProblemHeadMismatch: the
// chain was rebuilt up to there).
func (l *Log) VerifyAgainst(ctx context.Context, anchor Head, progress func(done, total int64)) (VerifyReport, error) {
	if anchor.Seq < 0 || (anchor.Seq > 0 && len(anchor.Hash) != 64) {
		return VerifyReport{}, &InvalidError{Field: "anchor", Reason: fmt.Sprintf("not a head: %+v", anchor)}
	}
	return l.verify(ctx, &anchor, progress)
}

func (l *Log) verify(ctx context.Context, anchor *Head, progress func(done, total int64)) (VerifyReport, error) {
	if err := l.acquire(); err != nil {
		return VerifyReport{}, err
	}
	defer l.mu.RUnlock()

	tx, err := l.r.BeginTx(ctx, nil) // one snapshot for the count and the rows
	if err != nil {
		return VerifyReport{}, dbError("verify: begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	var total int64
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&total); err != nil {
		return VerifyReport{}, dbError("verify: count", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+verifyColumns+" FROM events ORDER BY seq")
	if err != nil {
		return VerifyReport{}, dbError("verify: read", err)
	}
	defer rows.Close()

	var (
		rep        = VerifyReport{Head: Head{Hash: GenesisHash}}
		r          verifyRow
		buf        []byte
		prev2      string // hash of the row before the previous one
		anchorHash string // hash found at anchor.Seq
	)
	for rows.Next() {
		if err := r.scan(rows); err != nil {
			return rep, err
		}
		if cerr := checkRow(&r, &buf, rep.Head, prev2); cerr != nil {
			return rep, cerr
		}
		prev2 = rep.Head.Hash
		rep.Head = Head{Seq: r.seq, Hash: r.hash}
		rep.Rows++
		if anchor != nil && r.seq == anchor.Seq {
			anchorHash = r.hash
		}
		if progress != nil && rep.Rows%progressEvery == 0 {
			progress(rep.Rows, total)
		}
	}
	if err := rows.Err(); err != nil {
		return rep, dbError("verify: read", err)
	}
	if progress != nil {
		progress(rep.Rows, total)
	}

	if anchor != nil && anchor.Seq > 0 {
		if anchor.Seq > rep.Head.Seq {
			return rep, &ChainError{Seq: rep.Head.Seq + 1, Problem: ProblemTruncated, Detail: fmt.Sprintf(
				"the log ends at row %d but the remembered head is row %d: rows %d to %d were removed from the end",
				rep.Head.Seq, anchor.Seq, rep.Head.Seq+1, anchor.Seq)}
		}
		if anchorHash != anchor.Hash {
			return rep, &ChainError{Seq: anchor.Seq, Problem: ProblemHeadMismatch, Detail: fmt.Sprintf(
				"row %d's hash is not the remembered head's hash: the chain was rebuilt up to row %d",
				anchor.Seq, anchor.Seq)}
		}
	}
	return rep, nil
}

// verifyColumns selects what verifyRow.scan reads: the hashed columns as
// stored, the hash, and whether the row is in canonical form.
const verifyColumns = `seq, time, kind, event_id, plan_id, order_ref, broker_order_id, perm_id, instrument, account, payload, prev_hash, hash, ` + canonicalSQL

// verifyRow is a row as stored, read without trusting any column to be
// well formed. The fields are only valid until the next scan.
type verifyRow struct {
	seq       int64
	fields    [11]sql.RawBytes // time ... prev_hash in hash order; NULL reads as empty
	hash      string
	canonical bool
}

func (r *verifyRow) scan(rows *sql.Rows) error {
	f := &r.fields
	err := rows.Scan(&r.seq, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &r.hash, &r.canonical)
	return dbError(fmt.Sprintf("verify: read the row after %d", r.seq), err)
}

func (r *verifyRow) prevHash() string { return string(r.fields[10]) }

// hashAt is the row's hash if its content stood at seq; buf is reused.
func (r *verifyRow) hashAt(buf *[]byte, seq int64) string {
	var fs [len(r.fields)][]byte
	for i, f := range r.fields {
		fs[i] = f
	}
	*buf = appendEncoding((*buf)[:0], seq, fs[:]...)
	return hashOf(*buf)
}

// checkRow checks one row against the row before it (prev) and the one
// before that (prev2Hash, "" if unknown), naming the damage as precisely as
// the evidence allows.
func checkRow(r *verifyRow, buf *[]byte, prev Head, prev2Hash string) *ChainError {
	n := r.seq
	want := prev.Seq + 1
	switch {
	case n < want: // only a seq below 1 can sort before the first row
		return &ChainError{Seq: n, Problem: ProblemInserted, Detail: fmt.Sprintf(
			"row %d has a sequence number below 1: it was inserted", n)}
	case n > want:
		var d string
		switch {
		case want == 1 && n == 2:
			d = "row 1 is missing (row 2 is the first present)"
		case want == 1:
			d = fmt.Sprintf("rows 1 to %d are missing (row %d is the first present)", n-1, n)
		case n == want+1:
			d = fmt.Sprintf("row %d is missing (rows %d and %d present)", want, want-1, n)
		default:
			d = fmt.Sprintf("rows %d to %d are missing (rows %d and %d present)", want, n-1, want-1, n)
		}
		return &ChainError{Seq: want, Problem: ProblemMissing, Detail: d}
	}

	if r.hashAt(buf, n) != r.hash {
		// Content moved from one seq to another hashes right at its old seq.
		if n > 1 && r.hashAt(buf, n-1) == r.hash {
			return &ChainError{Seq: n - 1, Problem: ProblemInserted, Detail: fmt.Sprintf(
				"row %d was inserted: row %d holds the content that belongs at row %d, so the rows from there on were renumbered",
				n-1, n, n-1)}
		}
		if r.hashAt(buf, n+1) == r.hash {
			return &ChainError{Seq: n, Problem: ProblemReordered, Detail: fmt.Sprintf(
				"row %d holds the content that belongs at row %d: rows were reordered, or a row was removed and the rest renumbered",
				n, n+1)}
		}
		return &ChainError{Seq: n, Problem: ProblemChanged, Detail: fmt.Sprintf(
			"row %d's content does not match its hash", n)}
	}
	if !r.canonical {
		return &ChainError{Seq: n, Problem: ProblemChanged, Detail: fmt.Sprintf(
			"row %d's content does not match its hash: a column is not stored as Append stores it (type or empty id)", n)}
	}
	if ph := r.prevHash(); ph != prev.Hash {
		if prev2Hash != "" && ph == prev2Hash {
			return &ChainError{Seq: n - 1, Problem: ProblemInserted, Detail: fmt.Sprintf(
				"row %d was inserted or replaced: row %d chains to row %d, past it", n-1, n, n-2)}
		}
		if n == 1 {
			return &ChainError{Seq: n, Problem: ProblemReordered, Detail: "row 1 does not start the chain " +
				"(its prev_hash is not the genesis hash): rows were reordered or inserted"}
		}
		return &ChainError{Seq: n, Problem: ProblemReordered, Detail: fmt.Sprintf(
			"row %d does not chain to row %d (its prev_hash is not row %d's hash): rows were reordered or inserted, "+
				"or row %d was rewritten with a recomputed hash", n, n-1, n-1, n-1)}
	}
	return nil
}
