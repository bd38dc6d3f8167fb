package signals

// Microcap is the event's micro-cap thrust section.
type Microcap struct {
	// Symbol is the micro-cap fund (IWC).
	Symbol string `json:"symbol"`
	// Low is the lowest close of the window, and LowDate its day (the
	// earliest, if the low repeats).
	Low     float64 `json:"low"`
	LowDate string  `json:"low_date"`
	// Close is the close on the as-of day.
	Close float64 `json:"close"`
	// PctOffLow is Close/Low-1, never negative since the window ends at T.
	PctOffLow float64 `json:"pct_off_low"`
	// Thrust reports PctOffLow >= Threshold.
	Thrust bool `json:"thrust"`
	// WindowDays is the window length in trading days, ending at T.
	WindowDays int `json:"window_days"`
	// Threshold is the configured ThrustThreshold.
	Threshold float64 `json:"threshold"`
	// Missing is true when the micro-cap had no usable data and
	// Config.MicrocapOptional let the evaluation go on without it: the
	// prices are then 0, Thrust false, and Reason says why.
	Missing bool   `json:"missing"`
	Reason  string `json:"reason"`
}

// PctOffLow returns the lowest of closes[t-window+1..t], the index of its
// first occurrence, and closes[t]/low-1. The caller keeps t-window+1 ≥ 0.
func PctOffLow(closes []float64, t, window int) (low float64, lowIdx int, pct float64) {
	lowIdx = t - window + 1
	low = closes[lowIdx]
	for i := lowIdx + 1; i <= t; i++ {
		if closes[i] < low {
			low, lowIdx = closes[i], i
		}
	}
	return low, lowIdx, closes[t]/low - 1
}
