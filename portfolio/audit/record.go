package audit

import (
	"encoding/json"
	"time"
)

// Kinds of row the portfolio service writes. Kind is free text (lower case
// letters, digits and '_'), so a new kind needs no migration; these are the
// ones the review commands know how to present.
const (
	KindSignalReceived = "signal_received" // a leadership event arrived and was accepted
	KindSignalRejected = "signal_rejected" // an event failed validation; payload has the reason
	KindPlan           = "plan"            // target positions and the orders to reach them
	KindRiskDecision   = "risk_decision"   // risk's verdicts, cuts and reasons for a plan
	KindOrderIntent    = "order_intent"    // written (fsync'd) before the order is sent
	KindOrderSent      = "order_sent"      // the order left for the broker
	KindBrokerEvent    = "broker_event"    // anything the broker reported (errors, connectivity)
	KindOrderStatus    = "order_status"    // an order's state; payload "final": true when done
	KindFill           = "fill"            // an execution
	KindReconcile      = "reconcile"       // what reconciliation found and did
	KindError          = "error"           // an error on a path that matters
	KindOperatorAction = "operator_action" // a person did something (ack, reset, ...)
	KindPreview        = "preview"         // a dry-run preview
	KindKillSwitch     = "kill_switch"     // the kill switch tripped or was reset
)

// Entry is what a caller appends. Zero ids mean "not carried" and are stored
// as NULL. Give at most one of Payload (marshalled with encoding/json) and
// RawPayload (must be valid JSON); with neither the payload is {}. The
// payload is stored compacted (no insignificant whitespace).
type Entry struct {
	Kind          string // required; lower case letters, digits and '_'
	EventID       string // the signal event this row belongs to
	PlanID        string // the plan this row belongs to
	OrderRef      string // the order reference (IB orderRef)
	BrokerOrderID int64  // IB orderId; 0 = none (negative ids from TWS are allowed)
	PermID        int64  // IB permId; 0 = none
	Instrument    string // e.g. "RTY"
	Account       string // e.g. "DU1234567"

	Payload    any
	RawPayload json.RawMessage
}

// Record is a stored row.
type Record struct {
	Seq           int64     // 1, 2, 3, ... without gaps
	Time          time.Time // UTC, from the log's clock when the row was appended
	Kind          string
	EventID       string
	PlanID        string
	OrderRef      string
	BrokerOrderID int64
	PermID        int64
	Instrument    string
	Account       string
	Payload       json.RawMessage // compact JSON as stored
	PrevHash      string          // Hash of row Seq-1; GenesisHash for row 1
	Hash          string          // hex sha256 of the row's canonical encoding (see package doc)
}

// ComputeHash recomputes the record's hash from its content, as Verify does.
// It equals r.Hash for an untouched row.
func (r Record) ComputeHash() string {
	return rowHash(r.Seq, formatTime(r.Time), r.Kind, r.EventID, r.PlanID, r.OrderRef,
		r.BrokerOrderID, r.PermID, r.Instrument, r.Account, r.Payload, r.PrevHash)
}

// Head identifies the last row of the chain. Remember it somewhere the log's
// writer cannot rewrite (a log line, another system) and pass it to
// VerifyAgainst later to detect rows cut off the end.
type Head struct {
	Seq  int64  // 0 for an empty log
	Hash string // GenesisHash for an empty log
}

// timeLayout is RFC 3339 in UTC with exactly nine fractional digits, so the
// stored text sorts in time order and always has 30 bytes.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
