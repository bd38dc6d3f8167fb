package signals

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

// Evaluate computes the event of the panel's last trading day (Panel.AsOf)
// and the state after it. cfg must be the configuration the panel was
// aligned with (sectors in any order).
//
// prev is the state after the previous trading day of the calendar, or nil
// for a cold start, which starts from neutral with no streak (so reaching
// leadership or lagging takes MinDays days even then; Replay a warm-up
// period to get a settled regime). A prev from any other day fails with
// ErrStateGap: the hysteresis counts consecutive days, so missed days are
// replayed, not skipped.
//
// Data errors are *DataError values naming the symbol and day: too little
// history for a window (ErrShortHistory), a stale last bar (ErrStale), a
// gap longer than the fill rule (ErrGap), a hole in the benchmark's
// calendar (ErrCalendarHole).
func Evaluate(p Panel, cfg Config, prev *State) (Event, State, error) {
	if p.bench == nil {
		return Event{}, State{}, errors.New("signals: Evaluate: empty panel (build it with Align)")
	}
	if !sameConfig(p.cfgJSON, cfg) {
		return Event{}, State{}, errors.New("signals: Evaluate: the config differs from the one the panel was aligned with")
	}
	return p.evaluate(len(p.dates)-1, prev, true)
}

// sameConfig compares a config with the panel's canonical JSON of its own,
// ignoring the order of the sectors.
func sameConfig(canonJSON []byte, c Config) bool {
	b, err := marshalCanonical(c.canonical())
	return err == nil && bytes.Equal(b, canonJSON)
}

// span is a range of calendar indices, both included.
type span struct{ a, b int }

// used is one symbol's closes an event uses.
type used struct {
	c     *column
	spans [2]span
	n     int // spans in use
}

// evaluate computes the event of day t. Unless identify is set it leaves
// out what only identifies the event: its id and the record of its inputs
// (Inputs.Symbols and Inputs.Fingerprint), most of the cost of a day.
func (p *Panel) evaluate(t int, prev *State, identify bool) (Event, State, error) {
	cfg := &p.cfg
	day, asOf := p.days[t], p.dates[t]
	if prev != nil {
		if t == 0 || prev.AsOf != p.days[t-1] {
			want := "none (the first day of the data)"
			if t > 0 {
				want = p.days[t-1]
			}
			return Event{}, State{}, fmt.Errorf("signals: evaluate %s: %w: the state is after %q, the previous trading day is %s",
				day, ErrStateGap, prev.AsOf, want)
		}
		if !prev.Regime.valid() {
			return Event{}, State{}, fmt.Errorf("signals: evaluate %s: previous state has regime %q", day, prev.Regime)
		}
	}
	L := cfg.Lookback
	if need := cfg.MinHistory(); t+1 < need {
		return Event{}, State{}, &DataError{Symbol: cfg.Benchmark, AsOf: asOf,
			Err: fmt.Errorf("%w: %d bars needed up to %s, found %d", ErrShortHistory, need, day, t+1)}
	}
	if err := p.checkCalendar(t-L, t); err != nil {
		return Event{}, State{}, err
	}
	uses := make([]used, 0, 2+len(p.sectors))
	benchUse := used{c: p.bench, spans: [2]span{{t - L, t}}, n: 1}

	// Relative strength.
	bc := p.bench.closes
	rs := RelativeStrength{LookbackDays: L, From: p.days[t-L], Benchmark: cfg.Benchmark,
		BenchmarkReturn: Return(bc, t, L), Sectors: make(map[string]SectorStrength, len(p.sectors)), Missing: []string{}}
	sum := 0.0
	for _, c := range p.sectors {
		if c.firstReal < 0 || c.firstReal > t-L {
			rs.Missing = append(rs.Missing, c.symbol)
			continue
		}
		if err := p.checkWindow(c, t-L, t); err != nil {
			return Event{}, State{}, err
		}
		r := Return(c.closes, t, L)
		s := rs.BenchmarkReturn - r
		rs.Sectors[c.symbol] = SectorStrength{Return: r, Spread: s}
		if s > 0 {
			rs.SectorsBeaten++
		}
		sum += s
		uses = append(uses, used{c: c, spans: [2]span{{t - L, t}}, n: 1})
	}
	rs.SectorsTotal = len(rs.Sectors)
	if rs.SectorsTotal == 0 {
		return Event{}, State{}, &DataError{Symbol: cfg.Benchmark, AsOf: asOf,
			Err: fmt.Errorf("%w: no sector has a bar on %s, the start of the lookback", ErrShortHistory, rs.From)}
	}
	rs.MeanSpread = sum / float64(rs.SectorsTotal)
	rs.BeatsAll = rs.SectorsBeaten == rs.SectorsTotal

	// Micro-cap thrust.
	mc, mcUse, err := p.microcap(t)
	if err != nil {
		return Event{}, State{}, err
	}
	if mcUse != nil {
		uses = append(uses, *mcUse)
	}

	// Resistance.
	res, rspan, err := p.resistance(t)
	if err != nil {
		return Event{}, State{}, err
	}
	if rspan != nil {
		if rspan.b+1 >= t-L { // adjacent or overlapping: one span
			benchUse.spans[0].a = min(rspan.a, t-L)
		} else {
			benchUse.spans = [2]span{*rspan, {t - L, t}}
			benchUse.n = 2
		}
	}
	uses = append(uses, benchUse)

	// Score and regime.
	parts := Parts(rs.SectorsBeaten, rs.SectorsTotal, rs.MeanSpread, cfg.SpreadScale,
		mc.PctOffLow, mc.Threshold, mc.Missing, res.Status)
	score := Score(parts, cfg.Weights)
	cur := State{AsOf: "", Regime: Neutral, Since: day}
	var prevRegime Regime
	if prev != nil {
		cur, prevRegime = *prev, prev.Regime
	}
	target := Target(cur.Regime, score, rs.BeatsAll, cfg.Regime)
	next, _ := Step(cur, target, cfg.Regime.MinDays, day)

	var symbols map[string]SymbolInputs
	var fingerprint string
	if identify {
		symbols, fingerprint = p.inputs(uses)
	}

	ev := Event{
		Schema:           Schema,
		AsOf:             day,
		Regime:           next.Regime,
		PreviousRegime:   prevRegime,
		RegimeChanged:    prev != nil && next.Regime != prev.Regime,
		Score:            score,
		ScoreParts:       parts,
		Hysteresis:       Hysteresis{Target: target, Pending: next.Pending, PendingDays: next.PendingDays, MinDays: cfg.Regime.MinDays, Since: next.Since},
		RelativeStrength: rs,
		Microcap:         mc,
		Resistance:       res,
		Inputs: Inputs{Symbols: symbols, Fingerprint: fingerprint, Config: p.cfg,
			PreviousRegime: prevRegime, PreviousState: prev},
	}
	if prev != nil {
		ps := *prev // the event must not alias the caller's state
		ev.Inputs.PreviousState = &ps
	}
	if identify {
		if ev.ID, err = p.eventID(day, fingerprint, ev.Inputs.PreviousState); err != nil {
			return Event{}, State{}, err
		}
	}
	return ev, next, nil
}

// inputs is the record of the closes an event used, by symbol, and their
// fingerprint.
func (p *Panel) inputs(uses []used) (map[string]SymbolInputs, string) {
	slices.SortFunc(uses, func(x, y used) int {
		switch {
		case x.c.symbol < y.c.symbol:
			return -1
		case x.c.symbol > y.c.symbol:
			return 1
		}
		return 0
	})
	h := sha256.New()
	h.Write([]byte("rotor.fingerprint.v1\n"))
	symbols := make(map[string]SymbolInputs, len(uses))
	for _, u := range uses {
		h.Write([]byte(u.c.symbol))
		h.Write([]byte{'\n'})
		si := SymbolInputs{First: p.days[u.spans[0].a], Last: p.days[u.spans[u.n-1].b], FilledDays: []string{}}
		for _, s := range u.spans[:u.n] {
			h.Write(u.c.enc[s.a*encRow : (s.b+1)*encRow])
			si.Bars += s.b - s.a + 1
			lo, _ := slices.BinarySearch(u.c.filled, int32(s.a))
			for _, i := range u.c.filled[lo:] {
				if int(i) > s.b {
					break
				}
				si.FilledDays = append(si.FilledDays, p.days[i])
			}
		}
		symbols[u.c.symbol] = si
	}
	var sum32 [sha256.Size]byte
	fingerprint := hex.EncodeToString(h.Sum(sum32[:0]))
	return symbols, fingerprint
}

// eventID hashes what determines an event: schema, day, data, config and
// the state carried in.
func (p *Panel) eventID(day, fingerprint string, prev *State) (string, error) {
	prevJSON, err := marshalCanonical(prev)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(Schema), []byte(day), []byte(fingerprint), p.cfgJSON, prevJSON} {
		h.Write(part)
		h.Write([]byte{'\n'})
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16]), nil
}

// microcap computes the thrust of day t, and the closes it used (nil when
// the micro-cap is missing).
func (p *Panel) microcap(t int) (Microcap, *used, error) {
	cfg := &p.cfg
	W := cfg.MicrocapLowWindow
	c := p.micro
	mc := Microcap{Symbol: c.symbol, WindowDays: W, Threshold: cfg.ThrustThreshold}
	var err error
	switch {
	case !c.present:
		err = &DataError{Symbol: c.symbol, AsOf: p.dates[t], Err: ErrNoSeries}
	case c.firstReal < 0 || c.firstReal > t-W+1:
		found := 0
		if c.firstReal >= 0 && c.firstReal <= t {
			found = t - c.firstReal + 1
		}
		err = &DataError{Symbol: c.symbol, AsOf: p.dates[t],
			Err: fmt.Errorf("%w: %d days of the calendar needed up to %s for the low's window, found %d", ErrShortHistory, W, p.days[t], found)}
	default:
		err = p.checkWindow(c, t-W+1, t)
	}
	if err != nil {
		if !cfg.MicrocapOptional {
			return Microcap{}, nil, err
		}
		mc.Missing, mc.Reason = true, err.Error()
		return mc, nil, nil
	}
	low, li, pct := PctOffLow(c.closes, t, W)
	mc.Low, mc.LowDate, mc.Close, mc.PctOffLow = low, p.days[li], c.closes[t], pct
	mc.Thrust = pct >= cfg.ThrustThreshold
	return mc, &used{c: c, spans: [2]span{{t - W + 1, t}}, n: 1}, nil
}

// resistance computes the benchmark against its zone on day t, and the
// span of closes the zone used (nil when unavailable).
func (p *Panel) resistance(t int) (Resistance, *span, error) {
	cfg := &p.cfg
	rc := cfg.Resistance
	res := Resistance{TopK: rc.TopK, Close: p.bench.closes[t], Band: cfg.ResistanceBand}
	var w span
	var low, high float64
	switch rc.Mode {
	case ResistanceDates:
		if rc.To >= p.days[t] {
			res.Status, res.Window = Unavailable, Window{From: rc.From, To: rc.To}
			return res, nil, nil
		}
		z := p.fixedZone
		first := p.dates[0].Format(time.DateOnly)
		if !z.ok || (first > rc.From && p.tradingDaysBefore(rc.From, p.dates[0])) {
			return res, nil, &DataError{Symbol: cfg.Benchmark, AsOf: p.dates[t], Err: fmt.Errorf(
				"%w: the resistance window %s..%s starts before the first bar %s", ErrShortHistory, rc.From, rc.To, first)}
		}
		w, low, high = span{z.a, z.b}, z.low, z.high
	case ResistanceRolling:
		w = span{t - cfg.Lookback - rc.RollingDays, t - cfg.Lookback - 1}
		low, high = Zone(p.bench.closes[w.a:w.b+1], rc.TopK)
	}
	if err := p.checkCalendar(w.a, w.b); err != nil {
		return res, nil, err
	}
	if n := w.b - w.a + 1; n < rc.TopK {
		return res, nil, &DataError{Symbol: cfg.Benchmark, AsOf: p.dates[t], Err: fmt.Errorf(
			"%w: the resistance window %s..%s has %d closes, fewer than top_k %d", ErrShortHistory, p.days[w.a], p.days[w.b], n, rc.TopK)}
	}
	res.ZoneLow, res.ZoneHigh = low, high
	res.Status = Classify(res.Close, low, high, cfg.ResistanceBand)
	res.Window = Window{From: p.days[w.a], To: p.days[w.b]}
	return res, &w, nil
}

// tradingDaysBefore reports whether an NYSE trading day falls on or after
// from (YYYY-MM-DD) and before end.
func (p *Panel) tradingDaysBefore(from string, end time.Time) bool {
	d, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return false
	}
	for ; d.Before(end); d = d.AddDate(0, 0, 1) {
		if marketdata.IsTradingDay(d) {
			return true
		}
	}
	return false
}
