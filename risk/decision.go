package risk

import (
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// Decision is what Check allows: every proposed order with its approved
// quantity and the reasons, the plan-wide verdicts, and what the kill
// switch must do. It marshals to JSON for the audit log.
type Decision struct {
	// At is Input.Now.
	At time.Time `json:"at"`
	// Orders has one entry per proposed order, in the input's order,
	// rejected ones included.
	Orders []OrderDecision `json:"orders"`
	// Verdicts are all verdicts: the plan-wide ones (OrderRef "") first,
	// then each order's, in the order of Orders.
	Verdicts []Verdict `json:"verdicts"`
	// TripKillSwitch says this decision tripped the kill switch (daily
	// loss or drawdown breached while it was not tripped). The caller
	// persists it with TripReason before it routes anything.
	TripKillSwitch bool   `json:"trip_kill_switch"`
	TripReason     string `json:"trip_reason,omitempty"`
	// CancelWorking says the kill switch is tripped (or just tripped): the
	// caller cancels the account's working orders.
	CancelWorking bool `json:"cancel_working"`
	// Exposure is the account before the plan and after its approved
	// orders, for previews.
	Exposure Exposure `json:"exposure"`
}

// OrderDecision is the outcome for one proposed order.
type OrderDecision struct {
	// Order is the order as proposed.
	Order broker.OrderRequest `json:"order"`
	// Approved is the number of contracts allowed, 0 when rejected; the
	// side never changes.
	Approved int64  `json:"approved"`
	Action   Action `json:"action"`
	// ReducesRisk says the whole order brings its contract's position
	// toward zero without crossing it.
	ReducesRisk bool `json:"reduces_risk"`
	// Price is the reference price the order was measured at (zero when
	// there was none).
	Price decimal.Decimal `json:"price"`
	// Notional is the approved contracts at Price times the multiplier.
	Notional decimal.Decimal `json:"notional"`
	// MarginEffect is the change in projected initial margin from the
	// approved contracts (negative when margin is freed).
	MarginEffect decimal.Decimal `json:"margin_effect"`
	Verdicts     []Verdict       `json:"verdicts"`
}

// Request returns the order to route: the proposed one with the approved
// quantity. It is meaningful only when Approved > 0.
func (o OrderDecision) Request() broker.OrderRequest {
	r := o.Order
	r.Quantity = o.Approved
	return r
}

// Verdict is one rule's finding about one order, or about the plan.
type Verdict struct {
	Code   Code   `json:"code"`
	Action Action `json:"action"`
	// OrderRef is the order's reference, "" for a plan-wide verdict.
	OrderRef string `json:"order_ref"`
	// Limit and Actual are the rule's limit and the value it measured, in
	// Unit; both zero for verdicts that measure nothing.
	Limit  decimal.Decimal `json:"limit"`
	Actual decimal.Decimal `json:"actual"`
	// Unit is what Limit and Actual count: "x" (leverage), "fraction",
	// "contracts", "USD", "seconds", "orders".
	Unit string `json:"unit,omitempty"`
	// Message says it in a sentence a trader can read.
	Message string `json:"message"`
}

// Exposure is the account's futures exposure before the plan and after the
// approved orders. Leverage figures are rounded to four places; they are for
// people, the checks compare exact notionals. Positions that could not be
// valued are left out (a NO_PRICE or STALE_PRICE verdict says which).
type Exposure struct {
	NetLiquidation      decimal.Decimal `json:"net_liquidation"`
	GrossNotionalBefore decimal.Decimal `json:"gross_notional_before"`
	GrossNotionalAfter  decimal.Decimal `json:"gross_notional_after"`
	NetNotionalBefore   decimal.Decimal `json:"net_notional_before"`
	NetNotionalAfter    decimal.Decimal `json:"net_notional_after"`
	GrossLeverageBefore decimal.Decimal `json:"gross_leverage_before"`
	GrossLeverageAfter  decimal.Decimal `json:"gross_leverage_after"`
	NetLeverageBefore   decimal.Decimal `json:"net_leverage_before"`
	NetLeverageAfter    decimal.Decimal `json:"net_leverage_after"`
	MarginBefore        decimal.Decimal `json:"margin_before"`
	MarginAfter         decimal.Decimal `json:"margin_after"`
	MarginUseBefore     decimal.Decimal `json:"margin_use_before"`
	MarginUseAfter      decimal.Decimal `json:"margin_use_after"`
}

// Approved returns the orders to route, with their approved quantities, in
// the plan's order.
func (d Decision) Approved() []broker.OrderRequest {
	var out []broker.OrderRequest
	for _, o := range d.Orders {
		if o.Approved > 0 {
			out = append(out, o.Request())
		}
	}
	return out
}

// Rejected reports whether nothing in the plan was approved.
func (d Decision) Rejected() bool {
	for _, o := range d.Orders {
		if o.Approved > 0 {
			return false
		}
	}
	return true
}
