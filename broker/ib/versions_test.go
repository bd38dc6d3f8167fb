package ib_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/broker/ibsim/wire"
	"github.com/shopspring/decimal"
)

// conformanceVersions are the server versions the adapter is proven at:
// the first length-prefixed version, versions where order, execution and
// history messages changed shape, the last text-only version, and, when the
// paper broker speaks them, the protobuf versions.
func conformanceVersions() []wire.Version {
	vs := []wire.Version{100, 124, 151, 163, 176, 187, 193, 200}
	for _, v := range []wire.Version{201, 203, 205, 207, 208, 213, 222} {
		if v <= wire.MaxVersion {
			vs = append(vs, v)
		}
	}
	return vs
}

// TestOrderLifeAcrossVersions runs an order's whole life through the adapter
// at each negotiated server version: resolve, fill with commission, rest and
// cancel a limit, positions, account, executions and history.
func TestOrderLifeAcrossVersions(t *testing.T) {
	for _, v := range conformanceVersions() {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			sim := MustOpenSim(t, func(c *ibsim.Config) { c.MaxVersion = v })
			c, rec := MustOpenClient(t, sim, nil)
			if got, want := c.ServerVersion(), int(v); got != want {
				t.Fatalf("negotiated server version %d, want %d", got, want)
			}
			m2k := mustFront(t, c, "M2K")
			if got, want := m2k.LocalSymbol, "M2KZ6"; got != want {
				t.Fatalf("front M2K = %s, want %s", got, want)
			}
			if _, err := c.PlaceOrder(ctxT(t), mkt("v-mkt", m2k, broker.Sell, 3)); err != nil {
				t.Fatalf("PlaceOrder: %v", err)
			}
			fe := rec.waitFor(t, "fill with commission", func(ev broker.Event) bool {
				f, ok := ev.(broker.FillEvent)
				return ok && f.Fill.Ref == "v-mkt" && f.Fill.CommissionCurrency == "USD"
			}).(broker.FillEvent)
			if fe.Fill.Quantity != 3 || fe.Fill.Side != broker.Sell || !fe.Fill.Commission.Equal(decimal.RequireFromString("1.86")) {
				t.Fatalf("fill = %+v, want 3 sold with commission 1.86", fe.Fill)
			}
			limit := fe.Fill.Price.Mul(decimal.NewFromInt(2)) // a sell far above the market rests
			rest := broker.OrderRequest{Ref: "v-lmt", Contract: m2k, Side: broker.Sell, Quantity: 1, Type: broker.Limit,
				LimitPrice: limit.Round(0)}
			if rep, err := c.PlaceOrder(ctxT(t), rest); err != nil || rep.Status != broker.StatusSubmitted {
				t.Fatalf("limit PlaceOrder = %+v, %v; want Submitted", rep.Status, err)
			}
			if rep, err := c.CancelOrder(ctxT(t), "v-lmt"); err != nil || rep.Status != broker.StatusCancelled {
				t.Fatalf("CancelOrder = %v, %v; want Cancelled", rep.Status, err)
			}
			pos, err := c.Positions(ctxT(t))
			if err != nil || len(pos) != 1 || pos[0].Quantity != -3 || pos[0].Contract.LocalSymbol != "M2KZ6" {
				t.Fatalf("Positions = %+v, %v; want short 3 M2KZ6", pos, err)
			}
			acct, err := c.Account(ctxT(t))
			if err != nil || !acct.MaintMargin.Equal(decimal.NewFromInt(3*800)) {
				t.Fatalf("Account = %+v, %v; want maintenance margin 2400", acct, err)
			}
			execs, err := c.Executions(ctxT(t), simNow.Add(-time.Hour))
			if err != nil || len(execs) != 1 || execs[0].Ref != "v-mkt" {
				t.Fatalf("Executions = %+v, %v; want the one fill of v-mkt", execs, err)
			}
			bars, err := c.DailyBars(ctxT(t), m2k, simNow, 20)
			if err != nil || len(bars) != 20 {
				t.Fatalf("DailyBars = %d bars, %v; want 20", len(bars), err)
			}
		})
	}
}
