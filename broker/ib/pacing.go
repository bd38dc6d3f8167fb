package ib

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// pacer is the token bucket in front of every EClient request call. IB
// counts messages a second, so the bucket is sized so that no one-second
// window can hold more than perSec messages: a burst of perSec/10 (at least
// 1) plus a refill rate of perSec-burst. Its clock is injectable so tests can
// check the delays it hands out without sleeping; in production it is
// time.Now (not Config.Now, which may be a simulated clock).
type pacer struct {
	lim *rate.Limiter
	now func() time.Time
}

func newPacer(perSec int, now func() time.Time) *pacer {
	burst := max(1, perSec/10)
	r := max(perSec-burst, 1)
	return &pacer{lim: rate.NewLimiter(rate.Limit(r), burst), now: now}
}

// reserve takes one token and says how long the caller must wait before
// sending; it does not sleep.
func (p *pacer) reserve() (*rate.Reservation, time.Duration) {
	t := p.now()
	r := p.lim.ReserveN(t, 1)
	return r, r.DelayFrom(t)
}

// wait blocks until a message may be sent or ctx is done; on ctx the token
// is given back.
func (p *pacer) wait(ctx context.Context) error {
	r, d := p.reserve()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.CancelAt(p.now())
		return ctx.Err()
	}
}
