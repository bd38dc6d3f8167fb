package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/service"
)

// settableClock is a clock a test moves by hand.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestDecisionsUseRecentQuotes: a decision within QuoteMaxAge of the last
// bars read uses them, with the time they were read as the price's time; an
// older read is read again.
func TestDecisionsUseRecentQuotes(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	cfg := w.config(w.broker(t, 1), l)
	clock := &settableClock{now: rigNow}
	cfg.Now, cfg.QuoteMaxAge = clock.Now, time.Minute
	s, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, ev := context.Background(), w.latest(t)
	decide := func() service.Quote {
		t.Helper()
		d, err := s.Decide(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return d.Market.Prices["RTY"]
	}
	first := decide()
	if !first.At.Equal(rigNow) {
		t.Fatalf("RTY's price read at %v is dated %v", rigNow, first.At)
	}
	// The paper broker's bars do not move within the day, so the price's
	// time tells a read from a cached one.
	clock.Add(30 * time.Second)
	if cached := decide(); !cached.Price.Equal(first.Price) || !cached.At.Equal(first.At) {
		t.Errorf("30s later the decision read the bars again: %+v, want the read of %+v", cached, first)
	}
	clock.Add(31 * time.Second)
	fresh := decide()
	if !fresh.At.Equal(clock.Now()) {
		t.Errorf("61s after the read (QuoteMaxAge 1m) the decision used %+v, want the bars read again now", fresh)
	}
}
