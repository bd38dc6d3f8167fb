package service_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
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

// countingBroker is the real broker client, counting the open-order reads.
type countingBroker struct {
	broker.Broker
	openOrders atomic.Int64
}

func (c *countingBroker) OpenOrders(ctx context.Context) ([]broker.OrderReport, error) {
	c.openOrders.Add(1)
	return c.Broker.OpenOrders(ctx)
}

// TestOpenOrdersReadOnlyWhileRotorMayHaveOneWorking: once rotor's orders are
// final, a decision does not ask the broker for open orders; while one of
// rotor's orders rests, it does (and holds its root back, see
// TestWorkingOrderHoldsBackItsRoot).
func TestOpenOrdersReadOnlyWhileRotorMayHaveOneWorking(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	b := &countingBroker{Broker: w.broker(t, 1)}
	s := w.start(t, w.config(b, l))
	ev := w.latest(t)
	w.publish(t, ev)
	w.consumerSettled(t, 1)
	if len(rows(t, l, audit.KindOrderIntent)) == 0 {
		t.Fatal("the event placed no order")
	}
	checkFor(t, 10*time.Second, time.Millisecond, func() error {
		open, err := l.IntentsWithoutFinalState(context.Background())
		if err == nil && len(open) > 0 {
			err = fmt.Errorf("%d intents without a final state", len(open))
		}
		return err
	})

	before := b.openOrders.Load()
	if _, err := s.Decide(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if n := b.openOrders.Load() - before; n != 0 {
		t.Errorf("with every order of rotor's final, the decision read open orders %d time(s)", n)
	}

	rty, err := b.ResolveFuture(context.Background(), "RTY", rigNow, 5)
	if err != nil {
		t.Fatal(err)
	}
	resting := broker.OrderRequest{Ref: "rotor-0000000000000000-RTY-resting-target", Contract: rty, Side: broker.Buy, Quantity: 1,
		Type: broker.Limit, LimitPrice: decimal.NewFromInt(100)}
	if _, err := b.PlaceOrder(context.Background(), resting); err != nil {
		t.Fatal(err)
	}
	// A service used only for previews (rotor plan) never reconciles, so
	// it does not know what works and reads the broker.
	preview, err := service.New(w.config(b, l))
	if err != nil {
		t.Fatal(err)
	}
	d, err := preview.Decide(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Market.Working) != 1 || d.Market.Working[0].Ref != resting.Ref {
		t.Errorf("a preview's decision did not read rotor's resting order: working %+v", d.Market.Working)
	}
	checkFor(t, 10*time.Second, time.Millisecond, func() error {
		before = b.openOrders.Load()
		d, err := s.Decide(context.Background(), ev)
		if err != nil {
			return err
		}
		if b.openOrders.Load() == before || len(d.Market.Working) != 1 || d.Market.Working[0].Ref != resting.Ref {
			return fmt.Errorf("the decision did not read rotor's resting order: working %+v", d.Market.Working)
		}
		return nil
	})
}
