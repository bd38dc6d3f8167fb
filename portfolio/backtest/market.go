package backtest

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// market is what the portfolio service reads from the broker's daily bars,
// worked out once for every day of a backtest: each owned root's reference
// price (the close of its daily bar, which the paper broker derives from
// the series the future tracks, scaled and on tick) and the long leg's
// recent closes for volatility targeting. It is read-only once built, so a
// sweep shares one among all its runs.
//
// Reading the bars through Engine.Bars, as the service does over the wire,
// would give the same numbers; it scans the series from its end on every
// call, which makes a ten-year backtest quadratic.
type market struct {
	days []time.Time
	// dates[i] is days[i] as YYYY-MM-DD, at[i] its DecisionTime, and
	// civil[i] dayOf(at[i]), the day roll dates are compared with (in New
	// York time, which is dear to work out every day).
	dates []string
	at    []time.Time
	civil []time.Time
	// prices[root][i] is root's reference price on days[i], and
	// pricesF[root][i] the nearest float64 to it (for steady).
	prices  map[string][]decimal.Decimal
	pricesF map[string][]float64
	// closes are the long leg's daily closes over the whole series, on
	// tick; last[i] is the index of the last one on or before days[i].
	closes []float64
	last   []int
	// smallCap[i] is the small-cap index's close on days[i], for reports.
	smallCap []float64
	// vols[i] is portfolio.RealisedVol of volCloses(i, volWindow+1) and
	// volErrs[i] its error, when cacheVol has worked them out.
	volWindow int
	vols      []float64
	volErrs   []error
	// catalog is the paper broker's listings, built once for the engines
	// of every book that shares the market (it is safe for concurrent
	// use).
	catalog *ibsim.Catalog
}

// newMarket works out the market of days for roots.
func newMarket(data map[string]marketdata.Series, days []time.Time, roots []string) (*market, error) {
	m := &market{days: days, dates: make([]string, len(days)), at: make([]time.Time, len(days)), civil: make([]time.Time, len(days)),
		prices: make(map[string][]decimal.Decimal, len(roots)), pricesF: make(map[string][]float64, len(roots)), catalog: new(ibsim.Catalog)}
	for i, d := range days {
		m.dates[i], m.at[i] = d.Format(time.DateOnly), DecisionTime(d)
		m.civil[i] = dayOf(m.at[i])
	}
	bars := make(map[tickedKey]tickedBars)
	ticked := func(l ibsim.Listing) (marketdata.Series, tickedBars) {
		name := seriesName(l.Tracks)
		s := data[name]
		k := tickedKey{series: name, scale: l.Scale, tick: l.Tick.String(), tickExp: l.Tick.Exponent()}
		t, ok := bars[k]
		if !ok {
			t = tickedBars{px: make([]decimal.Decimal, len(s.Bars)), pf: make([]float64, len(s.Bars))}
			for j, b := range s.Bars {
				t.px[j] = onTick(b.Close*l.Scale, l.Tick)
				t.pf[j] = t.px[j].InexactFloat64()
			}
			bars[k] = t
		}
		return s, t
	}
	for _, root := range roots {
		l, err := listingOf(root, days[0])
		if err != nil {
			return nil, err
		}
		s, t := ticked(l)
		px, pf := make([]decimal.Decimal, len(days)), make([]float64, len(days))
		j := -1
		for i, d := range days {
			for j+1 < len(s.Bars) && !s.Bars[j+1].Date.After(d) {
				j++
			}
			if j < 0 {
				return nil, fmt.Errorf("backtest: %s (which %s tracks) has no bar on or before %s", s.Symbol, root, d.Format(time.DateOnly))
			}
			px[i], pf[i] = t.px[j], t.pf[j]
		}
		m.prices[root], m.pricesF[root] = px, pf
	}
	l, err := listingOf(portfolio.LongRoot, days[0])
	if err != nil {
		return nil, err
	}
	s, t := ticked(l)
	m.closes = t.pf
	m.last = make([]int, len(days))
	m.smallCap = make([]float64, len(days))
	j := -1
	for i, d := range days {
		for j+1 < len(s.Bars) && !s.Bars[j+1].Date.After(d) {
			j++
		}
		m.last[i] = j
		if j >= 0 {
			m.smallCap[i] = s.Bars[j].Close
		}
	}
	return m, nil
}

// tickedKey identifies the rounding of a series' closes to a listing's
// price: the series, the listing's scale and its tick, by value and
// exponent (which together fix the rounded decimals' exponent too).
type tickedKey struct {
	series, tick string
	scale        float64
	tickExp      int32
}

// tickedBars are a series' closes as a listing's prices (onTick of close ×
// scale), bar by bar, as decimals and as the nearest float64s: RTY and
// M2K, and the long leg's closes, round the same closes the same way, so
// newMarket works them out once.
type tickedBars struct {
	px []decimal.Decimal
	pf []float64
}

// volCloses are the last n long-leg closes up to day i, oldest first (fewer
// when the series is shorter; NewTargets then says so).
func (m *market) volCloses(i, n int) []float64 {
	end := m.last[i] + 1
	return m.closes[max(0, end-n):end]
}

// cacheVol works out the long leg's realised volatility over window daily
// returns for every day, once for all the books (and all the runs of a
// sweep) that share the market. It must be called before the market is
// shared between goroutines.
func (m *market) cacheVol(window int) {
	m.volWindow = window
	m.vols, m.volErrs = make([]float64, len(m.days)), make([]error, len(m.days))
	for i := range m.days {
		m.vols[i], m.volErrs[i] = portfolio.RealisedVol(m.volCloses(i, window+1), window)
	}
}

// realisedVol is portfolio.RealisedVol of the last window+1 long-leg closes
// up to day i, what NewTargets measures the day's volatility with.
func (m *market) realisedVol(i, window int) (float64, error) {
	if m.vols != nil && window == m.volWindow {
		return m.vols[i], m.volErrs[i]
	}
	return portfolio.RealisedVol(m.volCloses(i, window+1), window)
}

// listingOf is the paper broker's front listing of a futures root on day,
// for its tick, scale and tracked series.
func listingOf(root string, day time.Time) (ibsim.Listing, error) {
	ls := ibsim.Lookup(ibsim.ContractQuery{Symbol: root, SecType: string(broker.Future)}, day)
	if len(ls) == 0 {
		return ibsim.Listing{}, fmt.Errorf("backtest: the paper broker lists no %s future on %s", root, day.Format(time.DateOnly))
	}
	return ls[0], nil
}

// onTick is the paper broker's rounding of a tracked price to a listing's
// tick (ibsim's marks and bars round the same way).
func onTick(v float64, tick decimal.Decimal) decimal.Decimal {
	return decimal.NewFromFloat(v).Div(tick).Round(0).Mul(tick)
}
