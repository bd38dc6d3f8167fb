package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
)

type auditListFlags struct {
	file   auditFile
	filter auditFilterFlags
	desc   bool
	json   bool
}

func newAuditListCmd(g *globalFlags) *cobra.Command {
	var f auditListFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit rows, newest first, with a one-line summary of each",
		Long: `list prints the audit log's rows as a table: sequence number, time (UTC), kind,
instrument, event id, order reference and a one-line summary of the payload. It shows
the newest 50 rows unless told otherwise; the filters combine.

Examples:
  rotor audit list
  rotor audit list --kind order_intent --kind fill --instrument RTY --since 2025-03-17
  rotor audit list --event 308c5c7f --limit 0 --desc=false
  rotor audit list --ref rotor-2cc86859c61530b8-M2K-M2KH5-target --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runAuditList(cmd.Context(), cmd.OutOrStdout(), log, f)
		},
	}
	f.file.register(cmd)
	f.filter.register(cmd, 50)
	cmd.Flags().BoolVar(&f.desc, "desc", true, "newest first; --desc=false for oldest first")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the rows as a JSON array, payloads as stored")
	return cmd
}

func runAuditList(ctx context.Context, stdout io.Writer, log zerolog.Logger, f auditListFlags) error {
	af, err := f.filter.filter()
	if err != nil {
		return err
	}
	af.Desc = f.desc
	l, err := f.file.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer l.Close()
	recs, err := l.Query(ctx, af)
	if err != nil {
		return fmt.Errorf("read %s: %w", l.Path(), err)
	}
	if f.json {
		return writeRowsJSON(stdout, "", recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(stdout, "no rows match")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tINSTRUMENT\tEVENT\tREF\tSUMMARY")
	for _, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Time.UTC().Format(time.DateTime), r.Kind,
			dash(r.Instrument), dash(clip(r.EventID, 8, "")), dash(shortRef(r.OrderRef)), summarize(r))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip cuts s to n runes, marking a cut with more.
func clip(s string, n int, more string) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + more
}

// shortRef shortens an order reference for a table. rotor's references are
// "rotor-<16-hex plan id>-<root>-<contract>-<leg>": the prefix says nothing
// and 8 digits of the plan id tell plans apart. Others are clipped.
func shortRef(ref string) string {
	if rest, ok := strings.CutPrefix(ref, "rotor-"); ok {
		if plan, tail, ok := strings.Cut(rest, "-"); ok && len(plan) == 16 {
			return plan[:8] + "-" + tail
		}
	}
	return clip(ref, 32, "…")
}

// summarize says what a row is about in one line, from its payload. A
// payload it cannot read is shown as compact JSON.
func summarize(r audit.Record) string {
	s, err := summarizePayload(r)
	if err != nil || s == "" {
		return clip(string(r.Payload), 60, "…")
	}
	return s
}

func summarizePayload(r audit.Record) (string, error) {
	switch r.Kind {
	case audit.KindSignalReceived:
		var p service.ReceivedPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		s := fmt.Sprintf("%s %.2f as of %s", p.Regime, p.Score, p.AsOf)
		var ev struct {
			PreviousRegime string `json:"previous_regime"`
			RegimeChanged  bool   `json:"regime_changed"`
		}
		if json.Unmarshal(p.Event, &ev) == nil && ev.RegimeChanged {
			s += fmt.Sprintf(" (was %s)", ev.PreviousRegime)
		}
		return s, nil
	case audit.KindSignalRejected:
		var p service.RejectionPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		return clip(fmt.Sprintf("%s: %s", p.Reason, p.Detail), 80, "…"), nil
	case audit.KindPlan:
		var p service.PlanPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		if len(p.Plan.Orders) == 0 {
			return fmt.Sprintf("%s target, no orders", p.Targets.Regime), nil
		}
		var orders []string
		for _, o := range p.Plan.Orders {
			orders = append(orders, fmt.Sprintf("%s %d %s", o.Side, o.Quantity, o.Contract.LocalSymbol))
		}
		return clip(fmt.Sprintf("%s target, %d orders: %s", p.Targets.Regime, len(orders), strings.Join(orders, ", ")), 80, "…"), nil
	case audit.KindRiskDecision:
		var d risk.Decision
		if err := json.Unmarshal(r.Payload, &d); err != nil {
			return "", err
		}
		return riskSummary(d), nil
	case audit.KindOrderIntent:
		var p service.IntentPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		q := p.Request
		s := fmt.Sprintf("%s %d %s %s", q.Side, q.Quantity, q.Contract.LocalSymbol, q.Type)
		if q.Type == "LMT" {
			s += " " + q.LimitPrice.String()
		}
		return s, nil
	case audit.KindOrderSent:
		var p service.SentPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		s := fmt.Sprintf("order %d perm %d: %s", p.OrderID, p.PermID, p.Status)
		if p.Resolved {
			s += " (found by reference)"
		}
		return s, nil
	case audit.KindOrderStatus:
		var p service.StatusPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		s := fmt.Sprintf("%s %d/%d", p.Status, p.Filled, p.Filled+p.Remaining)
		if p.Filled > 0 && !p.AvgFillPrice.IsZero() {
			s += " @ " + p.AvgFillPrice.String()
		}
		if p.Reason != "" {
			s += ": " + p.Reason
		}
		return clip(s, 80, "…"), nil
	case audit.KindFill:
		var p state.FillPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %d %s @ %s", p.Side, p.Quantity, p.LocalSymbol, p.Price), nil
	case service.KindCommission:
		var p service.CommissionPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		return fmt.Sprintf("commission %s %s on %s", p.Commission, p.Currency, p.ExecID), nil
	case audit.KindKillSwitch:
		var p state.KillSwitchPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		if p.Tripped {
			return clip("tripped: "+p.Reason, 80, "…"), nil
		}
		by := ""
		if p.Operator != "" {
			by = " by " + p.Operator
		}
		return clip("reset"+by+": "+p.Reason, 80, "…"), nil
	case audit.KindReconcile:
		var p service.ReconcilePayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return "", err
		}
		s := fmt.Sprintf("%s: %d fills recorded, %d unfinished", p.Trigger, p.FillsRecorded, p.Unfinished)
		if len(p.Mismatches) > 0 {
			s += ", mismatched " + strings.Join(p.Mismatches, " ")
		}
		if len(p.Blocked) > 0 {
			s += ", blocked " + strings.Join(p.Blocked, " ")
		}
		return clip(s, 80, "…"), nil
	case state.KindRiskMarks:
		var m state.Marks
		if err := json.Unmarshal(r.Payload, &m); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s: day start NLV %s, high water %s", m.Day, m.DayStartNLV, m.HighWaterMark), nil
	case audit.KindBrokerEvent:
		var p service.ConnectivityPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil || p.State == "" {
			return "", err
		}
		s := string(p.State)
		for _, x := range []string{p.Reason, p.Error} {
			if x != "" {
				s += ": " + x
			}
		}
		return clip(s, 80, "…"), nil
	}
	return "", nil
}

// riskSummary counts a decision's orders by what risk did to them.
func riskSummary(d risk.Decision) string {
	var ok, cut, rejected int
	for _, o := range d.Orders {
		switch o.Action {
		case risk.ActionApprove:
			ok++
		case risk.ActionScale:
			cut++
		case risk.ActionReject:
			rejected++
		}
	}
	s := fmt.Sprintf("%d approved, %d cut, %d rejected", ok, cut, rejected)
	if d.TripKillSwitch {
		s += "; kill switch tripped: " + d.TripReason
	}
	return clip(s, 80, "…")
}

// ---- show
