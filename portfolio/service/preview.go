package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
)

// PreviewPayload is the payload of a preview row: the whole decision, and
// where the event came from.
type PreviewPayload struct {
	Source   string   `json:"source"`
	Decision Decision `json:"decision"`
}

// Preview makes the decision for ev exactly as paper trading would (Decide)
// and records it in the audit log as a preview, guarded as the service's
// own decisions are (the marks it moved cannot race another writer's).
// Nothing is routed.
func (s *Service) Preview(ctx context.Context, ev signals.Event, source string) (Decision, audit.Record, error) {
	d, recs, err := s.commitDecision(ctx, ev, func(d Decision) []audit.Entry {
		return append(d.marksRows(), audit.Entry{Kind: audit.KindPreview, EventID: ev.ID,
			PlanID: d.Plan.PlanID, Account: s.cfg.Account, Payload: PreviewPayload{Source: source, Decision: d}})
	})
	if err != nil {
		return d, audit.Record{}, err
	}
	return d, recs[len(recs)-1], nil
}

// PreviewRow is one line of a preview table: an order of the plan and what
// risk made of it.
type PreviewRow struct {
	Root     string          `json:"root"`
	Contract string          `json:"contract"`
	Current  int64           `json:"current"`
	Target   int64           `json:"target"`
	Change   int64           `json:"change"` // signed, as proposed
	Approved int64           `json:"approved"`
	Order    string          `json:"order"` // "MKT" or "LMT 2010.50"
	Price    decimal.Decimal `json:"price"`
	Notional decimal.Decimal `json:"notional"`
	Margin   decimal.Decimal `json:"margin_effect"`
	Action   risk.Action     `json:"action"`
	Verdicts []string        `json:"verdicts"` // "CODE: message"
	Ref      string          `json:"ref"`
	Side     broker.Side     `json:"side"`
}

// PreviewRows lays a decision out as a table, one row per planned order, in
// plan order.
func PreviewRows(d Decision) []PreviewRow {
	rows := make([]PreviewRow, 0, len(d.Plan.Orders))
	for i, po := range d.Plan.Orders {
		od := d.Risk.Orders[i]
		change := po.Quantity
		if po.Side == broker.Sell {
			change = -change
		}
		order := string(po.Type)
		if po.Type == broker.Limit {
			order += " " + po.LimitPrice.String()
		}
		r := PreviewRow{Root: po.Root, Contract: po.Contract.LocalSymbol, Current: po.Current, Target: po.Target,
			Change: change, Approved: od.Approved, Order: order, Price: od.Price, Notional: od.Notional,
			Margin: od.MarginEffect, Action: od.Action, Ref: po.Ref, Side: po.Side}
		for _, v := range od.Verdicts {
			r.Verdicts = append(r.Verdicts, string(v.Code)+": "+v.Message)
		}
		rows = append(rows, r)
	}
	return rows
}

// PlanVerdicts are the decision's plan-wide verdicts ("CODE: message").
func PlanVerdicts(d Decision) []string {
	var out []string
	for _, v := range d.Risk.Verdicts {
		if v.OrderRef == "" {
			out = append(out, string(v.Code)+": "+v.Message)
		}
	}
	return out
}

// Summary is one sentence about a decision, for logs and the preview's
// heading.
func Summary(d Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "event %s (as of %s, %s, score %.2f): %d orders planned, ", d.EventID, d.Event.AsOf, d.Event.Regime, d.Event.Score, len(d.Plan.Orders))
	approved := 0
	for _, o := range d.Risk.Orders {
		if o.Approved > 0 {
			approved++
		}
	}
	fmt.Fprintf(&b, "%d approved", approved)
	return b.String()
}
