// Package signals is the core of rotor's signal worker: it turns daily bars
// into one decision-grade event per trading day saying whether small caps
// lead the market.
//
// For an as-of day T, on daily closes (dividend-adjusted by default):
//
//   - Relative strength: the benchmark's (IWM's) return over Lookback
//     trading days, close[T]/close[T-63]-1, minus each sector fund's; the
//     benchmark beats a sector when the spread is positive, and leads when
//     it beats every sector that has data (see RelativeStrength).
//   - Micro-cap thrust: IWC's close against its lowest close of the last
//     252 trading days; a thrust is 50% or more off the low (Microcap).
//   - Resistance: the benchmark's close against the zone of its highest
//     closes in a reference window, below, inside (within a band) or above
//     (Resistance).
//   - A score in [0,1] weighing the four (ScoreParts), and a regime,
//     leadership, neutral or lagging, with hysteresis (Target and Step) so
//     that one day's wobble does not flip the book.
//
// The flow is Align (put the series on one calendar, with an explicit rule
// for missing days, see Panel) then Evaluate (one day, given the previous
// day's State), or Replay (a span of days, carrying the state). Events are
// JSON (MarshalEvent, UnmarshalEvent), validated (Event.Validate) and
// signed with an ed25519 nkey (Sign, Verify).
//
// Data rules, decided once here so that no gap is papered over silently:
//
//   - The benchmark's trading days are the calendar, and must be complete
//     against the NYSE calendar inside every window used (ErrCalendarHole).
//   - Another symbol may lack up to MaxGap (1) consecutive days of the
//     calendar inside a window; they are filled with the previous close and
//     listed in inputs.symbols[S].filled_days. Longer runs fail (ErrGap).
//   - A sector listed after the lookback's first day (XLC before
//     2018-06-19) is missing: not beaten, not in sectors_total. A sector
//     absent from the data altogether is an error (ErrNoSeries): a file
//     left out must not make leadership easier.
//   - The micro-cap is required by default: a micro-cap whose data ends
//     (IWC's OHLCV file stops on 2025-09-29) fails the day. With
//     Config.MicrocapOptional it is reported missing (no thrust, thrust
//     part 0) instead.
//   - A fixed-dates resistance window that has not closed before the day
//     would look ahead, so the zone is "unavailable" (a neutral 0.5 in the
//     score) until it has.
//
// Events are deterministic: the same closes, configuration and previous
// state give byte-identical JSON and the same id. Scaling every price
// changes the fingerprint (and so the id) but no measure, score or regime.
//
// The package is pure: no I/O, no clock, no goroutines. Reading files,
// publishing and scheduling live in marketdata, jetstream and cmd.
package signals
