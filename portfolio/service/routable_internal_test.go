package service

import (
	"slices"
	"testing"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/risk"
)

// TestRoutableHoldsBackAHalfRoll: when risk cuts the closing leg of a roll,
// the opening leg is held back (opening the new contract while the old one
// stays open would double the position); a roll approved whole goes out
// whole, and orders outside rolls are unaffected. Orders in a root where
// rotor has an order working are held back too.
func TestRoutableHoldsBackAHalfRoll(t *testing.T) {
	order := func(ref, root string, leg portfolio.OrderLeg, roll string, qty int64) portfolio.PlannedOrder {
		return portfolio.PlannedOrder{OrderRequest: broker.OrderRequest{Ref: ref, Quantity: qty}, Root: root, Leg: leg, RollID: roll}
	}
	plan := portfolio.PlanResult{Orders: []portfolio.PlannedOrder{
		order("rty-close", "RTY", portfolio.LegClose, "r1", 3), order("rty-open", "RTY", portfolio.LegTarget, "r1", 3),
		order("m2k-close", "M2K", portfolio.LegClose, "r2", 4), order("m2k-open", "M2K", portfolio.LegTarget, "r2", 4),
		order("es", "ES", portfolio.LegTarget, "", 2),
	}}
	for _, c := range []struct {
		name     string
		approved []int64
		working  []broker.OrderReport
		routed   []string
		heldBack []string
	}{
		{"all approved", []int64{3, 3, 4, 4, 2}, nil, []string{"rty-close", "rty-open", "m2k-close", "m2k-open", "es"}, nil},
		{"close rejected", []int64{0, 3, 4, 4, 2}, nil, []string{"m2k-close", "m2k-open", "es"}, []string{"rty-open"}},
		{"close cut", []int64{3, 3, 2, 4, 0}, nil, []string{"rty-close", "rty-open", "m2k-close"}, []string{"m2k-open"}},
		{"open rejected, close goes", []int64{3, 0, 4, 4, 2}, nil, []string{"rty-close", "m2k-close", "m2k-open", "es"}, nil},
		{"an order working in RTY", []int64{3, 3, 4, 4, 2}, []broker.OrderReport{{Ref: "rotor-x-RTY", Contract: broker.Contract{Symbol: "RTY"}}},
			[]string{"m2k-close", "m2k-open", "es"}, []string{"rty-close", "rty-open"}},
	} {
		d := Decision{Plan: plan, Market: Market{Working: c.working}}
		for _, a := range c.approved {
			d.Risk.Orders = append(d.Risk.Orders, risk.OrderDecision{Approved: a})
		}
		routedOrders, heldBack := routable(d)
		var refs, held []string
		for _, r := range routedOrders {
			refs = append(refs, r.Ref)
		}
		for _, h := range heldBack {
			held = append(held, h.Ref)
			if h.Reason == "" {
				t.Errorf("%s: %s held back without a reason", c.name, h.Ref)
			}
		}
		if !slices.Equal(refs, c.routed) || !slices.Equal(held, c.heldBack) {
			t.Errorf("%s: routed %v held back %v, want %v and %v", c.name, refs, held, c.routed, c.heldBack)
		}
	}
}
