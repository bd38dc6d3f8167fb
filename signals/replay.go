package signals

import (
	"errors"
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

// Replay aligns series once and evaluates every trading day of the
// benchmark from from to to (both included), carrying the regime's state
// from day to day, starting cold on the first day. It is how a worker
// catches up missed days and how a backtest sees the regimes.
//
// On an error it returns the events of the days before the failing one
// with the error, which names the day; the caller decides whether a
// partial history is of use.
func Replay(series map[string]marketdata.Series, cfg Config, from, to time.Time) ([]Event, error) {
	from, to = dayOf(from), dayOf(to)
	if to.Before(from) {
		return nil, fmt.Errorf("signals: replay: to %s is before from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	p, err := Align(series, cfg, to)
	if err != nil {
		return nil, err
	}
	start := len(p.dates)
	for i, d := range p.dates {
		if !d.Before(from) {
			start = i
			break
		}
	}
	if start == len(p.dates) {
		return nil, errors.New("signals: replay: the benchmark has no trading day from " + from.Format(time.DateOnly))
	}
	events := make([]Event, 0, len(p.dates)-start)
	var prev *State
	for t := start; t < len(p.dates); t++ {
		ev, next, err := p.evaluate(t, prev)
		if err != nil {
			return events, err
		}
		events = append(events, ev)
		prev = &next
	}
	return events, nil
}
