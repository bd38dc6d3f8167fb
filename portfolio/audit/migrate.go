package audit

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// migrate brings a writable database up to SchemaVersion.
func (l *Log) migrate(ctx context.Context) error {
	from, to, err := migrateTo(ctx, l.w, l.path, l.now, l.log, SchemaVersion)
	if err != nil {
		return err
	}
	if from != to {
		l.log.Info().Int("from", from).Int("to", to).Msg("audit schema migrated")
	}
	return nil
}

// migrateTo applies migrations up to version target, each in its own
// BEGIN IMMEDIATE transaction that re-reads the version first, so two
// processes opening the same new file at once apply each migration once.
// It refuses, changing nothing, a database whose version is newer than
// anything this binary knows. It returns the versions before and after.
func migrateTo(ctx context.Context, db *sql.DB, path string, now func() time.Time, log zerolog.Logger, target int) (from, to int, err error) {
	if _, err := db.ExecContext(ctx, schemaMigrationsSQL); err != nil {
		return 0, 0, dbError("create schema_migrations in "+path, err)
	}
	from, err = schemaVersion(ctx, db)
	if err != nil {
		return 0, 0, dbError("read schema version of "+path, err)
	}
	if from > SchemaVersion {
		return from, from, &SchemaError{Path: path, Version: from, Supported: SchemaVersion, tooNew: true}
	}
	to = from
	for _, m := range migrations {
		if m.version > target {
			break
		}
		if m.version <= to {
			continue
		}
		applied, err := applyMigration(ctx, db, m, now)
		if err != nil {
			return from, to, fmt.Errorf("audit: migrate %s to version %d (%s): %w", path, m.version, m.name, err)
		}
		if applied {
			log.Debug().Int("version", m.version).Str("name", m.name).Msg("audit migration applied")
		}
		to = m.version
	}
	return from, to, nil
}

// applyMigration runs one migration unless another process got there first.
func applyMigration(ctx context.Context, db *sql.DB, m migration, now func() time.Time) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see the writer DSN)
	if err != nil {
		return false, dbError("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op

	var have int
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return false, dbError("read schema version", err)
	}
	if have >= m.version {
		return false, nil
	}
	if have != m.version-1 {
		return false, fmt.Errorf("audit: schema is at version %d, cannot apply migration %d", have, m.version)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, dbError("apply", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, formatTime(now())); err != nil {
		return false, dbError("record migration", err)
	}
	if err := tx.Commit(); err != nil {
		return false, dbError("commit", err)
	}
	return true, nil
}

func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

// checkReadable is the read-only counterpart of migrate: the database must
// already hold an events table (version >= 1) and not be newer than this
// binary. An older version that has the table is read as is.
func (l *Log) checkReadable(ctx context.Context) error {
	var n int
	if err := l.r.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&n); err != nil {
		return dbError("open "+l.path, err)
	}
	v := 0
	if n > 0 {
		var err error
		if v, err = schemaVersion(ctx, l.r); err != nil {
			return dbError("read schema version of "+l.path, err)
		}
	}
	switch {
	case v > SchemaVersion:
		return &SchemaError{Path: l.path, Version: v, Supported: SchemaVersion, tooNew: true}
	case v < 1:
		return &SchemaError{Path: l.path, Version: v, Supported: SchemaVersion}
	case v < SchemaVersion:
		l.log.Warn().Int("version", v).Int("supported", SchemaVersion).
			Msg("audit database has an older schema; reading it as is (open it read-write once to upgrade)")
	}
	return nil
}
