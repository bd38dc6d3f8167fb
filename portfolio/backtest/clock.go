package backtest

import (
	"sync"
	"time"
	_ "time/tzdata" // the decision time must not depend on the host's zoneinfo
)

// newYork is where the cash close that makes a daily bar final happens.
var newYork = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil { // cannot happen with time/tzdata embedded
		panic("backtest: load America/New_York: " + err.Error())
	}
	return loc
})

// DecisionHour and DecisionMinute are the New York time of each day's
// decision: a quarter of an hour after the 16:00 cash close that makes the
// day's bars final, while CME's equity-index futures still trade (to 16:00
// Chicago, 17:00 New York). That is when the signal worker's event for the
// day reaches the portfolio service (see DecisionTime).
const (
	DecisionHour   = 16
	DecisionMinute = 15
)

// DecisionTime is the moment the books decide and trade on a trading day:
// day's calendar date at DecisionHour:DecisionMinute New York time.
//
// The clock semantics of a backtest day T, and why:
//
//   - The signal is the event of T, computed from T's closes, as the
//     signal worker publishes it after the close.
//   - The books read the paper broker's account and positions, size,
//     plan and check risk at DecisionTime(T), with the reference prices the
//     service would read: the close of each contract's daily bar of T.
//   - Market orders fill at once at the paper broker's mark for T (the
//     close of the series the future tracks, on tick) plus SlippageTicks
//     ticks against the order. The service does the same against the paper
//     broker, and a real market order sent then fills near that close:
//     the futures trade for another 45 minutes. Filling at T+1's close
//     would model a service that waits a day, which rotor does not; the
//     price drift of those minutes is what the slippage stands for.
//   - Day T's net liquidation is after those fills, at T's marks.
//   - Risk's start-of-day net liquidation for T is the net liquidation
//     after T-1's fills: the CME session of trade date T opens at 17:00
//     Chicago on T-1, when the service's monitor records the marks, and the
//     daily bars do not move before T's close. The high-water mark is the
//     highest net liquidation seen at a decision.
func DecisionTime(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, DecisionHour, DecisionMinute, 0, 0, newYork())
}
