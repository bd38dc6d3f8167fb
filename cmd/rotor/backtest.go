package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/portfolio/backtest"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// defaultReport is where the HTML report goes unless --report says: the
// working directory, not the data directory, which is input (and may be
// shared or read-only).
const defaultReport = "backtest-report.html"

type backtestFlags struct {
	data, from, to, report string
	noReport, json, sweep  bool
	sortBy                 string
	slippage               int64
	cash                   string
	warmup, killReset      int
	microcapOptional       bool
	lookbacks, thresholds  string
	leverages              string
	workers, top           int
}

func newBacktestCmd(g *globalFlags) *cobra.Command {
	var f backtestFlags
	cmd := &cobra.Command{
		Use:   "backtest",
		Short: "Replay daily history through the signal, sizing, risk and the paper broker; print CAGR, Sharpe, drawdown",
		Long: `backtest replays daily history through the same code as the services, in one process
(no sockets, no NATS): the leadership signal for every trading day, the sleeve's sizing
and plan (drift band, rolls), risk's checks (limits, kill switch), and fills from the
paper broker's matching engine, with its commissions, slippage, margin and quarterly
contract rolls.

Each trading day T the signal is computed from T's closes; at 16:15 New York time the
book reads the paper broker's account, sizes, plans and checks risk, and market orders
fill at once at the broker's mark for T (the close of the index the future tracks)
plus --slippage-ticks ticks. CME futures trade until 17:00 New York, so that is what
the service running after the close gets; the ticks stand for the drift of those minutes.

Three books run side by side, each its own paper account starting with --cash:
  strategy      the sleeve following the signal
  buy_and_hold  the sleeve's leadership exposure (NLV x share x leadership leverage)
                in RTY/M2K every day, no volatility targeting, rolled like the strategy
  no_signal     the sleeve at its neutral leverage whatever the regime
and the table compares CAGR, volatility, Sharpe (risk-free 0), maximum drawdown,
turnover (traded notional / average NLV, per year), trades and commissions.

The data directory holds one CSV file per symbol (see 'rotor signals'): IWM, IWC, the
eleven sector funds, and the indices the paper broker marks futures with: RUT.csv or
^RUT.csv for RTY and M2K (GSPC.csv or ^GSPC.csv for ES hedges). The sleeve and the
risk limits come from the configuration file (--config: sleeve, risk); the signal
uses its defaults. The signal is warmed up over --warmup trading days before --from
so its regime is settled on the first day; --to defaults to the last bar.

A tripped kill switch blocks every order that adds risk until an operator resets it;
--kill-switch-reset N models an operator doing so N trading days later (restarting
the high-water mark), 0 never. Every trip and reset is listed in the JSON's notes.

The run is deterministic: the same data and flags give the same JSON, byte for byte.
An HTML report (equity curves, drawdowns, the small-cap index with the regime shaded;
self-contained, no external assets) goes to --report, ./` + defaultReport + ` by default.

--sweep runs a grid instead, strategy only, on all cores (--workers): every
--lookbacks with every --thresholds (enter/exit leadership scores) and every
--leverages (the leadership leverage); the table is sorted by --sort-by.

A progress bar is drawn on stderr when it is a terminal.

Examples:
  rotor backtest --data ./marketdata --from 2017-01-03 --to 2025-09-26
  rotor backtest --data ./marketdata --from 2017-01-03 --json > result.json
  rotor backtest --data ./marketdata --from 2017-01-03 --sweep \
      --lookbacks 42,63,84,126 --thresholds 0.7/0.5,0.8/0.6 --leverages 1,2,3 --sort-by cagr`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			log = log.With().Str("component", "backtest").Logger()
			cfg, grid, err := f.config(g)
			if err != nil {
				return err
			}
			start := time.Now()
			log.Debug().Str("data", f.data).Msg("reading the data")
			if cfg.Data, err = marketdata.ReadDir(f.data); err != nil {
				return fmt.Errorf("--data %s: %w", f.data, err)
			}
			bar := newBacktestProgress(cmd.ErrOrStderr())
			if f.sweep {
				cfg.Progress = bar.update("configurations")
				rows, err := backtest.Sweep(cfg, grid, f.workers)
				bar.done()
				if err != nil {
					return err
				}
				log.Info().Int("configurations", len(rows)).Dur("took", time.Since(start)).Msg("sweep done")
				if f.json {
					return writeBacktestJSON(cmd.OutOrStdout(), rows)
				}
				printSweep(cmd.OutOrStdout(), rows, f.top)
				return nil
			}
			cfg.Progress = bar.update("days")
			r, err := backtest.Run(cfg)
			bar.done()
			if err != nil {
				return err
			}
			log.Info().Int("days", r.Days).Dur("took", time.Since(start)).Msg("backtest done")
			if !f.noReport {
				if err := writeBacktestReport(f.report, r); err != nil {
					return err
				}
			}
			if f.json {
				return writeBacktestJSON(cmd.OutOrStdout(), r)
			}
			printBacktest(cmd.OutOrStdout(), r)
			if !f.noReport {
				fmt.Fprintf(cmd.OutOrStdout(), "\nreport: %s\n", f.report)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "directory of daily-bar CSV files, one per symbol (IWM.csv, XLK.csv, ^RUT.csv, ...)")
	fl.StringVar(&f.from, "from", "", "first trading day to replay, YYYY-MM-DD (required)")
	fl.StringVar(&f.to, "to", "", "last trading day to replay, YYYY-MM-DD; the data's last bar when empty")
	fl.BoolVar(&f.json, "json", false, "print the result (or the sweep's rows) as JSON on stdout")
	fl.StringVar(&f.report, "report", defaultReport, "where to write the HTML report")
	fl.BoolVar(&f.noReport, "no-report", false, "do not write the HTML report")
	fl.Int64Var(&f.slippage, "slippage-ticks", backtest.DefaultSlippageTicks, "ticks through the mark each market order fills at")
	fl.StringVar(&f.cash, "cash", strconv.Itoa(backtest.DefaultStartingCash), "starting cash of each book, USD")
	fl.IntVar(&f.warmup, "warmup", backtest.DefaultWarmup, "trading days the signal is replayed before --from to settle its regime")
	fl.IntVar(&f.killReset, "kill-switch-reset", backtest.DefaultKillSwitchReset, "trading days after a kill switch trip that an operator resets it; 0 never")
	fl.BoolVar(&f.microcapOptional, "microcap-optional", false, "go on without the micro-cap (IWC) where its data ends, instead of failing")
	fl.BoolVar(&f.sweep, "sweep", false, "run the parameter grid (--lookbacks, --thresholds, --leverages) and print the table")
	fl.StringVar(&f.sortBy, "sort-by", string(backtest.MetricSharpe), "sweep: sort by sharpe, cagr or maxdd (best first)")
	fl.StringVar(&f.lookbacks, "lookbacks", "42,63,84,126", "sweep: relative-strength lookbacks, trading days, comma-separated")
	fl.StringVar(&f.thresholds, "thresholds", "0.6/0.45,0.7/0.5,0.8/0.6", "sweep: enter/exit leadership scores, comma-separated pairs")
	fl.StringVar(&f.leverages, "leverages", "1,2,3", "sweep: leadership leverages, comma-separated")
	fl.IntVar(&f.workers, "workers", 0, "sweep: parallel runs; all cores when 0")
	fl.IntVar(&f.top, "top", 20, "sweep: rows to print (all with --json); 0 prints all")
	return cmd
}

// config builds the backtest's config and grid from the flags and the
// configuration file's sleeve and risk sections.
func (f backtestFlags) config(g *globalFlags) (backtest.Config, backtest.Grid, error) {
	cfg := backtest.DefaultConfig()
	var grid backtest.Grid
	if f.data == "" {
		return cfg, grid, errors.New("--data: give the directory of daily-bar CSV files")
	}
	var err error
	if f.from == "" {
		return cfg, grid, errors.New("--from: give the first trading day to replay (YYYY-MM-DD)")
	}
	if cfg.From, err = time.Parse(time.DateOnly, f.from); err != nil {
		return cfg, grid, fmt.Errorf("--from %q: want YYYY-MM-DD", f.from)
	}
	cfg.To = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) // clamped to the last bar
	if f.to != "" {
		if cfg.To, err = time.Parse(time.DateOnly, f.to); err != nil {
			return cfg, grid, fmt.Errorf("--to %q: want YYYY-MM-DD", f.to)
		}
	}
	if cfg.StartingCash, err = decimal.NewFromString(f.cash); err != nil || !cfg.StartingCash.IsPositive() {
		return cfg, grid, fmt.Errorf("--cash %q: want a positive amount of USD", f.cash)
	}
	if f.slippage < 0 {
		return cfg, grid, fmt.Errorf("--slippage-ticks %d: want 0 or more", f.slippage)
	}
	if f.warmup < 0 {
		return cfg, grid, fmt.Errorf("--warmup %d: want 0 or more", f.warmup)
	}
	if f.killReset < 0 {
		return cfg, grid, fmt.Errorf("--kill-switch-reset %d: want 0 (never) or more", f.killReset)
	}
	cfg.SlippageTicks, cfg.Warmup, cfg.KillSwitchReset = f.slippage, f.warmup, f.killReset
	cfg.Sleeve, cfg.Limits = g.cfg.Sleeve, g.cfg.Risk.limits()
	cfg.Signals.MicrocapOptional = f.microcapOptional
	if !f.sweep {
		return cfg, grid, nil
	}
	if grid.SortBy, err = backtest.ParseMetric(f.sortBy); err != nil {
		return cfg, grid, fmt.Errorf("--sort-by %q: want sharpe, cagr or maxdd", f.sortBy)
	}
	for _, s := range splitBacktestList(f.lookbacks) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cfg, grid, fmt.Errorf("--lookbacks: %q is not a positive whole number of trading days", s)
		}
		grid.Lookbacks = append(grid.Lookbacks, n)
	}
	for _, s := range splitBacktestList(f.thresholds) {
		enter, exit, ok := strings.Cut(s, "/")
		e, err1 := strconv.ParseFloat(enter, 64)
		x, err2 := strconv.ParseFloat(exit, 64)
		if !ok || err1 != nil || err2 != nil {
			return cfg, grid, fmt.Errorf("--thresholds: %q is not ENTER/EXIT (e.g. 0.7/0.5)", s)
		}
		grid.Thresholds = append(grid.Thresholds, backtest.Thresholds{Enter: e, Exit: x})
	}
	for _, s := range splitBacktestList(f.leverages) {
		d, err := decimal.NewFromString(s)
		if err != nil {
			return cfg, grid, fmt.Errorf("--leverages: %q is not a number", s)
		}
		grid.Leverages = append(grid.Leverages, d)
	}
	if f.workers < 0 {
		return cfg, grid, fmt.Errorf("--workers %d: want 0 (all cores) or more", f.workers)
	}
	return cfg, grid, nil
}

func splitBacktestList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func writeBacktestJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeBacktestReport(path string, r backtest.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	if err := backtest.WriteReport(f, r); err != nil {
		f.Close()
		return fmt.Errorf("--report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

func backtestPct(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" }

// printBacktest prints the three books side by side.
func printBacktest(w io.Writer, r backtest.Result) {
	fmt.Fprintf(w, "backtest %s to %s: %d trading days (signal from %s)\n\n", r.From, r.To, r.Days, r.SignalFrom)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "book\tCAGR\tvolatility\tSharpe\tmax drawdown\tturnover/yr\tavg exposure\ttrades\tcommissions\tend NLV\tkill switch trips\t")
	for _, b := range r.Books {
		s := b.Stats
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%.2f\t%.2f\t%d\t%s\t%s\t%d\t\n", b.Name, backtestPct(s.CAGR), backtestPct(s.Volatility), s.Sharpe,
			backtestPct(s.MaxDrawdown), s.Turnover, s.AvgExposure, s.Trades, s.Commissions.StringFixed(2), s.EndNLV.StringFixed(2), s.KillSwitchTrips)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, b := range r.Books {
		s := b.Stats
		dd := "no drawdown"
		if s.MaxDrawdown > 0 {
			rec := "not recovered"
			if s.DrawdownRecovered != "" {
				rec = "recovered " + s.DrawdownRecovered
			}
			dd = fmt.Sprintf("max drawdown %s to %s, %s", s.DrawdownPeak, s.DrawdownTrough, rec)
		}
		fmt.Fprintf(w, "%-13s %s; %s\n", b.Name, b.Description, dd)
	}
}

// printSweep prints the sweep's table, best first.
func printSweep(w io.Writer, rows []backtest.SweepRow, top int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "lookback\tenter\texit\tleverage\tCAGR\tvolatility\tSharpe\tmax drawdown\tturnover/yr\ttrades\tcommissions\t")
	for k, r := range rows {
		if top > 0 && k >= top {
			break
		}
		s := r.Stats
		fmt.Fprintf(tw, "%d\t%g\t%g\t%s\t%s\t%s\t%.2f\t%s\t%.2f\t%d\t%s\t\n", r.Lookback, r.EnterLeadership, r.ExitLeadership, r.Leverage,
			backtestPct(s.CAGR), backtestPct(s.Volatility), s.Sharpe, backtestPct(s.MaxDrawdown), s.Turnover, s.Trades, s.Commissions.StringFixed(2))
	}
	tw.Flush()
	if top > 0 && len(rows) > top {
		fmt.Fprintf(w, "(%d of %d configurations; --top 0 for all)\n", top, len(rows))
	}
}

// backtestProgress draws a bar on a terminal; on anything else it draws nothing.
type backtestProgress struct {
	w    io.Writer
	on   bool
	last int
}

func newBacktestProgress(w io.Writer) *backtestProgress {
	f, ok := w.(*os.File)
	return &backtestProgress{w: w, on: ok && isatty.IsTerminal(f.Fd()), last: -1}
}

// update returns the progress callback, redrawing at each whole percent.
func (p *backtestProgress) update(unit string) func(done, total int) {
	if !p.on {
		return nil
	}
	return func(done, total int) {
		pc := done * 100 / max(total, 1)
		if pc == p.last {
			return
		}
		p.last = pc
		const width = 40
		n := pc * width / 100
		fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d %s", strings.Repeat("#", n), strings.Repeat(" ", width-n), pc, done, total, unit)
	}
}

func (p *backtestProgress) done() {
	if p.on && p.last >= 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
