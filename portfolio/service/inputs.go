package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/risk"
)

// Market is what a decision reads from the broker: the account, all of its
// positions, the contract to hold and a reference price for every owned root,
// and the long leg's recent closes for volatility targeting.
type Market struct {
	Account   broker.Account             `json:"account"`
	Positions []broker.Position          `json:"positions"`
	Contracts map[string]broker.Contract `json:"contracts"`
	Prices    map[string]Quote           `json:"prices"`
	// VolCloses are the daily closes of the long leg's contract (RTY's),
	// oldest first.
	VolCloses []float64 `json:"vol_closes"`
	// Working are rotor's orders still working in the account.
	Working []broker.OrderReport `json:"working"`
}

// Quote is a reference price and when it was true.
type Quote struct {
	Price decimal.Decimal `json:"price"`
	At    time.Time       `json:"at"`
	// Bar is the trading day of the daily bar the price comes from.
	Bar string `json:"bar"`
}

// readMarket reads the decision's inputs from the broker. The account, the
// positions, the working orders and each root's bars are independent and are
// read concurrently (the adapter matches answers to requests; pacing still
// applies). Rotor's working orders are read only when the service knows of
// one that may be working (see working). A reference price is the close of
// the contract's latest daily bar, recent bars coming from the quote book
// (see quoteBook). TWS's daily bar for the session in progress is live (its
// close is the last trade), so a bar of the read's New York calendar day is
// taken as true when it was read; an older bar is true at its day's 16:00
// Central close, and risk's MaxPriceAge judges it.
func (s *Service) readMarket(ctx context.Context, now time.Time) (Market, error) {
	var m Market
	cctx, cancel := context.WithTimeout(ctx, s.cfg.BrokerTimeout)
	defer cancel()
	roots := s.cfg.Sleeve.OwnedRoots()
	m.Contracts = make(map[string]broker.Contract, len(roots))
	for _, root := range roots {
		c, err := s.contract(cctx, root, now)
		if err != nil {
			return m, err
		}
		m.Contracts[root] = c
	}
	bars := make([][]broker.Bar, len(roots))
	readAt := make([]time.Time, len(roots))
	errs := make([]error, len(roots)+3)
	var wg sync.WaitGroup
	wg.Go(func() {
		if m.Account, errs[0] = s.cfg.Broker.Account(cctx); errs[0] != nil {
			errs[0] = fmt.Errorf("read the account: %w", errs[0])
		}
	})
	wg.Go(func() {
		if m.Positions, errs[1] = s.cfg.Broker.Positions(cctx); errs[1] != nil {
			errs[1] = fmt.Errorf("read positions: %w", errs[1])
		}
	})
	if s.mayBeWorking() {
		wg.Go(func() {
			open, err := s.cfg.Broker.OpenOrders(cctx)
			if err != nil {
				errs[2] = fmt.Errorf("read working orders: %w", err)
				return
			}
			for _, o := range open {
				if s.ours(o.Ref, o.Account) {
					m.Working = append(m.Working, o)
				}
			}
		})
	}
	for i, root := range roots {
		wg.Go(func() {
			bars[i], readAt[i], errs[i+3] = s.bars(cctx, root, m.Contracts[root], now)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return m, err
	}
	m.Prices = make(map[string]Quote, len(roots))
	for i, root := range roots {
		last := bars[i][len(bars[i])-1]
		m.Prices[root] = Quote{Price: decimal.NewFromFloat(last.Close), At: barTime(last.Date, readAt[i]), Bar: last.Date.Format(time.DateOnly)}
		if root == portfolio.LongRoot {
			for _, b := range bars[i] {
				m.VolCloses = append(m.VolCloses, b.Close)
			}
		}
	}
	return m, nil
}

// contract resolves the contract to hold of a root, once per root and
// calendar day: the listed expiries do not change within a day.
func (s *Service) contract(ctx context.Context, root string, now time.Time) (broker.Contract, error) {
	key := root + "@" + now.UTC().Format(time.DateOnly)
	s.mu.Lock()
	c, ok := s.contracts[key]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := s.cfg.Broker.ResolveFuture(ctx, root, now, s.cfg.Sleeve.RollDays)
	if err != nil {
		return c, fmt.Errorf("resolve the %s contract to hold: %w", root, err)
	}
	s.mu.Lock()
	s.contracts[key] = c
	s.mu.Unlock()
	return c, nil
}

var (
	newYork = mustLoad("America/New_York")
	chicago = mustLoad("America/Chicago")
)

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("service: time zone %s: %v (is tzdata installed?)", name, err))
	}
	return l
}

// barTime is when a daily bar read at readAt had its close (see readMarket).
func barTime(day, readAt time.Time) time.Time {
	y, mo, d := day.Date()
	ny := readAt.In(newYork)
	if ny.Year() == y && ny.Month() == mo && ny.Day() == d {
		return readAt
	}
	return time.Date(y, mo, d, 16, 0, 0, 0, chicago)
}

// riskPrices are the market's quotes as risk takes them, by root.
func (m Market) riskPrices() []risk.Price {
	out := make([]risk.Price, 0, len(m.Prices))
	for root, q := range m.Prices {
		out = append(out, risk.Price{Root: root, Value: q.Price, Time: q.At})
	}
	return out
}

// targetPrices are the market's prices by root, for portfolio.NewTargets.
func (m Market) targetPrices() map[string]decimal.Decimal {
	out := make(map[string]decimal.Decimal, len(m.Prices))
	for root, q := range m.Prices {
		out[root] = q.Price
	}
	return out
}
