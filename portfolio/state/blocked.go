package state

import (
	"context"
	"errors"
	"fmt"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// ErrNotBlocked is returned by AckPositions for a root that has no
// unacknowledged position mismatch: there is nothing to accept.
var ErrNotBlocked = errors.New("state: the root is not blocked by a position mismatch")

// rootState is where a root stands between mismatches and acknowledgements.
type rootState struct {
	mismatchRow audit.Record // latest reconcile row with a mismatch; Seq 0: none
	mismatch    MismatchPayload
	ackSeq      int64 // latest position_ack row; 0: none
}

func (s rootState) blocked() bool { return s.mismatchRow.Seq > s.ackSeq }

// rootStates reads every root's latest mismatch and acknowledgement.
func rootStates(ctx context.Context, log *audit.Log, account string) (map[string]rootState, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	out := map[string]rootState{}
	err := log.Each(ctx, audit.Filter{Kinds: []string{audit.KindReconcile, audit.KindOperatorAction}}, func(r audit.Record) error {
		if r.Account != account {
			return nil
		}
		if r.Kind == audit.KindOperatorAction {
			_, root, ok, err := positionAck(r)
			if !ok {
				return err
			}
			s := out[root]
			s.ackSeq = r.Seq
			out[root] = s
			return nil
		}
		var p MismatchPayload
		if err := decode(r, &p); err != nil {
			return err
		}
		if !p.Mismatch {
			return nil // another reconcile finding
		}
		root := rootOf(p.Root, r)
		s := out[root]
		s.mismatchRow, s.mismatch = r, p
		out[root] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: read the position mismatches of %s: %w", account, err)
	}
	return out, nil
}

// Blocked returns the roots of account that an unacknowledged position
// mismatch blocks (root → reason): those whose latest mismatch row is
// after their latest position_ack. risk.Check rejects orders in them
// (Input.Blocked) until an operator runs AckPositions.
func Blocked(ctx context.Context, log *audit.Log, account string) (map[string]string, error) {
	st, err := rootStates(ctx, log, account)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for root, s := range st {
		if s.blocked() {
			out[root] = fmt.Sprintf("position mismatch at audit row %d: %s; check the account, then accept the broker's positions with `rotor risk ack %s --account %s`",
				s.mismatchRow.Seq, s.mismatch.Detail, root, account)
		}
	}
	return out, nil
}

// AckPositions records an operator's acceptance of root's positions as the
// broker reported them in the root's latest mismatch row: an
// operator_action row (AckPayload, Instrument = root) whose baseline is
// that row's Broker map, which unblocks the root. It fails with
// ErrNotBlocked when the root is not blocked.
func AckPositions(ctx context.Context, log *audit.Log, account, root, operator, note string) (audit.Record, error) {
	switch {
	case root == "":
		return audit.Record{}, errors.New("state: acknowledging positions needs a root (RTY, M2K, ...)")
	case operator == "":
		return audit.Record{}, errors.New("state: acknowledging positions needs the operator's name (--operator NAME)")
	case note == "":
		return audit.Record{}, errors.New("state: acknowledging positions needs a note saying why the broker's positions are right (--reason TEXT)")
	}
	st, err := rootStates(ctx, log, account)
	if err != nil {
		return audit.Record{}, err
	}
	s, ok := st[root]
	if !ok || !s.blocked() {
		return audit.Record{}, fmt.Errorf("%w: %s in account %s has no unacknowledged mismatch", ErrNotBlocked, root, account)
	}
	base := nonZero(s.mismatch.Broker)
	p := AckPayload{Action: ActionPositionAck, Root: root, Positions: base, Operator: operator, Note: note,
		MismatchSeq: s.mismatchRow.Seq}
	if len(s.mismatch.Names) > 0 {
		p.Names = s.mismatch.Names
	}
	rec, err := log.Append(ctx, audit.Entry{Kind: audit.KindOperatorAction, Instrument: root, Account: account, Payload: p})
	if err != nil {
		return audit.Record{}, fmt.Errorf("state: acknowledge the %s positions of %s: %w", root, account, err)
	}
	return rec, nil
}
