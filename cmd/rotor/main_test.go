package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

func runRotor(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newRootCmd(&out, &errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

func TestDemoBrokerOnlyJSON(t *testing.T) {
	out, stderr, err := runRotor(t, context.Background(), "demo", "--broker-only", "--json")
	if err != nil {
		t.Fatalf("demo: %v\nstderr:\n%s", err, stderr)
	}
	var rep struct {
		Fills     []broker.Fill        `json:"fills"`
		Positions []broker.Position    `json:"positions"`
		Orders    []broker.OrderReport `json:"orders"`
		After     broker.Account       `json:"account_after"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("demo --json output is not JSON: %v\n%s", err, out)
	}
	if got, want := len(rep.Fills), 2; got != want {
		t.Fatalf("fills = %d, want %d", got, want)
	}
	for _, f := range rep.Fills {
		if !f.Commission.IsPositive() {
			t.Errorf("fill %s has no commission", f.ExecID)
		}
	}
	held := map[string]int64{}
	for _, p := range rep.Positions {
		held[p.Contract.Symbol] = p.Quantity
	}
	if held["RTY"] != 2 || held["M2K"] != 3 {
		t.Fatalf("positions = %v, want RTY 2 and M2K 3", held)
	}
	if got, want := rep.Orders[2].Status, broker.StatusCancelled; got != want {
		t.Fatalf("limit order status = %s, want %s", got, want)
	}
	if !rep.After.InitMargin.IsPositive() {
		t.Fatalf("initial margin after fills = %s, want > 0", rep.After.InitMargin)
	}
}

func TestIBSimCommandServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		cmd := newRootCmd(pw, io.Discard)
		cmd.SetArgs([]string{"ibsim", "--listen", "127.0.0.1:0", "--account", "DU5550001", "--log-level", "error"})
		done <- cmd.ExecuteContext(ctx)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "DU5550001") {
		t.Fatalf("startup line %q does not name the account", line)
	}
	addr := strings.Fields(strings.SplitN(line, " on ", 2)[1])[0]
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial the paper broker at %s: %v", addr, err)
	}
	conn.Close()
	cancel()
	go io.Copy(io.Discard, pr)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ibsim exited with %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ibsim did not stop after its context was cancelled")
	}
}

func TestBadFlagsNameTheProblem(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"ibsim", "--as-of", "23/11/2026", "--listen", "127.0.0.1:0"}, "--as-of"},
		{[]string{"ibsim", "--max-version", "99", "--listen", "127.0.0.1:0"}, "max version 99"},
		{[]string{"ibsim", "--data", "/nonexistent/dir", "--listen", "127.0.0.1:0"}, "--data /nonexistent/dir"},
		{[]string{"demo", "--log-level", "loud"}, "--log-level"},
	}
	for _, tt := range tests {
		_, _, err := runRotor(t, context.Background(), tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("rotor %v: err = %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
}
