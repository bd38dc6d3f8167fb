package backtest

import (
	"math"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
)

// exposure is the signed notional of pos at day i's marks: decimal.Zero
// plus, position by position, its mark × (multiplier × quantity). book
// works it out every day, quiet or not, and in decimals each position
// costs a handful of allocations, most of what a quiet day allocates; so
// the sum is made in int64 when it fits, which it does for any book a
// backtest holds, and in decimals otherwise. Both give the same decimal,
// value and exponent alike.
func exposure(pos []broker.Position, prices map[string][]decimal.Decimal, i int) decimal.Decimal {
	if len(pos) == 0 {
		return decimal.Zero
	}
	if e, ok := exposureInt64(pos, prices, i); ok {
		return e
	}
	e := decimal.Zero
	for _, p := range pos {
		e = e.Add(prices[p.Contract.Symbol][i].Mul(decimal.NewFromInt(p.Contract.Multiplier * p.Quantity)))
	}
	return e
}

// exposureInt64 is exposure's sum worked out on int64 coefficients, or
// false when a coefficient, a product or a partial sum would not fit.
//
// It follows decimal's rules: a product's exponent is the sum of its
// factors' (the mark's, as multiplier × quantity is an integer), and a
// sum's is the smaller of its terms', the other term's coefficient scaled
// up by the power of ten between them. Summing from decimal.Zero, the
// exponent is thus the smallest of Zero's and the marks', and each term's
// coefficient is its mark's × multiplier × quantity × 10^(mark's exponent
// − that). Integer sums are exact in any order, so the coefficient is the
// decimal one too.
func exposureInt64(pos []broker.Position, prices map[string][]decimal.Decimal, i int) (decimal.Decimal, bool) {
	exp := decimal.Zero.Exponent()
	for _, p := range pos {
		exp = min(exp, prices[p.Contract.Symbol][i].Exponent())
	}
	var sum int64
	for _, p := range pos {
		mark := prices[p.Contract.Symbol][i]
		shift := int64(mark.Exponent()) - int64(exp)
		if mark.NumDigits() > 18 || shift >= int64(len(powersOf10)) {
			return decimal.Decimal{}, false // CoefficientInt64 or the shift would overflow
		}
		t, ok := mulInt64(mark.CoefficientInt64(), powersOf10[shift])
		if ok {
			t, ok = mulInt64(t, p.Contract.Multiplier*p.Quantity)
		}
		if ok {
			sum, ok = addInt64(sum, t)
		}
		if !ok {
			return decimal.Decimal{}, false
		}
	}
	return decimal.New(sum, exp), true
}

// plus is sum.Add(d), without the addition when d is a zero whose exponent
// is not below sum's: the sum then keeps its value and its exponent. Most
// days trade nothing and most books are flat some of the time, and the
// addition allocates.
func plus(sum, d decimal.Decimal) decimal.Decimal {
	if d.IsZero() && d.Exponent() >= sum.Exponent() {
		return sum
	}
	return sum.Add(d)
}

// powersOf10 are the powers of ten an int64 holds.
var powersOf10 = func() []int64 {
	p := []int64{1}
	for p[len(p)-1] <= math.MaxInt64/10 {
		p = append(p, p[len(p)-1]*10)
	}
	return p
}()

// mulInt64 is a × b, false when it overflows an int64.
func mulInt64(a, b int64) (int64, bool) {
	p := a * b
	if a != 0 && (p/a != b || a == -1 && b == math.MinInt64) {
		return 0, false
	}
	return p, true
}

// addInt64 is a + b, false when it overflows an int64.
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}
