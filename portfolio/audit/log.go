package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
	"github.com/rs/zerolog"
)

// DefaultBusyTimeout is how long a write waits for another process holding
// the database lock before failing with ErrBusy.
const DefaultBusyTimeout = 5 * time.Second

// Options configure Open. The zero value is usable.
type Options struct {
	// Now is the clock that stamps rows and migrations. Default time.Now.
	Now func() time.Time
	// Logger receives the log's own diagnostics. The zero value, like
	// zerolog.Nop(), discards them.
	Logger zerolog.Logger
	// BusyTimeout is how long a write waits for another writer's lock.
	// Default DefaultBusyTimeout.
	BusyTimeout time.Duration
	// ReadOnly opens the database for reading only: no migrations, Append
	// fails with ErrReadOnly, and a broken chain head does not fail Open
	// (Verify reports it). The review commands use it.
	ReadOnly bool
}

// Log is an append-only, hash-chained audit log in one SQLite file. It is
// safe for concurrent use by many goroutines, and several Logs (in one or
// more processes) may append to the same file: writes serialize on the
// database lock and every row extends the one chain.
type Log struct {
	path     string
	now      func() time.Time
	log      zerolog.Logger
	readOnly bool

	w *sql.DB // one connection, BEGIN IMMEDIATE; nil when read-only
	r *sql.DB // read-only connections for queries and Verify
	// ws and rs are w's and r's prepared statements (ws is nil when
	// read-only).
	ws, rs *statementCache

	mu     sync.RWMutex // held for reading by every operation, for writing by Close
	closed bool
}

// Open opens (creating it unless read-only) the audit log at path, brings its
// schema up to SchemaVersion, and checks that the last row matches its hash
// and chains to the row before it. A full check of every row is Verify.
//
// The file is in WAL mode with synchronous=FULL, so every append that
// returned is on disk: a crash (of the process or of the machine) right
// after Append returns loses nothing.
//
// Open fails with a *SchemaError (ErrSchemaTooNew) for a database written by
// a newer rotor, and, unless opts.ReadOnly, with a *ChainError (ErrTampered)
// if the chain head is broken: appending to a broken chain would bury the
// damage.
func Open(ctx context.Context, path string, opts Options) (*Log, error) {
	if path == "" {
		return nil, errors.New("audit: open: empty path")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	if opts.BusyTimeout < 0 {
		return nil, fmt.Errorf("audit: open: negative BusyTimeout %v", opts.BusyTimeout)
	}
	l := &Log{path: path, now: opts.Now, readOnly: opts.ReadOnly}
	l.log = opts.Logger.With().Str("audit_db", path).Logger()

	if err := l.open(ctx, opts.BusyTimeout); err != nil {
		l.closeDBs()
		return nil, err
	}
	return l, nil
}

// readers is how many read connections the log keeps open.
const readers = 8

func (l *Log) open(ctx context.Context, busy time.Duration) error {
	abs, err := filepath.Abs(l.path)
	if err != nil {
		return fmt.Errorf("audit: open %s: %w", l.path, err)
	}
	// A file: URI, so that a path with '?' or '#' cannot be read as options.
	// SQLite ignores the go-sqlite3 "_" parameters; the driver applies them
	// to every new connection.
	base := "file:" + (&url.URL{Path: abs}).EscapedPath()
	ms := strconv.FormatInt(busy.Milliseconds(), 10)

	if !l.readOnly {
		l.w, err = sql.Open("sqlite3", base+"?mode=rwc&_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_txlock=immediate&_busy_timeout="+ms)
		if err != nil {
			return fmt.Errorf("audit: open %s: %w", l.path, err)
		}
		// One writer connection per Log: goroutines queue in database/sql
		// instead of spinning on SQLITE_BUSY; other processes wait in
		// busy_timeout.
		l.w.SetMaxOpenConns(1)
		if err := l.checkPragmas(ctx); err != nil {
			return err
		}
		if err := l.migrate(ctx); err != nil {
			return err
		}
		l.ws = newStatementCache(l.w)
	}

	l.r, err = sql.Open("sqlite3", base+"?mode=ro&_foreign_keys=on&_busy_timeout="+ms)
	if err != nil {
		return fmt.Errorf("audit: open %s: %w", l.path, err)
	}
	// A decision reads the log with a few queries at once; keeping that
	// many connections open spares each of them opening the file and
	// reading the schema again (database/sql keeps two by default).
	l.r.SetMaxIdleConns(readers)
	l.rs = newStatementCache(l.r)
	if l.readOnly {
		if err := l.checkReadable(ctx); err != nil {
			return err
		}
	}

	if _, err := l.checkHead(ctx, l.r); err != nil {
		if !l.readOnly || !errors.Is(err, ErrTampered) {
			return err
		}
		l.log.Warn().Err(err).Msg("audit log chain head is broken; run verify")
	}
	l.log.Debug().Bool("read_only", l.readOnly).Msg("audit log opened")
	return nil
}

// checkPragmas makes sure the settings the durability promise rests on
// actually took effect (WAL can silently fail on some file systems).
func (l *Log) checkPragmas(ctx context.Context) error {
	var mode string
	if err := l.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return dbError("open "+l.path, err)
	}
	if mode != "wal" {
		return fmt.Errorf("audit: open %s: journal_mode is %q, want wal (is the file system one that supports WAL?)", l.path, mode)
	}
	var sync int
	if err := l.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return dbError("open "+l.path, err)
	}
	if sync != 2 {
		return fmt.Errorf("audit: open %s: synchronous is %d, want 2 (FULL)", l.path, sync)
	}
	return nil
}

// Path returns the database file the log was opened on.
func (l *Log) Path() string { return l.path }

// Close closes the log. It waits for operations in flight to finish, so an
// Append that started before Close is either committed or not, never half.
// Later calls fail with ErrClosed; closing twice is not an error.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.closeDBs()
}

func (l *Log) closeDBs() error {
	for _, c := range []*statementCache{l.ws, l.rs} {
		if c != nil {
			c.close()
		}
	}
	// Readers first: when the writer is the file's last connection, SQLite
	// checkpoints the WAL into the database and removes it on close (a
	// read-only connection closing last cannot), so a closed log is one
	// file that a copy or the sqlite3 shell takes whole.
	var errs []error
	if l.r != nil {
		errs = append(errs, l.r.Close())
	}
	if l.w != nil {
		errs = append(errs, l.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("audit: close %s: %w", l.path, err)
	}
	return nil
}

// acquire marks an operation in flight; release with l.mu.RUnlock.
func (l *Log) acquire() error {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	return nil
}
