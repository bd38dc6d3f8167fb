package broker

import "time"

// Event is something that happened at the broker. It is one of
// OrderEvent, FillEvent, ConnectivityEvent or ErrorEvent.
type Event interface {
	// EventTime is when the adapter saw it.
	EventTime() time.Time
}

// OrderEvent reports a change in an order's status.
type OrderEvent struct {
	Time   time.Time
	Report OrderReport
}

// FillEvent reports an execution. A fill is reported once when it
// happens and again when its commission is known (Fill.CommissionCurrency
// set); consumers key on ExecID.
type FillEvent struct {
	Time time.Time
	Fill Fill
}

// Connectivity is the state of the link to the broker.
type Connectivity string

// Connectivity states. DataLost means the link came back but the broker
// may have lost what happened meanwhile (IB 1101): positions and orders
// must be read again.
const (
	Connected    Connectivity = "connected"
	Disconnected Connectivity = "disconnected"
	Restored     Connectivity = "restored"
	DataLost     Connectivity = "restored-data-lost"
)

// ConnectivityEvent reports the link going down or coming back.
type ConnectivityEvent struct {
	Time   time.Time
	State  Connectivity
	Reason string
}

// ErrorEvent reports a broker error not tied to a call in flight.
type ErrorEvent struct {
	Time time.Time
	Err  error
}

// EventTime implements Event.
func (e OrderEvent) EventTime() time.Time { return e.Time }

// EventTime implements Event.
func (e FillEvent) EventTime() time.Time { return e.Time }

// EventTime implements Event.
func (e ConnectivityEvent) EventTime() time.Time { return e.Time }

// EventTime implements Event.
func (e ErrorEvent) EventTime() time.Time { return e.Time }
