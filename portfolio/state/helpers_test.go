package state_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/shopspring/decimal"
)

const acct = "DU1234567"

var ctx = context.Background()

// mustOpen opens (creating it) the audit log at path and closes it when
// the test ends.
func mustOpen(tb testing.TB, path string) *audit.Log {
	tb.Helper()
	l, err := audit.Open(ctx, path, audit.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// mustOpenLog opens a new audit log in a temporary directory.
func mustOpenLog(tb testing.TB) *audit.Log {
	tb.Helper()
	return mustOpen(tb, filepath.Join(tb.TempDir(), "audit.db"))
}

// head is the log's last seq.
func head(tb testing.TB, l *audit.Log) int64 {
	tb.Helper()
	h, err := l.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return h.Seq
}

// appendFill writes a fill row as the portfolio service does.
func appendFill(tb testing.TB, l *audit.Log, account, root, execID string, conID int64, local string, side broker.Side, qty int64) audit.Record {
	tb.Helper()
	c := broker.Contract{ConID: conID, Symbol: root, LocalSymbol: local, SecType: broker.Future}
	rec, err := l.Append(ctx, audit.Entry{Kind: audit.KindFill, OrderRef: "ref-" + execID, Instrument: root, Account: account,
		Payload: state.FillPayload{ExecID: execID, ContractKey: c.Key(), LocalSymbol: local, ConID: conID, Side: side,
			Quantity: qty, Price: decimal.RequireFromString("2100.5"), Time: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC),
			Commission: decimal.RequireFromString("2.25"), CommissionCurrency: "USD"}})
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

func position(account, root string, conID int64, local string, qty int64) broker.Position {
	return broker.Position{Account: account, Quantity: qty,
		Contract: broker.Contract{ConID: conID, Symbol: root, LocalSymbol: local, SecType: broker.Future}}
}

func key(conID int64) string { return broker.Contract{ConID: conID}.Key() }

// auditAck is a position_ack row as an operator tool might write it,
// without a mismatch row behind it.
func auditAck(root string, positions map[string]int64) audit.Entry {
	return audit.Entry{Kind: audit.KindOperatorAction, Instrument: root, Account: acct,
		Payload: state.AckPayload{Action: state.ActionPositionAck, Root: root, Positions: positions, Operator: "ann", Note: "baseline"}}
}
