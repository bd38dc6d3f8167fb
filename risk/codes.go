package risk

import "fmt"

// Code names the rule behind a verdict. Codes are stable strings: the audit
// log stores them and the review commands match on them, so a code is never
// renamed or removed, only added.
type Code string

// The verdict codes, one per rule (see doc.go for the order they apply in).
const (
	// CodeOK: the order passed every rule unchanged.
	CodeOK Code = "OK"
	// CodeInvalidLimits: the limits failed Validate; nothing is approved.
	CodeInvalidLimits Code = "INVALID_LIMITS"
	// CodeInvalidInput: the input itself is unusable (no clock reading).
	CodeInvalidInput Code = "INVALID_INPUT"
	// CodeInvalidOrder: the order request is malformed, duplicated in the
	// plan, not a future, or of an instrument without a multiplier.
	CodeInvalidOrder Code = "INVALID_ORDER"
	// CodeInstrumentBlocked: the root is blocked because the account's
	// position in it differs from what rotor's audit log expects; an
	// operator must acknowledge it (rotor risk ack).
	CodeInstrumentBlocked Code = "INSTRUMENT_BLOCKED"
	// CodeAccount: the account's net liquidation or start-of-day net
	// liquidation is missing or not positive, so no limit can be measured.
	CodeAccount Code = "ACCOUNT"
	// CodeGrossLeverage: gross futures notional / net liquidation.
	CodeGrossLeverage Code = "GROSS_LEVERAGE"
	// CodeNetLeverage: |signed futures notional| / net liquidation.
	CodeNetLeverage Code = "NET_LEVERAGE"
	// CodeInstrumentContracts: contracts held in one root, all expiries.
	CodeInstrumentContracts Code = "INSTRUMENT_CONTRACTS"
	// CodeInstrumentNotional: notional held in one root, all expiries.
	CodeInstrumentNotional Code = "INSTRUMENT_NOTIONAL"
	// CodeOrderContracts: contracts in one order.
	CodeOrderContracts Code = "ORDER_CONTRACTS"
	// CodeOrderNotional: notional of one order.
	CodeOrderNotional Code = "ORDER_NOTIONAL"
	// CodeMargin: projected initial margin / net liquidation.
	CodeMargin Code = "MARGIN"
	// CodePriceCollar: a limit price too far from the reference price.
	CodePriceCollar Code = "PRICE_COLLAR"
	// CodeStaleEvent: the signal event is older than MaxEventAge.
	CodeStaleEvent Code = "STALE_EVENT"
	// CodeStalePrice: a reference price is older than MaxPriceAge.
	CodeStalePrice Code = "STALE_PRICE"
	// CodeNoPrice: no usable reference price (or multiplier) for a contract.
	CodeNoPrice Code = "NO_PRICE"
	// CodeOrderRate: MaxOrdersPerMinute would be exceeded.
	CodeOrderRate Code = "ORDER_RATE"
	// CodeMaintenanceBreak: the CME daily break, 16:00-17:00 CT Mon-Thu.
	CodeMaintenanceBreak Code = "MAINTENANCE_BREAK"
	// CodeMarketClosed: the weekend close, Fri 16:00 CT to Sun 17:00 CT.
	CodeMarketClosed Code = "MARKET_CLOSED"
	// CodeHoliday: the session's trade date is an exchange holiday.
	CodeHoliday Code = "HOLIDAY"
	// CodeDailyLoss: today's loss breached the daily loss limit; trips the
	// kill switch.
	CodeDailyLoss Code = "DAILY_LOSS"
	// CodeDrawdown: the drawdown from the high-water mark breached
	// MaxDrawdown; trips the kill switch.
	CodeDrawdown Code = "DRAWDOWN"
	// CodeKillSwitch: the kill switch is tripped; orders that add risk are
	// rejected.
	CodeKillSwitch Code = "KILL_SWITCH"
)

// String returns the code as the audit log stores it.
func (c Code) String() string { return string(c) }

// Known reports whether c is one of the codes above.
func (c Code) Known() bool {
	switch c {
	case CodeOK, CodeInvalidLimits, CodeInvalidInput, CodeInvalidOrder, CodeInstrumentBlocked, CodeAccount,
		CodeGrossLeverage, CodeNetLeverage, CodeInstrumentContracts, CodeInstrumentNotional,
		CodeOrderContracts, CodeOrderNotional, CodeMargin, CodePriceCollar,
		CodeStaleEvent, CodeStalePrice, CodeNoPrice, CodeOrderRate,
		CodeMaintenanceBreak, CodeMarketClosed, CodeHoliday,
		CodeDailyLoss, CodeDrawdown, CodeKillSwitch:
		return true
	}
	return false
}

// MarshalText encodes a known code; it refuses an unknown one so that a
// typo never reaches the audit log.
func (c Code) MarshalText() ([]byte, error) {
	if !c.Known() {
		return nil, fmt.Errorf("risk: unknown verdict code %q", string(c))
	}
	return []byte(c), nil
}

// UnmarshalText decodes a code, refusing one this version does not know.
func (c *Code) UnmarshalText(b []byte) error {
	v := Code(b)
	if !v.Known() {
		return fmt.Errorf("risk: unknown verdict code %q", string(b))
	}
	*c = v
	return nil
}

// Action is what a verdict, or the decision as a whole, does to an order.
type Action string

// The actions. An order's Action is the strongest of its verdicts'.
const (
	// ActionApprove: the order goes out as proposed.
	ActionApprove Action = "approve"
	// ActionScale: the order goes out with fewer contracts, same side.
	ActionScale Action = "scale"
	// ActionReject: the order does not go out.
	ActionReject Action = "reject"
)

// String returns the action as the audit log stores it.
func (a Action) String() string { return string(a) }

// Known reports whether a is one of the actions above.
func (a Action) Known() bool {
	return a == ActionApprove || a == ActionScale || a == ActionReject
}

// MarshalText encodes a known action and refuses any other.
func (a Action) MarshalText() ([]byte, error) {
	if !a.Known() {
		return nil, fmt.Errorf("risk: unknown action %q", string(a))
	}
	return []byte(a), nil
}

// UnmarshalText decodes an action, refusing an unknown one.
func (a *Action) UnmarshalText(b []byte) error {
	v := Action(b)
	if !v.Known() {
		return fmt.Errorf("risk: unknown action %q", string(b))
	}
	*a = v
	return nil
}

// actionFor names what cutting from contracts to to does.
func actionFor(from, to int64) Action {
	switch {
	case to <= 0:
		return ActionReject
	case to < from:
		return ActionScale
	}
	return ActionApprove
}
