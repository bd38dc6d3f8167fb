package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/signals/jetstream"
)

type planFlags struct {
	serviceFlags
	eventFile string
	json      bool
	anyAge    bool
}

func newPlanCmd(g *globalFlags) *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Preview the orders for the latest leadership event against the live account (routes nothing)",
		Long: `plan is a dry run of the portfolio service on one event: the same code as paper
trading up to the risk decision. It takes the latest event on the stream (or
--event FILE, a signed event as 'rotor signals --json' prints it), verifies it, reads
the account, positions and prices from TWS, sizes the sleeve, plans the orders and
runs every risk check, then prints one line per order:

  instrument, contract, current and target contracts, the change, order type and
  price, notional, margin effect, and every risk verdict (OK, or the rule that cut
  or rejected it and why).

Plan-wide verdicts (kill switch, market closed, stale event) are listed under the
table. The preview is recorded in the audit log as a 'preview' row. Nothing is sent.

--any-age previews an event older than the 36h the service accepts (risk still flags
it STALE_EVENT); useful to see what an old event would have done to today's book.

Examples:
  rotor plan --ib 127.0.0.1:7497
  rotor plan --ib 127.0.0.1:7497 --event today.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("log-level") {
				g.logLevel = "warn"
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			trusted, err := f.trusted()
			if err != nil {
				return err
			}
			data, source, err := f.event(ctx, log)
			if err != nil {
				return err
			}
			policy := admit.Policy{Trusted: trusted}
			if f.anyAge {
				policy.MaxAge = 100 * 365 * 24 * time.Hour
			}
			ev, err := admit.Admit(data, policy, time.Now())
			if err != nil {
				return fmt.Errorf("the event from %s is not admitted: %w", source, err)
			}
			l, err := openAudit(ctx, f.audit())
			if err != nil {
				return err
			}
			defer l.Close()
			b, account, err := f.openBroker(ctx, log)
			if err != nil {
				return err
			}
			defer b.Close()
			cfg := g.serviceBase()
			cfg.Account, cfg.Mode, cfg.Broker, cfg.Log, cfg.Admit, cfg.Logger = account, service.DryRun, b, l, policy, log
			s, err := service.New(cfg)
			if err != nil {
				return err
			}
			d, rec, err := s.Preview(ctx, ev, source)
			if err != nil {
				return err
			}
			if f.json {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					AuditSeq int64                `json:"audit_seq"`
					Summary  string               `json:"summary"`
					Rows     []service.PreviewRow `json:"rows"`
					Plan     []string             `json:"plan_verdicts"`
					Decision service.Decision     `json:"decision"`
				}{rec.Seq, service.Summary(d), service.PreviewRows(d), service.PlanVerdicts(d), d})
			}
			printPreview(cmd.OutOrStdout(), d, rec.Seq, f.audit())
			return nil
		},
	}
	f.register(cmd, g, 12)
	cmd.Flags().StringVar(&f.eventFile, "event", "", "preview this event file instead of the latest on the stream")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the preview as JSON")
	cmd.Flags().BoolVar(&f.anyAge, "any-age", false, "preview an event older than the service would accept")
	return cmd
}

// event reads the event to preview: --event, or the latest on the stream.
func (f *planFlags) event(ctx context.Context, log zerolog.Logger) ([]byte, string, error) {
	if f.eventFile != "" {
		data, err := os.ReadFile(f.eventFile)
		if err != nil {
			return nil, "", fmt.Errorf("--event: %w", err)
		}
		return data, "file " + f.eventFile, nil
	}
	sess, err := openNATS(ctx, log, f.nats, f.dataDir, "rotor plan")
	if err != nil {
		return nil, "", err
	}
	defer closeNATS(sess, log)
	subject := jetstream.DefaultSubjectPrefix + service.DefaultSubject
	msg, err := jetstream.LastMsg(ctx, sess.js, jetstream.DefaultStreamName, subject)
	if errors.Is(err, jetstream.ErrNotFound) {
		return nil, "", fmt.Errorf("no leadership event on %s yet: run the signal worker or 'rotor signals --publish', or pass --event FILE", subject)
	}
	if err != nil {
		return nil, "", err
	}
	return msg.Data, fmt.Sprintf("stream %s seq %d", subject, msg.Sequence), nil
}

// printPreview prints the decision as a table a trader reads at a glance.
func printPreview(w io.Writer, d service.Decision, seq int64, auditPath string) {
	fmt.Fprintf(w, "Preview for %s at %s (dry run: nothing sent)\n", d.Account, d.At.Format(time.RFC3339))
	fmt.Fprintf(w, "%s\n", service.Summary(d))
	t := d.Targets
	fmt.Fprintf(w, "Sleeve: NLV %s × share → %s, leverage %s, vol scale %s (realised %.1f%%) → long target %s, achieved %s\n\n",
		t.NLV.StringFixed(0), t.SleeveNotional.StringFixed(0), t.Leverage, t.VolScale, t.RealisedVol*100,
		t.LongTarget.StringFixed(0), t.LongNotional.StringFixed(0))
	rows := service.PreviewRows(d)
	if len(rows) == 0 {
		fmt.Fprintln(w, "No orders: the book is at its targets (or within the drift band).")
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "INSTRUMENT\tCONTRACT\tCURRENT\tTARGET\tCHANGE\tORDER\tNOTIONAL\tMARGIN\tRISK")
		for _, r := range rows {
			change := fmt.Sprintf("%+d", r.Change)
			if r.Approved != abs(r.Change) {
				change += fmt.Sprintf(" (→%d)", r.Approved)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s @ %s\t%s\t%s\t%s\n", r.Root, r.Contract, r.Current, r.Target, change,
				r.Order, r.Price, r.Notional.StringFixed(0), r.Margin.StringFixed(0), strings.Join(r.Verdicts, "; "))
		}
		tw.Flush()
	}
	for _, v := range service.PlanVerdicts(d) {
		fmt.Fprintf(w, "plan: %s\n", v)
	}
	for _, sk := range d.Plan.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", sk.Group, sk.Reason)
	}
	for _, u := range d.Plan.Untouched {
		fmt.Fprintf(w, "untouched: %s %+d (%s)\n", u.Position.Contract.LocalSymbol, u.Position.Quantity, u.Reason)
	}
	fmt.Fprintf(w, "\nRecorded as preview row %d in %s.\n", seq, auditPath)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
