package portfolio_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/signals"
)

// TestTargetsByRegime: NLV 1,000,000 × share 0.25 = 250,000 of sleeve; at
// 2100 one RTY is 105,000 and one M2K 10,500.
func TestTargetsByRegime(t *testing.T) {
	for _, tc := range []struct {
		regime         signals.Regime
		leverage       string
		longTarget     string
		rty, m2k       int64
		longNotional   string
		held           []broker.Position
		wantOrders     map[string]int64
		wantOrderCount int
	}{
		// 500,000: 4 RTY (420,000) + 7.62 → 8 M2K (84,000) = 504,000.
		{signals.Leadership, "2", "500000", 4, 8, "504000", nil,
			map[string]int64{"RTYM6": 4, "M2KM6": 8}, 2},
		// 125,000: 1 RTY + 1.90 → 2 M2K = 126,000; reduced from 4/8.
		{signals.Neutral, "0.5", "125000", 1, 2, "126000",
			[]broker.Position{pos(future("RTY", 2026, time.June), 4), pos(future("M2K", 2026, time.June), 8)},
			map[string]int64{"RTYM6": -3, "M2KM6": -6}, 2},
		// Lagging is flat: the held contracts are closed.
		{signals.Lagging, "0", "0", 0, 0, "0",
			[]broker.Position{pos(future("RTY", 2026, time.June), 4), pos(future("M2K", 2026, time.June), 8)},
			map[string]int64{"RTYM6": -4, "M2KM6": -8}, 2},
	} {
		t.Run(string(tc.regime), func(t *testing.T) {
			tg := mustTargets(t, input(tc.regime, noVol()))
			if got, want := tg.SleeveNotional.String(), "250000"; got != want {
				t.Fatalf("SleeveNotional=%s, want %s", got, want)
			}
			if got := tg.Leverage.String(); got != tc.leverage {
				t.Fatalf("Leverage=%s, want %s", got, tc.leverage)
			}
			if got := tg.LongTarget.String(); got != tc.longTarget {
				t.Fatalf("LongTarget=%s, want %s", got, tc.longTarget)
			}
			if got, got2 := tg.Contracts("RTY"), tg.Contracts("M2K"); got != tc.rty || got2 != tc.m2k {
				t.Fatalf("contracts RTY %d M2K %d, want %d %d", got, got2, tc.rty, tc.m2k)
			}
			if got := tg.LongNotional.String(); got != tc.longNotional {
				t.Fatalf("LongNotional=%s, want %s", got, tc.longNotional)
			}
			if got := tg.TargetNotional.String(); got != tc.longNotional {
				t.Fatalf("TargetNotional=%s, want %s", got, tc.longNotional)
			}
			p := mustPlan(t, tc.held, tg, asOf)
			if got := signedOrders(p); !equalCounts(got, tc.wantOrders) || len(p.Orders) != tc.wantOrderCount {
				t.Fatalf("orders %v (%d), want %v", got, len(p.Orders), tc.wantOrders)
			}
			for _, o := range p.Orders {
				if err := o.Validate(); err != nil {
					t.Fatalf("order %s: %v", o.Ref, err)
				}
				if o.Type != broker.Market {
					t.Fatalf("order %s type %s, want MKT", o.Ref, o.Type)
				}
			}
		})
	}
}

// TestTargetsVolTargeting: realised volatility twice the 20% target halves
// the long leg.
func TestTargetsVolTargeting(t *testing.T) {
	cfg := portfolio.DefaultSleeve()
	in := input(signals.Leadership, cfg)
	in.RealisedVolCloses = alternatingCloses(cfg.VolWindow, 0.40)
	tg := mustTargets(t, in)
	if tg.RealisedVol < 0.3999999 || tg.RealisedVol > 0.4000001 {
		t.Fatalf("RealisedVol=%v, want 0.40", tg.RealisedVol)
	}
	if got, want := tg.VolScale.String(), "0.5"; got != want {
		t.Fatalf("VolScale=%s, want %s", got, want)
	}
	if got, want := tg.LongTarget.String(), "250000"; got != want { // 500,000 × 0.5
		t.Fatalf("LongTarget=%s, want %s", got, want)
	}
	// 250,000: 2 RTY (210,000) + 3.81 → 4 M2K (42,000).
	if rty, m2k := tg.Contracts("RTY"), tg.Contracts("M2K"); rty != 2 || m2k != 4 {
		t.Fatalf("RTY %d M2K %d, want 2 4", rty, m2k)
	}

	// Calm markets do not lever up: the scale stops at 1.
	in.RealisedVolCloses = alternatingCloses(cfg.VolWindow, 0.10)
	if tg := mustTargets(t, in); tg.VolScale.String() != "1" || tg.LongTarget.String() != "500000" {
		t.Fatalf("calm: VolScale %s LongTarget %s, want 1 and 500000", tg.VolScale, tg.LongTarget)
	}

	// Too few closes is an input error, not a silent full size.
	in.RealisedVolCloses = in.RealisedVolCloses[:5]
	if _, err := portfolio.NewTargets(in); !errors.Is(err, portfolio.ErrInvalidInput) {
		t.Fatalf("NewTargets with 5 closes: %v, want ErrInvalidInput", err)
	}
}

// TestTargetsWeakestSectors: the short leg shorts the two sectors the
// benchmark beats by the most, 125,000 each (0.5 × 500,000 / 2).
func TestTargetsWeakestSectors(t *testing.T) {
	cfg := noVol()
	cfg.Short = portfolio.ShortLeg{Kind: portfolio.ShortWeakestSectors, N: 2, Ratio: d("0.5")}
	in := input(signals.Leadership, cfg)
	in.Event = event(signals.Leadership, map[string]float64{
		"XLK": 0.30, "XLF": 0.28, "XLE": 0.25, "XLU": 0.10, "XLV": 0.02, "XLC": -0.01,
	})
	in.Prices["XAK"], in.Prices["XAF"], in.Prices["XAE"] = d("240"), d("47"), d("90")
	in.Contracts["XAK"], in.Contracts["XAF"] = future("XAK", 2026, time.June), future("XAF", 2026, time.June)
	tg := mustTargets(t, in)

	if got, want := tg.ShortTarget.String(), "-250000"; got != want {
		t.Fatalf("ShortTarget=%s, want %s", got, want)
	}
	if len(tg.ShortSectors) != 2 || tg.ShortSectors[0].Fund != "XLK" || tg.ShortSectors[1].Fund != "XLF" {
		t.Fatalf("ShortSectors=%+v, want XLK then XLF", tg.ShortSectors)
	}
	// XAK: 125,000 / (240 × 100) = 5.21 → −5; XAF: 125,000 / (47 × 250) = 10.64 → −11.
	want := map[string]int64{"RTY": 4, "M2K": 8, "XAK": -5, "XAF": -11}
	for _, rt := range tg.Roots {
		if rt.Contracts != want[rt.Root] {
			t.Fatalf("%s: %d contracts, want %d", rt.Root, rt.Contracts, want[rt.Root])
		}
	}
	if got, want := tg.ShortNotional.String(), "-249250"; got != want { // −120,000 − 129,250
		t.Fatalf("ShortNotional=%s, want %s", got, want)
	}
	if got, want := len(tg.Roots), 13; got != want { // RTY, M2K and the 11 sector roots
		t.Fatalf("%d roots, want %d", got, want)
	}

	// From flat plus a stale short in a sector no longer picked: sell the
	// two picks, buy back the other.
	held := []broker.Position{pos(future("XAE", 2026, time.June), -3)}
	p := mustPlan(t, held, tg, asOf)
	wantOrders := map[string]int64{"RTYM6": 4, "M2KM6": 8, "XAKM6": -5, "XAFM6": -11, "XAEM6": 3}
	if got := signedOrders(p); !equalCounts(got, wantOrders) {
		t.Fatalf("orders %v, want %v", got, wantOrders)
	}
}

func TestTargetsESHedge(t *testing.T) {
	cfg := noVol()
	cfg.Short = portfolio.ShortLeg{Kind: portfolio.ShortESHedge, Ratio: d("0.5")}
	in := input(signals.Leadership, cfg)
	in.Prices["ES"] = d("5000")
	in.Contracts["ES"], in.Contracts["MES"] = future("ES", 2026, time.June), future("MES", 2026, time.June)
	tg := mustTargets(t, in)
	// −250,000 at 5000: one ES is 250,000.
	if es, mes := tg.Contracts("ES"), tg.Contracts("MES"); es != -1 || mes != 0 {
		t.Fatalf("ES %d MES %d, want -1 0", es, mes)
	}
}

func TestTargetsInputErrors(t *testing.T) {
	for name, mutate := range map[string]func(*portfolio.TargetInput){
		"nlv":      func(in *portfolio.TargetInput) { in.NLV = d("0") },
		"regime":   func(in *portfolio.TargetInput) { in.Event.Regime = "bull" },
		"price":    func(in *portfolio.TargetInput) { in.Prices = nil },
		"contract": func(in *portfolio.TargetInput) { delete(in.Contracts, "M2K") },
		"wrong":    func(in *portfolio.TargetInput) { in.Contracts["M2K"] = future("ES", 2026, time.June) },
	} {
		in := input(signals.Leadership, noVol())
		mutate(&in)
		_, err := portfolio.NewTargets(in)
		if !errors.Is(err, portfolio.ErrInvalidInput) {
			t.Fatalf("%s: NewTargets()=%v, want ErrInvalidInput", name, err)
		}
	}
	in := input(signals.Leadership, noVol())
	in.Config.Share = d("2")
	if _, err := portfolio.NewTargets(in); !errors.Is(err, portfolio.ErrInvalidConfig) {
		t.Fatalf("bad config: NewTargets()=%v, want ErrInvalidConfig", err)
	}
}
