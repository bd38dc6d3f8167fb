package broker

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
)

// Instrument is a futures root rotor trades: its exchange, multiplier and
// tick. Rounding lives here so that no price reaches an order off its tick.
type Instrument struct {
	Root       string
	Name       string
	Exchange   string
	Currency   string
	Multiplier int64
	Tick       decimal.Decimal
	// Tracks is what the future follows: an index (RUT, SPX) or, for the
	// E-mini Select Sector futures, the sector fund of the signal universe
	// whose index it tracks (XLK for XAK).
	Tracks string
}

func inst(root, name string, mult int64, tick, tracks string) Instrument {
	return Instrument{Root: root, Name: name, Exchange: "CME", Currency: "USD",
		Multiplier: mult, Tick: decimal.RequireFromString(tick), Tracks: tracks}
}

// instruments is the table of DESIGN.md ("The instruments").
var instruments = map[string]Instrument{
	"RTY": inst("RTY", "E-mini Russell 2000", 50, "0.10", "RUT"),
	"M2K": inst("M2K", "Micro E-mini Russell 2000", 5, "0.10", "RUT"),
	"ES":  inst("ES", "E-mini S&P 500", 50, "0.25", "SPX"),
	"MES": inst("MES", "Micro E-mini S&P 500", 5, "0.25", "SPX"),
	"XAB": inst("XAB", "E-mini Materials Select Sector", 100, "0.10", "XLB"),
	"XAE": inst("XAE", "E-mini Energy Select Sector", 100, "0.10", "XLE"),
	"XAI": inst("XAI", "E-mini Industrial Select Sector", 100, "0.10", "XLI"),
	"XAK": inst("XAK", "E-mini Technology Select Sector", 100, "0.10", "XLK"),
	"XAP": inst("XAP", "E-mini Consumer Staples Select Sector", 100, "0.10", "XLP"),
	"XAU": inst("XAU", "E-mini Utilities Select Sector", 100, "0.10", "XLU"),
	"XAV": inst("XAV", "E-mini Health Care Select Sector", 100, "0.10", "XLV"),
	"XAY": inst("XAY", "E-mini Consumer Discretionary Select Sector", 100, "0.10", "XLY"),
	"XAF": inst("XAF", "E-mini Financial Select Sector", 250, "0.05", "XLF"),
	"XAR": inst("XAR", "E-mini Real Estate Select Sector", 250, "0.05", "XLRE"),
	"XAZ": inst("XAZ", "E-mini Communication Services Select Sector", 250, "0.05", "XLC"),
}

// LookupInstrument returns the instrument of a futures root, or an error
// wrapping ErrUnknownInstrument that lists the roots rotor knows.
func LookupInstrument(root string) (Instrument, error) {
	in, ok := instruments[root]
	if !ok {
		return Instrument{}, fmt.Errorf("%w: futures root %q (known: %v)", ErrUnknownInstrument, root, InstrumentRoots())
	}
	return in, nil
}

// InstrumentRoots lists the futures roots rotor knows, sorted.
func InstrumentRoots() []string {
	roots := make([]string, 0, len(instruments))
	for r := range instruments {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	return roots
}

// OnTick reports whether p is a whole number of ticks.
func (in Instrument) OnTick(p decimal.Decimal) bool {
	return p.Mod(in.Tick).IsZero()
}

// RoundPrice rounds p to the instrument's tick, towards the passive side:
// down for a buy, up for a sell, so that rounding never makes a limit order
// more aggressive than the caller asked.
func (in Instrument) RoundPrice(p decimal.Decimal, side Side) decimal.Decimal {
	ticks := p.Div(in.Tick)
	if side == Sell {
		ticks = ticks.Ceil()
	} else {
		ticks = ticks.Floor()
	}
	return ticks.Mul(in.Tick)
}

// Notional is the dollar value of contracts at price: price × multiplier ×
// contracts (signed like contracts).
func (in Instrument) Notional(price decimal.Decimal, contracts int64) decimal.Decimal {
	return price.Mul(decimal.NewFromInt(in.Multiplier * contracts))
}
