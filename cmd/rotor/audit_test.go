package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// auditWithRows writes n plan rows to a new audit log and returns its file
// and head.
func auditWithRows(t *testing.T, n int) (string, audit.Head) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	l, err := audit.Open(ctx, path, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range n {
		if _, err := l.Append(ctx, audit.Entry{Kind: audit.KindPlan, PlanID: fmt.Sprintf("p%d", i), Payload: map[string]int{"n": i}}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := l.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return path, h
}

// tamper changes row seq's payload as an attacker with write access would:
// the append-only triggers dropped, the row updated in place.
func tamper(t *testing.T, path string, seq int) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"DROP TRIGGER events_no_update",
		"DROP TRIGGER events_no_delete",
		"DROP TRIGGER events_insert_at_head",
		fmt.Sprintf(`UPDATE events SET payload = '{"n":999}' WHERE seq = %d`, seq),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAuditVerifyIntact(t *testing.T) {
	path, h := auditWithRows(t, 5)
	out := mustRun(t, "audit", "verify", "--audit", path)
	if want := fmt.Sprintf("ok: 5 rows, head 5 %s\n", h.Hash); !strings.HasPrefix(out, want) {
		t.Fatalf("audit verify printed %q, want it to start %q", out, want)
	}
	if !strings.Contains(out, fmt.Sprintf("--head 5:%s", h.Hash)) {
		t.Errorf("audit verify does not say how to check against the head:\n%s", out)
	}
	// The head it printed checks out, also through --data-dir.
	mustRun(t, "audit", "verify", "--data-dir", filepath.Dir(path), "--head", fmt.Sprintf("5:%s", h.Hash))
	var res verifyResult
	if err := json.Unmarshal([]byte(mustRun(t, "audit", "verify", "--audit", path, "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Rows != 5 || res.Head.Seq != 5 || res.Head.Hash != h.Hash || res.Error != nil {
		t.Fatalf("audit verify --json = %+v", res)
	}

	empty, _ := auditWithRows(t, 0)
	if out := mustRun(t, "audit", "verify", "--audit", empty); !strings.HasPrefix(out, "ok: 0 rows, head 0 "+audit.GenesisHash) {
		t.Fatalf("audit verify (empty) = %q", out)
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	path, _ := auditWithRows(t, 5)
	tamper(t, path, 3)
	out, _, err := runRotor(t, context.Background(), "audit", "verify", "--audit", path)
	if err == nil {
		t.Fatalf("audit verify of a tampered log succeeded:\n%s", out)
	}
	for _, want := range []string{"row 3", "rows 1 to 2 hold", path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err=%v, want it to mention %q", err, want)
		}
	}
	if strings.Contains(out, "ok:") {
		t.Errorf("a tampered log printed %q", out)
	}

	out, _, err = runRotor(t, context.Background(), "audit", "verify", "--audit", path, "--json")
	if err == nil {
		t.Fatal("audit verify --json of a tampered log succeeded")
	}
	var res verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("audit verify --json printed no JSON: %v\n%s", err, out)
	}
	if res.OK || res.Error == nil || res.Error.Seq != 3 || res.Rows != 2 {
		t.Fatalf("audit verify --json = %+v, want row 3 bad after 2 good", res)
	}
}

// A log cut short, or rebuilt, still has a valid chain: only a head kept
// elsewhere shows it.
func TestAuditVerifyAgainstHead(t *testing.T) {
	path, h := auditWithRows(t, 5)
	mustRun(t, "audit", "verify", "--audit", path, "--head", fmt.Sprintf("5:%s", h.Hash))
	tests := []struct {
		head, want string
	}{
		{fmt.Sprintf("9:%s", h.Hash), "rows 6 to 9"},                // the log never reached row 9: rows cut off
		{fmt.Sprintf("5:%s", strings.Repeat("0", 63)+"1"), "row 5"}, // a different chain
		{"5", "--head"}, {"x:" + h.Hash, "--head"}, {"0:" + h.Hash, "--head"}, // malformed
	}
	for _, tt := range tests {
		_, _, err := runRotor(t, context.Background(), "audit", "verify", "--audit", path, "--head", tt.head)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--head %s: err=%v, want it to mention %q", tt.head, err, tt.want)
		}
	}
}
