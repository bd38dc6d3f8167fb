package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// errStop ends an Each early; it never leaves this package.
var errStop = errors.New("state: stop")

// lastOf returns the newest row of kind for account (in the root's rows
// when root is not empty) that keep accepts, and whether there was one.
func lastOf(ctx context.Context, log *audit.Log, account, kind, root string, keep func(audit.Record) (bool, error)) (audit.Record, bool, error) {
	var found audit.Record
	err := log.Each(ctx, audit.Filter{Kinds: []string{kind}, Instrument: root, Desc: true}, func(r audit.Record) error {
		if r.Account != account {
			return nil
		}
		ok, err := keep(r)
		if err != nil {
			return err
		}
		if ok {
			found = r
			return errStop
		}
		return nil
	})
	switch {
	case errors.Is(err, errStop):
		return found, true, nil
	case err != nil:
		return audit.Record{}, false, err
	}
	return audit.Record{}, false, nil
}

// decode reads a row's payload into v, naming the row when it cannot.
func decode(r audit.Record, v any) error {
	if err := json.Unmarshal(r.Payload, v); err != nil {
		return fmt.Errorf("state: audit row %d (%s): payload: %w", r.Seq, r.Kind, err)
	}
	return nil
}

// action is the action of an operator_action row's payload.
func action(r audit.Record) (string, error) {
	var p struct {
		Action string `json:"action"`
	}
	err := decode(r, &p)
	return p.Action, err
}

// positionAck decodes an operator_action row that acknowledges a root's
// positions: ok is false for any other action.
func positionAck(r audit.Record) (p AckPayload, root string, ok bool, err error) {
	a, err := action(r)
	if err != nil || a != ActionPositionAck {
		return p, "", false, err
	}
	if err := decode(r, &p); err != nil {
		return p, "", false, err
	}
	return p, rootOf(p.Root, r), true, nil
}

func checkAccount(account string) error {
	if account == "" {
		return errors.New("state: no account given")
	}
	return nil
}
