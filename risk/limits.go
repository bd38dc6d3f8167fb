package risk

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// ErrInvalidLimits is wrapped by every error Validate returns.
var ErrInvalidLimits = errors.New("risk: invalid limits")

// Limits are the risk limits of one account. Leverage, margin and loss
// fractions are plain ratios (3 is 3x, 0.02 is 2%). A limit value itself is
// allowed: only going beyond it breaches.
type Limits struct {
	// MaxGrossLeverage caps Σ|futures notional| of the whole account after
	// the plan, over net liquidation.
	MaxGrossLeverage decimal.Decimal
	// MaxNetLeverage caps |Σ signed futures notional| after the plan, over
	// net liquidation.
	MaxNetLeverage decimal.Decimal
	// Instrument is the per-root limit for roots without an override. It
	// counts every expiry of the root the account holds.
	Instrument InstrumentLimit
	// InstrumentOverrides replaces Instrument for the roots it names
	// (M2K may hold more contracts than RTY for the same notional).
	InstrumentOverrides map[string]InstrumentLimit
	// MaxOrderContracts and MaxOrderNotional cap one order: a fat-finger
	// guard that applies to risk-reducing orders too.
	MaxOrderContracts int64
	MaxOrderNotional  decimal.Decimal
	// MaxMarginUse caps projected initial margin over net liquidation,
	// in (0, 1].
	MaxMarginUse decimal.Decimal
	// LimitCollar is how far, as a fraction of the reference price, a limit
	// price may sit from it on either side, in (0, 1).
	LimitCollar decimal.Decimal
	// MaxEventAge is how old (or how far in the future) the signal event
	// may be before orders that add risk are refused.
	MaxEventAge time.Duration
	// MaxPriceAge is how old (or how far in the future) a reference price
	// may be.
	MaxPriceAge time.Duration
	// MaxOrdersPerMinute caps orders approved in any trailing minute,
	// counting Input.RecentOrders.
	MaxOrdersPerMinute int
	// DailyLossFraction trips the kill switch when today's loss exceeds
	// this fraction of start-of-day net liquidation; 0 turns it off.
	DailyLossFraction decimal.Decimal
	// DailyLossAmount trips the kill switch when today's loss exceeds this
	// many dollars; 0 turns it off. At least one of the two must be set.
	DailyLossAmount decimal.Decimal
	// MaxDrawdown trips the kill switch when net liquidation falls more
	// than this fraction below the high-water mark, in (0, 1).
	MaxDrawdown decimal.Decimal
}

// InstrumentLimit caps what the account holds in one futures root, over
// all its expiries.
type InstrumentLimit struct {
	MaxContracts int64
	MaxNotional  decimal.Decimal
}

// DefaultLimits returns the limits of a paper account around a million
// dollars running a leveraged small-cap sleeve: 3x gross, 2x net, half the
// account in margin, a 2% collar, 3% daily loss and 10% drawdown.
func DefaultLimits() Limits {
	return Limits{
		MaxGrossLeverage:   decimal.NewFromInt(3),
		MaxNetLeverage:     decimal.NewFromInt(2),
		Instrument:         InstrumentLimit{MaxContracts: 200, MaxNotional: decimal.NewFromInt(5_000_000)},
		MaxOrderContracts:  50,
		MaxOrderNotional:   decimal.NewFromInt(2_500_000),
		MaxMarginUse:       decimal.RequireFromString("0.5"),
		LimitCollar:        decimal.RequireFromString("0.02"),
		MaxEventAge:        36 * time.Hour,
		MaxPriceAge:        15 * time.Minute,
		MaxOrdersPerMinute: 30,
		DailyLossFraction:  decimal.RequireFromString("0.03"),
		MaxDrawdown:        decimal.RequireFromString("0.10"),
	}
}

// ForRoot returns the instrument limit of a futures root: its override if
// there is one, else the default.
func (l Limits) ForRoot(root string) InstrumentLimit {
	if o, ok := l.InstrumentOverrides[root]; ok {
		return o
	}
	return l.Instrument
}

// Validate reports every field that is out of range, naming the field and
// what it may be, or nil. The error wraps ErrInvalidLimits.
func (l Limits) Validate() error {
	var errs []error
	bad := func(field, got, want string) {
		errs = append(errs, fmt.Errorf("%w: %s is %s, want %s", ErrInvalidLimits, field, got, want))
	}
	positive := func(field string, v decimal.Decimal) {
		if !v.IsPositive() {
			bad(field, v.String(), "> 0")
		}
	}
	fraction := func(field string, v decimal.Decimal, max decimal.Decimal, maxIncluded bool) {
		if cmp := v.Cmp(max); !v.IsPositive() || cmp > 0 || (!maxIncluded && cmp == 0) {
			want := "in (0, " + max.String() + ")"
			if maxIncluded {
				want = "in (0, " + max.String() + "]"
			}
			bad(field, v.String(), want)
		}
	}
	positive("MaxGrossLeverage", l.MaxGrossLeverage)
	positive("MaxNetLeverage", l.MaxNetLeverage)
	checkInstrument := func(field string, il InstrumentLimit) {
		if il.MaxContracts <= 0 {
			bad(field+".MaxContracts", fmt.Sprint(il.MaxContracts), "> 0")
		}
		if !il.MaxNotional.IsPositive() { // positive's test, the name built only when it fails
			bad(field+".MaxNotional", il.MaxNotional.String(), "> 0")
		}
	}
	checkInstrument("Instrument", l.Instrument)
	var roots []string // in order, for a stable message; Check validates on every call
	for r := range l.InstrumentOverrides {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	for _, r := range roots {
		if r == "" {
			bad("InstrumentOverrides key", `""`, "a futures root such as RTY")
			continue
		}
		checkInstrument(fmt.Sprintf("InstrumentOverrides[%s]", r), l.InstrumentOverrides[r])
	}
	if l.MaxOrderContracts <= 0 {
		bad("MaxOrderContracts", fmt.Sprint(l.MaxOrderContracts), "> 0")
	}
	positive("MaxOrderNotional", l.MaxOrderNotional)
	fraction("MaxMarginUse", l.MaxMarginUse, one, true)
	fraction("LimitCollar", l.LimitCollar, one, false)
	if l.MaxEventAge <= 0 {
		bad("MaxEventAge", l.MaxEventAge.String(), "> 0")
	}
	if l.MaxPriceAge <= 0 {
		bad("MaxPriceAge", l.MaxPriceAge.String(), "> 0")
	}
	if l.MaxOrdersPerMinute <= 0 {
		bad("MaxOrdersPerMinute", fmt.Sprint(l.MaxOrdersPerMinute), "> 0")
	}
	if l.DailyLossFraction.IsNegative() || l.DailyLossFraction.GreaterThanOrEqual(one) {
		bad("DailyLossFraction", l.DailyLossFraction.String(), "in [0, 1) (0 turns it off)")
	}
	if l.DailyLossAmount.IsNegative() {
		bad("DailyLossAmount", l.DailyLossAmount.String(), ">= 0 (0 turns it off)")
	}
	if l.DailyLossFraction.IsZero() && l.DailyLossAmount.IsZero() {
		bad("DailyLossFraction and DailyLossAmount", "both 0", "at least one > 0")
	}
	fraction("MaxDrawdown", l.MaxDrawdown, one, false)
	return errors.Join(errs...)
}
