package ib

import (
	"context"
	"sync"
	"time"
)

// pacingWindow is IB's one second plus a margin for delivery jitter: a
// message delayed on its way must not land in the next window's count.
const pacingWindow = time.Second + 10*time.Millisecond

// pacer keeps IB's message limit exactly: at most perSec messages in any
// one-second window. It remembers the send slots of the last perSec messages
// in a ring; the next message may go one second (pacingWindow) after the oldest of them
// (at once while fewer than perSec were sent in the last second). A burst of
// perSec therefore goes out at once, which matters for rotor's latency: an
// event's decision reads the account, positions and prices in a handful of
// messages. Its clock is injectable so tests can check the delays it hands
// out without sleeping; in production it is time.Now (not Config.Now, which
// may be a simulated clock). The relay applies a second pacer to the frames
// as they leave for TWS (see relay.clientToServer).
type pacer struct {
	mu   sync.Mutex
	ring []time.Time // send slots, oldest at next
	next int
	now  func() time.Time
}

func newPacer(perSec int, now func() time.Time) *pacer {
	return &pacer{ring: make([]time.Time, max(perSec, 1)), now: now}
}

// reserve takes the next send slot and says how long the caller must wait
// for it; it does not sleep. A slot is never given back: a caller that gives
// up only makes the window more conservative.
func (p *pacer) reserve() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	slot := t
	if oldest := p.ring[p.next]; !oldest.IsZero() && oldest.Add(pacingWindow).After(t) {
		slot = oldest.Add(pacingWindow)
	}
	p.ring[p.next] = slot
	p.next = (p.next + 1) % len(p.ring)
	return slot.Sub(t)
}

// wait blocks until a message may be sent or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	d := p.reserve()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
