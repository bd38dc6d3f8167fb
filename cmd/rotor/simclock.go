package main

import (
	"sync"
	"time"
)

// simClock is the demo's simulated clock: the paper broker, the signal
// worker and the portfolio service all read it, and the demo moves it from
// one trading day to the next. After's channels fire when Set passes their
// deadline, which is how the signal worker's schedule wakes up.
type simClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []simTimer
}

type simTimer struct {
	at time.Time
	ch chan time.Time
}

func newSimClock(now time.Time) *simClock { return &simClock{now: now} }

// Now returns the simulated time.
func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After is time.After on the simulated clock.
func (c *simClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, simTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// Set moves the clock to now and fires the timers due by then.
func (c *simClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- now
	}
	c.timers = kept
}
