package signals

import "math"

// Status is where a price stands against a resistance zone.
type Status string

// The resistance statuses.
const (
	// Below: close < zone_low·(1-band).
	Below Status = "below"
	// Inside: zone_low·(1-band) ≤ close ≤ zone_high·(1+band), edges
	// included.
	Inside Status = "inside"
	// Above: close > zone_high·(1+band).
	Above Status = "above"
	// Unavailable: a fixed-dates window that has not ended before the
	// as-of day (using it would look ahead); the zone is then 0 and the
	// score counts the resistance as neutral.
	Unavailable Status = "unavailable"
)

// Window is a span of trading days, both included, as YYYY-MM-DD.
type Window struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Resistance is the event's resistance section: the benchmark's close
// against the zone of the highest closes of a reference window.
type Resistance struct {
	// ZoneLow is the TopK-th highest close of the window, ZoneHigh the
	// highest.
	ZoneLow  float64 `json:"zone_low"`
	ZoneHigh float64 `json:"zone_high"`
	// TopK is the configured k.
	TopK int `json:"top_k"`
	// Close is the benchmark's close on the as-of day.
	Close float64 `json:"close"`
	// Status is below, inside or above (or unavailable).
	Status Status `json:"status"`
	// Band is the configured ResistanceBand.
	Band float64 `json:"band"`
	// Window is the first and last day of the closes the zone comes from
	// (the configured dates when unavailable).
	Window Window `json:"window"`
}

// Zone returns the k-th highest and the highest of closes (k ≥ 1; if
// closes has fewer than k values, the lowest of them).
func Zone(closes []float64, k int) (low, high float64) {
	var small [16]float64
	top := small[:0] // the k highest so far, descending
	if k > len(small) {
		top = make([]float64, 0, k)
	}
	for _, v := range closes {
		if len(top) == k && v <= top[k-1] {
			continue
		}
		if len(top) < k {
			top = append(top, v)
		} else {
			top[k-1] = v
		}
		for i := len(top) - 1; i > 0 && top[i] > top[i-1]; i-- {
			top[i], top[i-1] = top[i-1], top[i]
		}
	}
	if len(top) == 0 {
		return math.NaN(), math.NaN()
	}
	return top[len(top)-1], top[0]
}

// Classify says where close stands against the zone [low, high] widened by
// band on both sides.
func Classify(close, low, high, band float64) Status {
	switch {
	case close < low*(1-band):
		return Below
	case close > high*(1+band):
		return Above
	}
	return Inside
}

// zoneWindow is a resistance window of the panel, as calendar indices, and
// its zone.
type zoneWindow struct {
	a, b      int // the window; b < a when it is empty
	low, high float64
	ok        bool // false: not available (see Unavailable)
}

// fixedWindow finds the dates-mode window on the calendar and its zone.
func (p *Panel) fixedWindow() *zoneWindow {
	from, to := p.cfg.Resistance.From, p.cfg.Resistance.To
	w := &zoneWindow{a: -1, b: -2}
	for i, d := range p.days {
		if d >= from && d <= to {
			if w.a < 0 {
				w.a = i
			}
			w.b = i
		}
	}
	if w.a >= 0 {
		w.low, w.high = Zone(p.bench.closes[w.a:w.b+1], p.cfg.Resistance.TopK)
		w.ok = true
	}
	return w
}
