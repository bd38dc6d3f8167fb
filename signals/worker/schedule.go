package worker

import (
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

// schedule knows when a trading day's event is due: close+delay on that
// day's date, in the exchange's time zone, on NYSE trading days only
// (marketdata.IsTradingDay: weekends, holidays and known closures never
// produce an event). Early closes are treated as regular days (see
// Config.CloseTime).
//
// Days are midnight UTC, the form marketdata and signals use for dates.
type schedule struct {
	loc   *time.Location
	close time.Duration // since local midnight
	delay time.Duration
}

// due is when day's event is computed. The close is built from its wall
// clock (time.Date), not as midnight plus a duration, so a DST change that
// night does not move it by an hour.
func (s schedule) due(day time.Time) time.Time {
	y, m, d := day.Date()
	h, rest := int(s.close/time.Hour), s.close%time.Hour
	return time.Date(y, m, d, h, 0, 0, 0, s.loc).Add(rest).Add(s.delay)
}

// dayOf is t's calendar date in the exchange's zone, as midnight UTC.
func (s schedule) dayOf(t time.Time) time.Time {
	y, m, d := t.In(s.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// latest is the latest trading day due at or before now.
func (s schedule) latest(now time.Time) time.Time {
	d := s.dayOf(now)
	for !marketdata.IsTradingDay(d) || s.due(d).After(now) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// next is the first trading day due after now, and when it is due.
func (s schedule) next(now time.Time) (day, at time.Time) {
	// Start a day early: with a long delay yesterday's run can fall after
	// midnight.
	d := s.dayOf(now).AddDate(0, 0, -1)
	for !marketdata.IsTradingDay(d) || !s.due(d).After(now) {
		d = d.AddDate(0, 0, 1)
	}
	return d, s.due(d)
}

// daysBack returns the n trading days ending at last (a trading day),
// oldest first.
func daysBack(last time.Time, n int) []time.Time {
	days := make([]time.Time, n)
	d := last
	for i := n - 1; i >= 0; d = d.AddDate(0, 0, -1) {
		if marketdata.IsTradingDay(d) {
			days[i] = d
			i--
		}
	}
	return days
}

// formatRun formats a run time for the log: "2026-11-24 16:30 EST".
func (s schedule) formatRun(t time.Time) string {
	return t.In(s.loc).Format("2006-01-02 15:04 MST")
}

// formatClock describes the daily close: "16:00 America/New_York".
func (s schedule) formatClock() string {
	return fmt.Sprintf("%02d:%02d %s", int(s.close/time.Hour), int(s.close%time.Hour/time.Minute), s.loc)
}
