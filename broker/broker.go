// Package broker defines what the rest of rotor needs from a broker: account
// values, positions, open orders, executions, futures contract resolution,
// order placement by caller-chosen reference, cancellation, daily history and
// a stream of events. It holds the domain types and small interfaces only;
// adapters live in nested packages named after their technology (broker/ib
// for Interactive Brokers over the TWS API, broker/ibsim for the built-in
// paper broker that speaks the same wire protocol).
//
// Errors returned by the interfaces wrap one of the sentinel errors in
// errors.go so callers can branch with errors.Is. The most important rule
// comes from database/sql/driver's ErrBadConn: an order whose request may
// have reached the broker is never retried blindly. Its outcome is
// ErrUnknownOutcome until a lookup by reference says otherwise.
package broker

import (
	"context"
	"time"
)

// AccountReader reads the state of the trading account.
type AccountReader interface {
	// Account returns the account's values (net liquidation, margins,
	// available funds, currency). It fails with ErrNotConnected when no
	// session to the broker is up.
	Account(ctx context.Context) (Account, error)

	// Positions returns every position in the account, including those of
	// other strategies. It fails with ErrNotConnected when no session is up.
	Positions(ctx context.Context) ([]Position, error)

	// OpenOrders returns every working order of the account, whichever
	// client placed it. It fails with ErrNotConnected when no session is up.
	OpenOrders(ctx context.Context) ([]OrderReport, error)

	// Executions returns the fills at or after since, with commissions where
	// the broker has reported them. It fails with ErrNotConnected when no
	// session is up.
	Executions(ctx context.Context, since time.Time) ([]Fill, error)
}

// ContractResolver turns instrument roots into concrete, tradable contracts.
type ContractResolver interface {
	// ResolveFuture returns the contract of root (RTY, M2K, ES, MES or an
	// E-mini Select Sector root) to hold on asOf, skipping any contract whose
	// last trade date is within rollDays business days of asOf. The listed
	// expiries come from the broker; no month is hard-coded. It fails with
	// ErrUnknownInstrument for a root rotor does not know and with
	// ErrNoSecurityDefinition when the broker lists no suitable contract.
	ResolveFuture(ctx context.Context, root string, asOf time.Time, rollDays int) (Contract, error)

	// ResolveStock returns the contract of a US stock or ETF (the signal
	// universe). It fails with ErrNoSecurityDefinition when the broker does
	// not know the symbol.
	ResolveStock(ctx context.Context, symbol string) (Contract, error)
}

// OrderRouter places and cancels orders.
type OrderRouter interface {
	// PlaceOrder sends req and waits until the broker acknowledges it. The
	// returned report has the broker's order id and status.
	//
	// Errors: ErrNotPaperAccount when the account is not a paper account (no
	// order is sent); ErrRejected, ErrPriceNotOnTick, ErrNoSecurityDefinition
	// or ErrDuplicateOrderID when the broker refused it (nothing is working);
	// ErrNotConnected when no session is up (nothing was sent);
	// ErrUnknownOutcome when the request may have reached the broker but no
	// acknowledgement came back: call LookupOrder, never place it again.
	// A reference the router already knows fails with ErrDuplicateRef.
	PlaceOrder(ctx context.Context, req OrderRequest) (OrderReport, error)

	// CancelOrder asks the broker to cancel the working order with reference
	// ref and waits for the cancellation. ErrOrderNotFound means the broker
	// has no working order with that reference (it may have filled).
	CancelOrder(ctx context.Context, ref string) (OrderReport, error)

	// LookupOrder finds the order with reference ref among the broker's open
	// orders and executions; it is how an unknown outcome is resolved. It
	// fails with ErrOrderNotFound when the broker has no trace of the order,
	// which after an ErrUnknownOutcome means the request never arrived.
	LookupOrder(ctx context.Context, ref string) (OrderReport, error)
}

// HistoryReader serves daily price history.
type HistoryReader interface {
	// DailyBars returns up to days daily bars of c ending at end (inclusive),
	// oldest first. ErrNoSecurityDefinition means the broker does not know c.
	DailyBars(ctx context.Context, c Contract, end time.Time, days int) ([]Bar, error)
}

// EventSource streams what happens at the broker as it happens.
type EventSource interface {
	// Events returns the channel of broker events. It is closed when the
	// broker is closed. A consumer that falls behind loses no event: the
	// sender blocks (bounded by the broker's buffer) rather than drop.
	Events() <-chan Event
}

// Broker is everything the portfolio service needs from a broker.
type Broker interface {
	AccountReader
	ContractResolver
	OrderRouter
	HistoryReader
	EventSource
}
