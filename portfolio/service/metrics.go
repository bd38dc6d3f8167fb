package service

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/risk"
)

// Metrics are the service's Prometheus metrics. A nil *Metrics records
// nothing, so the service needs no branches for "metrics off".
type Metrics struct {
	received     prometheus.Counter
	rejected     *prometheus.CounterVec
	plans        *prometheus.CounterVec
	orders       *prometheus.CounterVec
	statuses     *prometheus.CounterVec
	fills        prometheus.Counter
	contracts    prometheus.Counter
	cuts         *prometheus.CounterVec
	killSwitch   prometheus.Gauge
	connected    prometheus.Gauge
	reconnects   prometheus.Counter
	eventToOrder prometheus.Histogram
}

// NewMetrics registers the service's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := func(c prometheus.Collector) prometheus.Collector { reg.MustRegister(c); return c }
	return &Metrics{
		received: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "rotor_events_received_total",
			Help: "Signal events admitted by the portfolio service."})).(prometheus.Counter),
		rejected: f(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rotor_events_rejected_total",
			Help: "Signal events rejected at admission, by reason."}, []string{"reason"})).(*prometheus.CounterVec),
		plans: f(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rotor_plans_total",
			Help: "Decisions made (plan and risk check), by mode."}, []string{"mode"})).(*prometheus.CounterVec),
		orders: f(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rotor_orders_total",
			Help: "Orders by routing outcome: intent (written ahead), sent, refused, unresolved."}, []string{"outcome"})).(*prometheus.CounterVec),
		statuses: f(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rotor_order_status_total",
			Help: "Order status changes recorded, by status."}, []string{"status"})).(*prometheus.CounterVec),
		fills: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "rotor_fills_total",
			Help: "Executions recorded."})).(prometheus.Counter),
		contracts: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "rotor_filled_contracts_total",
			Help: "Contracts executed."})).(prometheus.Counter),
		cuts: f(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rotor_risk_verdicts_total",
			Help: "Risk verdicts that cut or rejected an order or a plan, by code and action."}, []string{"code", "action"})).(*prometheus.CounterVec),
		killSwitch: f(prometheus.NewGauge(prometheus.GaugeOpts{Name: "rotor_kill_switch_tripped",
			Help: "1 while the account's kill switch is tripped, as of the last decision or loss check."})).(prometheus.Gauge),
		connected: f(prometheus.NewGauge(prometheus.GaugeOpts{Name: "rotor_broker_connected",
			Help: "1 while the session to TWS is up."})).(prometheus.Gauge),
		reconnects: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "rotor_broker_reconnects_total",
			Help: "Sessions to TWS restored after a loss."})).(prometheus.Counter),
		eventToOrder: f(prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rotor_event_to_order_seconds",
			Help:    "From an event's arrival at the service to the broker's acknowledgement of each of its orders.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})).(prometheus.Histogram),
	}
}

func (m *Metrics) eventReceived() {
	if m != nil {
		m.received.Inc()
	}
}

func (m *Metrics) eventRejected(reason string) {
	if m != nil {
		m.rejected.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) decided(mode Mode, d risk.Decision, ks bool) {
	if m == nil {
		return
	}
	m.plans.WithLabelValues(string(mode)).Inc()
	for _, v := range d.Verdicts {
		if v.Action != risk.ActionApprove {
			m.cuts.WithLabelValues(string(v.Code), string(v.Action)).Inc()
		}
	}
	m.setKillSwitch(ks || d.TripKillSwitch)
}

func (m *Metrics) setKillSwitch(tripped bool) {
	if m == nil {
		return
	}
	if tripped {
		m.killSwitch.Set(1)
	} else {
		m.killSwitch.Set(0)
	}
}

func (m *Metrics) order(outcome string, n int) {
	if m != nil && n > 0 {
		m.orders.WithLabelValues(outcome).Add(float64(n))
	}
}

func (m *Metrics) orderSent(since time.Time) {
	if m != nil {
		m.orders.WithLabelValues("sent").Inc()
		if !since.IsZero() {
			m.eventToOrder.Observe(time.Since(since).Seconds())
		}
	}
}

func (m *Metrics) status(s broker.OrderStatus) {
	if m != nil {
		m.statuses.WithLabelValues(string(s)).Inc()
	}
}

func (m *Metrics) fill(qty int64) {
	if m != nil {
		m.fills.Inc()
		m.contracts.Add(float64(qty))
	}
}

func (m *Metrics) connectivity(c broker.Connectivity) {
	if m == nil {
		return
	}
	if c == broker.Disconnected {
		m.connected.Set(0)
		return
	}
	m.connected.Set(1)
	if c == broker.Restored || c == broker.DataLost {
		m.reconnects.Inc()
	}
}
