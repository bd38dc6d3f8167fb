package broker

import (
	"errors"
	"fmt"
)

// Sentinel errors. Adapters wrap them (usually in an *Error carrying the
// broker's code and text) so callers branch with errors.Is.
var (
	// ErrNotConnected: no session to the broker is up; nothing was sent.
	ErrNotConnected = errors.New("broker: not connected")
	// ErrNotPaperAccount: the account is not a paper account, so rotor
	// refused to send the order. Nothing was sent.
	ErrNotPaperAccount = errors.New("broker: not a paper account")
	// ErrRejected: the broker refused the order (IB 201, or an order the
	// broker cancelled on arrival); nothing is working.
	ErrRejected = errors.New("broker: order rejected")
	// ErrDuplicateOrderID: the broker already used the order id (IB 103).
	// The adapter asks for a fresh id before the next order.
	ErrDuplicateOrderID = errors.New("broker: duplicate order id")
	// ErrNoSecurityDefinition: the broker does not know the contract (IB 200).
	ErrNoSecurityDefinition = errors.New("broker: no security definition")
	// ErrPriceNotOnTick: the limit price is not a multiple of the tick (IB 110).
	ErrPriceNotOnTick = errors.New("broker: price does not conform to tick")
	// ErrUnknownOutcome: the request may have reached the broker but its
	// acknowledgement never came. Resolve with LookupOrder; never resend.
	ErrUnknownOutcome = errors.New("broker: order outcome unknown")
	// ErrOrderNotFound: the broker has no order with that reference.
	ErrOrderNotFound = errors.New("broker: order not found")
	// ErrDuplicateRef: an order with the same reference was already placed
	// through this router; it was not sent again.
	ErrDuplicateRef = errors.New("broker: duplicate order reference")
	// ErrUnknownInstrument: rotor does not trade that root or symbol.
	ErrUnknownInstrument = errors.New("broker: unknown instrument")
	// ErrInvalidOrder: the request is malformed (no reference, zero
	// quantity, a limit order without a price); nothing was sent.
	ErrInvalidOrder = errors.New("broker: invalid order")
)

// Error is an error reported by the broker, with its own code and text.
// Kind is one of the sentinel errors above (or nil when the code has no
// meaning rotor branches on); errors.Is(err, Kind) holds.
type Error struct {
	Code    int64  // the broker's error code (IB's, e.g. 201)
	Message string // the broker's text
	OrderID int64  // the order or request id it refers to, 0 when none
	Ref     string // the order reference, when known
	Kind    error
}

func (e *Error) Error() string {
	var s string
	if e.Kind != nil {
		s = e.Kind.Error() + ": "
	} else {
		s = "broker: "
	}
	s += fmt.Sprintf("code %d: %s", e.Code, e.Message)
	if e.Ref != "" {
		s += fmt.Sprintf(" (order ref %s)", e.Ref)
	} else if e.OrderID != 0 {
		s += fmt.Sprintf(" (id %d)", e.OrderID)
	}
	return s
}

// Unwrap lets errors.Is match the sentinel kind.
func (e *Error) Unwrap() error { return e.Kind }
