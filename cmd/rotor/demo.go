package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
)

type demoFlags struct {
	json       bool
	rollDays   int
	timeout    time.Duration
	days       int
	dataDir    string
	follow     bool
	brokerOnly bool
}

func newDemoCmd(g *globalFlags) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system on embedded defaults for a few dozen simulated trading days (no setup, no network)",
		Long: `demo runs rotor end to end in one process, with nothing to set up and no network:

  - the built-in paper broker on a free loopback port, with a paper (DU...) account,
    speaking the real TWS API to rotor's Interactive Brokers adapter;
  - an embedded NATS server with JetStream (its store in the run directory);
  - generated, deterministic market data with a small-cap leadership episode;
  - the signal worker, signing and publishing each trading day's event;
  - the portfolio service in paper mode: admission, sizing, risk, the audit log
    (SQLite), orders and fills.

A simulated clock moves from one trading day to the next (--days of them, from
2025-02-24), to 16:45 New York time, after the close. Each day prints one line: the
regime (* when it changed) and score, each order as approved/proposed contracts with
what filled and any risk verdict other than OK, the positions and net liquidation.
The signal goes from lagging (flat) through neutral (half the sleeve) to leadership
(all of it). At the end the audit log's hash chain is verified and its path printed.

Each run gets a fresh directory under --data-dir. --follow keeps the services
running after the last day until Ctrl-C. --broker-only runs the older walk-through of
the broker layer alone (resolve, fill, rest and cancel a limit, positions).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("log-level") {
				g.logLevel = "warn" // the steps are the demo's output; logs only for trouble
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if !f.follow {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, f.timeout)
				defer cancel()
			}
			var rep any
			if f.brokerOnly {
				rep, err = runBrokerDemo(ctx, cmd, log, f)
			} else {
				rep, err = runSystemDemo(ctx, cmd.OutOrStdout(), log, f)
			}
			if err != nil {
				if interrupted(cmd.Context(), err) {
					return errors.New("interrupted")
				}
				return err
			}
			if f.json {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print the result as JSON on stdout (instead of the day-by-day table)")
	fl.IntVar(&f.days, "days", 40, "trading days to play")
	fl.StringVar(&f.dataDir, "data-dir", "rotor-demo", "where each run's directory (audit log, NATS store) is made")
	fl.BoolVar(&f.follow, "follow", false, "keep the services running after the last day, until Ctrl-C")
	fl.BoolVar(&f.brokerOnly, "broker-only", false, "walk through the broker layer only (the paper broker and the IB adapter)")
	fl.IntVar(&f.rollDays, "roll-days", 5, "with --broker-only: business days before expiry at which the front month is skipped")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up after this long (not with --follow)")
	return cmd
}

// runBrokerDemo is the broker layer's walk-through.
func runBrokerDemo(ctx context.Context, cmd *cobra.Command, log zerolog.Logger, f demoFlags) (*demoReport, error) {
	srv := ibsim.New(ibsim.Config{Logger: log.With().Str("component", "ibsim").Logger()})
	if err := srv.Open(ctx); err != nil {
		return nil, err
	}
	defer srv.Close()
	client := ib.New(ib.Config{Addr: srv.Addr(), ClientID: 1, Logger: log})
	if err := client.Open(ctx); err != nil {
		return nil, fmt.Errorf("connect to the paper broker at %s: %w", srv.Addr(), err)
	}
	defer client.Close()
	rep, err := runDemo(ctx, client, f.rollDays, progress(cmd.ErrOrStderr(), f.json))
	if err != nil {
		return nil, err
	}
	rep.Broker = srv.Addr()
	if !f.json {
		rep.print(cmd.OutOrStdout())
	}
	return rep, nil
}

// progress prints a step line for people; nothing when output is JSON.
func progress(w io.Writer, quiet bool) func(string, ...any) {
	return func(format string, args ...any) {
		if !quiet {
			fmt.Fprintf(w, "  • "+format+"\n", args...)
		}
	}
}

// demoReport is what the demo did, for people and for --json.
type demoReport struct {
	Broker    string               `json:"broker"`
	Account   broker.Account       `json:"account_before"`
	After     broker.Account       `json:"account_after"`
	Contracts []broker.Contract    `json:"contracts"`
	Orders    []broker.OrderReport `json:"orders"`
	Fills     []broker.Fill        `json:"fills"`
	Positions []broker.Position    `json:"positions"`
}

func runDemo(ctx context.Context, b broker.Broker, rollDays int, step func(string, ...any)) (*demoReport, error) {
	rep := &demoReport{}
	var err error
	if rep.Account, err = b.Account(ctx); err != nil {
		return nil, fmt.Errorf("read account: %w", err)
	}
	step("connected: account %s, net liquidation %s %s", rep.Account.ID, rep.Account.NetLiquidation.StringFixed(2), rep.Account.Currency)
	now := time.Now()
	for _, root := range []string{"RTY", "M2K"} {
		c, err := b.ResolveFuture(ctx, root, now, rollDays)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", root, err)
		}
		rep.Contracts = append(rep.Contracts, c)
		step("resolved %s front month: %s, last trade %s", root, c.LocalSymbol, c.Expiry.Format(time.DateOnly))
	}
	rty, m2k := rep.Contracts[0], rep.Contracts[1]
	stamp := now.UTC().Format("20060102T150405")
	orders := []broker.OrderRequest{
		{Ref: "demo-" + stamp + "-rty", Contract: rty, Side: broker.Buy, Quantity: 2, Type: broker.Market},
		{Ref: "demo-" + stamp + "-m2k", Contract: m2k, Side: broker.Buy, Quantity: 3, Type: broker.Market},
	}
	for _, o := range orders {
		r, err := b.PlaceOrder(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("place %s: %w", o.Ref, err)
		}
		step("placed %s %d %s at market: %s", o.Side, o.Quantity, o.Contract.LocalSymbol, r.Status)
	}
	want := map[string]bool{orders[0].Ref: true, orders[1].Ref: true}
	fills, err := awaitFills(ctx, b.Events(), want)
	if err != nil {
		return nil, err
	}
	rep.Fills = fills
	for _, f := range fills {
		step("filled %s %d %s at %s, commission %s %s", f.Side, f.Quantity, f.Contract.LocalSymbol, f.Price, f.Commission.StringFixed(2), f.CommissionCurrency)
	}

	// A limit order 5% under the market rests, then is cancelled.
	mark := fills[0].Price
	in, err := broker.LookupInstrument(rty.Symbol)
	if err != nil {
		return nil, err
	}
	limit := in.RoundPrice(mark.Mul(decimal.RequireFromString("0.95")), broker.Buy)
	lmt := broker.OrderRequest{Ref: "demo-" + stamp + "-rest", Contract: rty, Side: broker.Buy, Quantity: 1, Type: broker.Limit, LimitPrice: limit}
	r, err := b.PlaceOrder(ctx, lmt)
	if err != nil {
		return nil, fmt.Errorf("place %s: %w", lmt.Ref, err)
	}
	step("placed BUY 1 %s limit %s: %s (rests below the market)", rty.LocalSymbol, limit, r.Status)
	if r, err = b.CancelOrder(ctx, lmt.Ref); err != nil {
		return nil, fmt.Errorf("cancel %s: %w", lmt.Ref, err)
	}
	step("cancelled it: %s", r.Status)
	for _, ref := range []string{orders[0].Ref, orders[1].Ref, lmt.Ref} {
		r, err := b.LookupOrder(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("look up %s: %w", ref, err)
		}
		rep.Orders = append(rep.Orders, r)
	}
	if rep.Positions, err = b.Positions(ctx); err != nil {
		return nil, fmt.Errorf("read positions: %w", err)
	}
	if rep.After, err = b.Account(ctx); err != nil {
		return nil, fmt.Errorf("read account: %w", err)
	}
	return rep, nil
}

// awaitFills collects fills (with commissions) until every wanted order is
// filled.
func awaitFills(ctx context.Context, events <-chan broker.Event, want map[string]bool) ([]broker.Fill, error) {
	byExec := map[string]broker.Fill{}
	var order []string
	filled := map[string]int{}
	for len(filled) < len(want) || !allCommissioned(byExec) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for fills: %w", ctx.Err())
		case ev, ok := <-events:
			if !ok {
				return nil, errors.New("broker closed while waiting for fills")
			}
			fe, ok := ev.(broker.FillEvent)
			if !ok || !want[fe.Fill.Ref] {
				continue
			}
			if _, seen := byExec[fe.Fill.ExecID]; !seen {
				order = append(order, fe.Fill.ExecID)
				filled[fe.Fill.Ref]++
			}
			byExec[fe.Fill.ExecID] = fe.Fill
		}
	}
	out := make([]broker.Fill, 0, len(order))
	for _, id := range order {
		out = append(out, byExec[id])
	}
	return out, nil
}

func allCommissioned(fills map[string]broker.Fill) bool {
	for _, f := range fills {
		if f.CommissionCurrency == "" {
			return false
		}
	}
	return true
}

func (r *demoReport) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nORDER\tCONTRACT\tSIDE\tQTY\tTYPE\tSTATUS\tFILLED\tAVG PRICE\n")
	for _, o := range r.Orders {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\n", o.Ref, o.Contract.LocalSymbol, o.Side, o.Quantity, o.Type, o.Status, o.Filled, o.AvgFillPrice)
	}
	fmt.Fprintf(tw, "\nPOSITION\tQTY\tAVG COST\tNOTIONAL AT COST\n")
	for _, p := range r.Positions {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", p.Contract.LocalSymbol, p.Quantity, p.AvgCost.StringFixed(2), p.AvgCost.Mul(decimal.NewFromInt(p.Quantity)).StringFixed(2))
	}
	fmt.Fprintf(tw, "\nACCOUNT %s\tBEFORE\tAFTER\n", r.After.ID)
	row := func(name string, a, b decimal.Decimal) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, a.StringFixed(2), b.StringFixed(2))
	}
	row("net liquidation", r.Account.NetLiquidation, r.After.NetLiquidation)
	row("initial margin", r.Account.InitMargin, r.After.InitMargin)
	row("maintenance margin", r.Account.MaintMargin, r.After.MaintMargin)
	row("available funds", r.Account.AvailableFunds, r.After.AvailableFunds)
	tw.Flush()
	fmt.Fprintf(w, "\npaper broker was at %s; everything above went over the TWS wire protocol.\n", r.Broker)
}
