package service_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rotor-trading/rotor/portfolio/service"
)

// TestMetrics runs a rejected and an admitted event through the service and
// reads the metrics back from the registry.
func TestMetrics(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	reg := prometheus.NewRegistry()
	cfg := w.config(w.broker(t, 1), l)
	cfg.Metrics = service.NewMetrics(reg)
	w.start(t, cfg)
	w.publishRaw(t, "junk", []byte("{junk"))
	ev := w.latest(t)
	w.publish(t, ev)
	w.consumerSettled(t, 2)
	intents := len(rows(t, l, "order_intent"))
	checkFor(t, 10e9, 20e6, func() error {
		if got := metric(t, reg, "rotor_fills_total", nil); got < 1 {
			return fmt.Errorf("rotor_fills_total %v", got)
		}
		return nil
	})
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"rotor_events_received_total", nil, 1},
		{"rotor_events_rejected_total", map[string]string{"reason": "malformed"}, 1},
		{"rotor_plans_total", map[string]string{"mode": "paper"}, 1},
		{"rotor_orders_total", map[string]string{"outcome": "intent"}, float64(intents)},
		{"rotor_orders_total", map[string]string{"outcome": "sent"}, float64(intents)},
		{"rotor_event_to_order_seconds", nil, float64(intents)}, // the histogram's count
		{"rotor_kill_switch_tripped", nil, 0},
	} {
		if got := metric(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

// metric returns the value (a histogram's sample count) of the series of
// name with labels, or -1 when there is none.
func metric(tb testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	tb.Helper()
	fams, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}
