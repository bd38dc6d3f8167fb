package ib

import (
	"encoding/binary"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// SentFrames counts the frames c's ready session has sent TWS since its
// handshake (-1 when none is ready). Exported to the external tests.
func SentFrames(c *Client) int64 {
	s := c.ready()
	if s == nil {
		return -1
	}
	return s.relay.sent.Load()
}

// SetTap makes f see every server frame of c's sessions, with its message
// id, before the EClient does; a frame is dropped when f returns false.
// Call it before Open. Exported to the external tests.
func SetTap(c *Client, f func(id int64, p []byte) bool) {
	c.tap = func(p []byte) bool { return f(frameID(p), p) }
}

// frameID reads a frame's message id in either encoding (binary ids start
// with a zero byte, text ids with a digit), protobuf ids folded.
func frameID(p []byte) int64 {
	var id int64
	if len(p) >= 4 && p[0] == 0 {
		id = int64(binary.BigEndian.Uint32(p[:4]))
	} else {
		end := 0
		for end < len(p) && p[end] != 0 {
			end++
		}
		id, _ = strconv.ParseInt(string(p[:end]), 10, 64)
	}
	if id >= ibapi.PROTOBUF_MSG_ID {
		id -= ibapi.PROTOBUF_MSG_ID
	}
	return id
}

func testView() *liveView {
	v := newLiveView("DU1", 99, func() time.Time { return time.Unix(0, 0) })
	v.posSent, v.posFirst = 1, 1
	return v
}

func pos(acct string, conID, qty int64) broker.Position {
	return broker.Position{Account: acct, Contract: broker.Contract{ConID: conID, Symbol: "RTY"}, Quantity: qty}
}

func fill(id string, conID int64, side broker.Side, qty int64) broker.Fill {
	return broker.Fill{ExecID: id, Account: "DU1", Contract: broker.Contract{ConID: conID}, Side: side, Quantity: qty}
}

// settledNow reports whether every execution so far is reflected.
func settledNow(v *liveView) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.settled(v.execSeq)
}

func qty(v *liveView, conID int64) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.positions[conID].Quantity
}

// The orderings of execDetails and position messages, and what each
// leaves unsettled (the argument is in live.go).
func TestLiveViewSettling(t *testing.T) {
	t.Run("execution then position", func(t *testing.T) {
		v := testView()
		v.position(pos("DU1", 5, 1))
		v.positionEnd()
		v.executed(fill("e1", 5, broker.Buy, 2))
		if settledNow(v) {
			t.Fatal("settled before the position update")
		}
		v.position(pos("DU1", 5, 3))
		if !settledNow(v) {
			t.Fatal("not settled by the position with the fill")
		}
	})
	t.Run("position then execution needs a resync", func(t *testing.T) {
		v := testView()
		v.position(pos("DU1", 5, 1))
		v.positionEnd()
		v.position(pos("DU1", 5, 3)) // TWS sent the position first
		v.executed(fill("e1", 5, broker.Buy, 2))
		if settledNow(v) {
			t.Fatal("settled with no position after the execution")
		}
		r := v.beginResync()
		v.position(pos("DU1", 5, 3)) // the snapshot row: 3, the view expected 3+2
		if settledNow(v) {
			t.Fatal("settled by a row that does not carry the expected quantity")
		}
		v.positionEnd() // the snapshot was taken after the execution was sent
		if !r.done || !settledNow(v) || qty(v, 5) != 3 {
			t.Fatalf("after the resync: done=%v settled=%v qty=%d, want true true 3", r.done, settledNow(v), qty(v, 5))
		}
	})
	t.Run("execution during a resync stays unsettled", func(t *testing.T) {
		v := testView()
		v.positionEnd()
		v.executed(fill("e1", 5, broker.Buy, 1))
		r := v.beginResync()
		v.executed(fill("e2", 6, broker.Sell, 1)) // TWS may have sent it before or after the snapshot
		v.position(pos("DU1", 5, 1))
		v.positionEnd()
		if !r.done {
			t.Fatal("resync not done")
		}
		v.mu.Lock()
		_, u5 := v.unsettled[5]
		_, u6 := v.unsettled[6]
		v.mu.Unlock()
		if u5 || !u6 {
			t.Fatalf("unsettled 5=%v 6=%v, want false true", u5, u6)
		}
		v.position(pos("DU1", 6, -1))
		if !settledNow(v) {
			t.Fatal("the live update of 6 did not settle it")
		}
	})
	t.Run("two fills before their positions", func(t *testing.T) {
		v := testView()
		v.positionEnd()
		v.executed(fill("e1", 5, broker.Buy, 1))
		v.executed(fill("e2", 5, broker.Buy, 1))
		v.position(pos("DU1", 5, 1))
		if settledNow(v) {
			t.Fatal("settled by the position after one fill of two")
		}
		v.position(pos("DU1", 5, 2))
		if !settledNow(v) {
			t.Fatal("not settled by the position after both fills")
		}
	})
	t.Run("repeated execution", func(t *testing.T) {
		v := testView()
		v.positionEnd()
		v.executed(fill("e1", 5, broker.Buy, 1))
		v.position(pos("DU1", 5, 1))
		v.executed(fill("e1", 5, broker.Buy, 1))
		if !settledNow(v) {
			t.Fatal("a repeated execDetails marked the contract again")
		}
	})
	t.Run("another account", func(t *testing.T) {
		v := testView()
		v.positionEnd()
		v.position(pos("DU2", 5, 4))
		f := fill("e1", 5, broker.Buy, 1)
		f.Account = "DU2"
		v.executed(f)
		if !settledNow(v) || len(v.positionList()) != 0 {
			t.Fatalf("another account's rows reached the view: %+v", v.positionList())
		}
	})
	t.Run("owed positionEnd", func(t *testing.T) {
		v := testView()
		v.posSent, v.posFirst = 2, 2 // one answer of the retired view still due
		v.positionEnd()
		v.mu.Lock()
		done := v.positionsComplete()
		v.mu.Unlock()
		if done {
			t.Fatal("complete on a positionEnd owed to the retired view")
		}
	})
}

func TestLiveViewPositionList(t *testing.T) {
	v := testView()
	day := func(m time.Month) time.Time { return time.Date(2027, m, 17, 0, 0, 0, 0, time.UTC) }
	for _, p := range []broker.Position{
		{Account: "DU1", Contract: broker.Contract{ConID: 9, Symbol: "RTY", Expiry: day(6)}, Quantity: 1},
		{Account: "DU1", Contract: broker.Contract{ConID: 3, Symbol: "RTY", Expiry: day(3)}, Quantity: -2},
		{Account: "DU1", Contract: broker.Contract{ConID: 1, Symbol: "M2K", Expiry: day(3)}, Quantity: 4},
		{Account: "DU1", Contract: broker.Contract{ConID: 2, Symbol: "M2K", Expiry: day(3)}, Quantity: 0},
		{Account: "DU1", Contract: broker.Contract{ConID: 0, Symbol: "M2K", Expiry: day(3)}, Quantity: 1},
	} {
		v.position(p)
	}
	var got []int64
	for _, p := range v.positionList() {
		got = append(got, p.Contract.ConID)
	}
	if want := []int64{0, 1, 3, 9}; !slices.Equal(got, want) {
		t.Fatalf("positionList() conIDs = %v, want %v (by symbol, expiry, conID; zero dropped)", got, want)
	}
}
