package state

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// A trip or a reset that lands between ResetKillSwitch's read and its write
// makes the reset write nothing; another account's trip does not.
func TestResetGuardedBySwitchAsRead(t *testing.T) {
	ctx := context.Background()
	l, err := audit.Open(ctx, filepath.Join(t.TempDir(), "audit.db"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	const a = "DU1"
	set := func(account string, tripped bool, reason string) {
		t.Helper()
		if _, err := l.Append(ctx, audit.Entry{Kind: audit.KindKillSwitch, Account: account, EventID: "ev-" + reason,
			Payload: KillSwitchPayload{Tripped: tripped, Reason: reason, Since: at}}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() {
		t.Helper()
		set(a, true, "first")
	}
	reset := func(landed func()) ([]audit.Record, error) {
		t.Helper()
		ks, prev, _, err := killSwitch(ctx, l, a)
		if err != nil {
			t.Fatal(err)
		}
		landed()
		return resetFrom(ctx, l, a, "ops", "checked", at, ks, prev)
	}
	for _, tc := range []struct {
		name   string
		landed func()
		want   error // nil: the reset is written
	}{
		{"nothing in between", func() {}, nil},
		{"another account's trip", func() { set("DU2", true, "other account") }, nil},
		{"a second trip", func() { set(a, true, "second") }, ErrTrippedDuringReset},
		{"someone else's reset", func() { set(a, false, "their reset") }, ErrNotTripped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read()
			before, _ := l.Head(ctx)
			recs, err := reset(tc.landed)
			after, _ := l.Head(ctx)
			if tc.want == nil {
				if err != nil || len(recs) != 2 {
					t.Fatalf("reset: %v (%d rows), want it written", err, len(recs))
				}
				if ks, _ := KillSwitch(ctx, l, a); ks.Tripped {
					t.Fatal("still tripped after the reset")
				}
				return
			}
			if !errors.Is(err, tc.want) || recs != nil {
				t.Fatalf("reset: %v, %d rows; want %v and nothing", err, len(recs), tc.want)
			}
			if after.Seq != before.Seq+1 { // the row that landed, and no more
				t.Fatalf("head %d → %d: the reset wrote", before.Seq, after.Seq)
			}
		})
	}
}
