package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/risk"
)

// ErrNotTripped is returned by ResetKillSwitch when the account's kill
// switch is not tripped: there is nothing to reset.
var ErrNotTripped = errors.New("state: the kill switch is not tripped")

// ErrTrippedDuringReset is returned by ResetKillSwitch when the kill switch
// tripped again (in another process) between reading its state and writing
// the reset. The reset wrote nothing, so the kill switch stays tripped;
// look at the new reason before resetting again.
var ErrTrippedDuringReset = errors.New("state: the kill switch tripped again while it was being reset; it stays tripped")

// KillSwitch returns the account's kill switch as its last kill_switch row
// left it: not tripped (the zero value) when there is none.
func KillSwitch(ctx context.Context, log *audit.Log, account string) (risk.KillSwitch, error) {
	ks, _, _, err := killSwitch(ctx, log, account)
	return ks, err
}

// killSwitch returns the kill switch, the row that set it and whether
// there was one.
func killSwitch(ctx context.Context, log *audit.Log, account string) (risk.KillSwitch, audit.Record, bool, error) {
	if err := checkAccount(account); err != nil {
		return risk.KillSwitch{}, audit.Record{}, false, err
	}
	rec, ok, err := lastOf(ctx, log, account, audit.KindKillSwitch, "", func(audit.Record) (bool, error) { return true, nil })
	if err != nil || !ok {
		return risk.KillSwitch{}, audit.Record{}, false, err
	}
	ks, err := KillSwitchOf(rec)
	return ks, rec, true, err
}

// TripKillSwitch trips the account's kill switch: it appends a kill_switch
// row (TripRow) carrying the event and plan that tripped it. If the switch
// is already tripped it writes nothing and returns the row that tripped it,
// so a breach seen on every event records one trip.
func TripKillSwitch(ctx context.Context, log *audit.Log, account, reason string, at time.Time, eventID, planID string) (audit.Record, error) {
	if reason == "" {
		return audit.Record{}, errors.New("state: a kill switch trip needs a reason")
	}
	ks, rec, _, err := killSwitch(ctx, log, account)
	if err != nil {
		return audit.Record{}, err
	}
	if ks.Tripped {
		return rec, nil
	}
	rec, err = log.Append(ctx, TripRow(account, reason, at, eventID, planID))
	if err != nil {
		return audit.Record{}, fmt.Errorf("state: trip the kill switch of %s: %w", account, err)
	}
	return rec, nil
}

// TripRow is the kill_switch row that trips the account's switch for
// reason at at, carrying the event and plan that tripped it: for a writer
// that records the trip in the batch of the decision that tripped it,
// guarded by the switch's state as the decision read it (see
// audit.NoNewer).
func TripRow(account, reason string, at time.Time, eventID, planID string) audit.Entry {
	return audit.Entry{Kind: audit.KindKillSwitch, EventID: eventID, PlanID: planID, Account: account,
		Payload: KillSwitchPayload{Tripped: true, Reason: reason, Since: at.UTC()}}
}

// KillSwitchOf is the kill switch a kill_switch row sets.
func KillSwitchOf(r audit.Record) (risk.KillSwitch, error) {
	var p KillSwitchPayload
	if err := decode(r, &p); err != nil {
		return risk.KillSwitch{}, err
	}
	return risk.KillSwitch{Tripped: p.Tripped, Reason: p.Reason, Since: p.Since}, nil
}

// ResetKillSwitch resets a tripped kill switch on an operator's say-so. It
// appends, in one batch, an operator_action row (ResetPayload: who, why and
// what was reset) and a kill_switch row that is not tripped, and returns
// both. It fails with ErrNotTripped when the switch is not tripped, and
// with ErrTrippedDuringReset when another process tripped it again between
// the read and the write: the batch is guarded by the switch as it was
// read, so nothing is written and the trip nobody has reviewed stands.
func ResetKillSwitch(ctx context.Context, log *audit.Log, account, operator, note string, at time.Time) ([]audit.Record, error) {
	if operator == "" {
		return nil, errors.New("state: a kill switch reset needs the operator's name (--operator NAME)")
	}
	if note == "" {
		return nil, errors.New("state: a kill switch reset needs a note saying why it is safe to trade again (--reason TEXT)")
	}
	ks, prev, _, err := killSwitch(ctx, log, account)
	if err != nil {
		return nil, err
	}
	return resetFrom(ctx, log, account, operator, note, at, ks, prev)
}

// resetFrom is ResetKillSwitch's write, given the switch ks and the row
// prev that set it, as read.
func resetFrom(ctx context.Context, log *audit.Log, account, operator, note string, at time.Time, ks risk.KillSwitch, prev audit.Record) ([]audit.Record, error) {
	if !ks.Tripped {
		return nil, fmt.Errorf("%w for account %s", ErrNotTripped, account)
	}
	recs, err := log.AppendBatch(ctx, []audit.Entry{
		{Kind: audit.KindOperatorAction, Account: account, Payload: ResetPayload{
			Action: ActionKillSwitchReset, Operator: operator, Note: note,
			PreviousReason: ks.Reason, PreviousSince: ks.Since.UTC(), PreviousSeq: prev.Seq}},
		{Kind: audit.KindKillSwitch, Account: account, Payload: KillSwitchPayload{
			Tripped: false, Reason: note, Since: at.UTC(), Operator: operator}},
	}, audit.NoNewer{Account: account, Kinds: []string{audit.KindKillSwitch}, Seq: prev.Seq})
	if errors.Is(err, audit.ErrConflict) {
		now, _, _, rerr := killSwitch(ctx, log, account)
		switch {
		case rerr != nil:
			return nil, fmt.Errorf("state: the kill switch of %s changed during the reset, which wrote nothing; reading it again failed: %w", account, rerr)
		case now.Tripped:
			return nil, fmt.Errorf("%w (account %s: %s); the reset wrote nothing", ErrTrippedDuringReset, account, now.Reason)
		default:
			return nil, fmt.Errorf("%w for account %s: it was reset by someone else during this reset, which wrote nothing", ErrNotTripped, account)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("state: reset the kill switch of %s: %w", account, err)
	}
	return recs, nil
}
