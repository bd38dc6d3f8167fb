package signals

// ScoreParts are the four components of the score, each in [0,1]:
//
//	breadth    = sectors_beaten / sectors_total
//	strength   = clamp(0.5 + mean_spread / (2·spread_scale), 0, 1)
//	thrust     = clamp(pct_off_low / thrust_threshold, 0, 1)   (0 if the micro-cap is missing)
//	resistance = 0 below, 0.5 inside, 1 above the zone           (0.5 if unavailable)
//
// and score = Σ weight·part, clamped to [0,1] against rounding. Breadth is
// the core of the leadership claim; strength says by how much (a mean
// spread of +spread_scale or more is full strength, 0 is half, and
// -spread_scale or less is none); thrust is the progress of the micro-cap
// thrust, reaching 1 at the thrust itself; resistance rewards a benchmark
// that has cleared its old highs. Every part is a ratio of prices, so
// scaling all prices leaves the score unchanged.
type ScoreParts struct {
	Breadth    float64 `json:"breadth"`
	Strength   float64 `json:"strength"`
	Thrust     float64 `json:"thrust"`
	Resistance float64 `json:"resistance"`
}

// Parts computes the score's components from the measures.
func Parts(beaten, total int, meanSpread, spreadScale float64, pctOffLow, threshold float64, microMissing bool, status Status) ScoreParts {
	var p ScoreParts
	if total > 0 {
		p.Breadth = float64(beaten) / float64(total)
	}
	p.Strength = clamp01(0.5 + meanSpread/(2*spreadScale))
	if !microMissing {
		p.Thrust = clamp01(pctOffLow / threshold)
	}
	switch status {
	case Below:
		p.Resistance = 0
	case Above:
		p.Resistance = 1
	default: // Inside, Unavailable
		p.Resistance = 0.5
	}
	return p
}

// Score weighs the parts into a number in [0,1].
func Score(p ScoreParts, w Weights) float64 {
	return clamp01(w.Breadth*p.Breadth + w.Strength*p.Strength + w.Thrust*p.Thrust + w.Resistance*p.Resistance)
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }
