package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
)

// serviceFlags are what the portfolio service and its previews need: the
// broker, the account, the audit log and the keys of the trusted workers.
type serviceFlags struct {
	dataDir, auditPath string
	ibAddr             string
	clientID           int64
	account            string
	trust              []string
	metricsAddr        string
	nats               natsFlags
	// ib is the configuration file's ib section (filled in before the
	// command runs).
	ib *ibConfig
}

func (f *serviceFlags) register(cmd *cobra.Command, g *globalFlags, clientID int64) {
	f.ib = &g.cfg.IB
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "rotor-data", "rotor's data directory (embedded NATS store, audit log, the worker's key)")
	fl.StringVar(&f.auditPath, "audit", "", "the audit log (SQLite); default <data-dir>/audit.db")
	fl.StringVar(&f.ibAddr, "ib", "127.0.0.1:7497", "TWS or IB Gateway host:port (paper: 7497 TWS, 4002 Gateway), or 'rotor ibsim'")
	fl.Int64Var(&f.clientID, "client-id", clientID, "TWS API client id; one per connected program")
	fl.StringVar(&f.account, "account", "", "the IB account; empty takes the first one TWS manages (must be a paper DU... account to route)")
	fl.StringArrayVar(&f.trust, "trust", nil, "public nkey (U...) of a signal worker whose events are trusted; repeatable; default the key in <data-dir>/signer.nk")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this host:port at /metrics (e.g. 127.0.0.1:9464); empty: off")
	f.nats.register(cmd, g)
}

func (f *serviceFlags) audit() string {
	if f.auditPath != "" {
		return f.auditPath
	}
	return filepath.Join(f.dataDir, "audit.db")
}

// trusted returns the workers' public keys: --trust, or the key of the
// worker that shares the data directory.
func (f *serviceFlags) trusted() ([]string, error) {
	for _, k := range f.trust {
		if !nkeys.IsValidPublicUserKey(k) {
			return nil, fmt.Errorf("--trust %q is not a public user nkey (it starts with U and is 56 characters; the signal worker logs its public_key)", k)
		}
	}
	if len(f.trust) > 0 {
		return f.trust, nil
	}
	path := filepath.Join(f.dataDir, "signer.nk")
	seed, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("no trusted signal worker: pass --trust U... (the worker logs its public key), or run the worker with the same --data-dir (%s: %w)", path, err)
	}
	_, pub, err := parseSigner(path, seed)
	if err != nil {
		return nil, err
	}
	return []string{pub}, nil
}

// openBroker connects to TWS (or the paper broker) and returns the client
// and the account it trades.
func (f *serviceFlags) openBroker(ctx context.Context, log zerolog.Logger) (*ib.Client, string, error) {
	c := ib.New(ib.Config{Addr: f.ibAddr, ClientID: f.clientID, Account: f.account, AccountMaxAge: f.ib.AccountMaxAge, Logger: log})
	if err := c.Open(ctx); err != nil {
		return nil, "", fmt.Errorf("connect to TWS at %s (is TWS or IB Gateway running with the API enabled on that port? 'rotor ibsim' serves a paper broker): %w", f.ibAddr, err)
	}
	return c, c.AccountID(), nil
}

func openAudit(ctx context.Context, path string) (*audit.Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	return audit.Open(ctx, path, audit.Options{})
}

type portfolioFlags struct {
	serviceFlags
	mode string
}

func newPortfolioCmd(g *globalFlags) *cobra.Command {
	var f portfolioFlags
	cmd := &cobra.Command{
		Use:   "portfolio",
		Short: "Run the portfolio service: consume leadership events, size, check risk, record, route",
		Long: `portfolio runs the portfolio service for one account. For every leadership event
on rotor.signals.leadership it

  1. verifies the event (schema, numbers, the signal worker's signature, symbols,
     as_of neither in the future nor older than 36h) or records why not and drops it;
  2. sizes the small-cap sleeve from the regime (RTY and M2K, volatility targeted, a
     drift band so small differences do not trade, rolls near expiry);
  3. asks the risk limits what may go out (leverage, margin, per-order and
     per-instrument caps, the trading window, losses and the kill switch);
  4. writes the decision and every order it will send to the audit log, fsync'd,
     before anything is sent;
  5. in --mode paper routes the orders to the IB paper account and records what the
     broker does with them. In --mode dry_run (the default) it stops after step 4.

It reads a durable JetStream consumer named rotor-portfolio-<account>: an event is
acknowledged only once its outcome is on disk, and an event seen before is never
planned twice. On start and after every reconnection to TWS it reconciles the log
with the broker; a position that differs from what the log expects blocks trading
in that instrument until 'rotor risk ack'. A tripped kill switch holds until
'rotor risk reset'.

Routing is refused unless the account is an IB paper account (DU...).

Examples:
  rotor portfolio --ib 127.0.0.1:7497                      # dry run against TWS paper
  rotor portfolio --ib 127.0.0.1:7497 --mode paper         # route to the paper account
  rotor portfolio --ib 127.0.0.1:4002 --mode paper --account DU1234567 \
      --nats-url nats://n1:4222 --trust UD3X...             # with a shared NATS`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runPortfolio(cmd.Context(), log, f, g.serviceBase())
		},
	}
	f.register(cmd, g, 11)
	cmd.Flags().StringVar(&f.mode, "mode", string(service.DryRun), "dry_run (decide and record, route nothing) or paper (route to the paper account)")
	return cmd
}

// runPortfolio runs the service until ctx ends. base carries settings the
// flags do not (tests set the clock there).
func runPortfolio(ctx context.Context, log zerolog.Logger, f portfolioFlags, base service.Config) error {
	if err := f.check(); err != nil {
		return err
	}
	trusted, err := f.trusted()
	if err != nil {
		return err
	}
	// NATS is named after the account, which only TWS may know: connect
	// to the broker first (startPortfolio does), then NATS.
	var sess *natsSession
	defer func() { closeNATS(sess, log) }()
	s, stop, err := startPortfolio(ctx, log, f, base, trusted, func(account string) (*natsSession, error) {
		var err error
		sess, err = openNATS(ctx, log, f.nats, f.dataDir, "rotor portfolio "+account)
		return sess, err
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info().Msg("stopping: finishing the event in hand")
	err = s.Close(30 * time.Second)
	stop()
	return err
}

// check validates the mode and, in paper mode, a given account.
func (f portfolioFlags) check() error {
	mode := service.Mode(f.mode)
	if mode != service.DryRun && mode != service.Paper {
		return fmt.Errorf("--mode %q: want dry_run or paper", f.mode)
	}
	if mode == service.Paper && f.account != "" && !broker.IsPaper(f.account) {
		return fmt.Errorf("--account %s is not an IB paper account (DU...): rotor routes to paper accounts only", f.account)
	}
	return nil
}

// startPortfolio opens the audit log and the broker, gets NATS from nats
// (given the account), and starts the service. stop closes the broker and
// the log after the service is closed.
func startPortfolio(ctx context.Context, log zerolog.Logger, f portfolioFlags, base service.Config, trusted []string,
	nats func(account string) (*natsSession, error)) (*service.Service, func(), error) {
	l, err := openAudit(ctx, f.audit())
	if err != nil {
		return nil, nil, err
	}
	b, account, err := f.openBroker(ctx, log)
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	stop := func() { b.Close(); l.Close() }
	sess, err := nats(account)
	if err != nil {
		stop()
		return nil, nil, err
	}
	cfg := base
	cfg.Account, cfg.Mode, cfg.Broker, cfg.Log, cfg.JetStream = account, service.Mode(f.mode), b, l, sess.js
	cfg.Admit.Trusted = trusted
	cfg.Logger = log
	if f.metricsAddr != "" {
		reg := prometheus.NewRegistry()
		cfg.Metrics = service.NewMetrics(reg)
		ms, err := serveMetrics(ctx, f.metricsAddr, reg, log)
		if err != nil {
			stop()
			return nil, nil, err
		}
		closeStores := stop
		stop = func() { ms.Close(); closeStores() }
	}
	s, err := service.New(cfg)
	if err == nil {
		err = s.Open(ctx)
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	return s, stop, nil
}
