package signals

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// sampleEvent is a valid event of the generated universe, mid-episode, with
// a previous state.
func sampleEvent(tb testing.TB) Event {
	tb.Helper()
	evs, err := Replay(genUniverse(), DefaultConfig(), date(2023, 6, 1), date(2023, 6, 9))
	if err != nil {
		tb.Fatal(err)
	}
	return evs[len(evs)-1]
}

func TestEventRoundTrip(t *testing.T) {
	ev := sampleEvent(t)
	b, err := MarshalEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := MarshalEvent(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("re-marshalled event differs:\n%s\n%s", b, b2)
	}
	// Indented JSON is the same canonical form.
	var ind bytes.Buffer
	json.Indent(&ind, b, "", "  ")
	if _, err := UnmarshalEvent(ind.Bytes()); err != nil {
		t.Fatalf("UnmarshalEvent(indented)=%v", err)
	}
	for _, field := range []string{`"schema":"rotor.leadership.v1"`, `"regime":`, `"sectors_beaten":`, `"pct_off_low":`,
		`"zone_low":`, `"fingerprint":`, `"previous_regime":`, `"regime_changed":`, `"low_date":`, `"filled_days":[]`} {
		if !bytes.Contains(b, []byte(field)) {
			t.Fatalf("event JSON lacks %s", field)
		}
	}
	if bytes.Contains(b, []byte(`"signature"`)) {
		t.Fatalf("unsigned event JSON has a signature field")
	}
}

func TestUnmarshalEventStrict(t *testing.T) {
	b, err := MarshalEvent(sampleEvent(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	tests := []struct {
		name string
		data string
		want error // nil: any error
	}{
		{"unknown field", strings.Replace(s, `{"schema"`, `{"extra":1,"schema"`, 1), nil},
		{"a field left out", strings.Replace(s, `"regime_changed":false,`, ``, 1), ErrNotCanonical},
		{"fields reordered", strings.Replace(strings.Replace(s, `"schema":"rotor.leadership.v1","id"`, `"id"`, 1), `"as_of"`, `"schema":"rotor.leadership.v1","as_of"`, 1), ErrNotCanonical},
		{"a number spelt differently", strings.Replace(s, `"threshold":0.5`, `"threshold":0.50`, 1), ErrNotCanonical},
		{"trailing data", s + `{}`, nil},
		{"a bad value", strings.Replace(s, `"schema":"rotor.leadership.v1"`, `"schema":"rotor.leadership.v0"`, 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.data == s {
				t.Fatalf("the test did not change the JSON")
			}
			_, err := UnmarshalEvent([]byte(tt.data))
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("UnmarshalEvent=%v, want %v", err, tt.want)
			}
		})
	}
}

func TestEventValidate(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(e *Event)
	}{
		{"schema", func(e *Event) { e.Schema = "rotor.leadership.v2" }},
		{"id", func(e *Event) { e.ID = "xyz" }},
		{"as_of", func(e *Event) { e.AsOf = "2023-13-01" }},
		{"regime", func(e *Event) { e.Regime = "bull" }},
		{"regime_changed", func(e *Event) { e.RegimeChanged = !e.RegimeChanged }},
		{"score", func(e *Event) { e.Score = 1.5 }},
		{"score", func(e *Event) { e.Score = math.NaN() }},
		{"score", func(e *Event) { e.Score += 0.01 }},
		{"score_parts.breadth", func(e *Event) { e.ScoreParts.Breadth = 0.1 }},
		{"relative_strength.sectors_beaten", func(e *Event) { e.RelativeStrength.SectorsBeaten-- }},
		{"relative_strength.sectors_total", func(e *Event) { e.RelativeStrength.SectorsTotal++ }},
		{"relative_strength.sectors.XLK.spread", func(e *Event) {
			s := e.RelativeStrength.Sectors["XLK"]
			s.Spread += 0.001
			e.RelativeStrength.Sectors["XLK"] = s
		}},
		{"relative_strength.sectors.XLK.return", func(e *Event) {
			s := e.RelativeStrength.Sectors["XLK"]
			s.Return = math.Inf(1)
			e.RelativeStrength.Sectors["XLK"] = s
		}},
		{"relative_strength.missing", func(e *Event) { e.RelativeStrength.Missing = nil }},
		{"microcap.thrust", func(e *Event) { e.Microcap.Thrust = !e.Microcap.Thrust }},
		{"microcap.pct_off_low", func(e *Event) { e.Microcap.PctOffLow *= 1.01 }},
		{"microcap.low_date", func(e *Event) { e.Microcap.LowDate = "2030-01-01" }},
		{"resistance.status", func(e *Event) { e.Resistance.Status = "sideways" }},
		{"resistance.zone_high", func(e *Event) { e.Resistance.ZoneHigh = e.Resistance.ZoneLow / 2 }},
		{"hysteresis.pending_days", func(e *Event) { e.Hysteresis.Pending, e.Hysteresis.PendingDays = Lagging, 5 }},
		{"inputs.fingerprint", func(e *Event) { e.Inputs.Fingerprint = "abc" }},
		{"inputs.config", func(e *Event) { e.Inputs.Config.Lookback = 0 }},
		{"inputs.symbols.IWM.bars", func(e *Event) {
			s := e.Inputs.Symbols["IWM"]
			s.Bars = 0
			e.Inputs.Symbols["IWM"] = s
		}},
		{"inputs.previous_regime", func(e *Event) { e.Inputs.PreviousRegime = Lagging }},
	}
	if err := sampleEvent(t).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			ev := sampleEvent(t)
			tt.mutate(&ev)
			err := ev.Validate()
			if err == nil {
				t.Fatalf("Validate()=nil, want an error naming %s", tt.field)
			}
			if !strings.Contains(err.Error(), "field "+tt.field) {
				t.Fatalf("Validate()=%q, want it to name field %s", err, tt.field)
			}
		})
	}
}
