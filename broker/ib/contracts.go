package ib

import (
	"context"
	"fmt"
	"time"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// ResolveFuture implements broker.ContractResolver: reqContractDetails for
// the root's futures on its exchange, then broker.SelectFuture.
func (c *Client) ResolveFuture(ctx context.Context, root string, asOf time.Time, rollDays int) (broker.Contract, error) {
	in, err := broker.LookupInstrument(root)
	if err != nil {
		return broker.Contract{}, fmt.Errorf("ib: resolve future: %w", err)
	}
	listed, err := c.contractDetails(ctx, broker.Contract{Symbol: root, SecType: broker.Future, Exchange: in.Exchange, Currency: in.Currency})
	if err != nil {
		return broker.Contract{}, fmt.Errorf("ib: resolve future %s: %w", root, err)
	}
	var ours []broker.Contract
	for _, ct := range listed {
		if ct.Symbol == root || ct.Symbol == "" {
			if ct.Multiplier <= 1 {
				ct.Multiplier = in.Multiplier
			}
			ours = append(ours, ct)
		}
	}
	ct, err := broker.SelectFuture(ours, asOf, rollDays)
	if err != nil {
		return broker.Contract{}, fmt.Errorf("ib: resolve future %s: %w", root, err)
	}
	return ct, nil
}

// ResolveStock implements broker.ContractResolver (STK, SMART, USD).
func (c *Client) ResolveStock(ctx context.Context, symbol string) (broker.Contract, error) {
	listed, err := c.contractDetails(ctx, broker.Contract{Symbol: symbol, SecType: broker.Stock, Exchange: "SMART", Currency: "USD"})
	if err != nil {
		return broker.Contract{}, fmt.Errorf("ib: resolve stock %s: %w", symbol, err)
	}
	if len(listed) == 0 {
		return broker.Contract{}, fmt.Errorf("ib: resolve stock %s: TWS listed nothing: %w", symbol, broker.ErrNoSecurityDefinition)
	}
	ct := listed[0]
	ct.Exchange = "SMART" // route through SMART, whatever the listing exchange
	return ct, nil
}

// contractDetails runs reqContractDetails for q. IB's 200 comes back as
// an error wrapping broker.ErrNoSecurityDefinition.
func (c *Client) contractDetails(ctx context.Context, q broker.Contract) ([]broker.Contract, error) {
	s := c.ready()
	if s == nil {
		return nil, errNotReady("contract details")
	}
	items, err := c.do(ctx, s, "reqContractDetails", func(id int64, s *session) error {
		return c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqContractDetails(id, toIBContract(q)) })
	})
	if err != nil {
		return nil, err
	}
	out := make([]broker.Contract, 0, len(items))
	for _, it := range items {
		cd := it.(ibapi.ContractDetails)
		ct := contractFromIB(&cd.Contract)
		if ct.SecType == broker.Future && ct.Expiry.IsZero() {
			if d, err := parseDay(cd.RealExpirationDate); err == nil {
				ct.Expiry = d
			}
		}
		out = append(out, ct)
	}
	return out, nil
}
