package signals

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

func TestAlignFillsOneDay(t *testing.T) {
	dates, series := universe()
	T := len(dates) - 1
	gap := dates[T-10]
	series["XLK"] = withoutBars(mkSeries("XLK", dates, func(i int) float64 { return 100 + float64(i%7) }), gap)
	p, err := Align(series, DefaultConfig(), dates[T])
	if err != nil {
		t.Fatal(err)
	}
	closes := p.Closes("XLK")
	if got, want := closes[T-10], closes[T-11]; got != want {
		t.Fatalf("XLK on %s=%v, want the previous close %v", gap.Format(time.DateOnly), got, want)
	}
	if got, want := p.Filled("XLK"), []time.Time{gap}; !slices.Equal(got, want) {
		t.Fatalf("Filled=%v, want %v", got, want)
	}
	ev, _, err := Evaluate(p, DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ev.Inputs.Symbols["XLK"].FilledDays, []string{gap.Format(time.DateOnly)}; !slices.Equal(got, want) {
		t.Fatalf("filled_days=%v, want %v", got, want)
	}
	if got := ev.Inputs.Symbols["XLB"].FilledDays; got == nil || len(got) != 0 {
		t.Fatalf("XLB filled_days=%#v, want an empty list", got)
	}
}

func TestAlignErrors(t *testing.T) {
	dates, _ := universe()
	T := len(dates) - 1
	day := func(i int) string { return dates[i].Format(time.DateOnly) }
	tests := []struct {
		name  string
		edit  func(u *testUniverse)
		asOf  time.Time
		err   error
		words []string
	}{
		{name: "benchmark too short", asOf: dates[30], err: ErrShortHistory,
			words: []string{"IWM", "64 bars needed", "found 31", day(30)}},
		{name: "benchmark stale for the as-of date", asOf: dates[T].AddDate(0, 0, 6), err: ErrStale,
			words: []string{"IWM", day(T), "6 calendar days"}},
		{name: "benchmark misses a trading day", edit: func(u *testUniverse) { u.drop("IWM", T-5) }, err: ErrCalendarHole,
			words: []string{"IWM", day(T - 5)}},
		{name: "sector gap of two days", edit: func(u *testUniverse) { u.drop("XLF", T-20, T-19) }, err: ErrGap,
			words: []string{"XLF", day(T - 20), day(T - 19), "at most 1"}},
		{name: "sector stale", edit: func(u *testUniverse) { u.cut("XLE", T-8) }, err: ErrStale,
			words: []string{"XLE", day(T - 8)}},
		{name: "sector not in the data", edit: func(u *testUniverse) { delete(u.series, "XLV") }, err: ErrNoSeries,
			words: []string{"XLV"}},
		{name: "micro-cap too short", edit: func(u *testUniverse) { u.from("IWC", T-100) }, err: ErrShortHistory,
			words: []string{"IWC", "252 days", "found 101"}},
		{name: "micro-cap ends two days early", edit: func(u *testUniverse) { u.cut("IWC", T-2) }, err: ErrGap,
			words: []string{"IWC", day(T), day(T - 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, series := universe()
			u := &testUniverse{dates: dates, series: series}
			if tt.edit != nil {
				tt.edit(u)
			}
			asOf := tt.asOf
			if asOf.IsZero() {
				asOf = dates[T]
			}
			p, err := Align(series, DefaultConfig(), asOf)
			if err == nil {
				_, _, err = Evaluate(p, DefaultConfig(), nil)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err=%v, want %v", err, tt.err)
			}
			var de *DataError
			if !errors.As(err, &de) {
				t.Fatalf("err=%T, want *DataError", err)
			}
			if !strings.HasPrefix(err.Error(), "signals: ") {
				t.Fatalf("err=%q lacks the signals: prefix", err)
			}
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("err=%q does not say %q", err, w)
				}
			}
		})
	}
}

func TestMicrocapOptional(t *testing.T) {
	dates, series := universe()
	T := len(dates) - 1
	u := &testUniverse{dates: dates, series: series}
	u.cut("IWC", T-10)
	cfg := DefaultConfig()
	cfg.MicrocapOptional = true
	ev := evalLast(t, series, cfg, dates[T])
	mc := ev.Microcap
	if !mc.Missing || mc.Thrust || mc.Low != 0 || !strings.Contains(mc.Reason, "last bar too old") {
		t.Fatalf("microcap=%+v, want missing with a reason", mc)
	}
	if _, ok := ev.Inputs.Symbols["IWC"]; ok {
		t.Fatalf("inputs.symbols lists IWC, whose closes were not used")
	}
	if got, want := ev.ScoreParts.Thrust, 0.0; got != want {
		t.Fatalf("score_parts.thrust=%v, want %v", got, want)
	}
}

func TestEvaluateNeedsPreviousDay(t *testing.T) {
	dates, series := universe()
	T := len(dates) - 1
	p, err := Align(series, DefaultConfig(), dates[T])
	if err != nil {
		t.Fatal(err)
	}
	prev := &State{AsOf: dates[T-2].Format(time.DateOnly), Regime: Neutral, Since: "2023-01-03"}
	if _, _, err := Evaluate(p, DefaultConfig(), prev); !errors.Is(err, ErrStateGap) {
		t.Fatalf("err=%v with a state from two days back, want ErrStateGap", err)
	}
	prev.AsOf = dates[T-1].Format(time.DateOnly)
	ev, next, err := Evaluate(p, DefaultConfig(), prev)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := next.AsOf, dates[T].Format(time.DateOnly); got != want {
		t.Fatalf("next.AsOf=%v, want %v", got, want)
	}
	if got, want := ev.State(), next; got != want {
		t.Fatalf("ev.State()=%+v, want %+v", got, want)
	}
	other := DefaultConfig()
	other.Lookback = 21
	if _, _, err := Evaluate(p, other, nil); err == nil {
		t.Fatalf("Evaluate with another config than Align's: no error")
	}
}

// testUniverse edits the known-answer universe.
type testUniverse struct {
	dates  []time.Time
	series map[string]marketdata.Series
}

// drop removes sym's bars on the given calendar indices.
func (u *testUniverse) drop(sym string, idx ...int) {
	var days []time.Time
	for _, i := range idx {
		days = append(days, u.dates[i])
	}
	u.series[sym] = withoutBars(u.series[sym], days...)
}

// cut ends sym's series at calendar index last.
func (u *testUniverse) cut(sym string, last int) {
	s := u.series[sym]
	s.Bars = s.Bars[:last+1]
	u.series[sym] = s
}

// from starts sym's series at calendar index first.
func (u *testUniverse) from(sym string, first int) {
	s := u.series[sym]
	s.Bars = s.Bars[first:]
	u.series[sym] = s
}
