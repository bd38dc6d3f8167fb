package signals

// SectorStrength is the benchmark against one sector over the lookback.
type SectorStrength struct {
	// Return is the sector's return, close[T]/close[T-lookback]-1.
	Return float64 `json:"return"`
	// Spread is the benchmark's return minus the sector's; the benchmark
	// beats the sector when it is positive.
	Spread float64 `json:"spread"`
}

// RelativeStrength is the event's relative-strength section: the
// small-cap proxy's return over the lookback against each sector fund's.
type RelativeStrength struct {
	// LookbackDays is the window in trading days.
	LookbackDays int `json:"lookback_days"`
	// From is the day the window starts (T-lookback); the window ends on the
	// event's as_of.
	From string `json:"from"`
	// Benchmark is the small-cap proxy.
	Benchmark string `json:"benchmark"`
	// BenchmarkReturn is close[T]/close[T-lookback]-1 of the benchmark.
	BenchmarkReturn float64 `json:"benchmark_return"`
	// Sectors holds every sector that has data, by symbol.
	Sectors map[string]SectorStrength `json:"sectors"`
	// SectorsBeaten counts the positive spreads.
	SectorsBeaten int `json:"sectors_beaten"`
	// SectorsTotal counts the sectors with data (len(Sectors)).
	SectorsTotal int `json:"sectors_total"`
	// Missing lists, sorted, the configured sectors without a bar on the
	// day the window starts (not listed yet, as XLC before 2018-06-19).
	// They count neither as beaten nor in SectorsTotal.
	Missing []string `json:"missing"`
	// MeanSpread is the mean of the spreads.
	MeanSpread float64 `json:"mean_spread"`
	// BeatsAll reports SectorsBeaten == SectorsTotal: the leadership
	// condition of DESIGN.md.
	BeatsAll bool `json:"beats_all"`
}

// Return is the simple return of closes over lookback days ending at t:
// closes[t]/closes[t-lookback]-1. The caller keeps t-lookback ≥ 0.
func Return(closes []float64, t, lookback int) float64 {
	return closes[t]/closes[t-lookback] - 1
}

// Spreads fills spreads with benchReturn minus each of sectorReturns and
// returns how many are positive and their mean (0 when there are none).
// spreads must have the length of sectorReturns.
func Spreads(benchReturn float64, sectorReturns, spreads []float64) (beaten int, mean float64) {
	for i, r := range sectorReturns {
		s := benchReturn - r
		spreads[i] = s
		if s > 0 {
			beaten++
		}
		mean += s
	}
	if len(sectorReturns) > 0 {
		mean /= float64(len(sectorReturns))
	}
	return beaten, mean
}
