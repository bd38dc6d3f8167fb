package portfolio_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/shopspring/decimal"
)

func TestDefaultSleeveValid(t *testing.T) {
	if err := portfolio.DefaultSleeve().Validate(); err != nil {
		t.Fatalf("DefaultSleeve().Validate()=%v, want nil", err)
	}
}

func TestSleeveConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		key    string
		mutate func(*portfolio.SleeveConfig)
	}{
		{"share", func(c *portfolio.SleeveConfig) { c.Share = d("0") }},
		{"share", func(c *portfolio.SleeveConfig) { c.Share = d("1.5") }},
		{"leverage.leadership", func(c *portfolio.SleeveConfig) { c.Leverage.Leadership = d("-1") }},
		{"leverage.lagging", func(c *portfolio.SleeveConfig) { c.Leverage.Lagging = d("11") }},
		{"short.kind", func(c *portfolio.SleeveConfig) { c.Short.Kind = "pairs" }},
		{"short.n", func(c *portfolio.SleeveConfig) {
			c.Short = portfolio.ShortLeg{Kind: portfolio.ShortWeakestSectors, N: 0, Ratio: d("0.5")}
		}},
		{"short.n", func(c *portfolio.SleeveConfig) {
			c.Short = portfolio.ShortLeg{Kind: portfolio.ShortWeakestSectors, N: 12, Ratio: d("0.5")}
		}},
		{"short.ratio", func(c *portfolio.SleeveConfig) {
			c.Short = portfolio.ShortLeg{Kind: portfolio.ShortESHedge, Ratio: d("0")}
		}},
		{"short", func(c *portfolio.SleeveConfig) { c.Short.Ratio = d("0.5") }},
		{"vol_target", func(c *portfolio.SleeveConfig) { c.VolTarget = math.NaN() }},
		{"vol_window", func(c *portfolio.SleeveConfig) { c.VolWindow = 1 }},
		{"drift_band", func(c *portfolio.SleeveConfig) { c.DriftBand = d("1") }},
		{"roll_days", func(c *portfolio.SleeveConfig) { c.RollDays = -1 }},
		{"order_type", func(c *portfolio.SleeveConfig) { c.OrderType = "STP" }},
		{"collar", func(c *portfolio.SleeveConfig) { c.Collar = d("0.5") }},
		{"tif", func(c *portfolio.SleeveConfig) { c.TIF = "IOC" }},
	} {
		c := portfolio.DefaultSleeve()
		tc.mutate(&c)
		err := c.Validate()
		if !errors.Is(err, portfolio.ErrInvalidConfig) {
			t.Fatalf("%s: Validate()=%v, want ErrInvalidConfig", tc.key, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "portfolio: ") || !strings.Contains(msg, tc.key+" is ") || !strings.Contains(msg, "want") {
			t.Fatalf("%s: Validate()=%q, want the key and the allowed values", tc.key, msg)
		}
	}
}

// TestMixContractsHalfMicro is the property of the RTY/M2K mix: over many
// random targets and prices on the 0.10 tick, the achieved notional is
// within half a micro contract of the target, the micros are 0 to 9, and
// the counts carry the target's sign.
func TestMixContractsHalfMicro(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for i := range 20000 {
		price := decimal.New(int64(500+rng.IntN(60000)), -1)  // 50.0 to 6049.9
		target := decimal.New(rng.Int64N(10_000_000_000), -2) // up to 100M, in cents
		if i%5 == 0 {                                         // exact multiples and halves
			target = price.Mul(decimal.New(int64(rng.IntN(2000)), 0)).Mul(d("2.5"))
		}
		if i%2 == 1 {
			target = target.Neg()
		}
		big, micro, err := portfolio.MixContracts(target, price, 50, 5)
		if err != nil {
			t.Fatalf("MixContracts(%s, %s): %v", target, price, err)
		}
		achieved := price.Mul(decimal.NewFromInt(50*big + 5*micro))
		bound := price.Mul(d("2.5"))
		if diff := achieved.Sub(target).Abs(); diff.GreaterThan(bound) {
			t.Fatalf("MixContracts(%s, %s)=%d RTY %d M2K: off by %s > half a micro %s", target, price, big, micro, diff, bound)
		}
		if m := micro; m < -9 || m > 9 || (target.IsNegative() && (big > 0 || m > 0)) || (target.IsPositive() && (big < 0 || m < 0)) {
			t.Fatalf("MixContracts(%s, %s)=%d RTY %d M2K: want same-signed counts and |M2K| < 10", target, price, big, micro)
		}
	}
}

func TestMixContractsFolds(t *testing.T) {
	// 9.6 micros of remainder round to 10 and fold into one more RTY.
	big, micro, err := portfolio.MixContracts(d("196000"), d("2000"), 50, 5)
	if err != nil {
		t.Fatal(err)
	}
	if big != 2 || micro != 0 {
		t.Fatalf("MixContracts(196000, 2000)=%d, %d, want 2, 0", big, micro)
	}
}

func TestWholeContracts(t *testing.T) {
	for _, tc := range []struct {
		target, price string
		mult          int64
		want          int64
	}{
		{"-125000", "240", 100, -5}, // 5.21
		{"-125000", "47", 250, -11}, // 10.64
		{"125000", "250", 100, 5},
		{"37500", "300", 250, 1},   // 0.5 rounds away from zero
		{"37499", "300", 250, 0},   // just under half
		{"-37500", "300", 250, -1}, // symmetric
	} {
		got, err := portfolio.WholeContracts(d(tc.target), d(tc.price), tc.mult)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Fatalf("WholeContracts(%s, %s, %d)=%d, want %d", tc.target, tc.price, tc.mult, got, tc.want)
		}
	}
}

// alternatingCloses returns closes whose n log returns alternate +a, −a,
// with a chosen so that their annualised sample volatility is vol.
func alternatingCloses(n int, vol float64) []float64 {
	a := vol / math.Sqrt(float64(n)/float64(n-1)*252)
	closes := []float64{2000}
	for i := range n {
		sign := 1.0
		if i%2 == 1 {
			sign = -1
		}
		closes = append(closes, closes[len(closes)-1]*math.Exp(sign*a))
	}
	return closes
}

func TestRealisedVol(t *testing.T) {
	closes := append([]float64{1, 1e9}, alternatingCloses(20, 0.40)...) // older closes are ignored
	vol, err := portfolio.RealisedVol(closes, 20)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(vol-0.40) > 1e-12 {
		t.Fatalf("RealisedVol=%v, want 0.40", vol)
	}
	if _, err := portfolio.RealisedVol(closes[len(closes)-20:], 20); err == nil {
		t.Fatalf("RealisedVol with 20 closes for a 20-day window: want an error")
	}
	if _, err := portfolio.RealisedVol([]float64{1, 2, math.NaN()}, 2); err == nil {
		t.Fatalf("RealisedVol with NaN: want an error")
	}
	if got, want := portfolio.VolScale(0.20, 0.40).String(), "0.5"; got != want {
		t.Fatalf("VolScale(0.20, 0.40)=%s, want %s", got, want)
	}
	if got, want := portfolio.VolScale(0.20, 0.10).String(), "1"; got != want {
		t.Fatalf("VolScale(0.20, 0.10)=%s, want %s", got, want)
	}
}

// TestSectorRootsTrackTheirFunds: every sector root is the broker's
// instrument that tracks that fund.
func TestSectorRootsTrackTheirFunds(t *testing.T) {
	for _, fund := range []string{"XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"} {
		root, ok := portfolio.SectorRoot(fund)
		if !ok {
			t.Fatalf("SectorRoot(%s): none", fund)
		}
		inst, err := broker.LookupInstrument(root)
		if err != nil || inst.Tracks != fund {
			t.Fatalf("SectorRoot(%s)=%s tracking %q (%v), want it to track %s", fund, root, inst.Tracks, err, fund)
		}
	}
}
