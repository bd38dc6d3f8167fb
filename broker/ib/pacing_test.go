package ib

import (
	"testing"
	"time"
)

// TestPacerDelays checks the token bucket with a frozen clock: the burst
// goes at once, then one message every 1/(perSec-burst) s, so that no
// one-second window of send times holds more than perSec messages.
func TestPacerDelays(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	for _, perSec := range []int{50, 20, 1} {
		p := newPacer(perSec, func() time.Time { return t0 })
		burst := max(1, perSec/10)
		step := time.Second / time.Duration(max(perSec-burst, 1))
		var sends []time.Time
		for k := range 3 * perSec {
			_, d := p.reserve()
			want := time.Duration(0)
			if k >= burst {
				want = time.Duration(k-burst+1) * step
			}
			if diff := d - want; diff < -time.Microsecond || diff > time.Microsecond {
				t.Fatalf("pacing %d: reservation %d delay %v, want %v", perSec, k, d, want)
			}
			sends = append(sends, t0.Add(d))
		}
		limit := max(perSec, 2) // at 1/s the burst of 1 plus the rate of 1 makes 2
		for i := range sends {
			n := 0
			for _, s := range sends[i:] {
				if s.Before(sends[i].Add(time.Second)) {
					n++
				}
			}
			if n > limit {
				t.Fatalf("pacing %d: %d sends in the second from %v, want at most %d", perSec, n, sends[i].Sub(t0), limit)
			}
		}
	}
}
