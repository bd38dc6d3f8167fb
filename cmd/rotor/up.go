package main

import (
	"context"
	"io"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/signals/worker"
)

type upFlags struct {
	portfolioFlags
	data, keyFile     string
	delay, retryEvery time.Duration
	maxCatchUp        int
}

func newUpCmd(g *globalFlags) *cobra.Command {
	var f upFlags
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the whole deployment in one process: the signal worker and the portfolio service, against TWS",
		Long: `up is rotor's real deployment on one machine, in one process:

  - NATS with JetStream, embedded (its store in --data-dir) unless --nats-url points
    at a deployment;
  - the signal worker ('rotor signal-worker'), computing each trading day's event after
    the close from --data CSV files, or from TWS's history when --data is not given;
  - the portfolio service ('rotor portfolio') for the account, against TWS or IB
    Gateway at --ib. Dry run by default; --mode paper routes to the paper account.

The service trusts the worker's own key (<data-dir>/signer.nk, created on first run)
and any --trust keys. Stop it with Ctrl-C or SIGTERM: it stops taking events, lets the
one in hand finish, drains NATS and closes the audit log; a second Ctrl-C exits at once.

To run the two services on separate machines, use 'rotor signal-worker' and
'rotor portfolio' against a shared NATS instead.

Examples:
  rotor up --ib 127.0.0.1:7497                          # TWS paper, dry run, history from TWS
  rotor up --ib 127.0.0.1:4002 --mode paper --data ./bars`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runUp(cmd.Context(), cmd.ErrOrStderr(), log, f, worker.Config{}, g.serviceBase())
		},
	}
	f.register(cmd, g, 11)
	fl := cmd.Flags()
	fl.StringVar(&f.mode, "mode", string(service.DryRun), "dry_run (decide and record, route nothing) or paper (route to the paper account)")
	fl.StringVar(&f.data, "data", "", "directory of daily-bar CSV files for the signal; default: history from TWS at --ib")
	fl.StringVar(&f.keyFile, "key", "", "nkey seed file the worker signs with; default <data-dir>/signer.nk, created if missing")
	fl.DurationVar(&f.delay, "delay", worker.DefaultDelay, "how long after the 16:00 close to compute the day")
	fl.DurationVar(&f.retryEvery, "retry-every", worker.DefaultRetryEvery, "pause before retrying a day whose bars are late or bad")
	fl.IntVar(&f.maxCatchUp, "max-catch-up", worker.DefaultMaxCatchUp, "trading days published on a cold start, warming up the regime")
	return cmd
}

// runUp runs the worker and the service on one NATS session until ctx ends.
// The bases carry settings the flags do not (tests set clocks there).
func runUp(ctx context.Context, stderr io.Writer, log zerolog.Logger, f upFlags, wbase worker.Config, sbase service.Config) error {
	wf := signalWorkerFlags{src: barSource{data: f.data, clientID: f.clientID + 10}, dataDir: f.dataDir, keyFile: f.keyFile,
		delay: f.delay, retryEvery: f.retryEvery, maxCatchUp: f.maxCatchUp, nats: f.nats}
	if f.data == "" {
		wf.src.ibAddr = f.ibAddr
	}
	if err := wf.check(); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	kp, pub, err := loadSigner(f.keyFile, f.dataDir, log)
	if err != nil {
		return err
	}
	trusted := append([]string{pub}, f.trust...)
	sess, err := openNATS(ctx, log, f.nats, f.dataDir, "rotor up")
	if err != nil {
		return err
	}
	defer closeNATS(sess, log)
	s, stop, err := startPortfolio(ctx, log, f.portfolioFlags, sbase, trusted, func(string) (*natsSession, error) { return sess, nil })
	if err != nil {
		return err
	}
	defer stop()
	w, err := startWorker(ctx, stderr, log, wf, wbase, sess, kp, pub)
	if err != nil {
		_ = s.Close(30 * time.Second)
		return err
	}
	<-ctx.Done()
	log.Info().Msg("stopping: the worker, then the service (finishing the event in hand)")
	stopWorker(w, log)
	return s.Close(30 * time.Second)
}
