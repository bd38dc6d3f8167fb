package ib_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
)

// simOrders counts the sim's orders with ref.
func simOrders(sim *ibsim.Server, ref string) int {
	n := 0
	for _, o := range sim.Engine().Orders() {
		if o.Ref == ref {
			n++
		}
	}
	return n
}

func isState(s broker.Connectivity) func(broker.Event) bool {
	return func(ev broker.Event) bool {
		ce, ok := ev.(broker.ConnectivityEvent)
		return ok && ce.State == s
	}
}

func TestDropMidOrderReconcilesWithoutDuplicate(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, rec := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	sim.DropAfterNextOrder()
	_, err := c.PlaceOrder(ctxT(t), mkt("drop-1", rty, broker.Buy, 1))
	if !errors.Is(err, broker.ErrUnknownOutcome) {
		t.Fatalf("PlaceOrder err=%v, want ErrUnknownOutcome", err)
	}
	rec.waitFor(t, "disconnected", isState(broker.Disconnected))
	rec.waitFor(t, "restored", isState(broker.Restored))
	// The supervisor resolved the unknown order itself.
	ev := rec.waitFor(t, "resolved order", func(ev broker.Event) bool {
		oe, ok := ev.(broker.OrderEvent)
		return ok && oe.Report.Ref == "drop-1" && oe.Report.Status == broker.StatusFilled
	})
	if got := ev.(broker.OrderEvent).Report; got.Filled != 1 {
		t.Fatalf("resolved report %+v, want 1 filled", got)
	}
	// The fill that happened while the adapter was away is reported once.
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(rec.fills("drop-1")); n == 0 {
			return fmt.Errorf("no fill event for drop-1")
		}
		return nil
	})
	execs, err := c.Executions(ctxT(t), time.Time{})
	if err != nil {
		t.Fatalf("Executions: %v", err)
	}
	n := 0
	for _, f := range execs {
		if f.Ref == "drop-1" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d executions of drop-1 after reconnect, want exactly 1 (no resend)", n)
	}
	if n := simOrders(sim, "drop-1"); n != 1 {
		t.Fatalf("the sim has %d orders with ref drop-1, want 1", n)
	}
	rep, err := c.LookupOrder(ctxT(t), "drop-1")
	if err != nil || rep.Status != broker.StatusFilled {
		t.Fatalf("LookupOrder=%+v, %v; want filled", rep, err)
	}
	// And the session works again.
	if _, err := c.PlaceOrder(ctxT(t), mkt("drop-2", rty, broker.Sell, 1)); err != nil {
		t.Fatalf("PlaceOrder after reconnect: %v", err)
	}
}

func TestUnknownOutcomeLookup(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, _ := MustOpenClient(t, sim, func(cfg *ib.Config) { cfg.AckTimeout = 200 * time.Millisecond })
	rty := mustFront(t, c, "RTY")
	sim.SetPrice("RUT", 2400)
	sim.DelayAcks(2 * time.Second)
	_, err := c.PlaceOrder(ctxT(t), lmt("slow-1", rty, broker.Buy, 1, "2000.0"))
	if !errors.Is(err, broker.ErrUnknownOutcome) {
		t.Fatalf("PlaceOrder err=%v, want ErrUnknownOutcome", err)
	}
	sim.DelayAcks(0)
	var rep broker.OrderReport
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		rep, err = c.LookupOrder(ctxT(t), "slow-1")
		return err
	})
	if !rep.Status.Working() || rep.Ref != "slow-1" || rep.OrderID == 0 {
		t.Fatalf("LookupOrder=%+v, want the working order", rep)
	}
	if n := simOrders(sim, "slow-1"); n != 1 {
		t.Fatalf("the sim has %d orders slow-1, want 1", n)
	}
	if _, err := c.PlaceOrder(ctxT(t), lmt("slow-1", rty, broker.Buy, 1, "2000.0")); !errors.Is(err, broker.ErrDuplicateRef) {
		t.Fatalf("placing slow-1 again err=%v, want ErrDuplicateRef", err)
	}
	if _, err := c.LookupOrder(ctxT(t), "nowhere"); !errors.Is(err, broker.ErrOrderNotFound) {
		t.Fatalf("LookupOrder(nowhere) err=%v, want ErrOrderNotFound", err)
	}
}

func TestDuplicateOrderIDRecovery(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, rec := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	first, err := c.PlaceOrder(ctxT(t), mkt("dup-1", rty, broker.Buy, 1))
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	// The reconnect's reqIds answer is an id already used.
	sim.ReuseNextValidID()
	sim.DropConnections()
	rec.waitFor(t, "restored", isState(broker.Restored))
	waitReady(t, c)
	rep, err := c.PlaceOrder(ctxT(t), mkt("dup-2", rty, broker.Sell, 1))
	if err != nil {
		t.Fatalf("PlaceOrder after a reused id: %v", err)
	}
	if rep.OrderID <= first.OrderID {
		t.Fatalf("order id %d after recovery, want above %d", rep.OrderID, first.OrderID)
	}
	if n := simOrders(sim, "dup-2"); n != 1 {
		t.Fatalf("the sim has %d orders dup-2, want 1", n)
	}
	if n := simOrders(sim, "dup-1"); n != 1 {
		t.Fatalf("the sim has %d orders dup-1, want 1", n)
	}
}

func TestConnectivityLostAndRestored(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, rec := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	sim.LoseConnectivity(1102, 1500*time.Millisecond)
	rec.waitFor(t, "1100", func(ev broker.Event) bool {
		ce, ok := ev.(broker.ConnectivityEvent)
		return ok && ce.State == broker.Disconnected && ce.Reason != "" && ce.Reason[:4] == "1100"
	})
	if _, err := c.PlaceOrder(ctxT(t), mkt("cx-1", rty, broker.Buy, 1)); !errors.Is(err, broker.ErrNotConnected) {
		t.Fatalf("PlaceOrder during 1100 err=%v, want ErrNotConnected", err)
	}
	if n := simOrders(sim, "cx-1"); n != 0 {
		t.Fatalf("the sim got %d orders during the outage, want 0", n)
	}
	rec.waitFor(t, "1102", isState(broker.Restored))
	if _, err := c.PlaceOrder(ctxT(t), mkt("cx-1", rty, broker.Buy, 1)); err != nil {
		t.Fatalf("PlaceOrder after 1102: %v", err)
	}

	sim.LoseConnectivity(1101, 100*time.Millisecond)
	rec.waitFor(t, "1101", isState(broker.DataLost))
	waitReady(t, c)
}

func TestSocketPortResetReconnects(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, rec := MustOpenClient(t, sim, nil)
	m2k := mustFront(t, c, "M2K")
	sim.ResetSocketPort()
	rec.waitFor(t, "disconnect on 1300", func(ev broker.Event) bool {
		ce, ok := ev.(broker.ConnectivityEvent)
		return ok && ce.State == broker.Disconnected
	})
	waitReady(t, c)
	if _, err := c.PlaceOrder(ctxT(t), mkt("after-1300", m2k, broker.Buy, 1)); err != nil {
		t.Fatalf("PlaceOrder after the reconnect: %v", err)
	}
	if n := simOrders(sim, "after-1300"); n != 1 {
		t.Fatalf("the sim has %d orders with ref after-1300, want 1", n)
	}
}
