// Package portfolio decides what the small-cap sleeve of the book should
// hold and the orders that get it there. Its audit log lives in
// portfolio/audit.
//
// Everything here is a pure function of its arguments: no I/O, no clock
// (the as-of time is passed in), no randomness, so the same event against
// the same account always gives the same targets, plan id and order refs.
//
// # Sizing (NewTargets)
//
// From a signal event, the account's net liquidation, reference prices by
// root, the contracts to hold and the benchmark's recent closes:
//
//	sleeve   = NLV × share
//	leverage = leverage[regime]            (default 2 / 0.5 / 0)
//	scale    = min(1, vol_target / realised_vol)
//	long     = sleeve × leverage × scale
//
// Realised volatility is the sample standard deviation of the last
// vol_window daily log returns, × √252 (RealisedVol); the scale is rounded
// to 6 decimal places.
//
// The long leg is whole RTY (×50) and M2K (×5) contracts at one price p
// (MixContracts): n_RTY = floor(long/(50p)), n_M2K = round((long −
// 50p·n_RTY)/(5p)), ten M2K folded into one RTY. The achieved notional is
// within half a micro contract (2.5p) of the target.
//
// The optional short leg is sized from the long target, short = −ratio ×
// long:
//
//   - weakest_sectors: the N sector funds the benchmark beats by the most
//     (largest spread, benchmark return minus fund return, in the event),
//     each shorted for short/N in its E-mini Select Sector future
//     (SectorRoot), to the nearest whole contract: within half a contract
//     (50 or 125 × price), since the sectors have no micro;
//   - es_hedge: ES and MES mixed like RTY and M2K.
//
// # Planning (Plan)
//
// Plan compares the account's positions with the targets and returns the
// orders, only in the roots the sleeve owns (SleeveConfig.OwnedRoots);
// other strategies' positions are reported as Untouched. A drift band per
// group (RTY+M2K, ES+MES, each sector) skips small rebalances. A held
// contract that is not the one to hold is closed; when the contract to
// hold is opened in the same plan the two orders form a roll and share a
// RollID. Contracts inside the roll window (InRollWindow: last trade within
// roll_days business days) are never kept.
//
// Order refs are "rotor-<plan id>-<root>-<contract>-<leg>" (OrderRef), and
// the plan id hashes the event id, the account, the config and the
// positions (PlanID): a redelivered event against an unchanged account
// gives the same refs, which is how the portfolio service avoids sending
// an order twice. The plan id does not cover prices or net liquidation, so
// a replay at different prices keeps the refs while quantities may differ;
// the service must look refs up before sending.
package portfolio
