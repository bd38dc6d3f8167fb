package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/portfolio/state"
)

// The review commands: list, show and export read the audit log and never
// write to it.

// auditKinds are the row kinds the review commands know; --kind accepts
// only these, so a typo is an error rather than an empty table.
var auditKinds = []string{
	audit.KindSignalReceived, audit.KindSignalRejected, audit.KindPlan, audit.KindRiskDecision,
	audit.KindOrderIntent, audit.KindOrderSent, audit.KindBrokerEvent, audit.KindOrderStatus,
	audit.KindFill, service.KindCommission, audit.KindReconcile, audit.KindError,
	audit.KindOperatorAction, audit.KindPreview, audit.KindKillSwitch, state.KindRiskMarks,
}

// auditFilterFlags are the row filters list and export share.
type auditFilterFlags struct {
	since, until string
	kinds        []string
	event, plan  string
	ref, root    string
	limit        int
}

func (f *auditFilterFlags) register(cmd *cobra.Command, limit int) {
	fl := cmd.Flags()
	fl.StringVar(&f.since, "since", "", "only rows at or after this time: RFC 3339 (2025-03-17T14:30:00Z) or a UTC day (2025-03-17)")
	fl.StringVar(&f.until, "until", "", "only rows before this time: RFC 3339, or a UTC day (2025-03-17), which includes that whole day")
	fl.StringSliceVar(&f.kinds, "kind", nil, "only rows of this kind; repeat or separate with commas (e.g. --kind order_intent,fill)")
	fl.StringVar(&f.event, "event", "", "only rows of this signal event id")
	fl.StringVar(&f.plan, "plan", "", "only rows of this plan id")
	fl.StringVar(&f.ref, "ref", "", "only rows of this order reference")
	fl.StringVar(&f.root, "instrument", "", "only rows of this futures root, e.g. RTY")
	fl.IntVar(&f.limit, "limit", limit, "at most this many rows; 0 for all")
}

// filter checks the flags and turns them into an audit.Filter.
func (f auditFilterFlags) filter() (audit.Filter, error) {
	var af audit.Filter
	var err error
	if af.From, err = parseAuditTime("--since", f.since, false); err != nil {
		return af, err
	}
	if af.To, err = parseAuditTime("--until", f.until, true); err != nil {
		return af, err
	}
	if !af.From.IsZero() && !af.To.IsZero() && !af.From.Before(af.To) {
		return af, fmt.Errorf("--since %s is not before --until %s: no row can match", f.since, f.until)
	}
	for _, k := range f.kinds {
		k = strings.TrimSpace(k)
		if !slices.Contains(auditKinds, k) {
			return af, fmt.Errorf("--kind %q: unknown kind; want one of %s", k, strings.Join(auditKinds, ", "))
		}
		af.Kinds = append(af.Kinds, k)
	}
	if f.limit < 0 {
		return af, fmt.Errorf("--limit %d: want 0 (all rows) or more", f.limit)
	}
	af.EventID, af.PlanID, af.OrderRef, af.Instrument, af.Limit = f.event, f.plan, f.ref, f.root, f.limit
	return af, nil
}

// parseAuditTime reads a time flag. A bare day is midnight UTC; as an upper
// bound it means the end of that day, so --since D --until D is day D.
func parseAuditTime(flag, s string, upper bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if upper {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2025-03-17T14:30:00Z, 2025-03-17T10:30:00-04:00) or a UTC day (2025-03-17)", flag, s)
}

// auditRow is a record as the review commands print it in JSON: the
// columns of the events table, the payload as stored and the time in the
// exact text the hash covers.
type auditRow struct {
	Seq           int64           `json:"seq"`
	Time          string          `json:"time"`
	Kind          string          `json:"kind"`
	EventID       string          `json:"event_id"`
	PlanID        string          `json:"plan_id"`
	OrderRef      string          `json:"order_ref"`
	BrokerOrderID int64           `json:"broker_order_id"`
	PermID        int64           `json:"perm_id"`
	Instrument    string          `json:"instrument"`
	Account       string          `json:"account"`
	Payload       json.RawMessage `json:"payload"`
	PrevHash      string          `json:"prev_hash"`
	Hash          string          `json:"hash"`
}

// auditTimeLayout is the audit log's stored time text (nine fraction
// digits, UTC), which the row hash covers.
const auditTimeLayout = "2006-01-02T15:04:05.000000000Z"

func newAuditRow(r audit.Record) auditRow {
	return auditRow{r.Seq, r.Time.UTC().Format(auditTimeLayout), r.Kind, r.EventID, r.PlanID, r.OrderRef,
		r.BrokerOrderID, r.PermID, r.Instrument, r.Account, r.Payload, r.PrevHash, r.Hash}
}

// ---- list
