package backtest

import (
	"sync"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// episodeMarket is a generated universe from mid-2019 with small-cap
// leadership from June to December 2021, shared read-only by the tests.
var episodeMarket = sync.OnceValue(func() map[string]marketdata.Series {
	return marketdata.Generate(marketdata.GenConfig{Seed: 4, Start: day("2019-07-01"), End: day("2022-12-30"),
		Leadership: &marketdata.Episode{Start: day("2021-06-01"), End: day("2021-12-31")}})
})

// episodeConfig backtests the episode market from March 2021 to June 2022:
// the leadership episode, the lagging after it, and five quarterly expiries.
func episodeConfig(tb testing.TB) Config {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Data = episodeMarket()
	cfg.From, cfg.To = day("2021-03-01"), day("2022-06-30")
	return cfg
}

// mustRun runs cfg and fails the test on an error.
func mustRun(tb testing.TB, cfg Config) Result {
	tb.Helper()
	r, err := Run(cfg)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return r
}

// mustBook returns the named book of r.
func mustBook(tb testing.TB, r Result, name string) Book {
	tb.Helper()
	b, ok := r.Book(name)
	if !ok {
		tb.Fatalf("no %s book", name)
	}
	return b
}
