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
// the reset. The trip has been written again after the reset, so the kill
// switch stays tripped; look at the new reason before resetting again.
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
	ks, err := killSwitchOf(rec)
	return ks, rec, true, err
}

func killSwitchOf(r audit.Record) (risk.KillSwitch, error) {
	var p KillSwitchPayload
	if err := decode(r, &p); err != nil {
		return risk.KillSwitch{}, err
	}
	return risk.KillSwitch{Tripped: p.Tripped, Reason: p.Reason, Since: p.Since}, nil
}

// TripKillSwitch trips the account's kill switch: it appends a kill_switch
// row (Tripped, reason, since at) carrying the event and plan that tripped
// it. If the switch is already tripped it writes nothing and returns the
// row that tripped it, so a breach seen on every event records one trip.
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
	rec, err = log.Append(ctx, audit.Entry{
		Kind: audit.KindKillSwitch, EventID: eventID, PlanID: planID, Account: account,
		Payload: KillSwitchPayload{Tripped: true, Reason: reason, Since: at.UTC()},
	})
	if err != nil {
		return audit.Record{}, fmt.Errorf("state: trip the kill switch of %s: %w", account, err)
	}
	return rec, nil
}

// ResetKillSwitch resets a tripped kill switch on an operator's say-so. It
// appends, in one batch, an operator_action row (ResetPayload: who, why and
// what was reset) and a kill_switch row that is not tripped, and returns
// both. It fails with ErrNotTripped when the switch is not tripped, and
// with ErrTrippedDuringReset (returning the re-trip row too) when another
// process tripped it meanwhile.
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
	if !ks.Tripped {
		return nil, fmt.Errorf("%w for account %s", ErrNotTripped, account)
	}
	recs, err := log.AppendBatch(ctx, []audit.Entry{
		{Kind: audit.KindOperatorAction, Account: account, Payload: ResetPayload{
			Action: ActionKillSwitchReset, Operator: operator, Note: note,
			PreviousReason: ks.Reason, PreviousSince: ks.Since.UTC(), PreviousSeq: prev.Seq}},
		{Kind: audit.KindKillSwitch, Account: account, Payload: KillSwitchPayload{
			Tripped: false, Reason: note, Since: at.UTC(), Operator: operator}},
	})
	if err != nil {
		return nil, fmt.Errorf("state: reset the kill switch of %s: %w", account, err)
	}
	retrip, err := restoreTrip(ctx, log, account, prev.Seq, recs[0].Seq)
	if err != nil {
		return recs, err
	}
	if retrip != nil {
		return append(recs, *retrip), fmt.Errorf("%w (account %s: %s)", ErrTrippedDuringReset, account, retripReason(*retrip))
	}
	return recs, nil
}

// restoreTrip writes again the last trip of account that landed between
// rows after and before (both exclusive): a reset written after it would
// otherwise undo a trip nobody reviewed. It returns the row it wrote, nil
// when there was no such trip.
func restoreTrip(ctx context.Context, log *audit.Log, account string, after, before int64) (*audit.Record, error) {
	rows, err := log.Query(ctx, audit.Filter{Kinds: []string{audit.KindKillSwitch}, AfterSeq: after, BeforeSeq: before, Desc: true})
	if err != nil {
		return nil, fmt.Errorf("state: look for trips during the reset: %w", err)
	}
	for _, r := range rows {
		if r.Account != account {
			continue
		}
		var p KillSwitchPayload
		if err := decode(r, &p); err != nil {
			return nil, err
		}
		if !p.Tripped {
			return nil, nil // a reset by someone else, after which ours changed nothing
		}
		rec, err := log.Append(ctx, audit.Entry{Kind: audit.KindKillSwitch, EventID: r.EventID, PlanID: r.PlanID,
			Account: account, Payload: KillSwitchPayload{Tripped: true, Reason: p.Reason, Since: p.Since}})
		if err != nil {
			return nil, fmt.Errorf("state: the kill switch of %s tripped at audit row %d during the reset, and writing it again failed (reset it back by hand): %w", account, r.Seq, err)
		}
		return &rec, nil
	}
	return nil, nil
}

func retripReason(r audit.Record) string {
	var p KillSwitchPayload
	if decode(r, &p) != nil {
		return "unknown reason"
	}
	return p.Reason
}
