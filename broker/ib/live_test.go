package ib_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scmhub/ibapi"
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
)

// silentFill fills a market order in the paper broker's book without
// telling any client, as a trade TWS reports only in later snapshots.
func silentFill(t *testing.T, sim *ibsim.Server, conID int64, action string, qty int64) {
	t.Helper()
	e := sim.Engine()
	const client = 99
	o, _, err := e.Place(ibsim.OrderSpec{ClientID: client, OrderID: e.NextID(client), Account: e.AccountID(),
		Contract: ibsim.ContractQuery{ConID: conID}, Action: action, Quantity: decimal.NewFromInt(qty), Type: "MKT"})
	if err != nil || o.Status != broker.StatusFilled {
		t.Fatalf("engine Place %s %d of %d: %+v, %v", action, qty, conID, o, err)
	}
}

// samePositions compares the adapter's positions with the engine's.
func samePositions(got []broker.Position, want []ibsim.PositionView) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d positions %+v, the engine holds %d", len(got), got, len(want))
	}
	byID := map[int64]ibsim.PositionView{}
	for _, p := range want {
		byID[p.Listing.ConID] = p
	}
	for _, p := range got {
		w, ok := byID[p.Contract.ConID]
		// AvgCost crosses the wire as a float64.
		if !ok || p.Quantity != w.Quantity || p.AvgCost.Sub(w.AvgCost).Abs().GreaterThan(decimal.New(1, -6)) {
			return fmt.Errorf("position %d: %d @ %s, the engine holds %d @ %s", p.Contract.ConID, p.Quantity, p.AvgCost, w.Quantity, w.AvgCost)
		}
	}
	return nil
}

// sameAccount compares the adapter's account values with the engine's
// (which the paper broker sends rounded to cents).
func sameAccount(got broker.Account, want ibsim.AccountValues) error {
	for _, f := range []struct {
		name      string
		got, want decimal.Decimal
	}{
		{"NetLiquidation", got.NetLiquidation, want.NetLiquidation}, {"InitMargin", got.InitMargin, want.InitMargin},
		{"MaintMargin", got.MaintMargin, want.MaintMargin}, {"TotalCash", got.TotalCash, want.Cash},
		{"UnrealizedPnL", got.UnrealizedPnL, want.UnrealizedPnL},
	} {
		if !f.got.Equal(f.want.Round(2)) {
			return fmt.Errorf("%s = %s, the engine has %s", f.name, f.got, f.want.Round(2))
		}
	}
	return nil
}

func heldIn(pos []broker.Position, conID int64) int64 {
	for _, p := range pos {
		if p.Contract.ConID == conID {
			return p.Quantity
		}
	}
	return 0
}

func TestLiveViewFollowsTheAccount(t *testing.T) {
	sim := MustOpenSim(t, nil)
	e := sim.Engine()
	rty := e.Resolve(ibsim.ContractQuery{Symbol: "RTY"})[0]
	m2k := e.Resolve(ibsim.ContractQuery{Symbol: "M2K"})[0]
	silentFill(t, sim, rty.ConID, "BUY", 2)
	silentFill(t, sim, m2k.ConID, "SELL", 3)

	c, _ := MustOpenClient(t, sim, nil)
	pos, err := c.Positions(ctxT(t))
	if err != nil {
		t.Fatalf("Positions: %v", err)
	}
	if err := samePositions(pos, e.Positions()); err != nil {
		t.Fatalf("after Open: %v", err)
	}
	if pos[0].Contract.Symbol != "M2K" || pos[1].Contract.Symbol != "RTY" {
		t.Fatalf("Positions() = %+v, want M2K before RTY", pos)
	}
	acct, err := c.Account(ctxT(t))
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if err := sameAccount(acct, e.Account()); err != nil {
		t.Fatalf("after Open: %v", err)
	}
	if !acct.UpdatedAt.Equal(simNow) {
		t.Fatalf("UpdatedAt = %v, want the arrival of the values by the client's clock (%v)", acct.UpdatedAt, simNow)
	}

	// Another client's fill reaches this client through its subscriptions.
	other, orec := MustOpenClient(t, sim, func(cfg *ib.Config) { cfg.ClientID = 8 })
	ct := mustFront(t, other, "RTY")
	filled := orec.fillCh("other-1")
	if _, err := other.PlaceOrder(ctxT(t), mkt("other-1", ct, broker.Buy, 3)); err != nil {
		t.Fatalf("PlaceOrder by client 8: %v", err)
	}
	<-filled
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		pos, err := c.Positions(ctxT(t))
		if err != nil {
			return err
		}
		if heldIn(pos, rty.ConID) != 5 {
			return fmt.Errorf("RTY position %d, want 5", heldIn(pos, rty.ConID))
		}
		return samePositions(pos, e.Positions())
	})
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		acct, err := c.Account(ctxT(t))
		if err != nil {
			return err
		}
		return sameAccount(acct, e.Account())
	})

	// A price move changes the account's values, and the subscription
	// brings them.
	before, err := c.Account(ctxT(t))
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	sim.SetPrice("RUT", 2000)
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		acct, err := c.Account(ctxT(t))
		if err != nil {
			return err
		}
		if acct.NetLiquidation.Equal(before.NetLiquidation) {
			return fmt.Errorf("net liquidation still %s after the price move", acct.NetLiquidation)
		}
		return sameAccount(acct, e.Account())
	})
}

// onPositionAfterFill calls f on the first position frame after each of our
// executions, in the relay; the frame reaches the client if f returns true.
func onPositionAfterFill(c *ib.Client, f func() bool) {
	var afterExec atomic.Bool
	ib.SetTap(c, func(id int64, _ []byte) bool {
		switch id {
		case ibapi.EXECUTION_DATA:
			afterExec.Store(true)
		case ibapi.POSITION_DATA:
			if afterExec.Swap(false) {
				return f()
			}
		}
		return true
	})
}

// delayPositionAfterFill holds TWS's position update after each of our
// fills for d, so that it arrives well after the fill is reported.
func delayPositionAfterFill(c *ib.Client, d time.Duration) {
	onPositionAfterFill(c, func() bool { time.Sleep(d); return true })
}

// dropPositionAfterFill drops TWS's position update after each of our
// fills: it never comes.
func dropPositionAfterFill(c *ib.Client) { onPositionAfterFill(c, func() bool { return false }) }

// TestPositionsRightAfterOwnFill calls Positions as soon as the FillEvent
// is received: the answer must hold the fill whether TWS's position update
// is late (Positions waits for it) or never comes (Positions resyncs).
func TestPositionsRightAfterOwnFill(t *testing.T) {
	for _, tc := range []struct {
		name    string
		settle  time.Duration
		tap     func(*ib.Client)
		resyncs bool
	}{
		{"late update", 10 * time.Second, func(c *ib.Client) { delayPositionAfterFill(c, 500*time.Millisecond) }, false},
		{"no update", 20 * time.Millisecond, dropPositionAfterFill, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := MustOpenSim(t, nil)
			c, rec := mustOpenClientWith(t, sim, func(cfg *ib.Config) { cfg.SettleTimeout = tc.settle }, tc.tap)
			rty := mustFront(t, c, "RTY")
			if _, err := c.Positions(ctxT(t)); err != nil {
				t.Fatalf("Positions: %v", err)
			}
			for i, want := range []int64{2, 3, 0} { // buy 2, buy 1, sell 3: closed
				ref := fmt.Sprintf("own-%d", i)
				side, n := broker.Buy, want-heldIn(mustPositions(t, c), rty.ConID)
				if n < 0 {
					side, n = broker.Sell, -n
				}
				filled := rec.fillCh(ref)
				if _, err := c.PlaceOrder(ctxT(t), mkt(ref, rty, side, n)); err != nil {
					t.Fatalf("PlaceOrder %s: %v", ref, err)
				}
				<-filled
				sent := ib.SentFrames(c)
				pos := mustPositions(t, c)
				if got := heldIn(pos, rty.ConID); got != want {
					t.Fatalf("Positions() right after the fill of %s: RTY %d, want %d", ref, got, want)
				}
				if want == 0 && len(pos) != 0 {
					t.Fatalf("Positions() after closing = %+v, want none", pos)
				}
				if resent := ib.SentFrames(c) - sent; (resent > 0) != tc.resyncs {
					t.Fatalf("Positions sent %d frames, want a resync: %v", resent, tc.resyncs)
				}
			}
		})
	}
}

func mustPositions(t testing.TB, c *ib.Client) []broker.Position {
	t.Helper()
	pos, err := c.Positions(ctxT(t))
	if err != nil {
		t.Fatalf("Positions: %v", err)
	}
	return pos
}

// TestLiveViewSendsNothing is the point of the live view: once it is
// complete, Account and Positions are answered without a frame to TWS.
func TestLiveViewSendsNothing(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, _ := MustOpenClient(t, sim, nil)
	mustPositions(t, c)
	if _, err := c.Account(ctxT(t)); err != nil {
		t.Fatalf("Account: %v", err)
	}
	before := ib.SentFrames(c)
	for range 200 {
		mustPositions(t, c)
		if _, err := c.Account(ctxT(t)); err != nil {
			t.Fatalf("Account: %v", err)
		}
	}
	if after := ib.SentFrames(c); after != before {
		t.Fatalf("200 Account+Positions calls sent %d frames to TWS, want 0", after-before)
	}
}

// TestLiveViewRebuiltAfterReconnect changes the book while the client
// cannot hear of it; a new session's view shows the change, and the old
// view is never served once the session is known lost.
func TestLiveViewRebuiltAfterReconnect(t *testing.T) {
	sim := MustOpenSim(t, nil)
	e := sim.Engine()
	rty := e.Resolve(ibsim.ContractQuery{Symbol: "RTY"})[0]
	c, rec := MustOpenClient(t, sim, nil)
	mustPositions(t, c) // the first snapshot is in
	silentFill(t, sim, rty.ConID, "BUY", 1)
	if got := heldIn(mustPositions(t, c), rty.ConID); got != 0 {
		t.Fatalf("RTY %d before any update, want 0 (the view has not heard of the silent fill)", got)
	}
	sim.DropConnections()
	rec.waitFor(t, "disconnected", isState(broker.Disconnected))
	checkFor(t, 10*time.Second, time.Millisecond, func() error {
		pos, err := c.Positions(ctxT(t))
		if errors.Is(err, broker.ErrNotConnected) {
			return err
		}
		if err != nil {
			t.Fatalf("Positions during the reconnect: %v", err)
		}
		if got := heldIn(pos, rty.ConID); got != 1 {
			t.Fatalf("Positions() after the session was lost: RTY %d, want 1 (an old view was served)", got)
		}
		return nil
	})
	if err := samePositions(mustPositions(t, c), e.Positions()); err != nil {
		t.Fatal(err)
	}

	// 1101: TWS lost data; the session resubscribes and its view is rebuilt.
	silentFill(t, sim, rty.ConID, "BUY", 1)
	sim.LoseConnectivity(1101, 50*time.Millisecond)
	rec.waitFor(t, "1101", isState(broker.DataLost))
	checkFor(t, 10*time.Second, time.Millisecond, func() error {
		pos, err := c.Positions(ctxT(t))
		if err != nil {
			return err
		}
		if got := heldIn(pos, rty.ConID); got != 2 {
			return fmt.Errorf("RTY %d after 1101, want 2", got)
		}
		return nil
	})
	if _, err := c.Account(ctxT(t)); err != nil {
		t.Fatalf("Account after 1101: %v", err)
	}
}

// TestLostPositionEndReconnects loses the positionEnd of a session's first
// positions snapshot: Positions cannot answer (the view never completes),
// so the adapter drops the session, and the next one answers in full.
func TestLostPositionEndReconnects(t *testing.T) {
	sim := MustOpenSim(t, nil)
	rty := sim.Engine().Resolve(ibsim.ContractQuery{Symbol: "RTY"})[0]
	silentFill(t, sim, rty.ConID, "BUY", 2)
	var dropped atomic.Bool
	c, rec := mustOpenClientWith(t, sim, func(cfg *ib.Config) { cfg.RequestTimeout = time.Second }, func(c *ib.Client) {
		ib.SetTap(c, func(id int64, _ []byte) bool {
			return id != ibapi.POSITION_END || !dropped.CompareAndSwap(false, true)
		})
	})
	if _, err := c.Positions(ctxT(t)); err == nil || !strings.Contains(err.Error(), "no positionEnd") {
		t.Fatalf("Positions with the snapshot's positionEnd lost: %v, want no positionEnd", err)
	}
	rec.waitFor(t, "the session dropped for its snapshot", func(ev broker.Event) bool {
		ce, ok := ev.(broker.ConnectivityEvent)
		return ok && ce.State == broker.Disconnected && strings.Contains(ce.Reason, "no positionEnd")
	})
	checkFor(t, 15*time.Second, 10*time.Millisecond, func() error {
		_, err := c.Positions(ctxT(t))
		return err
	})
	pos := mustPositions(t, c)
	if got := heldIn(pos, rty.ConID); got != 2 {
		t.Fatalf("RTY %d after the reconnect, want 2", got)
	}
	if err := samePositions(pos, sim.Engine().Positions()); err != nil {
		t.Fatal(err)
	}
}

// TestAccountReadAfreshWhenOld: account values move with prices and TWS
// pushes a summary subscription's updates only every few minutes, so values
// older than AccountMaxAge are read again with a request of their own.
func TestAccountReadAfreshWhenOld(t *testing.T) {
	sim := MustOpenSim(t, nil)
	var offset atomic.Int64
	now := func() time.Time { return simNow.Add(time.Duration(offset.Load())) }
	c, _ := mustOpenClientWith(t, sim, func(cfg *ib.Config) { cfg.Now, cfg.AccountMaxAge = now, 10*time.Second }, nil)
	first, err := c.Account(ctxT(t))
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	offset.Store(int64(5 * time.Second))
	sent := ib.SentFrames(c)
	if a, err := c.Account(ctxT(t)); err != nil || !a.UpdatedAt.Equal(first.UpdatedAt) || ib.SentFrames(c) != sent {
		t.Fatalf("5s later: %+v, %v, %d frames sent; want the view's values and no frame", a, err, ib.SentFrames(c)-sent)
	}
	offset.Store(int64(11 * time.Second))
	a, err := c.Account(ctxT(t))
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if !a.UpdatedAt.Equal(now()) || ib.SentFrames(c) == sent {
		t.Fatalf("11s later (AccountMaxAge 10s): updated at %v with %d frames sent; want a fresh read at %v", a.UpdatedAt, ib.SentFrames(c)-sent, now())
	}
	if err := sameAccount(a, sim.Engine().Account()); err != nil {
		t.Fatal(err)
	}
	// The fresh read ends with a cancel that nothing answers. Closing the
	// client before ibapi's writer takes it from its queue would leave it
	// unread while ibapi resets the EClient on shutdown, which the race
	// detector reports (ibapi resets its fields without a lock). Wait until
	// the request and its cancel have left for TWS.
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if n := ib.SentFrames(c) - sent; n < 2 {
			return fmt.Errorf("%d of the fresh read's 2 frames sent", n)
		}
		return nil
	})
}
