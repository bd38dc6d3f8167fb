package risk

import (
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

func TestKillSwitchTripped(t *testing.T) {
	in := baseInput(t)
	in.KillSwitch = KillSwitch{Tripped: true, Reason: "daily loss", Since: in.Now.Add(-time.Hour)}
	// Long 10 RTY, short 4 M2K, flat ES; gross far from any limit.
	in.Positions = []broker.Position{hold(rtyH, 10), hold(m2kH, -4)}
	in.Orders = []broker.OrderRequest{
		sell("cut", rtyH, 4),  // reduces: allowed
		buy("add", esH, 1),    // adds: rejected
		buy("flip", m2kH, 10), // closes 4, would open 6 long: cut to 4
	}
	d := Check(in)
	for _, tt := range []struct {
		ref  string
		want int64
		code Code
	}{{"cut", 4, CodeOK}, {"add", 0, CodeKillSwitch}, {"flip", 4, CodeKillSwitch}} {
		o := order(t, d, tt.ref)
		if got := o.Approved; got != tt.want {
			t.Fatalf("order %s approved %d, want %d: %+v", tt.ref, got, tt.want, o.Verdicts)
		}
		if _, ok := verdict(o.Verdicts, tt.code); !ok {
			t.Fatalf("order %s verdicts %s, want %s", tt.ref, codes(o.Verdicts), tt.code)
		}
	}
	if got, want := d.CancelWorking, true; got != want {
		t.Fatalf("CancelWorking = %v, want %v", got, want)
	}
	if got, want := d.TripKillSwitch, false; got != want {
		t.Fatalf("TripKillSwitch = %v, want %v (it was already tripped)", got, want)
	}
	v, ok := verdict(d.Verdicts, CodeKillSwitch)
	if !ok || v.OrderRef != "" || !strings.Contains(v.Message, "daily loss") {
		t.Fatalf("plan-wide kill switch verdict %+v, want one naming the reason", v)
	}
}

func TestKillSwitchAllowsReducingOverLeverage(t *testing.T) {
	// Gross 4x and the switch tripped: cutting risk still goes.
	in := baseInput(t)
	in.KillSwitch = KillSwitch{Tripped: true, Reason: "operator"}
	in.Positions = []broker.Position{hold(rtyH, 40)}
	in.Orders = []broker.OrderRequest{sell("cut", rtyH, 40)}
	checkApproved(t, in, "cut", 40, CodeOK)
}

func TestLossLimitsTrip(t *testing.T) {
	tests := []struct {
		name                    string
		nlv, dayStart, hwm      string
		fraction, amount, maxDD string
		trip                    Code // "" for no trip
	}{
		// 3% of $1,000,000 is $30,000.
		{"daily loss just under", "970001", "1000000", "1000000", "0.03", "0", "0.10", ""},
		{"daily loss at", "970000", "1000000", "1000000", "0.03", "0", "0.10", ""},
		{"daily loss just over", "969999", "1000000", "1000000", "0.03", "0", "0.10", CodeDailyLoss},
		{"daily loss in dollars at", "975000", "1000000", "1000000", "0", "25000", "0.10", ""},
		{"daily loss in dollars just over", "974999.99", "1000000", "1000000", "0", "25000", "0.10", CodeDailyLoss},
		{"a gain never trips", "1100000", "1000000", "1100000", "0.03", "0", "0.10", ""},
		// 10% below a $1,200,000 mark is $1,080,000.
		{"drawdown just under", "1080001", "1080001", "1200000", "0.03", "0", "0.10", ""},
		{"drawdown at", "1080000", "1080000", "1200000", "0.03", "0", "0.10", ""},
		{"drawdown just over", "1079999", "1079999", "1200000", "0.03", "0", "0.10", CodeDrawdown},
		{"a mark below NLV is NLV", "1000000", "1000000", "900000", "0.03", "0", "0.10", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Account.NetLiquidation = dec(tt.nlv)
			in.DayStartNLV = dec(tt.dayStart)
			in.HighWaterMark = dec(tt.hwm)
			in.Limits.DailyLossFraction = dec(tt.fraction)
			in.Limits.DailyLossAmount = dec(tt.amount)
			in.Limits.MaxDrawdown = dec(tt.maxDD)
			in.Positions = []broker.Position{hold(rtyH, 2)}
			in.Orders = []broker.OrderRequest{buy("add", m2kH, 1), sell("cut", rtyH, 1)}
			d := Check(in)
			tripped := tt.trip != ""
			if got, want := d.TripKillSwitch, tripped; got != want {
				t.Fatalf("TripKillSwitch = %v, want %v: %+v", got, want, d.Verdicts)
			}
			if got, want := d.CancelWorking, tripped; got != want {
				t.Fatalf("CancelWorking = %v, want %v", got, want)
			}
			if got, want := order(t, d, "cut").Approved, int64(1); got != want {
				t.Fatalf("reducing order approved %d, want %d", got, want)
			}
			wantAdd := int64(1)
			if tripped {
				wantAdd = 0
				v, ok := verdict(d.Verdicts, tt.trip)
				if !ok || v.OrderRef != "" {
					t.Fatalf("no plan-wide %s verdict: %+v", tt.trip, d.Verdicts)
				}
				if got, want := d.TripReason, v.Message; got != want {
					t.Fatalf("TripReason %q, want %q", got, want)
				}
				if _, ok := verdict(order(t, d, "add").Verdicts, CodeKillSwitch); !ok {
					t.Fatalf("adding order verdicts %s, want KILL_SWITCH", codes(order(t, d, "add").Verdicts))
				}
			}
			if got := order(t, d, "add").Approved; got != wantAdd {
				t.Fatalf("adding order approved %d, want %d", got, wantAdd)
			}
		})
	}
}

func TestLossBreachWhileTripped(t *testing.T) {
	in := baseInput(t)
	in.KillSwitch = KillSwitch{Tripped: true, Reason: "daily loss"}
	in.Account.NetLiquidation = dec("900000")
	d := Check(in)
	if d.TripKillSwitch {
		t.Fatal("TripKillSwitch set for a switch already tripped")
	}
	if !d.CancelWorking {
		t.Fatal("CancelWorking not set while tripped")
	}
	if _, ok := verdict(d.Verdicts, CodeDailyLoss); !ok {
		t.Fatalf("no DAILY_LOSS verdict: %s", codes(d.Verdicts))
	}
}

func TestUnknownStartOfDay(t *testing.T) {
	in := baseInput(t)
	in.DayStartNLV = dec("0")
	in.Positions = []broker.Position{hold(rtyH, 2)}
	in.Orders = []broker.OrderRequest{buy("add", m2kH, 1), sell("cut", rtyH, 1)}
	d := checkApproved(t, in, "add", 0, CodeAccount)
	if got, want := order(t, d, "cut").Approved, int64(1); got != want {
		t.Fatalf("reducing order approved %d, want %d", got, want)
	}
}
