package risk

import (
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // the CME clock must not depend on the host's zoneinfo

	"github.com/rotor-trading/rotor/signals/marketdata"
)

// chicago is US Central time, where the CME keeps its clock. It is loaded
// once; with time/tzdata embedded it cannot fail on any host, and if it
// somehow does the market counts as closed.
var chicago = sync.OnceValues(func() (*time.Location, error) {
	return time.LoadLocation("America/Chicago")
})

// The CME Globex equity-index session, in Central time: it opens at 17:00
// for the next trade date and stops at 16:00; 16:00-17:00 is the daily
// maintenance break.
const (
	sessionClose = 16 * time.Hour
	sessionOpen  = 17 * time.Hour
)

// MarketStatus says whether CME equity-index futures trade at t: CodeOK
// when they do, else CodeMaintenanceBreak (16:00-17:00 CT, Monday to
// Thursday), CodeMarketClosed (Friday 16:00 CT to Sunday 17:00 CT) or
// CodeHoliday, with a sentence saying why.
//
// Holidays approximate the CME calendar by the NYSE's (marketdata's
// IsTradingDay: scheduled holidays and known unscheduled closures): the
// session whose trade date is an NYSE holiday counts as closed in full, from
// 17:00 CT the evening before to 17:00 CT on the day. The CME in fact trades
// an abbreviated session on most of those days (to 12:00 CT on Thanksgiving
// or Labor Day); rotor rebalances once a day and loses nothing by waiting,
// and an approximation that errs closed cannot send an order into a session
// that is not there.
func MarketStatus(t time.Time) (Code, string) {
	loc, err := chicago()
	if err != nil {
		return CodeMarketClosed, fmt.Sprintf("the CME clock is unavailable (%v), so the market counts as closed", err)
	}
	ct := t.In(loc)
	y, m, d := ct.Date()
	clock := time.Duration(ct.Hour())*time.Hour + time.Duration(ct.Minute())*time.Minute +
		time.Duration(ct.Second())*time.Second + time.Duration(ct.Nanosecond())
	stamp := func() string { return ct.Format("Mon 2006-01-02 15:04:05 MST") } // for the reasons only
	wd := ct.Weekday()
	switch {
	case wd == time.Saturday,
		wd == time.Friday && clock >= sessionClose,
		wd == time.Sunday && clock < sessionOpen:
		return CodeMarketClosed, fmt.Sprintf("CME equity futures are closed for the weekend at %s (Friday 16:00 to Sunday 17:00 CT)", stamp())
	case clock >= sessionClose && clock < sessionOpen:
		return CodeMaintenanceBreak, fmt.Sprintf("CME equity futures are in the daily maintenance break at %s (16:00 to 17:00 CT)", stamp())
	}
	// From 17:00 the session trades for the next calendar day.
	trade := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if clock >= sessionOpen {
		trade = trade.AddDate(0, 0, 1)
	}
	if !marketdata.IsTradingDay(trade) {
		return CodeHoliday, fmt.Sprintf("the session at %s trades for %s, an exchange holiday (NYSE calendar as an approximation of CME closures)",
			stamp(), trade.Format("Mon 2006-01-02"))
	}
	return CodeOK, ""
}
