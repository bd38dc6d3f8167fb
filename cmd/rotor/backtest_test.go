package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/backtest"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// writeBacktestData writes a generated history with a leadership episode
// as CSV files, the index as ^RUT.csv the way Yahoo names it.
func writeBacktestData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	series := marketdata.Generate(marketdata.GenConfig{Seed: 4,
		Start: time.Date(2019, 7, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2022, 6, 30, 0, 0, 0, 0, time.UTC),
		Leadership: &marketdata.Episode{Start: time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC)}})
	for sym, s := range series {
		var buf bytes.Buffer
		if err := marketdata.WriteCSV(&buf, s); err != nil {
			t.Fatal(err)
		}
		name := sym
		if sym == "RUT" {
			name = "^RUT"
		}
		if err := os.WriteFile(filepath.Join(dir, name+".csv"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runBacktestCmd runs `rotor backtest` with args: through the root command
// when it has the subcommand, else the subcommand alone with the default
// configuration.
func runBacktestCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd(io.Discard, io.Discard)
	if c, _, err := root.Find([]string{"backtest"}); err == nil && c.Name() == "backtest" {
		return runRotor(t, context.Background(), append([]string{"backtest"}, args...)...)
	}
	g := globalFlags{cfg: defaultFileConfig(), logLevel: "warn"}
	cmd := newBacktestCmd(&g)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func TestBacktestCmdJSON(t *testing.T) {
	dir := writeBacktestData(t)
	report := filepath.Join(t.TempDir(), "report.html")
	args := []string{"--data", dir, "--from", "2021-03-01", "--to", "2022-06-30", "--json", "--report", report}
	stdout, stderr, err := runBacktestCmd(t, args...)
	if err != nil {
		t.Fatalf("backtest: %v\n%s", err, stderr)
	}
	var r backtest.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("--json output does not parse: %v\n%.500s", err, stdout)
	}
	if got, want := r.From, "2021-03-01"; got != want {
		t.Errorf("from %s, want %s", got, want)
	}
	if got, want := len(r.Books), 3; got != want {
		t.Fatalf("%d books, want %d", got, want)
	}
	if s := r.Books[0].Stats; s.Trades == 0 || !s.Commissions.IsPositive() {
		t.Errorf("strategy stats %+v: want trades and commissions", s)
	}
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if !strings.Contains(string(html), "<svg ") {
		t.Error("the report has no chart")
	}
	again, _, err := runBacktestCmd(t, args...)
	if err != nil || again != stdout {
		t.Errorf("a second run printed different JSON (err %v)", err)
	}
}

func TestBacktestCmdTable(t *testing.T) {
	dir := writeBacktestData(t)
	stdout, _, err := runBacktestCmd(t, "--data", dir, "--from", "2021-03-01", "--to", "2021-12-31", "--no-report")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CAGR", "Sharpe", "max drawdown", "strategy", "buy_and_hold", "no_signal"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
}

func TestBacktestCmdSweep(t *testing.T) {
	dir := writeBacktestData(t)
	stdout, _, err := runBacktestCmd(t, "--data", dir, "--from", "2021-03-01", "--to", "2021-12-31", "--sweep",
		"--lookbacks", "42,63", "--thresholds", "0.7/0.5", "--leverages", "1,2", "--sort-by", "cagr", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []backtest.SweepRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("sweep --json: %v", err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Stats.CAGR > rows[i-1].Stats.CAGR {
			t.Errorf("rows not sorted by CAGR: %g after %g", rows[i].Stats.CAGR, rows[i-1].Stats.CAGR)
		}
	}
}

func TestBacktestCmdErrors(t *testing.T) {
	dir := writeBacktestData(t)
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "IWM.csv"), []byte("date,open,high,low,close\n2021-01-04,1,1,1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2021-03-01"}, "--data"},
		{[]string{"--data", dir}, "--from"},
		{[]string{"--data", dir, "--from", "03/01/2021"}, "--from"},
		{[]string{"--data", dir, "--from", "2021-03-01", "--to", "tomorrow"}, "--to"},
		{[]string{"--data", dir, "--from", "2021-03-01", "--sweep", "--sort-by", "sortino"}, "--sort-by"},
		{[]string{"--data", dir, "--from", "2021-03-01", "--sweep", "--thresholds", "0.7"}, "--thresholds"},
		{[]string{"--data", bad, "--from", "2021-03-01"}, "IWM.csv:2"},
	} {
		_, _, err := runBacktestCmd(t, append(tc.args, "--no-report")...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.args, err, tc.want)
		}
	}
}
