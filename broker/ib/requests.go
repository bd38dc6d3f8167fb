package ib

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

// request collects the answers to one request (correlated by request id,
// or, for the id-less reqAllOpenOrders and reqPositions, by being the only
// one in flight) until its end message or an error.
type request struct {
	id    int64
	mu    sync.Mutex
	items []any
	done  chan struct{}
	once  sync.Once
	err   error
}

func newRequest(id int64) *request { return &request{id: id, done: make(chan struct{})} }

func (r *request) add(v any) {
	r.mu.Lock()
	r.items = append(r.items, v)
	r.mu.Unlock()
}

func (r *request) finish(err error) {
	r.once.Do(func() {
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
		close(r.done)
	})
}

func (r *request) result() ([]any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]any(nil), r.items...), r.err
}

// wait waits for r to finish, for ctx, for the timeout and for the session.
func (c *Client) wait(ctx context.Context, s *session, r *request, what string) ([]any, error) {
	t := time.NewTimer(c.cfg.RequestTimeout)
	defer t.Stop()
	select {
	case <-r.done:
		return r.result()
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("no answer to %s within %v", what, c.cfg.RequestTimeout)
	case <-s.down:
		return nil, fmt.Errorf("%s: session lost: %w", what, broker.ErrNotConnected)
	}
}

// do registers a request with a fresh id, sends it and waits for it.
func (c *Client) do(ctx context.Context, s *session, what string, send func(id int64, s *session) error) ([]any, error) {
	r := newRequest(c.newReqID())
	c.mu.Lock()
	c.pending[r.id] = r
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, r.id)
		c.mu.Unlock()
	}()
	if err := send(r.id, s); err != nil {
		return nil, err
	}
	return c.wait(ctx, s, r, what)
}

// pendingReq returns the request with id, if any.
func (c *Client) pendingReq(id int64) *request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending[id]
}
