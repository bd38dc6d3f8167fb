package ibsim

import (
	"fmt"
	"testing"
	"time"

	"github.com/scmhub/ibapi"
	"github.com/shopspring/decimal"
)

// BenchmarkServerOrders measures how many market orders a second the paper
// broker takes, fills and reports (openOrder, orderStatus, execDetails,
// commissionReport) to one ibapi client over loopback, pipelined.
func BenchmarkServerOrders(b *testing.B) {
	s := MustOpenServer(b, func(c *Config) { c.StartingCash = decimal.NewFromInt(1 << 50) })
	c, rec := connectIB(b, s, 1)
	id := rec.nextID
	contract := futContract("M2KZ6")
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		side := "BUY"
		if i%2 == 1 {
			side = "SELL"
		}
		c.PlaceOrder(id+int64(i), contract, ibapi.MarketOrder(side, ibapi.StringToDecimal("1")))
	}
	checkFor(b, time.Minute, 100*time.Microsecond, rec.with(func(r *recorder) error {
		if len(r.comms) < b.N {
			return fmt.Errorf("%d of %d commission reports", len(r.comms), b.N)
		}
		return nil
	}))
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
}
