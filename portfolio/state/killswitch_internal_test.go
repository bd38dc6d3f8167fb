package state

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// A trip that lands between ResetKillSwitch's read and its write is written
// again after the reset; a reset or another account's trip in between is not.
func TestRestoreTrip(t *testing.T) {
	ctx := context.Background()
	l, err := audit.Open(ctx, filepath.Join(t.TempDir(), "audit.db"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	ks := func(account string, tripped bool, reason string) audit.Record {
		t.Helper()
		r, err := l.Append(ctx, audit.Entry{Kind: audit.KindKillSwitch, Account: account, EventID: "ev-" + reason,
			Payload: KillSwitchPayload{Tripped: tripped, Reason: reason, Since: at}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	const a = "DU1"
	read := ks(a, true, "first")     // what the reset read
	ks("DU2", true, "other account") // not ours
	landed := ks(a, true, "second")  // the concurrent trip
	reset := ks(a, false, "operator's reset")

	got, err := restoreTrip(ctx, l, a, read.Seq, reset.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Seq != reset.Seq+1 || got.EventID != landed.EventID {
		t.Fatalf("restoreTrip() = %+v, want the second trip written again after the reset", got)
	}
	if s, err := KillSwitch(ctx, l, a); err != nil || !s.Tripped || s.Reason != "second" {
		t.Fatalf("KillSwitch() = %+v, %v; want tripped for the second reason", s, err)
	}

	// Only a reset (or only another account's trip) in between: nothing to restore.
	read = ks(a, true, "third")
	ks(a, false, "someone else's reset")
	ks("DU2", true, "other again")
	reset = ks(a, false, "our reset")
	h, _ := l.Head(ctx)
	if got, err := restoreTrip(ctx, l, a, read.Seq, reset.Seq); err != nil || got != nil {
		t.Fatalf("restoreTrip() = %+v, %v; want nothing", got, err)
	}
	if h2, _ := l.Head(ctx); h2 != h {
		t.Fatal("restoreTrip wrote a row with nothing to restore")
	}
}
