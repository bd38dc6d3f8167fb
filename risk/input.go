package risk

import (
	"strconv"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// Input is everything Check looks at. Check reads nothing else: not the
// wall clock, not the broker, not the environment.
type Input struct {
	// Now is the time of the decision; the trading window and every age
	// are measured from it.
	Now    time.Time
	Limits Limits
	// Account supplies net liquidation and the current initial margin.
	Account broker.Account
	// Positions are all of the account's positions, rotor's and other
	// strategies' alike: every limit counts the whole account. Futures
	// (SecType FUT, or unset) count towards leverage, instrument and
	// margin limits; other security types are not futures notional and
	// are left out of leverage.
	Positions []broker.Position
	// Orders is the proposed plan, at most one order per contract, listed
	// by priority: when a limit leaves room for only part of the plan, the
	// earlier order gets it (see doc.go).
	Orders []broker.OrderRequest
	// Prices are the reference prices, per contract (ConID) or per root.
	// Every order and every futures position needs one.
	Prices []Price
	// InitialMargin is the initial margin of one contract, by root. An
	// order that adds contracts in a root missing here is rejected.
	InitialMargin map[string]decimal.Decimal
	// EventTime is the signal event's as-of (or receipt) time. The zero
	// time counts as stale: an operator's plan passes Now.
	EventTime time.Time
	// RecentOrders are the times of the orders sent in the last minute or
	// so, for MaxOrdersPerMinute.
	RecentOrders []time.Time
	// Blocked maps a futures root to the reason it is blocked: the
	// account's position in it differs from what rotor's audit log
	// expects, and stays blocked until an operator acknowledges it (rotor
	// risk ack). Every order in a blocked root is rejected, reducing ones
	// too: with rotor's idea of the position wrong, a "reducing" order
	// might add.
	Blocked map[string]string
	// KillSwitch is the persisted kill switch as the caller read it.
	KillSwitch KillSwitch
	// DayStartNLV is net liquidation at the start of the trading day.
	DayStartNLV decimal.Decimal
	// HighWaterMark is the highest net liquidation recorded; when it is
	// below the current net liquidation the current one is the mark.
	HighWaterMark decimal.Decimal
}

// Price is a reference price and the time it was observed. It applies to
// the contract with ConID when ConID is set, else to every contract of Root;
// a ConID price wins over a root price.
type Price struct {
	ConID int64           `json:"con_id,omitempty"`
	Root  string          `json:"root,omitempty"`
	Value decimal.Decimal `json:"value"`
	Time  time.Time       `json:"time"`
}

// priceIndex finds the reference price of a contract.
type priceIndex struct {
	byConID map[int64]Price
	byRoot  map[string]Price
}

// newPriceIndex indexes prices; for a key given twice the newest wins, and
// of two equally new the first. Without prices the maps stay nil, which
// look up as empty.
func newPriceIndex(prices []Price) priceIndex {
	var ix priceIndex
	if len(prices) > 0 {
		ix = priceIndex{byConID: map[int64]Price{}, byRoot: map[string]Price{}}
	}
	for _, p := range prices {
		if p.ConID != 0 {
			if old, ok := ix.byConID[p.ConID]; !ok || p.Time.After(old.Time) {
				ix.byConID[p.ConID] = p
			}
		} else if p.Root != "" {
			if old, ok := ix.byRoot[p.Root]; !ok || p.Time.After(old.Time) {
				ix.byRoot[p.Root] = p
			}
		}
	}
	return ix
}

// lookup returns the reference price of c: by ConID, else by root.
func (ix priceIndex) lookup(c broker.Contract) (Price, bool) {
	if c.ConID != 0 {
		if p, ok := ix.byConID[c.ConID]; ok {
			return p, true
		}
	}
	p, ok := ix.byRoot[c.Symbol]
	return p, ok
}

// contractName names a contract for a trader: RTYZ6, or the root.
func contractName(c broker.Contract) string {
	if c.LocalSymbol != "" {
		return c.LocalSymbol
	}
	if c.Symbol != "" {
		return c.Symbol
	}
	return "conid " + strconv.FormatInt(c.ConID, 10)
}

// multiplier returns the contract's multiplier, from the broker's contract
// or else from rotor's instrument table; 0 when neither knows it.
func multiplier(c broker.Contract) int64 {
	if c.Multiplier > 0 {
		return c.Multiplier
	}
	if in, err := broker.LookupInstrument(c.Symbol); err == nil {
		return in.Multiplier
	}
	return 0
}

// isFuture reports whether a position counts as futures exposure. An
// unset SecType counts: leaving real exposure out is the worse mistake.
func isFuture(c broker.Contract) bool {
	return c.SecType == broker.Future || c.SecType == ""
}

// age is how far t is from now, either way: a timestamp from the future
// is as suspect as an old one.
func age(now, t time.Time) time.Duration {
	d := now.Sub(t)
	if d < 0 {
		return -d
	}
	return d
}
