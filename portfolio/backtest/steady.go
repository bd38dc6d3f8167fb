package backtest

import (
	"math"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/signals"
)

// longLeg is what steady needs of a long-only sleeve, worked out once per
// book: the leverage of each regime as a float, and the long leg's two
// multipliers.
type longLeg struct {
	ok        bool // the sleeve is valid and long only: steady may answer
	lev       map[signals.Regime]float64
	share     float64
	fold      int64 // big / micro multiplier (10 for RTY and M2K)
	microMult int64
}

func newLongLeg(sleeve portfolio.SleeveConfig) longLeg {
	if sleeve.Validate() != nil || sleeve.Short.Kind != portfolio.ShortNone {
		return longLeg{}
	}
	big, err1 := broker.LookupInstrument(portfolio.LongRoot)
	micro, err2 := broker.LookupInstrument(portfolio.LongMicroRoot)
	if err1 != nil || err2 != nil || micro.Multiplier <= 0 || big.Multiplier%micro.Multiplier != 0 {
		return longLeg{} // NewTargets fails; let it say so
	}
	l := longLeg{ok: true, lev: make(map[signals.Regime]float64, 3), share: sleeve.Share.InexactFloat64(),
		fold: big.Multiplier / micro.Multiplier, microMult: micro.Multiplier}
	for _, r := range []signals.Regime{signals.Leadership, signals.Neutral, signals.Lagging} {
		v, _ := sleeve.Leverage.For(r)
		l.lev[r] = v.InexactFloat64()
	}
	return l
}

// steady reports that day i is quiet (see quiet) and that NewTargets would
// size it without an error, without sizing it: decide then skips
// NewTargets as well as Plan. When it reports false, decide sizes the day
// exactly, as always; steady only ever answers for a long-only sleeve with
// no working orders, each owned root's contract to hold known and outside
// its roll window, and positions only in those contracts.
//
// Why it is exact. For a long-only sleeve NewTargets's long target is
// T = NLV × share × leverage × VolScale, and MixContracts splits it into
// (⌊N/f⌋, N mod f) full-size and micro contracts, f = 50/5, where
// N = ⌊T/(price × 5) + ½⌋: floorWhole takes the whole full-size contracts,
// nearestWhole rounds the rest to micros (half up) and folds ten of them
// into one more, which together is rounding T to whole micros (T = 0 gives
// N = 0 and no MixContracts at all). So the targets depend on the day only
// through the integer N. steady computes T in float64 from the exact
// decimals (net liquidation as k plus the positions at the day's marks, as
// value does, and VolScale before its six-decimal rounding) with a bound on
// the error of each step (the rounding is at most 5e-7; every float
// operation is within a few ulps, bounded with orders of magnitude to
// spare) and answers only when N is the same at both ends of that bound,
// i.e. when T/(price × 5) + ½ is not within the bound of a whole number.
//
// With N known exactly, quiet's test needs no price: the long group's
// current and target notionals are price × 5 × M and price × 5 × N, M the
// held micro equivalents (f × RTY + M2K), so |current − target| >
// DriftBand × |target| is |M − N| > DriftBand × N, decided exactly in
// decimals. The errors NewTargets could return (an invalid sleeve, an
// unknown regime, too few or bad closes for the volatility, no positive
// price, more than a million micros, no contract) are each a case in which
// steady reports false. TestQuietDaysChangeNothing holds this, with the
// rest of the shortcut, to the exhaustive path over several sleeves.
func (b *book) steady(i int, ev signals.Event, nlv approx) bool {
	leg := &b.leg
	if !leg.ok || len(b.working) > 0 {
		return false
	}
	lev, ok := leg.lev[ev.Regime]
	if !ok {
		return false
	}
	// The contracts to hold: contracts would return the cached ones.
	today := b.mkt.civil[i]
	var hold [2]broker.Contract
	for k, root := range [2]string{portfolio.LongRoot, portfolio.LongMicroRoot} {
		h, ok := b.held[root]
		if !ok || !h.rollDate.After(today) || h.contract.Symbol != root || h.contract.ConID == 0 {
			return false
		}
		hold[k] = h.contract
	}
	// What is held, in the contracts to hold only (anything else is a
	// close or a roll).
	var big, micro int64
	for _, p := range b.pos {
		if p.Quantity == 0 {
			continue
		}
		switch p.Contract.Symbol {
		case portfolio.LongRoot:
			if p.Contract.ConID != hold[0].ConID {
				return false
			}
			big += p.Quantity
		case portfolio.LongMicroRoot:
			if p.Contract.ConID != hold[1].ConID {
				return false
			}
			micro += p.Quantity
		}
	}
	// The volatility scale, as NewTargets works it out.
	scale, scaleErr := 1.0, 0.0
	if vt := b.sleeve.VolTarget; vt > 0 {
		vol, err := b.mkt.realisedVol(i, b.sleeve.VolWindow)
		if err != nil {
			return false
		}
		if vol > 0 && vt < vol { // else VolScale is exactly 1
			scale, scaleErr = vt/vol, 6e-7 // Round(6) moves it by 5e-7 at most
		}
	}
	// N, the target in micro contracts.
	var n int64
	if lev != 0 {
		price := b.mkt.pricesF[portfolio.LongRoot][i]
		if !(price > 0) {
			price = b.mkt.pricesF[portfolio.LongMicroRoot][i]
		}
		if !(price > 0) || !(nlv.v > 0) {
			return false
		}
		var ok bool
		if n, ok = wholeMicros(nlv.v, nlv.err, leg.share*lev, scale, scaleErr, price*float64(leg.microMult)); !ok {
			return false
		}
	}
	// quiet's drift band test, for the long group.
	if big == n/leg.fold && micro == n%leg.fold {
		return true
	}
	if n == 0 {
		return false // flat means flat
	}
	diff := leg.fold*big + micro - n
	if diff < 0 {
		diff = -diff
	}
	return !beyondBand(diff, n, b.sleeve.DriftBand)
}

// beyondBand is diff > band × n, exactly. With band = c × 10^e it is
// diff × 10^−e > c × n (e < 0) or diff > c × 10^e × n (e ≥ 0), worked out
// in int64 when every product fits, and in decimals otherwise: steady asks
// on every quiet day of a drift, and the decimals allocate.
func beyondBand(diff, n int64, band decimal.Decimal) bool {
	if e := int64(band.Exponent()); band.NumDigits() <= 18 && -int64(len(powersOf10)) < e && e < int64(len(powersOf10)) {
		lhs, rhs, ok := diff, band.CoefficientInt64(), true
		if e < 0 {
			lhs, ok = mulInt64(diff, powersOf10[-e])
		} else {
			rhs, ok = mulInt64(rhs, powersOf10[e])
		}
		if ok {
			rhs, ok = mulInt64(rhs, n)
		}
		if ok {
			return lhs > rhs
		}
	}
	return decimal.NewFromInt(diff).GreaterThan(band.Mul(decimal.NewFromInt(n)))
}

// wholeMicros is N = ⌊T/unit + ½⌋ for T = nlv × factor × scale, when the
// exact T, whose net liquidation is within nlvErr of nlv and whose scale is
// within scaleErr of scale, has the same N for sure; false when it may not
// (or when N is beyond what NewTargets accepts). factor is share ×
// leverage, unit the micro contract's notional, both from exact decimals
// (so within an ulp), all of them positive.
func wholeMicros(nlv, nlvErr, factor, scale, scaleErr, unit float64) (int64, bool) {
	t := nlv * factor * scale
	tErr := nlvErr*factor + (nlv+nlvErr)*factor*scaleErr + t*1e-13
	x := t/unit + 0.5
	xErr := 2*tErr/unit + x*1e-13 + 1e-9
	if !(x < 1e5) { // NewTargets refuses more than a million micros
		return 0, false
	}
	f := math.Floor(x)
	if x-f <= xErr || f+1-x <= xErr {
		return 0, false // too near a rounding boundary to tell
	}
	return int64(f), true
}

// approx is a float64 within err of an exact decimal, for the conservative
// pre-checks of this file.
type approx struct{ v, err float64 }

// approxOf is d as the nearest float64, within an ulp.
func approxOf(d decimal.Decimal) approx {
	v := d.InexactFloat64()
	return approx{v, math.Abs(v) * 1e-15}
}

// valueF is value's net liquidation in float64: k plus the positions at
// day i's marks, each within an ulp of the decimal (kF, pricesF) and each
// operation within another. The bound allows hundreds of ulps of the
// largest magnitudes summed, far more than the few the sum can lose.
func (b *book) valueF(i int) approx {
	nlv, mag := b.kF, math.Abs(b.kF)
	for _, p := range b.pos {
		v := b.mkt.pricesF[p.Contract.Symbol][i] * float64(p.Contract.Multiplier*p.Quantity)
		nlv += v
		mag += math.Abs(v)
	}
	return approx{nlv, mag * 1e-13}
}

// farFromLossLimits reports, conservatively, that risk's loss rules
// (DAILY_LOSS, DRAWDOWN) cannot trip the kill switch at nlv: the day's loss
// and the drawdown, at their largest within the floats' error bounds, are
// under each limit at its smallest by one part in a million, a margin
// millions of times the few ulps the float subtraction and product can
// add (and the limits' own conversion from decimals). Nearer a limit
// risk.Check decides, as always (a wrong false only costs a risk check).
func (b *book) farFromLossLimits(nlv approx) bool {
	const under = 1 - 1e-6
	l := &b.limitsF
	start, hwm := b.dayStartF, b.hwmF
	loss := start.v + start.err - (nlv.v - nlv.err)
	if l.dailyLossFraction > 0 && !(loss <= (start.v-start.err)*l.dailyLossFraction*under) {
		return false
	}
	if l.dailyLossAmount > 0 && !(loss <= l.dailyLossAmount*under) {
		return false
	}
	// risk measures the drawdown from max(hwm, nlv), which is hwm: step
	// raises hwm to nlv before deciding.
	if l.maxDrawdown > 0 && !(hwm.v+hwm.err-(nlv.v-nlv.err) <= (hwm.v-hwm.err)*l.maxDrawdown*under) {
		return false
	}
	return true
}

// lossLimits are the risk limits farFromLossLimits reads, as float64.
type lossLimits struct {
	dailyLossFraction, dailyLossAmount, maxDrawdown float64
}
