// Package risk decides what a plan of futures orders may do: it approves,
// scales down or rejects each order against the account's limits, and says
// why in verdicts a trader can read and the audit log can store as JSON.
//
// Check is a pure function of its Input (limits, account, positions, plan,
// prices, clock): no I/O, no goroutines, no wall clock. The caller (the
// portfolio service) reads the account and the prices, persists the kill
// switch and routes the approved orders; risk never talks to a broker.
//
// # What counts
//
// Every limit counts the whole account, other strategies' positions
// included. Futures positions are valued at their reference price (per
// contract, else per root) times the multiplier; gross leverage is the sum
// of |notional| over net liquidation, net leverage |Σ signed notional| over
// net liquidation. Per-instrument limits count every expiry of a root and
// bind the orders in that root: another strategy's root already beyond its
// limit does not stop orders in other roots. The order's notional is
// measured at the reference price, not its limit price (the collar keeps
// the two within a few percent).
//
// Projected margin is the broker's current initial margin for the account
// (Account.InitMargin, which covers positions rotor has no table for) plus
// the plan's margin effect, from Input.InitialMargin per contract of each
// root: + per contract added, - per contract closed. Spread credits are not
// taken, which errs high. An order that adds contracts in a root with no
// margin figure is rejected.
//
// # Risk-reducing orders
//
// An order reduces risk when it brings its contract's position toward zero
// without crossing it. An order that crosses zero (long 3, sell 5) is split:
// the contracts that close the position reduce risk, the rest add it. The
// reducing part is exempt from the exposure limits and from the kill
// switch, the stale-event check and an unmeasurable book, so flattening
// stays possible whatever happened. It can raise net leverage (closing one
// leg of a hedge); it is still allowed, since it lowers gross notional,
// holdings and margin.
//
// # Rules, in the order they apply
//
// Plan-wide, once:
//
//  1. INVALID_LIMITS: Limits.Validate fails: every order is rejected.
//  2. INVALID_INPUT: Now is zero: every order is rejected.
//  3. KILL_SWITCH: the persisted switch is tripped: orders that add risk
//     are rejected and CancelWorking is set.
//  4. ACCOUNT: net liquidation or start-of-day net liquidation is not
//     positive: orders that add risk are rejected.
//  5. DAILY_LOSS, DRAWDOWN: today's loss beyond DailyLossFraction of the
//     start-of-day net liquidation or beyond DailyLossAmount, or net
//     liquidation more than MaxDrawdown below the high-water mark: the
//     kill switch trips (TripKillSwitch, CancelWorking) and orders that add
//     risk are rejected in this same decision.
//  6. MAINTENANCE_BREAK, MARKET_CLOSED, HOLIDAY (see MarketStatus): every
//     order is rejected, risk-reducing ones too, because an order cannot
//     execute in a closed market and would wait for a reopening price
//     nobody has seen. The plan is made again when the market is open.
//  7. STALE_EVENT: the event time is zero or further than MaxEventAge from
//     Now (either way): orders that add risk are rejected. The signal's age
//     says nothing about whether reducing is safe.
//  8. NO_PRICE, STALE_PRICE for positions: a futures position that cannot
//     be valued leaves leverage unknown: orders that add risk are rejected.
//
// Then each order, in plan order:
//
//  9. INVALID_ORDER: a malformed request (broker.OrderRequest.Validate), a
//     non-future, an unknown root or multiplier, a repeated reference or a
//     second order for the same contract.
//  10. INSTRUMENT_BLOCKED: the order's root is in Input.Blocked, because
//     the account's position in it differs from what rotor's audit log
//     expects. The order is rejected whatever its direction, until an
//     operator acknowledges the mismatch (rotor risk ack): rotor's idea
//     of the position is wrong, so an order that looks like it reduces
//     risk might add. It takes no ORDER_RATE slot and frees no room.
//  11. The first plan-wide rule above that rejects every order.
//  12. NO_PRICE, STALE_PRICE: the order's own reference price is missing,
//     not positive or further than MaxPriceAge from Now. The order is
//     rejected whatever its direction: the collar and the per-order
//     notional need a price, and a stale price in an open market means the
//     data is broken, when a person should look before anything is sent.
//  13. PRICE_COLLAR: a limit price further than LimitCollar × reference
//     from the reference price is rejected (never repriced).
//  14. ORDER_CONTRACTS, ORDER_NOTIONAL: each order is cut to the per-order
//     limits on its own, risk-reducing ones too (they are fat-finger guards;
//     a big flattening goes in pieces).
//
// Then the contracts that close positions (phase 1), for every order in
// plan order, so that the room they free is there for the orders that add:
//
//  15. ORDER_RATE: the order takes one of MaxOrdersPerMinute less the
//     RecentOrders of the trailing minute, or is rejected.
//
// Then the contracts that add risk (phase 2), order by order in plan order,
// each against the book after every order approved before it:
//
//  16. The plan-wide blockers (3, 4, 5, 7, 8): the adding part is rejected.
//  17. MARGIN: no initial margin figure for the root: rejected.
//  18. INSTRUMENT_CONTRACTS, INSTRUMENT_NOTIONAL, GROSS_LEVERAGE,
//     NET_LEVERAGE, MARGIN: the adding part is scaled down to the largest
//     whole number of contracts for which every one of these holds after
//     the order, or rejected when none does. Each limit that the unscaled
//     order would break gets a verdict.
//  19. ORDER_RATE, for an order that did not take a slot in phase 1.
//
// Scaling only ever lowers the quantity and never changes the side. Earlier
// orders in the plan get the room first, so the caller lists its orders by
// priority (RTY before M2K, which then fills the remainder). Because every
// adding order is checked against the whole book after it, the book after
// the last approved adding contract is within every exposure limit.
//
// A limit value itself is allowed everywhere; only going beyond it breaches.
//
// # The decision
//
// Decision lists every proposed order with the approved quantity, its
// action (approve, scale, reject) and its verdicts, plus the plan-wide
// verdicts, TripKillSwitch and CancelWorking, and the exposure before and
// after. Every order has at least one verdict (OK when nothing cut it).
// Codes and actions marshal as their strings; decimals as JSON strings.
package risk
