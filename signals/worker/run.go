package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// run brings the stream up to the latest trading day that is due: the
// pending event first, then every missed day in order. It stops at the
// first failure; everything before it is published, nothing after it is
// computed.
func (w *Worker) run(ctx context.Context) error {
	target := w.sched.latest(w.cfg.Now())
	if w.pending != nil {
		if err := w.publishPending(ctx); err != nil {
			return err
		}
	}
	if w.prev != nil && w.prev.AsOf >= target.Format(time.DateOnly) {
		return nil
	}
	series, err := w.cfg.Load(ctx)
	if err != nil {
		return fmt.Errorf("worker: load bars: %w", err)
	}
	ready, laggard := readyThrough(series, w.cfg.Signals)
	if w.prev == nil {
		if err := w.coldStart(ctx, series, daysBack(target, w.cfg.MaxCatchUp), ready, laggard); err != nil || w.prev == nil {
			return err
		}
	}
	from, err := time.Parse(time.DateOnly, w.prev.AsOf)
	if err != nil {
		return fmt.Errorf("worker: state after %q: %w", w.prev.AsOf, err)
	}
	for _, day := range marketdata.TradingDays(from.AddDate(0, 0, 1), target) {
		if day.After(ready) {
			return lateError(day, laggard)
		}
		ev, err := w.evaluate(series, day)
		if err != nil {
			return err
		}
		if err := w.publish(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// coldStart publishes days (the MaxCatchUp trading days up to the latest
// due one) from a cold regime state, as far as the bars go. It replays them
// with one alignment (signals.Replay) rather than one per day: on a clean
// history the two give the same events, which the tests check.
func (w *Worker) coldStart(ctx context.Context, series map[string]marketdata.Series, days []time.Time, ready time.Time, laggard marketdata.Series) error {
	to := days[len(days)-1]
	if ready.Before(to) {
		to = ready
	}
	if to.Before(days[0]) {
		return lateError(days[0], laggard)
	}
	w.log.Info().Str("from", days[0].Format(time.DateOnly)).Str("to", to.Format(time.DateOnly)).Int("days", len(days)).Msg("cold start: replaying to warm up the regime")
	events, replayErr := signals.Replay(series, w.cfg.Signals, days[0], to)
	for i, ev := range events {
		if i >= len(days) || ev.AsOf != days[i].Format(time.DateOnly) {
			want := "no more trading days"
			if i < len(days) {
				want = days[i].Format(time.DateOnly)
			}
			return fmt.Errorf("%w: the benchmark %s's calendar differs from the NYSE's: its bar %s comes where the NYSE calendar has %s",
				ErrBadData, w.cfg.Signals.Benchmark, ev.AsOf, want)
		}
		if err := w.publish(ctx, ev); err != nil {
			return err
		}
	}
	if replayErr != nil {
		return fmt.Errorf("worker: cold start from %s (%d trading days back; lower the catch-up or add history if it is too short): %w",
			days[0].Format(time.DateOnly), len(days), replayErr)
	}
	return nil // run goes on from the last day published, day by day
}

// evaluate computes day's event from the state after the previous
// trading day.
func (w *Worker) evaluate(series map[string]marketdata.Series, day time.Time) (signals.Event, error) {
	cfg := w.cfg.Signals
	p, err := signals.Align(series, cfg, day)
	if err != nil {
		return signals.Event{}, fmt.Errorf("worker: %s: %w", day.Format(time.DateOnly), err)
	}
	if got := p.AsOf(); !got.Equal(day) {
		return signals.Event{}, fmt.Errorf("%w: the benchmark %s has no bar on %s, an NYSE trading day (its last bar before is %s)",
			ErrBadData, cfg.Benchmark, day.Format(time.DateOnly), got.Format(time.DateOnly))
	}
	ev, _, err := signals.Evaluate(p, cfg, w.prev)
	if err != nil {
		return signals.Event{}, fmt.Errorf("worker: %s: %w", day.Format(time.DateOnly), err)
	}
	return ev, nil
}

// readyThrough is the last day every configured symbol has a bar for (the
// minimum of their last bars) and the symbol that sets it. A day after it
// is not computed: a symbol without its bar would be filled with the
// previous close, and the day's event would change, id and all, once the
// bar arrived. Symbols missing from the data are left to signals, which
// names them.
func readyThrough(series map[string]marketdata.Series, cfg signals.Config) (time.Time, marketdata.Series) {
	ready := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	var laggard marketdata.Series
	for _, sym := range append([]string{cfg.Benchmark, cfg.Microcap}, cfg.Sectors...) {
		s, ok := series[sym]
		if !ok || len(s.Bars) == 0 {
			continue
		}
		if last := s.Last().Date; last.Before(ready) {
			ready, laggard = last, s
		}
	}
	return ready, laggard
}

// lateError says which symbol holds day up.
func lateError(day time.Time, laggard marketdata.Series) error {
	return fmt.Errorf("%w: %s: %s's last bar is %s", ErrDataLate, day.Format(time.DateOnly),
		laggard.Symbol, laggard.Last().Date.Format(time.DateOnly))
}

// publish signs ev and publishes it (see publishPending).
func (w *Worker) publish(ctx context.Context, ev signals.Event) error {
	if err := signals.Sign(&ev, w.cfg.Signer); err != nil {
		return fmt.Errorf("worker: sign the event of %s: %w", ev.AsOf, err)
	}
	data, err := signals.MarshalEvent(ev)
	if err != nil {
		return fmt.Errorf("worker: encode the event of %s: %w", ev.AsOf, err)
	}
	w.pending = &pending{ev: ev, data: data}
	return w.publishPending(ctx)
}

// publishPending publishes the pending event: to the change subject first
// when its regime changed, then to the daily subject. In that order, the
// daily message, which is the resume point, exists only once the change
// message does: a worker stopped in between republishes both.
func (w *Worker) publishPending(ctx context.Context) error {
	p := w.pending
	ev := p.ev
	w.mu.Lock()
	w.status.Pending = ev.AsOf
	w.mu.Unlock()
	hdr := map[string]string{"Rotor-Schema": ev.Schema, "Rotor-As-Of": ev.AsOf, "Rotor-Regime": string(ev.Regime)}
	if ev.RegimeChanged && !p.changeDone {
		res, err := w.cfg.Publisher.Publish(ctx, ChangeSubject, ev.ID+"-change", p.data, hdr)
		if err != nil {
			return fmt.Errorf("worker: publish the regime change of %s: %w", ev.AsOf, err)
		}
		p.changeDone = true
		w.log.Info().Str("as_of", ev.AsOf).Str("regime", string(ev.Regime)).Str("previous_regime", string(ev.PreviousRegime)).
			Str("id", ev.ID).Str("subject", res.Subject).Uint64("seq", res.Sequence).Bool("duplicate", res.Duplicate).
			Msg("regime change published")
	}
	res, err := w.cfg.Publisher.Publish(ctx, DailySubject, ev.ID, p.data, hdr)
	if err != nil {
		return fmt.Errorf("worker: publish the event of %s: %w", ev.AsOf, err)
	}
	w.pending = nil
	st := ev.State()
	w.prev = &st
	w.mu.Lock()
	w.status.LastAsOf, w.status.LastID, w.status.Regime, w.status.Score = ev.AsOf, ev.ID, ev.Regime, ev.Score
	w.status.Published++
	w.status.Pending = ""
	w.mu.Unlock()
	w.log.Info().Str("as_of", ev.AsOf).Str("regime", string(ev.Regime)).Float64("score", ev.Score).Bool("changed", ev.RegimeChanged).
		Str("id", ev.ID).Str("subject", res.Subject).Uint64("seq", res.Sequence).Bool("duplicate", res.Duplicate).
		Msg("event published")
	return nil
}
