package signals

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

// Panel is the universe of one configuration aligned on a common trading
// calendar: the benchmark's trading days up to an as-of date. Align builds
// it; Evaluate reads it. It is immutable once built and safe to share.
//
// The alignment rule, for every symbol but the benchmark:
//
//   - A calendar day before the symbol's first bar has no value: the symbol
//     was not listed yet (a sector like that is missing, see Evaluate).
//   - A calendar day the symbol lacks after its first bar is a gap. Up to
//     Config.MaxGap consecutive gap days are filled with the previous close,
//     and every filled day used is listed in the event
//     (inputs.symbols[S].filled_days). A longer run has no value, and
//     evaluating a day whose windows include it fails with ErrGap, naming
//     the symbol and the run's dates. Data is never shifted to another day.
//   - A bar on a day that is not on the calendar (a weekend print) is not
//     used.
//
// The benchmark defines the calendar, so it cannot have gaps; instead it is
// checked against the NYSE calendar (marketdata.IsTradingDay), and a window
// that misses an NYSE trading day fails with ErrCalendarHole.
type Panel struct {
	cfg     Config // canonical
	cfgJSON []byte // canonical JSON of cfg
	asOf    time.Time
	dates   []time.Time
	days    []string // dates as YYYY-MM-DD, formatted once
	// holes[i] is the number of NYSE trading days strictly between
	// dates[i-1] and dates[i] (or, for i = 0, 0); holeCount is its prefix
	// count of non-zero entries: holeCount[i+1] = #{j ≤ i: holes[j] > 0}.
	holes     []int32
	holeCount []int32
	bench     *column
	micro     *column
	sectors   []*column // sorted by symbol
	// zone caches the resistance zone of a fixed (dates mode) window.
	fixedZone *zoneWindow
}

// column is one symbol's closes on the panel's calendar.
type column struct {
	symbol  string
	present bool      // the symbol is in the data at all
	closes  []float64 // NaN where there is no value
	// lastReal[i] is the index of the symbol's last own bar on or before
	// day i, or -1.
	lastReal  []int32
	firstReal int       // index of the first own bar, or -1
	filled    []int32   // indices of filled days, ascending
	badCount  []int32   // prefix count of unfilled gap days after firstReal
	enc       []byte    // fingerprint rows, encRow bytes per day
	firstBar  time.Time // the series' first bar (for messages)
	lastBar   time.Time // the series' last bar on or before the as-of date
}

// encRow is the size of one fingerprint row: the date as a big-endian
// uint32 YYYYMMDD, the close's IEEE-754 bits big-endian, and a flag byte
// (0 own bar, 1 filled, 2 no value).
const encRow = 13

// Align aligns the configured symbols of series on the benchmark's trading
// days up to asOf (see Panel for the rule). It fails when cfg is invalid,
// when the benchmark or another configured symbol is not in series
// (ErrNoSeries), when the benchmark has no bar on or before asOf
// (ErrShortHistory) or its last one is more than MaxStaleness calendar days
// before asOf (ErrStale), or when a close is not a positive finite number
// (ErrBadPrice). Problems that depend on the windows of a day (too little
// history, gaps, stale sectors) are reported by Evaluate for that day.
func Align(series map[string]marketdata.Series, cfg Config, asOf time.Time) (Panel, error) {
	if err := cfg.Validate(); err != nil {
		return Panel{}, err
	}
	cfg = cfg.canonical()
	asOf = dayOf(asOf)
	b, ok := series[cfg.Benchmark]
	if !ok {
		return Panel{}, &DataError{Symbol: cfg.Benchmark, Err: fmt.Errorf("%w (the benchmark)", ErrNoSeries)}
	}
	n, _ := slices.BinarySearchFunc(b.Bars, asOf.AddDate(0, 0, 1), func(b marketdata.Bar, d time.Time) int {
		return b.Date.Compare(d)
	})
	if n == 0 {
		return Panel{}, &DataError{Symbol: cfg.Benchmark, AsOf: asOf,
			Err: fmt.Errorf("%w: no bar on or before the as-of date", ErrShortHistory)}
	}
	last := b.Bars[n-1].Date
	if age := daysBetween(last, asOf); age > cfg.MaxStaleness {
		return Panel{}, &DataError{Symbol: cfg.Benchmark, AsOf: asOf,
			Err: fmt.Errorf("%w: the last bar is %s, %d calendar days before the as-of date (at most %d allowed)",
				ErrStale, last.Format(time.DateOnly), age, cfg.MaxStaleness)}
	}
	p := Panel{cfg: cfg, asOf: asOf, dates: make([]time.Time, n), days: make([]string, n),
		holes: make([]int32, n), holeCount: make([]int32, n+1)}
	for i, bar := range b.Bars[:n] {
		if i > 0 && !bar.Date.After(p.dates[i-1]) {
			return Panel{}, &DataError{Symbol: cfg.Benchmark, Err: fmt.Errorf("%w: bar %s does not come after %s",
				ErrBadPrice, bar.Date.Format(time.DateOnly), p.days[i-1])}
		}
		p.dates[i] = bar.Date
		p.days[i] = bar.Date.Format(time.DateOnly)
		if i > 0 {
			for d := p.dates[i-1].AddDate(0, 0, 1); d.Before(bar.Date); d = d.AddDate(0, 0, 1) {
				if marketdata.IsTradingDay(d) {
					p.holes[i]++
				}
			}
		}
		p.holeCount[i+1] = p.holeCount[i]
		if p.holes[i] > 0 {
			p.holeCount[i+1]++
		}
	}
	var err error
	if p.bench, err = p.align(b, cfg.Benchmark, cfg); err != nil {
		return Panel{}, err
	}
	p.bench.present = true
	if p.micro, err = p.alignSymbol(series, cfg.Microcap, cfg); err != nil {
		return Panel{}, err
	}
	for _, s := range cfg.Sectors {
		c, err := p.alignSymbol(series, s, cfg)
		if err != nil {
			return Panel{}, err
		}
		p.sectors = append(p.sectors, c)
	}
	if p.cfgJSON, err = marshalCanonical(cfg); err != nil {
		return Panel{}, err
	}
	if cfg.Resistance.Mode == ResistanceDates {
		p.fixedZone = p.fixedWindow()
	}
	return p, nil
}

// alignSymbol aligns a configured symbol other than the benchmark. One
// that is not in series is an error, unless it is an optional micro-cap,
// which then gets a column without values.
func (p *Panel) alignSymbol(series map[string]marketdata.Series, sym string, cfg Config) (*column, error) {
	s, ok := series[sym]
	if !ok {
		if sym == cfg.Microcap && cfg.MicrocapOptional {
			return p.align(marketdata.Series{Symbol: sym}, sym, cfg)
		}
		return nil, &DataError{Symbol: sym, Err: ErrNoSeries}
	}
	c, err := p.align(s, sym, cfg)
	if err != nil {
		return nil, err
	}
	c.present = true
	return c, nil
}

// align puts one series on the calendar, by a merge walk.
func (p *Panel) align(s marketdata.Series, sym string, cfg Config) (*column, error) {
	n := len(p.dates)
	c := &column{symbol: sym, closes: make([]float64, n), lastReal: make([]int32, n),
		firstReal: -1, badCount: make([]int32, n+1), enc: make([]byte, n*encRow)}
	if len(s.Bars) > 0 {
		c.firstBar = s.Bars[0].Date
	}
	j, last := 0, int32(-1)
	for i, d := range p.dates {
		for j < len(s.Bars) && s.Bars[j].Date.Before(d) {
			if j > 0 && !s.Bars[j].Date.After(s.Bars[j-1].Date) {
				return nil, &DataError{Symbol: sym, Err: fmt.Errorf("%w: bar %s does not come after %s", ErrBadPrice,
					s.Bars[j].Date.Format(time.DateOnly), s.Bars[j-1].Date.Format(time.DateOnly))}
			}
			j++ // a bar off the calendar, not used
		}
		flag := byte(0)
		bad := false
		switch {
		case j < len(s.Bars) && s.Bars[j].Date.Equal(d):
			v := s.Bars[j].Close
			if cfg.UseAdjusted {
				v = s.Bars[j].AdjClose
			}
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, &DataError{Symbol: sym, Err: fmt.Errorf("%w: close %v on %s is not a positive finite number",
					ErrBadPrice, v, p.days[i])}
			}
			c.closes[i] = v
			last = int32(i)
			c.lastBar = d
			if c.firstReal < 0 {
				c.firstReal = i
			}
			j++
		case last >= 0 && i-int(last) <= cfg.MaxGap:
			c.closes[i] = c.closes[last]
			c.filled = append(c.filled, int32(i))
			flag = 1
		default:
			c.closes[i] = math.NaN()
			flag = 2
			bad = last >= 0
		}
		c.lastReal[i] = last
		c.badCount[i+1] = c.badCount[i]
		if bad {
			c.badCount[i+1]++
		}
		row := c.enc[i*encRow : (i+1)*encRow]
		y, m, dd := d.Date()
		binary.BigEndian.PutUint32(row[0:4], uint32(y*10000+int(m)*100+dd))
		binary.BigEndian.PutUint64(row[4:12], math.Float64bits(c.closes[i]))
		row[12] = flag
	}
	return c, nil
}

// checkWindow checks that c has a value on every day of [a, b] and that its
// last own bar on or before b is at most MaxStaleness calendar days old.
func (p *Panel) checkWindow(c *column, a, b int) error {
	asOf := p.dates[b]
	lr := c.lastReal[b]
	if lr < 0 {
		return &DataError{Symbol: c.symbol, AsOf: asOf, Err: fmt.Errorf("%w: no bar on or before %s", ErrShortHistory, p.days[b])}
	}
	if age := daysBetween(p.dates[lr], asOf); age > p.cfg.MaxStaleness {
		return &DataError{Symbol: c.symbol, AsOf: asOf, Err: fmt.Errorf("%w: the last bar is %s, %d calendar days before %s (at most %d allowed)",
			ErrStale, p.days[lr], age, p.days[b], p.cfg.MaxStaleness)}
	}
	if c.badCount[b+1] == c.badCount[a] {
		return nil
	}
	// Name the first run of unfilled days in the window.
	i := a
	for !math.IsNaN(c.closes[i]) {
		i++
	}
	k := i
	for k+1 <= b && math.IsNaN(c.closes[k+1]) {
		k++
	}
	start := int(c.lastReal[i]) + 1 // the run starts with the filled days
	return &DataError{Symbol: c.symbol, AsOf: asOf, Err: fmt.Errorf(
		"%w: no bars from %s to %s, %d consecutive days of the calendar (at most %d may be filled), inside the window %s..%s; the last bar before is %s",
		ErrGap, p.days[start], p.days[k], k-start+1, p.cfg.MaxGap, p.days[a], p.days[b], p.days[start-1])}
}

// checkCalendar checks that the benchmark misses no NYSE trading day in
// [a, b].
func (p *Panel) checkCalendar(a, b int) error {
	if p.holeCount[b+1] == p.holeCount[a+1] { // holes[a] is before the window
		return nil
	}
	for i := a + 1; i <= b; i++ {
		if p.holes[i] > 0 {
			var missing []string
			for d := p.dates[i-1].AddDate(0, 0, 1); d.Before(p.dates[i]); d = d.AddDate(0, 0, 1) {
				if marketdata.IsTradingDay(d) {
					missing = append(missing, d.Format(time.DateOnly))
				}
			}
			return &DataError{Symbol: p.cfg.Benchmark, AsOf: p.dates[b], Err: fmt.Errorf(
				"%w: no bar on %v, between %s and %s (the benchmark sets the calendar, so it must have every NYSE trading day of the window %s..%s)",
				ErrCalendarHole, missing, p.days[i-1], p.days[i], p.days[a], p.days[b])}
		}
	}
	return nil
}

// AsOf returns the panel's last trading day: the as-of day of an Evaluate.
func (p Panel) AsOf() time.Time {
	if len(p.dates) == 0 {
		return time.Time{}
	}
	return p.dates[len(p.dates)-1]
}

// Dates returns the calendar (a copy), oldest first.
func (p Panel) Dates() []time.Time { return slices.Clone(p.dates) }

// Closes returns a copy of symbol's closes on the calendar, NaN where the
// symbol has no value, or nil if the symbol is not in the panel.
func (p Panel) Closes(symbol string) []float64 {
	for _, c := range p.columns() {
		if c.symbol == symbol {
			return slices.Clone(c.closes)
		}
	}
	return nil
}

// Filled returns the days of symbol that were filled with the previous
// close, oldest first.
func (p Panel) Filled(symbol string) []time.Time {
	var out []time.Time
	for _, c := range p.columns() {
		if c.symbol == symbol {
			for _, i := range c.filled {
				out = append(out, p.dates[i])
			}
		}
	}
	return out
}

func (p Panel) columns() []*column {
	if p.bench == nil {
		return nil
	}
	return append([]*column{p.bench, p.micro}, p.sectors...)
}

// daysBetween returns the calendar days from a to b (midnight UTC dates).
func daysBetween(a, b time.Time) int {
	return int(b.Sub(a).Hours() / 24)
}

// dayOf returns t's calendar date at midnight UTC.
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
