package signals

import (
	"testing"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

// date returns a midnight-UTC date.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// calendar is the test universe's trading days: 2020-01-02 to 2023-06-30,
// so the default 2021–2022 resistance window is covered and closed.
func calendar() []time.Time { return marketdata.TradingDays(date(2020, 1, 2), date(2023, 6, 30)) }

// mkSeries builds a series on dates whose closes (and OHLC) are close(i).
func mkSeries(sym string, dates []time.Time, close func(i int) float64) marketdata.Series {
	s := marketdata.Series{Symbol: sym, Bars: make([]marketdata.Bar, len(dates))}
	for i, d := range dates {
		c := close(i)
		s.Bars[i] = marketdata.Bar{Date: d, Open: c, High: c, Low: c, Close: c, AdjClose: c, Volume: 1000}
	}
	return s
}

// flat is a close function that is always v.
func flat(v float64) func(int) float64 { return func(int) float64 { return v } }

// ramp is base up to index a, then a straight line to exactly target at
// index b, and target after: the return over [a, b] is target/base-1.
func ramp(a, b int, base, target float64) func(int) float64 {
	return func(i int) float64 {
		switch {
		case i <= a:
			return base
		case i >= b:
			return target
		}
		return base + (target-base)*float64(i-a)/float64(b-a)
	}
}

// universe is the known-answer universe on calendar(): every sector flat at
// 100, IWC flat at 100, and IWM at 100 until 63 days before the last day,
// then rising to 120 on it. Tests replace what they measure.
func universe() ([]time.Time, map[string]marketdata.Series) {
	dates := calendar()
	T := len(dates) - 1
	m := map[string]marketdata.Series{
		"IWM": mkSeries("IWM", dates, ramp(T-63, T, 100, 120)),
		"IWC": mkSeries("IWC", dates, flat(100)),
	}
	for _, s := range DefaultSectors() {
		m[s] = mkSeries(s, dates, flat(100))
	}
	return dates, m
}

// evalLast aligns series as of the last date and evaluates it cold.
func evalLast(tb testing.TB, series map[string]marketdata.Series, cfg Config, asOf time.Time) Event {
	tb.Helper()
	p, err := Align(series, cfg, asOf)
	if err != nil {
		tb.Fatalf("Align: %v", err)
	}
	ev, _, err := Evaluate(p, cfg, nil)
	if err != nil {
		tb.Fatalf("Evaluate: %v", err)
	}
	if err := ev.Validate(); err != nil {
		tb.Fatalf("Validate: %v", err)
	}
	return ev
}

// withoutBars returns s without the bars on the given dates.
func withoutBars(s marketdata.Series, drop ...time.Time) marketdata.Series {
	out := marketdata.Series{Symbol: s.Symbol}
	for _, b := range s.Bars {
		keep := true
		for _, d := range drop {
			if b.Date.Equal(d) {
				keep = false
			}
		}
		if keep {
			out.Bars = append(out.Bars, b)
		}
	}
	return out
}

// genUniverse is the generated universe with a leadership episode in 2023.
func genUniverse() map[string]marketdata.Series {
	return marketdata.Generate(marketdata.GenConfig{Seed: 7, Leadership: &marketdata.Episode{
		Start: date(2023, 3, 1), End: date(2023, 9, 1)}})
}
