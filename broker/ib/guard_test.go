package ib

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scmhub/ibapi"
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/broker/ibsim/wire"
)

// CheckFor polls f every `every` until it returns nil or total has
// passed. It is exported to this directory's external test package too.
func CheckFor(t testing.TB, total, every time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(every)
	}
	t.Fatalf("condition not met within %v: %v", total, err)
}

func TestDecoderLayout(t *testing.T) {
	if err := checkDecoderLayout(); err != nil {
		t.Fatal(err)
	}
}

// recordSession runs a real session against ibsim through the relay and
// returns every server frame it saw.
func recordSession(t *testing.T, max wire.Version) (frames [][]byte, version int) {
	t.Helper()
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	sim := ibsim.New(ibsim.Config{Now: func() time.Time { return now }, MaxVersion: max})
	if err := sim.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var mu sync.Mutex
	c := New(Config{Addr: sim.Addr(), ClientID: 3, Now: func() time.Time { return now }})
	c.tap = func(p []byte) bool {
		mu.Lock()
		frames = append(frames, bytes.Clone(p))
		mu.Unlock()
		return true
	}
	if err := c.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range c.Events() {
		}
	}()
	ctx := context.Background()
	rty, err := c.ResolveFuture(ctx, "RTY", now, 5)
	if err != nil {
		t.Fatal(err)
	}
	c.ResolveStock(ctx, "IWM")
	c.ResolveStock(ctx, "NOPE")
	sim.SetPrice("RUT", 2400)
	c.PlaceOrder(ctx, broker.OrderRequest{Ref: "f1", Contract: rty, Side: broker.Buy, Quantity: 1, Type: broker.Market})
	c.PlaceOrder(ctx, broker.OrderRequest{Ref: "f2", Contract: rty, Side: broker.Buy, Quantity: 1, Type: broker.Limit, LimitPrice: decimal.NewFromInt(2000)})
	c.Account(ctx)
	c.Positions(ctx)
	c.OpenOrders(ctx)
	c.Executions(ctx, time.Time{})
	c.DailyBars(ctx, rty, now, 5)
	version = c.ready().version
	c.Close()
	mu.Lock()
	defer mu.Unlock()
	return frames, version
}

// corrupt damages a frame the way a broken TWS or network might.
func corrupt(rng *rand.Rand, p []byte) []byte {
	fields := bytes.Split(p, []byte{0})
	switch rng.IntN(6) {
	case 0: // truncate anywhere
		return bytes.Clone(p[:rng.IntN(len(p))])
	case 1: // a number becomes text
		i := rng.IntN(len(fields))
		fields[i] = []byte("x!")
	case 2: // a field goes missing
		i := rng.IntN(len(fields))
		fields = append(fields[:i:i], fields[i+1:]...)
	case 3: // a huge count
		i := rng.IntN(len(fields))
		fields[i] = []byte(strconv.FormatInt(rng.Int64N(1<<50)+1<<20, 10))
	case 4: // a flipped byte
		q := bytes.Clone(p)
		q[rng.IntN(len(q))] ^= byte(1 + rng.IntN(255))
		return q
	case 5: // a negative count
		i := rng.IntN(len(fields))
		fields[i] = []byte("-7")
	}
	return bytes.Join(fields, []byte{0})
}

type probeWrapper struct {
	silentWrapper
	last atomic.Int64
}

func (w *probeWrapper) NextValidID(id int64) { w.last.Store(id) }

// TestGuardSurvivesCorruptFrames sends thousands of damaged copies of real
// frames through the guard into a real EClient, over the text encoding and
// over protobuf: the process must survive, the guard must report bad
// frames, and the EClient must still read the sentinel frame sent after
// them. A protobuf body with a flipped byte often still parses (as wrong
// values, which no framing can tell), so fewer protobuf frames are caught.
func TestGuardSurvivesCorruptFrames(t *testing.T) {
	for _, tt := range []struct {
		version wire.Version
		minBad  int64 // of n damaged frames
	}{{200, n / 4}, {wire.MaxVersion, n / 4}} {
		t.Run(fmt.Sprintf("v%d", tt.version), func(t *testing.T) { testGuardSurvives(t, tt.version, tt.minBad) })
	}
}

// n is how many damaged frames TestGuardSurvivesCorruptFrames sends.
const n = 3000

func testGuardSurvives(t *testing.T, version wire.Version, minBad int64) {
	frames, v := recordSession(t, version)
	if len(frames) < 20 {
		t.Fatalf("recorded only %d frames", len(frames))
	}
	types := map[string]bool{}
	g := newGuard(v)
	for _, f := range frames {
		if name, err := g.check(f); err == nil {
			types[name] = true
		}
	}
	for _, want := range []string{"openOrder", "orderStatus", "execDetails", "contractData", "commissionReport", "accountSummary", "position", "historicalData"} {
		if !types[want] {
			t.Errorf("no valid %s frame recorded (got %v)", want, types)
		}
	}

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	serverDone := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			serverDone <- err
			return
		}
		defer conn.Close()
		if _, err := wire.ReadHello(conn); err != nil {
			serverDone <- err
			return
		}
		conn.Write(wire.HelloReply(wire.Version(v), time.Now()))
		// Wait for startApi and one request: ibapi v0.10.44 adds its
		// requester goroutine to its WaitGroup from inside that goroutine,
		// so an EClient torn down before the requester has run races with
		// itself. The request proves the requester is running.
		for range 2 {
			if _, err := wire.ReadFrame(conn); err != nil {
				serverDone <- err
				return
			}
		}
		go io.Copy(io.Discard, conn)
		var buf bytes.Buffer
		for i := range n {
			p := corrupt(rng, frames[i%len(frames)])
			var l [4]byte
			binary.BigEndian.PutUint32(l[:], uint32(len(p)))
			buf.Write(l[:])
			buf.Write(p)
		}
		buf.Write(wire.Encoder{V: wire.Version(v)}.NextValidID(4242))
		_, err = conn.Write(buf.Bytes())
		serverDone <- err
		<-stop // held open until the test ends
	}()
	up, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var bad atomic.Int64
	r, err := startRelay(up, 5*time.Second, MaxPacing, func(string, error) { bad.Add(1) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	w := &probeWrapper{}
	ec := ibapi.NewEClient(w)
	host, port := r.addr()
	if err := ec.Connect(host, port, 1); err != nil {
		t.Fatalf("Connect through the relay: %v", err)
	}
	ec.ReqCurrentTime()
	if err := <-serverDone; err != nil {
		t.Fatal(err)
	}
	CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if got := w.last.Load(); got != 4242 {
			return fmt.Errorf("sentinel not decoded yet (last next id %d)", got)
		}
		return nil
	})
	if bad.Load() < minBad {
		t.Fatalf("guard reported %d bad frames of %d damaged, want most of them", bad.Load(), n)
	}
	t.Logf("%d of %d damaged frames dropped; the rest decoded cleanly", bad.Load(), n)
}
