package ibsim

import (
	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// margins are the paper broker's initial and maintenance margin per
// contract, in USD, close to CME's outright rates in 2026. Stocks and ETFs
// use Reg T: 50% initial, 25% maintenance of the market value.
var margins = map[string][2]int64{
	"RTY": {8800, 8000}, "M2K": {880, 800},
	"ES": {24200, 22000}, "MES": {2420, 2200},
	"XAB": {9900, 9000}, "XAE": {11000, 10000}, "XAI": {15400, 14000}, "XAK": {33000, 30000},
	"XAP": {8800, 8000}, "XAU": {8800, 8000}, "XAV": {16500, 15000}, "XAY": {24200, 22000},
	"XAF": {13200, 12000}, "XAR": {7700, 7000}, "XAZ": {11000, 10000},
}

// marginFor returns the initial and maintenance margin of qty (signed) of a
// listing at price.
func marginFor(l Listing, qty int64, price decimal.Decimal) (initial, maint decimal.Decimal) {
	n := qty
	if n < 0 {
		n = -n
	}
	if l.SecType == broker.Future {
		m := margins[l.Symbol]
		return decimal.NewFromInt(m[0] * n), decimal.NewFromInt(m[1] * n)
	}
	mv := price.Mul(decimal.NewFromInt(n))
	return mv.Div(decimal.NewFromInt(2)), mv.Div(decimal.NewFromInt(4))
}

// The commission rates: per contract for futures (the micros at the lower
// rate), per share for stocks with a minimum per order.
var (
	commissionFuture      = decimal.RequireFromString("2.25")
	commissionMicroFuture = decimal.RequireFromString("0.62")
	commissionShare       = decimal.RequireFromString("0.005")
	commissionMinStock    = decimal.NewFromInt(1)
)

// commissionFor is the paper broker's commission for qty of a listing:
// per contract for futures (IB's tiered rate plus exchange fees), per share
// with a minimum for stocks.
func commissionFor(l Listing, qty int64) decimal.Decimal {
	if l.SecType == broker.Future {
		per := commissionFuture
		if l.Multiplier <= 5 {
			per = commissionMicroFuture
		}
		return per.Mul(decimal.NewFromInt(qty))
	}
	c := commissionShare.Mul(decimal.NewFromInt(qty))
	if c.LessThan(commissionMinStock) {
		return commissionMinStock
	}
	return c
}
