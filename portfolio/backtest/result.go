package backtest

import (
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
)

// The books every backtest runs, by Book.Name.
const (
	// BookStrategy is the sleeve following the signal: what the services
	// would have done.
	BookStrategy = "strategy"
	// BookBuyAndHold holds the sleeve's leadership exposure all the time
	// (NLV × share × leadership leverage in RTY and M2K, no volatility
	// targeting, no short leg), rebalanced by the same drift band and
	// rolled like the strategy: buy-and-hold of the small-cap future at the
	// leverage the strategy reaches for.
	BookBuyAndHold = "buy_and_hold"
	// BookNoSignal is the sleeve as configured (volatility targeting and
	// short leg included) at its neutral leverage whatever the regime:
	// the book without the signal's view.
	BookNoSignal = "no_signal"
)

// Result is a backtest: the strategy and its two baselines, each replayed
// day by day through the same paper broker, sizing and risk code.
// json.Marshal of a Result is deterministic: the same Config gives the same
// bytes.
type Result struct {
	// From and To are the first and last trading days replayed.
	From string `json:"from"`
	To   string `json:"to"`
	// SignalFrom is the first day the signal was evaluated (the warm-up's
	// first day; From when there was none).
	SignalFrom string `json:"signal_from"`
	// Days is how many trading days were replayed.
	Days int `json:"days"`
	// Books are the strategy, buy-and-hold and the book without the
	// signal, in that order.
	Books []Book `json:"books"`
	// Settings records what the run depended on besides the data.
	Settings Settings `json:"settings"`
}

// Book returns the book with the given name (BookStrategy, ...).
func (r Result) Book(name string) (Book, bool) {
	for _, b := range r.Books {
		if b.Name == name {
			return b, true
		}
	}
	return Book{}, false
}

// Settings are the run's settings, for the record.
type Settings struct {
	Signals         signals.Config         `json:"signals"`
	Sleeve          portfolio.SleeveConfig `json:"sleeve"`
	Limits          risk.Limits            `json:"limits"`
	StartingCash    decimal.Decimal        `json:"starting_cash"`
	SlippageTicks   int64                  `json:"slippage_ticks"`
	Warmup          int                    `json:"warmup"`
	KillSwitchReset int                    `json:"kill_switch_reset"`
	Account         string                 `json:"account"`
	DecisionTime    string                 `json:"decision_time"`
}

// Book is one book's replay: its stats, every day and every fill.
type Book struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Stats       Stats  `json:"stats"`
	// Days has one record per trading day replayed, oldest first.
	Days []Day `json:"days"`
	// Fills are the paper broker's executions, oldest first.
	Fills []Fill `json:"fills"`
	// Notes are what a reviewer should know: risk cuts and rejections,
	// broker rejections, kill switch trips and resets, oldest first.
	Notes []Note `json:"notes"`
}

// Day is one trading day of a book, after its decision and fills.
type Day struct {
	Date string `json:"date"`
	// Regime and Score are the signal's on the day. Only the strategy
	// sizes by them; the baselines ignore the regime (see BookBuyAndHold
	// and BookNoSignal).
	Regime signals.Regime `json:"regime"`
	Score  float64        `json:"score"`
	// SmallCap is the small-cap index's close (RUT), what the futures of
	// the long leg track.
	SmallCap float64 `json:"small_cap"`
	// NLV is net liquidation after the day's fills, at the day's marks.
	NLV decimal.Decimal `json:"nlv"`
	// Exposure is the signed futures notional held at the day's marks.
	Exposure decimal.Decimal `json:"exposure"`
	// Positions are the contracts held after the day's fills, by contract
	// id.
	Positions []Holding `json:"positions"`
	// Orders is how many orders were placed, Fills how many executions
	// they had, Rejected how many planned orders risk or the broker
	// refused.
	Orders   int `json:"orders"`
	Fills    int `json:"fills"`
	Rejected int `json:"rejected"`
	// Commissions and Traded are the day's commissions and traded
	// notional (price × multiplier × contracts, unsigned), USD.
	Commissions decimal.Decimal `json:"commissions"`
	Traded      decimal.Decimal `json:"traded"`
	// KillSwitch says the kill switch was tripped after the day's decision.
	KillSwitch bool `json:"kill_switch"`
}

// Holding is a position in one contract.
type Holding struct {
	Contract string          `json:"contract"` // local symbol, RTYZ6
	Root     string          `json:"root"`
	Expiry   string          `json:"expiry"`
	Quantity int64           `json:"quantity"`
	Mark     decimal.Decimal `json:"mark"`
}

// Fill is one execution at the paper broker.
type Fill struct {
	Date       string          `json:"date"`
	Contract   string          `json:"contract"`
	Root       string          `json:"root"`
	Side       string          `json:"side"` // BOT or SLD
	Quantity   int64           `json:"quantity"`
	Price      decimal.Decimal `json:"price"`
	Commission decimal.Decimal `json:"commission"`
	// Ref is the plan's order reference; Leg and RollID say what the
	// order was for (a roll's two legs share the RollID).
	Ref    string `json:"ref"`
	Leg    string `json:"leg"`
	RollID string `json:"roll_id,omitempty"`
}

// Note is something a reviewer should know about a day.
type Note struct {
	Date string `json:"date"`
	// Kind is a risk code (SCALE or REJECT verdicts: "risk:MARGIN"),
	// "broker" for a paper broker rejection, "kill_switch_trip" or
	// "kill_switch_reset".
	Kind    string `json:"kind"`
	Message string `json:"message"`
}
