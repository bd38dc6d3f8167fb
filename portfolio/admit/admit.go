package admit

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the default Location must load on a host without zoneinfo

	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
)

// Defaults of Policy's zero fields. The default MaxAge is risk's
// MaxEventAge (risk.DefaultLimits), so that an event admitted here is not
// already stale to risk.
const (
	DefaultClockSkew = 5 * time.Minute
	DefaultMaxSize   = 1 << 20
	DefaultLocation  = "America/New_York"
)

// closeHour is the NYSE close, the moment an as_of day's bars are final.
const closeHour = 16

// Policy says what is admitted. A zero field takes its default.
type Policy struct {
	// Trusted are the public user nkeys ("U...") of the signal workers.
	// Empty trusts nobody: every event is rejected with ReasonSignature.
	Trusted []string
	// MaxAge is how long after its as_of close an event is still
	// admitted; 0 or less means risk.DefaultLimits().MaxEventAge (36h).
	MaxAge time.Duration
	// ClockSkew is how far in the future an as_of close may be, for a
	// worker whose clock runs ahead of ours; 0 or less means
	// DefaultClockSkew.
	ClockSkew time.Duration
	// MaxSize is the largest message admitted, in bytes; 0 or less means
	// DefaultMaxSize. A real event is a few kilobytes.
	MaxSize int
	// Location is where as_of's close is; nil means DefaultLocation.
	Location *time.Location
}

// withDefaults fills the zero fields.
func (p Policy) withDefaults() Policy {
	if p.MaxAge <= 0 {
		p.MaxAge = risk.DefaultLimits().MaxEventAge
	}
	if p.ClockSkew <= 0 {
		p.ClockSkew = DefaultClockSkew
	}
	if p.MaxSize <= 0 {
		p.MaxSize = DefaultMaxSize
	}
	if p.Location == nil {
		p.Location = newYork()
	}
	return p
}

// newYork loads DefaultLocation once; the embedded tzdata makes it work
// on any host, so a failure is a broken build.
var newYork = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation(DefaultLocation)
	if err != nil {
		panic("admit: load " + DefaultLocation + ": " + err.Error())
	}
	return loc
})

// Admit decodes, checks and verifies one event as it arrived from the
// stream, and returns it, or an *Error saying why it is rejected. The
// checks run in this order, cheapest and least trusting first, and the
// first that fails gives the reason: the size (ReasonTooLarge), the JSON
// (ReasonMalformed), the strict decoding and Event.Validate
// (ReasonSchema), the signature (ReasonSignature), the symbols
// (ReasonUnknownSymbol), then the time of as_of's close against now
// (ReasonFuture, ReasonStale). An event exactly MaxAge old, or exactly
// ClockSkew ahead, is admitted.
//
// now is the caller's clock reading; Admit reads no clock.
func Admit(data []byte, p Policy, now time.Time) (signals.Event, error) {
	p = p.withDefaults()
	if len(data) > p.MaxSize {
		return signals.Event{}, reject(ReasonTooLarge, nil, "the message is %d bytes, over the limit of %d", len(data), p.MaxSize)
	}
	ev, err := signals.UnmarshalVerified(data, p.Trusted)
	switch {
	case errors.Is(err, signals.ErrUnsigned) || errors.Is(err, signals.ErrUntrustedKey) || errors.Is(err, signals.ErrBadSignature):
		return signals.Event{}, signatureError(ev, p.Trusted, err)
	case err != nil:
		// What the strict decoder accepts is one canonical JSON object in
		// UTF-8, so the checks that tell a broken message from one of the
		// wrong shape run only on a failure.
		if e := checkJSON(data); e != nil {
			return signals.Event{}, e
		}
		return signals.Event{}, classify(data, err)
	}
	if e := checkSymbols(ev); e != nil {
		return signals.Event{}, e
	}
	if e := checkTime(ev, p, now); e != nil {
		return signals.Event{}, e
	}
	return ev, nil
}

// EventTime returns the event's close time, as_of at 16:00 in loc (nil
// means DefaultLocation): the moment its bars were final, which risk's
// STALE_EVENT check measures from.
func EventTime(ev signals.Event, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = newYork()
	}
	d, err := time.Parse(time.DateOnly, ev.AsOf)
	if err != nil {
		return time.Time{}, fmt.Errorf("admit: event as_of %q: %w", clip(ev.AsOf, 40), err)
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, closeHour, 0, 0, 0, loc), nil
}

// signatureError words a Verify error; the underlying error stays
// reachable for errors.Is.
func signatureError(ev signals.Event, trusted []string, err error) *Error {
	switch {
	case errors.Is(err, signals.ErrUnsigned):
		return reject(ReasonSignature, err, "signature: the event is not signed")
	case len(trusted) == 0:
		return reject(ReasonSignature, err, "signature: no signer is trusted (Policy.Trusted is empty), so no event is admitted; signed by %s", ev.Signature.Key)
	case errors.Is(err, signals.ErrUntrustedKey):
		return reject(ReasonSignature, err, "signature.key: %s is not a trusted signal worker key", ev.Signature.Key)
	}
	return reject(ReasonSignature, err, "signature.sig: %s", strings.TrimPrefix(err.Error(), "signals: "))
}

// checkTime rejects an event whose as_of close is beyond the clock skew
// ahead of now, or more than MaxAge behind it.
func checkTime(ev signals.Event, p Policy, now time.Time) *Error {
	t, err := EventTime(ev, p.Location)
	if err != nil { // Validate has checked as_of; kept for safety
		return reject(ReasonSchema, err, "as_of: %v", err)
	}
	const layout = "2006-01-02 15:04 MST"
	switch ahead, age := t.Sub(now), now.Sub(t); {
	case ahead > p.ClockSkew:
		return reject(ReasonFuture, nil, "as_of %s closes at %s, %s after now (%s), beyond the clock skew of %s",
			ev.AsOf, t.Format(layout), ahead.Round(time.Second), now.In(p.Location).Format(layout), p.ClockSkew)
	case age > p.MaxAge:
		return reject(ReasonStale, nil, "as_of %s closed at %s, %s before now (%s), beyond the maximum age of %s",
			ev.AsOf, t.Format(layout), age.Round(time.Second), now.In(p.Location).Format(layout), p.MaxAge)
	}
	return nil
}

// Benchmarks returns the small-cap benchmarks rotor's signal may be
// computed on: the Russell 2000 ETF (IWM), the index (RUT, and ^RUT as
// some data vendors spell it) and the E-mini Russell 2000 future (RTY).
// ^RUT does not pass signals' symbol syntax, so no valid event names it
// today; it is listed so that this universe, not that syntax, decides.
func Benchmarks() []string { return []string{"IWM", "RUT", "^RUT", "RTY"} }

// Microcaps returns the micro-cap funds of the thrust: IWC.
func Microcaps() []string { return []string{"IWC"} }

// IsSectorFund reports whether sym is a sector fund rotor can trade: one
// with an E-mini Select Sector future (portfolio.SectorRoot). A sector the
// benchmark must beat but rotor could not short is outside the universe.
func IsSectorFund(sym string) bool {
	_, ok := portfolio.SectorRoot(sym)
	return ok
}

// InUniverse reports whether sym is a benchmark, a micro-cap or a sector
// fund of rotor's universe.
func InUniverse(sym string) bool {
	return slices.Contains(Benchmarks(), sym) || slices.Contains(Microcaps(), sym) || IsSectorFund(sym)
}

// checkSymbols rejects an event naming any symbol outside the universe,
// each against the role it has in the event. Validate already ties the
// event's symbols to its config, so the config's fields are checked
// first; the rest are checked too, in case Validate ever loosens.
func checkSymbols(ev signals.Event) *Error {
	isBenchmark := func(s string) bool { return slices.Contains(Benchmarks(), s) }
	isMicrocap := func(s string) bool { return slices.Contains(Microcaps(), s) }
	var (
		benchmark = "a small-cap benchmark of rotor's universe (" + strings.Join(Benchmarks(), ", ") + ")"
		microcap  = "a micro-cap fund of rotor's universe (" + strings.Join(Microcaps(), ", ") + ")"
		sector    = "a sector fund with an E-mini Select Sector future"
		known     = "a symbol of rotor's universe"
	)
	type check struct {
		field, sym string
		ok         func(string) bool
		want       string
	}
	cfg, rs := ev.Inputs.Config, ev.RelativeStrength
	checks := []check{
		{"inputs.config.benchmark", cfg.Benchmark, isBenchmark, benchmark},
		{"inputs.config.microcap", cfg.Microcap, isMicrocap, microcap},
	}
	for _, s := range cfg.Sectors {
		checks = append(checks, check{"inputs.config.sectors", s, IsSectorFund, sector})
	}
	checks = append(checks, check{"relative_strength.benchmark", rs.Benchmark, isBenchmark, benchmark})
	for _, s := range slices.Sorted(maps.Keys(rs.Sectors)) {
		checks = append(checks, check{"relative_strength.sectors." + s, s, IsSectorFund, sector})
	}
	for _, s := range rs.Missing {
		checks = append(checks, check{"relative_strength.missing", s, IsSectorFund, sector})
	}
	checks = append(checks, check{"microcap.symbol", ev.Microcap.Symbol, isMicrocap, microcap})
	for _, s := range slices.Sorted(maps.Keys(ev.Inputs.Symbols)) {
		checks = append(checks, check{"inputs.symbols." + s, s, InUniverse, known})
	}
	for _, c := range checks {
		if !c.ok(c.sym) {
			return reject(ReasonUnknownSymbol, nil, "%s: %q is not %s", clip(c.field, 80), clip(c.sym, 40), c.want)
		}
	}
	return nil
}
