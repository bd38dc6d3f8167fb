package signals

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Defaults of DefaultConfig, from DESIGN.md ("The signal").
const (
	DefaultBenchmark         = "IWM"
	DefaultMicrocap          = "IWC"
	DefaultLookback          = 63
	DefaultMicrocapLowWindow = 252
	DefaultThrustThreshold   = 0.50
	DefaultResistanceTopK    = 5
	DefaultResistanceFrom    = "2021-01-01"
	DefaultResistanceTo      = "2022-12-31"
	DefaultRollingDays       = 252
	DefaultResistanceBand    = 0.03
	DefaultMaxStaleness      = 5
	DefaultMaxGap            = 1
	DefaultSpreadScale       = 0.10
)

// DefaultSectors returns the eleven S&P 500 Select Sector funds, sorted.
func DefaultSectors() []string {
	return []string{"XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"}
}

// Resistance window modes.
const (
	// ResistanceDates takes the zone from the benchmark's closes between two
	// fixed dates (default: the 2021–2022 highs).
	ResistanceDates = "dates"
	// ResistanceRolling takes the zone from the RollingDays trading days that
	// end the day before the relative-strength lookback starts, so the zone
	// never overlaps the move being measured.
	ResistanceRolling = "rolling"
)

// ResistanceConfig says where the resistance zone comes from. The zone is
// [the TopK-th highest close, the highest close] of the benchmark in the
// window.
type ResistanceConfig struct {
	// Mode is ResistanceDates or ResistanceRolling.
	Mode string `json:"mode"`
	// From and To bound the window in ResistanceDates mode, both included,
	// as YYYY-MM-DD; ignored (and recorded empty) in rolling mode.
	From string `json:"from"`
	To   string `json:"to"`
	// RollingDays is the window length in ResistanceRolling mode; 0 in
	// dates mode.
	RollingDays int `json:"rolling_days"`
	// TopK picks the zone's low: the TopK-th highest close in the window.
	TopK int `json:"top_k"`
}

// RegimeConfig holds the thresholds of the regime's hysteresis (see
// regime.go for the rule). The score thresholds nest:
// 0 ≤ EnterLagging < ExitLagging ≤ ExitLeadership < EnterLeadership ≤ 1,
// so the bands in which a regime is kept are wider than those in which it
// is entered.
type RegimeConfig struct {
	// EnterLeadership is the score a day needs (with every sector that has
	// data beaten) to count toward entering leadership.
	EnterLeadership float64 `json:"enter_leadership"`
	// ExitLeadership: in leadership, a day with a score below it counts
	// toward leaving.
	ExitLeadership float64 `json:"exit_leadership"`
	// EnterLagging is the score at or below which a day counts toward
	// entering lagging.
	EnterLagging float64 `json:"enter_lagging"`
	// ExitLagging: in lagging, a day with a score above it counts toward
	// leaving.
	ExitLagging float64 `json:"exit_lagging"`
	// MinDays is how many consecutive trading days the condition for a
	// change must hold before the regime changes (1 = at once).
	MinDays int `json:"min_days"`
}

// Weights are the score's weights; they are non-negative and sum to 1.
type Weights struct {
	// Breadth weighs the fraction of sectors beaten.
	Breadth float64 `json:"breadth"`
	// Strength weighs the mean spread, squashed to [0,1].
	Strength float64 `json:"strength"`
	// Thrust weighs the micro-cap thrust's progress toward the threshold.
	Thrust float64 `json:"thrust"`
	// Resistance weighs where the benchmark stands against its zone.
	Resistance float64 `json:"resistance"`
}

// Config is everything the signal depends on besides the prices. It is
// recorded in every event (sectors sorted), and is part of the event id.
type Config struct {
	// Benchmark is the small-cap proxy whose trading days are the common
	// calendar: IWM by default; RUT or RTY where configured.
	Benchmark string `json:"benchmark"`
	// Sectors are the funds the benchmark must beat. Their order does not
	// matter: the event lists them sorted.
	Sectors []string `json:"sectors"`
	// Lookback is the relative-strength window in trading days: returns are
	// close[T]/close[T-Lookback]-1.
	Lookback int `json:"lookback_days"`
	// Microcap is the micro-cap fund of the thrust (IWC).
	Microcap string `json:"microcap"`
	// MicrocapLowWindow is how many trading days, ending at T, the
	// micro-cap's low is taken over.
	MicrocapLowWindow int `json:"microcap_low_window"`
	// MicrocapOptional, when true, reports a micro-cap without usable data
	// at T (too little history, a stale last bar) as missing, with no
	// thrust, instead of failing the evaluation. Off by default: a
	// signal should not quietly lose a leg.
	MicrocapOptional bool `json:"microcap_optional"`
	// ThrustThreshold is the pct_off_low that counts as a thrust.
	ThrustThreshold float64 `json:"thrust_threshold"`
	// Resistance says where the resistance zone comes from.
	Resistance ResistanceConfig `json:"resistance"`
	// ResistanceBand is the relative band around the zone that still counts
	// as inside: zone_low·(1-band) ≤ close ≤ zone_high·(1+band).
	ResistanceBand float64 `json:"resistance_band"`
	// UseAdjusted uses dividend-adjusted closes (Bar.AdjClose; equal to
	// Close where a file has none).
	UseAdjusted bool `json:"use_adjusted"`
	// MaxStaleness is how many calendar days a symbol's last bar may be
	// older than the as-of date.
	MaxStaleness int `json:"max_staleness_days"`
	// MaxGap is how many consecutive calendar days of the benchmark a symbol
	// may lack inside a window it is used over; each is filled with the
	// previous close and listed in the event. 0 allows no gap.
	MaxGap int `json:"max_gap_days"`
	// SpreadScale is the mean spread that maps to a strength of 1 (and its
	// negative to 0): strength = clamp(0.5 + mean/(2·SpreadScale), 0, 1).
	SpreadScale float64 `json:"spread_scale"`
	// Weights are the score's weights.
	Weights Weights `json:"weights"`
	// Regime holds the hysteresis thresholds.
	Regime RegimeConfig `json:"regime"`
}

// DefaultConfig returns the configuration of DESIGN.md.
func DefaultConfig() Config {
	return Config{
		Benchmark:         DefaultBenchmark,
		Sectors:           DefaultSectors(),
		Lookback:          DefaultLookback,
		Microcap:          DefaultMicrocap,
		MicrocapLowWindow: DefaultMicrocapLowWindow,
		ThrustThreshold:   DefaultThrustThreshold,
		Resistance: ResistanceConfig{
			Mode: ResistanceDates,
			From: DefaultResistanceFrom,
			To:   DefaultResistanceTo,
			TopK: DefaultResistanceTopK,
		},
		ResistanceBand: DefaultResistanceBand,
		UseAdjusted:    true,
		MaxStaleness:   DefaultMaxStaleness,
		MaxGap:         DefaultMaxGap,
		SpreadScale:    DefaultSpreadScale,
		Weights:        Weights{Breadth: 0.4, Strength: 0.2, Thrust: 0.3, Resistance: 0.1},
		Regime: RegimeConfig{
			EnterLeadership: 0.70,
			ExitLeadership:  0.50,
			EnterLagging:    0.30,
			ExitLagging:     0.45,
			MinDays:         2,
		},
	}
}

// MinHistory is how many bars of the benchmark, up to and including the
// as-of day, an evaluation needs: Lookback+1 closes for the return, plus
// the rolling resistance window before them. The micro-cap needs
// MicrocapLowWindow bars of its own; sectors need a bar on the day the
// lookback starts (or they are missing).
func (c Config) MinHistory() int {
	n := c.Lookback + 1
	if c.Resistance.Mode == ResistanceRolling {
		n += c.Resistance.RollingDays
	}
	return n
}

// Validate reports the first setting that is out of range, naming its key
// (as in the event's inputs.config) and the allowed values.
func (c Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("signals: config %s: %s", key, fmt.Sprintf(format, args...))
	}
	if !validSymbol(c.Benchmark) {
		return bad("benchmark", "%q is not a symbol (letters, digits, '.', '-', '=')", c.Benchmark)
	}
	if !validSymbol(c.Microcap) {
		return bad("microcap", "%q is not a symbol (letters, digits, '.', '-', '=')", c.Microcap)
	}
	if c.Microcap == c.Benchmark {
		return bad("microcap", "%q is also the benchmark", c.Microcap)
	}
	if len(c.Sectors) == 0 {
		return bad("sectors", "empty; want at least one sector fund")
	}
	seen := make(map[string]bool, len(c.Sectors))
	for _, s := range c.Sectors {
		switch {
		case !validSymbol(s):
			return bad("sectors", "%q is not a symbol", s)
		case seen[s]:
			return bad("sectors", "%s is listed twice", s)
		case s == c.Benchmark || s == c.Microcap:
			return bad("sectors", "%s is also the benchmark or the micro-cap", s)
		}
		seen[s] = true
	}
	if c.Lookback < 1 {
		return bad("lookback_days", "%d; want at least 1", c.Lookback)
	}
	if c.MicrocapLowWindow < 1 {
		return bad("microcap_low_window", "%d; want at least 1", c.MicrocapLowWindow)
	}
	if !(c.ThrustThreshold > 0) || math.IsInf(c.ThrustThreshold, 0) {
		return bad("thrust_threshold", "%v; want a fraction > 0 (0.5 = 50%% off the low)", c.ThrustThreshold)
	}
	r := c.Resistance
	switch r.Mode {
	case ResistanceDates:
		from, err1 := time.Parse(time.DateOnly, r.From)
		to, err2 := time.Parse(time.DateOnly, r.To)
		switch {
		case err1 != nil:
			return bad("resistance.from", "%q is not a YYYY-MM-DD date", r.From)
		case err2 != nil:
			return bad("resistance.to", "%q is not a YYYY-MM-DD date", r.To)
		case to.Before(from):
			return bad("resistance.to", "%s is before resistance.from %s", r.To, r.From)
		case r.RollingDays != 0:
			return bad("resistance.rolling_days", "%d; want 0 in mode %q", r.RollingDays, ResistanceDates)
		}
	case ResistanceRolling:
		switch {
		case r.RollingDays < 1:
			return bad("resistance.rolling_days", "%d; want at least 1 in mode %q", r.RollingDays, ResistanceRolling)
		case r.From != "" || r.To != "":
			return bad("resistance.from", "want from and to empty in mode %q", ResistanceRolling)
		}
	default:
		return bad("resistance.mode", "%q; want %q or %q", r.Mode, ResistanceDates, ResistanceRolling)
	}
	if r.TopK < 1 {
		return bad("resistance.top_k", "%d; want at least 1", r.TopK)
	}
	if r.Mode == ResistanceRolling && r.TopK > r.RollingDays {
		return bad("resistance.top_k", "%d is more than the %d rolling days", r.TopK, r.RollingDays)
	}
	if !(c.ResistanceBand >= 0 && c.ResistanceBand < 1) {
		return bad("resistance_band", "%v; want a fraction in [0, 1)", c.ResistanceBand)
	}
	if c.MaxStaleness < 0 {
		return bad("max_staleness_days", "%d; want 0 or more calendar days", c.MaxStaleness)
	}
	if c.MaxGap < 0 {
		return bad("max_gap_days", "%d; want 0 or more trading days", c.MaxGap)
	}
	if !(c.SpreadScale > 0) || math.IsInf(c.SpreadScale, 0) {
		return bad("spread_scale", "%v; want a fraction > 0", c.SpreadScale)
	}
	w := c.Weights
	for _, p := range [...]struct {
		key string
		v   float64
	}{{"weights.breadth", w.Breadth}, {"weights.strength", w.Strength}, {"weights.thrust", w.Thrust}, {"weights.resistance", w.Resistance}} {
		if !(p.v >= 0 && p.v <= 1) {
			return bad(p.key, "%v; want a weight in [0, 1]", p.v)
		}
	}
	if sum := w.Breadth + w.Strength + w.Thrust + w.Resistance; math.Abs(sum-1) > 1e-9 {
		return bad("weights", "sum to %v; want 1", sum)
	}
	g := c.Regime
	for _, p := range [...]struct {
		key string
		v   float64
	}{{"regime.enter_lagging", g.EnterLagging}, {"regime.exit_lagging", g.ExitLagging},
		{"regime.exit_leadership", g.ExitLeadership}, {"regime.enter_leadership", g.EnterLeadership}} {
		if !(p.v >= 0 && p.v <= 1) {
			return bad(p.key, "%v; want a score in [0, 1]", p.v)
		}
	}
	if !(g.EnterLagging < g.ExitLagging && g.ExitLagging <= g.ExitLeadership && g.ExitLeadership < g.EnterLeadership) {
		return bad("regime", "enter_lagging %v, exit_lagging %v, exit_leadership %v, enter_leadership %v; "+
			"want enter_lagging < exit_lagging <= exit_leadership < enter_leadership",
			g.EnterLagging, g.ExitLagging, g.ExitLeadership, g.EnterLeadership)
	}
	if g.MinDays < 1 {
		return bad("regime.min_days", "%d; want at least 1", g.MinDays)
	}
	return nil
}

// canonical returns c as events record it: sectors sorted, so the order
// they were configured in changes neither the event nor its id.
func (c Config) canonical() Config {
	c.Sectors = slices.Sorted(slices.Values(c.Sectors))
	return c
}

// validSymbol reports whether s looks like a ticker, the way marketdata's
// file names do.
func validSymbol(s string) bool {
	if s == "" {
		return false
	}
	return !strings.ContainsFunc(s, func(c rune) bool {
		return !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '=')
	})
}
