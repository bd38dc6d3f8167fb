// Package wire is the TWS API wire protocol as the server side speaks it:
// the handshake, message framing, decoding of client requests and encoding
// of server messages at a negotiated server version. It knows nothing of
// orders or accounts beyond their wire shapes, which it takes from the
// scmhub/ibapi types (the most complete model of TWS's fields in Go).
//
// Encoding follows what TWS sends at each server version: a field appears
// only from the version that introduced it. Up to version 200 every message
// is NUL-terminated text; from 201 the message id is a 4-byte binary integer
// and, from each message's own protobuf threshold on, the payload is
// protobuf.
package wire

import "github.com/scmhub/ibapi"

// Version is a negotiated server version.
type Version int

// The versions this package speaks.
const (
	MinVersion Version = 100 // the first version with length-prefixed messages
	MaxVersion Version = 222 // ibapi's MAX_CLIENT_VER (MIN_SERVER_VER_FRACTIONAL_LAST_SIZE)
)

// MaxFrame is the largest message accepted from a client (TWS's limit).
const MaxFrame = 0xFFFFFF

// Hello is a client's handshake: the version range it speaks and its
// connect options (e.g. "+PACEAPI").
type Hello struct {
	Min, Max Version
	Options  string
}

// Request is a decoded client message. Each concrete type below is one.
type Request interface{ requestName() string }

// The client requests the paper broker serves. Field names follow ibapi's
// EClient method parameters.
type (
	// StartAPI opens the API session after the handshake (EClient.startAPI).
	StartAPI struct {
		ClientID             int64
		OptionalCapabilities string
	}
	// ReqIDs asks for the next valid order id.
	ReqIDs struct{ NumIDs int64 }
	// ReqCurrentTime asks for the server time in seconds.
	ReqCurrentTime struct{}
	// ReqCurrentTimeInMillis asks for the server time in milliseconds.
	ReqCurrentTimeInMillis struct{}
	// ReqManagedAccts asks for the accounts the session may trade.
	ReqManagedAccts struct{}
	// ReqContractDetails asks for the contracts matching Contract.
	ReqContractDetails struct {
		ReqID    int64
		Contract ibapi.Contract
	}
	// PlaceOrder places or modifies order OrderID.
	PlaceOrder struct {
		OrderID  int64
		Contract ibapi.Contract
		Order    ibapi.Order
	}
	// CancelOrder cancels order OrderID.
	CancelOrder struct {
		OrderID               int64
		ManualOrderCancelTime string
	}
	// ReqGlobalCancel cancels every open order.
	ReqGlobalCancel struct{}
	// ReqOpenOrders asks for this client's open orders.
	ReqOpenOrders struct{}
	// ReqAllOpenOrders asks for every client's open orders.
	ReqAllOpenOrders struct{}
	// ReqAutoOpenOrders binds TWS-entered orders to client 0.
	ReqAutoOpenOrders struct{ AutoBind bool }
	// ReqCompletedOrders asks for the orders completed today.
	ReqCompletedOrders struct{ APIOnly bool }
	// ReqExecutions asks for the executions matching Filter.
	ReqExecutions struct {
		ReqID  int64
		Filter ibapi.ExecutionFilter
	}
	// ReqPositions subscribes to positions.
	ReqPositions struct{}
	// CancelPositions ends the positions subscription.
	CancelPositions struct{}
	// ReqAccountSummary subscribes to the account summary tags Tags.
	ReqAccountSummary struct {
		ReqID int64
		Group string
		Tags  string
	}
	// CancelAccountSummary ends account summary subscription ReqID.
	CancelAccountSummary struct{ ReqID int64 }
	// ReqAccountUpdates starts (or stops) Account's value and portfolio updates.
	ReqAccountUpdates struct {
		Subscribe bool
		Account   string
	}
	// ReqHistoricalData asks for bars of Contract.
	ReqHistoricalData struct {
		ReqID        int64
		Contract     ibapi.Contract
		EndDateTime  string
		Duration     string
		BarSize      string
		WhatToShow   string
		UseRTH       bool
		FormatDate   int64
		KeepUpToDate bool
	}
	// CancelHistoricalData cancels historical data request ReqID.
	CancelHistoricalData struct{ ReqID int64 }
	// ReqMarketDataType switches market data to live, frozen or delayed.
	ReqMarketDataType struct{ MarketDataType int64 }
	// Unsupported is a well-formed message the paper broker does not serve;
	// the server answers it with an error naming the message.
	Unsupported struct {
		MsgID int64
		ReqID int64 // the request id when the message has one in its usual place, else -1
	}
)

// DecodeError is a malformed or truncated client message. It names the
// message and the field that could not be read.
type DecodeError struct {
	MsgID int64
	Field string
	Err   error
}

// Encoder encodes server messages at one negotiated version. Every method
// returns a complete frame (4-byte big-endian length, then the payload).
type Encoder struct{ V Version }
