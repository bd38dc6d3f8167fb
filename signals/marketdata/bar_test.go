package marketdata

import (
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// testSeries has Thursday 2026-01-08 to Tuesday 2026-01-13, without the
// weekend.
func testSeries() Series {
	return Series{Symbol: "IWM", Bars: []Bar{
		{Date: day(2026, 1, 8), Close: 10, AdjClose: 9},
		{Date: day(2026, 1, 9), Close: 11, AdjClose: 10},
		{Date: day(2026, 1, 12), Close: 12, AdjClose: 11},
		{Date: day(2026, 1, 13), Close: 13, AdjClose: 12},
	}}
}

func TestSeries_Last(t *testing.T) {
	if got, want := testSeries().Last().Close, 13.0; got != want {
		t.Fatalf("Last().Close=%v, want %v", got, want)
	}
	if got := (Series{}).Last(); got != (Bar{}) {
		t.Fatalf("empty Last()=%v, want the zero Bar", got)
	}
}

func TestSeries_At(t *testing.T) {
	s := testSeries()
	for _, tc := range []struct {
		day  time.Time
		ok   bool
		want float64
	}{
		{day(2026, 1, 8), true, 10},
		{day(2026, 1, 12), true, 12},
		{day(2026, 1, 13), true, 13},
		{day(2026, 1, 10), false, 0}, // Saturday
		{day(2026, 1, 7), false, 0},  // before the first bar
		{day(2026, 1, 14), false, 0}, // after the last bar
		// A time of day in another zone still means its own calendar date.
		{time.Date(2026, 1, 9, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)), true, 11},
	} {
		b, ok := s.At(tc.day)
		if ok != tc.ok || b.Close != tc.want {
			t.Fatalf("At(%v)=(%v, %v), want close %v, %v", tc.day, b.Close, ok, tc.want, tc.ok)
		}
	}
	if _, ok := (Series{}).At(day(2026, 1, 8)); ok {
		t.Fatal("empty At() found a bar")
	}
}

func TestSeries_AsOf(t *testing.T) {
	s := testSeries()
	for _, tc := range []struct {
		day  time.Time
		ok   bool
		want float64
	}{
		{day(2026, 1, 7), false, 0},
		{day(2026, 1, 8), true, 10},
		{day(2026, 1, 10), true, 11}, // Saturday: Friday's bar
		{day(2026, 1, 11), true, 11}, // Sunday: Friday's bar
		{day(2026, 1, 12), true, 12},
		{day(2026, 6, 1), true, 13}, // long after: the last bar
		{time.Date(2026, 1, 12, 8, 0, 0, 0, time.FixedZone("JST", 9*3600)), true, 12},
	} {
		b, ok := s.AsOf(tc.day)
		if ok != tc.ok || b.Close != tc.want {
			t.Fatalf("AsOf(%v)=(%v, %v), want close %v, %v", tc.day, b.Close, ok, tc.want, tc.ok)
		}
	}
	if _, ok := (Series{}).AsOf(day(2026, 1, 8)); ok {
		t.Fatal("empty AsOf() found a bar")
	}
}

func TestSeries_Closes(t *testing.T) {
	s := testSeries()
	raw, adj := s.Closes(false), s.Closes(true)
	if got, want := len(raw), 4; got != want {
		t.Fatalf("len(Closes(false))=%d, want %d", got, want)
	}
	for i, b := range s.Bars {
		if raw[i] != b.Close || adj[i] != b.AdjClose {
			t.Fatalf("Closes()[%d]=%v/%v, want %v/%v", i, raw[i], adj[i], b.Close, b.AdjClose)
		}
	}
	raw[0] = -1 // a copy: the series must not change
	if got, want := s.Bars[0].Close, 10.0; got != want {
		t.Fatalf("Closes() aliases the bars: Close=%v, want %v", got, want)
	}
}
