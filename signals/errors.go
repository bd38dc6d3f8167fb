package signals

import (
	"errors"
	"time"
)

// Sentinel errors of the data checks, always wrapped in a *DataError that
// names the symbol and the day, so callers branch with errors.Is (a worker
// waits for data on ErrStale; it alerts on ErrGap) and people read what is
// wrong.
var (
	// ErrNoSeries: a configured symbol is not in the data at all. A sector
	// file that is forgotten must not make leadership easier, so this is an
	// error even for sectors (a sector that exists in the data but was not
	// listed yet on the day is missing, not an error).
	ErrNoSeries = errors.New("no series for the symbol")
	// ErrShortHistory: a symbol has fewer bars up to the day than a window
	// needs.
	ErrShortHistory = errors.New("too little history")
	// ErrStale: a symbol's last bar is older than MaxStaleness calendar
	// days before the day.
	ErrStale = errors.New("last bar too old")
	// ErrGap: a symbol lacks more consecutive days of the calendar, inside
	// a window it is used over, than Config.MaxGap allows to fill.
	ErrGap = errors.New("gap longer than the fill rule")
	// ErrCalendarHole: the benchmark, which sets the calendar, lacks an
	// NYSE trading day inside a window it is used over.
	ErrCalendarHole = errors.New("benchmark misses a trading day")
	// ErrBadPrice: a close is not a positive finite number, or bars are
	// not in ascending date order.
	ErrBadPrice = errors.New("bad price")
	// ErrStateGap: the previous State given to Evaluate is not the state
	// after the previous trading day of the calendar. Hysteresis counts
	// consecutive days, so missed days must be replayed (Replay), not
	// skipped.
	ErrStateGap = errors.New("previous state is not from the previous trading day")
)

// DataError says which symbol, on which as-of day, has a data problem.
type DataError struct {
	// Symbol is the symbol at fault.
	Symbol string
	// AsOf is the day being evaluated (or the as-of date asked for, when
	// the benchmark itself is short or stale); zero when not known.
	AsOf time.Time
	// Err wraps one of the sentinel errors above, with detail.
	Err error
}

// Error returns "signals: SYMBOL as of YYYY-MM-DD: message".
func (e *DataError) Error() string {
	s := "signals: " + e.Symbol
	if !e.AsOf.IsZero() {
		s += " as of " + e.AsOf.Format(time.DateOnly)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns Err, so errors.Is(err, ErrStale) and friends work.
func (e *DataError) Unwrap() error { return e.Err }
