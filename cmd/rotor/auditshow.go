package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
)

type auditShowFlags struct {
	file auditFile
	json bool
}

func newAuditShowCmd(g *globalFlags) *cobra.Command {
	var f auditShowFlags
	cmd := &cobra.Command{
		Use:   "show EVENT_ID",
		Short: "Tell the whole story of one signal event: the signal, the plan, risk's verdicts, the orders and fills",
		Long: `show prints everything the audit log holds about one signal event: the signal's
numbers (regime, score, the relative-strength spreads), the plan's orders, each of risk's
verdicts, and for each order its intent, what the broker said, its status changes and
its fills, in the order they were written.

EVENT_ID may be cut to a unique prefix of at least 8 characters. Find ids with
  rotor audit list --kind signal_received

Examples:
  rotor audit show 308c5c7f66b20b0a7a14c203eb759460
  rotor audit show 308c5c7f --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runAuditShow(cmd.Context(), cmd.OutOrStdout(), log, args[0], f)
		},
	}
	f.file.register(cmd)
	cmd.Flags().BoolVar(&f.json, "json", false, "print the event id and its rows as JSON")
	return cmd
}

// auditStory is show's --json output.
type auditStory struct {
	EventID string     `json:"event_id"`
	Rows    []auditRow `json:"rows"`
}

const minEventPrefix = 8

func runAuditShow(ctx context.Context, stdout io.Writer, log zerolog.Logger, id string, f auditShowFlags) error {
	id = strings.TrimSpace(id)
	if len(id) < minEventPrefix {
		return fmt.Errorf("event id %q: give the whole id or at least its first %d characters", id, minEventPrefix)
	}
	l, err := f.file.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer l.Close()
	recs, err := l.Story(ctx, id)
	if errors.Is(err, audit.ErrNotFound) {
		var full string
		if full, err = resolveEventPrefix(ctx, l, id); err != nil {
			return err
		}
		id = full
		recs, err = l.Story(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("read the story of event %s from %s: %w", id, l.Path(), err)
	}
	if f.json {
		return writeRowsJSON(stdout, id, recs)
	}
	return printStory(stdout, id, recs)
}

// resolveEventPrefix finds the one received event whose id starts with
// prefix.
func resolveEventPrefix(ctx context.Context, l *audit.Log, prefix string) (string, error) {
	var ids []string
	asOf := map[string]string{}
	err := l.Each(ctx, audit.Filter{Kinds: []string{audit.KindSignalReceived}}, func(r audit.Record) error {
		if strings.HasPrefix(r.EventID, prefix) && !slices.Contains(ids, r.EventID) {
			ids = append(ids, r.EventID)
			var p service.ReceivedPayload
			if json.Unmarshal(r.Payload, &p) == nil {
				asOf[r.EventID] = p.AsOf
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("look up event %s in %s: %w", prefix, l.Path(), err)
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no event %s in %s; list the events it holds with: rotor audit list --kind signal_received", prefix, l.Path())
	case 1:
		return ids[0], nil
	}
	var c []string
	for _, id := range ids {
		c = append(c, fmt.Sprintf("%s (as of %s)", id, asOf[id]))
	}
	return "", fmt.Errorf("event id prefix %s is ambiguous; it starts %d events: %s", prefix, len(ids), strings.Join(c, ", "))
}

// printStory writes an event's rows as a person reads them: the signal,
// the plan, risk's verdicts, then each order's rows in sequence.
func printStory(w io.Writer, id string, recs []audit.Record) error {
	fmt.Fprintf(w, "event %s\n", id)
	var refs []string
	byRef := map[string][]audit.Record{}
	var other []audit.Record
	for _, r := range recs {
		switch {
		case r.Kind == audit.KindSignalReceived:
			printSignal(w, r)
		case r.Kind == audit.KindPlan:
			printPlan(w, r)
		case r.Kind == audit.KindRiskDecision:
			printRisk(w, r)
		case r.OrderRef != "":
			if _, ok := byRef[r.OrderRef]; !ok {
				refs = append(refs, r.OrderRef)
			}
			byRef[r.OrderRef] = append(byRef[r.OrderRef], r)
		default:
			other = append(other, r)
		}
	}
	if len(refs) > 0 {
		fmt.Fprintf(w, "\norders\n")
		for _, ref := range refs {
			fmt.Fprintf(w, "  %s\n", ref)
			for _, r := range byRef[ref] {
				fmt.Fprintf(w, "    #%-5d %s  %-12s %s\n", r.Seq, r.Time.UTC().Format(time.TimeOnly), r.Kind, summarize(r))
			}
		}
	}
	if len(other) > 0 {
		fmt.Fprintf(w, "\nother rows\n")
		for _, r := range other {
			fmt.Fprintf(w, "  #%-5d %s  %-15s %s\n", r.Seq, r.Time.UTC().Format(time.DateTime), r.Kind, summarize(r))
		}
	}
	return nil
}

func printSignal(w io.Writer, r audit.Record) {
	var p service.ReceivedPayload
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		fmt.Fprintf(w, "  signal #%d: payload unreadable (%v): %s\n", r.Seq, err, clip(string(r.Payload), 200, "…"))
		return
	}
	fmt.Fprintf(w, "  signal #%d received %s (%s mode, stream seq %d)\n", r.Seq, stamp(r.Time), p.Mode, p.StreamSeq)
	ev, err := signals.UnmarshalEvent(p.Event)
	if err != nil {
		fmt.Fprintf(w, "  as of %s: %s, score %.3f (the event itself does not decode: %v)\n", p.AsOf, p.Regime, p.Score, err)
		return
	}
	prev := "no previous regime"
	if ev.PreviousRegime != "" {
		prev = "previous " + string(ev.PreviousRegime)
		if ev.RegimeChanged {
			prev += ", changed"
		}
	}
	fmt.Fprintf(w, "  as of %s: %s, score %.3f (%s)\n", ev.AsOf, ev.Regime, ev.Score, prev)
	sp := ev.ScoreParts
	fmt.Fprintf(w, "  score parts: breadth %.3f, strength %.3f, thrust %.3f, resistance %.3f\n", sp.Breadth, sp.Strength, sp.Thrust, sp.Resistance)
	rs := ev.RelativeStrength
	if len(rs.Sectors) == 0 {
		return
	}
	fmt.Fprintf(w, "  relative strength over %d days from %s: %s %+.2f%%, beats %d of %d sectors, mean spread %+.2f%%\n",
		rs.LookbackDays, rs.From, rs.Benchmark, rs.BenchmarkReturn*100, rs.SectorsBeaten, rs.SectorsTotal, rs.MeanSpread*100)
	syms := make([]string, 0, len(rs.Sectors))
	for s := range rs.Sectors {
		syms = append(syms, s)
	}
	sort.Strings(syms)
	for _, s := range syms {
		fmt.Fprintf(w, "    %-5s spread %+6.2f%%  (return %+.2f%%)\n", s, rs.Sectors[s].Spread*100, rs.Sectors[s].Return*100)
	}
}

func printPlan(w io.Writer, r audit.Record) {
	var p service.PlanPayload
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		fmt.Fprintf(w, "\nplan %s #%d: payload unreadable (%v)\n", r.PlanID, r.Seq, err)
		return
	}
	fmt.Fprintf(w, "\nplan %s #%d (%s mode): %s target, sleeve %s, %d orders\n", r.PlanID, r.Seq, p.Mode,
		p.Targets.Regime, p.Targets.SleeveNotional, len(p.Plan.Orders))
	for _, o := range p.Plan.Orders {
		fmt.Fprintf(w, "  %s %d %s %s  %s %s: %d -> %d  %s\n", o.Side, o.Quantity, o.Contract.LocalSymbol, o.Type,
			o.Root, o.Leg, o.Current, o.Target, o.Ref)
		if o.Reason != "" {
			fmt.Fprintf(w, "    %s\n", o.Reason)
		}
	}
	for _, h := range p.HeldBack {
		fmt.Fprintf(w, "  held back %s: %s\n", h.Ref, h.Reason)
	}
}

func printRisk(w io.Writer, r audit.Record) {
	var d risk.Decision
	if err := json.Unmarshal(r.Payload, &d); err != nil {
		fmt.Fprintf(w, "\nrisk #%d: payload unreadable (%v)\n", r.Seq, err)
		return
	}
	fmt.Fprintf(w, "\nrisk #%d: %s\n", r.Seq, riskSummary(d))
	for _, v := range d.Verdicts {
		if v.OrderRef == "" {
			fmt.Fprintf(w, "  plan: %s %s: %s\n", v.Action, v.Code, v.Message)
		}
	}
	for _, o := range d.Orders {
		fmt.Fprintf(w, "  %s: %s, %d of %d approved\n", o.Order.Ref, o.Action, o.Approved, o.Order.Quantity)
		for _, v := range o.Verdicts {
			fmt.Fprintf(w, "    %s %s: %s\n", v.Action, v.Code, v.Message)
		}
	}
}

// ---- export
