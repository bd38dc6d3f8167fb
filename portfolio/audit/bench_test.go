package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// BenchmarkAppend measures one fsync'd transaction per row, the write-ahead
// cost the portfolio service pays before sending an order.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	l := mustOpenAt(b, filepath.Join(b.TempDir(), "audit.db"), audit.Options{Now: time.Now})
	e := audit.Entry{
		Kind: audit.KindOrderIntent, EventID: "ev-2026-03-02", PlanID: "plan-1", OrderRef: "plan-1/RTY/1",
		Instrument: "RTY", Account: "DU1234567",
		Payload: map[string]any{"action": "BUY", "qty": 3, "type": "LMT", "limit": "2101.30", "contract": "RTYM6"},
	}
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := l.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// BenchmarkVerify measures a full chain check over 100k rows.
func BenchmarkVerify(b *testing.B) {
	const rows = 100_000
	ctx := context.Background()
	l := mustOpenAt(b, filepath.Join(b.TempDir(), "audit.db"), audit.Options{})
	batch := make([]audit.Entry, 1000)
	for i := range batch {
		batch[i] = audit.Entry{Kind: audit.KindFill, OrderRef: "plan-1/RTY/1", PermID: int64(i + 1), Instrument: "RTY",
			Payload: map[string]any{"qty": 1, "price": "2101.30", "exec_id": "0000e0d5.65f1a2b3.01.01"}}
	}
	for n := 0; n < rows; n += len(batch) {
		if _, err := l.AppendBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		rep, err := l.Verify(ctx, nil)
		if err != nil || rep.Rows != rows {
			b.Fatalf("Verify()=%+v, %v", rep, err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// decisionBatch is a write-ahead batch shaped like the portfolio service's
// for one event: the event as received (3.7 kB), the plan (3.2 kB), risk's
// decision (2 kB) and two order intents, about 10 kB of JSON in all.
func decisionBatch(i int) []audit.Entry {
	ev := fmt.Sprintf("ev-%06d", i)
	blob := func(n int) map[string]any {
		fields := map[string]any{}
		for k := 0; len(fields)*40 < n; k++ {
			fields[fmt.Sprintf("field_%03d", k)] = fmt.Sprintf("%030d", k*7919)
		}
		return fields
	}
	rows := []audit.Entry{
		{Kind: audit.KindSignalReceived, EventID: ev, Account: "DU1234567", Payload: blob(3700)},
		{Kind: audit.KindPlan, EventID: ev, PlanID: "plan-" + ev, Account: "DU1234567", Payload: blob(3200)},
		{Kind: audit.KindRiskDecision, EventID: ev, PlanID: "plan-" + ev, Account: "DU1234567", Payload: blob(2000)},
	}
	for _, root := range []string{"RTY", "M2K"} {
		rows = append(rows, audit.Entry{Kind: audit.KindOrderIntent, EventID: ev, PlanID: "plan-" + ev,
			OrderRef: "rotor-" + ev + "-" + root, Instrument: root, Account: "DU1234567", Payload: blob(440)})
	}
	return rows
}

// BenchmarkAppendDecision measures the portfolio service's write-ahead
// commit: one fsync'd transaction of a decision's five rows, on a log of
// 20,000 rows; guarded as the service writes it (the event's first
// receipt, and no change to the kill switch, marks or blocked roots) and
// without the guards.
func BenchmarkAppendDecision(b *testing.B) {
	ctx := context.Background()
	for _, guarded := range []bool{false, true} {
		name := "plain"
		if guarded {
			name = "guarded"
		}
		b.Run(name, func(b *testing.B) {
			l := mustOpenAt(b, filepath.Join(b.TempDir(), "audit.db"), audit.Options{Now: time.Now})
			const prior = 4000
			for i := range prior {
				if _, err := l.AppendBatch(ctx, decisionBatch(i)); err != nil {
					b.Fatal(err)
				}
			}
			state, err := l.AppendBatch(ctx, []audit.Entry{{Kind: audit.KindKillSwitch, Account: "DU1234567"}})
			if err != nil {
				b.Fatal(err)
			}
			var lat []time.Duration
			i := prior
			for b.Loop() {
				batch := decisionBatch(i)
				var guards []audit.Guard
				if guarded {
					guards = []audit.Guard{
						audit.NoRow{Kind: audit.KindSignalReceived, EventID: batch[0].EventID, Account: "DU1234567"},
						audit.NoNewer{Account: "DU1234567", Kinds: []string{audit.KindKillSwitch, "risk_marks", audit.KindReconcile, audit.KindOperatorAction}, Seq: state[0].Seq},
					}
				}
				i++
				t0 := time.Now()
				if _, err := l.AppendBatch(ctx, batch, guards...); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			reportLatency(b, lat)
		})
	}
}
