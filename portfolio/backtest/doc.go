// Package backtest replays daily history through the code the services
// run: the leadership signal (signals.Replay), the sleeve's sizing and plan
// (portfolio.NewTargets, portfolio.Plan), risk's checks (risk.Check, with
// the kill switch and the day's marks kept in memory as portfolio/state
// keeps them in the audit log) and the paper broker's matching engine
// (broker/ibsim's Engine, in process: fills, slippage, commissions, margin,
// quarterly listings and rolls). No sockets, no NATS, no clock, no files.
//
// Run replays one Config through three books, each its own paper account:
// the strategy (BookStrategy), buy-and-hold of the small-cap future
// (BookBuyAndHold) and the book without the signal (BookNoSignal), and
// summarises each in Stats. DecisionTime documents what happens on a day
// and when. Sweep runs a Grid of signal and leverage settings on all cores;
// WriteReport writes a self-contained HTML report.
//
// Results are deterministic: no map order reaches the output, nothing
// reads the wall clock, and json.Marshal of the same Config's Result gives
// the same bytes.
//
// Data: the signal's universe (IWM, IWC, the sector funds) plus the index
// series the paper broker marks the futures with, RUT for RTY and M2K and
// GSPC for ES and MES; Yahoo's "^RUT" and "^GSPC" names are accepted (see
// Config.Data).
//
// Speed: the signal is evaluated once per day without its SHA-256 input
// fingerprint and id (signals.ReplayTrack), which are worked out only for
// the days a book sizes; on a quiet day, when the plan would hold
// everything as it is, the books skip Plan and risk's full check (see
// book.decide) and carry the engine's values from the last trade; and when
// a float64 pre-check with bounded error can tell the day is quiet without
// sizing it (book.steady), NewTargets is skipped too. Tests hold these
// shortcuts to the exhaustive path byte for byte.
package backtest
