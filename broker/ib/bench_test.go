package ib_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

// BenchmarkPlaceFilledRoundTrip measures PlaceOrder of a market order until
// its FillEvent arrives, against ibsim over loopback. "back-to-back" is
// bound by pacing (one message per 1/45 s once the burst is spent);
// "spaced" lets the token bucket refill between orders (outside the timer)
// and so measures the adapter and the wire.
func BenchmarkPlaceFilledRoundTrip(b *testing.B) {
	b.Run("back-to-back", func(b *testing.B) { benchRoundTrip(b, 0) })
	b.Run("spaced", func(b *testing.B) { benchRoundTrip(b, 25*time.Millisecond) })
}

func benchRoundTrip(b *testing.B, gap time.Duration) {
	sim := MustOpenSim(b, nil)
	c, rec := MustOpenClient(b, sim, nil)
	ct, err := c.ResolveFuture(ctxT(b), "M2K", simNow, 5)
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	side := broker.Buy
	b.ResetTimer()
	for i := range b.N {
		ref := fmt.Sprintf("bench-%d", i)
		if gap > 0 {
			b.StopTimer()
			time.Sleep(gap)
			b.StartTimer()
		}
		filled := rec.fillCh(ref)
		start := time.Now()
		if _, err := c.PlaceOrder(ctxT(b), mkt(ref, ct, side, 1)); err != nil {
			b.Fatal(err)
		}
		<-filled
		lat = append(lat, time.Since(start))
		if side == broker.Buy {
			side = broker.Sell
		} else {
			side = broker.Buy
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkAccountAndPositions measures one Account plus one Positions call
// answered from the session's live view (two positions held), which is
// what the portfolio service pays per event.
func BenchmarkAccountAndPositions(b *testing.B) {
	sim := MustOpenSim(b, nil)
	c, rec := MustOpenClient(b, sim, nil)
	for i, root := range []string{"RTY", "M2K"} {
		ct, err := c.ResolveFuture(ctxT(b), root, simNow, 5)
		if err != nil {
			b.Fatal(err)
		}
		ref := fmt.Sprintf("bench-pos-%d", i)
		filled := rec.fillCh(ref)
		if _, err := c.PlaceOrder(ctxT(b), mkt(ref, ct, broker.Buy, 1)); err != nil {
			b.Fatal(err)
		}
		<-filled
	}
	ctx := ctxT(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Account(ctx); err != nil {
			b.Fatal(err)
		}
		if pos, err := c.Positions(ctx); err != nil || len(pos) != 2 {
			b.Fatalf("Positions()=%v, %v; want 2", pos, err)
		}
	}
}
