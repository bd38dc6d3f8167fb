package ib

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// order is the adapter's record of an order placed through it.
type order struct {
	req     broker.OrderRequest
	report  broker.OrderReport
	acked   bool
	err     error // the first error TWS reported for the current id
	cancErr error // an error answering a cancel (10147)
	changed chan struct{}
}

// notify wakes the order's waiters; c.mu must be held.
func (o *order) notify() {
	close(o.changed)
	o.changed = make(chan struct{})
}

// PlaceOrder implements broker.OrderRouter.
//
// While no session is ready (before Open, during a reconnect, or while TWS
// reports 1100) it fails fast with broker.ErrNotConnected and sends nothing:
// the caller decides whether to try again. Once the order may have reached
// TWS it is never sent again, except after IB error 103 (duplicate order id),
// which means TWS did not take it: the adapter then asks for a fresh id
// (reqIds) and places it again under the new id.
func (c *Client) PlaceOrder(ctx context.Context, req broker.OrderRequest) (broker.OrderReport, error) {
	if err := req.Validate(); err != nil {
		return broker.OrderReport{}, fmt.Errorf("ib: place order %s: %w", req.Ref, err)
	}
	if req.TIF == "" {
		req.TIF = broker.Day
	}
	acct := c.AccountID()
	if acct == "" {
		return broker.OrderReport{}, errNotReady("place order " + req.Ref)
	}
	if !broker.IsPaper(acct) {
		return broker.OrderReport{}, fmt.Errorf("ib: place order %s: account %s is not a paper account (paper account ids start with DU) and rotor only routes orders to paper accounts: %w",
			req.Ref, acct, broker.ErrNotPaperAccount)
	}
	s := c.ready()
	if s == nil {
		return broker.OrderReport{}, errNotReady("place order " + req.Ref)
	}
	c.mu.Lock()
	if _, dup := c.orders[req.Ref]; dup {
		c.mu.Unlock()
		return broker.OrderReport{}, fmt.Errorf("ib: place order %s: %w", req.Ref, broker.ErrDuplicateRef)
	}
	o := &order{req: req, changed: make(chan struct{})}
	o.report = broker.OrderReport{Ref: req.Ref, ClientID: c.cfg.ClientID, Account: acct, Contract: req.Contract,
		Side: req.Side, Quantity: req.Quantity, Type: req.Type, LimitPrice: req.LimitPrice, TIF: req.TIF,
		Status: broker.StatusPendingSubmit, Remaining: req.Quantity}
	c.orders[req.Ref] = o
	c.mu.Unlock()

	for attempt := 1; ; attempt++ {
		rep, err := c.placeOnce(ctx, s, o, acct)
		if !errors.Is(err, broker.ErrDuplicateOrderID) || attempt == 3 {
			return rep, err
		}
		c.log.Warn().Str("ref", req.Ref).Int64("id", rep.OrderID).Msg("duplicate order id (103); asking for a fresh id")
		id, ferr := c.freshOrderID(ctx, s)
		if ferr != nil {
			return rep, fmt.Errorf("%w (and no fresh order id: %v)", err, ferr)
		}
		c.mu.Lock()
		c.nextID = max(id, rep.OrderID+1)
		c.mu.Unlock()
	}
}

// placeOnce sends o under the next order id and waits for its acknowledgement.
func (c *Client) placeOnce(ctx context.Context, s *session, o *order, acct string) (broker.OrderReport, error) {
	ref := o.req.Ref
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	o.report.OrderID, o.err, o.acked = id, nil, false
	c.byID[id] = o
	c.mu.Unlock()

	notSent := func(err error) (broker.OrderReport, error) {
		c.mu.Lock()
		delete(c.orders, ref)
		delete(c.byID, id)
		c.mu.Unlock()
		return broker.OrderReport{}, fmt.Errorf("ib: place order %s: not sent: %w", ref, err)
	}
	if err := c.send(ctx, s, func(ec *ibapi.EClient) { ec.PlaceOrder(id, toIBContract(o.req.Contract), toIBOrder(o.req, acct)) }); err != nil {
		return notSent(err)
	}
	c.log.Info().Str("ref", ref).Int64("id", id).Str("contract", o.req.Contract.String()).Msg("order sent")

	timer := time.NewTimer(c.cfg.AckTimeout)
	defer timer.Stop()
	var grace <-chan time.Time
	for {
		c.mu.Lock()
		err, acked, rep, changed := o.err, o.acked, o.report, o.changed
		c.mu.Unlock()
		switch {
		case err != nil && errors.Is(err, broker.ErrNotConnected) && !acked:
			return notSent(err) // the EClient refused to send it (502/504)
		case err != nil:
			return rep, fmt.Errorf("ib: place order %s: %w", ref, err)
		case acked && (rep.Status == broker.StatusInactive || rep.Status == broker.StatusCancelled || rep.Status == broker.StatusApiCancelled):
			// TWS usually sends the reason (201) with or right after this
			// status; give it a moment before calling it a plain rejection.
			if grace == nil {
				g := time.NewTimer(250 * time.Millisecond)
				defer g.Stop()
				grace = g.C
			}
		case acked:
			return rep, nil
		}
		select {
		case <-changed:
		case <-grace:
			return rep, fmt.Errorf("ib: place order %s: came back %s: %w", ref, rep.Status, broker.ErrRejected)
		case <-timer.C:
			return c.unknownOutcome(o, fmt.Sprintf("no acknowledgement within %v", c.cfg.AckTimeout))
		case <-s.down:
			return c.unknownOutcome(o, "the connection to TWS dropped")
		case <-ctx.Done():
			return c.unknownOutcome(o, ctx.Err().Error())
		}
	}
}

func (c *Client) unknownOutcome(o *order, why string) (broker.OrderReport, error) {
	c.mu.Lock()
	o.report.Status = broker.StatusUnknown
	c.unknown[o.req.Ref] = true
	rep := o.report
	c.mu.Unlock()
	c.log.Warn().Str("ref", o.req.Ref).Str("why", why).Msg("order outcome unknown")
	return rep, fmt.Errorf("ib: place order %s: sent, but %s; resolve with LookupOrder: %w", o.req.Ref, why, broker.ErrUnknownOutcome)
}

// orderStatus applies an orderStatus message to the order it belongs to.
func (c *Client) orderStatus(id, clientID int64, st broker.OrderStatus, filled, remaining int64, avg float64, permID int64) {
	if clientID != 0 && clientID != c.cfg.ClientID {
		return
	}
	c.mu.Lock()
	o := c.byID[id]
	if o == nil {
		c.mu.Unlock()
		return
	}
	changed := o.report.Status != st || o.report.Filled != filled || !o.acked
	o.report.Status, o.report.Filled, o.report.Remaining = st, filled, remaining
	o.report.AvgFillPrice = decFloat(avg)
	if permID != 0 {
		o.report.PermID = permID
	}
	o.report.UpdatedAt = c.cfg.Now()
	c.ackLocked(o, changed)
}

// openOrder applies an openOrder message to our order with that id or ref.
func (c *Client) openOrder(r broker.OrderReport) {
	if r.ClientID != c.cfg.ClientID {
		return
	}
	c.mu.Lock()
	o := c.byID[r.OrderID]
	if o == nil && r.Ref != "" {
		if o = c.orders[r.Ref]; o != nil {
			c.byID[r.OrderID] = o
			o.report.OrderID = r.OrderID
		}
	}
	if o == nil || (r.Ref != "" && r.Ref != o.req.Ref) {
		c.mu.Unlock()
		return
	}
	// openOrder carries no fill counts: a Filled from it would be a report
	// claiming a fill of nothing. The orderStatus that moves the order to
	// Filled, with its counts and price, follows; that one says so.
	status := r.Status
	if status == broker.StatusFilled {
		status = ""
	}
	changed := !o.acked || (status != "" && status != o.report.Status)
	if r.PermID != 0 {
		o.report.PermID = r.PermID
	}
	if status != "" {
		o.report.Status = status
	}
	o.report.UpdatedAt = r.UpdatedAt
	c.ackLocked(o, changed)
}

// ackLocked records that TWS has acknowledged o (its outcome is no longer
// unknown), wakes its waiters, releases c.mu (which the caller holds) and
// reports the new state when it changed.
func (c *Client) ackLocked(o *order, changed bool) {
	o.acked = true
	delete(c.unknown, o.req.Ref)
	o.notify()
	rep := o.report
	c.mu.Unlock()
	if changed {
		c.emit(broker.OrderEvent{Time: rep.UpdatedAt, Report: rep})
	}
}

// orderError applies an error message to the order with that id; false
// when the id is not one of our orders.
func (c *Client) orderError(id, code int64, msg string) bool {
	c.mu.Lock()
	o := c.byID[id]
	if o == nil {
		c.mu.Unlock()
		return false
	}
	ref := o.req.Ref
	e := ibError(id, code, msg, ref)
	var ev broker.Event
	switch {
	case code == codeCancelled:
		o.report.Status = broker.StatusCancelled
		o.report.UpdatedAt = c.cfg.Now()
		if !o.acked {
			e.Kind = broker.ErrRejected // cancelled on arrival
			o.err = e
		}
		ev = broker.OrderEvent{Time: o.report.UpdatedAt, Report: o.report}
	case informational(code):
		c.mu.Unlock()
		c.log.Info().Str("ref", ref).Int64("code", code).Str("msg", msg).Msg("order warning")
		return true
	case code == codeCancelUnknownOrder:
		o.cancErr = e
	default:
		if o.err == nil {
			o.err = e
		}
		if o.acked {
			ev = broker.ErrorEvent{Time: c.cfg.Now(), Err: fmt.Errorf("ib: order %s: %w", ref, e)}
		}
	}
	o.notify()
	c.mu.Unlock()
	if ev != nil {
		c.emit(ev)
	}
	return true
}
