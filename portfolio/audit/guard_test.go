package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

func TestAppendBatch_NoNewer(t *testing.T) {
	ctx := context.Background()
	l := mustOpenAt(t, filepath.Join(t.TempDir(), "audit.db"), audit.Options{Now: newTestClock().Now})
	mustAppend(t, l, audit.Entry{Kind: audit.KindKillSwitch, Account: "DU1"})  // 1
	mustAppend(t, l, audit.Entry{Kind: audit.KindPlan, Account: "DU1"})        // 2: not a guarded kind
	mustAppend(t, l, audit.Entry{Kind: audit.KindKillSwitch, Account: "DU2"})  // 3: another account
	mustAppend(t, l, audit.Entry{Kind: audit.KindOperatorAction, Account: ""}) // 4: no account
	kinds := []string{audit.KindKillSwitch, audit.KindOperatorAction}
	batch := []audit.Entry{{Kind: audit.KindPlan, Account: "DU1"}, {Kind: audit.KindOrderIntent, Account: "DU1"}}

	for _, tc := range []struct {
		name     string
		guard    audit.NoNewer
		breaksAt int64 // 0: holds
	}{
		{"read as of the newest row", audit.NoNewer{Account: "DU1", Kinds: kinds, Seq: 1}, 0},
		{"a row of the account since", audit.NoNewer{Account: "DU1", Kinds: kinds, Seq: 0}, 1},
		{"other accounts' rows do not count", audit.NoNewer{Account: "DU2", Kinds: []string{audit.KindOperatorAction}, Seq: 0}, 0},
		{"rows without an account", audit.NoNewer{Kinds: kinds, Seq: 3}, 4},
		{"the first row that breaks it is named", audit.NoNewer{Account: "DU2", Kinds: kinds, Seq: 0}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head, err := l.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := l.AppendBatch(ctx, batch, tc.guard)
			after, _ := l.Head(ctx)
			if tc.breaksAt == 0 {
				if err != nil || len(recs) != 2 || after.Seq != head.Seq+2 {
					t.Fatalf("AppendBatch: %v (%d rows, head %d → %d), want the batch written", err, len(recs), head.Seq, after.Seq)
				}
				return
			}
			var ce *audit.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, audit.ErrConflict) || ce.Seq != tc.breaksAt {
				t.Fatalf("AppendBatch: %v, want a conflict at row %d", err, tc.breaksAt)
			}
			if after != head {
				t.Fatalf("head %+v → %+v: a conflicting batch wrote", head, after)
			}
			if !strings.Contains(err.Error(), "nothing in the batch was written") {
				t.Fatalf("error %q does not say nothing was written", err)
			}
		})
	}
	mustVerify(t, l)
}

func TestAppendBatch_NoRow(t *testing.T) {
	ctx := context.Background()
	l := mustOpenAt(t, filepath.Join(t.TempDir(), "audit.db"), audit.Options{Now: newTestClock().Now})
	mustAppend(t, l, audit.Entry{Kind: audit.KindSignalReceived, EventID: "ev-1", Account: "DU1",
		RawPayload: json.RawMessage(`{"mode":"dry-run"}`)})
	paper := func(p json.RawMessage) bool {
		var v struct{ Mode string }
		return json.Unmarshal(p, &v) == nil && v.Mode == "paper"
	}
	received := func(ev, acct string, match func(json.RawMessage) bool) audit.NoRow {
		return audit.NoRow{Kind: audit.KindSignalReceived, EventID: ev, Account: acct, Match: match}
	}
	row := func(ev, acct string) audit.Entry {
		return audit.Entry{Kind: audit.KindSignalReceived, EventID: ev, Account: acct, RawPayload: json.RawMessage(`{"mode":"paper"}`)}
	}
	for _, tc := range []struct {
		name     string
		guard    audit.NoRow
		breaksAt int64
	}{
		{"any row of the event", received("ev-1", "DU1", nil), 1},
		{"a row Match refuses does not count", received("ev-1", "DU1", paper), 0},
		{"another account's row does not count", received("ev-1", "DU2", nil), 0},
		{"the paper row just written", received("ev-1", "DU1", paper), 2},
		{"another event", received("ev-2", "DU1", nil), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.AppendBatch(ctx, []audit.Entry{row(tc.guard.EventID, tc.guard.Account)}, tc.guard)
			if tc.breaksAt == 0 {
				if err != nil {
					t.Fatalf("AppendBatch: %v, want the row written", err)
				}
				return
			}
			var ce *audit.ConflictError
			if !errors.As(err, &ce) || ce.Seq != tc.breaksAt {
				t.Fatalf("AppendBatch: %v, want a conflict at row %d", err, tc.breaksAt)
			}
		})
	}

	// Bad guards are refused before the transaction.
	for _, g := range []audit.Guard{nil, audit.NoNewer{Account: "DU1"}, audit.NoRow{Kind: audit.KindPlan}} {
		if _, err := l.AppendBatch(ctx, []audit.Entry{row("ev-9", "DU1")}, g); !errors.Is(err, audit.ErrInvalid) ||
			!strings.Contains(err.Error(), "guards[0]") {
			t.Fatalf("guard %#v: %v, want ErrInvalid naming guards[0]", g, err)
		}
	}
	mustVerify(t, l)
}

// Two handles on one file, as two processes would have, each record one
// event guarded by NoRow: whatever the interleaving, exactly one batch is
// written and the other conflicts.
func TestAppendBatch_GuardAcrossHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	logs := []*audit.Log{mustOpenAt(t, path, audit.Options{}), mustOpenAt(t, path, audit.Options{})}
	for round := range 20 {
		ev := "ev-" + string(rune('a'+round))
		guard := audit.NoRow{Kind: audit.KindSignalReceived, EventID: ev, Account: "DU1"}
		errs := make([]error, len(logs))
		var wg sync.WaitGroup
		for i, l := range logs {
			wg.Go(func() {
				_, errs[i] = l.AppendBatch(ctx, []audit.Entry{
					{Kind: audit.KindSignalReceived, EventID: ev, Account: "DU1"},
					{Kind: audit.KindOrderIntent, EventID: ev, Account: "DU1", OrderRef: ev + "/RTY"}}, guard)
			})
		}
		wg.Wait()
		var wrote, conflicted int
		for _, err := range errs {
			switch {
			case err == nil:
				wrote++
			case errors.Is(err, audit.ErrConflict):
				conflicted++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		recs, err := logs[0].Query(ctx, audit.Filter{EventID: ev})
		if err != nil {
			t.Fatal(err)
		}
		if wrote != 1 || conflicted != 1 || len(recs) != 2 {
			t.Fatalf("round %d: %d wrote, %d conflicted, %d rows; want 1, 1, 2", round, wrote, conflicted, len(recs))
		}
	}
	mustVerify(t, logs[0])
}
