package audit

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// TestStatementCache holds the cache to its promises: one prepared statement
// per text however many goroutines ask at once, statements past the bound
// that still work and are closed after use, and every statement closed by
// close.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := newStatementCache(db)

	var wg sync.WaitGroup
	got := make([]*sql.Stmt, 16)
	for i := range got {
		wg.Go(func() {
			s, done, err := c.get(ctx, "SELECT 1")
			if err != nil {
				t.Error(err)
				return
			}
			defer done()
			got[i] = s
		})
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] {
			t.Fatal("concurrent gets of one text returned different statements")
		}
	}

	for i := 0; i < maxCachedStatements+5; i++ {
		s, done, err := c.get(ctx, fmt.Sprintf("SELECT %d", i+2))
		if err != nil {
			t.Fatal(err)
		}
		var v int
		if err := s.QueryRowContext(ctx).Scan(&v); err != nil || v != i+2 {
			t.Fatalf("statement %d: %d, %v", i, v, err)
		}
		done()
		if i+2 > maxCachedStatements {
			if err := s.QueryRowContext(ctx).Scan(&v); err == nil {
				t.Fatalf("statement %d past the bound is still open after done", i)
			}
		}
	}
	if n := len(c.stmts); n != maxCachedStatements {
		t.Fatalf("%d statements cached, want the bound %d", n, maxCachedStatements)
	}
	c.close()
	if n := len(c.stmts); n != 0 {
		t.Fatalf("%d statements left after close", n)
	}
	if err := got[0].QueryRowContext(ctx).Scan(new(int)); err == nil {
		t.Fatal("a cached statement still runs after close")
	}
}
