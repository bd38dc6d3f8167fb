package backtest

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestCAGR(t *testing.T) {
	for _, tc := range []struct {
		name              string
		start, end, years float64
		want              float64
	}{
		{"doubling in one year", 100, 200, 1, 1},
		{"doubling in two years", 100, 200, 2, math.Sqrt2 - 1},
		{"a quarter down over half a year", 100, 75, 0.5, 0.5625 - 1},
		{"no time", 100, 200, 0, 0},
		{"no start", 0, 200, 1, 0},
		{"wiped out", 100, -5, 1, -1},
	} {
		if got := CAGR(tc.start, tc.end, tc.years); !near(got, tc.want) {
			t.Errorf("%s: CAGR(%g, %g, %g)=%g, want %g", tc.name, tc.start, tc.end, tc.years, got, tc.want)
		}
	}
}

func TestYears(t *testing.T) {
	if got, want := Years(day("2020-01-01"), day("2021-01-01")), 366/365.25; !near(got, want) {
		t.Fatalf("Years(2020)=%g, want %g", got, want)
	}
}

func TestVolatilityAndSharpe(t *testing.T) {
	// Returns 1%, -1%, 2%, 0%: mean 0.5%, sample variance
	// (0.25+2.25+2.25+0.25)e-4/3 = 5e-4/3.
	rets := []float64{0.01, -0.01, 0.02, 0}
	sd := math.Sqrt(5e-4 / 3)
	if got, want := Volatility(rets), sd*math.Sqrt(252); !near(got, want) {
		t.Errorf("Volatility=%g, want %g", got, want)
	}
	if got, want := Sharpe(rets), 0.005/sd*math.Sqrt(252); !near(got, want) {
		t.Errorf("Sharpe=%g, want %g", got, want)
	}
	for _, flat := range [][]float64{nil, {0.01}, {0.01, 0.01, 0.01}} {
		if got := Sharpe(flat); got != 0 {
			t.Errorf("Sharpe(%v)=%g, want 0", flat, got)
		}
	}
	if got := Volatility([]float64{0.5}); got != 0 {
		t.Errorf("Volatility of one return=%g, want 0", got)
	}
}

func TestDailyReturns(t *testing.T) {
	got := DailyReturns([]float64{100, 110, 99, 0, 50})
	want := []float64{0.1, -0.1, -1, 0}
	if len(got) != len(want) {
		t.Fatalf("DailyReturns=%v, want %v", got, want)
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Fatalf("DailyReturns=%v, want %v", got, want)
		}
	}
}

func TestMaxDrawdown(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		nlv                     []float64
		dd                      float64
		peak, trough, recovered int
	}{
		{"empty", nil, 0, 0, 0, -1},
		{"rising", []float64{1, 2, 3}, 0, 0, 0, -1},
		{"one fall, recovered", []float64{100, 120, 90, 100, 125}, 0.25, 1, 2, 4},
		{"the larger of two falls", []float64{100, 80, 100, 200, 120, 150}, 0.4, 3, 4, -1},
		{"a deeper fall from a lower peak is larger", []float64{200, 180, 50, 100, 40}, 0.8, 0, 4, -1},
		{"recovery exactly at the peak", []float64{100, 50, 100}, 0.5, 0, 1, 2},
	} {
		dd, p, tr, rec := MaxDrawdown(tc.nlv)
		if !near(dd, tc.dd) || p != tc.peak || tr != tc.trough || rec != tc.recovered {
			t.Errorf("%s: MaxDrawdown(%v)=%g,%d,%d,%d, want %g,%d,%d,%d", tc.name, tc.nlv, dd, p, tr, rec, tc.dd, tc.peak, tc.trough, tc.recovered)
		}
	}
}
