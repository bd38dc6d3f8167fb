package backtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/portfolio"
)

// TestSteadyDaysChangeNothing holds the shortcut that skips NewTargets
// (book.steady) to the exhaustive path, byte for byte, over sleeves that
// move its numbers: leverages, volatility targets (off too), drift bands
// (zero, which only holds when nothing differs, and wide), a starting
// cash that makes the rounding to micros coarse, and a short leg, for
// which steady never answers. It also checks that the shortcut is taken.
func TestSteadyDaysChangeNothing(t *testing.T) {
	d := decimal.RequireFromString
	for k, c := range []struct {
		leadership, neutral, lagging, band string
		volTarget                          float64
		cash                               int64
		short                              portfolio.ShortKind
		// steady: the shortcut should answer for most days (not when
		// risk's limits keep the book off its targets, nor with a short
		// leg).
		steady bool
	}{
		{"2", "0.5", "0", "0.10", 0.20, DefaultStartingCash, portfolio.ShortNone, true},
		{"3", "1", "0.25", "0.02", 0.15, DefaultStartingCash, portfolio.ShortNone, true},
		{"1.5", "0.75", "0", "0", 0.20, DefaultStartingCash, portfolio.ShortNone, true},
		{"2.5", "1.2", "0", "0.3", 0, DefaultStartingCash, portfolio.ShortNone, true},
		{"1", "0.5", "0", "0.05", 0.10, 150_000, portfolio.ShortNone, true},
		{"4", "2", "0.5", "0.01", 0.5, 10_000_000, portfolio.ShortNone, false},
		{"2", "0.5", "0", "0.10", 0.20, DefaultStartingCash, portfolio.ShortESHedge, false},
	} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			cfg := episodeConfig(t)
			cfg.Sleeve.Leverage = portfolio.Leverage{Leadership: d(c.leadership), Neutral: d(c.neutral), Lagging: d(c.lagging)}
			cfg.Sleeve.DriftBand, cfg.Sleeve.VolTarget = d(c.band), c.volTarget
			cfg.StartingCash = decimal.NewFromInt(c.cash)
			if c.short == portfolio.ShortESHedge {
				cfg.Sleeve.Short = portfolio.ShortLeg{Kind: c.short, Ratio: d("0.5")}
			}
			cfg.Limits.MaxDrawdown = d("0.3")
			cfg.Limits.DailyLossFraction = d("0.1")
			fast, books := runBooks(t, cfg)
			cfg.exhaustive = true
			slow, _ := runBooks(t, cfg)
			if !bytes.Equal(fast, slow) {
				t.Fatal("the steady-day shortcut changed the result")
			}
			for _, b := range books {
				if c.steady && b.steadyDays < len(b.days)/2 {
					t.Errorf("%s: steady answered for %d days of %d, want most", b.name, b.steadyDays, len(b.days))
				}
			}
		})
	}
}

// runBooks is Run, returning the books too.
func runBooks(tb testing.TB, cfg Config) ([]byte, []*book) {
	tb.Helper()
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	data, _ := normaliseData(cfg.Data)
	tr, err := replaySignal(data, cfg.Signals, cfg.From, cfg.To, cfg.Warmup)
	if err != nil {
		tb.Fatal(err)
	}
	mkt, err := newMarket(data, tr.days, cfg.Sleeve.OwnedRoots())
	if err != nil {
		tb.Fatal(err)
	}
	mkt.cacheVol(cfg.Sleeve.VolWindow)
	books, err := replay(&cfg, data, tr, mkt, true)
	if err != nil {
		tb.Fatal(err)
	}
	return mustJSON(tb, result(&cfg, tr, books)), books
}

// TestWholeMicros holds steady's float count of micro contracts to
// MixContracts on targets at, next to and away from the half-micro
// boundaries where the rounding flips: it may decline, but never answer
// wrong.
func TestWholeMicros(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	share := decimal.RequireFromString("0.25")
	var answered, declined int // away from the boundaries
	for range 20000 {
		price := decimal.New(int64(5000+rng.IntN(25000)), -1) // on RTY's tick
		unit := price.Mul(decimal.NewFromInt(5))
		lev := decimal.NewFromInt(int64(1 + rng.IntN(4))).Div(decimal.NewFromInt(2)) // 0.5 to 2
		factor := share.Mul(lev)
		// A target at a boundary, a hair to either side, or anywhere.
		n := decimal.NewFromInt(int64(rng.IntN(3000)))
		target := n.Add(decimal.RequireFromString("0.5")).Mul(unit)
		anywhere := false
		switch rng.IntN(4) {
		case 1:
			target = target.Add(decimal.New(1, -9))
		case 2:
			target = target.Sub(decimal.New(1, -9))
		case 3:
			target = target.Add(unit.Mul(decimal.NewFromFloat(rng.Float64())))
			anywhere = true
		}
		nlv := target.Div(factor) // the target is worked out again from it below
		scale, scaleErr, v := 1.0, 0.0, decimal.NewFromInt(1)
		if rng.IntN(2) == 0 {
			scale, scaleErr = 0.2+0.8*rng.Float64(), 6e-7
			v = portfolio.VolScale(scale, 1)
			nlv = nlv.Div(v).Round(2)
		}
		long := nlv.Mul(share).Mul(lev).Mul(v)
		big, micro, err := portfolio.MixContracts(long, price, 50, 5)
		if err != nil {
			t.Fatal(err)
		}
		nf := nlv.InexactFloat64()
		got, ok := wholeMicros(nf, nf*1e-13, factor.InexactFloat64(), scale, scaleErr, unit.InexactFloat64())
		if !ok {
			if anywhere {
				declined++
			}
			continue
		}
		if anywhere {
			answered++
		}
		if want := big*10 + micro; got != want {
			t.Fatalf("nlv %s, leverage %s, scale %s, price %s: %d micros, MixContracts says %d", nlv, lev, v, price, got, want)
		}
	}
	if declined*100 > answered {
		t.Errorf("away from the boundaries: answered %d, declined %d, want over 99%% answers", answered, declined)
	}
}
