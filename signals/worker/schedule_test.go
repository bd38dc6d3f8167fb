package worker

import (
	"slices"
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	loc, err := time.LoadLocation(DefaultLocation)
	if err != nil {
		t.Fatal(err)
	}
	s := schedule{loc: loc, close: DefaultCloseTime, delay: DefaultDelay}
	at := func(v string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", v, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		now          string
		latest, next string // days
		nextAt       string // New York wall clock
	}{
		{"2026-11-24 16:29", "2026-11-23", "2026-11-24", "2026-11-24 16:30"},
		{"2026-11-24 16:30", "2026-11-24", "2026-11-25", "2026-11-25 16:30"},
		// Thanksgiving: the Wednesday is followed by Friday (an early close,
		// run at the regular time).
		{"2026-11-25 20:00", "2026-11-25", "2026-11-27", "2026-11-27 16:30"},
		{"2026-11-26 17:00", "2026-11-25", "2026-11-27", "2026-11-27 16:30"},
		// A weekend.
		{"2026-11-28 12:00", "2026-11-27", "2026-11-30", "2026-11-30 16:30"},
		// Fall back (2026-11-01) and spring forward (2026-03-08).
		{"2026-10-31 12:00", "2026-10-30", "2026-11-02", "2026-11-02 16:30"},
		{"2026-03-07 12:00", "2026-03-06", "2026-03-09", "2026-03-09 16:30"},
		// Past midnight New York time, still the previous day's evening in
		// UTC terms or not: the date is New York's.
		{"2026-11-25 00:10", "2026-11-24", "2026-11-25", "2026-11-25 16:30"},
		// Good Friday 2026-04-03.
		{"2026-04-03 17:00", "2026-04-02", "2026-04-06", "2026-04-06 16:30"},
	}
	for _, tt := range tests {
		now := at(tt.now)
		if got := s.latest(now).Format(time.DateOnly); got != tt.latest {
			t.Errorf("latest(%s) = %s, want %s", tt.now, got, tt.latest)
		}
		day, next := s.next(now)
		if got := day.Format(time.DateOnly); got != tt.next {
			t.Errorf("next(%s) day = %s, want %s", tt.now, got, tt.next)
		}
		if want := at(tt.nextAt); !next.Equal(want) {
			t.Errorf("next(%s) at %v, want %v", tt.now, next, want)
		}
	}
	// The same wall-clock close is 20:30 UTC on daylight time, 21:30 on
	// standard time.
	if got := s.due(time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)).UTC().Hour(); got != 20 {
		t.Errorf("due(2026-10-30) is %d:30 UTC, want 20:30", got)
	}
	if got := s.due(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)).UTC().Hour(); got != 21 {
		t.Errorf("due(2026-11-02) is %d:30 UTC, want 21:30", got)
	}
	if got, want := s.formatRun(at("2026-11-24 16:30")), "2026-11-24 16:30 EST"; got != want {
		t.Errorf("formatRun = %q, want %q", got, want)
	}
	days := daysBack(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 4)
	var got []string
	for _, d := range days {
		got = append(got, d.Format(time.DateOnly))
	}
	if want := []string{"2026-11-24", "2026-11-25", "2026-11-27", "2026-11-30"}; !slices.Equal(got, want) {
		t.Errorf("daysBack = %v, want %v", got, want)
	}
}
