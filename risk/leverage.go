package risk

import (
	"fmt"
	"math/big"

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
	changed       bool            // an order was applied
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
	b := &book{nlv: in.Account.NetLiquidation, margin: in.Account.InitMargin}
	if n := len(in.Positions) + len(in.Orders); n > 0 {
		// Without positions or orders nothing is written to the maps, and
		// nil maps read as empty.
		b.pos = make(map[string]int64, n)
		b.rootContracts = make(map[string]int64, n)
		b.rootNotional = make(map[string]decimal.Decimal, n)
	}
	type held struct {
		key string
		p   int // the contract's first position
		qty int64
	}
	var hs []held // in order of first appearance
	at := make(map[string]int, len(in.Positions))
	for i, p := range in.Positions {
		if p.Quantity == 0 || !isFuture(p.Contract) {
			continue
		}
		k := p.Contract.Key()
		j, ok := at[k]
		if !ok {
			j = len(hs)
			at[k] = j
			hs = append(hs, held{key: k, p: i})
		}
		hs[j].qty += p.Quantity
	}
	// The notionals are summed in place (see sum): the same decimals as
	// adding price × multiplier × contracts position by position.
	var gross, net sum
	var roots map[string]*sum
	var term, tmp big.Int
	var bad []unvalued
	for _, h := range hs {
		if h.qty == 0 {
			continue
		}
		c := in.Positions[h.p].Contract
		b.pos[h.key] = h.qty
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
		if roots == nil {
			roots = make(map[string]*sum)
		}
		r := roots[c.Symbol]
		if r == nil {
			r = new(sum)
			roots[c.Symbol] = r
		}
		// price × multiplier × |contracts|, in units of 10^e for the
		// price's exponent e
		e := pr.Value.Exponent()
		scaled(&term, pr.Value, e).Mul(&term, tmp.SetInt64(mult)).Mul(&term, tmp.SetInt64(n))
		r.add(&term, e, &tmp)
		gross.add(&term, e, &tmp)
		if h.qty < 0 {
			term.Neg(&term)
		}
		net.add(&term, e, &tmp)
	}
	b.gross, b.net = gross.decimal(), net.decimal()
	for root, r := range roots {
		b.rootNotional[root] = r.decimal()
	}
	return b, bad
}

// apply moves the position in key by delta contracts, valued at unit
// (price × multiplier), and returns the change in projected margin: im per
// contract added or freed, down to zero at most; freed margin is not
// credited when im is unknown (zero).
func (b *book) apply(key, root string, delta int64, unit, im decimal.Decimal) decimal.Decimal {
	b.changed = true
	p0 := b.pos[key]
	p1 := p0 + delta
	b.pos[key] = p1
	dAbs := abs(p1) - abs(p0)
	b.rootContracts[root] += dAbs
	n := decimal.NewFromInt(dAbs)
	dn := unit.Mul(n)
	b.rootNotional[root] = b.rootNotional[root].Add(dn)
	b.gross = b.gross.Add(dn)
	// Unless the position crosses zero, unit·delta is dn or -dn: the same
	// value at the same exponent (unit's), so adding it is adding or
	// subtracting dn.
	switch delta {
	case dAbs:
		b.net = b.net.Add(dn)
	case -dAbs:
		b.net = b.net.Sub(dn)
	default:
		b.net = b.net.Add(unit.Mul(decimal.NewFromInt(delta)))
	}
	// The table's margin per contract may exceed what the broker charges
	// for a position, so freeing it can overshoot; margin is never below 0.
	before := b.margin
	b.margin = decimal.Max(decimal.Zero, b.margin.Add(im.Mul(n)))
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
// whole k that fits is found from the upper bounds directly (see
// largestFit). The tests run on the same inequality in integers (ineq);
// line keeps the decimals that a verdict reports.
type line struct {
	code              Code
	unit              string
	off, a, u, max, d decimal.Decimal
	bound             decimal.Decimal // max·d
}

func (l line) value(k, s int64) decimal.Decimal {
	return l.off.Add(l.a.Add(l.u.Mul(decimal.NewFromInt(s * k))).Abs())
}

// measure is the limited quantity at k, in the limit's unit.
func (l line) measure(k, s int64) decimal.Decimal {
	if l.d.Equal(one) {
		return l.value(k, s)
	}
	return ratio(l.value(k, s), l.d)
}

// ineq is a line's inequality off + |a + s·k·u| ≤ bound in integers: each
// term is its decimal's coefficient scaled to the smallest exponent e of
// the four, that is the decimal times 10^-e. Both sides are multiplied by
// the same positive number, so the inequality holds exactly when the
// decimal one does, and testing it allocates nothing once the fields have
// grown (they are reused from order to order), where every decimal step
// allocates its result.
type ineq struct {
	off, a, u, bound big.Int
	t, r             big.Int // scratch
}

// set makes q the inequality of l.
func (q *ineq) set(l *line) {
	e := min(l.off.Exponent(), l.a.Exponent(), l.u.Exponent(), l.bound.Exponent())
	scaled(&q.off, l.off, e)
	scaled(&q.a, l.a, e)
	scaled(&q.u, l.u, e)
	scaled(&q.bound, l.bound, e)
}

// fits reports whether the limit holds with k contracts added on side s.
func (q *ineq) fits(k, s int64) bool {
	t := q.t.SetInt64(s * k)
	t.Mul(t, &q.u)
	t.Add(t, &q.a)
	t.Abs(t)
	t.Add(t, &q.off)
	return t.Cmp(&q.bound) <= 0
}

// upper is the largest k ≤ most that can fit, from the interval's upper end:
// a + s·k·u ≤ B (s=+1) or a - k·u ≥ -B (s=-1), with B = bound - off, i.e.
// k ≤ (B - s·a)/u, rounded down; 0 when that is negative. u is positive
// (one contract, a unit of notional or of margin), so the quotient of a
// non-negative numerator truncated is its floor.
func (q *ineq) upper(most, s int64) int64 {
	t := q.t.Sub(&q.bound, &q.off)
	if s > 0 {
		t.Sub(t, &q.a)
	} else {
		t.Add(t, &q.a)
	}
	if t.Sign() < 0 {
		return 0
	}
	t.QuoRem(t, &q.u, &q.r)
	if t.IsInt64() && t.Int64() < most {
		return t.Int64()
	}
	return most
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
// when none but k = 0 does. Each line's feasible set is an interval of k
// (|a + s·k·u| is convex in k) and so is their intersection, so when q
// fits it is the answer; otherwise the answer is U, the smallest upper end
// of the intervals (at most q), if U fits. If U does not fit, U lies below
// the intersection or the intersection is empty, and no k in (0, U] fits.
//
// This is exactly what the division at 8 decimal places and the nudges
// this replaced returned: there every upper end came out exact or one too
// high, and the nudges settled on U when it fits and on 0 when it does not
// (TestLargestFitMatchesDecimal holds the two together).
func largestFit(lines []ineq, q, s int64) int64 {
	allFit := func(k int64) bool {
		for i := range lines {
			if !lines[i].fits(k, s) {
				return false
			}
		}
		return true
	}
	if allFit(q) {
		return q
	}
	hi := q
	for i := range lines {
		hi = min(hi, lines[i].upper(q, s))
	}
	if hi > 0 && allFit(hi) {
		return hi
	}
	return 0
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
