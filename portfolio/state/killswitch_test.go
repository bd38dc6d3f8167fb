package state_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
)

var tripAt = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

func mustKillSwitch(tb testing.TB, l *audit.Log, account string) (tripped bool, reason string, since time.Time) {
	tb.Helper()
	ks, err := state.KillSwitch(ctx, l, account)
	if err != nil {
		tb.Fatal(err)
	}
	return ks.Tripped, ks.Reason, ks.Since
}

func TestKillSwitchTripAndReset(t *testing.T) {
	l := mustOpenLog(t)
	if tripped, _, _ := mustKillSwitch(t, l, acct); tripped {
		t.Fatal("a new log's kill switch is tripped")
	}
	if _, err := state.ResetKillSwitch(ctx, l, acct, "ann", "fine", tripAt); !errors.Is(err, state.ErrNotTripped) {
		t.Fatalf("ResetKillSwitch(not tripped) err=%v, want ErrNotTripped", err)
	}
	if got := head(t, l); got != 0 {
		t.Fatalf("a refused reset wrote %d rows", got)
	}

	rec, err := state.TripKillSwitch(ctx, l, acct, "daily loss 3.1%", tripAt, "ev1", "plan1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Kind != audit.KindKillSwitch || rec.Account != acct || rec.EventID != "ev1" || rec.PlanID != "plan1" {
		t.Fatalf("trip row = %+v", rec)
	}
	tripped, reason, since := mustKillSwitch(t, l, acct)
	if !tripped || reason != "daily loss 3.1%" || !since.Equal(tripAt) {
		t.Fatalf("KillSwitch() = %v %q %v, want tripped, the reason, since %v", tripped, reason, since, tripAt)
	}

	again, err := state.TripKillSwitch(ctx, l, acct, "drawdown", tripAt.Add(time.Hour), "ev2", "plan2")
	if err != nil {
		t.Fatal(err)
	}
	if again.Seq != rec.Seq || head(t, l) != 1 {
		t.Fatalf("tripping twice: row %d, %d rows; want the first row %d and no new row", again.Seq, head(t, l), rec.Seq)
	}
	if _, reason, _ := mustKillSwitch(t, l, acct); reason != "daily loss 3.1%" {
		t.Fatalf("the second trip replaced the reason: %q", reason)
	}

	for _, tt := range []struct{ operator, note, want string }{
		{"", "ok", "--operator"},
		{"ann", "", "--reason"},
	} {
		if _, err := state.ResetKillSwitch(ctx, l, acct, tt.operator, tt.note, tripAt); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ResetKillSwitch(%q, %q) err=%v, want it to name %s", tt.operator, tt.note, err, tt.want)
		}
	}

	resetAt := tripAt.Add(2 * time.Hour)
	recs, err := state.ResetKillSwitch(ctx, l, acct, "ann", "loss was a bad mark", resetAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Kind != audit.KindOperatorAction || recs[1].Kind != audit.KindKillSwitch {
		t.Fatalf("reset rows = %+v, want operator_action then kill_switch", recs)
	}
	for _, want := range []string{`"action":"kill_switch_reset"`, `"operator":"ann"`, `"note":"loss was a bad mark"`, `"previous_reason":"daily loss 3.1%"`} {
		if !strings.Contains(string(recs[0].Payload), want) {
			t.Errorf("operator_action payload %s lacks %s", recs[0].Payload, want)
		}
	}
	if recs[0].Account != acct || recs[1].Account != acct {
		t.Errorf("reset rows carry accounts %q, %q", recs[0].Account, recs[1].Account)
	}
	tripped, _, since = mustKillSwitch(t, l, acct)
	if tripped || !since.Equal(resetAt) {
		t.Fatalf("after reset: tripped=%v since %v, want not tripped since %v", tripped, since, resetAt)
	}
	if _, err := state.ResetKillSwitch(ctx, l, acct, "ann", "again", resetAt); !errors.Is(err, state.ErrNotTripped) {
		t.Fatalf("second reset err=%v, want ErrNotTripped", err)
	}
	// After a reset a new breach trips it again.
	if _, err := state.TripKillSwitch(ctx, l, acct, "drawdown", resetAt.Add(time.Hour), "", ""); err != nil {
		t.Fatal(err)
	}
	if tripped, reason, _ := mustKillSwitch(t, l, acct); !tripped || reason != "drawdown" {
		t.Fatalf("after a new trip: %v %q", tripped, reason)
	}
}

func TestKillSwitchAccountsAreSeparate(t *testing.T) {
	l := mustOpenLog(t)
	if _, err := state.TripKillSwitch(ctx, l, "DU7654321", "other account's loss", tripAt, "", ""); err != nil {
		t.Fatal(err)
	}
	if tripped, _, _ := mustKillSwitch(t, l, acct); tripped {
		t.Fatal("another account's trip tripped this account")
	}
	if _, err := state.ResetKillSwitch(ctx, l, acct, "ann", "x", tripAt); !errors.Is(err, state.ErrNotTripped) {
		t.Fatalf("reset of the untripped account err=%v, want ErrNotTripped", err)
	}
	if _, err := state.KillSwitch(ctx, l, ""); err == nil {
		t.Fatal("KillSwitch with no account: no error")
	}
}

// The state is in the file: it survives reopening, and another Log on the
// same file (another process) sees a reset at once.
func TestKillSwitchIsInTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	l := mustOpen(t, path)
	if _, err := state.TripKillSwitch(ctx, l, acct, "daily loss", tripAt, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	service := mustOpen(t, path)
	if tripped, _, _ := mustKillSwitch(t, service, acct); !tripped {
		t.Fatal("the trip did not survive reopening the log")
	}
	operator := mustOpen(t, path)
	if _, err := state.ResetKillSwitch(ctx, operator, acct, "ann", "checked", tripAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if tripped, _, _ := mustKillSwitch(t, service, acct); tripped {
		t.Fatal("the service's Log does not see the operator's reset")
	}
	if _, err := service.Verify(ctx, nil); err != nil {
		t.Fatalf("the chain does not hold after writes from two Logs: %v", err)
	}
}
