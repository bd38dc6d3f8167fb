package backtest

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// Run replays cfg: the signal over the warm-up and the span, then each
// trading day from From to To through the strategy and its two baselines
// (BookStrategy, BookBuyAndHold, BookNoSignal), each a separate account at
// its own paper broker engine. See DecisionTime for what happens on a day.
//
// Run reads no clock and no files and starts no goroutines; the same Config
// gives the same Result. An error names the book and the day.
func Run(cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	data, err := normaliseData(cfg.Data)
	if err != nil {
		return Result{}, err
	}
	tr, err := replaySignal(data, cfg.Signals, cfg.From, cfg.To, cfg.Warmup)
	if err != nil {
		return Result{}, err
	}
	mkt, err := newMarket(data, tr.days, cfg.Sleeve.OwnedRoots())
	if err != nil {
		return Result{}, err
	}
	mkt.cacheVol(cfg.Sleeve.VolWindow) // the baselines' window too
	books, err := replay(&cfg, data, tr, mkt, true)
	if err != nil {
		return Result{}, err
	}
	return result(&cfg, tr, books), nil
}

// replay runs the books over the track, day by day in lockstep (so
// Progress counts days), and returns them. Without baselines only the
// strategy runs (a sweep's rows need nothing else).
func replay(cfg *Config, data map[string]marketdata.Series, tr track, mkt *market, baselines bool) ([]*book, error) {
	margin := cfg.initialMargin()
	books := []*book{newBook(BookStrategy, "the sleeve following the signal: what the services would have done",
		cfg, data, cfg.Sleeve, mkt, margin)}
	if baselines {
		lead := cfg.Sleeve.Leverage.Leadership
		hold := cfg.Sleeve
		hold.Leverage = portfolio.Leverage{Leadership: lead, Neutral: lead, Lagging: lead}
		hold.VolTarget = 0
		hold.Short = portfolio.ShortLeg{Kind: portfolio.ShortNone, Ratio: decimal.Zero}
		neutral := cfg.Sleeve
		n := cfg.Sleeve.Leverage.Neutral
		neutral.Leverage = portfolio.Leverage{Leadership: n, Neutral: n, Lagging: n}
		books = append(books,
			newBook(BookBuyAndHold, fmt.Sprintf("buy-and-hold of the small-cap future: NLV × %s share × %s (the leadership leverage) in RTY and M2K every day, no volatility targeting, rebalanced by the drift band and rolled",
				cfg.Sleeve.Share, lead), cfg, data, hold, mkt, margin),
			newBook(BookNoSignal, fmt.Sprintf("the book without the signal: the sleeve as configured at its neutral leverage (%s) whatever the regime", n),
				cfg, data, neutral, mkt, margin))
	}
	for i, ev := range tr.events {
		for _, b := range books {
			if err := b.step(i, ev, tr); err != nil {
				return nil, err
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(i+1, len(tr.events))
		}
	}
	return books, nil
}

func result(cfg *Config, tr track, books []*book) Result {
	r := Result{
		From: tr.days[0].Format(time.DateOnly), To: tr.days[len(tr.days)-1].Format(time.DateOnly),
		SignalFrom: tr.signalFrom, Days: len(tr.days),
		Settings: Settings{Signals: cfg.Signals, Sleeve: cfg.Sleeve, Limits: cfg.Limits, StartingCash: cfg.StartingCash,
			SlippageTicks: cfg.SlippageTicks, Warmup: cfg.Warmup, KillSwitchReset: cfg.KillSwitchReset,
			Account: cfg.Account, DecisionTime: fmt.Sprintf("%02d:%02d America/New_York", DecisionHour, DecisionMinute)},
	}
	for _, b := range books {
		r.Books = append(r.Books, b.result())
	}
	return r
}
