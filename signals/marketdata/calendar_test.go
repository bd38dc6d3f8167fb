package marketdata

import (
	"testing"
	"time"
)

func TestIsNYSEHoliday(t *testing.T) {
	for _, tc := range []struct {
		day  time.Time
		want bool
		why  string
	}{
		// 2026: every holiday of the year.
		{day(2026, 1, 1), true, "New Year's Day"},
		{day(2026, 1, 19), true, "Martin Luther King Jr. Day, third Monday of January"},
		{day(2026, 2, 16), true, "Washington's Birthday, third Monday of February"},
		{day(2026, 4, 3), true, "Good Friday (Easter 2026-04-05)"},
		{day(2026, 5, 25), true, "Memorial Day, last Monday of May"},
		{day(2026, 6, 19), true, "Juneteenth, a Friday"},
		{day(2026, 7, 3), true, "Independence Day observed: July 4 is a Saturday"},
		{day(2026, 9, 7), true, "Labor Day"},
		{day(2026, 11, 26), true, "Thanksgiving, fourth Thursday of November"},
		{day(2026, 12, 25), true, "Christmas, a Friday"},
		// 2027: the weekend observance rules.
		{day(2027, 3, 26), true, "Good Friday (Easter 2027-03-28)"},
		{day(2027, 5, 31), true, "Memorial Day in a month with five Mondays"},
		{day(2027, 6, 18), true, "Juneteenth observed: June 19 is a Saturday"},
		{day(2027, 7, 5), true, "Independence Day observed: July 4 is a Sunday"},
		{day(2027, 12, 24), true, "Christmas observed: December 25 is a Saturday"},
		{day(2027, 12, 31), false, "New Year 2028 is a Saturday and is not observed the Friday before"},
		// Earlier years.
		{day(2021, 12, 31), false, "New Year 2022 is a Saturday and is not observed the Friday before"},
		{day(2010, 12, 31), false, "New Year 2011 is a Saturday and is not observed the Friday before"},
		{day(2022, 6, 20), true, "Juneteenth observed: June 19, 2022 is a Sunday"},
		{day(2021, 6, 18), false, "Juneteenth is an NYSE holiday only from 2022"},
		{day(2022, 12, 26), true, "Christmas observed: December 25, 2022 is a Sunday"},
		{day(2023, 1, 2), true, "New Year's Day observed: January 1, 2023 is a Sunday"},
		{day(2017, 1, 2), true, "New Year's Day observed: January 1, 2017 is a Sunday"},
		{day(2024, 3, 29), true, "Good Friday in March"},
		{day(2025, 4, 18), true, "Good Friday"},
		{day(2020, 7, 3), true, "Independence Day observed: July 4, 2020 is a Saturday"},
		{day(2015, 1, 19), true, "Martin Luther King Jr. Day 2015"},
		{day(1997, 1, 20), false, "no MLK Day at the NYSE before 1998"},
		// Trading days that look like holidays.
		{day(2026, 11, 27), false, "the day after Thanksgiving closes early, but opens"},
		{day(2026, 12, 24), false, "Christmas Eve closes early, but opens"},
		{day(2026, 4, 6), false, "Easter Monday"},
		{day(2026, 10, 12), false, "Columbus Day: bond market only"},
		{day(2026, 11, 11), false, "Veterans Day: bond market only"},
		{day(2026, 1, 2), false, "the day after New Year's Day"},
		{day(2026, 1, 12), false, "second Monday of January"},
		{day(2026, 5, 18), false, "the Monday before Memorial Day"},
		// A weekend day is never the holiday; the observed weekday is.
		{day(2026, 7, 4), false, "a Saturday"},
		{day(2022, 6, 19), false, "a Sunday"},
	} {
		if got := IsNYSEHoliday(tc.day); got != tc.want {
			t.Fatalf("IsNYSEHoliday(%s)=%v, want %v: %s", tc.day.Format(time.DateOnly), got, tc.want, tc.why)
		}
	}
}

func TestIsNYSEHoliday_OtherZone(t *testing.T) {
	// Thanksgiving evening in New York is still Thanksgiving.
	ny := time.FixedZone("EST", -5*3600)
	if got, want := IsNYSEHoliday(time.Date(2026, 11, 26, 20, 0, 0, 0, ny)), true; got != want {
		t.Fatalf("IsNYSEHoliday(Thanksgiving 20:00 EST)=%v, want %v", got, want)
	}
}

func TestEaster(t *testing.T) {
	for _, tc := range []struct {
		year  int
		month time.Month
		day   int
	}{
		{1818, time.March, 22}, // the earliest possible
		{1943, time.April, 25}, // the latest possible
		{2000, time.April, 23},
		{2008, time.March, 23},
		{2019, time.April, 21},
		{2024, time.March, 31},
		{2025, time.April, 20},
		{2026, time.April, 5},
		{2027, time.March, 28},
		{2038, time.April, 25},
	} {
		m, d := easter(tc.year)
		if m != tc.month || d != tc.day {
			t.Fatalf("easter(%d)=%v %d, want %v %d", tc.year, m, d, tc.month, tc.day)
		}
	}
}

func TestIsTradingDay(t *testing.T) {
	for _, tc := range []struct {
		day  time.Time
		want bool
	}{
		{day(2026, 1, 2), true},
		{day(2026, 1, 3), false},   // Saturday
		{day(2026, 1, 4), false},   // Sunday
		{day(2026, 11, 26), false}, // Thanksgiving
		{day(2018, 12, 5), false},  // day of mourning, President G. H. W. Bush
		{day(2025, 1, 9), false},   // day of mourning, President Carter
		{day(2012, 10, 29), false}, // Hurricane Sandy
		{day(2012, 10, 31), true},
	} {
		if got := IsTradingDay(tc.day); got != tc.want {
			t.Fatalf("IsTradingDay(%s)=%v, want %v", tc.day.Format(time.DateOnly), got, tc.want)
		}
	}
}

func TestTradingDays(t *testing.T) {
	// Thanksgiving week 2026.
	got := TradingDays(day(2026, 11, 22), time.Date(2026, 11, 30, 15, 0, 0, 0, time.FixedZone("EST", -5*3600)))
	want := []time.Time{day(2026, 11, 23), day(2026, 11, 24), day(2026, 11, 25), day(2026, 11, 27), day(2026, 11, 30)}
	if len(got) != len(want) {
		t.Fatalf("TradingDays(Thanksgiving week)=%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TradingDays(Thanksgiving week)[%d]=%v, want %v", i, got[i], want[i])
		}
	}
	if got := TradingDays(day(2026, 1, 5), day(2026, 1, 2)); got != nil {
		t.Fatalf("TradingDays(end before start)=%v, want nil", got)
	}
	if got, want := len(TradingDays(day(2026, 1, 3), day(2026, 1, 4))), 0; got != want {
		t.Fatalf("len(TradingDays(a weekend))=%d, want %d", got, want)
	}
}

func TestTradingDays_YearCounts(t *testing.T) {
	// The NYSE's published number of trading days per year.
	for year, want := range map[int]int{
		2012: 250, // Hurricane Sandy
		2015: 252, 2016: 252, 2017: 251, 2018: 251, 2019: 252, 2020: 253,
		2021: 252, 2022: 251, 2023: 250, 2024: 252, 2025: 250, 2026: 251,
	} {
		if got := len(TradingDays(day(year, 1, 1), day(year, 12, 31))); got != want {
			t.Fatalf("len(TradingDays(%d))=%d, want %d", year, got, want)
		}
	}
}
