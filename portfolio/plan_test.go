package portfolio_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/signals"
)

// Targets in leadership, no vol: 4 RTY and 8 M2K (504,000 at 2100),
// a drift band of 10%: 50,400.
func TestPlanDriftBand(t *testing.T) {
	tg := mustTargets(t, input(signals.Leadership, noVol()))
	rty, m2k := future("RTY", 2026, time.June), future("M2K", 2026, time.June)
	for _, tc := range []struct {
		name     string
		held     []broker.Position
		want     map[string]int64
		skipped  bool
		skipDiff string
	}{
		{"at target: nothing", []broker.Position{pos(rty, 4), pos(m2k, 8)}, map[string]int64{}, false, ""},
		// 4 RTY + 7 M2K = 493,500: 10,500 short of target, inside the band.
		{"inside the band", []broker.Position{pos(rty, 4), pos(m2k, 7)}, map[string]int64{}, true, "-10500"},
		// 5 RTY = 525,000: 21,000 over, inside the band though both roots differ.
		{"mix differs inside the band", []broker.Position{pos(rty, 5)}, map[string]int64{}, true, "21000"},
		// 4 RTY = 420,000: 84,000 short, outside.
		{"outside the band", []broker.Position{pos(rty, 4)}, map[string]int64{"M2KM6": 8}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, tc.held, tg, asOf)
			if got := signedOrders(p); !equalCounts(got, tc.want) {
				t.Fatalf("orders %v, want %v", got, tc.want)
			}
			if got := len(p.Skipped) == 1; got != tc.skipped {
				t.Fatalf("skipped %+v, want skipped=%v", p.Skipped, tc.skipped)
			}
			if tc.skipped {
				s := p.Skipped[0]
				if s.Group != "long" || s.Difference.String() != tc.skipDiff || s.Band.String() != "50400" || !strings.Contains(s.Reason, "drift band") {
					t.Fatalf("skip %+v, want group long, difference %s, band 50400 and a reason", s, tc.skipDiff)
				}
			}
		})
	}
}

// TestPlanUntouched: other strategies' positions (an ES future while the
// sleeve does not hedge, a CL future, a stock, another account's RTY) are
// reported and never traded.
func TestPlanUntouched(t *testing.T) {
	tg := mustTargets(t, input(signals.Lagging, noVol()))
	cl := broker.Contract{ConID: 99, Symbol: "CL", LocalSymbol: "CLK6", SecType: broker.Future, Exchange: "NYMEX",
		Expiry: date("2026-04-21"), Multiplier: 1000}
	stock := broker.Contract{ConID: 265598, Symbol: "AAPL", SecType: broker.Stock, Exchange: "SMART", Multiplier: 1}
	other := pos(future("RTY", 2026, time.June), 7)
	other.Account = "DU7654321"
	held := []broker.Position{
		pos(future("ES", 2026, time.March), 3), // expiring, but not ours
		pos(cl, -2),
		pos(stock, 100),
		other,
		pos(future("RTY", 2026, time.June), 2), // ours, closed in lagging
	}
	p := mustPlan(t, held, tg, date("2026-03-16"))
	if got, want := signedOrders(p), map[string]int64{"RTYM6": -2}; !equalCounts(got, want) {
		t.Fatalf("orders %v, want %v", got, want)
	}
	if got, want := len(p.Untouched), 4; got != want {
		t.Fatalf("%d untouched, want %d: %+v", got, want, p.Untouched)
	}
	for i, sym := range []string{"ES", "CL", "AAPL", "RTY"} {
		if u := p.Untouched[i]; u.Position.Contract.Symbol != sym || u.Reason == "" {
			t.Fatalf("untouched[%d]=%+v, want %s with a reason", i, u, sym)
		}
	}
}

// TestPlanRoll: on 2026-03-16 the March contracts (last trade 2026-03-20)
// are within 5 business days: each is closed and the June one opened, the
// two legs sharing a RollID.
func TestPlanRoll(t *testing.T) {
	tg := mustTargets(t, input(signals.Leadership, noVol()))
	at := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		rty, m2k int64 // held in March
		openRTY  int64 // bought in June
		openM2K  int64
	}{
		{"at target", 4, 8, 4, 8},
		{"inside the band keeps the quantity", 4, 7, 4, 7},
		{"outside the band rolls into the target", 2, 0, 4, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var held []broker.Position
			if tc.rty != 0 {
				held = append(held, pos(future("RTY", 2026, time.March), tc.rty))
			}
			if tc.m2k != 0 {
				held = append(held, pos(future("M2K", 2026, time.March), tc.m2k))
			}
			p := mustPlan(t, held, tg, at)
			want := map[string]int64{"RTYH6": -tc.rty, "RTYM6": tc.openRTY, "M2KM6": tc.openM2K}
			if tc.m2k != 0 {
				want["M2KH6"] = -tc.m2k
			}
			if got := signedOrders(p); !equalCounts(got, want) {
				t.Fatalf("orders %v, want %v", got, want)
			}
			rolls := map[string][]portfolio.PlannedOrder{}
			for _, o := range p.Orders {
				if o.Root == "M2K" && tc.m2k == 0 {
					if o.RollID != "" {
						t.Fatalf("%s: RollID %q on a plain open", o.Ref, o.RollID)
					}
					continue
				}
				if o.RollID == "" {
					t.Fatalf("%s: no RollID", o.Ref)
				}
				rolls[o.RollID] = append(rolls[o.RollID], o)
			}
			for id, legs := range rolls {
				if len(legs) != 2 || legs[0].Leg != portfolio.LegClose || legs[1].Leg != portfolio.LegTarget {
					t.Fatalf("roll %s: %+v, want close then open", id, legs)
				}
				if !legs[0].Contract.Expiry.Equal(date("2026-03-20")) || !legs[1].Contract.Expiry.Equal(date("2026-06-19")) {
					t.Fatalf("roll %s: %s → %s, want the March into the June expiry", id, legs[0].Contract, legs[1].Contract)
				}
				if !strings.Contains(legs[0].Reason, "roll") {
					t.Fatalf("roll %s: close reason %q", id, legs[0].Reason)
				}
			}
		})
	}

	// A week earlier the March contract is outside the window: the roll
	// window decides, not the caller's choice of contract.
	if portfolio.InRollWindow(future("RTY", 2026, time.March), date("2026-03-12"), 5) {
		t.Fatalf("InRollWindow(RTYH6, 2026-03-12, 5)=true, want false")
	}
	if !portfolio.InRollWindow(future("RTY", 2026, time.March), date("2026-03-13"), 5) {
		t.Fatalf("InRollWindow(RTYH6, 2026-03-13, 5)=false, want true")
	}

	// Asked to hold an expiring contract, Plan refuses rather than leave it open.
	in := input(signals.Leadership, noVol())
	in.Contracts["RTY"] = future("RTY", 2026, time.March)
	if _, err := portfolio.Plan(nil, mustTargets(t, in), at, in.Config); !errors.Is(err, portfolio.ErrInvalidInput) {
		t.Fatalf("Plan into an expiring contract: %v, want ErrInvalidInput", err)
	}

	// Lagging: an expiring position is closed, not rolled.
	lag := mustTargets(t, input(signals.Lagging, noVol()))
	p := mustPlan(t, []broker.Position{pos(future("RTY", 2026, time.March), 4)}, lag, at)
	if got, want := signedOrders(p), map[string]int64{"RTYH6": -4}; !equalCounts(got, want) || p.Orders[0].RollID != "" {
		t.Fatalf("lagging: orders %v (%+v), want %v without a RollID", got, p.Orders, want)
	}
}

// TestPlanDeterministic: the same inputs give the same plan id and refs;
// a changed position gives another plan id; refs are unique in a plan.
func TestPlanDeterministic(t *testing.T) {
	cfg := noVol()
	cfg.Short = portfolio.ShortLeg{Kind: portfolio.ShortWeakestSectors, N: 2, Ratio: d("0.5")}
	in := input(signals.Leadership, cfg)
	in.Event = event(signals.Leadership, map[string]float64{"XLK": 0.3, "XLF": 0.2, "XLE": 0.1})
	in.Prices["XAK"], in.Prices["XAF"] = d("240"), d("47")
	in.Contracts["XAK"], in.Contracts["XAF"] = future("XAK", 2026, time.June), future("XAF", 2026, time.June)
	tg := mustTargets(t, in)
	at := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	held := []broker.Position{
		pos(future("RTY", 2026, time.March), 2), pos(future("M2K", 2026, time.March), 3),
		pos(future("XAE", 2026, time.June), -1), pos(future("ES", 2026, time.June), 1),
	}
	a, b := mustPlan(t, held, tg, at), mustPlan(t, held, tg, at)
	reversed := append([]broker.Position(nil), held...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	c := mustPlan(t, reversed, tg, at)
	if len(a.PlanID) != 16 || a.PlanID != b.PlanID || a.PlanID != c.PlanID {
		t.Fatalf("plan ids %q %q %q, want one 16-hex id", a.PlanID, b.PlanID, c.PlanID)
	}
	if len(a.Orders) != 7 { // RTY, M2K: close + open each; XAE close; XAK, XAF open
		t.Fatalf("%d orders, want 7: %+v", len(a.Orders), a.Orders)
	}
	seen := map[string]bool{}
	for i, o := range a.Orders {
		if o.Ref != b.Orders[i].Ref || o.Ref != c.Orders[i].Ref {
			t.Fatalf("order %d refs %q %q %q, want equal", i, o.Ref, b.Orders[i].Ref, c.Orders[i].Ref)
		}
		if seen[o.Ref] {
			t.Fatalf("ref %q twice in a plan", o.Ref)
		}
		seen[o.Ref] = true
		if !strings.HasPrefix(o.Ref, "rotor-"+a.PlanID+"-"+o.Root+"-") || o.Quantity <= 0 {
			t.Fatalf("order %+v: want a ref of the plan and root, and a positive quantity", o)
		}
	}

	changed := append([]broker.Position(nil), held...)
	changed[0].Quantity = 3
	if d := mustPlan(t, changed, tg, at); d.PlanID == a.PlanID {
		t.Fatalf("a changed position kept plan id %s", a.PlanID)
	}
	in.Event.ID = "fedcba9876543210fedcba9876543210"
	if e := mustPlan(t, held, mustTargets(t, in), at); e.PlanID == a.PlanID {
		t.Fatalf("another event kept plan id %s", a.PlanID)
	}
	in.Event.ID = tg.EventID
	in.Account = "DU0000001"
	if e := mustPlan(t, held, mustTargets(t, in), at); e.PlanID == a.PlanID {
		t.Fatalf("another account kept plan id %s", a.PlanID)
	}
}

func TestPlanLimitCollar(t *testing.T) {
	cfg := noVol()
	cfg.OrderType = broker.Limit
	cfg.Collar = d("0.01")
	in := input(signals.Neutral, cfg)
	in.Prices["RTY"] = d("2103.3")
	tg := mustTargets(t, in)
	// Neutral 125,000 at 2103.3: 1 RTY (105,165) + 1.90 → 2 M2K.
	held := []broker.Position{pos(future("RTY", 2026, time.June), 3)}
	p := mustPlan(t, held, tg, asOf)
	for _, o := range p.Orders {
		want := map[broker.Side]string{broker.Buy: "2124.3", broker.Sell: "2082.3"}[o.Side] // 2124.333 down, 2082.267 up
		if o.Type != broker.Limit || o.LimitPrice.String() != want {
			t.Fatalf("%s %s: %s at %s, want LMT at %s", o.Side, o.Contract.LocalSymbol, o.Type, o.LimitPrice, want)
		}
	}
	if got, want := signedOrders(p), map[string]int64{"RTYM6": -2, "M2KM6": 2}; !equalCounts(got, want) {
		t.Fatalf("orders %v, want %v", got, want)
	}
}

func TestPlanConfigMismatch(t *testing.T) {
	tg := mustTargets(t, input(signals.Leadership, noVol()))
	cfg := noVol()
	cfg.DriftBand = d("0.2")
	if _, err := portfolio.Plan(nil, tg, asOf, cfg); !errors.Is(err, portfolio.ErrInvalidInput) || !strings.HasPrefix(err.Error(), "portfolio: ") {
		t.Fatalf("Plan with another config: %v, want ErrInvalidInput", err)
	}
}

func BenchmarkPlan(b *testing.B) {
	cfg := portfolio.DefaultSleeve()
	cfg.Short = portfolio.ShortLeg{Kind: portfolio.ShortWeakestSectors, N: 3, Ratio: d("0.5")}
	in := input(signals.Leadership, cfg)
	in.RealisedVolCloses = alternatingCloses(cfg.VolWindow, 0.30)
	spreads := map[string]float64{}
	for i, fund := range []string{"XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"} {
		spreads[fund] = 0.01 * float64(i+1)
		root, _ := portfolio.SectorRoot(fund)
		in.Prices[root] = d("100")
		in.Contracts[root] = future(root, 2026, time.June)
	}
	in.Event = event(signals.Leadership, spreads)
	held := []broker.Position{pos(future("RTY", 2026, time.March), 3), pos(future("M2K", 2026, time.March), 4),
		pos(future("XAB", 2026, time.June), -2), pos(future("ES", 2026, time.June), 5)}
	at := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		tg, err := portfolio.NewTargets(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := portfolio.Plan(held, tg, at, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
