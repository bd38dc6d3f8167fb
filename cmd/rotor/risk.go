package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// riskFlags are the flags of the risk subcommands.
type riskFlags struct {
	file             auditFile
	account          string
	operator, reason string
	json             bool
}

func (f *riskFlags) register(cmd *cobra.Command, operator bool) {
	f.file.register(cmd)
	cmd.Flags().StringVar(&f.account, "account", "", "the IB paper account (DU...); required")
	if operator {
		cmd.Flags().StringVar(&f.operator, "operator", os.Getenv("USER"), "who you are, for the audit log (defaults to $USER)")
		cmd.Flags().StringVar(&f.reason, "reason", "", "why it is safe, for the audit log; required")
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print the result as JSON")
}

func (f riskFlags) checkAccount() error {
	switch {
	case f.account == "":
		return errors.New("--account is required: the IB paper account whose state to read, e.g. --account DU1234567")
	case !broker.IsPaper(f.account):
		return fmt.Errorf("--account %s is not an IB paper account (those start with DU); rotor trades paper accounts only", f.account)
	}
	return nil
}

func (f riskFlags) checkOperator() error {
	switch {
	case f.operator == "":
		return errors.New("--operator NAME is required (it defaults to $USER, which is not set): the audit log records who did this")
	case strings.TrimSpace(f.reason) == "":
		return errors.New("--reason TEXT is required: say, for the audit log, why it is safe to go on")
	}
	return nil
}

func newRiskCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "risk",
		Short: "Show and clear what stops the portfolio service from trading: the kill switch and blocked roots",
		Long: `The portfolio service keeps its risk state in the audit log (<data-dir>/audit.db), so these
commands work on the same file while the service runs, and every change they make is
itself an audited row:

  kill switch    trips when today's loss or the drawdown from the high-water mark goes
                 beyond its limit; while tripped no order is sent. Only an operator
                 resets it (rotor risk reset), after finding out why it tripped.
  risk marks     the start-of-day net liquidation (per CME trade date, which begins
                 17:00 Chicago time the evening before) and the high-water mark that
                 the loss limits are measured against.
  blocked roots  when the positions at the broker differ from the ones the audit log
                 accounts for (fills the service recorded since the last accepted
                 baseline), reconciliation blocks that root: no orders in it until an
                 operator checks the account and accepts the broker's positions
                 (rotor risk ack ROOT).

Start with rotor risk status --account DU...`,
	}
	cmd.AddCommand(newRiskStatusCmd(g), newRiskResetCmd(g), newRiskAckCmd(g))
	return cmd
}

// riskStatus is what risk status shows, and its --json.
type riskStatus struct {
	Account    string            `json:"account"`
	Audit      string            `json:"audit"`
	KillSwitch risk.KillSwitch   `json:"kill_switch"`
	Marks      *state.Marks      `json:"marks"` // null before the service first recorded them
	Blocked    map[string]string `json:"blocked"`
}

func newRiskStatusCmd(g *globalFlags) *cobra.Command {
	var f riskFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the account's kill switch, risk marks and blocked roots",
		Long: `status reads the account's risk state from the audit log: whether the kill switch is
tripped (since when, and why), the start-of-day net liquidation and the high-water mark
the loss limits use, and the roots a position mismatch blocks, with what was found.
It only reads the log.

Examples:
  rotor risk status --account DU1234567
  rotor risk status --account DU1234567 --audit /srv/rotor/audit.db --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.checkAccount(); err != nil {
				return err
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runRiskStatus(cmd.Context(), cmd.OutOrStdout(), log, f)
		},
	}
	f.register(cmd, false)
	return cmd
}

func runRiskStatus(ctx context.Context, stdout io.Writer, log zerolog.Logger, f riskFlags) error {
	l, err := f.file.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer l.Close()
	st := riskStatus{Account: f.account, Audit: l.Path()}
	if st.KillSwitch, err = state.KillSwitch(ctx, l, f.account); err != nil {
		return err
	}
	m, ok, err := state.LoadMarks(ctx, l, f.account)
	if err != nil {
		return err
	}
	if ok {
		st.Marks = &m
	}
	if st.Blocked, err = state.Blocked(ctx, l, f.account); err != nil {
		return err
	}
	if f.json {
		return printJSON(stdout, st)
	}
	fmt.Fprintf(stdout, "account %s (audit log %s)\n\n", st.Account, st.Audit)
	ks := st.KillSwitch
	switch {
	case ks.Tripped:
		fmt.Fprintf(stdout, "kill switch  TRIPPED since %s: %s\n", stamp(ks.Since), ks.Reason)
		fmt.Fprintf(stdout, "             no orders are sent; once you know why, reset it with\n")
		fmt.Fprintf(stdout, "             rotor risk reset --account %s --operator NAME --reason TEXT\n", st.Account)
	case !ks.Since.IsZero():
		fmt.Fprintf(stdout, "kill switch  not tripped (reset %s: %s)\n", stamp(ks.Since), ks.Reason)
	default:
		fmt.Fprintf(stdout, "kill switch  not tripped (never tripped)\n")
	}
	if st.Marks == nil {
		fmt.Fprintf(stdout, "risk marks   none yet (the portfolio service records them on its first event)\n")
	} else {
		fmt.Fprintf(stdout, "risk marks   trade date %s: start-of-day net liquidation %s, high-water mark %s\n",
			m.Day, m.DayStartNLV.StringFixed(2), m.HighWaterMark.StringFixed(2))
	}
	if len(st.Blocked) == 0 {
		fmt.Fprintf(stdout, "blocked      no root\n")
		return nil
	}
	for i, root := range slices.Sorted(maps.Keys(st.Blocked)) {
		label := "blocked     "
		if i > 0 {
			label = "            "
		}
		fmt.Fprintf(stdout, "%s %-4s %s\n", label, root, st.Blocked[root])
	}
	return nil
}

func newRiskResetCmd(g *globalFlags) *cobra.Command {
	var f riskFlags
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Reset the account's tripped kill switch (audited)",
		Long: `reset clears a tripped kill switch so that the portfolio service sends orders again.
The kill switch trips on a loss beyond the daily limit or a drawdown beyond the limit
from the high-water mark; find out why before resetting (rotor risk status shows the
reason). The reset writes two rows to the audit log in one transaction: an
operator_action row with who reset it, the reason given and the reason it had tripped,
and a kill_switch row that is not tripped. A running service picks it up on its next
event. If the loss is still beyond the limit, the next risk check trips it again.

Examples:
  rotor risk reset --account DU1234567 --operator ann --reason "loss came from a bad IB mark; checked with the desk"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.checkAccount(); err != nil {
				return err
			}
			if err := f.checkOperator(); err != nil {
				return err
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runRiskReset(cmd.Context(), cmd.OutOrStdout(), log, f, time.Now())
		},
	}
	f.register(cmd, true)
	return cmd
}

// resetResult is what risk reset did, for --json.
type resetResult struct {
	Account  string          `json:"account"`
	Previous risk.KillSwitch `json:"previous"`
	Now      risk.KillSwitch `json:"kill_switch"`
	Rows     []int64         `json:"rows"`
}

func runRiskReset(ctx context.Context, stdout io.Writer, log zerolog.Logger, f riskFlags, now time.Time) error {
	l, err := f.file.open(ctx, log, false)
	if err != nil {
		return err
	}
	defer l.Close()
	prev, err := state.KillSwitch(ctx, l, f.account)
	if err != nil {
		return err
	}
	recs, err := state.ResetKillSwitch(ctx, l, f.account, f.operator, strings.TrimSpace(f.reason), now)
	switch {
	case errors.Is(err, state.ErrNotTripped):
		return fmt.Errorf("the kill switch of %s is not tripped: nothing to reset (rotor risk status --account %s shows its state)", f.account, f.account)
	case errors.Is(err, state.ErrTrippedDuringReset):
		return fmt.Errorf("%w; run rotor risk status --account %s to see why", err, f.account)
	case err != nil:
		return err
	}
	ks, err := state.KillSwitch(ctx, l, f.account)
	if err != nil {
		return err
	}
	res := resetResult{Account: f.account, Previous: prev, Now: ks, Rows: seqs(recs)}
	if f.json {
		return printJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "kill switch of %s reset by %s (audit rows %s)\n", f.account, f.operator, joinSeqs(res.Rows))
	fmt.Fprintf(stdout, "  it had tripped %s: %s\n", stamp(prev.Since), prev.Reason)
	fmt.Fprintf(stdout, "  the portfolio service sends orders again from its next event\n")
	return nil
}

func newRiskAckCmd(g *globalFlags) *cobra.Command {
	var f riskFlags
	cmd := &cobra.Command{
		Use:   "ack ROOT",
		Short: "Accept the broker's positions in a blocked root as the new baseline (audited)",
		Long: `ack unblocks a futures root (RTY, M2K, XAK, ...) that reconciliation blocked because the
positions at the broker differed from the ones the audit log accounts for. Look at the
account first (TWS, or rotor risk status for what was found): a mismatch means someone
traded by hand, a fill was missed, or an order filled that rotor did not record.

ack accepts the positions the broker reported in the root's latest mismatch as the new
baseline: from then on the log expects those positions plus the fills recorded after
that mismatch. It writes an operator_action row (position_ack) with the baseline, who
accepted it and why. If the broker's positions have changed again since, the next
reconciliation blocks the root again.

Examples:
  rotor risk ack RTY --account DU1234567 --operator ann --reason "desk closed 2 RTYZ6 by hand"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.checkAccount(); err != nil {
				return err
			}
			if err := f.checkOperator(); err != nil {
				return err
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runRiskAck(cmd.Context(), cmd.OutOrStdout(), log, f, strings.ToUpper(args[0]))
		},
	}
	f.register(cmd, true)
	return cmd
}

// ackResult is what risk ack did, for --json.
type ackResult struct {
	Account  string            `json:"account"`
	Root     string            `json:"root"`
	Row      int64             `json:"row"`
	Was      string            `json:"was"` // the mismatch that blocked the root
	Baseline map[string]int64  `json:"baseline"`
	Names    map[string]string `json:"names,omitempty"`
}

func runRiskAck(ctx context.Context, stdout io.Writer, log zerolog.Logger, f riskFlags, root string) error {
	l, err := f.file.open(ctx, log, false)
	if err != nil {
		return err
	}
	defer l.Close()
	rec, err := state.AckPositions(ctx, l, f.account, root, f.operator, strings.TrimSpace(f.reason))
	if errors.Is(err, state.ErrNotBlocked) {
		blocked, berr := state.Blocked(ctx, l, f.account)
		if berr != nil {
			return berr
		}
		others := "no root is blocked"
		if len(blocked) > 0 {
			others = "blocked: " + strings.Join(slices.Sorted(maps.Keys(blocked)), ", ")
		}
		return fmt.Errorf("%s in %s is not blocked by a position mismatch, so there is nothing to accept (%s)", root, f.account, others)
	}
	if err != nil {
		return err
	}
	var p state.AckPayload
	if err := json.Unmarshal(rec.Payload, &p); err != nil {
		return fmt.Errorf("read back audit row %d: %w", rec.Seq, err)
	}
	res := ackResult{Account: f.account, Root: root, Row: rec.Seq, Baseline: p.Positions, Names: p.Names}
	if mm, err := l.Get(ctx, p.MismatchSeq); err == nil {
		var mp state.MismatchPayload
		if json.Unmarshal(mm.Payload, &mp) == nil {
			res.Was = fmt.Sprintf("audit row %d: %s", mm.Seq, mp.Detail)
		}
	}
	if f.json {
		return printJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "%s in %s acknowledged by %s (audit row %d); the log now expects:\n", root, f.account, f.operator, rec.Seq)
	if len(p.Positions) == 0 {
		fmt.Fprintf(stdout, "  no position in %s\n", root)
	}
	for _, k := range slices.Sorted(maps.Keys(p.Positions)) {
		name := k
		if n, ok := p.Names[k]; ok {
			name = fmt.Sprintf("%s (%s)", n, k)
		}
		fmt.Fprintf(stdout, "  %-24s %+d\n", name, p.Positions[k])
	}
	fmt.Fprintf(stdout, "plus the fills recorded since then; the mismatch was at %s\n", res.Was)
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// stamp shows a time for people, in UTC.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func seqs(recs []audit.Record) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.Seq
	}
	return out
}

func joinSeqs(s []int64) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}
