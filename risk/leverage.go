package risk

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// book is the account's futures exposure as Check builds it up: the
// starting positions, then each approved order applied in turn. Every sum is
// an exact decimal; nothing is divided until a number is shown to a person.
type book struct {
	nlv           decimal.Decimal
	pos           map[string]int64 // contracts by contract key, signed
	rootContracts map[string]int64 // Σ|contracts| by root, all expiries
	rootNotional  map[string]decimal.Decimal
	gross         decimal.Decimal // Σ |contracts|·price·multiplier, valued positions
	net           decimal.Decimal // Σ contracts·price·multiplier, valued positions
	margin        decimal.Decimal // projected initial margin
}

// unvalued is a futures position the book could not value.
type unvalued struct {
	code Code // NO_PRICE or STALE_PRICE
	what string
}

// newBook builds the book of the whole account. Futures positions are
// netted per contract and valued at their reference price; a position
// without a multiplier, a price or with a stale price is counted in
// contracts but not in notional, and returned so that Check refuses to add
// risk to a book it cannot measure. Margin starts from the broker's own
// figure for the account, which covers positions rotor has no margin table
// for.
func newBook(in Input, prices priceIndex) (*book, []unvalued) {
	b := &book{
		nlv:           in.Account.NetLiquidation,
		pos:           make(map[string]int64, len(in.Positions)+len(in.Orders)),
		rootContracts: make(map[string]int64, len(in.Positions)+len(in.Orders)),
		rootNotional:  make(map[string]decimal.Decimal, len(in.Positions)+len(in.Orders)),
		margin:        in.Account.InitMargin,
	}
	type held struct {
		p   int
		qty int64
	}
	var keys []string
	byKey := make(map[string]*held, len(in.Positions))
	for i, p := range in.Positions {
		if p.Quantity == 0 || !isFuture(p.Contract) {
			continue
		}
		k := p.Contract.Key()
		h, ok := byKey[k]
		if !ok {
			h = &held{p: i}
			byKey[k] = h
			keys = append(keys, k)
		}
		h.qty += p.Quantity
	}
	var bad []unvalued
	for _, k := range keys {
		h := byKey[k]
		if h.qty == 0 {
			continue
		}
		c := in.Positions[h.p].Contract
		b.pos[k] = h.qty
		n := abs(h.qty)
		b.rootContracts[c.Symbol] += n
		// name is built only for a position that cannot be valued.
		name := func() string { return fmt.Sprintf("%s (%d held)", contractName(c), h.qty) }
		mult := multiplier(c)
		pr, ok := prices.lookup(c)
		switch {
		case mult == 0:
			bad = append(bad, unvalued{CodeNoPrice, name() + " has no known multiplier"})
			continue
		case !ok || !pr.Value.IsPositive():
			bad = append(bad, unvalued{CodeNoPrice, name() + " has no reference price"})
			continue
		case age(in.Now, pr.Time) > in.Limits.MaxPriceAge:
			bad = append(bad, unvalued{CodeStalePrice, fmt.Sprintf("%s has a reference price from %s, older than %s",
				name(), pr.Time.UTC().Format("2006-01-02 15:04:05Z"), in.Limits.MaxPriceAge)})
			continue
		}
		unit := pr.Value.Mul(decimal.NewFromInt(mult))
		notional := unit.Mul(decimal.NewFromInt(n))
		b.rootNotional[c.Symbol] = b.rootNotional[c.Symbol].Add(notional)
		b.gross = b.gross.Add(notional)
		b.net = b.net.Add(unit.Mul(decimal.NewFromInt(h.qty)))
	}
	return b, bad
}

// apply moves the position in key by delta contracts, valued at unit
// (price × multiplier), and returns the change in projected margin: im per
// contract added or freed, down to zero at most; freed margin is not
// credited when im is unknown (zero).
func (b *book) apply(key, root string, delta int64, unit, im decimal.Decimal) decimal.Decimal {
	p0 := b.pos[key]
	p1 := p0 + delta
	b.pos[key] = p1
	dAbs := abs(p1) - abs(p0)
	b.rootContracts[root] += dAbs
	dn := unit.Mul(decimal.NewFromInt(dAbs))
	b.rootNotional[root] = b.rootNotional[root].Add(dn)
	b.gross = b.gross.Add(dn)
	b.net = b.net.Add(unit.Mul(decimal.NewFromInt(delta)))
	// The table's margin per contract may exceed what the broker charges
	// for a position, so freeing it can overshoot; margin is never below 0.
	before := b.margin
	b.margin = decimal.Max(decimal.Zero, b.margin.Add(im.Mul(decimal.NewFromInt(dAbs))))
	return b.margin.Sub(before)
}

// line is one exposure limit seen from one order: with k the contracts the
// order adds and s its sign (+1 buy, -1 sell), the limit holds when
//
//	off + |a + s·k·u| ≤ max·div
//
// and the measured value is (off + |a + s·k·u|) / div. Every exposure
// limit has this shape: gross leverage is (others' gross + |this contract's
// notional|) / NLV, net leverage |all signed notional| / NLV, and so on. So
// each allows an interval of k, and so does their intersection: the largest
// whole k that fits is found from the upper bounds directly, then confirmed
// with exact arithmetic.
type line struct {
	code              Code
	unit              string
	off, a, u, max, d decimal.Decimal
	bound             decimal.Decimal // max·d
}

func (l line) value(k, s int64) decimal.Decimal {
	return l.off.Add(l.a.Add(l.u.Mul(decimal.NewFromInt(s * k))).Abs())
}

func (l line) fits(k, s int64) bool {
	return l.value(k, s).LessThanOrEqual(l.bound)
}

// measure is the limited quantity at k, in the limit's unit.
func (l line) measure(k, s int64) decimal.Decimal {
	if l.d.Equal(one) {
		return l.value(k, s)
	}
	return ratio(l.value(k, s), l.d)
}

// upper is the largest k ≤ q that can fit, from the interval's upper end:
// a + s·k·u ≤ B (s=+1) or a - k·u ≥ -B (s=-1), i.e. k ≤ (B - s·a)/u.
func (l line) upper(q, s int64) int64 {
	b := l.bound.Sub(l.off)
	if s > 0 {
		b = b.Sub(l.a)
	} else {
		b = b.Add(l.a)
	}
	ub := b.DivRound(l.u, 8).Floor()
	switch {
	case ub.IsNegative():
		return 0
	case ub.LessThan(decimal.NewFromInt(q)):
		return ub.IntPart()
	}
	return q
}

// exposureLines returns the exposure limits an order adding contracts in
// key (root, unit = price × multiplier, initial margin im per contract)
// must fit, in the order they are reported: instrument contracts,
// instrument notional, gross leverage, net leverage, margin.
func (b *book) exposureLines(l Limits, key, root string, unit, im decimal.Decimal) []line {
	p0 := b.pos[key]
	dp0 := decimal.NewFromInt(p0)
	ap0 := decimal.NewFromInt(abs(p0))
	il := l.ForRoot(root)
	held, signed := ap0.Mul(unit), dp0.Mul(unit) // decimals are immutable, so shared
	maxContracts := decimal.NewFromInt(il.MaxContracts)
	// bound is max·d. Where d is 1 it is max itself, coefficient and
	// exponent alike (one's exponent is 0), so it is not multiplied.
	return []line{
		{code: CodeInstrumentContracts, unit: "contracts",
			off: decimal.NewFromInt(b.rootContracts[root] - abs(p0)), a: dp0, u: one,
			max: maxContracts, d: one, bound: maxContracts},
		{code: CodeInstrumentNotional, unit: "USD",
			off: b.rootNotional[root].Sub(held), a: signed, u: unit,
			max: il.MaxNotional, d: one, bound: il.MaxNotional},
		{code: CodeGrossLeverage, unit: "x",
			off: b.gross.Sub(held), a: signed, u: unit,
			max: l.MaxGrossLeverage, d: b.nlv, bound: l.MaxGrossLeverage.Mul(b.nlv)},
		{code: CodeNetLeverage, unit: "x",
			off: decimal.Zero, a: b.net, u: unit,
			max: l.MaxNetLeverage, d: b.nlv, bound: l.MaxNetLeverage.Mul(b.nlv)},
		{code: CodeMargin, unit: "fraction",
			off: b.margin.Sub(ap0.Mul(im)), a: dp0.Mul(im), u: im,
			max: l.MaxMarginUse, d: b.nlv, bound: l.MaxMarginUse.Mul(b.nlv)},
	}
}

var one = decimal.NewFromInt(1)

// largestFit returns the largest k in [0, q] for which every line fits, 0
// when none but k = 0 does. The lines' feasible sets are intervals, so the
// answer is the smallest upper bound if that fits at all; the two nudges
// absorb the rounding of the one division.
func largestFit(lines []line, q, s int64) int64 {
	allFit := func(k int64) bool {
		for _, l := range lines {
			if !l.fits(k, s) {
				return false
			}
		}
		return true
	}
	hi := q
	for _, l := range lines {
		hi = min(hi, l.upper(q, s))
	}
	if hi < q && allFit(hi+1) {
		hi++
	}
	if hi > 0 && !allFit(hi) {
		hi--
	}
	if hi > 0 && !allFit(hi) {
		return 0
	}
	return hi
}

// lineMessage says in a sentence how an exposure limit is broken at the
// measured value, ending with what happened to the order.
func lineMessage(l line, root string, actual decimal.Decimal, end string) string {
	switch l.code {
	case CodeInstrumentContracts:
		return fmt.Sprintf("%s would hold %s across its expiries, over the per-instrument limit of %s; %s",
			root, fmtContracts(actual.IntPart()), fmtContracts(l.max.IntPart()), end)
	case CodeInstrumentNotional:
		return fmt.Sprintf("%s notional would be %s, over the per-instrument limit of %s; %s",
			root, fmtUSD(actual), fmtUSD(l.max), end)
	case CodeGrossLeverage:
		return fmt.Sprintf("gross leverage %s after the plan exceeds the limit %s; %s", fmtLev(actual), fmtLev(l.max), end)
	case CodeNetLeverage:
		return fmt.Sprintf("net leverage %s after the plan exceeds the limit %s; %s", fmtLev(actual), fmtLev(l.max), end)
	case CodeMargin:
		return fmt.Sprintf("projected initial margin would use %s of net liquidation, over the limit of %s; %s",
			fmtPct(actual), fmtPct(l.max), end)
	}
	return end
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
