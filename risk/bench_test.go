package risk

import (
	"time"

	"testing"

	"github.com/rotor-trading/rotor/broker"
)

// BenchmarkCheck measures a typical plan: a roll of the RTY leg (close
// RTYH6, open RTYM6), an M2K top-up scaled by gross leverage and a short
// sector leg, against a book holding other strategies' ES and XAK.
func BenchmarkCheck(b *testing.B) {
	in := baseInput(b)
	in.Account.InitMargin = dec("180000")
	in.Limits.MaxOrderContracts = 100
	in.Positions = []broker.Position{hold(rtyH, 12), hold(m2kH, 7), hold(esH, -3), hold(xakH, 20)}
	in.Orders = []broker.OrderRequest{
		sell("roll-close", rtyH, 12),
		buy("roll-open", rtyM, 12),
		buy("m2k", m2kH, 100),
		sell("xak", xakH, 25),
	}
	for i := range 30 {
		in.RecentOrders = append(in.RecentOrders, in.Now.Add(-time5m(i)))
	}
	d := Check(in)
	if len(d.Approved()) != 4 || order(b, d, "m2k").Action != ActionScale {
		b.Fatalf("benchmark plan is not the typical one: %+v", d.Verdicts)
	}
	b.ReportAllocs()
	for b.Loop() {
		Check(in)
	}
}

// time5m spreads old order times over the last few hours.
func time5m(i int) time.Duration { return time.Duration(i+1) * 5 * time.Minute }
