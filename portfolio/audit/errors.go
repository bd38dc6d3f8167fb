package audit

import (
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// Sentinel errors. Every error returned by this package either is one of
// these or wraps one of them (or a context error), so callers branch with
// errors.Is and show the message, which says what to do.
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("audit: log is closed")

	// ErrInvalid means an Entry (or a Filter) was rejected before anything was
	// written. The error is an *InvalidError naming the field; fix the caller.
	ErrInvalid = errors.New("audit: invalid entry")

	// ErrBusy means another writer (another process with the same file open)
	// held the database lock for longer than Options.BusyTimeout. Nothing was
	// written. Retrying is safe; if it persists, find the other process.
	ErrBusy = errors.New("audit: database is busy (locked by another writer longer than the busy timeout)")

	// ErrReadOnly is returned by Append and AppendBatch on a log opened with
	// Options.ReadOnly.
	ErrReadOnly = errors.New("audit: log is opened read-only")

	// ErrNotFound is returned by Get, Last and Story when no row matches.
	ErrNotFound = errors.New("audit: no such row")

	// ErrSchemaTooNew means the database was written by a newer rotor whose
	// schema this binary does not know. The error is a *SchemaError. Nothing
	// was changed; use the newer binary.
	ErrSchemaTooNew = errors.New("audit: database schema is newer than this binary")

	// ErrSchemaTooOld means a read-only open found a database that is not (or
	// not yet) an audit log. The error is a *SchemaError.
	ErrSchemaTooOld = errors.New("audit: database schema is too old to read")

	// ErrTampered means the hash chain does not hold: a row was changed,
	// removed, reordered or inserted after it was written, or the tail was cut
	// off. The error is a *ChainError naming the first bad row.
	ErrTampered = errors.New("audit: hash chain broken")
)

// InvalidError says which field of which entry was rejected and why.
type InvalidError struct {
	Index  int    // position in the batch; 0 for Append
	Batch  bool   // whether the entry came from AppendBatch
	Field  string // Go field name, e.g. "Kind", "RawPayload"
	Reason string
}

func (e *InvalidError) Error() string {
	if e.Batch {
		return fmt.Sprintf("audit: invalid entry %d: %s: %s (nothing in the batch was written)", e.Index, e.Field, e.Reason)
	}
	return fmt.Sprintf("audit: invalid entry: %s: %s (nothing was written)", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// SchemaError reports a database whose schema version this binary cannot use.
type SchemaError struct {
	Path      string
	Version   int // version found in the database's schema_migrations
	Supported int // newest version this binary knows
	tooNew    bool
}

func (e *SchemaError) Error() string {
	if e.tooNew {
		return fmt.Sprintf("audit: %s is at schema version %d but this binary knows versions up to %d: "+
			"open it with the newer rotor that wrote it (this binary changed nothing)", e.Path, e.Version, e.Supported)
	}
	return fmt.Sprintf("audit: %s is at schema version %d (this binary writes version %d): "+
		"it is not an audit log, or it must be opened read-write once to be created or upgraded", e.Path, e.Version, e.Supported)
}

// Is makes errors.Is work with ErrSchemaTooNew and ErrSchemaTooOld.
func (e *SchemaError) Is(target error) bool {
	if e.tooNew {
		return target == ErrSchemaTooNew
	}
	return target == ErrSchemaTooOld
}

// Problem classifies what Verify found wrong with the chain.
type Problem int

// The problems Verify reports. The row number in ChainError.Seq is the first
// row at which the chain stops holding.
const (
	// ProblemChanged: the row's content does not match its own hash (or it is
	// not stored in the canonical form the hash assumes).
	ProblemChanged Problem = iota + 1
	// ProblemMissing: the row's sequence number is absent although later rows exist.
	ProblemMissing
	// ProblemReordered: the row does not chain to the row before it (its
	// prev_hash differs from that row's hash), or it holds another row's content.
	ProblemReordered
	// ProblemInserted: the row is not part of the original chain: the row after
	// it chains past it, or its sequence number is not positive.
	ProblemInserted
	// ProblemTruncated: rows at the end are gone, measured against a remembered head.
	ProblemTruncated
	// ProblemHeadMismatch: the row at the remembered head's sequence number has
	// a different hash, so the chain was rebuilt up to there.
	ProblemHeadMismatch
)

func (p Problem) String() string {
	switch p {
	case ProblemChanged:
		return "changed"
	case ProblemMissing:
		return "missing"
	case ProblemReordered:
		return "reordered"
	case ProblemInserted:
		return "inserted"
	case ProblemTruncated:
		return "truncated"
	case ProblemHeadMismatch:
		return "head mismatch"
	}
	return fmt.Sprintf("Problem(%d)", int(p))
}

// ChainError names the first row at which the hash chain stops holding.
type ChainError struct {
	Seq     int64   // first bad row (for ProblemMissing and ProblemTruncated, the first absent one)
	Problem Problem // what kind of damage
	Detail  string  // a sentence for the operator, e.g. "row 7's content does not match its hash"
}

func (e *ChainError) Error() string { return "audit: hash chain broken: " + e.Detail }

// Is makes errors.Is(err, ErrTampered) true.
func (e *ChainError) Is(target error) bool { return target == ErrTampered }

// dbError turns driver errors into the package's typed errors; what is
// describes the operation, e.g. "append".
func dbError(what string, err error) error {
	if err == nil {
		return nil
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return fmt.Errorf("%w; retry, or find the other process holding it: %s: %v", ErrBusy, what, err)
	}
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrTampered) {
		return err
	}
	return fmt.Errorf("audit: %s: %w", what, err)
}
