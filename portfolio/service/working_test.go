package service_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
)

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

	resting := placeResting(t, b, "RTY", 100)
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
