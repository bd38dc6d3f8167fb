package risk

import (
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

func TestMarketStatus(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		at   time.Time
		want Code
	}{
		// Maintenance break, CST (UTC-6): Tuesday 2026-01-13.
		{"CST before break", ct(t, 2026, time.January, 13, 15, 59, 59), CodeOK},
		{"CST break starts", ct(t, 2026, time.January, 13, 16, 0, 0), CodeMaintenanceBreak},
		{"CST break ends", ct(t, 2026, time.January, 13, 16, 59, 59), CodeMaintenanceBreak},
		{"CST reopen", ct(t, 2026, time.January, 13, 17, 0, 0), CodeOK},
		{"CST before break, UTC", utc("2026-01-13T21:59:59Z"), CodeOK},
		{"CST break, UTC", utc("2026-01-13T22:00:00Z"), CodeMaintenanceBreak},
		{"CST reopen, UTC", utc("2026-01-13T23:00:00Z"), CodeOK},
		// Maintenance break, CDT (UTC-5): Tuesday 2026-07-14.
		{"CDT before break", ct(t, 2026, time.July, 14, 15, 59, 59), CodeOK},
		{"CDT break starts", ct(t, 2026, time.July, 14, 16, 0, 0), CodeMaintenanceBreak},
		{"CDT reopen", ct(t, 2026, time.July, 14, 17, 0, 0), CodeOK},
		{"CDT before break, UTC", utc("2026-07-14T20:59:59Z"), CodeOK},
		{"CDT break, UTC", utc("2026-07-14T21:00:00Z"), CodeMaintenanceBreak},
		{"CDT 16:00 CST would be open, UTC", utc("2026-07-14T22:00:00Z"), CodeOK},
		{"Thursday break", ct(t, 2026, time.January, 15, 16, 30, 0), CodeMaintenanceBreak},
		{"Monday night", ct(t, 2026, time.January, 12, 23, 0, 0), CodeOK},
		// Weekend, CST: Friday 2026-01-09 to Sunday 2026-01-11.
		{"Friday before close", ct(t, 2026, time.January, 9, 15, 59, 59), CodeOK},
		{"Friday close", ct(t, 2026, time.January, 9, 16, 0, 0), CodeMarketClosed},
		{"Friday 17:00 stays closed", ct(t, 2026, time.January, 9, 17, 0, 0), CodeMarketClosed},
		{"Saturday", ct(t, 2026, time.January, 10, 12, 0, 0), CodeMarketClosed},
		{"Sunday before open", ct(t, 2026, time.January, 11, 16, 59, 59), CodeMarketClosed},
		{"Sunday open", ct(t, 2026, time.January, 11, 17, 0, 0), CodeOK},
		// Weekend, CDT: Friday 2026-07-10 to Sunday 2026-07-12.
		{"CDT Friday close", utc("2026-07-10T21:00:00Z"), CodeMarketClosed},
		{"CDT Friday before close", utc("2026-07-10T20:59:59Z"), CodeOK},
		{"CDT Sunday before open", utc("2026-07-12T21:59:59Z"), CodeMarketClosed},
		{"CDT Sunday open", utc("2026-07-12T22:00:00Z"), CodeOK},
		// The Sunday the clocks change (2026-03-08): opens at 17:00 CDT.
		{"DST Sunday before open", ct(t, 2026, time.March, 8, 16, 59, 59), CodeMarketClosed},
		{"DST Sunday open", ct(t, 2026, time.March, 8, 17, 0, 0), CodeOK},
		// Thanksgiving, Thursday 2026-11-26: the session for its trade date
		// (Wednesday 17:00 to Thursday 17:00) is closed.
		{"Thanksgiving", ct(t, 2026, time.November, 26, 10, 0, 0), CodeHoliday},
		{"Thanksgiving eve, break", ct(t, 2026, time.November, 25, 16, 30, 0), CodeMaintenanceBreak},
		{"Thanksgiving eve, session", ct(t, 2026, time.November, 25, 17, 0, 0), CodeHoliday},
		{"Thanksgiving eve, before break", ct(t, 2026, time.November, 25, 15, 59, 59), CodeOK},
		{"Thanksgiving evening, next session", ct(t, 2026, time.November, 26, 17, 0, 0), CodeOK},
		// A Monday holiday (MLK day, 2026-01-19) keeps the Sunday open shut.
		{"Sunday before MLK day", ct(t, 2026, time.January, 18, 17, 0, 0), CodeHoliday},
		{"MLK day evening", ct(t, 2026, time.January, 19, 17, 0, 0), CodeOK},
		{"Christmas", ct(t, 2026, time.December, 25, 10, 0, 0), CodeHoliday},
		{"Good Friday", ct(t, 2026, time.April, 3, 9, 0, 0), CodeHoliday},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := MarketStatus(tt.at)
			if got != tt.want {
				t.Fatalf("MarketStatus(%s) = %s (%s), want %s", tt.at, got, msg, tt.want)
			}
			if (got == CodeOK) != (msg == "") {
				t.Fatalf("MarketStatus(%s) = %s with message %q", tt.at, got, msg)
			}
		})
	}
}

func TestClosedMarketRejectsEverything(t *testing.T) {
	// Even a risk-reducing order waits: it cannot execute now.
	for _, at := range []time.Time{
		ct(t, 2026, time.January, 13, 16, 0, 0),
		ct(t, 2026, time.January, 10, 12, 0, 0),
		ct(t, 2026, time.November, 26, 10, 0, 0),
	} {
		in := baseInput(t)
		in.Now = at
		in.EventTime = at.Add(-time.Hour)
		for i := range in.Prices {
			in.Prices[i].Time = at
		}
		in.Positions = []broker.Position{hold(rtyH, 5)}
		in.Orders = []broker.OrderRequest{sell("cut", rtyH, 5), buy("add", m2kH, 5)}
		d := Check(in)
		code, _ := MarketStatus(at)
		for _, ref := range []string{"cut", "add"} {
			o := order(t, d, ref)
			if got, want := o.Approved, int64(0); got != want {
				t.Fatalf("%s: order %s approved %d, want %d", at, ref, got, want)
			}
			if _, ok := verdict(o.Verdicts, code); !ok {
				t.Fatalf("%s: order %s verdicts %s, want %s", at, ref, codes(o.Verdicts), code)
			}
		}
		if _, ok := verdict(d.Verdicts, code); !ok {
			t.Fatalf("%s: no plan-wide %s verdict", at, code)
		}
	}
}
