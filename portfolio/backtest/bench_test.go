package backtest

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

// tenYears is a generated universe from 2014 with a leadership episode, for
// a backtest of 2016 to 2025: ten years of trading days after a year and a
// half of history for the signal's windows and warm-up.
var tenYears = sync.OnceValue(func() map[string]marketdata.Series {
	return marketdata.Generate(marketdata.GenConfig{Seed: 11,
		Start: time.Date(2014, 7, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
		Leadership: &marketdata.Episode{Start: time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC)}})
})

func tenYearConfig() Config {
	cfg := DefaultConfig()
	cfg.Data = tenYears()
	cfg.From = time.Date(2016, 1, 4, 0, 0, 0, 0, time.UTC)
	cfg.To = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	return cfg
}

// BenchmarkBacktestTenYears replays ten years of the generated universe
// through the strategy and both baselines; days/s counts trading days
// (each of them three books).
func BenchmarkBacktestTenYears(b *testing.B) {
	cfg := tenYearConfig()
	var days int
	for b.Loop() {
		r, err := Run(cfg)
		if err != nil {
			b.Fatal(err)
		}
		days += r.Days
	}
	b.ReportMetric(float64(days)/b.Elapsed().Seconds(), "days/s")
}

// BenchmarkSweep runs a 100-configuration sweep over the ten years on all
// cores: 5 lookbacks × 4 threshold pairs × 5 leverages.
func BenchmarkSweep(b *testing.B) {
	cfg := tenYearConfig()
	grid := benchGrid()
	var configs, days int
	for b.Loop() {
		rows, err := Sweep(cfg, grid, runtime.NumCPU())
		if err != nil {
			b.Fatal(err)
		}
		configs += len(rows)
		for _, r := range rows {
			days += r.Days
		}
	}
	b.ReportMetric(float64(configs)/b.Elapsed().Seconds(), "configs/s")
	b.ReportMetric(float64(days)/b.Elapsed().Seconds(), "days/s")
}

func benchGrid() Grid {
	return Grid{
		Lookbacks:  []int{42, 63, 84, 105, 126},
		Thresholds: []Thresholds{{Enter: 0.6, Exit: 0.45}, {Enter: 0.7, Exit: 0.5}, {Enter: 0.75, Exit: 0.55}, {Enter: 0.8, Exit: 0.6}},
		Leverages:  []decimal.Decimal{decimal.NewFromInt(1), decimal.RequireFromString("1.5"), decimal.NewFromInt(2), decimal.RequireFromString("2.5"), decimal.NewFromInt(3)},
		SortBy:     MetricSharpe,
	}
}
