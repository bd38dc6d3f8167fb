package backtest

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/signals"
)

// Metric is what a sweep's table is sorted by.
type Metric string

// The metrics. Higher is better for Sharpe and CAGR, lower for the maximum
// drawdown.
const (
	MetricSharpe Metric = "sharpe"
	MetricCAGR   Metric = "cagr"
	MetricMaxDD  Metric = "maxdd"
)

// ParseMetric returns the metric named s, or an error listing the names.
func ParseMetric(s string) (Metric, error) {
	switch m := Metric(s); m {
	case MetricSharpe, MetricCAGR, MetricMaxDD:
		return m, nil
	}
	return "", fmt.Errorf("backtest: metric %q: want sharpe, cagr or maxdd", s)
}

// Thresholds are the leadership hysteresis thresholds of one sweep point
// (signals.RegimeConfig's EnterLeadership and ExitLeadership).
type Thresholds struct {
	Enter float64 `json:"enter_leadership"`
	Exit  float64 `json:"exit_leadership"`
}

// Grid is the parameters a sweep crosses: every lookback with every pair
// of thresholds with every leverage. An empty dimension keeps the base
// config's value.
type Grid struct {
	// Lookbacks are the signal's relative-strength windows, trading days.
	Lookbacks []int
	// Thresholds are the leadership entry and exit scores.
	Thresholds []Thresholds
	// Leverages are the sleeve's leadership leverage.
	Leverages []decimal.Decimal
	// SortBy orders the rows (MetricSharpe when empty).
	SortBy Metric
}

// SweepRow is one configuration of a sweep and the strategy's stats (the
// baselines do not depend on the signal's parameters and are not run).
type SweepRow struct {
	Lookback        int             `json:"lookback_days"`
	EnterLeadership float64         `json:"enter_leadership"`
	ExitLeadership  float64         `json:"exit_leadership"`
	Leverage        decimal.Decimal `json:"leverage"`
	Days            int             `json:"days"`
	Stats           Stats           `json:"stats"`
}

// Sweep backtests every point of grid over base (its Data, span, sleeve,
// limits and the rest) on workers goroutines (runtime.NumCPU() when 0 or
// less) and returns the rows sorted by grid.SortBy, best first, then by
// lookback, thresholds and leverage, so the table is the same whatever the
// number of workers.
//
// The data is normalised once and shared read-only; the signal is replayed
// once per lookback, and each pair of thresholds re-derives its regimes
// from those events (signals.Target and signals.Step, as Evaluate does), so
// a thousand points cost a handful of replays and a thousand replays of
// the sleeve. base.Progress, when set, is called after each point with the
// points done and the total, from the goroutine running Sweep.
func Sweep(base Config, grid Grid, workers int) ([]SweepRow, error) {
	if err := base.Validate(); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	sortBy := grid.SortBy
	if sortBy == "" {
		sortBy = MetricSharpe
	}
	if _, err := ParseMetric(string(sortBy)); err != nil {
		return nil, err
	}
	lookbacks, thresholds, leverages := grid.Lookbacks, grid.Thresholds, grid.Leverages
	baseThresholds := Thresholds{base.Signals.Regime.EnterLeadership, base.Signals.Regime.ExitLeadership}
	if len(lookbacks) == 0 {
		lookbacks = []int{base.Signals.Lookback}
	}
	if len(thresholds) == 0 {
		thresholds = []Thresholds{baseThresholds}
	}
	if len(leverages) == 0 {
		leverages = []decimal.Decimal{base.Sleeve.Leverage.Leadership}
	}
	// Each lookback and each threshold pair is checked on its own, so a bad
	// one is named once, not once per point it is in; then every point.
	var errs []error
	for _, lb := range lookbacks {
		if err := pointSignals(base, lb, baseThresholds).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("backtest: sweep lookback %d: %w", lb, err))
		}
	}
	for _, th := range thresholds {
		if err := pointSignals(base, base.Signals.Lookback, th).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("backtest: sweep thresholds %g/%g: %w", th.Enter, th.Exit, err))
		}
	}
	for _, lb := range lookbacks {
		for _, th := range thresholds {
			if len(errs) == 0 { // else the bad lookback or pair is named above
				if err := pointSignals(base, lb, th).Validate(); err != nil {
					errs = append(errs, fmt.Errorf("backtest: sweep point lookback %d, thresholds %g/%g: %w", lb, th.Enter, th.Exit, err))
				}
			}
		}
	}
	for _, lev := range leverages {
		sl := base.Sleeve
		sl.Leverage.Leadership = lev
		if err := sl.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("backtest: sweep leverage %s: %w", lev, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	data, err := normaliseData(base.Data)
	if err != nil {
		return nil, err
	}

	// One replay of the signal per lookback, in parallel.
	tracks := make([]track, len(lookbacks))
	if err := parallel(len(lookbacks), workers, func(k int) error {
		var err error
		tracks[k], err = replaySignal(data, pointSignals(base, lookbacks[k], baseThresholds), base.From, base.To, base.Warmup)
		if err != nil {
			return fmt.Errorf("lookback %d: %w", lookbacks[k], err)
		}
		return nil
	}, nil); err != nil {
		return nil, err
	}
	mkt, err := newMarket(data, tracks[0].days, base.Sleeve.OwnedRoots())
	if err != nil {
		return nil, err
	}
	mkt.cacheVol(base.Sleeve.VolWindow) // a sweep does not vary it

	// The points of one lookback and thresholds share their regime track,
	// made by the first of them to run and dropped when the last is done:
	// the points run in order, so only the few groups in flight are held,
	// not one track per group for the whole sweep.
	type group struct {
		base int // the index in tracks of its lookback's replay
		sig  signals.Config
		once sync.Once
		tr   track
		left atomic.Int32
	}
	type point struct {
		row SweepRow
		g   *group
		cfg Config
	}
	var points []point
	for k, lb := range lookbacks {
		for _, th := range thresholds {
			g := &group{base: k, sig: pointSignals(base, lb, th)}
			g.left.Store(int32(len(leverages)))
			for _, lev := range leverages {
				cfg := base
				cfg.Signals, cfg.Progress = g.sig, nil
				cfg.Sleeve.Leverage.Leadership = lev
				points = append(points, point{row: SweepRow{Lookback: lb, EnterLeadership: th.Enter, ExitLeadership: th.Exit,
					Leverage: lev, Days: len(tracks[k].days)}, g: g, cfg: cfg})
			}
		}
	}
	rows := make([]SweepRow, len(points))
	err = parallel(len(points), workers, func(k int) error {
		p := points[k]
		p.g.once.Do(func() { p.g.tr = tracks[p.g.base].withThresholds(p.g.sig.Regime) })
		books, err := replay(&p.cfg, data, p.g.tr, mkt, false)
		if p.g.left.Add(-1) == 0 {
			p.g.tr = track{} // every point of the group has finished with it
		}
		if err != nil {
			return fmt.Errorf("lookback %d, thresholds %g/%g, leverage %s: %w", p.row.Lookback, p.row.EnterLeadership, p.row.ExitLeadership, p.row.Leverage, err)
		}
		rows[k] = p.row
		rows[k].Stats = books[0].result().Stats
		return nil
	}, func(done int) {
		if base.Progress != nil {
			base.Progress(done, len(points))
		}
	})
	if err != nil {
		return nil, err
	}
	SortRows(rows, sortBy)
	return rows, nil
}

// pointSignals is base's signal with a sweep point's lookback and
// thresholds.
func pointSignals(base Config, lookback int, th Thresholds) signals.Config {
	sig := base.Signals
	sig.Sectors = append([]string(nil), sig.Sectors...)
	sig.Lookback = lookback
	sig.Regime.EnterLeadership, sig.Regime.ExitLeadership = th.Enter, th.Exit
	return sig
}

// SortRows sorts rows by m, best first (highest Sharpe or CAGR, smallest
// drawdown), then by lookback, entry and exit thresholds and leverage, all
// ascending, so equal metrics always come out in the same order.
func SortRows(rows []SweepRow, m Metric) {
	key := func(r SweepRow) float64 {
		switch m {
		case MetricCAGR:
			return -r.Stats.CAGR
		case MetricMaxDD:
			return r.Stats.MaxDrawdown
		}
		return -r.Stats.Sharpe
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if ka, kb := key(a), key(b); ka != kb {
			return ka < kb
		}
		if a.Lookback != b.Lookback {
			return a.Lookback < b.Lookback
		}
		if a.EnterLeadership != b.EnterLeadership {
			return a.EnterLeadership < b.EnterLeadership
		}
		if a.ExitLeadership != b.ExitLeadership {
			return a.ExitLeadership < b.ExitLeadership
		}
		return a.Leverage.LessThan(b.Leverage)
	})
}

// parallel runs f(0..n-1) on up to workers goroutines and returns the
// error of the lowest index that failed (so the error, too, does not
// depend on scheduling). done, when set, is called on the calling
// goroutine after each job with the count finished.
func parallel(n, workers int, f func(int) error, done func(int)) error {
	jobs := make(chan int)
	finished := make(chan struct{}, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				errs[k] = f(k)
				finished <- struct{}{}
			}
		}()
	}
	go func() {
		for k := range n {
			jobs <- k
		}
		close(jobs)
	}()
	for k := range n {
		<-finished
		if done != nil {
			done(k + 1)
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("backtest: sweep: %w", err)
		}
	}
	return nil
}
