package ib_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

// TestNoGoroutineLeak runs a session through orders and a reconnect and
// checks that Close leaves no goroutine behind and closes Events.
func TestNoGoroutineLeak(t *testing.T) {
	sim := MustOpenSim(t, nil)
	base := runtime.NumGoroutine()
	c, rec := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	if _, err := c.PlaceOrder(ctxT(t), mkt("leak-1", rty, broker.Buy, 1)); err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	sim.DropConnections()
	rec.waitFor(t, "restored", isState(broker.Restored))
	waitReady(t, c)
	if _, err := c.Account(ctxT(t)); err != nil {
		t.Fatalf("Account: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-rec.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Events not closed after Close")
	}
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := runtime.NumGoroutine(); n > base {
			return fmt.Errorf("%d goroutines after Close, %d before Open", n, base)
		}
		return nil
	})
}
