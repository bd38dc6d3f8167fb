package ib

import (
	"context"
	"fmt"
	"strings"

	"github.com/scmhub/ibapi"
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
)

// summaryRow is one accountSummary message.
type summaryRow struct{ account, tag, value, currency string }

// summaryTags are the account values rotor reads.
var summaryTags = []string{"NetLiquidation", "InitMarginReq", "MaintMarginReq", "AvailableFunds",
	"ExcessLiquidity", "BuyingPower", "TotalCashValue", "RealizedPnL", "UnrealizedPnL", "Currency"}

// Account implements broker.AccountReader with reqAccountSummary rather
// than reqAccountUpdates: it is correlated by request id, answers once and
// ends with accountSummaryEnd (a clean request/response), and carries exactly
// the tags named here; reqAccountUpdates is a subscription to one account
// with no request id that streams every key TWS has.
func (c *Client) Account(ctx context.Context) (broker.Account, error) {
	s := c.ready()
	if s == nil {
		return broker.Account{}, errNotReady("account")
	}
	acct := c.AccountID()
	var reqID int64
	items, err := c.do(ctx, s, "reqAccountSummary", func(id int64, s *session) error {
		reqID = id
		return c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqAccountSummary(id, "All", strings.Join(summaryTags, ",")) })
	})
	if err != nil {
		return broker.Account{}, fmt.Errorf("ib: account %s: %w", acct, err)
	}
	// The summary is one-shot for us; cancel the subscription TWS keeps.
	_ = c.send(ctx, s, func(ec *ibapi.EClient) { ec.CancelAccountSummary(reqID) })
	a := broker.Account{ID: acct, UpdatedAt: c.cfg.Now()}
	fields := map[string]*decimal.Decimal{
		"NetLiquidation": &a.NetLiquidation, "InitMarginReq": &a.InitMargin, "MaintMarginReq": &a.MaintMargin,
		"AvailableFunds": &a.AvailableFunds, "ExcessLiquidity": &a.ExcessLiquidity, "BuyingPower": &a.BuyingPower,
		"TotalCashValue": &a.TotalCash, "RealizedPnL": &a.RealizedPnL, "UnrealizedPnL": &a.UnrealizedPnL,
	}
	seen := 0
	for _, it := range items {
		row := it.(summaryRow)
		if row.account != acct {
			continue
		}
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
		if a.Currency == "" && row.tag == "NetLiquidation" {
			a.Currency = row.currency
		}
	}
	if seen == 0 {
		return broker.Account{}, fmt.Errorf("ib: account %s: TWS sent no account values for it", acct)
	}
	return a, nil
}

// Positions implements broker.AccountReader (reqPositions; one at a time,
// since its answers carry no request id).
func (c *Client) Positions(ctx context.Context) ([]broker.Position, error) {
	s := c.ready()
	if s == nil {
		return nil, errNotReady("positions")
	}
	c.posMu.Lock()
	defer c.posMu.Unlock()
	r := newRequest(0)
	c.mu.Lock()
	c.posReq = r
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.posReq = nil
		c.mu.Unlock()
	}()
	if err := c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqPositions() }); err != nil {
		return nil, fmt.Errorf("ib: positions: %w", err)
	}
	items, err := c.wait(ctx, s, r, "reqPositions")
	if err != nil {
		return nil, fmt.Errorf("ib: positions: %w", err)
	}
	_ = c.send(ctx, s, func(ec *ibapi.EClient) { ec.CancelPositions() })
	acct := c.AccountID()
	var out []broker.Position
	for _, it := range items {
		p := it.(broker.Position)
		if p.Account == acct && p.Quantity != 0 {
			out = append(out, p)
		}
	}
	return out, nil
}
