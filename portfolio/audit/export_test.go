package audit

import (
	"context"
	"database/sql"
	"time"

	"github.com/rs/zerolog"
)

// MigrateTo applies the migrations up to version target on db, for tests
// that need a database from an older rotor.
func MigrateTo(ctx context.Context, db *sql.DB, target int) error {
	_, _, err := migrateTo(ctx, db, "test.db", time.Now, zerolog.Nop(), target)
	return err
}

// Migrations returns the versions this binary knows, in order.
func Migrations() []int {
	var v []int
	for _, m := range migrations {
		v = append(v, m.version)
	}
	return v
}

// RowHash exposes the hash function to tests that forge rows.
var RowHash = rowHash
