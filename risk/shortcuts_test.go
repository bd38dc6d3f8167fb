package risk

// The tests here hold each shortcut Check takes to the computation it
// replaced, kept here as the reference, on edge cases and at random.

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// same reports whether a and b are the same decimal: equal in value and
// exponent, so equal in every string form.
func same(a, b decimal.Decimal) bool {
	return a.Exponent() == b.Exponent() && a.Equal(b)
}

// randDec is a decimal with a coefficient of up to 30 digits, either sign,
// and an exponent in [-20, 5].
func randDec(r *rand.Rand) decimal.Decimal {
	digits := make([]byte, 1+r.IntN(30))
	for i := range digits {
		digits[i] = byte('0' + r.IntN(10))
	}
	c, _ := new(big.Int).SetString(string(digits), 10)
	if r.IntN(3) == 0 {
		c.Neg(c)
	}
	return decimal.NewFromBigInt(c, r.Int32N(26)-20)
}

func TestScaledIsTheDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var x big.Int
	for range 20000 {
		d := randDec(r)
		e := d.Exponent() - r.Int32N(30)
		if got := decimal.NewFromBigInt(scaled(&x, d, e), e); !got.Equal(d) {
			t.Fatalf("scaled(%s, %d) = %s×10^%d", d, e, &x, e)
		}
	}
}

// TestSumIsTheAdds holds sum to adding the same terms with Decimal.Add
// from the zero Decimal, value and exponent, whatever the terms'
// exponents, signs and sizes, and to the zero Decimal itself when nothing
// is added.
func TestSumIsTheAdds(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for i := range 5000 {
		var s sum
		var want decimal.Decimal
		var tmp big.Int
		for range i % 7 {
			term := randDec(r)
			want = want.Add(term)
			s.add(term.Coefficient(), term.Exponent(), &tmp)
		}
		if got := s.decimal(); !same(got, want) || (i%7 == 0) != (got == decimal.Decimal{}) {
			t.Fatalf("sum %s (exponent %d), want %s (exponent %d)", got, got.Exponent(), want, want.Exponent())
		}
	}
}

// oldLargestFit is largestFit as it was, on decimals: each upper end from
// a division to 8 places, then nudged and confirmed. The integer version
// must agree with it everywhere.
func oldLargestFit(lines []line, q, s int64) int64 {
	fits := func(l line, k int64) bool { return l.value(k, s).LessThanOrEqual(l.bound) }
	upper := func(l line) int64 {
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
	allFit := func(k int64) bool {
		for _, l := range lines {
			if !fits(l, k) {
				return false
			}
		}
		return true
	}
	hi := q
	for _, l := range lines {
		hi = min(hi, upper(l))
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

// randLine is an exposure line: often one whose limit is met exactly at a
// whole k, or missed by the smallest step of its exponent, and sometimes
// one that no k fits.
func randLine(r *rand.Rand, q, s int64) line {
	l := line{off: randDec(r).Abs(), a: randDec(r), u: randDec(r).Abs()}
	if r.IntN(4) == 0 {
		l.off = decimal.Zero
	}
	if l.u.IsZero() {
		l.u = one
	}
	switch r.IntN(4) {
	case 0, 1: // met exactly at k, or one step of the smallest exponent either side
		k := r.Int64N(q + 3)
		l.bound = l.value(k, s)
		step := decimal.New(int64(r.IntN(3)-1), min(l.off.Exponent(), l.a.Exponent(), l.u.Exponent()))
		l.bound = l.bound.Add(step)
	case 2:
		l.bound = l.off.Add(randDec(r).Abs())
	default:
		l.bound = randDec(r)
	}
	return l
}

// linesString writes lines for a failure message.
func linesString(lines []line) string {
	var out string
	for _, l := range lines {
		out += fmt.Sprintf("[off %s a %s u %s bound %s]", l.off, l.a, l.u, l.bound)
	}
	return out
}

func TestLargestFitMatchesDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	var ins [5]ineq
	for i := range 10000 {
		q, s := 1+r.Int64N(60), int64(1-2*(i%2))
		if i%10 == 0 {
			q = 1 + r.Int64N(1e12)
		}
		lines := make([]line, 1+r.IntN(5))
		for j := range lines {
			lines[j] = randLine(r, q, s)
			ins[j].set(&lines[j])
			for _, k := range []int64{0, 1, q / 2, q, r.Int64N(q + 1)} {
				if got, want := ins[j].fits(k, s), lines[j].value(k, s).LessThanOrEqual(lines[j].bound); got != want {
					t.Fatalf("line %s, k=%d s=%d: fits %v, decimal says %v", linesString(lines[j:j+1]), k, s, got, want)
				}
			}
		}
		if got, want := largestFit(ins[:len(lines)], q, s), oldLargestFit(lines, q, s); got != want {
			t.Fatalf("q=%d s=%d lines %s: largestFit %d, the decimal version %d", q, s, linesString(lines), got, want)
		}
	}
}

func TestRatioOfZeroIsDivRound(t *testing.T) {
	for _, a := range []decimal.Decimal{decimal.Zero, {}, decimal.New(0, -7), decimal.New(0, 9), decimal.RequireFromString("0.000")} {
		for _, b := range []decimal.Decimal{one, decimal.RequireFromString("0.5"), decimal.RequireFromString("1234567.8912345678901234"), decimal.New(3, 30)} {
			if got, want := ratio(a, b), a.DivRound(b, ratioPlaces); !same(got, want) {
				t.Fatalf("ratio(%s, %s) = %s at %d, DivRound %s at %d", a, b, got, got.Exponent(), want, want.Exponent())
			}
		}
	}
}

// oldApply is book.apply as it was, with the net change multiplied out.
func oldApply(b *book, key, root string, delta int64, unit, im decimal.Decimal) decimal.Decimal {
	p0 := b.pos[key]
	p1 := p0 + delta
	b.pos[key] = p1
	dAbs := abs(p1) - abs(p0)
	b.rootContracts[root] += dAbs
	dn := unit.Mul(decimal.NewFromInt(dAbs))
	b.rootNotional[root] = b.rootNotional[root].Add(dn)
	b.gross = b.gross.Add(dn)
	b.net = b.net.Add(unit.Mul(decimal.NewFromInt(delta)))
	before := b.margin
	b.margin = decimal.Max(decimal.Zero, b.margin.Add(im.Mul(decimal.NewFromInt(dAbs))))
	return b.margin.Sub(before)
}

// TestApplyMatchesDecimal moves positions across zero, toward and away
// from it, and checks every sum of the book, value and exponent.
func TestApplyMatchesDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	newBook := func(net, gross, margin decimal.Decimal) *book {
		return &book{pos: map[string]int64{}, rootContracts: map[string]int64{}, rootNotional: map[string]decimal.Decimal{},
			net: net, gross: gross, margin: margin}
	}
	for range 5000 {
		net, gross, margin := randDec(r), randDec(r).Abs(), randDec(r).Abs()
		got, want := newBook(net, gross, margin), newBook(net, gross, margin)
		for range 1 + r.IntN(4) {
			key := fmt.Sprint("k", r.IntN(2))
			delta := r.Int64N(21) - 10
			if delta == 0 {
				delta = 1
			}
			unit, im := randDec(r).Abs(), randDec(r).Abs()
			g, w := got.apply(key, "R", delta, unit, im), oldApply(want, key, "R", delta, unit, im)
			if !same(g, w) || !same(got.net, want.net) || !same(got.gross, want.gross) || !same(got.margin, want.margin) ||
				!same(got.rootNotional["R"], want.rootNotional["R"]) || got.pos[key] != want.pos[key] {
				t.Fatalf("apply(%s, %d, %s, %s): net %s gross %s margin %s (%s), want net %s gross %s margin %s (%s)",
					key, delta, unit, im, got.net, got.gross, got.margin, g, want.net, want.gross, want.margin, w)
			}
		}
	}
}

// oldLossBreaches is lossBreaches as it was, the drawdown limit multiplied
// out at the high-water mark too.
func oldLossBreaches(l Limits, nlv, dayStart, hwm decimal.Decimal) []Verdict {
	var out []Verdict
	loss := dayStart.Sub(nlv)
	if l.DailyLossFraction.IsPositive() && loss.IsPositive() && loss.GreaterThan(l.DailyLossFraction.Mul(dayStart)) {
		frac := ratio(loss, dayStart)
		out = append(out, Verdict{Code: CodeDailyLoss, Action: ActionReject,
			Limit: l.DailyLossFraction, Actual: frac, Unit: "fraction",
			Message: fmt.Sprintf("today's loss of %s is %s of the start-of-day net liquidation %s, beyond the daily loss limit of %s: the kill switch trips",
				fmtUSD(loss), fmtPct(frac), fmtUSD(dayStart), fmtPct(l.DailyLossFraction))})
	}
	if l.DailyLossAmount.IsPositive() && loss.GreaterThan(l.DailyLossAmount) {
		out = append(out, Verdict{Code: CodeDailyLoss, Action: ActionReject,
			Limit: l.DailyLossAmount, Actual: loss, Unit: "USD",
			Message: fmt.Sprintf("today's loss of %s is beyond the daily loss limit of %s: the kill switch trips",
				fmtUSD(loss), fmtUSD(l.DailyLossAmount))})
	}
	mark := decimal.Max(hwm, nlv)
	if mark.IsPositive() {
		dd := mark.Sub(nlv)
		if dd.GreaterThan(l.MaxDrawdown.Mul(mark)) {
			frac := ratio(dd, mark)
			out = append(out, Verdict{Code: CodeDrawdown, Action: ActionReject,
				Limit: l.MaxDrawdown, Actual: frac, Unit: "fraction",
				Message: fmt.Sprintf("net liquidation %s is %s below the high-water mark %s, beyond the drawdown limit of %s: the kill switch trips",
					fmtUSD(nlv), fmtPct(frac), fmtUSD(mark), fmtPct(l.MaxDrawdown))})
		}
	}
	return out
}

// TestLossBreachesMatchesDecimal: at, above and below the high-water mark
// and the limits, with marks of zero and below, for valid limits.
func TestLossBreachesMatchesDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	l := testLimits()
	for i := range 5000 {
		l.MaxDrawdown = decimal.New(1+r.Int64N(999), -3)
		l.DailyLossAmount = decimal.Zero
		if i%3 == 0 {
			l.DailyLossAmount = randDec(r).Abs()
		}
		nlv, dayStart := randDec(r), randDec(r).Abs().Add(decimal.New(1, -20))
		hwm := []decimal.Decimal{nlv, nlv.Add(decimal.New(1, -25)), nlv.Sub(decimal.New(1, -25)), randDec(r),
			nlv.Div(decimal.NewFromInt(1).Sub(l.MaxDrawdown)), decimal.Zero}[i%6]
		if err := l.Validate(); err != nil {
			t.Fatal(err)
		}
		got, want := lossBreaches(l, nlv, dayStart, hwm), oldLossBreaches(l, nlv, dayStart, hwm)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("nlv %s day start %s mark %s: %v, want %v", nlv, dayStart, hwm, got, want)
		}
	}
}

// TestExposureAfterWithoutOrders: when no order is applied the ratios
// after the plan are the ones before, exactly as working them out again
// gives.
func TestExposureAfterWithoutOrders(t *testing.T) {
	in := baseInput(t)
	in.Account.InitMargin = dec("123456.789")
	in.Positions = []broker.Position{hold(esH, -3), hold(xakH, 7)}
	in.Orders = []broker.OrderRequest{buy("bad", rtyH, 0)} // rejected: no contracts
	d := Check(in)
	e := d.Exposure
	for _, c := range []struct {
		name      string
		got, want decimal.Decimal
	}{
		{"gross", e.GrossLeverageAfter, ratio(e.GrossNotionalAfter, e.NetLiquidation)},
		{"net", e.NetLeverageAfter, ratio(e.NetNotionalAfter.Abs(), e.NetLiquidation)},
		{"margin", e.MarginUseAfter, ratio(e.MarginAfter, e.NetLiquidation)},
	} {
		if !same(c.got, c.want) || c.want.IsZero() {
			t.Fatalf("%s leverage after %s, want %s (non-zero)", c.name, c.got, c.want)
		}
	}
}
