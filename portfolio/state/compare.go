package state

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
)

// Mismatch is a root whose positions at the broker differ from the ones
// the audit log accounts for.
type Mismatch struct {
	Root     string
	Expected map[string]int64 // contract key → signed quantity the log accounts for
	Broker   map[string]int64 // contract key → signed quantity the broker holds
	// Detail says it for people: "RTY: log expects RTYZ6 +3, broker holds RTYZ6 +5".
	Detail string
	// Names maps the contract keys to local symbols (RTYZ6) where known.
	Names map[string]string
}

// Compare returns a Mismatch for every root of roots (the roots the
// strategy owns; others are not its business) whose positions in account
// differ between expected and the broker's positions. A zero quantity
// equals no position. Broker positions of other accounts are ignored.
// Mismatches come in the order of roots.
func Compare(expected Expected, positions []broker.Position, account string, roots []string) []Mismatch {
	names := maps.Clone(expected.Names)
	if names == nil {
		names = map[string]string{}
	}
	held := map[string]map[string]int64{}
	for _, p := range positions {
		if p.Account != "" && p.Account != account {
			continue
		}
		root := p.Contract.Symbol
		if held[root] == nil {
			held[root] = map[string]int64{}
		}
		key := p.Contract.Key()
		held[root][key] += p.Quantity
		if p.Contract.LocalSymbol != "" {
			names[key] = p.Contract.LocalSymbol
		}
	}
	var out []Mismatch
	done := map[string]bool{}
	for _, root := range roots {
		if done[root] {
			continue
		}
		done[root] = true
		exp, brk := nonZero(expected.Roots[root]), nonZero(held[root])
		if maps.Equal(exp, brk) {
			continue
		}
		m := Mismatch{Root: root, Expected: exp, Broker: brk, Names: map[string]string{}}
		for k := range union(exp, brk) {
			if n, ok := names[k]; ok {
				m.Names[k] = n
			}
		}
		m.Detail = detail(m)
		out = append(out, m)
	}
	return out
}

// detail describes each contract on which the two sides differ:
// "RTY: log expects RTYZ6 +3, broker holds RTYZ6 +5; log expects no
// RTYH7, broker holds RTYH7 -1".
func detail(m Mismatch) string {
	keys := slices.Sorted(maps.Keys(union(m.Expected, m.Broker)))
	var parts []string
	for _, k := range keys {
		e, b := m.Expected[k], m.Broker[k]
		if e == b {
			continue
		}
		name := k
		if n, ok := m.Names[k]; ok {
			name = n
		}
		parts = append(parts, fmt.Sprintf("log expects %s, broker holds %s", holding(name, e), holding(name, b)))
	}
	return m.Root + ": " + strings.Join(parts, "; ")
}

func holding(name string, qty int64) string {
	if qty == 0 {
		return "no " + name
	}
	return fmt.Sprintf("%s %+d", name, qty)
}

// RecordMismatch appends the reconcile row (MismatchPayload, Instrument =
// root) that records m and blocks its root until AckPositions. When the
// root's latest mismatch row already records the same positions and is
// still unacknowledged, it returns that row and writes nothing, so a
// reconciliation that runs every few minutes records a mismatch once.
func RecordMismatch(ctx context.Context, log *audit.Log, account string, m Mismatch) (audit.Record, error) {
	if m.Root == "" {
		return audit.Record{}, fmt.Errorf("state: a mismatch needs a root")
	}
	st, err := rootStates(ctx, log, account)
	if err != nil {
		return audit.Record{}, err
	}
	exp, brk := nonZero(m.Expected), nonZero(m.Broker)
	if s, ok := st[m.Root]; ok && s.blocked() &&
		maps.Equal(nonZero(s.mismatch.Expected), exp) && maps.Equal(nonZero(s.mismatch.Broker), brk) {
		return s.mismatchRow, nil
	}
	p := MismatchPayload{Mismatch: true, Root: m.Root, Expected: exp, Broker: brk, Detail: m.Detail}
	if len(m.Names) > 0 {
		p.Names = m.Names
	}
	if p.Detail == "" {
		p.Detail = detail(Mismatch{Root: m.Root, Expected: exp, Broker: brk, Names: m.Names})
	}
	rec, err := log.Append(ctx, audit.Entry{Kind: audit.KindReconcile, Instrument: m.Root, Account: account, Payload: p})
	if err != nil {
		return audit.Record{}, fmt.Errorf("state: record the %s position mismatch of %s: %w", m.Root, account, err)
	}
	return rec, nil
}
