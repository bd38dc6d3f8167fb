package signals

import (
	"bytes"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

func TestReplayCarriesState(t *testing.T) {
	evs, err := Replay(genUniverse(), DefaultConfig(), date(2022, 1, 1), date(2024, 6, 30))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(evs), len(marketdata.TradingDays(date(2022, 1, 1), date(2024, 6, 30))); got != want {
		t.Fatalf("%d events, want one per trading day, %d", got, want)
	}
	ids := map[string]bool{}
	seen := map[Regime]bool{}
	for i, ev := range evs {
		if err := ev.Validate(); err != nil {
			t.Fatalf("event %s: %v", ev.AsOf, err)
		}
		if ids[ev.ID] {
			t.Fatalf("event %s: duplicate id %s", ev.AsOf, ev.ID)
		}
		ids[ev.ID] = true
		seen[ev.Regime] = true
		if i == 0 {
			if ev.PreviousRegime != "" || ev.Inputs.PreviousState != nil {
				t.Fatalf("first event has a previous state: %+v", ev.Inputs.PreviousState)
			}
			continue
		}
		if got, want := *ev.Inputs.PreviousState, evs[i-1].State(); got != want {
			t.Fatalf("event %s: previous_state=%+v, want %+v", ev.AsOf, got, want)
		}
	}
	// The 2023 episode makes leadership; the years around it hold the rest.
	for _, r := range []Regime{Leadership, Neutral, Lagging} {
		if !seen[r] {
			t.Fatalf("no %s day in the replay", r)
		}
	}
	var in2023 int
	for _, ev := range evs {
		if ev.Regime == Leadership && ev.AsOf >= "2023-04-01" && ev.AsOf <= "2023-09-01" {
			in2023++
		}
	}
	if in2023 < 80 {
		t.Fatalf("%d leadership days in the 2023 episode, want most of it", in2023)
	}
}

func TestReplayMatchesEvaluate(t *testing.T) {
	series := genUniverse()
	cfg := DefaultConfig()
	evs, err := Replay(series, cfg, date(2023, 5, 1), date(2023, 5, 31))
	if err != nil {
		t.Fatal(err)
	}
	// Evaluate of the last day with the replay's state before it gives the
	// same event, byte for byte.
	last := evs[len(evs)-1]
	p, err := Align(series, cfg, date(2023, 5, 31))
	if err != nil {
		t.Fatal(err)
	}
	prev := evs[len(evs)-2].State()
	ev, _, err := Evaluate(p, cfg, &prev)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := MarshalEvent(ev)
	b, _ := MarshalEvent(last)
	if !bytes.Equal(a, b) {
		t.Fatalf("Evaluate and Replay differ:\n%s\n%s", a, b)
	}
}

func TestDeterminism(t *testing.T) {
	var out [][]byte
	for range 2 {
		evs, err := Replay(genUniverse(), DefaultConfig(), date(2023, 6, 1), date(2023, 6, 30))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		for _, ev := range evs {
			b, err := MarshalEvent(ev)
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(b)
		}
		out = append(out, buf.Bytes())
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Fatalf("two replays of the same inputs differ")
	}
}

func TestPermutedSectorsChangeNothing(t *testing.T) {
	series := genUniverse()
	cfg := DefaultConfig()
	perm := cfg
	perm.Sectors = slices.Clone(cfg.Sectors)
	slices.Reverse(perm.Sectors)
	perm.Sectors[3], perm.Sectors[7] = perm.Sectors[7], perm.Sectors[3]
	a, err := Replay(series, cfg, date(2023, 6, 1), date(2023, 6, 30))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Replay(series, perm, date(2023, 6, 1), date(2023, 6, 30))
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		x, _ := MarshalEvent(a[i])
		y, _ := MarshalEvent(b[i])
		if !bytes.Equal(x, y) {
			t.Fatalf("%s: permuting the sectors changed the event:\n%s\n%s", a[i].AsOf, x, y)
		}
	}
}

// scaled returns every series with every price multiplied by k.
func scaled(series map[string]marketdata.Series, k float64) map[string]marketdata.Series {
	out := make(map[string]marketdata.Series, len(series))
	for sym, s := range series {
		bars := slices.Clone(s.Bars)
		for i := range bars {
			b := &bars[i]
			b.Open, b.High, b.Low, b.Close, b.AdjClose = b.Open*k, b.High*k, b.Low*k, b.Close*k, b.AdjClose*k
		}
		out[sym] = marketdata.Series{Symbol: sym, Bars: bars}
	}
	return out
}

// TestScalingChangesNoMeasure: returns, spreads, pct_off_low, statuses, the
// score and the regime are ratios of prices, so scaling every price leaves
// them unchanged. By a power of two (exact in floating point) they are
// bit-identical; by 3.7 they agree to rounding and every decision is the
// same. Price levels (lows, closes, the zone) scale, and so the
// fingerprint and the id change: the id identifies the data, not the
// verdict.
func TestScalingChangesNoMeasure(t *testing.T) {
	series := genUniverse()
	cfg := DefaultConfig()
	from, to := date(2022, 6, 1), date(2023, 12, 29)
	base, err := Replay(series, cfg, from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []float64{4, 0.125, 3.7} {
		evs, err := Replay(scaled(series, k), cfg, from, to)
		if err != nil {
			t.Fatal(err)
		}
		exact := k == 4 || k == 0.125
		eq := func(what string, a, b float64) {
			t.Helper()
			if exact && a != b || !exact && math.Abs(a-b) > 1e-9 {
				t.Fatalf("k=%v: %s=%v, unscaled %v", k, what, b, a)
			}
		}
		for i, e := range evs {
			b := base[i]
			if e.Regime != b.Regime || e.Hysteresis != b.Hysteresis || e.Resistance.Status != b.Resistance.Status ||
				e.Microcap.Thrust != b.Microcap.Thrust || e.Microcap.LowDate != b.Microcap.LowDate ||
				e.RelativeStrength.SectorsBeaten != b.RelativeStrength.SectorsBeaten {
				t.Fatalf("k=%v %s: a decision changed: %+v vs %+v", k, e.AsOf, e.Hysteresis, b.Hysteresis)
			}
			eq("score", b.Score, e.Score)
			eq("benchmark_return", b.RelativeStrength.BenchmarkReturn, e.RelativeStrength.BenchmarkReturn)
			eq("mean_spread", b.RelativeStrength.MeanSpread, e.RelativeStrength.MeanSpread)
			for s, ss := range b.RelativeStrength.Sectors {
				eq(s+".spread", ss.Spread, e.RelativeStrength.Sectors[s].Spread)
			}
			eq("pct_off_low", b.Microcap.PctOffLow, e.Microcap.PctOffLow)
			eq("zone_high/close", b.Resistance.ZoneHigh/b.Resistance.Close, e.Resistance.ZoneHigh/e.Resistance.Close)
			if e.Inputs.Fingerprint == b.Inputs.Fingerprint || e.ID == b.ID {
				t.Fatalf("k=%v %s: the fingerprint or id did not change with the prices", k, e.AsOf)
			}
		}
	}
}

func TestReplayStopsAtBadDay(t *testing.T) {
	series := genUniverse()
	s := series["IWC"]
	cut := slices.IndexFunc(s.Bars, func(b marketdata.Bar) bool { return !b.Date.Before(date(2023, 6, 14)) })
	s.Bars = s.Bars[:cut]
	series["IWC"] = s
	evs, err := Replay(series, DefaultConfig(), date(2023, 6, 1), date(2023, 6, 30))
	if err == nil {
		t.Fatalf("Replay past the end of IWC: no error")
	}
	if got, want := evs[len(evs)-1].AsOf, "2023-06-14"; got != want { // 06-14 is filled, 06-15 is not
		t.Fatalf("last event %s, want %s (err %v)", got, want, err)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	series := marketdata.Generate(marketdata.GenConfig{Seed: 1})
	cfg := DefaultConfig()
	p, err := Align(series, cfg, date(2026, 6, 30))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Evaluate(p, cfg, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplay10Years(b *testing.B) {
	series := marketdata.Generate(marketdata.GenConfig{Seed: 1})
	cfg := DefaultConfig()
	from, to := date(2016, 6, 30), date(2026, 6, 30)
	days := len(marketdata.TradingDays(from, to))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if _, err := Replay(series, cfg, from, to); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(days)*float64(b.N)/time.Since(start).Seconds(), "days/s")
}
