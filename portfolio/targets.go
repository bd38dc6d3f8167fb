package portfolio

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/signals"
	"github.com/shopspring/decimal"
)

// ErrInvalidInput is wrapped by the errors of NewTargets and Plan about their
// inputs (as opposed to the config): a missing price or contract, a bad
// net liquidation, an unknown regime.
var ErrInvalidInput = errors.New("portfolio: invalid input")

// TargetInput is everything NewTargets looks at.
type TargetInput struct {
	// Event is the signal; NewTargets reads its id, as-of, regime and the
	// sectors' spreads. The caller has verified it (signals.Verify).
	Event signals.Event
	// Account is the broker account the targets are for; Plan hashes it
	// into the plan id and leaves other accounts' positions alone.
	Account string
	// NLV is the account's net liquidation; it must be positive.
	NLV decimal.Decimal
	// Prices are reference prices by futures root (the price of the
	// root's front contract). Every root with a non-zero target needs one;
	// the long leg is priced at RTY's (M2K's when RTY has none).
	Prices map[string]decimal.Decimal
	// Contracts are the contracts to hold, by root, resolved by the caller
	// (broker.SelectFuture with the config's RollDays). Every root with a
	// non-zero target needs one; RTY and M2K always need one when the long
	// leg is not flat, since a drift band may keep either.
	Contracts map[string]broker.Contract
	// RealisedVolCloses are the benchmark's daily closes, oldest first;
	// the last VolWindow+1 are used. Not needed when VolTarget is 0.
	RealisedVolCloses []float64
	// Config is the sleeve.
	Config SleeveConfig
}

// Leg names which side of the sleeve a root is on.
type Leg string

// The legs.
const (
	LegLong  Leg = "long"
	LegShort Leg = "short"
)

// RootTarget is the target of one owned root.
type RootTarget struct {
	Root string `json:"root"`
	// Leg is long or short.
	Leg Leg `json:"leg"`
	// Group is what the drift band measures together: "long" for RTY and
	// M2K, "hedge" for ES and MES, the root itself for a sector.
	Group string `json:"group"`
	// Contract is the contract to hold (zero when the target is zero and
	// the caller resolved none).
	Contract broker.Contract `json:"contract"`
	// Price is the reference price the root is valued at (zero when the
	// target is zero and no price was given).
	Price      decimal.Decimal `json:"price"`
	Multiplier int64           `json:"multiplier"`
	// Contracts is the signed target in whole contracts.
	Contracts int64 `json:"contracts"`
	// Notional is Price × Multiplier × Contracts.
	Notional decimal.Decimal `json:"notional"`
	// Fund and Spread are, for a sector root picked for the short leg, the
	// sector fund and its spread (benchmark return minus the fund's).
	Fund   string  `json:"fund,omitempty"`
	Spread float64 `json:"spread,omitempty"`
}

// SectorPick is a sector picked for the short leg.
type SectorPick struct {
	Fund   string  `json:"fund"`
	Root   string  `json:"root"`
	Spread float64 `json:"spread"`
	// Notional is the signed target notional of the sector before rounding
	// to whole contracts.
	Notional decimal.Decimal `json:"notional"`
}

// Targets are the positions the sleeve wants, with every number between
// the event and the contract counts, so the audit log can explain them.
type Targets struct {
	EventID string         `json:"event_id"`
	AsOf    string         `json:"as_of"`
	Regime  signals.Regime `json:"regime"`
	Account string         `json:"account"`
	Config  SleeveConfig   `json:"config"`

	NLV decimal.Decimal `json:"nlv"`
	// SleeveNotional = NLV × Config.Share.
	SleeveNotional decimal.Decimal `json:"sleeve_notional"`
	// Leverage is Config.Leverage for the regime.
	Leverage decimal.Decimal `json:"leverage"`
	// RealisedVol is the benchmark's annualised volatility (0 when
	// targeting is off); VolScale = min(1, VolTarget/RealisedVol).
	RealisedVol float64         `json:"realised_vol"`
	VolTarget   float64         `json:"vol_target"`
	VolScale    decimal.Decimal `json:"vol_scale"`
	// LongTarget = SleeveNotional × Leverage × VolScale;
	// LongNotional is what whole RTY and M2K contracts achieve.
	LongPrice    decimal.Decimal `json:"long_price"`
	LongTarget   decimal.Decimal `json:"long_target"`
	LongNotional decimal.Decimal `json:"long_notional"`
	// ShortTarget = −Config.Short.Ratio × LongTarget (zero without a short
	// leg); ShortNotional is what whole contracts achieve.
	ShortTarget   decimal.Decimal `json:"short_target"`
	ShortNotional decimal.Decimal `json:"short_notional"`
	// ShortSectors are the sectors picked, weakest first.
	ShortSectors []SectorPick `json:"short_sectors"`
	// Roots holds every owned root (Config.OwnedRoots), sorted by root,
	// zero targets included: a root held but not wanted is closed.
	Roots []RootTarget `json:"roots"`
	// TargetNotional = LongNotional + ShortNotional, signed.
	TargetNotional decimal.Decimal `json:"target_notional"`
}

// Root returns the target of one root.
func (t Targets) Root(root string) (RootTarget, bool) {
	for _, r := range t.Roots {
		if r.Root == root {
			return r, true
		}
	}
	return RootTarget{}, false
}

// Contracts returns the signed target contracts of a root (0 for a root
// that is not owned).
func (t Targets) Contracts(root string) int64 {
	r, _ := t.Root(root)
	return r.Contracts
}

// NewTargets turns an event into the sleeve's target positions:
//
//	sleeve  = NLV × share
//	long    = sleeve × leverage[regime] × min(1, vol_target / realised_vol)
//	RTY/M2K = MixContracts(long, price(RTY), 50, 5)
//	short   = −ratio × long, split equally over the N weakest sectors
//	          (each to the nearest whole contract) or mixed in ES/MES.
//
// It is a pure function of its input.
func NewTargets(in TargetInput) (Targets, error) {
	cfg := in.Config
	if err := cfg.Validate(); err != nil {
		return Targets{}, err
	}
	ev := in.Event
	t := Targets{EventID: ev.ID, AsOf: ev.AsOf, Regime: ev.Regime, Account: in.Account, Config: cfg,
		NLV: in.NLV, VolTarget: cfg.VolTarget, ShortSectors: []SectorPick{}}
	if !in.NLV.IsPositive() {
		return Targets{}, fmt.Errorf("%w: net liquidation %s, want > 0", ErrInvalidInput, in.NLV)
	}
	lev, err := cfg.Leverage.For(ev.Regime)
	if err != nil {
		return Targets{}, fmt.Errorf("%w: event %s: regime %q; want leadership, neutral or lagging", ErrInvalidInput, ev.ID, ev.Regime)
	}
	t.Leverage = lev
	t.SleeveNotional = in.NLV.Mul(cfg.Share)
	t.VolScale = decimal.NewFromInt(1)
	if cfg.VolTarget > 0 {
		vol, err := RealisedVol(in.RealisedVolCloses, cfg.VolWindow)
		if err != nil {
			return Targets{}, fmt.Errorf("%w: %v", ErrInvalidInput, err)
		}
		t.RealisedVol = vol
		t.VolScale = VolScale(cfg.VolTarget, vol)
	}
	t.LongTarget = t.SleeveNotional.Mul(lev).Mul(t.VolScale)

	roots := cfg.ownedRoots()
	targets := make(map[string]*RootTarget, len(roots))
	for _, root := range roots {
		inst, err := broker.LookupInstrument(root)
		if err != nil {
			return Targets{}, fmt.Errorf("portfolio: %w", err)
		}
		rt := RootTarget{Root: root, Group: root, Multiplier: inst.Multiplier}
		switch root {
		case LongRoot, LongMicroRoot:
			rt.Leg, rt.Group = LegLong, "long"
		case HedgeRoot, HedgeMicroRoot:
			rt.Leg, rt.Group = LegShort, "hedge"
		default:
			rt.Leg = LegShort
		}
		targets[root] = &rt
	}
	price := func(root string) (decimal.Decimal, bool) {
		p, ok := in.Prices[root]
		return p, ok && p.IsPositive()
	}

	// The long leg, at one price for both roots.
	t.LongPrice, _ = price(LongRoot)
	if !t.LongPrice.IsPositive() {
		t.LongPrice, _ = price(LongMicroRoot)
	}
	if t.LongTarget.IsPositive() {
		if !t.LongPrice.IsPositive() {
			return Targets{}, fmt.Errorf("%w: no positive price for %s or %s", ErrInvalidInput, LongRoot, LongMicroRoot)
		}
		big, micro, err := MixContracts(t.LongTarget, t.LongPrice, targets[LongRoot].Multiplier, targets[LongMicroRoot].Multiplier)
		if err != nil {
			return Targets{}, err
		}
		targets[LongRoot].Contracts, targets[LongMicroRoot].Contracts = big, micro
	}
	if t.LongPrice.IsPositive() {
		targets[LongRoot].Price, targets[LongMicroRoot].Price = t.LongPrice, t.LongPrice
	}

	// The short leg.
	switch cfg.Short.Kind {
	case ShortWeakestSectors:
		t.ShortTarget = t.LongTarget.Mul(cfg.Short.Ratio).Neg()
		if err := t.pickSectors(ev, cfg.Short.N); err != nil {
			return Targets{}, err
		}
		for i, pick := range t.ShortSectors {
			rt := targets[pick.Root]
			rt.Fund, rt.Spread = pick.Fund, pick.Spread
			if pick.Notional.IsZero() {
				continue
			}
			p, ok := price(pick.Root)
			if !ok {
				return Targets{}, fmt.Errorf("%w: no positive price for sector root %s (%s)", ErrInvalidInput, pick.Root, pick.Fund)
			}
			n, err := WholeContracts(pick.Notional, p, rt.Multiplier)
			if err != nil {
				return Targets{}, err
			}
			rt.Contracts, t.ShortSectors[i].Notional = n, pick.Notional
		}
	case ShortESHedge:
		t.ShortTarget = t.LongTarget.Mul(cfg.Short.Ratio).Neg()
		if !t.ShortTarget.IsZero() {
			p, ok := price(HedgeRoot)
			if !ok {
				if p, ok = price(HedgeMicroRoot); !ok {
					return Targets{}, fmt.Errorf("%w: no positive price for %s or %s", ErrInvalidInput, HedgeRoot, HedgeMicroRoot)
				}
			}
			big, micro, err := MixContracts(t.ShortTarget, p, targets[HedgeRoot].Multiplier, targets[HedgeMicroRoot].Multiplier)
			if err != nil {
				return Targets{}, err
			}
			targets[HedgeRoot].Contracts, targets[HedgeMicroRoot].Contracts = big, micro
			targets[HedgeRoot].Price, targets[HedgeMicroRoot].Price = p, p
		}
	default:
		t.ShortTarget = decimal.Zero
	}

	// Prices and contracts of the rest, the totals.
	t.LongNotional, t.ShortNotional = decimal.Zero, decimal.Zero
	t.Roots = make([]RootTarget, 0, len(roots))
	for _, root := range roots {
		rt := targets[root]
		if rt.Price.IsZero() {
			if p, ok := price(root); ok {
				rt.Price = p
			}
		}
		c, ok := in.Contracts[root]
		needed := rt.Contracts != 0 || (rt.Group == "long" && t.LongTarget.IsPositive()) ||
			(rt.Group == "hedge" && !t.ShortTarget.IsZero())
		if needed && !ok {
			return Targets{}, fmt.Errorf("%w: no contract to hold for %s", ErrInvalidInput, root)
		}
		if ok {
			if c.Symbol != root {
				return Targets{}, fmt.Errorf("%w: contract for %s is %s", ErrInvalidInput, root, c)
			}
			rt.Contract = c
		}
		rt.Notional = rt.Price.Mul(decimal.NewFromInt(rt.Multiplier * rt.Contracts))
		if rt.Leg == LegLong {
			t.LongNotional = t.LongNotional.Add(rt.Notional)
		} else {
			t.ShortNotional = t.ShortNotional.Add(rt.Notional)
		}
		t.Roots = append(t.Roots, *rt)
	}
	t.TargetNotional = t.LongNotional.Add(t.ShortNotional)
	return t, nil
}

// pickSectors fills ShortSectors with the n sectors of the event the
// benchmark beats by the most (largest spread first, ties by fund), each
// with −|ShortTarget|/n: when fewer than n sectors have data, the short leg
// is smaller rather than more concentrated. Funds without a futures root
// are passed over.
func (t *Targets) pickSectors(ev signals.Event, n int) error {
	var picks []SectorPick
	for fund, s := range ev.RelativeStrength.Sectors {
		root, ok := SectorRoot(fund)
		if !ok {
			continue
		}
		if math.IsNaN(s.Spread) || math.IsInf(s.Spread, 0) {
			return fmt.Errorf("%w: event %s: spread of %s is %v", ErrInvalidInput, ev.ID, fund, s.Spread)
		}
		picks = append(picks, SectorPick{Fund: fund, Root: root, Spread: s.Spread})
	}
	sort.Slice(picks, func(i, j int) bool {
		if picks[i].Spread != picks[j].Spread {
			return picks[i].Spread > picks[j].Spread
		}
		return picks[i].Fund < picks[j].Fund
	})
	if len(picks) > n {
		picks = picks[:n]
	}
	each := t.ShortTarget.Div(decimal.NewFromInt(int64(n)))
	for i := range picks {
		picks[i].Notional = each
	}
	t.ShortSectors = append(t.ShortSectors, picks...)
	return nil
}
