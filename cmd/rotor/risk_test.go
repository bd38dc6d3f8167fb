package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/shopspring/decimal"
)

const testAccount = "DU5550001"

// auditWithState writes an audit log as the portfolio service would leave
// it: marks recorded, the kill switch tripped, RTY blocked by a mismatch
// (the log expects RTYZ6 +3, the broker holds +5). It returns the file.
func auditWithState(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	l, err := audit.Open(ctx, path, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := state.UpdateMarks(ctx, l, testAccount, decimal.RequireFromString("1000000"), "2026-03-02"); err != nil {
		t.Fatal(err)
	}
	if _, err := state.UpdateMarks(ctx, l, testAccount, decimal.RequireFromString("1050000.5"), "2026-03-02"); err != nil {
		t.Fatal(err)
	}
	if _, err := state.TripKillSwitch(ctx, l, testAccount, "today's loss of $31,000 is beyond the daily loss limit", time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC), "ev1", "p1"); err != nil {
		t.Fatal(err)
	}
	rtyz6 := broker.Contract{ConID: 101, Symbol: "RTY", LocalSymbol: "RTYZ6", SecType: broker.Future}
	if _, err := l.Append(ctx, audit.Entry{Kind: audit.KindFill, Instrument: "RTY", Account: testAccount, OrderRef: "p1-RTY-1",
		Payload: state.FillPayload{ExecID: "e1", ContractKey: rtyz6.Key(), LocalSymbol: "RTYZ6", ConID: 101, Side: broker.Buy, Quantity: 3,
			Price: decimal.RequireFromString("2100.5"), Time: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)}}); err != nil {
		t.Fatal(err)
	}
	exp, err := state.ExpectedPositions(ctx, l, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	ms := state.Compare(exp, []broker.Position{{Account: testAccount, Contract: rtyz6, Quantity: 5}}, testAccount, []string{"RTY", "M2K"})
	if len(ms) != 1 {
		t.Fatalf("Compare() = %+v, want one mismatch", ms)
	}
	if _, err := state.RecordMismatch(ctx, l, testAccount, ms[0]); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, err := runRotor(t, context.Background(), args...)
	if err != nil {
		t.Fatalf("rotor %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func riskStatusJSON(t *testing.T, path string) riskStatus {
	t.Helper()
	out := mustRun(t, "risk", "status", "--account", testAccount, "--audit", path, "--json")
	var st riskStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("risk status --json is not JSON: %v\n%s", err, out)
	}
	return st
}

func TestRiskStatusAndReset(t *testing.T) {
	path := auditWithState(t)
	out := mustRun(t, "risk", "status", "--account", testAccount, "--audit", path)
	for _, want := range []string{
		"TRIPPED since 2026-03-02 15:04:05 UTC: today's loss of $31,000",
		"rotor risk reset --account " + testAccount,
		"start-of-day net liquidation 1000000.00, high-water mark 1050000.50",
		"RTY: log expects RTYZ6 +3, broker holds RTYZ6 +5",
		"rotor risk ack RTY",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("risk status lacks %q:\n%s", want, out)
		}
	}
	st := riskStatusJSON(t, path)
	if !st.KillSwitch.Tripped || st.Marks == nil || st.Marks.Day != "2026-03-02" || !st.Marks.HighWaterMark.Equal(decimal.RequireFromString("1050000.5")) || st.Blocked["RTY"] == "" {
		t.Fatalf("risk status --json = %+v", st)
	}

	out = mustRun(t, "risk", "reset", "--account", testAccount, "--audit", path, "--operator", "ann", "--reason", "bad mark from IB")
	if !strings.Contains(out, "reset by ann") || !strings.Contains(out, "today's loss of $31,000") {
		t.Fatalf("risk reset printed:\n%s", out)
	}
	if st := riskStatusJSON(t, path); st.KillSwitch.Tripped || st.KillSwitch.Reason != "bad mark from IB" {
		t.Fatalf("after reset the kill switch is %+v", st.KillSwitch)
	}
	if out := mustRun(t, "risk", "status", "--account", testAccount, "--audit", path); !strings.Contains(out, "not tripped (reset ") {
		t.Fatalf("risk status after reset:\n%s", out)
	}
	// The reset is in the log: who and why.
	l, err := audit.Open(context.Background(), path, audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	op, err := l.Last(context.Background(), audit.KindOperatorAction)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"action":"kill_switch_reset"`, `"operator":"ann"`, `"note":"bad mark from IB"`} {
		if !strings.Contains(string(op.Payload), want) {
			t.Errorf("operator_action row %s lacks %s", op.Payload, want)
		}
	}

	_, _, err = runRotor(t, context.Background(), "risk", "reset", "--account", testAccount, "--audit", path, "--operator", "ann", "--reason", "again")
	if err == nil || !strings.Contains(err.Error(), "not tripped") {
		t.Fatalf("second reset err=%v, want not tripped", err)
	}
}

func TestRiskResetJSONAndDataDir(t *testing.T) {
	path := auditWithState(t)
	out := mustRun(t, "risk", "reset", "--account", testAccount, "--data-dir", filepath.Dir(path), "--operator", "bob", "--reason", "checked", "--json")
	var res resetResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("risk reset --json: %v\n%s", err, out)
	}
	if !res.Previous.Tripped || res.Now.Tripped || len(res.Rows) != 2 {
		t.Fatalf("risk reset --json = %+v", res)
	}
}

func TestRiskAck(t *testing.T) {
	path := auditWithState(t)
	out := mustRun(t, "risk", "ack", "rty", "--account", testAccount, "--audit", path, "--operator", "ann", "--reason", "desk bought 2 by hand")
	for _, want := range []string{"RTY in " + testAccount + " acknowledged by ann", "RTYZ6 (conid:101)", "+5", "log expects RTYZ6 +3"} {
		if !strings.Contains(out, want) {
			t.Errorf("risk ack lacks %q:\n%s", want, out)
		}
	}
	if st := riskStatusJSON(t, path); len(st.Blocked) != 0 {
		t.Fatalf("after ack blocked = %v", st.Blocked)
	}
	l, err := audit.Open(context.Background(), path, audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := state.ExpectedPositions(context.Background(), l, testAccount)
	l.Close()
	if err != nil || exp.Roots["RTY"]["conid:101"] != 5 {
		t.Fatalf("after ack the log expects %v, %v; want RTYZ6 5", exp.Roots, err)
	}
	_, _, err = runRotor(t, context.Background(), "risk", "ack", "RTY", "--account", testAccount, "--audit", path, "--operator", "ann", "--reason", "again")
	if err == nil || !strings.Contains(err.Error(), "not blocked") || !strings.Contains(err.Error(), "no root is blocked") {
		t.Fatalf("second ack err=%v, want not blocked", err)
	}
}

func TestRiskBadFlags(t *testing.T) {
	path := auditWithState(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"risk", "status", "--audit", path}, "--account is required"},
		{[]string{"risk", "status", "--account", "U1234567", "--audit", path}, "not an IB paper account"},
		{[]string{"risk", "status", "--account", testAccount, "--audit", filepath.Join(t.TempDir(), "none.db")}, "--audit FILE"},
		{[]string{"risk", "status", "--account", testAccount, "--data-dir", t.TempDir()}, "no audit log at"},
		{[]string{"risk", "reset", "--account", testAccount, "--audit", path, "--operator", "ann"}, "--reason TEXT is required"},
		{[]string{"risk", "reset", "--account", testAccount, "--audit", path, "--operator", "", "--reason", "x"}, "--operator NAME is required"},
		{[]string{"risk", "ack", "--account", testAccount, "--audit", path, "--operator", "ann", "--reason", "x"}, "accepts 1 arg"},
		{[]string{"risk", "ack", "M2K", "--account", testAccount, "--audit", path, "--operator", "ann", "--reason", "x"}, "blocked: RTY"},
	}
	for _, tt := range tests {
		_, _, err := runRotor(t, context.Background(), tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("rotor %v: err = %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
	// Nothing above changed the state.
	if st := riskStatusJSON(t, path); !st.KillSwitch.Tripped || st.Blocked["RTY"] == "" {
		t.Fatalf("a refused command changed the state: %+v", st)
	}
}
