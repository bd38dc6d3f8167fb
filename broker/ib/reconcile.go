package ib

import (
	"context"
	"fmt"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// reconcile re-reads open orders and executions on s before it is declared
// ready: it learns the ids of our orders, resolves orders whose outcome was
// unknown (emitting an OrderEvent for each, or an ErrorEvent with
// ErrOrderNotFound when TWS never got it) and, after a reconnect (emitNew),
// reports fills that happened while the adapter was away.
func (c *Client) reconcile(ctx context.Context, s *session, emitNew bool) error {
	opens, err := c.queryOpenOrders(ctx, s)
	if err != nil {
		return fmt.Errorf("open orders: %w", err)
	}
	fills, err := c.queryExecutions(ctx, s, &ibapi.ExecutionFilter{AcctCode: c.AccountID(), LastNDays: ibapi.UNSET_INT})
	if err != nil {
		return fmt.Errorf("executions: %w", err)
	}
	for _, f := range fills {
		c.recordFill(f, emitNew)
	}
	c.mu.Lock()
	refs := make([]string, 0, len(c.unknown))
	for ref := range c.unknown {
		refs = append(refs, ref)
	}
	c.mu.Unlock()
	for _, ref := range refs {
		rep, found := c.resolve(ref, opens, fills)
		if !found {
			c.mu.Lock()
			delete(c.unknown, ref)
			c.mu.Unlock()
			c.emitError(&broker.Error{Ref: ref, Kind: broker.ErrOrderNotFound,
				Message: "order whose outcome was unknown is neither open nor executed at TWS after reconnect: it never arrived"})
			continue
		}
		c.emit(broker.OrderEvent{Time: c.cfg.Now(), Report: rep})
	}
	return nil
}

// resolve finds ref among open orders and fills, updates our record of it
// and returns its report.
func (c *Client) resolve(ref string, opens []broker.OrderReport, fills []broker.Fill) (broker.OrderReport, bool) {
	var rep broker.OrderReport
	found := false
	for _, o := range opens {
		if o.Ref == ref {
			rep, found = o, true
		}
	}
	var qty int64
	var notional float64
	for _, f := range fills {
		if f.Ref != ref {
			continue
		}
		if !found {
			rep = broker.OrderReport{Ref: ref, OrderID: f.OrderID, PermID: f.PermID, Account: f.Account,
				Contract: f.Contract, Side: f.Side, UpdatedAt: f.Time}
			found = true
		}
		qty += f.Quantity
		notional += f.Price.InexactFloat64() * float64(f.Quantity)
	}
	if !found {
		c.mu.Lock()
		defer c.mu.Unlock()
		if o := c.orders[ref]; o != nil && o.report.Status.Final() {
			return o.report, true
		}
		return broker.OrderReport{}, false
	}
	if qty > rep.Filled {
		rep.Filled = qty
		rep.AvgFillPrice = decFloat(notional / float64(qty))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orders[ref]
	if o != nil {
		if rep.Quantity == 0 {
			rep.Quantity, rep.Type, rep.LimitPrice, rep.TIF = o.req.Quantity, o.req.Type, o.req.LimitPrice, o.req.TIF
		}
		if rep.ClientID == 0 {
			rep.ClientID = c.cfg.ClientID
		}
	}
	if rep.Status == "" || rep.Status == broker.StatusUnknown {
		if rep.Quantity == 0 || rep.Filled >= rep.Quantity {
			rep.Status = broker.StatusFilled
		} else {
			rep.Status = broker.StatusCancelled // partly filled and no longer open
		}
	}
	rep.Remaining = max(rep.Quantity-rep.Filled, 0)
	if o != nil {
		o.report = rep
		o.acked = true
		c.byID[rep.OrderID] = o
		o.notify()
	}
	delete(c.unknown, ref)
	return rep, true
}

// queryOpenOrders runs reqAllOpenOrders on s (one at a time: the answers
// carry no request id).
func (c *Client) queryOpenOrders(ctx context.Context, s *session) ([]broker.OrderReport, error) {
	c.openMu.Lock()
	defer c.openMu.Unlock()
	r := newRequest(0)
	c.mu.Lock()
	c.openReq = r
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.openReq = nil
		c.mu.Unlock()
	}()
	if err := c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqAllOpenOrders() }); err != nil {
		return nil, err
	}
	items, err := c.wait(ctx, s, r, "reqAllOpenOrders")
	if err != nil {
		return nil, err
	}
	// An order can be reported more than once; keep the last word on each.
	type key struct{ client, id, perm int64 }
	idx := map[key]int{}
	var out []broker.OrderReport
	for _, it := range items {
		rep := it.(broker.OrderReport)
		k := key{rep.ClientID, rep.OrderID, rep.PermID}
		if i, ok := idx[k]; ok {
			out[i] = rep
			continue
		}
		idx[k] = len(out)
		out = append(out, rep)
	}
	return out, nil
}

// queryExecutions runs reqExecutions on s, deduplicated by execution id and
// with the commissions already known.
func (c *Client) queryExecutions(ctx context.Context, s *session, filter *ibapi.ExecutionFilter) ([]broker.Fill, error) {
	items, err := c.do(ctx, s, "reqExecutions", func(id int64, s *session) error {
		return c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqExecutions(id, filter) })
	})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []broker.Fill
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, it := range items {
		f := it.(broker.Fill)
		if seen[f.ExecID] {
			continue
		}
		seen[f.ExecID] = true
		if k := c.fills[f.ExecID]; k != nil && k.CommissionCurrency != "" {
			f.Commission, f.CommissionCurrency = k.Commission, k.CommissionCurrency
		}
		out = append(out, f)
	}
	return out, nil
}

// recordFill stores a fill once per execution id; emit reports it.
func (c *Client) recordFill(f broker.Fill, emit bool) {
	c.mu.Lock()
	k := c.fills[f.ExecID]
	if c.reported[f.ExecID] {
		c.mu.Unlock()
		return // a repeated execDetails
	}
	if k != nil && k.CommissionCurrency != "" { // its commission came first
		f.Commission, f.CommissionCurrency = k.Commission, k.CommissionCurrency
	}
	c.fills[f.ExecID] = &f
	c.reported[f.ExecID] = true
	if f.CommissionCurrency != "" || !emit {
		c.commSeen[f.ExecID] = true
	}
	c.mu.Unlock()
	if emit {
		c.emit(broker.FillEvent{Time: c.cfg.Now(), Fill: f})
	}
}

// recordCommission completes a fill with its commission and reports it
// again, once.
func (c *Client) recordCommission(cr ibapi.CommissionAndFeesReport) {
	c.mu.Lock()
	f := c.fills[cr.ExecID]
	if f == nil {
		c.fills[cr.ExecID] = &broker.Fill{ExecID: cr.ExecID, Commission: decFloat(cr.CommissionAndFees), CommissionCurrency: cr.Currency}
		c.mu.Unlock()
		return
	}
	if c.commSeen[cr.ExecID] {
		c.mu.Unlock()
		return
	}
	f.Commission, f.CommissionCurrency = decFloat(cr.CommissionAndFees), cr.Currency
	if !c.reported[cr.ExecID] {
		c.mu.Unlock()
		return
	}
	c.commSeen[cr.ExecID] = true
	out := *f
	c.mu.Unlock()
	c.emit(broker.FillEvent{Time: c.cfg.Now(), Fill: out})
}
