package state

import (
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// KindRiskMarks is the kind of the rows that record an account's risk
// marks (payload Marks).
const KindRiskMarks = "risk_marks"

// Actions of the operator_action rows this package writes and reads.
const (
	ActionKillSwitchReset = "kill_switch_reset" // payload ResetPayload
	ActionPositionAck     = "position_ack"      // payload AckPayload
)

// KillSwitchPayload is the payload of a kill_switch row: the state the
// kill switch is in from that row on.
type KillSwitchPayload struct {
	Tripped bool      `json:"tripped"`
	Reason  string    `json:"reason"` // why it tripped; on a reset, the operator's note
	Since   time.Time `json:"since"`  // when it tripped or was reset
	// Operator is who reset it; empty for a trip.
	Operator string `json:"operator,omitempty"`
}

// ResetPayload is the payload of the operator_action row that accompanies
// a kill switch reset: who reset it, why, and what they reset.
type ResetPayload struct {
	Action         string    `json:"action"` // ActionKillSwitchReset
	Operator       string    `json:"operator"`
	Note           string    `json:"note"`
	PreviousReason string    `json:"previous_reason"`
	PreviousSince  time.Time `json:"previous_since"`
	PreviousSeq    int64     `json:"previous_seq"` // the kill_switch row that tripped it
}

// FillPayload is the payload of a fill row (audit.KindFill), one per
// execution. The row carries the order's OrderRef, BrokerOrderID and PermID,
// Instrument = the futures root and the account.
type FillPayload struct {
	ExecID             string          `json:"exec_id"`
	ContractKey        string          `json:"contract_key"` // broker.Contract.Key()
	LocalSymbol        string          `json:"local_symbol"`
	ConID              int64           `json:"con_id"`
	Side               broker.Side     `json:"side"`
	Quantity           int64           `json:"quantity"` // positive
	Price              decimal.Decimal `json:"price"`
	Time               time.Time       `json:"time"`
	Commission         decimal.Decimal `json:"commission"`
	CommissionCurrency string          `json:"commission_currency,omitempty"`
}

// AckPayload is the payload of the operator_action row (Instrument = root)
// by which an operator accepts a root's positions as the new baseline of
// ExpectedPositions.
type AckPayload struct {
	Action    string           `json:"action"` // ActionPositionAck
	Root      string           `json:"root"`
	Positions map[string]int64 `json:"positions"` // contract key → signed quantity, the new baseline
	Operator  string           `json:"operator"`
	Note      string           `json:"note"`
	// MismatchSeq is the reconcile row whose broker positions became the
	// baseline: fills recorded after it count on top of the baseline (an
	// order in flight may fill while the operator looks). Zero: fills after
	// the ack row itself count.
	MismatchSeq int64 `json:"mismatch_seq,omitempty"`
	// Names maps contract keys to local symbols (RTYZ6), for messages.
	Names map[string]string `json:"names,omitempty"`
}

// MismatchPayload is the payload of the reconcile row (audit.KindReconcile,
// Instrument = root) that records a difference between the positions the
// log accounts for and the broker's. It blocks the root until an operator
// acknowledges it.
type MismatchPayload struct {
	Mismatch bool             `json:"mismatch"` // true; other reconcile rows lack it
	Root     string           `json:"root"`
	Expected map[string]int64 `json:"expected"` // contract key → signed quantity
	Broker   map[string]int64 `json:"broker"`
	Detail   string           `json:"detail"`
	// Names maps contract keys to local symbols (RTYZ6), for messages.
	Names map[string]string `json:"names,omitempty"`
}
