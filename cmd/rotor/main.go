// Command rotor trades a leveraged futures book toward market leadership on
// an Interactive Brokers paper account. It is one binary with subcommands;
// it is the only place that reads flags and environment and wires the
// parts together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/scmhub/ibapi"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal asks for a clean stop; once it has, the default
	// handling is back, so a second Ctrl-C exits at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	if err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "rotor:", err)
		os.Exit(1)
	}
}

// globalFlags are the flags every subcommand has.
type globalFlags struct {
	logLevel   string
	logJSON    bool
	configPath string
	// cfg is the configuration file with the environment applied (the
	// defaults when there is no file), loaded before every command runs.
	cfg fileConfig
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := globalFlags{cfg: defaultFileConfig()}
	root := &cobra.Command{
		Use:   "rotor",
		Short: "Rotate a leveraged futures book toward small-cap leadership, on an IB paper account",
		Long: `rotor watches for small-cap leadership (the Russell 2000 beating every S&P 500
sector over three months, micro-caps thrusting off their lows), sizes Russell 2000
and sector futures positions, applies risk limits and routes the orders to an
Interactive Brokers paper account through the TWS API. It refuses to route to an
account that is not a paper (DU...) account.

Start with:
  rotor demo           the whole system on embedded defaults, over simulated trading days
  rotor up             the signal worker and the portfolio service in one process, against TWS
  rotor ibsim          run the built-in paper broker as a standalone TWS API server
  rotor signals        compute the leadership signal for a day; print or publish it
  rotor signal-worker  publish every trading day's leadership event after the close
  rotor portfolio      consume the events: size, check risk, record, route (dry run by default)
  rotor backtest       replay history through the same signal, sizing and risk code
  rotor plan           preview the orders for the latest event against the live account
  rotor risk           the kill switch, the day's marks and blocked instruments
  rotor config         write a commented configuration file, check one
  rotor audit          review the audit log: list, show an event's story, export, verify, serve
  rotor report         write the audit log's pages and charts as one self-contained HTML file`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.loadConfig(cmd)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: trace, debug, info, warn, error")
	root.PersistentFlags().BoolVar(&g.logJSON, "log-json", false, "log JSON lines even on a terminal (JSON is the default when stderr is not a terminal)")
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "configuration file (YAML; 'rotor config init' writes one); default $ROTOR_CONFIG")
	root.AddCommand(newIBSimCmd(&g), newDemoCmd(&g), newSignalsCmd(&g), newSignalWorkerCmd(&g))
	root.AddCommand(newRiskCmd(&g), newAuditCmd(&g), newReportCmd(&g))
	root.AddCommand(newPortfolioCmd(&g), newPlanCmd(&g), newUpCmd(&g), newConfigCmd(&g), newBacktestCmd(&g))
	return root
}

// loadConfig reads the configuration file (--config, else $ROTOR_CONFIG)
// and the ROTOR_* environment, and gives the command's flags that were not
// set on the command line their configured values.
func (g *globalFlags) loadConfig(cmd *cobra.Command) error {
	path := g.configPath
	if path == "" {
		path = os.Getenv("ROTOR_CONFIG")
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	set, err := setKeys(path, os.LookupEnv)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := cfg.applyToFlags(cmd, set); err != nil {
		return err
	}
	g.cfg = cfg
	return nil
}

// logger builds the root logger: readable console output on a terminal,
// JSON lines otherwise.
func (g *globalFlags) logger(w io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(g.logLevel)
	if err != nil || g.logLevel == "" {
		return zerolog.Nop(), fmt.Errorf("--log-level %q: want trace, debug, info, warn or error", g.logLevel)
	}
	out := w
	if f, ok := w.(*os.File); ok && !g.logJSON && isatty.IsTerminal(f.Fd()) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	log := zerolog.New(out).Level(lvl).With().Timestamp().Logger()
	// ibapi's init sets zerolog's global level to info, which would cap our
	// own --log-level; levels are per logger here. ibapi gets a child at
	// warn or above. Not a Nop logger: ibapi signals malformed messages by
	// log.Panic, which a disabled logger would swallow, and broker/ib's
	// frame guard relies on that panic to reject them.
	// ibapi's logger is a package global that its goroutines read without
	// a lock, so it is set once per process.
	zerolog.SetGlobalLevel(zerolog.TraceLevel)
	ibapiLogger.Do(func() {
		ibapi.SetLogger(log.With().Str("component", "ibapi").Logger().Level(max(lvl, zerolog.WarnLevel)))
	})
	return log, nil
}

var ibapiLogger sync.Once

// interrupted reports whether err is the user stopping the command.
func interrupted(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && ctx.Err() != nil
}
