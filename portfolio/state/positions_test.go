package state_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/state"
)

const (
	rtyZ6 = 101 // con ids
	rtyH7 = 102
	m2kZ6 = 201
)

func expected(tb testing.TB, e state.Expected, err error) map[string]map[string]int64 {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	return e.Roots
}

func equalRoots(a, b map[string]map[string]int64) bool {
	return maps.EqualFunc(a, b, func(x, y map[string]int64) bool { return maps.Equal(x, y) })
}

func TestExpectedPositionsFromFills(t *testing.T) {
	l := mustOpenLog(t)
	appendFill(t, l, acct, "RTY", "e1", rtyZ6, "RTYZ6", broker.Buy, 3)
	appendFill(t, l, acct, "M2K", "e2", m2kZ6, "M2KZ6", broker.Buy, 4)
	appendFill(t, l, acct, "RTY", "e1", rtyZ6, "RTYZ6", broker.Buy, 3) // the same execution reported again
	appendFill(t, l, acct, "RTY", "e3", rtyZ6, "RTYZ6", broker.Sell, 1)
	appendFill(t, l, acct, "M2K", "e4", m2kZ6, "M2KZ6", broker.Sell, 4) // flat: absent
	appendFill(t, l, acct, "RTY", "e5", rtyH7, "RTYH7", broker.Sell, 2)
	appendFill(t, l, "DU7654321", "RTY", "x1", rtyZ6, "RTYZ6", broker.Buy, 9) // another account

	e, err := state.ExpectedPositions(ctx, l, acct)
	got := expected(t, e, err)
	want := map[string]map[string]int64{"RTY": {key(rtyZ6): 2, key(rtyH7): -2}}
	if !equalRoots(got, want) {
		t.Fatalf("ExpectedPositions() = %v, want %v", got, want)
	}
	if e.Names[key(rtyZ6)] != "RTYZ6" || e.Names[key(rtyH7)] != "RTYH7" {
		t.Fatalf("Names = %v", e.Names)
	}
	if got, want := e.Positions(), map[string]int64{key(rtyZ6): 2, key(rtyH7): -2}; !maps.Equal(got, want) {
		t.Fatalf("Positions() = %v, want %v", got, want)
	}
}

// A mismatch, its acknowledgement, and fills around them: fills before the
// mismatch row are in the baseline; fills after it (even before the ack)
// count on top; a repeat of an old execution does not.
func TestExpectedPositionsAckBaseline(t *testing.T) {
	l := mustOpenLog(t)
	appendFill(t, l, acct, "RTY", "e1", rtyZ6, "RTYZ6", broker.Buy, 3)
	appendFill(t, l, acct, "M2K", "e2", m2kZ6, "M2KZ6", broker.Buy, 1)
	e, err := state.ExpectedPositions(ctx, l, acct)
	if err != nil {
		t.Fatal(err)
	}
	// The broker holds 5 RTYZ6 (someone traded by hand).
	ms := state.Compare(e, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 5), position(acct, "M2K", m2kZ6, "M2KZ6", 1)}, acct, []string{"RTY", "M2K"})
	if len(ms) != 1 || ms[0].Root != "RTY" {
		t.Fatalf("Compare() = %+v, want one RTY mismatch", ms)
	}
	if _, err := state.RecordMismatch(ctx, l, acct, ms[0]); err != nil {
		t.Fatal(err)
	}
	appendFill(t, l, acct, "RTY", "e3", rtyZ6, "RTYZ6", broker.Sell, 1) // an order in flight fills meanwhile
	ack, err := state.AckPositions(ctx, l, acct, "RTY", "ann", "manual trade by the desk")
	if err != nil {
		t.Fatal(err)
	}
	if ack.Instrument != "RTY" || !strings.Contains(string(ack.Payload), `"positions":{"conid:101":5}`) {
		t.Fatalf("ack row = %s %s, want baseline RTYZ6 5", ack.Instrument, ack.Payload)
	}
	appendFill(t, l, acct, "RTY", "e1", rtyZ6, "RTYZ6", broker.Buy, 3) // old execution, again
	appendFill(t, l, acct, "RTY", "e4", rtyH7, "RTYH7", broker.Buy, 2)
	appendFill(t, l, acct, "M2K", "e5", m2kZ6, "M2KZ6", broker.Buy, 1) // the ack is RTY's only

	e, err = state.ExpectedPositions(ctx, l, acct)
	got := expected(t, e, err)
	want := map[string]map[string]int64{"RTY": {key(rtyZ6): 4, key(rtyH7): 2}, "M2K": {key(m2kZ6): 2}}
	if !equalRoots(got, want) {
		t.Fatalf("ExpectedPositions() = %v, want %v", got, want)
	}
}

// An acknowledgement written without a mismatch row (MismatchSeq 0) is a
// baseline from its own row on.
func TestExpectedPositionsAckWithoutMismatchSeq(t *testing.T) {
	l := mustOpenLog(t)
	appendFill(t, l, acct, "RTY", "e1", rtyZ6, "RTYZ6", broker.Buy, 3)
	if _, err := l.Append(ctx, auditAck("RTY", map[string]int64{key(rtyZ6): 10})); err != nil {
		t.Fatal(err)
	}
	appendFill(t, l, acct, "RTY", "e2", rtyZ6, "RTYZ6", broker.Sell, 4)
	e, err := state.ExpectedPositions(ctx, l, acct)
	if got, want := expected(t, e, err), (map[string]map[string]int64{"RTY": {key(rtyZ6): 6}}); !equalRoots(got, want) {
		t.Fatalf("ExpectedPositions() = %v, want %v", got, want)
	}
}

func TestExpectedPositionsBadFill(t *testing.T) {
	l := mustOpenLog(t)
	appendFill(t, l, acct, "RTY", "e1", rtyZ6, "RTYZ6", broker.Side("HOLD"), 3)
	if _, err := state.ExpectedPositions(ctx, l, acct); err == nil || !strings.Contains(err.Error(), "fill row 1") {
		t.Fatalf("ExpectedPositions() err=%v, want it to name fill row 1", err)
	}
}

func TestCompare(t *testing.T) {
	roots := []string{"RTY", "M2K"}
	exp := state.Expected{
		Roots: map[string]map[string]int64{"RTY": {key(rtyZ6): 3}, "M2K": {key(m2kZ6): 2}},
		Names: map[string]string{key(rtyZ6): "RTYZ6", key(m2kZ6): "M2KZ6"},
	}
	tests := []struct {
		name   string
		exp    state.Expected
		broker []broker.Position
		roots  []string
		want   map[string]string // root → detail
	}{
		{"equal", exp, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 3), position(acct, "M2K", m2kZ6, "M2KZ6", 2)}, roots, nil},
		{"quantity differs", exp, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 5), position(acct, "M2K", m2kZ6, "M2KZ6", 2)}, roots,
			map[string]string{"RTY": "RTY: log expects RTYZ6 +3, broker holds RTYZ6 +5"}},
		{"broker holds none", exp, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 3)}, roots,
			map[string]string{"M2K": "M2K: log expects M2KZ6 +2, broker holds no M2KZ6"}},
		{"zero at the broker equals absent", state.Expected{Roots: map[string]map[string]int64{"RTY": {key(rtyZ6): 3}}},
			[]broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 3), position(acct, "M2K", m2kZ6, "M2KZ6", 0)}, roots, nil},
		{"zero in the log equals absent", state.Expected{Roots: map[string]map[string]int64{"RTY": {key(rtyZ6): 3, key(rtyH7): 0}}},
			[]broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 3)}, roots, nil},
		{"unexpected contract, short", exp, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 3), position(acct, "RTY", rtyH7, "RTYH7", -1), position(acct, "M2K", m2kZ6, "M2KZ6", 2)}, roots,
			map[string]string{"RTY": "RTY: log expects no RTYH7, broker holds RTYH7 -1"}},
		{"roots not owned are not compared", exp, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 3), position(acct, "ES", 301, "ESZ6", 7)}, []string{"RTY", "ES"},
			map[string]string{"ES": "ES: log expects no ESZ6, broker holds ESZ6 +7"}},
		{"other accounts are ignored", exp, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 3), position(acct, "M2K", m2kZ6, "M2KZ6", 2), position("DU7654321", "RTY", rtyZ6, "RTYZ6", 1)}, roots, nil},
		{"only the given roots", exp, nil, []string{"M2K"},
			map[string]string{"M2K": "M2K: log expects M2KZ6 +2, broker holds no M2KZ6"}},
		{"unknown name shows the key", state.Expected{Roots: map[string]map[string]int64{"RTY": {key(999): 1}}}, nil, []string{"RTY"},
			map[string]string{"RTY": "RTY: log expects conid:999 +1, broker holds no conid:999"}},
	}
	for _, tt := range tests {
		got := map[string]string{}
		for _, m := range state.Compare(tt.exp, tt.broker, acct, tt.roots) {
			got[m.Root] = m.Detail
		}
		if len(got) == 0 {
			got = nil
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("%s: Compare() = %v, want %v", tt.name, got, tt.want)
		}
	}
	ms := state.Compare(exp, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 5)}, acct, []string{"RTY", "RTY"})
	if len(ms) != 1 || !maps.Equal(ms[0].Expected, map[string]int64{key(rtyZ6): 3}) || !maps.Equal(ms[0].Broker, map[string]int64{key(rtyZ6): 5}) {
		t.Fatalf("Compare() = %+v, want one RTY mismatch, 3 against 5", ms)
	}
}

func TestBlockedAckLifecycle(t *testing.T) {
	l := mustOpenLog(t)
	blocked := func() map[string]string {
		t.Helper()
		b, err := state.Blocked(ctx, l, acct)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := blocked(); len(b) != 0 {
		t.Fatalf("Blocked(new log) = %v", b)
	}
	if _, err := state.AckPositions(ctx, l, acct, "RTY", "ann", "x"); !errors.Is(err, state.ErrNotBlocked) {
		t.Fatalf("AckPositions(not blocked) err=%v, want ErrNotBlocked", err)
	}
	m := state.Mismatch{Root: "RTY", Expected: map[string]int64{key(rtyZ6): 3}, Broker: map[string]int64{key(rtyZ6): 5},
		Detail: "RTY: log expects RTYZ6 +3, broker holds RTYZ6 +5", Names: map[string]string{key(rtyZ6): "RTYZ6"}}
	rec, err := state.RecordMismatch(ctx, l, acct, m)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Kind != "reconcile" || rec.Instrument != "RTY" || rec.Account != acct || !strings.Contains(string(rec.Payload), `"mismatch":true`) {
		t.Fatalf("mismatch row = %+v %s", rec, rec.Payload)
	}
	b := blocked()
	if len(b) != 1 || !strings.Contains(b["RTY"], m.Detail) || !strings.Contains(b["RTY"], "rotor risk ack RTY") {
		t.Fatalf("Blocked() = %v, want RTY with the detail and how to acknowledge", b)
	}
	if again, err := state.RecordMismatch(ctx, l, acct, m); err != nil || again.Seq != rec.Seq {
		t.Fatalf("recording the same mismatch again: row %d, %v; want the first row %d", again.Seq, err, rec.Seq)
	}
	if other, _ := state.Blocked(ctx, l, "DU7654321"); len(other) != 0 {
		t.Fatalf("another account is blocked: %v", other)
	}
	if _, err := state.AckPositions(ctx, l, acct, "M2K", "ann", "x"); !errors.Is(err, state.ErrNotBlocked) {
		t.Fatalf("AckPositions(M2K) err=%v, want ErrNotBlocked", err)
	}
	for _, tt := range []struct{ operator, note, want string }{{"", "n", "--operator"}, {"ann", "", "--reason"}} {
		if _, err := state.AckPositions(ctx, l, acct, "RTY", tt.operator, tt.note); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AckPositions(%q, %q) err=%v, want %s", tt.operator, tt.note, err, tt.want)
		}
	}

	ack, err := state.AckPositions(ctx, l, acct, "RTY", "ann", "desk traded by hand")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"action":"position_ack"`, `"root":"RTY"`, `"positions":{"conid:101":5}`, `"operator":"ann"`, `"note":"desk traded by hand"`} {
		if !strings.Contains(string(ack.Payload), want) {
			t.Errorf("ack payload %s lacks %s", ack.Payload, want)
		}
	}
	if b := blocked(); len(b) != 0 {
		t.Fatalf("Blocked() after the ack = %v", b)
	}
	if _, err := state.AckPositions(ctx, l, acct, "RTY", "ann", "again"); !errors.Is(err, state.ErrNotBlocked) {
		t.Fatalf("second ack err=%v, want ErrNotBlocked", err)
	}
	e, err := state.ExpectedPositions(ctx, l, acct)
	if err != nil {
		t.Fatal(err)
	}
	if ms := state.Compare(e, []broker.Position{position(acct, "RTY", rtyZ6, "RTYZ6", 5)}, acct, []string{"RTY"}); len(ms) != 0 {
		t.Fatalf("after the ack the log still disagrees with the broker: %+v", ms)
	}
	// The same positions as before the ack are a new finding now.
	if rec2, err := state.RecordMismatch(ctx, l, acct, m); err != nil || rec2.Seq <= ack.Seq {
		t.Fatalf("a mismatch after the ack: row %d, %v; want a new row", rec2.Seq, err)
	}
	if b := blocked(); len(b) != 1 {
		t.Fatalf("Blocked() after a new mismatch = %v, want RTY", b)
	}
}
