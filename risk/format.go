package risk

import (
	"strconv"
	"strings"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// The helpers below write numbers the way a trader reads them in a
// verdict: 3.40x, 52.5%, $1,250,000.

var hundred = decimal.NewFromInt(100)

// fmtLev writes a leverage ratio: 3.40x.
func fmtLev(x decimal.Decimal) string { return x.StringFixed(2) + "x" }

// fmtPct writes a fraction as a percentage: 52.5%.
func fmtPct(x decimal.Decimal) string { return x.Mul(hundred).StringFixed(1) + "%" }

// fmtUSD writes dollars, rounded to the dollar, with thousands separators.
func fmtUSD(x decimal.Decimal) string {
	s := x.Abs().StringFixed(0)
	var b strings.Builder
	if x.Round(0).IsNegative() {
		b.WriteByte('-')
	}
	b.WriteByte('$')
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fmtContracts writes a count of contracts: 1 contract, 7 contracts.
func fmtContracts(n int64) string {
	if n == 1 || n == -1 {
		return strconv.FormatInt(n, 10) + " contract"
	}
	return strconv.FormatInt(n, 10) + " contracts"
}

// orderName names an order: "BUY RTYZ6 order".
func orderName(o broker.OrderRequest) string {
	return string(o.Side) + " " + contractName(o.Contract) + " order"
}

// outcome ends a verdict's sentence with what happened to the order.
func outcome(o broker.OrderRequest, from, to int64) string {
	// Concatenation rather than fmt: Check writes one or more of these for
	// every order it sees.
	switch {
	case to <= 0:
		return orderName(o) + " of " + fmtContracts(from) + " rejected"
	case to < from:
		return orderName(o) + " scaled from " + strconv.FormatInt(from, 10) + " to " + fmtContracts(to)
	}
	return orderName(o) + " of " + fmtContracts(from) + " approved"
}

// ratioPlaces is the decimal places ratio rounds to.
const ratioPlaces = 4

// zeroRatio is a zero a's a.DivRound(b, ratioPlaces): coefficient 0 at
// exponent -ratioPlaces, whatever b.
var zeroRatio = decimal.New(0, -ratioPlaces)

// ratio is a/b rounded for display; zero when b is not positive.
func ratio(a, b decimal.Decimal) decimal.Decimal {
	if !b.IsPositive() {
		return decimal.Zero
	}
	if a.IsZero() {
		// A flat book's leverage: the quotient DivRound would return,
		// exponent included, without dividing.
		return zeroRatio
	}
	return a.DivRound(b, ratioPlaces)
}
