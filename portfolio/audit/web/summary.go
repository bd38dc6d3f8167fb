package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
	"github.com/shopspring/decimal"
)

// KnownKinds are the row kinds the pages know how to present, in the order
// the kind filter lists them: audit's kinds and the ones the portfolio
// service's packages add.
var KnownKinds = []string{
	audit.KindSignalReceived, audit.KindSignalRejected, audit.KindPlan, audit.KindRiskDecision,
	audit.KindOrderIntent, audit.KindOrderSent, audit.KindOrderStatus, audit.KindFill, service.KindCommission,
	audit.KindBrokerEvent, audit.KindReconcile, audit.KindError, audit.KindOperatorAction, audit.KindPreview,
	audit.KindKillSwitch, state.KindRiskMarks,
}

// money formats an amount with thousands separators and no cents above a
// thousand: 1,000,154.
func money(v float64) string {
	if math.Abs(v) >= 1000 {
		return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func dec(d decimal.Decimal) string { return money(d.InexactFloat64()) }

// group puts thousands separators into an integer's digits.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// clip shortens s to n runes for a one-line summary.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// summarize says in one line what a row records, from its payload. A payload
// it cannot read is shown compacted and clipped rather than hidden.
func summarize(r audit.Record) string {
	s, ok := summarizeKind(r)
	if ok {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, r.Payload) != nil {
		return clip(string(r.Payload), 160)
	}
	return clip(b.String(), 160)
}

func summarizeKind(r audit.Record) (string, bool) {
	un := func(v any) bool { return json.Unmarshal(r.Payload, v) == nil }
	switch r.Kind {
	case audit.KindSignalReceived:
		p, ev, ok := decodeEvent(r)
		if !ok {
			if un(&p) {
				return fmt.Sprintf("%s: %s, score %.2f", p.AsOf, p.Regime, p.Score), true
			}
			return "", false
		}
		rs, mc := ev.RelativeStrength, ev.Microcap
		s := fmt.Sprintf("%s: %s, score %.2f; %s beat %d of %d sectors", ev.AsOf, ev.Regime, ev.Score, rs.Benchmark, rs.SectorsBeaten, rs.SectorsTotal)
		if ev.RegimeChanged {
			s = fmt.Sprintf("%s: %s → %s, score %.2f; %s beat %d of %d sectors", ev.AsOf, ev.PreviousRegime, ev.Regime, ev.Score, rs.Benchmark, rs.SectorsBeaten, rs.SectorsTotal)
		}
		if !mc.Missing {
			s += fmt.Sprintf("; %s %s off its low", mc.Symbol, pct(mc.PctOffLow))
		}
		return s + fmt.Sprintf("; %s the resistance zone", ev.Resistance.Status), true
	case audit.KindSignalRejected:
		var p service.RejectionPayload
		if !un(&p) {
			return "", false
		}
		s := fmt.Sprintf("rejected (%s): %s", p.Reason, clip(p.Detail, 120))
		if p.Excerpt != "" {
			s += fmt.Sprintf("; message starts %q", clip(p.Excerpt, 80))
		}
		return s, true
	case audit.KindPlan:
		var p service.PlanPayload
		if !un(&p) {
			return "", false
		}
		var orders []string
		for _, o := range p.Plan.Orders {
			orders = append(orders, fmt.Sprintf("%s %d %s", o.Side, o.Quantity, o.Contract.LocalSymbol))
		}
		s := fmt.Sprintf("%s, NLV %s, target %s notional; ", p.Targets.Regime, dec(p.Market.Account.NetLiquidation), dec(p.Targets.TargetNotional))
		if len(orders) == 0 {
			return s + "no orders", true
		}
		return s + fmt.Sprintf("%d orders: %s", len(orders), strings.Join(orders, ", ")), true
	case audit.KindRiskDecision:
		var d risk.Decision
		if !un(&d) {
			return "", false
		}
		n := map[risk.Action]int{}
		for _, o := range d.Orders {
			n[o.Action]++
		}
		s := fmt.Sprintf("%d orders: %d approved, %d scaled, %d rejected", len(d.Orders), n[risk.ActionApprove], n[risk.ActionScale], n[risk.ActionReject])
		if d.TripKillSwitch {
			s += "; KILL SWITCH TRIPPED: " + d.TripReason
		}
		return s, true
	case audit.KindOrderIntent:
		var p service.IntentPayload
		if !un(&p) {
			return "", false
		}
		return fmt.Sprintf("%s %d %s %s at reference %s (%d → %d)", p.Request.Side, p.Request.Quantity, p.Request.Contract.LocalSymbol,
			orderType(p.Request.Type, p.Request.LimitPrice), p.Price, p.Current, p.Target), true
	case audit.KindOrderSent:
		var p service.SentPayload
		if !un(&p) {
			return "", false
		}
		s := fmt.Sprintf("sent: order %d, perm %d, %s", p.OrderID, p.PermID, p.Status)
		if p.Resolved {
			s += " (resolved by reference)"
		}
		return s, true
	case audit.KindOrderStatus:
		var p service.StatusPayload
		if !un(&p) {
			return "", false
		}
		s := fmt.Sprintf("%s: %d filled, %d remaining", p.Status, p.Filled, p.Remaining)
		if p.Filled > 0 {
			s += ", average " + p.AvgFillPrice.String()
		}
		if p.Final {
			s += " (final)"
		}
		if p.Reason != "" {
			s += ": " + p.Reason
		}
		return s, true
	case audit.KindFill:
		var p state.FillPayload
		if !un(&p) {
			return "", false
		}
		return fmt.Sprintf("%s %d %s @ %s", p.Side, p.Quantity, p.LocalSymbol, p.Price), true
	case service.KindCommission:
		var p service.CommissionPayload
		if !un(&p) {
			return "", false
		}
		return fmt.Sprintf("commission %s %s for execution %s", p.Commission, p.Currency, p.ExecID), true
	case audit.KindBrokerEvent:
		var p service.ConnectivityPayload
		if !un(&p) {
			return "", false
		}
		if p.Error != "" {
			return "broker error: " + clip(p.Error, 140), true
		}
		return fmt.Sprintf("%s: %s", p.State, clip(p.Reason, 140)), true
	case audit.KindReconcile:
		var m state.MismatchPayload
		if un(&m) && m.Mismatch {
			return fmt.Sprintf("MISMATCH in %s: %s", m.Root, clip(m.Detail, 140)), true
		}
		var p service.ReconcilePayload
		if !un(&p) {
			return "", false
		}
		s := fmt.Sprintf("reconciled (%s): %d fills recorded, %d unfinished", p.Trigger, p.FillsRecorded, p.Unfinished)
		if len(p.Mismatches) > 0 {
			s += fmt.Sprintf(", mismatches %v", p.Mismatches)
		}
		if len(p.Blocked) > 0 {
			s += fmt.Sprintf(", blocked %v", p.Blocked)
		}
		return s, true
	case audit.KindKillSwitch:
		var p state.KillSwitchPayload
		if !un(&p) {
			return "", false
		}
		if p.Tripped {
			return "TRIPPED: " + p.Reason, true
		}
		return fmt.Sprintf("reset by %s: %s", p.Operator, p.Reason), true
	case audit.KindOperatorAction:
		var p struct{ Action, Operator, Note, Root string }
		if !un(&p) || p.Action == "" {
			return "", false
		}
		s := fmt.Sprintf("%s by %s", p.Action, p.Operator)
		if p.Root != "" {
			s += " on " + p.Root
		}
		if p.Note != "" {
			s += ": " + clip(p.Note, 120)
		}
		return s, true
	case state.KindRiskMarks:
		var p state.Marks
		if !un(&p) {
			return "", false
		}
		return fmt.Sprintf("marks for %s: day start NLV %s, high-water mark %s", p.Day, dec(p.DayStartNLV), dec(p.HighWaterMark)), true
	case audit.KindPreview:
		var p service.PreviewPayload
		if !un(&p) {
			return "", false
		}
		return fmt.Sprintf("preview (%s): %d orders planned", p.Source, len(p.Decision.Plan.Orders)), true
	}
	return "", false
}

// orderType writes "MKT" or "LMT 2010.5".
func orderType[T ~string](t T, limit decimal.Decimal) string {
	if string(t) == "LMT" {
		return "LMT " + limit.String()
	}
	if t == "" {
		return "MKT"
	}
	return string(t)
}
