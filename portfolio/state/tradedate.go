package state

import (
	"sync"
	"time"
	_ "time/tzdata" // the CME clock must not depend on the host's zoneinfo
)

// chicago is US Central time, where the CME keeps its clock.
var chicago = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil { // cannot happen with time/tzdata embedded
		panic("state: load America/Chicago: " + err.Error())
	}
	return loc
})

// TradeDate is the CME trade date (YYYY-MM-DD) of the equity-index futures
// session t falls in. A session opens at 17:00 Chicago time for the next
// day, so from 17:00 the date is the next one; the weekend belongs to
// Monday's session, which opens Sunday 17:00 (Friday from 17:00, Saturday
// and Sunday all give Monday). Holidays are not skipped: a holiday's date
// only means no session reached it, and the next session starts a new day
// as it should.
func TradeDate(t time.Time) string {
	ct := t.In(chicago())
	d := time.Date(ct.Year(), ct.Month(), ct.Day(), 0, 0, 0, 0, time.UTC)
	if ct.Hour() >= 17 {
		d = d.AddDate(0, 0, 1)
	}
	switch d.Weekday() {
	case time.Saturday:
		d = d.AddDate(0, 0, 2)
	case time.Sunday:
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(time.DateOnly)
}
