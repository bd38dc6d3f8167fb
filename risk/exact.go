package risk

// This file holds integer arithmetic on decimals for the hot paths of
// Check: each decimal operation allocates its result, and these work in
// place on big.Int with the same exact results.

import (
	"math/big"

	"github.com/shopspring/decimal"
)

// pow10s are 10^0 to 10^19, read only.
var pow10s = func() (t [20]*big.Int) {
	t[0] = big.NewInt(1)
	for i := 1; i < len(t); i++ {
		t[i] = new(big.Int).Mul(t[i-1], big.NewInt(10))
	}
	return t
}()

// pow10 returns 10^n for n ≥ 0; the caller must not modify it.
func pow10(n int64) *big.Int {
	if n < int64(len(pow10s)) {
		return pow10s[n]
	}
	return new(big.Int).Exp(pow10s[1], big.NewInt(n), nil)
}

// scaled sets x to d as a whole number of 10^e, d's coefficient times
// 10^(d.Exponent()-e), and returns x; e must be at most d.Exponent(). A
// coefficient of up to 18 digits is read without copying it.
func scaled(x *big.Int, d decimal.Decimal, e int32) *big.Int {
	if d.NumDigits() <= 18 {
		x.SetInt64(d.CoefficientInt64())
	} else {
		x.Set(d.Coefficient())
	}
	if n := int64(d.Exponent()) - int64(e); n > 0 {
		x.Mul(x, pow10(n))
	}
	return x
}

// sum is a decimal sum built up in place. Decimal addition is exact and
// its result takes the smaller exponent of its operands, so adding terms
// to the zero Decimal (exponent 0) with Add gives the exact total at the
// smallest of 0 and the terms' exponents, in any order. sum keeps that
// total as a whole number of 10^exp, rescaling when a term has a smaller
// exponent, and returns what the Adds would have.
type sum struct {
	v     big.Int
	exp   int32
	terms bool // a term was added
}

// add adds x·10^e, with x a whole number; tmp is scratch.
func (s *sum) add(x *big.Int, e int32, tmp *big.Int) {
	if e < s.exp {
		s.v.Mul(&s.v, pow10(int64(s.exp)-int64(e)))
		s.exp = e
	}
	if e > s.exp {
		x = tmp.Mul(x, pow10(int64(e)-int64(s.exp)))
	}
	s.v.Add(&s.v, x)
	s.terms = true
}

// decimal returns the sum: the zero Decimal when nothing was added.
func (s *sum) decimal() decimal.Decimal {
	if !s.terms {
		return decimal.Decimal{}
	}
	return decimal.NewFromBigInt(&s.v, s.exp)
}
