package signals

import (
	"errors"
	"fmt"
	"sync"
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
	p, start, err := replayPanel(series, cfg, from, to)
	if err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(p.dates)-start)
	var prev *State
	for t := start; t < len(p.dates); t++ {
		ev, next, err := p.evaluate(t, prev, true)
		if err != nil {
			return events, err
		}
		events = append(events, ev)
		prev = &next
	}
	return events, nil
}

// replayPanel aligns series up to to and returns the panel with the index
// of its first trading day from from.
func replayPanel(series map[string]marketdata.Series, cfg Config, from, to time.Time) (*Panel, int, error) {
	from, to = dayOf(from), dayOf(to)
	if to.Before(from) {
		return nil, 0, fmt.Errorf("signals: replay: to %s is before from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	p, err := Align(series, cfg, to)
	if err != nil {
		return nil, 0, err
	}
	for i, d := range p.dates {
		if !d.Before(from) {
			return &p, i, nil
		}
	}
	return nil, 0, errors.New("signals: replay: the benchmark has no trading day from " + from.Format(time.DateOnly))
}

// Track is a replay whose events are identified on demand: its Events are
// Replay's without the id and the record of the inputs (Inputs.Symbols and
// Inputs.Fingerprint), which are most of the cost of a day and which a
// backtest needs only on the days it trades; ID works out an event's id.
type Track struct {
	// Events are the events of every trading day from from to to.
	Events []Event

	p      *Panel
	start  int
	states []State // states[k] is the state after Events[k]
	ids    []lazyID
}

type lazyID struct {
	once sync.Once
	id   string
	err  error
}

// ReplayTrack is Replay with the events identified on demand (see Track).
// On an error it returns the error alone.
func ReplayTrack(series map[string]marketdata.Series, cfg Config, from, to time.Time) (*Track, error) {
	p, start, err := replayPanel(series, cfg, from, to)
	if err != nil {
		return nil, err
	}
	n := len(p.dates) - start
	tr := &Track{Events: make([]Event, 0, n), p: p, start: start, states: make([]State, 0, n), ids: make([]lazyID, n)}
	var prev *State
	for t := start; t < len(p.dates); t++ {
		ev, next, err := p.evaluate(t, prev, false)
		if err != nil {
			return nil, err
		}
		tr.Events = append(tr.Events, ev)
		tr.states = append(tr.states, next)
		prev = &tr.states[len(tr.states)-1]
	}
	return tr, nil
}

// ID is the id Replay gives Events[k]: the day evaluated again, in full,
// from the same state, once. It is safe for concurrent use.
func (tr *Track) ID(k int) (string, error) {
	l := &tr.ids[k]
	l.once.Do(func() {
		var prev *State
		if k > 0 {
			prev = &tr.states[k-1]
		}
		var ev Event
		ev, _, l.err = tr.p.evaluate(tr.start+k, prev, true)
		l.id = ev.ID
	})
	return l.id, l.err
}
