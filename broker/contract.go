package broker

import (
	"fmt"
	"strconv"
	"time"
)

// SecType is the kind of security.
type SecType string

// Security types rotor trades or reads history for.
const (
	Future SecType = "FUT"
	Stock  SecType = "STK"
	Index  SecType = "IND"
)

// Contract is a concrete, tradable contract as the broker knows it.
type Contract struct {
	ConID       int64   // the broker's contract id
	Symbol      string  // the root (RTY) or ticker (IWM)
	LocalSymbol string  // the exchange's name for it (RTYZ6)
	SecType     SecType // FUT, STK or IND
	Exchange    string  // CME, SMART, ...
	Currency    string  // USD
	// Expiry is the last trade date of a future (zero for other types),
	// at midnight UTC of that calendar day.
	Expiry     time.Time
	Multiplier int64 // contract multiplier, 1 for stocks
}

// ContractMonth is the future's expiry month as YYYYMM, empty for others.
func (c Contract) ContractMonth() string {
	if c.Expiry.IsZero() {
		return ""
	}
	return c.Expiry.Format("200601")
}

// Key identifies a contract among positions and orders: the broker's id
// when there is one, else the local symbol, else root and month.
func (c Contract) Key() string {
	switch {
	case c.ConID != 0:
		return "conid:" + strconv.FormatInt(c.ConID, 10)
	case c.LocalSymbol != "":
		return "local:" + c.LocalSymbol
	}
	return "root:" + c.Symbol + ":" + c.ContractMonth()
}

// String names the contract for people: "RTYZ6 (RTY 202612, CME)".
func (c Contract) String() string {
	if c.SecType == Future {
		return fmt.Sprintf("%s (%s %s, %s)", c.LocalSymbol, c.Symbol, c.ContractMonth(), c.Exchange)
	}
	return fmt.Sprintf("%s (%s, %s)", c.Symbol, c.SecType, c.Exchange)
}
