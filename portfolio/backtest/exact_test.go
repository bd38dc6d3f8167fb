package backtest

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
)

// randomDecimal is a decimal of up to digits digits (beyond an int64's
// too) with an exponent in [minExp, maxExp], of either sign.
func randomDecimal(r *rand.Rand, digits int, minExp, maxExp int32) decimal.Decimal {
	c := new(big.Int)
	for range 1 + r.IntN(digits) {
		c.Mul(c, big.NewInt(10))
		c.Add(c, big.NewInt(r.Int64N(10)))
	}
	if r.IntN(2) == 0 {
		c.Neg(c)
	}
	return decimal.NewFromBigInt(c, minExp+r.Int32N(maxExp-minExp+1))
}

// sameDecimal reports whether a and b have the same value and exponent:
// what a result's JSON and anything worked out from it depend on.
func sameDecimal(a, b decimal.Decimal) bool {
	return a.Equal(b) && a.Exponent() == b.Exponent()
}

// TestExposureMatchesDecimals holds exposure's int64 sum to the decimal
// one it stands for, over positions with marks of every size (past an
// int64 too) and exponent, quantities of either sign, and sums that
// overflow.
func TestExposureMatchesDecimals(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	roots := []string{"RTY", "M2K", "ES", "MES"}
	for range 20000 {
		prices := make(map[string][]decimal.Decimal, len(roots))
		digits := []int{7, 12, 19, 25}[r.IntN(4)]
		for _, root := range roots {
			prices[root] = []decimal.Decimal{randomDecimal(r, digits, -6, 3)}
		}
		pos := make([]broker.Position, r.IntN(4))
		for k := range pos {
			c := broker.Contract{Symbol: roots[r.IntN(len(roots))], Multiplier: []int64{5, 50, 1}[r.IntN(3)]}
			pos[k] = broker.Position{Contract: c, Quantity: r.Int64N(2_000_001) - 1_000_000}
			if r.IntN(10) == 0 {
				pos[k].Quantity = r.Int64() // products that overflow
			}
		}
		want := decimal.Zero
		for _, p := range pos {
			want = want.Add(prices[p.Contract.Symbol][0].Mul(decimal.NewFromInt(p.Contract.Multiplier * p.Quantity)))
		}
		if got := exposure(pos, prices, 0); !sameDecimal(got, want) {
			t.Fatalf("exposure(%v, %v) = %s (exponent %d), want %s (exponent %d)", pos, prices, got, got.Exponent(), want, want.Exponent())
		}
	}
}

// TestCentsMatchesRound holds book.cents to nlv.Round(2), around zero,
// at half cents and with exposures of every exponent (those below cents
// take Round's path).
func TestCentsMatchesRound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	d := decimal.RequireFromString
	cases := [][2]decimal.Decimal{ // k, expo
		{d("0.005"), d("-0.01")}, {d("-0.005"), d("0.01")}, {d("0.004"), d("-0.01")}, {d("-0.015"), d("0.02")},
		{d("1000000.125"), d("-2000000.25")}, {d("-0.0049999"), d("0")}, {d("0"), d("-0.01")}, {d("12.345"), decimal.Zero},
		{d("1000000"), decimal.Zero}, {d("-1E+3"), d("0.5")}, {d("2.5E-20"), d("-1E+2")},
	}
	for range 50000 {
		cases = append(cases, [2]decimal.Decimal{randomDecimal(r, 24, -18, 2), randomDecimal(r, 10, -3, 2)})
	}
	for _, c := range cases {
		k, expo := c[0], c[1]
		b := &book{k: k, kCents: k.Round(2)}
		nlv := b.k.Add(expo)
		if got, want := b.cents(nlv, expo), nlv.Round(2); !sameDecimal(got, want) {
			t.Fatalf("cents(%s + %s) = %s (exponent %d), want %s (exponent %d)", k, expo, got, got.Exponent(), want, want.Exponent())
		}
	}
}

// TestPlusMatchesAdd holds plus to Add, zeros of every exponent included.
func TestPlusMatchesAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	for range 20000 {
		sum, d := randomDecimal(r, 20, -8, 3), randomDecimal(r, 3, -8, 3)
		if r.IntN(2) == 0 {
			d = decimal.New(0, d.Exponent())
		}
		if got, want := plus(sum, d), sum.Add(d); !sameDecimal(got, want) {
			t.Fatalf("plus(%s, %s) = %s (exponent %d), want %s (exponent %d)", sum, d, got, got.Exponent(), want, want.Exponent())
		}
	}
}

// TestBeyondBandMatchesDecimals holds beyondBand to the decimal
// comparison, for bands of every exponent and size and products that
// overflow an int64.
func TestBeyondBandMatchesDecimals(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 23))
	for range 50000 {
		band := randomDecimal(r, []int{2, 6, 20}[r.IntN(3)], -22, 22).Abs()
		diff, n := r.Int64N(200_000), r.Int64N(200_000)
		if r.IntN(10) == 0 {
			diff, n = r.Int64(), r.Int64()
		}
		want := decimal.NewFromInt(diff).GreaterThan(band.Mul(decimal.NewFromInt(n)))
		if got := beyondBand(diff, n, band); got != want {
			t.Fatalf("beyondBand(%d, %d, %s) = %v, want %v", diff, n, band, got, want)
		}
	}
}
