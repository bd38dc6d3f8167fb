package backtest

import (
	"errors"
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// track is the signal over a backtest: one event per trading day from From
// to To, with the regime's state carried from the warm-up.
type track struct {
	// warm are all the events replayed, warm-up included; events are
	// those of the days traded (a tail of warm), and days their dates.
	warm       []signals.Event
	events     []signals.Event
	days       []time.Time
	signalFrom string
	// ids identifies warm's events, which come without their ids (see
	// signals.Track): only the days a book sizes need one.
	ids *signals.Track
}

// id is the id signals.Replay gives events[i] (the original's when the
// regime was re-derived, as withRegime keeps it).
func (tr track) id(i int) (string, error) {
	return tr.ids.ID(len(tr.warm) - len(tr.events) + i)
}

// replaySignal replays the signal with signals.ReplayTrack (one alignment,
// one evaluation per day, as the worker catches up; the events' ids are
// worked out for the days that need them) from up to warmup trading
// days before from, and keeps the days from from to to. to is clamped to
// the benchmark's last bar, so a to past the data means "to the end".
//
// The warm-up starts no earlier than the first day the windows could be
// filled (see earliestDay): asking for more warm-up than the data has is not an
// error, while a from that itself lacks history is, and the signal's error
// names the symbol and the day.
func replaySignal(data map[string]marketdata.Series, cfg signals.Config, from, to time.Time, warmup int) (track, error) {
	from, to = dayOf(from), dayOf(to)
	bench, ok := data[cfg.Benchmark]
	if !ok || len(bench.Bars) == 0 {
		return track{}, fmt.Errorf("backtest: no data for the signal's benchmark %s", cfg.Benchmark)
	}
	last := bench.Bars[len(bench.Bars)-1].Date
	if to.After(last) {
		to = last
	}
	fromIdx := -1
	for i, b := range bench.Bars {
		if !b.Date.Before(from) {
			fromIdx = i
			break
		}
	}
	if fromIdx < 0 || bench.Bars[fromIdx].Date.After(to) {
		return track{}, fmt.Errorf("backtest: the benchmark %s has no trading day from %s to %s (its bars run %s to %s)",
			cfg.Benchmark, from.Format(time.DateOnly), to.Format(time.DateOnly),
			bench.Bars[0].Date.Format(time.DateOnly), last.Format(time.DateOnly))
	}
	start := fromIdx
	if earliest := earliestDay(bench, data[cfg.Microcap], cfg); fromIdx > earliest {
		start = max(fromIdx-warmup, earliest)
	}
	ids, err := signals.ReplayTrack(data, cfg, bench.Bars[start].Date, to)
	if err != nil {
		return track{}, fmt.Errorf("backtest: replay the signal: %w", err)
	}
	evs := ids.Events
	tr := track{warm: evs, signalFrom: bench.Bars[start].Date.Format(time.DateOnly), ids: ids}
	fromText := from.Format(time.DateOnly)
	for k, ev := range evs {
		if ev.AsOf < fromText {
			continue
		}
		if tr.events == nil {
			tr.events = evs[k:]
		}
		d, err := time.Parse(time.DateOnly, ev.AsOf)
		if err != nil {
			return track{}, fmt.Errorf("backtest: event of %q: %w", ev.AsOf, err)
		}
		tr.days = append(tr.days, d)
	}
	if len(tr.events) == 0 {
		return track{}, errors.New("backtest: the signal has no day to replay")
	}
	return tr, nil
}

// earliestDay is the index of the benchmark's first bar the signal can be
// evaluated on: the benchmark's own windows filled (Config.MinHistory) and
// the micro-cap's low window filled from its first bar (IWC's file starts
// sixteen months after IWM's).
func earliestDay(bench, micro marketdata.Series, cfg signals.Config) int {
	earliest := cfg.MinHistory() - 1
	if len(micro.Bars) > 0 {
		first := micro.Bars[0].Date
		for i, b := range bench.Bars {
			if !b.Date.Before(first) {
				earliest = max(earliest, i+cfg.MicrocapLowWindow-1)
				break
			}
		}
	}
	return earliest
}

// withThresholds is the track under other hysteresis thresholds (see
// withRegime); the days are shared.
func (tr track) withThresholds(g signals.RegimeConfig) track {
	warm := withRegime(tr.warm, "", g)
	out := tr
	out.warm = warm
	out.events = warm[len(warm)-len(tr.events):]
	return out
}

// withRegime returns the track with the regime re-derived under other
// hysteresis thresholds, exactly as signals.Evaluate derives it (a cold
// start at neutral on the warm-up's first day, then signals.Target and
// signals.Step each day), from the scores and the leadership condition,
// which do not depend on the thresholds. A sweep over thresholds replays
// the measures once per lookback instead of once per configuration.
//
// warm are the events of the whole replay, warm-up included (the state
// must be carried through it); only the events from the track's first day
// are returned. Only the regime fields change: the event id and the
// recorded configuration stay the original's.
func withRegime(warm []signals.Event, firstDay string, g signals.RegimeConfig) []signals.Event {
	out := make([]signals.Event, 0, len(warm))
	var cur signals.State
	for k, ev := range warm {
		if k == 0 {
			cur = signals.State{Regime: signals.Neutral, Since: ev.AsOf}
		}
		var prev signals.Regime // "" on the cold start, as Evaluate reports it
		if k > 0 {
			prev = cur.Regime
		}
		target := signals.Target(cur.Regime, ev.Score, ev.RelativeStrength.BeatsAll, g)
		next, _ := signals.Step(cur, target, g.MinDays, ev.AsOf)
		cur = next
		if ev.AsOf < firstDay {
			continue
		}
		ev.Regime = next.Regime
		ev.PreviousRegime = prev
		ev.RegimeChanged = k > 0 && next.Regime != prev
		ev.Hysteresis = signals.Hysteresis{Target: target, Pending: next.Pending, PendingDays: next.PendingDays,
			MinDays: g.MinDays, Since: next.Since}
		out = append(out, ev)
	}
	return out
}
