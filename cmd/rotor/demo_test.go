package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/signals"
)

// TestDemoSystem plays the first 16 trading days of the demo through the
// whole system: the regime turns from lagging to neutral, the sleeve buys,
// the orders fill, the positions follow, and the audit log verifies.
func TestDemoSystem(t *testing.T) {
	dir := t.TempDir()
	out, stderr, err := runRotor(t, context.Background(), "demo", "--days", "16", "--data-dir", dir, "--json")
	if err != nil {
		t.Fatalf("demo: %v\nstderr:\n%s", err, stderr)
	}
	var rep systemReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, out)
	}
	if len(rep.Days) != 16 || !strings.HasPrefix(rep.AuditLog, dir) {
		t.Fatalf("%d days, audit log %s", len(rep.Days), rep.AuditLog)
	}
	regimes := map[signals.Regime]bool{}
	filled := 0
	for _, d := range rep.Days {
		regimes[d.Regime] = true
		for _, o := range d.Orders {
			if o.Filled != o.Approved {
				t.Errorf("%s: %s approved %d, filled %d", d.Date, o.Ref, o.Approved, o.Filled)
			}
			filled += int(o.Filled)
		}
		if d.Regime == signals.Lagging && len(d.Positions) != 0 {
			t.Errorf("%s: lagging but holding %v", d.Date, d.Positions)
		}
	}
	if !regimes[signals.Lagging] || !regimes[signals.Neutral] || filled == 0 {
		t.Fatalf("regimes %v, %d contracts filled: the demo should go from lagging to neutral and trade", regimes, filled)
	}
	last := rep.Days[len(rep.Days)-1]
	if len(last.Positions) == 0 {
		t.Fatalf("flat at the end of the demo: %+v", last)
	}
	if _, err := os.Stat(rep.AuditLog); err != nil {
		t.Fatal(err)
	}
	if html, err := os.ReadFile(rep.Report); err != nil || !strings.Contains(string(html), "<svg") {
		t.Fatalf("the demo's report %s: %v", rep.Report, err)
	}
	l, err := audit.Open(context.Background(), rep.AuditLog, audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Verify(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := l.Head(context.Background()); h.Seq != rep.AuditRows {
		t.Fatalf("audit head %d, report says %d rows", h.Seq, rep.AuditRows)
	}
}

// TestDemoRefusesBadDays names the flag and the range.
func TestDemoRefusesBadDays(t *testing.T) {
	_, _, err := runRotor(t, context.Background(), "demo", "--days", "0", "--data-dir", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "--days") {
		t.Fatalf("demo --days 0: %v", err)
	}
}

// playDemo runs the demo for days trading days in a temporary directory and
// returns its report: a real audit log for the review commands' tests.
func playDemo(t *testing.T, days string) systemReport {
	t.Helper()
	out, stderr, err := runRotor(t, context.Background(), "demo", "--days", days, "--data-dir", t.TempDir(), "--json", "--log-level", "error")
	if err != nil {
		t.Fatalf("demo: %v\nstderr:\n%s", err, stderr)
	}
	var rep systemReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, out)
	}
	return rep
}
