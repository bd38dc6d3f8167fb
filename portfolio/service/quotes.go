package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
)

// historyRequestSpacing is how far apart, on average, the quote refresher's
// history requests are kept: IB allows 60 historical-data requests in any
// ten minutes (one per 10 s), and the refresher takes at most half of that,
// leaving the rest to everything else on the same TWS login.
const historyRequestSpacing = 20 * time.Second

// quoteBook holds each owned root's latest daily bars as last read from the
// broker, so that a decision does not wait for a history request (a loopback
// round trip with the paper broker; hundreds of milliseconds with TWS). The
// refresher re-reads them in the background; a decision uses a read that is
// from the same New York day and at most QuoteMaxAge old, and otherwise reads
// the bars itself, as it always did.
//
// The price a cached read gives is true when it was read (a completed
// day's bar: at its close), and risk's MaxPriceAge judges that time.
type quoteBook struct {
	mu    sync.Mutex
	reads map[string]barsRead // by root
}

// barsRead is one history read: the contract's last n daily bars up to at.
type barsRead struct {
	contract broker.Contract
	n        int
	bars     []broker.Bar
	at       time.Time // the service's clock when they were read
}

// barCount is how many daily bars a decision needs of root: the
// volatility window and one for the long leg, the latest one otherwise.
func (s *Service) barCount(root string) int {
	if root == portfolio.LongRoot {
		return s.cfg.Sleeve.VolWindow + 1
	}
	return 1
}

// bars returns c's last n daily bars as of now: a cached read if it is of the
// same contract and New York day and no older than QuoteMaxAge, else a fresh
// read, which is cached. It also returns when they were read.
func (s *Service) bars(ctx context.Context, root string, c broker.Contract, now time.Time) ([]broker.Bar, time.Time, error) {
	n := s.barCount(root)
	if r, ok := s.cachedBars(root, c, n, now); ok {
		return r.bars, r.at, nil
	}
	b, err := s.readBars(ctx, root, c, n, now)
	return b, now, err
}

func (s *Service) cachedBars(root string, c broker.Contract, n int, now time.Time) (barsRead, bool) {
	if s.cfg.QuoteMaxAge < 0 {
		return barsRead{}, false
	}
	s.quotes.mu.Lock()
	r, ok := s.quotes.reads[root]
	s.quotes.mu.Unlock()
	fresh := ok && r.contract.ConID == c.ConID && r.n == n && !r.at.After(now) && now.Sub(r.at) <= s.cfg.QuoteMaxAge &&
		sameDay(r.at.In(newYork), now.In(newYork))
	return r, fresh
}

// readBars reads c's bars from the broker and caches the read.
func (s *Service) readBars(ctx context.Context, root string, c broker.Contract, n int, now time.Time) ([]broker.Bar, error) {
	b, err := s.cfg.Broker.DailyBars(ctx, c, now, n)
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s's daily bars: %w", c.LocalSymbol, err)
	case len(b) == 0:
		return nil, fmt.Errorf("read %s's daily bars: the broker has none up to %s", c.LocalSymbol, now.Format(time.DateOnly))
	}
	s.quotes.mu.Lock()
	if s.quotes.reads == nil {
		s.quotes.reads = make(map[string]barsRead)
	}
	if old, ok := s.quotes.reads[root]; !ok || !old.at.After(now) {
		s.quotes.reads[root] = barsRead{contract: c, n: n, bars: b, at: now}
	}
	s.quotes.mu.Unlock()
	return b, nil
}

// refreshEvery is the quote refresher's period: half of QuoteMaxAge, so a
// read is fresh when a decision needs it, but never so often that the
// history requests (one per owned root) exceed historyRequestSpacing.
func (s *Service) refreshEvery() time.Duration {
	return max(s.cfg.QuoteMaxAge/2, time.Duration(len(s.cfg.Sleeve.OwnedRoots()))*historyRequestSpacing)
}

// refreshQuotes re-reads every owned root's bars each refreshEvery until the
// service stops. A failure is logged and left for the next pass (a decision
// meanwhile reads the bars itself).
func (s *Service) refreshQuotes() {
	defer s.workers.Done()
	t := time.NewTicker(s.refreshEvery())
	defer t.Stop()
	for {
		if err := s.refreshOnce(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Debug().Err(err).Msg("refreshing the quotes; decisions read them directly meanwhile")
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) refreshOnce(ctx context.Context) error {
	cctx, cancel := s.brokerCtx(ctx)
	defer cancel()
	now := s.cfg.Now()
	var errs []error
	for _, root := range s.cfg.Sleeve.OwnedRoots() {
		c, err := s.contract(cctx, root, now)
		if err == nil {
			_, err = s.readBars(cctx, root, c, s.barCount(root), now)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
