package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

func TestMigrations_Numbered(t *testing.T) {
	v := audit.Migrations()
	for i, got := range v {
		if want := i + 1; got != want {
			t.Fatalf("migration %d has version %d, want %d", i, got, want)
		}
	}
	if got, want := v[len(v)-1], audit.SchemaVersion; got != want {
		t.Fatalf("last migration=%d, SchemaVersion=%d", got, want)
	}
}

// A database written by a rotor that knew only migration 1 is upgraded in
// place and its chain continues.
func TestMigrate_FromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	db := rawDB(t, path)
	if err := audit.MigrateTo(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	prev := audit.GenesisHash
	for seq := int64(1); seq <= 3; seq++ {
		tm := "2025-12-01T10:00:0" + string(rune('0'+seq)) + ".000000000Z"
		h := audit.RowHash(seq, tm, "signal_received", "ev-old", "", "", 0, 0, "", "", []byte(`{}`), prev)
		mustExec(t, db, `INSERT INTO events (seq, time, kind, event_id, payload, prev_hash, hash) VALUES (?, ?, 'signal_received', 'ev-old', '{}', ?, ?)`,
			seq, tm, prev, h)
		prev = h
	}
	if n := countIndexes(t, db); n != 0 {
		t.Fatalf("version 1 has %d indexes, want 0", n)
	}
	db.Close()

	l := mustOpenAt(t, path, audit.Options{})
	if got, want := schemaVersionOf(t, path), audit.SchemaVersion; got != want {
		t.Fatalf("version after Open=%d, want %d", got, want)
	}
	if n := countIndexes(t, rawDB(t, path)); n != 6 {
		t.Fatalf("indexes after upgrade=%d, want 6", n)
	}
	r := mustAppend(t, l, audit.Entry{Kind: audit.KindPlan, EventID: "ev-old", PlanID: "p"})
	if r.Seq != 4 || r.PrevHash != prev {
		t.Fatalf("Append after upgrade=%+v, want seq 4 chained to %s", r, prev)
	}
	mustVerify(t, l)

	// Opening again changes nothing.
	l.Close()
	mustOpenAt(t, path, audit.Options{})
	if got, want := schemaVersionOf(t, path), audit.SchemaVersion; got != want {
		t.Fatalf("version after reopen=%d, want %d", got, want)
	}
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	l := mustOpenAt(t, path, audit.Options{})
	fill(t, l, 2)
	l.Close()
	db := rawDB(t, path)
	mustExec(t, db, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', '2030-01-01T00:00:00.000000000Z')`)
	mustExec(t, db, `CREATE TABLE future_thing (x)`)

	for _, ro := range []bool{false, true} {
		_, err := audit.Open(ctx, path, audit.Options{ReadOnly: ro})
		var se *audit.SchemaError
		if !errors.As(err, &se) || !errors.Is(err, audit.ErrSchemaTooNew) {
			t.Fatalf("Open(read-only %v)=%v, want ErrSchemaTooNew", ro, err)
		}
		if se.Version != 99 || se.Supported != audit.SchemaVersion ||
			!strings.Contains(err.Error(), "schema version 99") || !strings.Contains(err.Error(), "newer rotor") {
			t.Fatalf("err=%v", err)
		}
	}
	if got := schemaVersionOf(t, path); got != 99 {
		t.Fatalf("version=%d, want 99 untouched", got)
	}
}

func TestOpen_ReadOnlyRefusesNonAuditDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	mustExec(t, rawDB(t, path), `CREATE TABLE t (x)`)
	_, err := audit.Open(context.Background(), path, audit.Options{ReadOnly: true})
	if !errors.Is(err, audit.ErrSchemaTooOld) {
		t.Fatalf("Open=%v, want ErrSchemaTooOld", err)
	}
}

// The documented Schema is what the migrations create.
func TestSchema_MatchesDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	mustOpenAt(t, path, audit.Options{})
	rows, err := rawDB(t, path).Query(`SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	doc := normalizeSQL(audit.Schema)
	n := 0
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			t.Fatal(err)
		}
		n++
		if !strings.Contains(doc, normalizeSQL(stmt)) {
			t.Errorf("sqlite_master has %s as\n%s\nwhich audit.Schema does not contain", name, stmt)
		}
	}
	if got, want := n, strings.Count(audit.Schema, "CREATE "); got != want {
		t.Fatalf("database has %d objects, Schema documents %d", got, want)
	}
}

var (
	sqlComment = regexp.MustCompile(`--[^\n]*`)
	sqlSpace   = regexp.MustCompile(`\s+`)
)

func normalizeSQL(s string) string {
	s = sqlComment.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "IF NOT EXISTS ", "")
	s = sqlSpace.ReplaceAllString(s, " ")
	s = strings.ReplaceAll(s, "( ", "(")
	return strings.ReplaceAll(s, " )", ")")
}

func countIndexes(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func schemaVersionOf(t *testing.T, path string) int {
	t.Helper()
	var v int
	if err := rawDB(t, path).QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
