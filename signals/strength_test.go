package signals

import (
	"slices"
	"testing"
)

func TestRelativeStrength(t *testing.T) {
	// IWM rises 20% over the lookback; each sector by the given percentage
	// (100 → 100+pct), so the spreads are known by construction.
	tests := []struct {
		name       string
		sectors    map[string]float64 // sector → close at T (from 100)
		wantBeaten int
	}{
		{"all beaten", map[string]float64{"XLB": 110, "XLC": 111, "XLE": 112, "XLF": 113, "XLI": 114, "XLK": 115,
			"XLP": 116, "XLRE": 117, "XLU": 118, "XLV": 119, "XLY": 110}, 11},
		{"10 to 25 percent", map[string]float64{"XLB": 110, "XLC": 112, "XLE": 114, "XLF": 116, "XLI": 118, "XLK": 125,
			"XLP": 119, "XLRE": 121, "XLU": 111, "XLV": 113, "XLY": 122}, 8},
		{"a tie is not beaten", map[string]float64{"XLB": 120, "XLC": 100, "XLE": 100, "XLF": 100, "XLI": 100, "XLK": 100,
			"XLP": 100, "XLRE": 100, "XLU": 100, "XLV": 100, "XLY": 100}, 10},
		{"none beaten", map[string]float64{"XLB": 130, "XLC": 131, "XLE": 132, "XLF": 133, "XLI": 134, "XLK": 135,
			"XLP": 136, "XLRE": 137, "XLU": 138, "XLV": 139, "XLY": 121}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dates, series := universe()
			T := len(dates) - 1
			for s, end := range tt.sectors {
				series[s] = mkSeries(s, dates, ramp(T-63, T, 100, end))
			}
			ev := evalLast(t, series, DefaultConfig(), dates[T])
			rs := ev.RelativeStrength
			end, base := 120.0, 100.0
			wantBench := end/base - 1
			if got, want := rs.BenchmarkReturn, wantBench; got != want {
				t.Fatalf("benchmark_return=%v, want %v", got, want)
			}
			if got, want := rs.From, dates[T-63].Format("2006-01-02"); got != want {
				t.Fatalf("from=%v, want %v", got, want)
			}
			sum := 0.0
			for _, s := range DefaultSectors() {
				wantRet := tt.sectors[s]/100 - 1
				got := rs.Sectors[s]
				if got.Return != wantRet || got.Spread != wantBench-wantRet {
					t.Fatalf("%s=%+v, want return %v spread %v", s, got, wantRet, wantBench-wantRet)
				}
				sum += wantBench - wantRet
			}
			if got, want := rs.SectorsBeaten, tt.wantBeaten; got != want {
				t.Fatalf("sectors_beaten=%d, want %d", got, want)
			}
			if got, want := rs.SectorsTotal, 11; got != want {
				t.Fatalf("sectors_total=%d, want %d", got, want)
			}
			if got, want := rs.BeatsAll, tt.wantBeaten == 11; got != want {
				t.Fatalf("beats_all=%v, want %v", got, want)
			}
			if got, want := rs.MeanSpread, sum/11; got != want {
				t.Fatalf("mean_spread=%v, want %v", got, want)
			}
		})
	}
}

func TestMissingSectorIsNotBeaten(t *testing.T) {
	dates, series := universe()
	T := len(dates) - 1
	// XLC lists 30 days before T, after the lookback starts: missing. It
	// rises less than IWM, so it would have been "beaten" if counted.
	series["XLC"] = mkSeries("XLC", dates[T-30:], flat(100))
	ev := evalLast(t, series, DefaultConfig(), dates[T])
	rs := ev.RelativeStrength
	if got, want := rs.Missing, []string{"XLC"}; !slices.Equal(got, want) {
		t.Fatalf("missing=%v, want %v", got, want)
	}
	if _, ok := rs.Sectors["XLC"]; ok {
		t.Fatalf("XLC is in sectors: %+v", rs.Sectors)
	}
	if got, want := rs.SectorsTotal, 10; got != want {
		t.Fatalf("sectors_total=%d, want %d", got, want)
	}
	if got, want := rs.SectorsBeaten, 10; got != want {
		t.Fatalf("sectors_beaten=%d, want %d", got, want)
	}
	if !rs.BeatsAll {
		t.Fatalf("beats_all=false; a missing sector must not block leadership")
	}
	if _, ok := ev.Inputs.Symbols["XLC"]; ok {
		t.Fatalf("inputs.symbols lists XLC, whose closes were not used")
	}
	// A sector with a bar exactly on the first day of the lookback counts.
	series["XLC"] = mkSeries("XLC", dates[T-63:], flat(100))
	if got, want := evalLast(t, series, DefaultConfig(), dates[T]).RelativeStrength.SectorsTotal, 11; got != want {
		t.Fatalf("sectors_total=%d with XLC listed on the lookback's first day, want %d", got, want)
	}
}

func TestSpreads(t *testing.T) {
	spreads := make([]float64, 3)
	beaten, mean := Spreads(0.1, []float64{0.05, 0.1, 0.2}, spreads)
	if got, want := beaten, 1; got != want {
		t.Fatalf("beaten=%d, want %d", got, want)
	}
	if got, want := spreads, []float64{0.1 - 0.05, 0, 0.1 - 0.2}; !slices.Equal(got, want) {
		t.Fatalf("spreads=%v, want %v", got, want)
	}
	if got, want := mean, ((0.1-0.05)+0+(0.1-0.2))/3; got != want {
		t.Fatalf("mean=%v, want %v", got, want)
	}
}
