package state

import (
	"context"
	"fmt"
	"maps"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
)

// Expected is what the audit log says the account holds: per futures root,
// the contracts and signed quantities. It is grouped by root because a
// contract the log expects but the broker no longer holds must still be
// laid at a root's door, and a contract key alone does not name its root.
type Expected struct {
	// Roots maps root → contract key (broker.Contract.Key) → signed
	// quantity. Contracts netted to zero are left out; a root without
	// any is absent.
	Roots map[string]map[string]int64 `json:"roots"`
	// Names maps contract keys to local symbols (RTYZ6) where a fill or an
	// acknowledgement named them, for messages.
	Names map[string]string `json:"names,omitempty"`
}

// Positions returns the expected positions of every root in one map,
// contract key → signed quantity.
func (e Expected) Positions() map[string]int64 {
	out := map[string]int64{}
	for _, keys := range e.Roots {
		maps.Copy(out, keys)
	}
	return out
}

// ExpectedPositions returns the positions the audit log accounts for:
// per root, the baseline of its latest position_ack (none: empty) plus
// every fill row of that root recorded after the baseline was taken (BUY
// adds, SELL subtracts). A fill counts once per exec_id, even when the log
// holds it twice (a fill reported again after a reconnect), and a fill
// already in a baseline does not count again.
func ExpectedPositions(ctx context.Context, log *audit.Log, account string) (Expected, error) {
	if err := checkAccount(account); err != nil {
		return Expected{}, err
	}
	type fill struct {
		seq, qty int64
		key      string
	}
	type ack struct {
		since     int64 // fills after this row count
		positions map[string]int64
	}
	fills := map[string][]fill{} // root → fills in seq order
	acks := map[string]ack{}     // root → latest ack
	names := map[string]string{}
	seen := map[string]bool{} // exec ids
	err := log.Each(ctx, audit.Filter{Kinds: []string{audit.KindFill, audit.KindOperatorAction}}, func(r audit.Record) error {
		if r.Account != account {
			return nil
		}
		if r.Kind == audit.KindOperatorAction {
			p, root, ok, err := positionAck(r)
			if !ok {
				return err
			}
			since := r.Seq
			if p.MismatchSeq > 0 && p.MismatchSeq < r.Seq {
				since = p.MismatchSeq
			}
			acks[root] = ack{since: since, positions: p.Positions}
			for k, n := range p.Names {
				names[k] = n
			}
			return nil
		}
		var p FillPayload
		if err := decode(r, &p); err != nil {
			return err
		}
		qty, err := signedFill(r, p)
		if err != nil {
			return err
		}
		if p.ExecID != "" {
			if seen[p.ExecID] {
				return nil
			}
			seen[p.ExecID] = true
		}
		if p.LocalSymbol != "" {
			names[p.ContractKey] = p.LocalSymbol
		}
		fills[r.Instrument] = append(fills[r.Instrument], fill{seq: r.Seq, qty: qty, key: p.ContractKey})
		return nil
	})
	if err != nil {
		return Expected{}, fmt.Errorf("state: read the expected positions of %s: %w", account, err)
	}
	out := Expected{Roots: map[string]map[string]int64{}, Names: names}
	for root := range union(fills, acks) {
		held := map[string]int64{}
		a := acks[root]
		maps.Copy(held, a.positions)
		for _, f := range fills[root] {
			if f.seq > a.since {
				held[f.key] += f.qty
			}
		}
		if held = nonZero(held); len(held) > 0 {
			out.Roots[root] = held
		}
	}
	return out, nil
}

// signedFill is a fill row's quantity, positive for a buy.
func signedFill(r audit.Record, p FillPayload) (int64, error) {
	switch {
	case r.Instrument == "":
		return 0, fmt.Errorf("state: fill row %d has no instrument (root)", r.Seq)
	case p.ContractKey == "":
		return 0, fmt.Errorf("state: fill row %d has no contract_key", r.Seq)
	case p.Quantity <= 0:
		return 0, fmt.Errorf("state: fill row %d has quantity %d, want > 0", r.Seq, p.Quantity)
	case p.Side == broker.Buy:
		return p.Quantity, nil
	case p.Side == broker.Sell:
		return -p.Quantity, nil
	}
	return 0, fmt.Errorf("state: fill row %d has side %q, want %s or %s", r.Seq, p.Side, broker.Buy, broker.Sell)
}

// rootOf is the root a row is about: its payload's, else its instrument.
func rootOf(payloadRoot string, r audit.Record) string {
	if payloadRoot != "" {
		return payloadRoot
	}
	return r.Instrument
}

// nonZero returns m without its zero quantities (a zero equals absent).
func nonZero(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, q := range m {
		if q != 0 {
			out[k] = q
		}
	}
	return out
}

func union[A, B any](a map[string]A, b map[string]B) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
