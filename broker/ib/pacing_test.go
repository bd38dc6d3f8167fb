package ib

import (
	"testing"
	"time"
)

// TestPacerDelays checks the sliding window with a frozen clock: perSec
// messages go at once, then each waits for the slot one second after the
// message perSec before it, so that no one-second window of send times holds
// more than perSec messages. After a quiet second the full burst is back.
func TestPacerDelays(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	for _, perSec := range []int{50, 20, 1} {
		now := t0
		p := newPacer(perSec, func() time.Time { return now })
		var sends []time.Time
		for k := range 3 * perSec {
			d := p.reserve()
			want := time.Duration(k/perSec) * pacingWindow
			if d != want {
				t.Fatalf("pacing %d: reservation %d delay %v, want %v", perSec, k, d, want)
			}
			sends = append(sends, t0.Add(d))
		}
		for i := range sends {
			n := 0
			for _, s := range sends[i:] {
				if s.Before(sends[i].Add(time.Second)) {
					n++
				}
			}
			if n > perSec {
				t.Fatalf("pacing %d: %d sends in the second from %v, want at most %d", perSec, n, sends[i].Sub(t0), perSec)
			}
		}
		now = sends[len(sends)-1].Add(pacingWindow)
		for k := range perSec {
			if d := p.reserve(); d != 0 {
				t.Fatalf("pacing %d: after a quiet second, message %d waits %v", perSec, k, d)
			}
		}
		if d := p.reserve(); d != pacingWindow {
			t.Fatalf("pacing %d: message past the burst waits %v, want %v", perSec, d, pacingWindow)
		}
	}
}
