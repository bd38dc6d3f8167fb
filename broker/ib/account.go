package ib

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scmhub/ibapi"
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
)

// summaryRow is one accountSummary message.
type summaryRow struct{ account, tag, value, currency string }

// summaryTags are the account values rotor reads.
var summaryTags = []string{"NetLiquidation", "InitMarginReq", "MaintMarginReq", "AvailableFunds",
	"ExcessLiquidity", "BuyingPower", "TotalCashValue", "RealizedPnL", "UnrealizedPnL", "Currency"}

// within waits for cond on v (see liveView.wait) for at most d; the
// common case, cond already true, needs no timer.
func within(ctx context.Context, v *liveView, d time.Duration, cond func() bool) error {
	if v.holds(cond) {
		return v.wait(ctx, nil, cond)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	return v.wait(ctx, t.C, cond)
}

// Account implements broker.AccountReader from the session's live view (see
// live.go): the values of the reqAccountSummary subscription the session
// keeps open. reqAccountSummary rather than reqAccountUpdates: it is
// correlated by request id and carries exactly the tags named here, while
// reqAccountUpdates has no request id and streams every key TWS has.
//
// It waits (bounded by ctx and Config.RequestTimeout) for the first complete
// summary of the session and, after one of our own fills, up to
// Config.SettleTimeout for a summary update. Values older than
// Config.AccountMaxAge are read afresh with a one-time request. UpdatedAt is
// when the values arrived, not when Account was called.
func (c *Client) Account(ctx context.Context) (broker.Account, error) {
	s := c.ready()
	if s == nil {
		return broker.Account{}, errNotReady("account")
	}
	v := s.live.Load()
	acct := v.account
	if err := within(ctx, v, c.cfg.RequestTimeout, v.summaryComplete); err != nil {
		return broker.Account{}, fmt.Errorf("ib: account %s: %w", acct, c.viewErr(err, "accountSummaryEnd"))
	}
	v.mu.Lock()
	err := v.sumErr
	v.mu.Unlock()
	if err != nil {
		return broker.Account{}, fmt.Errorf("ib: account %s: summary subscription: %w", acct, err)
	}
	if seq := v.lastExec(); seq > 0 {
		err := within(ctx, v, c.cfg.SettleTimeout, func() bool { return v.sumSettled >= seq })
		switch {
		case errors.Is(err, errNoAnswer):
			v.giveUpSummary(seq)
		case err != nil:
			return broker.Account{}, fmt.Errorf("ib: account %s: %w", acct, c.viewErr(err, "accountSummaryEnd"))
		}
	}
	rows, at := v.summaryRows()
	if c.cfg.Now().Sub(at) > c.cfg.AccountMaxAge {
		if rows, at, err = c.readSummary(ctx, s, acct); err != nil {
			return broker.Account{}, fmt.Errorf("ib: account %s: %w", acct, err)
		}
	}
	a := broker.Account{ID: acct, UpdatedAt: at}
	fields := map[string]*decimal.Decimal{
		"NetLiquidation": &a.NetLiquidation, "InitMarginReq": &a.InitMargin, "MaintMarginReq": &a.MaintMargin,
		"AvailableFunds": &a.AvailableFunds, "ExcessLiquidity": &a.ExcessLiquidity, "BuyingPower": &a.BuyingPower,
		"TotalCashValue": &a.TotalCash, "RealizedPnL": &a.RealizedPnL, "UnrealizedPnL": &a.UnrealizedPnL,
	}
	seen := 0
	netLiqCurrency := ""
	for _, row := range rows {
		if row.tag == "Currency" {
			a.Currency = row.value
			continue
		}
		p, ok := fields[row.tag]
		if !ok {
			continue
		}
		v, err := decimal.NewFromString(row.value)
		if err != nil {
			return broker.Account{}, fmt.Errorf("ib: account %s: %s = %q: %w", acct, row.tag, row.value, err)
		}
		*p = v
		seen++
		if row.tag == "NetLiquidation" {
			netLiqCurrency = row.currency
		}
	}
	if seen == 0 {
		return broker.Account{}, fmt.Errorf("ib: account %s: TWS sent no account values for it", acct)
	}
	if a.Currency == "" {
		a.Currency = netLiqCurrency
	}
	return a, nil
}

// readSummary asks TWS for the account's summary once (a request of its own,
// cancelled once answered; the live view's subscription stays) and returns
// the account's rows and when they arrived.
func (c *Client) readSummary(ctx context.Context, s *session, acct string) ([]summaryRow, time.Time, error) {
	var reqID int64
	items, err := c.do(ctx, s, "reqAccountSummary", func(id int64, s *session) error {
		reqID = id
		return c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqAccountSummary(id, "All", strings.Join(summaryTags, ",")) })
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	_ = c.send(ctx, s, func(ec *ibapi.EClient) { ec.CancelAccountSummary(reqID) })
	var rows []summaryRow
	for _, it := range items {
		if row := it.(summaryRow); row.account == acct {
			rows = append(rows, row)
		}
	}
	return rows, c.cfg.Now(), nil
}

// Positions implements broker.AccountReader from the session's live view
// (see live.go): the account's non-zero positions, ordered by symbol,
// expiry and contract id.
//
// It waits (bounded by ctx and Config.RequestTimeout) for the session's
// first complete snapshot. When one of our fills is not yet reflected in
// the positions it waits up to Config.SettleTimeout for TWS's position
// update and, failing that, resyncs: it asks for every position again on
// the open subscription and answers from that snapshot.
func (c *Client) Positions(ctx context.Context) ([]broker.Position, error) {
	s := c.ready()
	if s == nil {
		return nil, errNotReady("positions")
	}
	v := s.live.Load()
	if err := within(ctx, v, c.cfg.RequestTimeout, v.positionsComplete); err != nil {
		if errors.Is(err, errNoAnswer) {
			c.abandonSnapshot(s, v)
		}
		return nil, fmt.Errorf("ib: positions: %w", c.viewErr(err, "positionEnd"))
	}
	seq := v.lastExec()
	err := within(ctx, v, c.cfg.SettleTimeout, func() bool { return v.settled(seq) })
	if errors.Is(err, errNoAnswer) {
		err = c.resyncPositions(ctx, s, v, seq, c.cfg.RequestTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("ib: positions: %w", c.viewErr(err, "positionEnd"))
	}
	return v.positionList(), nil
}

// abandonSnapshot drops s when its view's first positions snapshot is still
// incomplete after a full RequestTimeout. positionEnd carries no request id,
// so the view counts the ones it is owed; if one never comes (lost, or owed
// from before a 1101 and dropped by TWS with the rest of its data), the view
// would wait until the socket is lost for some other reason, and every
// decision would fail meanwhile. A new session owes nothing: the supervisor
// reconnects, re-reads open orders and executions, and subscribes afresh.
func (c *Client) abandonSnapshot(s *session, v *liveView) {
	if v.holds(v.positionsComplete) || s.live.Load() != v {
		return // completed meanwhile, or already replaced
	}
	err := fmt.Errorf("session %d: no positionEnd for its positions snapshot within %v; reconnecting for a fresh session", s.n, c.cfg.RequestTimeout)
	c.emitError(fmt.Errorf("ib: %w", err))
	s.relay.stop(err)
}

// resyncPositions sends reqPositions on the open subscription and waits
// for its positionEnd, unless another caller's resync settled the
// executions up to seq meanwhile. One at a time: positionEnd carries no
// request id, so the view tells resyncs apart by counting.
func (c *Client) resyncPositions(ctx context.Context, s *session, v *liveView, seq uint64, timeout time.Duration) error {
	c.posMu.Lock()
	defer c.posMu.Unlock()
	v.mu.Lock()
	done := v.settled(seq)
	v.mu.Unlock()
	if done {
		return nil
	}
	r := v.beginResync()
	if err := c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqPositions() }); err != nil {
		v.endResync(r, false)
		return err
	}
	err := within(ctx, v, timeout, func() bool { return r.done })
	v.endResync(r, true)
	return err
}

// viewErr names what a wait for the live view ran out of time waiting for.
func (c *Client) viewErr(err error, what string) error {
	if errors.Is(err, errNoAnswer) {
		return fmt.Errorf("no %s from TWS within %v", what, c.cfg.RequestTimeout)
	}
	return err
}
