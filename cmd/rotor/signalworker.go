package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/rotor-trading/rotor/signals/worker"
)

type signalWorkerFlags struct {
	src               barSource
	dataDir, keyFile  string
	delay, retryEvery time.Duration
	maxCatchUp        int
	nats              natsFlags
}

func newSignalWorkerCmd(g *globalFlags) *cobra.Command {
	var f signalWorkerFlags
	cmd := &cobra.Command{
		Use:   "signal-worker",
		Short: "Run the signal worker: publish every trading day's leadership event after the close",
		Long: `signal-worker runs as a service. After every NYSE close (16:00 New York time, plus
--delay for the data vendor to deliver the day's bars) it computes that day's small-cap
leadership event, the same event 'rotor signals' prints, signs it with the worker's
nkey and publishes it to the JetStream stream ROTOR_SIGNALS:

  rotor.signals.leadership          every trading day's event (the portfolio service
                                    and the audit log read this one)
  rotor.signals.leadership.change   the same event again when the regime changed,
                                    for consumers that act only on changes

When it runs. Only on NYSE trading days: weekends, holidays (Thanksgiving, Good
Friday, ...) and known closures never produce an event; daylight saving time is
handled (the close is 16:00 New York time all year). Early closes (13:00) are run at
the regular time. The log says when the next run is ("next run 2026-11-24 16:30 EST").

Catching up. At start it reads the last event on the stream and publishes every
trading day since, in order, so a worker that was down misses nothing; with an
empty stream it starts cold --max-catch-up trading days back, which also settles the
regime's hysteresis. Each day continues from the previous day's published state:
a restart gives exactly the events an uninterrupted run would.

Failures. Bars not in yet for the day, or a data file that fails validation (the
log names the file and line), are retried every --retry-every; nothing is computed
from partial data. If NATS does not answer, the event is kept and published again
later. Nothing is ever skipped.

Publish once. Each event's id is deterministic and is its JetStream message id, and
the stream drops a repeated id for two days: restarts and retries never double a day.

Deploying several workers. For availability run two or more workers, on different
machines, against the same NATS (a JetStream cluster with replicated streams), with
the same data source and the same signing key (copy --key). They form a queue group
in effect: each computes the same chain of events, the first copy of every day is
stored and the others are dropped as duplicates. Point them at the deployment with
--nats-url (and --nats-creds / --nats-nkey, --nats-ca for TLS). Without --nats-url the
worker runs an embedded NATS server with its store in --data-dir, for one machine.

It runs until interrupted (Ctrl-C, SIGTERM), then drains NATS and stops cleanly.

Examples:
  rotor signal-worker --data ./marketdata
  rotor signal-worker --ib 127.0.0.1:4002 --delay 45m
  rotor signal-worker --data /srv/bars --key /etc/rotor/signer.nk \
      --nats-url nats://n1:4222,nats://n2:4222 --nats-creds /etc/rotor/worker.creds`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runSignalWorker(cmd.Context(), cmd.ErrOrStderr(), log, f, worker.Config{})
		},
	}
	f.src.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "rotor-data", "rotor's data directory (embedded NATS store, the worker's key)")
	fl.StringVar(&f.keyFile, "key", "", "nkey seed file the worker signs with; default <data-dir>/signer.nk, created if missing")
	fl.DurationVar(&f.delay, "delay", worker.DefaultDelay, "how long after the 16:00 close to compute the day (the data vendor's delay)")
	fl.DurationVar(&f.retryEvery, "retry-every", worker.DefaultRetryEvery, "pause before retrying a day whose bars are late or bad, or whose publish failed")
	fl.IntVar(&f.maxCatchUp, "max-catch-up", worker.DefaultMaxCatchUp, "trading days published on a cold start (an empty stream), warming up the regime")
	f.nats.register(cmd, g)
	return cmd
}

// runSignalWorker runs the worker until ctx ends. base carries settings the
// flags do not (tests set the clock there); the flags fill the rest.
func runSignalWorker(ctx context.Context, stderr io.Writer, log zerolog.Logger, f signalWorkerFlags, base worker.Config) error {
	if err := f.check(); err != nil {
		return err
	}
	kp, pub, err := loadSigner(f.keyFile, f.dataDir, log)
	if err != nil {
		return err
	}
	sess, err := openNATS(ctx, log, f.nats, f.dataDir, "rotor signal-worker")
	if err != nil {
		return err
	}
	defer closeNATS(sess, log)
	w, err := startWorker(ctx, stderr, log, f, base, sess, kp, pub)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stopWorker(w, log)
	return nil
}

// check validates the flags that are not checked elsewhere.
func (f signalWorkerFlags) check() error {
	if err := f.src.check(); err != nil {
		return err
	}
	switch {
	case f.delay <= 0 || f.delay > worker.MaxDelay:
		return fmt.Errorf("--delay %s: want more than 0 and at most %s", f.delay, worker.MaxDelay)
	case f.retryEvery <= 0:
		return fmt.Errorf("--retry-every %s: want more than 0", f.retryEvery)
	case f.maxCatchUp < 1:
		return fmt.Errorf("--max-catch-up %d: want at least 1", f.maxCatchUp)
	}
	return nil
}

// startWorker starts a signal worker publishing through sess, signing with
// kp (whose public key is pub).
func startWorker(ctx context.Context, stderr io.Writer, log zerolog.Logger, f signalWorkerFlags, base worker.Config,
	sess *natsSession, kp nkeys.KeyPair, pub string) (*worker.Worker, error) {
	cfg := base
	cfg.Signals = signals.DefaultConfig()
	cfg.Load = func(ctx context.Context) (map[string]marketdata.Series, error) {
		return f.src.load(ctx, stderr, log, cfg.Signals, time.Time{}, f.maxCatchUp)
	}
	cfg.Publisher = sess.pub
	cfg.Last = worker.LastFromStream(sess.js, "")
	cfg.Signer = kp
	cfg.Delay, cfg.RetryEvery, cfg.MaxCatchUp = f.delay, f.retryEvery, f.maxCatchUp
	cfg.Logger = log.With().Str("component", "signal-worker").Logger()
	w := worker.New(cfg)
	log.Info().Str("public_key", pub).Msg("signal worker signs with this public key; trust it in the portfolio service")
	if err := w.Open(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

func stopWorker(w *worker.Worker, log zerolog.Logger) {
	w.Close()
	st := w.Status()
	log.Info().Str("last_as_of", st.LastAsOf).Int("published", st.Published).Msg("signal worker stopped")
}
