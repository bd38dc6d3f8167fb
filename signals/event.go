package signals

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Schema names the event's format; a change that is not backward
// compatible gets a new name.
const Schema = "rotor.leadership.v1"

// Event is the signal of one trading day: the regime, the score, and every
// number behind them, so the audit log can explain any trade. It marshals
// to canonical JSON (see MarshalEvent); fractions are fractions (0.53 is
// 53%), dates are YYYY-MM-DD.
type Event struct {
	// Schema is always Schema.
	Schema string `json:"schema"`
	// ID is deterministic: the first 32 hex digits of the SHA-256 of the
	// schema, as_of, the inputs' fingerprint, the canonical configuration
	// and the previous state. The same inputs give the same id, which
	// JetStream uses to drop duplicates.
	ID string `json:"id"`
	// AsOf is the last trading day whose bars were used.
	AsOf string `json:"as_of"`
	// Regime is the confirmed regime after the day.
	Regime Regime `json:"regime"`
	// PreviousRegime is the regime before the day, "" on a cold start.
	PreviousRegime Regime `json:"previous_regime"`
	// RegimeChanged reports Regime != PreviousRegime (false on a cold
	// start), so consumers can act on changes.
	RegimeChanged bool `json:"regime_changed"`
	// Score in [0,1] says how strong the case for leadership is.
	Score float64 `json:"score"`
	// ScoreParts are the score's components (see ScoreParts).
	ScoreParts ScoreParts `json:"score_parts"`
	// Hysteresis explains the regime decision.
	Hysteresis Hysteresis `json:"hysteresis"`
	// RelativeStrength is the benchmark against the sectors.
	RelativeStrength RelativeStrength `json:"relative_strength"`
	// Microcap is the micro-cap thrust.
	Microcap Microcap `json:"microcap"`
	// Resistance is the benchmark against its resistance zone.
	Resistance Resistance `json:"resistance"`
	// Inputs say what the event was computed from.
	Inputs Inputs `json:"inputs"`
	// Signature is set by Sign; nil (and absent from the JSON) before.
	Signature *Signature `json:"signature,omitempty"`
}

// Inputs are what an event was computed from.
type Inputs struct {
	// Symbols holds, for each symbol whose closes were used, the span and
	// count of those closes and the days filled by the alignment rule.
	Symbols map[string]SymbolInputs `json:"symbols"`
	// Fingerprint is the hex SHA-256 of the exact closes used (see
	// Panel): change one close, a date, or a fill, and it changes.
	Fingerprint string `json:"fingerprint"`
	// Config is the configuration used, sectors sorted.
	Config Config `json:"config"`
	// PreviousRegime is the regime carried into the day ("" on a cold
	// start); PreviousState is the whole state (null on a cold start).
	PreviousRegime Regime `json:"previous_regime"`
	PreviousState  *State `json:"previous_state"`
}

// SymbolInputs are the closes of one symbol an event used.
type SymbolInputs struct {
	// First and Last are the first and last days used (for the benchmark,
	// the span from the resistance window to the as-of day).
	First string `json:"first"`
	Last  string `json:"last"`
	// Bars is how many closes were used.
	Bars int `json:"bars"`
	// FilledDays are the used days the symbol had no bar and the previous
	// close was carried forward.
	FilledDays []string `json:"filled_days"`
}

// Signature is an ed25519 signature by an nkey (see Sign).
type Signature struct {
	// Key is the signer's public user nkey (it starts with "U").
	Key string `json:"key"`
	// Sig is the standard base64 of the signature of the event's canonical
	// bytes.
	Sig string `json:"sig"`
}

// State returns the state after the event's day, for the next day's
// Evaluate: a worker that restarts continues from its last event.
func (e Event) State() State {
	return State{AsOf: e.AsOf, Regime: e.Regime, Since: e.Hysteresis.Since,
		Pending: e.Hysteresis.Pending, PendingDays: e.Hysteresis.PendingDays}
}

// ErrNotCanonical is returned by UnmarshalEvent for JSON that is valid but
// not in the canonical form MarshalEvent writes (fields reordered or left
// out, numbers spelt differently), which a signature would not cover
// reliably.
var ErrNotCanonical = errors.New("signals: event JSON is not canonical")

// MarshalEvent validates ev and returns its canonical JSON.
//
// The encoding is canonical because encoding/json writes struct fields in
// declaration order, map keys sorted, every float64 in the shortest form
// that parses back to the same bits, and no insignificant space; and no
// field of Event is omitted when empty except Signature. The same Event
// therefore always gives the same bytes, and decoding and re-encoding
// them gives them back, which is what Verify relies on.
func MarshalEvent(ev Event) ([]byte, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	return marshalCanonical(ev)
}

// UnmarshalEvent decodes an event strictly: no unknown fields, nothing
// after the object, the canonical form (ignoring insignificant space), and
// a valid event (Validate). It does not check the signature; see Verify.
func UnmarshalEvent(data []byte) (Event, error) {
	ev, _, err := unmarshalCanonical(data)
	return ev, err
}

// unmarshalCanonical is UnmarshalEvent, also returning the event's
// canonical JSON (data itself, or data compacted).
func unmarshalCanonical(data []byte) (Event, []byte, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return Event{}, nil, fmt.Errorf("signals: decode event: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, nil, errors.New("signals: decode event: data after the event object")
	}
	again, err := marshalCanonical(ev)
	if err != nil {
		return Event{}, nil, err
	}
	// Compacting is needed only when the data is not canonical as sent
	// (the common case is that it is).
	if !bytes.Equal(data, again) {
		var compact bytes.Buffer
		if err := json.Compact(&compact, data); err != nil {
			return Event{}, nil, fmt.Errorf("signals: decode event: %w", err)
		}
		if !bytes.Equal(compact.Bytes(), again) {
			i := 0
			for i < len(again) && i < compact.Len() && again[i] == compact.Bytes()[i] {
				i++
			}
			lo := max(i-40, 0)
			return Event{}, nil, fmt.Errorf("%w: differs at byte %d, after %q", ErrNotCanonical, i, again[lo:i])
		}
	}
	if err := ev.Validate(); err != nil {
		return Event{}, nil, err
	}
	return ev, again, nil
}

func marshalCanonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("signals: marshal: %w", err)
	}
	return b, nil
}

// Validate checks an event the way a consumer should before acting on it:
// the schema, the id's and dates' formats, the regime values, every number
// finite and in range, and every derived number consistent with the ones
// it comes from (spreads, counts, the score and its parts, thrust and
// status). The error names the field. It does not check the signature.
func (e Event) Validate() error {
	v := validator{}
	v.check(e)
	return v.err
}

type validator struct{ err error }

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = fmt.Errorf("signals: event field %s: %s", field, fmt.Sprintf(format, args...))
	}
}

func (v *validator) finite(field string, x float64) bool {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		v.fail(field, "%v is not a finite number", x)
		return false
	}
	return true
}

func (v *validator) unit(field string, x float64) {
	if v.finite(field, x) && (x < 0 || x > 1) {
		v.fail(field, "%v is outside [0, 1]", x)
	}
}

func (v *validator) positive(field string, x float64) {
	if v.finite(field, x) && !(x > 0) {
		v.fail(field, "%v is not positive", x)
	}
}

func (v *validator) date(field, s string) {
	if t, err := time.Parse(time.DateOnly, s); err != nil || t.Format(time.DateOnly) != s {
		v.fail(field, "%q is not a YYYY-MM-DD date", s)
	}
}

func (v *validator) near(field string, got, want float64) {
	if v.finite(field, got) && math.Abs(got-want) > 1e-12*max(1, math.Abs(want)) {
		v.fail(field, "%v is inconsistent with the fields it derives from (want %v)", got, want)
	}
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

func (v *validator) check(e Event) {
	cfg := e.Inputs.Config
	if e.Schema != Schema {
		v.fail("schema", "%q; want %q", e.Schema, Schema)
	}
	if !isHex(e.ID, 32) {
		v.fail("id", "%q is not 32 lowercase hex digits", e.ID)
	}
	v.date("as_of", e.AsOf)
	if !e.Regime.valid() {
		v.fail("regime", "%q; want leadership, neutral or lagging", e.Regime)
	}
	if e.PreviousRegime != "" && !e.PreviousRegime.valid() {
		v.fail("previous_regime", "%q; want leadership, neutral, lagging or empty", e.PreviousRegime)
	}
	if want := e.PreviousRegime != "" && e.PreviousRegime != e.Regime; e.RegimeChanged != want {
		v.fail("regime_changed", "%v, but regime is %q and previous_regime %q", e.RegimeChanged, e.Regime, e.PreviousRegime)
	}
	if err := cfg.Validate(); err != nil {
		v.fail("inputs.config", "%v", err)
		return // the checks below rely on the config
	}
	if !slices.IsSorted(cfg.Sectors) {
		v.fail("inputs.config.sectors", "not sorted")
	}

	// Relative strength.
	rs := e.RelativeStrength
	if rs.LookbackDays != cfg.Lookback {
		v.fail("relative_strength.lookback_days", "%d; the config says %d", rs.LookbackDays, cfg.Lookback)
	}
	v.date("relative_strength.from", rs.From)
	if rs.From >= e.AsOf {
		v.fail("relative_strength.from", "%s is not before as_of %s", rs.From, e.AsOf)
	}
	if rs.Benchmark != cfg.Benchmark {
		v.fail("relative_strength.benchmark", "%q; the config says %q", rs.Benchmark, cfg.Benchmark)
	}
	if v.finite("relative_strength.benchmark_return", rs.BenchmarkReturn) && !(rs.BenchmarkReturn > -1) {
		v.fail("relative_strength.benchmark_return", "%v is not above -1", rs.BenchmarkReturn)
	}
	beaten, sum := 0, 0.0
	for _, s := range slices.Sorted(maps.Keys(rs.Sectors)) {
		ss := rs.Sectors[s]
		f := "relative_strength.sectors." + s
		if !slices.Contains(cfg.Sectors, s) {
			v.fail(f, "not a configured sector")
		}
		if v.finite(f+".return", ss.Return) && !(ss.Return > -1) {
			v.fail(f+".return", "%v is not above -1", ss.Return)
		}
		v.near(f+".spread", ss.Spread, rs.BenchmarkReturn-ss.Return)
		if ss.Spread > 0 {
			beaten++
		}
		sum += ss.Spread
	}
	if rs.SectorsTotal != len(rs.Sectors) || rs.SectorsTotal < 1 {
		v.fail("relative_strength.sectors_total", "%d, with %d sectors listed (want as many, at least 1)", rs.SectorsTotal, len(rs.Sectors))
	}
	if rs.SectorsBeaten != beaten {
		v.fail("relative_strength.sectors_beaten", "%d, but %d spreads are positive", rs.SectorsBeaten, beaten)
	}
	if rs.BeatsAll != (rs.SectorsBeaten == rs.SectorsTotal) {
		v.fail("relative_strength.beats_all", "%v with %d of %d beaten", rs.BeatsAll, rs.SectorsBeaten, rs.SectorsTotal)
	}
	if rs.Missing == nil || !slices.IsSorted(rs.Missing) {
		v.fail("relative_strength.missing", "want a sorted list (empty, not null, when none is missing)")
	}
	for _, s := range rs.Missing {
		if _, dup := rs.Sectors[s]; dup || !slices.Contains(cfg.Sectors, s) {
			v.fail("relative_strength.missing", "%s is also in sectors or is not a configured sector", s)
		}
	}
	if n := len(rs.Sectors) + len(rs.Missing); n != len(cfg.Sectors) {
		v.fail("relative_strength.missing", "%d sectors and %d missing; the config has %d", len(rs.Sectors), len(rs.Missing), len(cfg.Sectors))
	}
	if len(rs.Sectors) > 0 {
		v.near("relative_strength.mean_spread", rs.MeanSpread, sum/float64(len(rs.Sectors)))
	}

	// Micro-cap.
	mc := e.Microcap
	if mc.Symbol != cfg.Microcap {
		v.fail("microcap.symbol", "%q; the config says %q", mc.Symbol, cfg.Microcap)
	}
	if mc.WindowDays != cfg.MicrocapLowWindow {
		v.fail("microcap.window_days", "%d; the config says %d", mc.WindowDays, cfg.MicrocapLowWindow)
	}
	if mc.Threshold != cfg.ThrustThreshold {
		v.fail("microcap.threshold", "%v; the config says %v", mc.Threshold, cfg.ThrustThreshold)
	}
	if mc.Missing {
		if !cfg.MicrocapOptional {
			v.fail("microcap.missing", "true, but the config does not make the micro-cap optional")
		}
		if mc.Low != 0 || mc.Close != 0 || mc.PctOffLow != 0 || mc.LowDate != "" || mc.Thrust || mc.Reason == "" {
			v.fail("microcap", "a missing micro-cap has zero prices, no low_date, no thrust and a reason")
		}
	} else {
		v.positive("microcap.low", mc.Low)
		v.positive("microcap.close", mc.Close)
		v.date("microcap.low_date", mc.LowDate)
		if mc.LowDate > e.AsOf {
			v.fail("microcap.low_date", "%s is after as_of %s", mc.LowDate, e.AsOf)
		}
		if mc.Close < mc.Low {
			v.fail("microcap.close", "%v is below the window's low %v", mc.Close, mc.Low)
		}
		v.near("microcap.pct_off_low", mc.PctOffLow, mc.Close/mc.Low-1)
		if mc.Thrust != (mc.PctOffLow >= mc.Threshold) {
			v.fail("microcap.thrust", "%v with pct_off_low %v and threshold %v", mc.Thrust, mc.PctOffLow, mc.Threshold)
		}
		if mc.Reason != "" {
			v.fail("microcap.reason", "%q, but the micro-cap is not missing", mc.Reason)
		}
	}

	// Resistance.
	r := e.Resistance
	if r.Band != cfg.ResistanceBand {
		v.fail("resistance.band", "%v; the config says %v", r.Band, cfg.ResistanceBand)
	}
	if r.TopK != cfg.Resistance.TopK {
		v.fail("resistance.top_k", "%d; the config says %d", r.TopK, cfg.Resistance.TopK)
	}
	v.positive("resistance.close", r.Close)
	v.date("resistance.window.from", r.Window.From)
	v.date("resistance.window.to", r.Window.To)
	if r.Window.To < r.Window.From {
		v.fail("resistance.window.to", "%s is before from %s", r.Window.To, r.Window.From)
	}
	switch r.Status {
	case Unavailable:
		if r.ZoneLow != 0 || r.ZoneHigh != 0 {
			v.fail("resistance", "an unavailable zone has zone_low and zone_high 0")
		}
		if r.Window.To < e.AsOf {
			v.fail("resistance.status", "unavailable, but the window ends before as_of")
		}
	case Below, Inside, Above:
		v.positive("resistance.zone_low", r.ZoneLow)
		v.positive("resistance.zone_high", r.ZoneHigh)
		if r.ZoneHigh < r.ZoneLow {
			v.fail("resistance.zone_high", "%v is below zone_low %v", r.ZoneHigh, r.ZoneLow)
		}
		if r.Window.To >= e.AsOf {
			v.fail("resistance.window.to", "%s is not before as_of %s (the zone would look ahead)", r.Window.To, e.AsOf)
		}
		if v.err == nil {
			if want := Classify(r.Close, r.ZoneLow, r.ZoneHigh, r.Band); r.Status != want {
				v.fail("resistance.status", "%q, but close %v against [%v, %v] ± %v is %q", r.Status, r.Close, r.ZoneLow, r.ZoneHigh, r.Band, want)
			}
		}
	default:
		v.fail("resistance.status", "%q; want below, inside, above or unavailable", r.Status)
	}

	// Score.
	if v.err == nil {
		want := Parts(rs.SectorsBeaten, rs.SectorsTotal, rs.MeanSpread, cfg.SpreadScale, mc.PctOffLow, mc.Threshold, mc.Missing, r.Status)
		p := e.ScoreParts
		v.near("score_parts.breadth", p.Breadth, want.Breadth)
		v.near("score_parts.strength", p.Strength, want.Strength)
		v.near("score_parts.thrust", p.Thrust, want.Thrust)
		v.near("score_parts.resistance", p.Resistance, want.Resistance)
	}
	v.unit("score", e.Score)
	if v.err == nil {
		v.near("score", e.Score, Score(e.ScoreParts, cfg.Weights))
	}

	// Hysteresis.
	h := e.Hysteresis
	if !h.Target.valid() {
		v.fail("hysteresis.target", "%q; want leadership, neutral or lagging", h.Target)
	}
	if h.MinDays != cfg.Regime.MinDays {
		v.fail("hysteresis.min_days", "%d; the config says %d", h.MinDays, cfg.Regime.MinDays)
	}
	switch {
	case h.Pending == "" && h.PendingDays != 0, h.Pending != "" && (!h.Pending.valid() || h.Pending == e.Regime):
		v.fail("hysteresis.pending", "%q with pending_days %d and regime %q", h.Pending, h.PendingDays, e.Regime)
	case h.PendingDays < 0 || h.PendingDays >= max(h.MinDays, 1):
		v.fail("hysteresis.pending_days", "%d; want 0 to min_days-1", h.PendingDays)
	}
	v.date("hysteresis.since", h.Since)
	if h.Since > e.AsOf {
		v.fail("hysteresis.since", "%s is after as_of %s", h.Since, e.AsOf)
	}

	// Inputs.
	in := e.Inputs
	if !isHex(in.Fingerprint, 64) {
		v.fail("inputs.fingerprint", "%q is not 64 lowercase hex digits", in.Fingerprint)
	}
	if _, ok := in.Symbols[cfg.Benchmark]; !ok {
		v.fail("inputs.symbols", "the benchmark %s is not listed", cfg.Benchmark)
	}
	for _, s := range slices.Sorted(maps.Keys(in.Symbols)) {
		si := in.Symbols[s]
		f := "inputs.symbols." + s
		if s != cfg.Benchmark && s != cfg.Microcap && !slices.Contains(cfg.Sectors, s) {
			v.fail(f, "not a configured symbol")
		}
		v.date(f+".first", si.First)
		v.date(f+".last", si.Last)
		if si.First > si.Last || si.Last > e.AsOf {
			v.fail(f, "first %s, last %s: want first ≤ last ≤ as_of %s", si.First, si.Last, e.AsOf)
		}
		if si.Bars < 1 {
			v.fail(f+".bars", "%d; want at least 1", si.Bars)
		}
		if si.FilledDays == nil || !slices.IsSorted(si.FilledDays) || len(si.FilledDays) >= max(si.Bars, 1) {
			v.fail(f+".filled_days", "want a sorted list, shorter than bars (empty, not null, when none)")
		}
		for _, d := range si.FilledDays {
			v.date(f+".filled_days", d)
			if d < si.First || d > si.Last {
				v.fail(f+".filled_days", "%s is outside first..last", d)
			}
		}
	}
	if in.PreviousRegime != e.PreviousRegime {
		v.fail("inputs.previous_regime", "%q; previous_regime is %q", in.PreviousRegime, e.PreviousRegime)
	}
	if ps := in.PreviousState; ps == nil {
		if e.PreviousRegime != "" {
			v.fail("inputs.previous_state", "null, but previous_regime is %q", e.PreviousRegime)
		}
	} else {
		v.date("inputs.previous_state.as_of", ps.AsOf)
		if ps.Regime != e.PreviousRegime || ps.AsOf >= e.AsOf {
			v.fail("inputs.previous_state", "regime %q as of %s; want previous_regime %q before as_of %s", ps.Regime, ps.AsOf, e.PreviousRegime, e.AsOf)
		}
	}

	if sig := e.Signature; sig != nil {
		if !strings.HasPrefix(sig.Key, "U") {
			v.fail("signature.key", "%q is not a user nkey (starting with U)", sig.Key)
		}
		if _, err := base64.StdEncoding.DecodeString(sig.Sig); err != nil || sig.Sig == "" {
			v.fail("signature.sig", "not standard base64")
		}
	}
}
