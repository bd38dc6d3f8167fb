package marketdata

import "time"

// IsNYSEHoliday reports whether day (its calendar date, in its own
// location) is a scheduled NYSE full-day holiday, under the rules in force
// since 1998 (when the exchange added Martin Luther King Jr. Day):
//
//   - New Year's Day, January 1 (Sunday → Monday; Saturday → not observed)
//   - Martin Luther King Jr. Day, third Monday of January
//   - Washington's Birthday (Presidents' Day), third Monday of February
//   - Good Friday, two days before Western Easter
//   - Memorial Day, last Monday of May
//   - Juneteenth, June 19, from 2022
//   - Independence Day, July 4
//   - Labor Day, first Monday of September
//   - Thanksgiving, fourth Thursday of November
//   - Christmas, December 25
//
// Fixed-date holidays on a Saturday are observed the Friday before and on a
// Sunday the Monday after (NYSE Rule 7.2), except New Year's Day: the rule
// does not close the Friday before when that Friday ends a yearly accounting
// period, so a December 31 before a Saturday New Year's Day (2010-12-31,
// 2021-12-31, 2027-12-31) is a trading day. Early closes (1 p.m.) are
// trading days. Unscheduled closures (days of mourning, storms) are not
// holidays; IsTradingDay knows the recent ones. A weekend day is never a
// holiday: the observed weekday is.
func IsNYSEHoliday(day time.Time) bool {
	y, m, d := day.Date()
	wd := day.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return false
	}
	switch m {
	case time.January:
		// New Year's Day, or the Monday after a Sunday one. A Saturday one
		// is not moved back into the old year.
		if d == 1 || (d == 2 && wd == time.Monday) {
			return true
		}
		return y >= 1998 && wd == time.Monday && nthWeekday(d) == 3
	case time.February:
		return wd == time.Monday && nthWeekday(d) == 3
	case time.March, time.April:
		em, ed := easter(y)
		gf := time.Date(y, em, ed-2, 0, 0, 0, 0, time.UTC)
		return m == gf.Month() && d == gf.Day()
	case time.May:
		return wd == time.Monday && d+7 > 31 // the last Monday
	case time.June:
		return y >= 2022 && isObserved(y, time.June, 19, m, d)
	case time.July:
		return isObserved(y, time.July, 4, m, d)
	case time.September:
		return wd == time.Monday && nthWeekday(d) == 1
	case time.November:
		return wd == time.Thursday && nthWeekday(d) == 4
	case time.December:
		return isObserved(y, time.December, 25, m, d)
	}
	return false
}

// isUnscheduledClosure reports whether day (midnight UTC) is one of the
// days since 2001 the NYSE closed for a full day outside its holiday
// schedule. New ones are announced days ahead at most: add them here.
func isUnscheduledClosure(day time.Time) bool {
	y, m, d := day.Date()
	switch {
	case y == 2001 && m == time.September && d >= 11 && d <= 14: // September 11
		return true
	case y == 2004 && m == time.June && d == 11: // President Reagan's funeral
		return true
	case y == 2007 && m == time.January && d == 2: // President Ford's day of mourning
		return true
	case y == 2012 && m == time.October && (d == 29 || d == 30): // Hurricane Sandy
		return true
	case y == 2018 && m == time.December && d == 5: // President G. H. W. Bush's day of mourning
		return true
	case y == 2025 && m == time.January && d == 9: // President Carter's day of mourning
		return true
	}
	return false
}

// IsTradingDay reports whether the NYSE is open on day (its calendar date,
// in its own location): a weekday that is neither a holiday (IsNYSEHoliday)
// nor one of the known unscheduled closures since 2001 (September 11, 2001,
// Hurricane Sandy, national days of mourning).
func IsTradingDay(day time.Time) bool {
	wd := day.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !IsNYSEHoliday(day) && !isUnscheduledClosure(dayOf(day))
}

// TradingDays returns the NYSE trading days from start to end, both
// included, as midnight UTC, oldest first. It returns nil if end is before
// start.
func TradingDays(start, end time.Time) []time.Time {
	start, end = dayOf(start), dayOf(end)
	var out []time.Time
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		if IsTradingDay(d) {
			out = append(out, d)
		}
	}
	return out
}

// nthWeekday says which occurrence of its weekday in the month day d of a
// month is: 1 for days 1-7, 2 for 8-14, ...
func nthWeekday(d int) int { return (d-1)/7 + 1 }

// isObserved reports whether (m, d) of year y is the day the fixed holiday
// hm/hd is observed: the day itself on a weekday, the Friday before when it
// falls on a Saturday, the Monday after when it falls on a Sunday. The
// Friday before can fall in the previous month (July 4 on a Saturday is
// observed July 3; no such holiday crosses a year in this calendar, since
// New Year's Day is handled on its own).
func isObserved(y int, hm time.Month, hd int, m time.Month, d int) bool {
	h := time.Date(y, hm, hd, 0, 0, 0, 0, time.UTC)
	switch h.Weekday() {
	case time.Saturday:
		h = h.AddDate(0, 0, -1)
	case time.Sunday:
		h = h.AddDate(0, 0, 1)
	}
	return h.Month() == m && h.Day() == d
}

// easter returns the date of Western (Gregorian) Easter Sunday in year y,
// by the anonymous Gregorian computus (Meeus/Jones/Butcher).
func easter(y int) (time.Month, int) {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Month(month), day
}
