package ibsim

import (
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/shopspring/decimal"
)

// seriesAliases maps what a listing tracks to the series that holds it:
// the S&P 500 index is stored as GSPC (Yahoo's ^GSPC).
var seriesAliases = map[string]string{"SPX": "GSPC"}

// prices gives the paper broker its marks: the close of the latest daily bar
// on or before the simulator's day, unless a test or operator has set the
// price of the tracked series directly (SetPrice). The engine's lock
// guards it.
type prices struct {
	series    map[string]marketdata.Series
	overrides map[string]float64
	// marks are the marks worked out on marksDay: a mark is a function of
	// the day, the overrides and the listing's series, scale and tick, and
	// putting it on the tick is the dear part. set clears them.
	marks    map[markKey]decimal.Decimal
	marksDay time.Time
}

// markKey is what a mark depends on besides the day and the overrides. The
// tick is keyed by its coefficient and exponent, which identify it: ticks
// are a few digits, far inside an int64.
type markKey struct {
	tracks  string
	scale   float64
	tickCoe int64
	tickExp int32
}

func newPrices(series map[string]marketdata.Series) *prices {
	return &prices{series: series, overrides: make(map[string]float64)}
}

// set overrides the price of a tracked series.
func (p *prices) set(tracks string, price float64) {
	p.overrides[tracks] = price
	p.marks = nil
}

func (p *prices) lookup(tracks string) (marketdata.Series, bool) {
	if alias, ok := seriesAliases[tracks]; ok {
		tracks = alias
	}
	s, ok := p.series[tracks]
	return s, ok
}

// underlying returns the price of a tracked series on day.
func (p *prices) underlying(tracks string, day time.Time) (float64, error) {
	if v, ok := p.overrides[tracks]; ok {
		return v, nil
	}
	s, ok := p.lookup(tracks)
	if !ok {
		return 0, fmt.Errorf("ibsim: no price data for %s", tracks)
	}
	b, ok := s.AsOf(day)
	if !ok {
		return 0, fmt.Errorf("ibsim: no price for %s on or before %s", tracks, day.Format(time.DateOnly))
	}
	return b.Close, nil
}

// mark returns the listing's price on day, on its tick.
func (p *prices) mark(l Listing, day time.Time) (decimal.Decimal, error) {
	if p.marks == nil {
		p.marks = map[markKey]decimal.Decimal{}
	} else if !p.marksDay.Equal(day) {
		clear(p.marks) // the map serves day after day
	}
	p.marksDay = day
	k := markKey{tracks: l.Tracks, scale: l.Scale, tickCoe: l.Tick.CoefficientInt64(), tickExp: l.Tick.Exponent()}
	if m, ok := p.marks[k]; ok {
		return m, nil
	}
	u, err := p.underlying(l.Tracks, day)
	if err != nil {
		return decimal.Zero, err
	}
	m := onTick(u*l.Scale, l.Tick)
	p.marks[k] = m
	return m, nil
}

// bars returns the listing's daily bars from the tracked series, scaled and
// on tick, oldest first, ending on or before end, at most n of them.
func (p *prices) bars(l Listing, end time.Time, n int) ([]broker.Bar, error) {
	s, ok := p.lookup(l.Tracks)
	if !ok {
		return nil, fmt.Errorf("ibsim: no price data for %s", l.Tracks)
	}
	var out []broker.Bar
	for i := len(s.Bars) - 1; i >= 0 && len(out) < n; i-- {
		b := s.Bars[i]
		if b.Date.After(end) {
			continue
		}
		if l.SecType == broker.Future && !l.Expiry.IsZero() && b.Date.After(l.Expiry) {
			continue
		}
		sc := func(v float64) float64 { f, _ := onTick(v*l.Scale, l.Tick).Float64(); return f }
		out = append(out, broker.Bar{Date: b.Date, Open: sc(b.Open), High: sc(b.High), Low: sc(b.Low), Close: sc(b.Close), Volume: b.Volume})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func onTick(v float64, tick decimal.Decimal) decimal.Decimal {
	return decimal.NewFromFloat(v).Div(tick).Round(0).Mul(tick)
}
