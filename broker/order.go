package broker

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Side is the direction of an order or fill.
type Side string

// Order sides as IB names them.
const (
	Buy  Side = "BUY"
	Sell Side = "SELL"
)

// OrderType is how an order is priced.
type OrderType string

// Order types rotor uses.
const (
	Market OrderType = "MKT"
	Limit  OrderType = "LMT"
)

// TimeInForce says how long an order works.
type TimeInForce string

// Times in force rotor uses.
const (
	Day TimeInForce = "DAY"
	GTC TimeInForce = "GTC"
)

// OrderRequest is an order rotor wants placed. Ref is the caller's
// reference (IB's orderRef); it must be unique and is how the order is found
// again after any failure.
type OrderRequest struct {
	Ref        string
	Contract   Contract
	Side       Side
	Quantity   int64           // contracts, > 0
	Type       OrderType       // MKT or LMT
	LimitPrice decimal.Decimal // LMT only, on the instrument's tick
	TIF        TimeInForce     // DAY when empty
}

// Validate reports what is wrong with the request, naming the field.
func (r OrderRequest) Validate() error {
	switch {
	case r.Ref == "":
		return fmt.Errorf("%w: empty order reference", ErrInvalidOrder)
	case r.Contract.ConID == 0 && r.Contract.Symbol == "":
		return fmt.Errorf("%w: order %s has no contract", ErrInvalidOrder, r.Ref)
	case r.Side != Buy && r.Side != Sell:
		return fmt.Errorf("%w: order %s: side %q, want BUY or SELL", ErrInvalidOrder, r.Ref, r.Side)
	case r.Quantity <= 0:
		return fmt.Errorf("%w: order %s: quantity %d, want > 0", ErrInvalidOrder, r.Ref, r.Quantity)
	case r.Type != Market && r.Type != Limit:
		return fmt.Errorf("%w: order %s: type %q, want MKT or LMT", ErrInvalidOrder, r.Ref, r.Type)
	case r.Type == Limit && !r.LimitPrice.IsPositive():
		return fmt.Errorf("%w: order %s: limit order needs a positive price, got %s", ErrInvalidOrder, r.Ref, r.LimitPrice)
	case r.Type == Market && !r.LimitPrice.IsZero():
		return fmt.Errorf("%w: order %s: market order with a limit price %s", ErrInvalidOrder, r.Ref, r.LimitPrice)
	}
	return nil
}

// OrderStatus is where an order stands at the broker.
type OrderStatus string

// Order statuses as TWS names them, plus Unknown for an order whose
// acknowledgement never came.
const (
	StatusPendingSubmit OrderStatus = "PendingSubmit"
	StatusPendingCancel OrderStatus = "PendingCancel"
	StatusPreSubmitted  OrderStatus = "PreSubmitted"
	StatusSubmitted     OrderStatus = "Submitted"
	StatusFilled        OrderStatus = "Filled"
	StatusCancelled     OrderStatus = "Cancelled"
	StatusApiCancelled  OrderStatus = "ApiCancelled"
	StatusInactive      OrderStatus = "Inactive"
	StatusUnknown       OrderStatus = "Unknown"
)

// Final reports whether the status can no longer change.
func (s OrderStatus) Final() bool {
	switch s {
	case StatusFilled, StatusCancelled, StatusApiCancelled, StatusInactive:
		return true
	}
	return false
}

// Working reports whether the order may still fill.
func (s OrderStatus) Working() bool {
	switch s {
	case StatusPendingSubmit, StatusPendingCancel, StatusPreSubmitted, StatusSubmitted:
		return true
	}
	return false
}

// OrderReport is the broker's view of one order.
type OrderReport struct {
	Ref          string
	OrderID      int64 // the id the placing client chose
	PermID       int64 // the broker's permanent id
	ClientID     int64 // the API client that placed it
	Account      string
	Contract     Contract
	Side         Side
	Quantity     int64
	Type         OrderType
	LimitPrice   decimal.Decimal
	TIF          TimeInForce
	Status       OrderStatus
	Filled       int64
	Remaining    int64
	AvgFillPrice decimal.Decimal
	UpdatedAt    time.Time
}

// Fill is one execution, with its commission once the broker reports it.
type Fill struct {
	ExecID     string
	Ref        string
	OrderID    int64
	PermID     int64
	Account    string
	Contract   Contract
	Side       Side
	Quantity   int64
	Price      decimal.Decimal
	Time       time.Time
	Commission decimal.Decimal // zero until the commission report arrives
	// CommissionCurrency is empty until the commission report arrives.
	CommissionCurrency string
}
