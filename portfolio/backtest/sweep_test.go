package backtest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func smallGrid() Grid {
	return Grid{
		Lookbacks:  []int{42, 63},
		Thresholds: []Thresholds{{Enter: 0.7, Exit: 0.5}, {Enter: 0.8, Exit: 0.6}},
		Leverages:  []decimal.Decimal{decimal.NewFromInt(1), decimal.NewFromInt(2)},
		SortBy:     MetricSharpe,
	}
}

func TestSweepWorkersGiveTheSameRows(t *testing.T) {
	cfg := episodeConfig(t)
	one, err := Sweep(cfg, smallGrid(), 1)
	if err != nil {
		t.Fatal(err)
	}
	many, err := Sweep(cfg, smallGrid(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(one), 8; got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	if !bytes.Equal(mustJSON(t, one), mustJSON(t, many)) {
		t.Fatal("workers=1 and workers=4 gave different rows")
	}
	for i := 1; i < len(one); i++ {
		if one[i].Stats.Sharpe > one[i-1].Stats.Sharpe {
			t.Errorf("row %d Sharpe %g above row %d's %g: want best first", i, one[i].Stats.Sharpe, i-1, one[i-1].Stats.Sharpe)
		}
	}
}

// TestSweepRowIsTheRun checks that every sweep point, which shares the
// market and its group's re-derived regimes, gives the strategy stats of a
// plain Run.
func TestSweepRowIsTheRun(t *testing.T) {
	cfg := episodeConfig(t)
	rows, err := Sweep(cfg, smallGrid(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		c := cfg
		c.Signals.Lookback = row.Lookback
		c.Signals.Regime.EnterLeadership, c.Signals.Regime.ExitLeadership = row.EnterLeadership, row.ExitLeadership
		c.Sleeve.Leverage.Leadership = row.Leverage
		want := mustBook(t, mustRun(t, c), BookStrategy).Stats
		if !bytes.Equal(mustJSON(t, row.Stats), mustJSON(t, want)) {
			t.Errorf("lookback %d %g/%g leverage %s: sweep stats %+v, Run's %+v", row.Lookback, row.EnterLeadership, row.ExitLeadership, row.Leverage, row.Stats, want)
		}
	}
}

func TestSortRows(t *testing.T) {
	row := func(lb int, enter float64, lev int64, sharpe, cagr, dd float64) SweepRow {
		return SweepRow{Lookback: lb, EnterLeadership: enter, ExitLeadership: 0.5, Leverage: decimal.NewFromInt(lev),
			Stats: Stats{Sharpe: sharpe, CAGR: cagr, MaxDrawdown: dd}}
	}
	rows := []SweepRow{
		row(63, 0.7, 2, 1.0, 0.10, 0.20),
		row(42, 0.8, 1, 1.5, 0.05, 0.10),
		row(42, 0.7, 3, 1.0, 0.12, 0.30),
		row(42, 0.7, 1, 1.0, 0.08, 0.10),
	}
	order := func(rs []SweepRow) []string {
		var out []string
		for _, r := range rs {
			out = append(out, mustString(r))
		}
		return out
	}
	for _, tc := range []struct {
		m    Metric
		want []SweepRow
	}{
		// Equal Sharpe ratios fall back to lookback, entry, leverage.
		{MetricSharpe, []SweepRow{rows[1], rows[3], rows[2], rows[0]}},
		{MetricCAGR, []SweepRow{rows[2], rows[0], rows[3], rows[1]}},
		// Smallest drawdown first; the tie goes to the lower entry.
		{MetricMaxDD, []SweepRow{rows[3], rows[1], rows[0], rows[2]}},
	} {
		got := append([]SweepRow(nil), rows...)
		SortRows(got, tc.m)
		if g, w := order(got), order(tc.want); !equalStrings(g, w) {
			t.Errorf("SortRows(%s)=%v, want %v", tc.m, g, w)
		}
	}
	if _, err := ParseMetric("sortino"); err == nil {
		t.Error("ParseMetric(sortino): no error")
	}
}

func mustString(r SweepRow) string {
	return r.Leverage.String() + "x lb" + decimal.NewFromInt(int64(r.Lookback)).String() + " " + decimal.NewFromFloat(r.EnterLeadership).String()
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSweepRejectsBadPoints(t *testing.T) {
	g := smallGrid()
	if len(g.Lookbacks) < 2 || len(g.Thresholds) < 2 {
		t.Fatal("the grid must have two lookbacks and two pairs for a bad one to be in several points")
	}
	g.Thresholds = append(g.Thresholds, Thresholds{Enter: 0.4, Exit: 0.6}) // exit above entry
	g.Lookbacks = append(g.Lookbacks, 0)
	_, err := Sweep(episodeConfig(t), g, 2)
	if err == nil {
		t.Fatal("a threshold pair with exit above entry and a lookback of 0: no error")
	}
	// Each bad value is named once, not once per point it is in.
	for _, want := range []string{"sweep thresholds 0.4/0.6: ", "sweep lookback 0: "} {
		if n := strings.Count(err.Error(), want); n != 1 {
			t.Errorf("%q %d times in the error, want once:\n%v", want, n, err)
		}
	}
	if strings.Contains(err.Error(), "sweep point") {
		t.Errorf("the error names points as well as the bad values:\n%v", err)
	}
}
