// Package state derives an account's persistent state from the audit log
// and writes the rows that change it. The portfolio service keeps all of
// its state there, so that there is one record to trust, to verify and to
// review:
//
//   - the kill switch: the last kill_switch row of the account (TripKillSwitch,
//     ResetKillSwitch, KillSwitch);
//   - the risk marks: the start-of-day net liquidation and the high-water
//     mark that risk.Check measures losses against (UpdateMarks, LoadMarks),
//     by CME trade date (TradeDate);
//   - the positions the log accounts for: the operator's latest accepted
//     baseline per root plus every fill after it (ExpectedPositions), the
//     mismatches reconciliation found against the broker (Compare,
//     RecordMismatch), and the roots those block until an operator accepts
//     the broker's positions (Blocked, AckPositions).
//
// Every function takes the log and the account; rows it writes carry the
// account, and rows of other accounts in the same file are ignored. The
// payload types are exported because the service writes some of these rows
// itself (fills, for one) and the review commands read them.
//
// Several processes may append to one log, and the log has no
// compare-and-append: a function that reads the state and then writes
// cannot hold the state still in between. Where a concurrent write would
// undo a safety state (a trip landing while an operator resets the kill
// switch) the function notices afterwards and restores it; elsewhere the
// next reconciliation or risk check sees what happened.
package state
