package broker

import (
	"fmt"
	"sort"
	"time"
)

// quarterCodes are the CME month codes of the quarterly cycle.
var quarterCodes = map[time.Month]byte{time.March: 'H', time.June: 'M', time.September: 'U', time.December: 'Z'}

// ThirdFriday returns the third Friday of a month, midnight UTC: the last
// trade date of the quarterly equity index futures.
func ThirdFriday(year int, month time.Month) time.Time {
	first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	offset := (int(time.Friday) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, offset+14)
}

// QuarterlyExpiries returns the next n quarterly last trade dates (H M U Z)
// whose day is on or after from's calendar day.
func QuarterlyExpiries(from time.Time, n int) []time.Time {
	day := civil(from)
	y, m := day.Year(), day.Month()
	m = time.Month((int(m)-1)/3*3 + 3) // the quarter month of from's quarter
	var out []time.Time
	for len(out) < n {
		if e := ThirdFriday(y, m); !e.Before(day) {
			out = append(out, e)
		}
		m += 3
		if m > 12 {
			m -= 12
			y++
		}
	}
	return out
}

// LocalSymbol returns the CME local symbol of a quarterly future:
// root, month code, last digit of the year (RTYZ6).
func LocalSymbol(root string, expiry time.Time) string {
	code, ok := quarterCodes[expiry.Month()]
	if !ok {
		code = '?'
	}
	return fmt.Sprintf("%s%c%d", root, code, expiry.Year()%10)
}

// AddBusinessDays moves d by n weekdays (n may be negative). Exchange
// holidays are not counted out: the roll window is a few days wide and a
// holiday at worst rolls one day early.
func AddBusinessDays(d time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d
}

// SelectFuture picks, among the listed contracts of one root, the one to
// hold on asOf: the nearest expiry whose roll date (rollDays business days
// before its last trade date) is still after asOf's calendar day. It fails
// with ErrNoSecurityDefinition when none qualifies.
func SelectFuture(listed []Contract, asOf time.Time, rollDays int) (Contract, error) {
	if rollDays < 0 {
		return Contract{}, fmt.Errorf("broker: roll days %d, want >= 0", rollDays)
	}
	sorted := append([]Contract(nil), listed...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Expiry.Before(sorted[j].Expiry) })
	day := civil(asOf)
	for _, c := range sorted {
		if c.Expiry.IsZero() {
			continue
		}
		if AddBusinessDays(c.Expiry, -rollDays).After(day) {
			return c, nil
		}
	}
	return Contract{}, fmt.Errorf("%w: no listed contract expires more than %d business days after %s (%d listed)",
		ErrNoSecurityDefinition, rollDays, day.Format(time.DateOnly), len(listed))
}

// civil returns t's calendar day at midnight UTC.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
