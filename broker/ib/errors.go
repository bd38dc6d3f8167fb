package ib

import (
	"fmt"

	"github.com/rotor-trading/rotor/broker"
)

// IB error and message codes the adapter acts on (DESIGN.md, "Interactive
// Brokers facts").
const (
	codeDuplicateOrderID   = 103
	codePriceNotOnTick     = 110
	codeNoSecurityDef      = 200
	codeRejected           = 201
	codeCancelled          = 202
	codeWarning            = 399
	codeNotConnected502    = 502
	codeNotConnected504    = 504
	codeConnectivityLost   = 1100
	codeRestoredDataLost   = 1101
	codeRestoredDataKept   = 1102
	codeSocketPortReset    = 1300
	codeMarketDataFarmOK   = 2104
	codeHMDSFarmOK         = 2106
	codeSecDefFarmOK       = 2158
	codeCancelUnknownOrder = 10147
)

// informational reports whether code is a notice that is only logged.
func informational(code int64) bool {
	switch code {
	case codeMarketDataFarmOK, codeHMDSFarmOK, codeSecDefFarmOK, codeWarning:
		return true
	}
	// 2100-2199 are TWS warnings ("market data farm connection is OK" and kin).
	return code >= 2100 && code < 2200
}

// kindOf maps an IB error code to the broker sentinel callers branch on.
func kindOf(code int64) error {
	switch code {
	case codeRejected:
		return broker.ErrRejected
	case codeDuplicateOrderID:
		return broker.ErrDuplicateOrderID
	case codeNoSecurityDef:
		return broker.ErrNoSecurityDefinition
	case codePriceNotOnTick:
		return broker.ErrPriceNotOnTick
	case codeNotConnected502, codeNotConnected504:
		return broker.ErrNotConnected
	case codeCancelUnknownOrder:
		return broker.ErrOrderNotFound
	}
	return nil
}

// ibError builds the typed error of an IB error message.
func ibError(id, code int64, msg, ref string) *broker.Error {
	return &broker.Error{Code: code, Message: msg, OrderID: id, Ref: ref, Kind: kindOf(code)}
}

// errNotReady is returned while no session is ready: nothing was sent.
func errNotReady(op string) error {
	return fmt.Errorf("ib: %s: no session to TWS is ready: %w", op, broker.ErrNotConnected)
}
