package marketdata

import (
	"slices"
	"time"
)

// Bar is one trading day of a symbol.
type Bar struct {
	// Date is the trading day, at midnight UTC.
	Date time.Time
	// Open, High, Low and Close are traded prices, split-adjusted but not
	// dividend-adjusted (the way Yahoo shows them).
	Open, High, Low, Close float64
	// AdjClose is the close adjusted for splits and dividends. It equals
	// Close when the source has no adjusted close (indices, generated data).
	AdjClose float64
	// Volume is the number of shares (or contracts) traded; 0 when the
	// source leaves it blank, as it does for indices.
	Volume float64
}

// Series is the daily history of one symbol, oldest bar first, one bar per
// trading day, no two bars on the same day. ReadCSV and Generate only
// return series that hold to this; the search methods rely on it.
type Series struct {
	// Symbol names the instrument, e.g. "IWM" or "RUT" (for ^RUT).
	Symbol string
	// Bars are in strictly ascending Date order.
	Bars []Bar
}

// Last returns the newest bar, or the zero Bar if the series is empty.
func (s Series) Last() Bar {
	if len(s.Bars) == 0 {
		return Bar{}
	}
	return s.Bars[len(s.Bars)-1]
}

// At returns the bar of exactly the given day. Only day's calendar date (in
// day's own location) counts, so a time of day or a time zone does not move
// the lookup to another day.
func (s Series) At(day time.Time) (Bar, bool) {
	i, found := s.search(dayOf(day))
	if !found {
		return Bar{}, false
	}
	return s.Bars[i], true
}

// AsOf returns the latest bar on or before day: what was known at that day's
// close. It reports false when the series starts after day.
func (s Series) AsOf(day time.Time) (Bar, bool) {
	i, found := s.search(dayOf(day))
	if found {
		return s.Bars[i], true
	}
	if i == 0 {
		return Bar{}, false
	}
	return s.Bars[i-1], true
}

// Closes returns a new slice with every close, oldest first: the adjusted
// closes when adjusted is true (what return-based signals want), the traded
// closes otherwise.
func (s Series) Closes(adjusted bool) []float64 {
	out := make([]float64, len(s.Bars))
	for i, b := range s.Bars {
		if adjusted {
			out[i] = b.AdjClose
		} else {
			out[i] = b.Close
		}
	}
	return out
}

// search finds day among the bars: its index and true, or the index at
// which it would be inserted and false.
func (s Series) search(day time.Time) (int, bool) {
	return slices.BinarySearchFunc(s.Bars, day, func(b Bar, d time.Time) int {
		return b.Date.Compare(d)
	})
}

// dayOf returns t's calendar date (in t's location) at midnight UTC, the
// form every Date in this package has.
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
