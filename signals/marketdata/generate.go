package marketdata

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// GenConfig says what Generate produces.
type GenConfig struct {
	// Seed picks the path. The same GenConfig gives bit-identical output on
	// every platform and Go version that keeps math/rand/v2's PCG.
	Seed int64
	// Start and End bound the trading days generated, both included. Zero
	// values mean 2015-01-02 and 2026-06-30, the span of the real data.
	Start, End time.Time
	// Symbols to generate; nil or empty means Universe(). A symbol outside
	// the universe gets a generic fund at about 100 with market beta 1.
	// A symbol's series does not depend on which other symbols are asked
	// for.
	Symbols []string
	// Leadership, if set, adds a small-cap leadership episode.
	Leadership *Episode
}

// Episode is a stretch of small-cap leadership, for demos and tests of the
// leadership signal: from Start to End (both included) the small-cap factor
// drifts up by Strength per 63 trading days, so the Russell 2000 (RUT, IWM)
// pulls away from every sector fund, and micro-caps (IWC) take 1.25 times
// that drift and thrust well off their lows.
//
// At the default strength, over the last 63 days of a 126-day episode IWM
// beats all eleven sector funds for about 99.5% of seeds (a sector's own
// rally or a market crash that spares low-beta sectors can still win), and
// IWC ends more than 50% off its 252-day low for all of a thousand seeds
// tried.
type Episode struct {
	// Start and End bound the episode, both included.
	Start, End time.Time
	// Strength is the extra return of the small-cap factor over each 63
	// trading days of the episode, as a fraction spread evenly over the
	// days: 0.4 (the default, used when Strength is 0) lifts small caps
	// about 49% over a 63-day window relative to where they would be, and
	// IWC about 65%. A negative Strength makes small caps lag instead.
	Strength float64
}

// DefaultLeadershipStrength is the Episode.Strength used when it is 0.
const DefaultLeadershipStrength = 0.4

// Universe returns the symbols of the signal universe, in a fixed order:
// the small-cap proxies, the S&P 500 proxy, the eleven Select Sector funds,
// then the Russell 2000 and S&P 500 indices (^RUT and ^GSPC).
func Universe() []string {
	return []string{"IWM", "IWC", "SPY",
		"XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY",
		"RUT", "GSPC"}
}

// profile is how one symbol loads on the generator's factors.
type profile struct {
	symbol  string
	level   float64 // close on anchorDay
	beta    float64 // loading on the market factor
	small   float64 // loading on the small-cap factor
	episode float64 // loading on the leadership drift
	idio    float64 // daily sd of the symbol's own noise, in calm markets
	volume  float64 // typical shares a day
	// A tracking fund is ratio × its index, off by a small mean-reverting
	// tracking error (IWM ≈ RUT/10, SPY ≈ GSPC/10).
	tracks string
	ratio  float64
}

// profiles returns the known symbols, indices before the funds that track
// them, so one pass in this order can build every series.
func profiles() []profile {
	return []profile{
		{symbol: "GSPC", level: 6500, beta: 1, idio: 0.001, volume: 4e9},
		{symbol: "RUT", level: 2400, beta: 1.1, small: 1, episode: 1, idio: 0.0025, volume: 1e9},
		{symbol: "SPY", tracks: "GSPC", ratio: 0.0997, volume: 70e6},
		{symbol: "IWM", tracks: "RUT", ratio: 0.0993, volume: 30e6},
		{symbol: "IWC", level: 150, beta: 1.15, small: 1.3, episode: 1.25, idio: 0.007, volume: 40e3},
		{symbol: "XLB", level: 46, beta: 1.05, idio: 0.008, volume: 8e6},
		{symbol: "XLC", level: 115, beta: 1, idio: 0.008, volume: 5e6},
		{symbol: "XLE", level: 46, beta: 0.9, idio: 0.014, volume: 20e6},
		{symbol: "XLF", level: 54, beta: 1.1, idio: 0.008, volume: 40e6},
		{symbol: "XLI", level: 158, beta: 1.05, idio: 0.006, volume: 10e6},
		{symbol: "XLK", level: 144, beta: 1.2, idio: 0.008, volume: 9e6},
		{symbol: "XLP", level: 78, beta: 0.6, idio: 0.007, volume: 11e6},
		{symbol: "XLRE", level: 40, beta: 0.85, idio: 0.009, volume: 7e6},
		{symbol: "XLU", level: 43, beta: 0.55, idio: 0.009, volume: 14e6},
		{symbol: "XLV", level: 155, beta: 0.75, idio: 0.007, volume: 10e6},
		{symbol: "XLY", level: 118, beta: 1.15, idio: 0.007, volume: 5e6},
	}
}

// genericProfile is the profile of a symbol outside the universe.
func genericProfile(symbol string) profile {
	return profile{symbol: symbol, level: 100, beta: 1, idio: 0.008, volume: 1e6}
}

// The factor model. Daily simple returns:
//
//	market  m = marketDrift + sd·z,  sd from a GARCH(1,1) (volatility clusters)
//	small   s = smallDrift + smallVol·(sd/marketVol)·z
//	episode e = Strength/63 on the days of a leadership episode, else 0
//	symbol  r = beta·m + small·s + episode·e + idio·(sd/marketVol)·z
//
// with an independent z each time. A tracking fund copies its index's bars
// instead. Prices are anchored so each symbol's close on anchorDay is its
// profile level (extrapolated at the expected drift when anchorDay is
// outside the range), which keeps levels realistic whatever the path.
const (
	marketDrift = 0.0003  // about 8% a year
	marketVol   = 0.01    // unconditional daily sd of the market factor
	garchAlpha  = 0.09    // weight of yesterday's shock
	garchBeta   = 0.89    // persistence of the variance
	smallDrift  = -0.0001 // small caps have lagged large caps for a decade
	smallVol    = 0.006
	trackingVol = 0.0004 // daily shock to a tracking fund's error
	trackingAR  = 0.9    // and how much of it survives a day
)

// anchorDay is the day the profile levels describe.
var anchorDay = time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC)

// Generate returns a synthetic daily history for cfg.Symbols on every NYSE
// trading day from cfg.Start to cfg.End: a correlated multi-asset random
// walk (a market factor with clustered volatility, a small-cap factor,
// sector noise) with consistent OHLC bars (low ≤ open, close ≤ high, prices
// in cents), positive whole-share volumes and AdjClose = Close. An empty
// range gives each symbol a Series with no bars.
//
// The output is a pure function of cfg: no clock, no map order, and
// arithmetic that cannot be fused differently by another CPU (see mul), so
// tests can pin it with a checksum.
func Generate(cfg GenConfig) map[string]Series {
	start, end := cfg.Start, cfg.End
	if start.IsZero() {
		start = time.Date(2015, time.January, 2, 0, 0, 0, 0, time.UTC)
	}
	if end.IsZero() {
		end = time.Date(2026, time.June, 30, 0, 0, 0, 0, time.UTC)
	}
	days := TradingDays(start, end)
	symbols := cfg.Symbols
	if len(symbols) == 0 {
		symbols = Universe()
	}

	// Which profiles to build, in dependency order: the known ones in
	// profiles() order (with the indices the requested funds track), then
	// the unknown ones in request order.
	known := profiles()
	want := make(map[string]bool, len(symbols))
	for _, s := range symbols {
		want[s] = true
	}
	need := make(map[string]bool, len(symbols))
	var build []profile
	for i := len(known) - 1; i >= 0; i-- { // funds come after their index
		p := known[i]
		if want[p.symbol] || need[p.symbol] {
			need[p.symbol] = true
			if p.tracks != "" {
				need[p.tracks] = true
			}
		}
	}
	for _, p := range known {
		if need[p.symbol] {
			build = append(build, p)
		}
	}
	for _, s := range symbols {
		if !need[s] {
			need[s] = true
			build = append(build, genericProfile(s))
		}
	}

	f := factors(cfg.Seed, days, cfg.Leadership)
	paths := make(map[string]*path, len(build))
	for _, p := range build {
		rng := rand.New(rand.NewPCG(uint64(cfg.Seed), symbolStream(p.symbol)))
		if p.tracks != "" {
			paths[p.symbol] = trackPath(p, paths[p.tracks], rng)
		} else {
			paths[p.symbol] = walk(p, f, days, rng)
		}
	}

	out := make(map[string]Series, len(symbols))
	for _, s := range symbols {
		out[s] = Series{Symbol: s, Bars: paths[s].bars(days)}
	}
	return out
}

// factorPath is the common part of every symbol's return, per day.
type factorPath struct {
	market, small, leadership []float64
	volMult                   []float64 // today's market sd / marketVol
}

func factors(seed int64, days []time.Time, ep *Episode) factorPath {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d61726b6574)) // "market"
	n := len(days)
	f := factorPath{
		market: make([]float64, n), small: make([]float64, n),
		leadership: make([]float64, n), volMult: make([]float64, n),
	}
	variance := marketVol * marketVol
	omega := marketVol * marketVol * (1 - garchAlpha - garchBeta)
	var lead float64
	if ep != nil {
		lead = ep.Strength
		if lead == 0 {
			lead = DefaultLeadershipStrength
		}
		lead /= 63
	}
	for i, d := range days {
		sd := math.Sqrt(variance) // correctly rounded everywhere, unlike Exp or Log
		vm := sd / marketVol
		shock := mul(sd, normal(rng))
		f.market[i] = marketDrift + shock
		f.small[i] = smallDrift + mul(mul(smallVol, vm), normal(rng))
		if ep != nil && !d.Before(dayOf(ep.Start)) && !d.After(dayOf(ep.End)) {
			f.leadership[i] = lead
		}
		f.volMult[i] = vm
		variance = omega + mul(garchAlpha, mul(shock, shock)) + mul(garchBeta, variance)
	}
	return f
}

// path is one symbol's OHLCV, per day, before rounding to cents.
type path struct {
	open, high, low, close []float64
	volume                 []float64
}

func newPath(n int) *path {
	return &path{open: make([]float64, n), high: make([]float64, n),
		low: make([]float64, n), close: make([]float64, n), volume: make([]float64, n)}
}

// walk builds a symbol that loads on the factors, scaled to its level.
func walk(p profile, f factorPath, days []time.Time, rng *rand.Rand) *path {
	n := len(f.market)
	out := newPath(n)
	// The symbol's typical daily sd, which scales its gaps and ranges.
	calm := math.Sqrt(mul(mul(p.beta, p.beta), marketVol*marketVol) +
		mul(mul(p.small, p.small), smallVol*smallVol) + mul(p.idio, p.idio))
	prev := 1.0
	for i := range n {
		vm := f.volMult[i]
		sd := mul(calm, vm)
		r := mul(p.beta, f.market[i]) + mul(p.small, f.small[i]) +
			mul(p.episode, f.leadership[i]) + mul(mul(p.idio, vm), normal(rng))
		r = min(max(r, -0.25), 0.25) // a guard; the model stays far inside it
		c := mul(prev, 1+r)
		// The open carries part of the day's move (overnight news) plus its
		// own noise; the range reaches beyond both open and close.
		o := mul(prev, 1+mul(0.3, r)+mul(mul(0.2, sd), normal(rng)))
		h := mul(max(o, c), 1+mul(mul(0.5, sd), math.Abs(normal(rng))))
		l := mul(min(o, c), 1-mul(mul(0.5, sd), math.Abs(normal(rng))))
		out.open[i], out.high[i], out.low[i], out.close[i] = o, h, l, c
		out.volume[i] = volume(p.volume, r, sd, rng)
		prev = c
	}
	if n > 0 {
		k := anchorScale(p, out.close, days)
		for _, xs := range [][]float64{out.open, out.high, out.low, out.close} {
			for i := range xs {
				xs[i] = mul(k, xs[i])
			}
		}
	}
	return out
}

// trackPath builds a fund that tracks an index: the index's bars times
// ratio, times one plus a mean-reverting tracking error.
func trackPath(p profile, index *path, rng *rand.Rand) *path {
	n := len(index.close)
	out := newPath(n)
	te := 0.0
	prev := 0.0 // the index's previous close, for its return
	for i := range n {
		te = mul(trackingAR, te) + mul(trackingVol, normal(rng))
		k := mul(p.ratio, 1+te)
		out.open[i], out.high[i] = mul(k, index.open[i]), mul(k, index.high[i])
		out.low[i], out.close[i] = mul(k, index.low[i]), mul(k, index.close[i])
		r := 0.0
		if i > 0 {
			r = index.close[i]/prev - 1
		}
		out.volume[i] = volume(p.volume, r, 0.013, rng) // 0.013: an index's usual daily sd
		prev = index.close[i]
	}
	return out
}

// volume is a day's volume: typical, more on big moves, with noise.
func volume(typical, r, sd float64, rng *rand.Rand) float64 {
	v := mul(mul(typical, 0.6+mul(0.8, rng.Float64())), 1+math.Abs(r)/sd)
	return max(math.Round(v), 1)
}

// bars rounds the path's prices to cents and returns its bars.
func (pa *path) bars(days []time.Time) []Bar {
	if len(days) == 0 {
		return nil
	}
	out := make([]Bar, len(days))
	for i, d := range days {
		o, h, l, c := cents(pa.open[i]), cents(pa.high[i]), cents(pa.low[i]), cents(pa.close[i])
		// Rounding can put open or close a cent outside the range.
		h, l = max(h, o, c), min(l, o, c)
		out[i] = Bar{Date: d, Open: o, High: h, Low: l, Close: c, AdjClose: c, Volume: pa.volume[i]}
	}
	return out
}

// anchorScale returns the factor that brings a path starting at 1 to its
// profile level on anchorDay.
func anchorScale(p profile, close []float64, days []time.Time) float64 {
	// The expected daily return, to extrapolate the level from anchorDay
	// to the nearest generated day.
	growth := 1 + mul(p.beta, marketDrift) + mul(p.small, smallDrift)
	target := p.level
	switch first, last := days[0], days[len(days)-1]; {
	case anchorDay.After(last):
		for range len(TradingDays(last, anchorDay)) - 1 {
			target /= growth
		}
		return target / close[len(close)-1]
	case anchorDay.Before(first):
		for range len(TradingDays(anchorDay, first)) - 1 {
			target = mul(target, growth)
		}
		return target / close[0]
	}
	i := 0
	for days[i].Before(anchorDay) { // anchorDay may be a holiday: take the next day
		i++
	}
	return target / close[i]
}

// normal returns a standard normal draw, approximated by the Irwin-Hall sum
// of twelve uniforms. rand.NormFloat64 would do, but its tail path calls
// math.Exp and math.Log, whose last bits may differ between architectures;
// a sum of integers is exact everywhere. The missing tails beyond 6 sd do
// not matter: volatility clustering supplies the fat tails.
func normal(rng *rand.Rand) float64 {
	var sum uint64 // twelve 53-bit uniforms, exactly
	for range 12 {
		sum += rng.Uint64() >> 11
	}
	return mul(float64(sum), 0x1p-53) - 6
}

// mul returns a*b rounded to float64. The explicit conversion stops the
// compiler fusing the product into a following addition (FMA), which Go
// allows and does on arm64, ppc64 and s390x but not on amd64: without it
// the same seed would give different prices on different machines.
func mul(a, b float64) float64 { return float64(a * b) }

// cents rounds a price to the cent.
func cents(x float64) float64 { return math.Round(mul(x, 100)) / 100 }

// symbolStream is the PCG stream of a symbol's own noise: a hash of its
// name, so a series does not depend on which other symbols are generated.
func symbolStream(symbol string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(symbol))
	return h.Sum64()
}
