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
// whole, and orders outside rolls are unaffected.
func TestRoutableHoldsBackAHalfRoll(t *testing.T) {
	order := func(ref string, leg portfolio.OrderLeg, roll string, qty int64) portfolio.PlannedOrder {
		return portfolio.PlannedOrder{OrderRequest: broker.OrderRequest{Ref: ref, Quantity: qty}, Leg: leg, RollID: roll}
	}
	plan := portfolio.PlanResult{Orders: []portfolio.PlannedOrder{
		order("rty-close", portfolio.LegClose, "r1", 3), order("rty-open", portfolio.LegTarget, "r1", 3),
		order("m2k-close", portfolio.LegClose, "r2", 4), order("m2k-open", portfolio.LegTarget, "r2", 4),
		order("es", portfolio.LegTarget, "", 2),
	}}
	for _, c := range []struct {
		name     string
		approved []int64
		routed   []string
		heldBack []string
	}{
		{"all approved", []int64{3, 3, 4, 4, 2}, []string{"rty-close", "rty-open", "m2k-close", "m2k-open", "es"}, nil},
		{"close rejected", []int64{0, 3, 4, 4, 2}, []string{"m2k-close", "m2k-open", "es"}, []string{"rty-open"}},
		{"close cut", []int64{3, 3, 2, 4, 0}, []string{"rty-close", "rty-open", "m2k-close"}, []string{"m2k-open"}},
		{"open rejected, close goes", []int64{3, 0, 4, 4, 2}, []string{"rty-close", "m2k-close", "m2k-open", "es"}, nil},
	} {
		d := Decision{Plan: plan}
		for _, a := range c.approved {
			d.Risk.Orders = append(d.Risk.Orders, risk.OrderDecision{Approved: a})
		}
		routed, held := routable(d)
		var refs []string
		for _, r := range routed {
			refs = append(refs, r.Ref)
		}
		if !slices.Equal(refs, c.routed) || !slices.Equal(held, c.heldBack) {
			t.Errorf("%s: routed %v held back %v, want %v and %v", c.name, refs, held, c.routed, c.heldBack)
		}
	}
}
