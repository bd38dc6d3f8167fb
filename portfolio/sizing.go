package portfolio

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"sort"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/signals"
	"github.com/shopspring/decimal"
)

// ErrInvalidConfig is wrapped by every error of SleeveConfig.Validate.
var ErrInvalidConfig = errors.New("portfolio: invalid sleeve config")

// The futures roots of the long leg and of the ES hedge: a full-size
// contract and its micro, both on the same index.
const (
	LongRoot       = "RTY"
	LongMicroRoot  = "M2K"
	HedgeRoot      = "ES"
	HedgeMicroRoot = "MES"
)

// sectorRoots maps each S&P 500 Select Sector fund of the signal universe to
// the E-mini Select Sector futures root that tracks its index.
var sectorRoots = map[string]string{
	"XLB": "XAB", "XLE": "XAE", "XLI": "XAI", "XLK": "XAK", "XLP": "XAP",
	"XLU": "XAU", "XLV": "XAV", "XLY": "XAY", "XLF": "XAF", "XLRE": "XAR",
	"XLC": "XAZ",
}

// ShortKind says what the optional short leg is.
type ShortKind string

// The short legs.
const (
	// ShortNone: long only.
	ShortNone ShortKind = "none"
	// ShortWeakestSectors: short the N sectors the benchmark beats by the
	// most (the largest spread benchmark-minus-sector) in their E-mini
	// Select Sector futures.
	ShortWeakestSectors ShortKind = "weakest_sectors"
	// ShortESHedge: short the S&P 500 in ES and MES.
	ShortESHedge ShortKind = "es_hedge"
)

// ShortLeg configures the short leg.
type ShortLeg struct {
	Kind ShortKind `json:"kind"`
	// N is how many sectors ShortWeakestSectors shorts (1 to 11).
	N int `json:"n"`
	// Ratio is the short notional as a fraction of the long leg's target
	// notional, in (0, 1] (zero for ShortNone).
	Ratio decimal.Decimal `json:"ratio"`
}

// SectorRoot returns the E-mini Select Sector futures root of a sector fund
// (XAK for XLK), and whether there is one.
func SectorRoot(fund string) (string, bool) {
	r, ok := sectorRoots[fund]
	return r, ok
}

// Leverage is the sleeve's leverage in each regime: the long leg's target
// notional is the sleeve's notional times it.
type Leverage struct {
	Leadership decimal.Decimal `json:"leadership"`
	Neutral    decimal.Decimal `json:"neutral"`
	Lagging    decimal.Decimal `json:"lagging"`
}

// For returns the leverage of a regime, or an error for an unknown one.
func (l Leverage) For(r signals.Regime) (decimal.Decimal, error) {
	switch r {
	case signals.Leadership:
		return l.Leadership, nil
	case signals.Neutral:
		return l.Neutral, nil
	case signals.Lagging:
		return l.Lagging, nil
	}
	return decimal.Zero, fmt.Errorf("portfolio: regime %q; want leadership, neutral or lagging", r)
}

// SleeveConfig is the small-cap sleeve: how much of the account it uses,
// how hard it leans in each regime, and how it trades. The zero value is
// not valid; start from DefaultSleeve.
type SleeveConfig struct {
	// Share is the sleeve's share of net liquidation, in (0, 1].
	Share decimal.Decimal `json:"share"`
	// Leverage is the sleeve's leverage by regime, each in [0, 10].
	Leverage Leverage `json:"leverage"`
	// Short is the optional short leg.
	Short ShortLeg `json:"short"`
	// VolTarget is the annualised volatility the long leg aims at, in
	// (0, 2]; 0 turns volatility targeting off. Exposure is scaled by
	// min(1, VolTarget / realised volatility).
	VolTarget float64 `json:"vol_target" yaml:"vol_target"`
	// VolWindow is how many daily returns realised volatility is measured
	// over (2 to 260); it needs VolWindow+1 closes.
	VolWindow int `json:"vol_window" yaml:"vol_window"`
	// DriftBand is the no-trade band, a fraction of the target notional in
	// [0, 1): a group of roots whose current notional is within
	// DriftBand × |target notional| of the target is not traded (a roll
	// still is).
	DriftBand decimal.Decimal `json:"drift_band" yaml:"drift_band"`
	// RollDays is how many business days before its last trade date a
	// held contract is rolled (0 to 30).
	RollDays int `json:"roll_days" yaml:"roll_days"`
	// OrderType is MKT or LMT.
	OrderType broker.OrderType `json:"order_type" yaml:"order_type"`
	// Collar is, for LMT orders, how far from the reference price the limit
	// is set, in (0, 0.2]: reference × (1 + Collar) for a buy, × (1 −
	// Collar) for a sell, rounded on the tick toward the passive side.
	Collar decimal.Decimal `json:"collar"`
	// TIF is the orders' time in force, DAY or GTC.
	TIF broker.TimeInForce `json:"tif"`
}

// Defaults of DefaultSleeve.
const (
	DefaultVolWindow = 20
	DefaultRollDays  = 5
)

// DefaultSleeve is a quarter of net liquidation at 2× in leadership, 0.5×
// in neutral and flat in lagging, long only, aiming at 20% annualised
// volatility over 20 days, a 10% drift band, rolling 5 business days before
// expiry with market orders.
func DefaultSleeve() SleeveConfig {
	return SleeveConfig{
		Share: decimal.RequireFromString("0.25"),
		Leverage: Leverage{
			Leadership: decimal.RequireFromString("2"),
			Neutral:    decimal.RequireFromString("0.5"),
			Lagging:    decimal.Zero,
		},
		Short:     ShortLeg{Kind: ShortNone, Ratio: decimal.Zero},
		VolTarget: 0.20,
		VolWindow: DefaultVolWindow,
		DriftBand: decimal.RequireFromString("0.10"),
		RollDays:  DefaultRollDays,
		OrderType: broker.Market,
		Collar:    decimal.RequireFromString("0.01"),
		TIF:       broker.Day,
	}
}

// Bounds of Validate, parsed once.
var (
	decimalOne  = decimal.NewFromInt(1)
	maxLeverage = decimal.NewFromInt(10)
	maxCollar   = decimal.RequireFromString("0.2")
)

// Validate reports every problem with the config, each naming the key and
// the allowed values; the errors wrap ErrInvalidConfig.
func (c SleeveConfig) Validate() error {
	var errs []error
	bad := func(key, got, want string) {
		errs = append(errs, fmt.Errorf("%w: %s is %s, want %s", ErrInvalidConfig, key, got, want))
	}
	one := decimalOne
	if !c.Share.IsPositive() || c.Share.GreaterThan(one) {
		bad("share", c.Share.String(), "in (0, 1]")
	}
	for _, l := range []struct {
		key string
		v   decimal.Decimal
	}{{"leverage.leadership", c.Leverage.Leadership}, {"leverage.neutral", c.Leverage.Neutral}, {"leverage.lagging", c.Leverage.Lagging}} {
		if l.v.IsNegative() || l.v.GreaterThan(maxLeverage) {
			bad(l.key, l.v.String(), "in [0, 10]")
		}
	}
	switch c.Short.Kind {
	case ShortNone:
		if !c.Short.Ratio.IsZero() || c.Short.N != 0 {
			bad("short", fmt.Sprintf("none with n %d and ratio %s", c.Short.N, c.Short.Ratio), "n 0 and ratio 0 when kind is none")
		}
	case ShortWeakestSectors, ShortESHedge:
		if !c.Short.Ratio.IsPositive() || c.Short.Ratio.GreaterThan(one) {
			bad("short.ratio", c.Short.Ratio.String(), "in (0, 1]")
		}
		if c.Short.Kind == ShortWeakestSectors && (c.Short.N < 1 || c.Short.N > len(sectorRoots)) {
			bad("short.n", fmt.Sprint(c.Short.N), fmt.Sprintf("1 to %d", len(sectorRoots)))
		}
		if c.Short.Kind == ShortESHedge && c.Short.N != 0 {
			bad("short.n", fmt.Sprint(c.Short.N), "0 when kind is es_hedge")
		}
	default:
		bad("short.kind", fmt.Sprintf("%q", c.Short.Kind), "none, weakest_sectors or es_hedge")
	}
	if math.IsNaN(c.VolTarget) || c.VolTarget < 0 || c.VolTarget > 2 {
		bad("vol_target", fmt.Sprint(c.VolTarget), "in [0, 2] (0 turns it off)")
	}
	if c.VolWindow < 2 || c.VolWindow > 260 {
		bad("vol_window", fmt.Sprint(c.VolWindow), "2 to 260 daily returns")
	}
	if c.DriftBand.IsNegative() || !c.DriftBand.LessThan(one) {
		bad("drift_band", c.DriftBand.String(), "in [0, 1)")
	}
	if c.RollDays < 0 || c.RollDays > 30 {
		bad("roll_days", fmt.Sprint(c.RollDays), "0 to 30 business days")
	}
	if c.OrderType != broker.Market && c.OrderType != broker.Limit {
		bad("order_type", fmt.Sprintf("%q", c.OrderType), "MKT or LMT")
	}
	if !c.Collar.IsPositive() || c.Collar.GreaterThan(maxCollar) {
		bad("collar", c.Collar.String(), "in (0, 0.2]")
	}
	if c.TIF != broker.Day && c.TIF != broker.GTC {
		bad("tif", fmt.Sprintf("%q", c.TIF), "DAY or GTC")
	}
	return errors.Join(errs...)
}

// CanonicalJSON is the config as compact JSON, fields in declaration order
// and decimals as their shortest strings, so equal configs give equal bytes
// (plan ids hash it). It is json.Marshal's encoding, written by hand
// (canonical.go).
func (c SleeveConfig) CanonicalJSON() []byte {
	b, err := c.appendJSON(make([]byte, 0, 256))
	if err != nil { // a VolTarget that is not a number (Validate refuses it)
		panic("portfolio: marshal sleeve config: " + err.Error())
	}
	return b
}

// sameConfig reports whether a and b certainly have the same canonical
// JSON, without marshalling either: every field is equal, decimals in
// value and exponent (so in every String form), the float bit for bit (so
// 0 and -0 differ). False means only "maybe not": the caller compares the
// JSON. TestSameConfigCoversEveryField keeps it in step with the fields.
func sameConfig(a, b SleeveConfig) bool {
	same := func(x, y decimal.Decimal) bool { return x.Exponent() == y.Exponent() && x.Equal(y) }
	return same(a.Share, b.Share) &&
		same(a.Leverage.Leadership, b.Leverage.Leadership) && same(a.Leverage.Neutral, b.Leverage.Neutral) &&
		same(a.Leverage.Lagging, b.Leverage.Lagging) &&
		a.Short.Kind == b.Short.Kind && a.Short.N == b.Short.N && same(a.Short.Ratio, b.Short.Ratio) &&
		math.Float64bits(a.VolTarget) == math.Float64bits(b.VolTarget) && a.VolWindow == b.VolWindow &&
		same(a.DriftBand, b.DriftBand) && a.RollDays == b.RollDays && a.OrderType == b.OrderType &&
		same(a.Collar, b.Collar) && a.TIF == b.TIF
}

// OwnedRoots are the futures roots the sleeve trades, sorted: RTY and M2K,
// plus every sector root when shorting sectors, or ES and MES when
// hedging. Positions in any other root belong to other strategies and are
// never touched. Changing the short leg's kind hands the old short roots'
// positions back to the operator: close them before the change.
func (c SleeveConfig) OwnedRoots() []string {
	return slices.Clone(c.ownedRoots())
}

// ownedRoots is OwnedRoots without the copy, for the package's own loops:
// the lists are worked out once, and the caller must not modify them.
func (c SleeveConfig) ownedRoots() []string {
	switch c.Short.Kind {
	case ShortWeakestSectors:
		return sectorOwnedRoots
	case ShortESHedge:
		return hedgeOwnedRoots
	}
	return longOwnedRoots
}

// The roots each kind of short leg owns, sorted; read only.
var (
	longOwnedRoots   = sortedRoots(nil)
	sectorOwnedRoots = sortedRoots(slices.Collect(maps.Values(sectorRoots)))
	hedgeOwnedRoots  = sortedRoots([]string{HedgeRoot, HedgeMicroRoot})
)

// sortedRoots returns the long leg's roots and short, sorted.
func sortedRoots(short []string) []string {
	roots := append([]string{LongRoot, LongMicroRoot}, short...)
	sort.Strings(roots)
	return roots
}

// tradingDaysPerYear annualises daily volatility.
const tradingDaysPerYear = 252

// RealisedVol is the annualised volatility of the last window daily log
// returns of closes: the sample standard deviation (n−1) times √252. It
// needs at least window+1 closes, all finite and positive; older closes are
// ignored.
func RealisedVol(closes []float64, window int) (float64, error) {
	if window < 2 {
		return 0, fmt.Errorf("portfolio: volatility window %d, want >= 2", window)
	}
	if len(closes) < window+1 {
		return 0, fmt.Errorf("portfolio: realised volatility needs %d closes for a %d-day window, got %d", window+1, window, len(closes))
	}
	recent := closes[len(closes)-window-1:]
	rets := make([]float64, window)
	for i, c := range recent {
		if math.IsNaN(c) || math.IsInf(c, 0) || c <= 0 {
			return 0, fmt.Errorf("portfolio: realised volatility: close %d of the window is %v, want finite and positive", i, c)
		}
		if i > 0 {
			rets[i-1] = math.Log(c / recent[i-1])
		}
	}
	mean := 0.0
	for _, r := range rets {
		mean += r
	}
	mean /= float64(window)
	ss := 0.0
	for _, r := range rets {
		ss += (r - mean) * (r - mean)
	}
	return math.Sqrt(ss/float64(window-1)) * math.Sqrt(tradingDaysPerYear), nil
}

// VolScale is min(1, target/realised), rounded to 6 decimal places so that
// the same closes always give the same number in the audit log; 1 when
// targeting is off (target 0) or realised volatility is zero.
func VolScale(target, realised float64) decimal.Decimal {
	if target <= 0 || realised <= 0 || target >= realised {
		return decimal.NewFromInt(1)
	}
	return decimal.NewFromFloat(target / realised).Round(6)
}

// maxContracts bounds a whole-contract count; a target beyond it is an
// input error (a price or net liquidation off by orders of magnitude).
const maxContracts = 1_000_000

// The whole-contract counts below are worked out in integers: x/unit is
// n/d for the coefficients n and d of x and unit brought to the smaller of
// their exponents (decimal.RescalePair), so every quotient is exact and
// one integer division replaces decimal division at 16 places and the
// multiplications that corrected its rounding.

// quotient returns n and d with x/unit = n/d, both integers.
func quotient(x, unit decimal.Decimal) (n, d *big.Int) {
	a, b := decimal.RescalePair(x, unit)
	return a.Coefficient(), b.Coefficient()
}

// floorWhole returns ⌊n/d⌋ for n ≥ 0 and d > 0 (truncating a non-negative
// quotient floors it) and the remainder, n − d·⌊n/d⌋.
func floorWhole(n, d *big.Int) (int64, *big.Int) {
	q, rest := new(big.Int).QuoRem(n, d, new(big.Int))
	return q.Int64(), rest
}

// nearestWhole returns the whole number nearest to n/d, half way rounding
// up, for n ≥ 0 and d > 0: ⌊n/d + ½⌋ = ⌊(2n + d) / 2d⌋. It overwrites n.
func nearestWhole(n, d *big.Int) int64 {
	n.Lsh(n, 1).Add(n, d)
	return n.Quo(n, new(big.Int).Lsh(d, 1)).Int64()
}

// times returns n·m.
func times(n *big.Int, m int64) *big.Int {
	return new(big.Int).Mul(n, big.NewInt(m))
}

// aboveMax reports whether n/d > maxContracts, for d > 0. Where it is
// not, x.Div(unit) for x/unit = n/d is not above maxContracts either
// (rounding is monotone and maxContracts is a whole number), so the
// callers' bound check, whose rounding decides above it, divides only
// there.
func aboveMax(n, d *big.Int) bool {
	return n.Cmp(times(d, maxContracts)) > 0
}

// MixContracts splits a notional of one sign into whole full-size and micro
// contracts of the same index at one price, landing within half a micro
// contract of it: |achieved − target| ≤ ½ × price × microMult.
//
//	n_big   = floor(|target| / (bigMult·price))
//	n_micro = round((|target| − bigMult·price·n_big) / (microMult·price))
//
// and when n_micro reaches bigMult/microMult (10 for RTY/M2K and ES/MES),
// that many micros are folded into one more full-size contract. The
// remainder is in [0, bigMult·price), so rounding it to micros is off by at
// most half a micro; folding does not change the sum. Both counts carry the
// target's sign. bigMult must be a multiple of microMult.
func MixContracts(target, price decimal.Decimal, bigMult, microMult int64) (big, micro int64, err error) {
	if !price.IsPositive() {
		return 0, 0, fmt.Errorf("portfolio: price %s, want > 0", price)
	}
	if microMult <= 0 || bigMult <= 0 || bigMult%microMult != 0 {
		return 0, 0, fmt.Errorf("portfolio: multipliers %d/%d, want the full-size a multiple of the micro", bigMult, microMult)
	}
	abs := target.Abs()
	x, p := quotient(abs, price) // |target|/price = x/p
	bigUnit, microUnit := times(p, bigMult), times(p, microMult)
	if aboveMax(x, microUnit) && abs.Div(price.Mul(decimal.NewFromInt(microMult))).GreaterThan(decimal.NewFromInt(maxContracts)) {
		return 0, 0, fmt.Errorf("portfolio: notional %s is more than %d micro contracts at %s", target, maxContracts, price)
	}
	big, rest := floorWhole(x, bigUnit)
	micro = nearestWhole(rest, microUnit)
	if fold := bigMult / microMult; micro >= fold {
		big, micro = big+micro/fold, micro%fold
	}
	if target.IsNegative() {
		big, micro = -big, -micro
	}
	return big, micro, nil
}

// WholeContracts is the whole number of contracts of one root nearest to a
// notional at a price, with the target's sign: within half a contract
// (½ × price × multiplier) of it. For the sector futures that is the best
// whole contracts can do (there is no micro): about $12,500 for a
// 100-multiplier sector at 250, $6,250 for a 250-multiplier one at 50.
func WholeContracts(target, price decimal.Decimal, mult int64) (int64, error) {
	if !price.IsPositive() {
		return 0, fmt.Errorf("portfolio: price %s, want > 0", price)
	}
	if mult <= 0 {
		return 0, fmt.Errorf("portfolio: multiplier %d, want > 0", mult)
	}
	abs, unit := target.Abs(), price.Mul(decimal.NewFromInt(mult))
	x, u := quotient(abs, unit)
	if aboveMax(x, u) && abs.Div(unit).GreaterThan(decimal.NewFromInt(maxContracts)) {
		return 0, fmt.Errorf("portfolio: notional %s is more than %d contracts at %s", target, maxContracts, price)
	}
	n := nearestWhole(x, u)
	if target.IsNegative() {
		n = -n
	}
	return n, nil
}
