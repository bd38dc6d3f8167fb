package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// Worker computes and publishes the leadership event of every NYSE trading
// day (see the package documentation). New → Open → Close; Status may be
// called at any time, from any goroutine.
type Worker struct {
	cfg    Config
	cfgErr error
	sched  schedule
	log    zerolog.Logger

	// Set by Open; cancel and wg stop and wait for the loop.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// Owned by Open, then by the loop goroutine alone.
	prev    *signals.State // after the last published day; nil: cold start
	pending *pending       // computed, not yet acknowledged

	mu     sync.Mutex
	opened bool
	status Status
}

// pending is a signed event not yet acknowledged on every subject it goes
// to. It is published again, byte for byte, before anything newer: the
// bars could change meanwhile (a vendor correction), and a recomputed event
// with another id would double a day the first copy may already hold.
type pending struct {
	ev         signals.Event
	data       []byte
	changeDone bool
}

// Status is what a worker is doing, for operators.
type Status struct {
	// LastAsOf is the as_of of the newest event published, or found on the
	// stream at Open; "" before any. LastID, Regime and Score are that
	// event's.
	LastAsOf string
	LastID   string
	Regime   signals.Regime
	Score    float64
	// Published counts the events this worker had acknowledged on the daily
	// subject since Open, duplicates included.
	Published int
	// Pending is the as_of of an event computed but not acknowledged yet.
	Pending string
	// NextRun is when the worker runs next: the next trading day's
	// close+Delay, or an earlier retry after a failure.
	NextRun time.Time
	// Err is the last run's error, nil once a run succeeds; ErrAt is when
	// it failed.
	Err   error
	ErrAt time.Time
}

// New returns a worker for cfg, with the zero fields of cfg filled with
// their defaults. Open checks cfg.
func New(cfg Config) *Worker {
	cfg, err := cfg.withDefaults()
	return &Worker{cfg: cfg, cfgErr: err, log: cfg.Logger,
		sched: schedule{loc: cfg.Location, close: cfg.CloseTime, delay: cfg.Delay}}
}

// Open checks the configuration, reads the resume point (the newest event
// on the daily subject: a cold start when there is none) and starts the
// worker's goroutine, which catches up and then runs after every close
// until Close. ctx bounds the resume read only. Open fails when the last
// event cannot be read (NATS does not answer) or is not a valid event
// (ErrBadResumePoint).
func (w *Worker) Open(ctx context.Context) error {
	if w.cfgErr != nil {
		return w.cfgErr
	}
	w.mu.Lock()
	if w.opened {
		w.mu.Unlock()
		return errors.New("worker: Open called twice")
	}
	w.opened = true
	w.mu.Unlock()

	if err := w.resume(ctx); err != nil {
		return err
	}
	pub, _ := w.cfg.Signer.PublicKey()
	w.log.Info().Str("signer", pub).Str("close", w.sched.formatClock()).Str("delay", w.cfg.Delay.String()).
		Int("max_catch_up", w.cfg.MaxCatchUp).Msg("signal worker started")

	w.mu.Lock()
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.loop(w.ctx)
	}()
	return nil
}

// Close stops the worker and waits until its goroutine has returned. A
// publish in flight is abandoned; the next worker to start recomputes the
// day from the last event on the stream, which gives the same id (and so
// no duplicate) unless the day's bars were corrected in between. Close is
// safe to call more than once, and without Open.
func (w *Worker) Close() error {
	w.mu.Lock()
	cancel := w.cancel
	w.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	w.wg.Wait()
	return nil
}

// Status returns a snapshot of what the worker is doing.
func (w *Worker) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// resume sets the chain's starting point from the newest published event.
func (w *Worker) resume(ctx context.Context) error {
	data, err := w.last(ctx)
	if errors.Is(err, jetstream.ErrNotFound) {
		w.log.Info().Int("max_catch_up", w.cfg.MaxCatchUp).Msg("no event published yet: cold start")
		return nil
	}
	if err != nil {
		return fmt.Errorf("worker: read the last published event: %w", err)
	}
	ev, err := signals.UnmarshalEvent(data)
	if err != nil {
		return fmt.Errorf("%w: %w — inspect the stream's last message on %s; the worker does not guess where the chain of days stands",
			ErrBadResumePoint, err, DailySubject)
	}
	st := ev.State()
	w.prev = &st
	w.mu.Lock()
	w.status.LastAsOf, w.status.LastID, w.status.Regime, w.status.Score = ev.AsOf, ev.ID, ev.Regime, ev.Score
	w.mu.Unlock()
	l := w.log.Info()
	if !sameConfig(ev.Inputs.Config, w.cfg.Signals) {
		// Legitimate after a deliberate change; the events from here on
		// carry the new configuration and ids.
		l = w.log.Warn().Bool("config_changed", true)
	}
	l.Str("as_of", ev.AsOf).Str("id", ev.ID).Str("regime", string(ev.Regime)).Msg("resuming after the last published event")
	return nil
}

// last reads the resume point, retrying for up to ResumeWait while
// JetStream does not answer: a worker started while its cluster elects a
// leader waits for the election rather than failing.
func (w *Worker) last(ctx context.Context) ([]byte, error) {
	deadline := time.Now().Add(w.cfg.ResumeWait)
	pause := 50 * time.Millisecond
	for {
		data, err := w.cfg.Last(ctx)
		if !errors.Is(err, jetstream.ErrUnreachable) || !time.Now().Add(pause).Before(deadline) {
			return data, err
		}
		w.log.Warn().Err(err).Dur("retry_in", pause).Msg("reading the last published event; JetStream did not answer")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// loop runs, then sleeps until the next run, until ctx ends.
func (w *Worker) loop(ctx context.Context) {
	for {
		err := w.run(ctx)
		if ctx.Err() != nil {
			return
		}
		now := w.cfg.Now()
		_, next := w.sched.next(now)
		if err != nil {
			w.logFailure(err)
			if retry := now.Add(w.cfg.RetryEvery); retry.Before(next) {
				next = retry
			}
		}
		w.mu.Lock()
		w.status.NextRun = next
		if err != nil {
			w.status.Err, w.status.ErrAt = err, now
		} else {
			w.status.Err, w.status.ErrAt = nil, time.Time{}
		}
		w.mu.Unlock()
		w.log.Info().Time("next_run", next).Msgf("next run %s", w.sched.formatRun(next))
		select {
		case <-ctx.Done():
			return
		case <-w.cfg.After(next.Sub(now)):
		}
	}
}

// logFailure says what went wrong and what happens next, loudly for what
// needs a person.
func (w *Worker) logFailure(err error) {
	var csvErr *marketdata.CSVError
	var dataErr *signals.DataError
	switch {
	case errors.Is(err, ErrDataLate):
		w.log.Warn().Err(err).Str("retry_every", w.cfg.RetryEvery.String()).Msg("the day's bars are not in yet; waiting for them")
	case errors.Is(err, jetstream.ErrUnreachable):
		w.log.Error().Err(err).Str("retry_every", w.cfg.RetryEvery.String()).
			Msg("NATS unreachable: the event is kept and published again, with the same id, on the next try")
	case errors.As(err, &csvErr):
		w.log.Error().Err(err).Str("file", csvErr.File).Int("line", csvErr.Line).Str("retry_every", w.cfg.RetryEvery.String()).
			Msg("BAD MARKET DATA FILE: nothing is published until it is fixed")
	case errors.As(err, &dataErr), errors.Is(err, ErrBadData):
		w.log.Error().Err(err).Str("retry_every", w.cfg.RetryEvery.String()).
			Msg("BAD MARKET DATA: nothing is published until it is fixed")
	default:
		w.log.Error().Err(err).Str("retry_every", w.cfg.RetryEvery.String()).Msg("run failed; retrying")
	}
}

// sameConfig reports whether a published event's configuration (sectors
// sorted) is c.
func sameConfig(published, c signals.Config) bool {
	c.Sectors = slices.Sorted(slices.Values(c.Sectors))
	a, err1 := json.Marshal(published)
	b, err2 := json.Marshal(c)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}
