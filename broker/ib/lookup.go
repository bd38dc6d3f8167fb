package ib

import (
	"context"
	"fmt"
	"time"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// OpenOrders implements broker.AccountReader: the working orders of the
// account, whichever client placed them (reqAllOpenOrders).
func (c *Client) OpenOrders(ctx context.Context) ([]broker.OrderReport, error) {
	s := c.ready()
	if s == nil {
		return nil, errNotReady("open orders")
	}
	all, err := c.queryOpenOrders(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("ib: open orders: %w", err)
	}
	acct := c.AccountID()
	var out []broker.OrderReport
	for _, r := range all {
		if (r.Account == "" || r.Account == acct) && (r.Status == "" || r.Status.Working()) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Executions implements broker.AccountReader (reqExecutions with a time
// filter; IB takes "yyyymmdd-hh:mm:ss" in UTC, which ibapi sends verbatim).
func (c *Client) Executions(ctx context.Context, since time.Time) ([]broker.Fill, error) {
	s := c.ready()
	if s == nil {
		return nil, errNotReady("executions")
	}
	f := &ibapi.ExecutionFilter{AcctCode: c.AccountID(), LastNDays: ibapi.UNSET_INT}
	if !since.IsZero() {
		f.Time = since.UTC().Format("20060102-15:04:05")
	}
	fills, err := c.queryExecutions(ctx, s, f)
	if err != nil {
		return nil, fmt.Errorf("ib: executions since %s: %w", since.Format(time.RFC3339), err)
	}
	out := fills[:0]
	for _, f := range fills {
		if f.Time.IsZero() || !f.Time.Before(since) {
			out = append(out, f)
		}
	}
	return out, nil
}

// LookupOrder implements broker.OrderRouter: it finds ref among the open
// orders (reqAllOpenOrders) and executions (reqExecutions) at TWS, and
// resolves an unknown outcome with what it finds.
func (c *Client) LookupOrder(ctx context.Context, ref string) (broker.OrderReport, error) {
	s := c.ready()
	if s == nil {
		return broker.OrderReport{}, errNotReady("lookup order " + ref)
	}
	opens, err := c.queryOpenOrders(ctx, s)
	if err != nil {
		return broker.OrderReport{}, fmt.Errorf("ib: lookup order %s: %w", ref, err)
	}
	fills, err := c.queryExecutions(ctx, s, &ibapi.ExecutionFilter{AcctCode: c.AccountID(), LastNDays: ibapi.UNSET_INT})
	if err != nil {
		return broker.OrderReport{}, fmt.Errorf("ib: lookup order %s: %w", ref, err)
	}
	rep, found := c.resolve(ref, opens, fills)
	if !found {
		return broker.OrderReport{}, fmt.Errorf("ib: lookup order %s: neither open nor executed at TWS: %w", ref, broker.ErrOrderNotFound)
	}
	return rep, nil
}

// CancelOrder implements broker.OrderRouter. It cancels orders of this
// client id only (TWS refuses to cancel another client's orders).
func (c *Client) CancelOrder(ctx context.Context, ref string) (broker.OrderReport, error) {
	s := c.ready()
	if s == nil {
		return broker.OrderReport{}, errNotReady("cancel order " + ref)
	}
	c.mu.Lock()
	o := c.orders[ref]
	c.mu.Unlock()
	if o == nil {
		return broker.OrderReport{}, fmt.Errorf("ib: cancel order %s: not placed through this client: %w", ref, broker.ErrOrderNotFound)
	}
	c.mu.Lock()
	id, st := o.report.OrderID, o.report.Status
	o.cancErr = nil
	c.mu.Unlock()
	if st.Final() || st == broker.StatusUnknown {
		return o.snapshot(c), fmt.Errorf("ib: cancel order %s: status %s, not working: %w", ref, st, broker.ErrOrderNotFound)
	}
	if err := c.send(ctx, s, func(ec *ibapi.EClient) { ec.CancelOrder(id, ibapi.NewOrderCancel()) }); err != nil {
		return broker.OrderReport{}, fmt.Errorf("ib: cancel order %s: %w", ref, err)
	}
	timer := time.NewTimer(c.cfg.AckTimeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		rep, cerr, changed := o.report, o.cancErr, o.changed
		c.mu.Unlock()
		switch {
		case cerr != nil:
			return rep, fmt.Errorf("ib: cancel order %s: %w", ref, cerr)
		case rep.Status == broker.StatusCancelled || rep.Status == broker.StatusApiCancelled:
			return rep, nil
		case rep.Status.Final():
			return rep, fmt.Errorf("ib: cancel order %s: it ended %s first: %w", ref, rep.Status, broker.ErrOrderNotFound)
		}
		select {
		case <-changed:
		case <-timer.C:
			return rep, fmt.Errorf("ib: cancel order %s: no confirmation within %v; check with LookupOrder", ref, c.cfg.AckTimeout)
		case <-s.down:
			return rep, fmt.Errorf("ib: cancel order %s: connection lost before confirmation; check with LookupOrder: %w", ref, broker.ErrNotConnected)
		case <-ctx.Done():
			return rep, fmt.Errorf("ib: cancel order %s: %w", ref, ctx.Err())
		}
	}
}

func (o *order) snapshot(c *Client) broker.OrderReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return o.report
}
