package ib_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
)

// simNow is the simulator's fixed clock: Monday 2026-11-23, 15:00 UTC.
var simNow = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

// checkFor polls f every `every` until it returns nil or total has passed.
var checkFor = ib.CheckFor

// MustOpenSim starts a paper broker with the fixed clock.
func MustOpenSim(tb testing.TB, mutate func(*ibsim.Config)) *ibsim.Server {
	tb.Helper()
	cfg := ibsim.Config{Now: func() time.Time { return simNow }}
	if mutate != nil {
		mutate(&cfg)
	}
	s := ibsim.New(cfg)
	if err := s.Open(context.Background()); err != nil {
		tb.Fatalf("ibsim Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// recorder collects a client's events until the channel closes.
type recorder struct {
	mu      sync.Mutex
	evs     []broker.Event
	waiters map[string]chan struct{} // ref → closed at its first fill
	done    chan struct{}
}

// fillCh returns a channel closed at ref's first FillEvent; call it before
// placing the order.
func (r *recorder) fillCh(ref string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	r.waiters[ref] = ch
	return ch
}

func record(c *ib.Client) *recorder {
	r := &recorder{done: make(chan struct{}), waiters: map[string]chan struct{}{}}
	go func() {
		defer close(r.done)
		for ev := range c.Events() {
			r.mu.Lock()
			r.evs = append(r.evs, ev)
			if f, ok := ev.(broker.FillEvent); ok {
				if ch := r.waiters[f.Fill.Ref]; ch != nil {
					close(ch)
					delete(r.waiters, f.Fill.Ref)
				}
			}
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *recorder) events() []broker.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]broker.Event(nil), r.evs...)
}

// fills returns the fill events of ref.
func (r *recorder) fills(ref string) []broker.Fill {
	var out []broker.Fill
	for _, ev := range r.events() {
		if f, ok := ev.(broker.FillEvent); ok && f.Fill.Ref == ref {
			out = append(out, f.Fill)
		}
	}
	return out
}

// waitFor polls the events until one satisfies f.
func (r *recorder) waitFor(t testing.TB, what string, f func(broker.Event) bool) broker.Event {
	t.Helper()
	var got broker.Event
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		for _, ev := range r.events() {
			if f(ev) {
				got = ev
				return nil
			}
		}
		return fmt.Errorf("no %s event among %d", what, len(r.events()))
	})
	return got
}

// MustOpenClient connects an adapter to sim and records its events.
func MustOpenClient(tb testing.TB, sim *ibsim.Server, mutate func(*ib.Config)) (*ib.Client, *recorder) {
	tb.Helper()
	return mustOpenClientWith(tb, sim, mutate, nil)
}

// mustOpenClientWith is MustOpenClient with a hook that runs on the client
// before Open (to install a tap).
func mustOpenClientWith(tb testing.TB, sim *ibsim.Server, mutate func(*ib.Config), before func(*ib.Client)) (*ib.Client, *recorder) {
	tb.Helper()
	cfg := ib.Config{Addr: sim.Addr(), ClientID: 7, Now: func() time.Time { return simNow },
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond, ConnectTimeout: 5 * time.Second,
		AckTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	c := ib.New(cfg)
	if before != nil {
		before(c)
	}
	if err := c.Open(context.Background()); err != nil {
		tb.Fatalf("ib Open: %v", err)
	}
	r := record(c)
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		<-r.done
	})
	return c, r
}

// waitReady polls until the client accepts requests again.
func waitReady(t testing.TB, c *ib.Client) {
	t.Helper()
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		_, err := c.OpenOrders(context.Background())
		if errors.Is(err, broker.ErrNotConnected) {
			return err
		}
		return nil
	})
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
