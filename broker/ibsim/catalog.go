package ibsim

import (
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// Listing is a contract the paper broker knows: a quarterly future of one of
// rotor's roots, or an ETF of the signal universe, or an index (history only).
type Listing struct {
	broker.Contract
	Tick   decimal.Decimal
	Name   string
	Tracks string // the price series the listing follows (RUT, SPX, XLK, IWM...)
	// Scale converts the tracked series to the listing's price: 1 for the
	// ETFs and the index futures; 10 for the E-mini Select Sector futures,
	// whose indexes sit near ten times their funds.
	Scale float64
}

// etfs are the funds of the signal universe, with their names.
var etfs = map[string]string{
	"IWM": "ISHARES RUSSELL 2000 ETF", "IWC": "ISHARES MICRO-CAP ETF", "SPY": "SPDR S&P 500 ETF TRUST",
	"XLB": "MATERIALS SELECT SECTOR SPDR", "XLC": "COMMUNICATION SERVICES SELECT", "XLE": "ENERGY SELECT SECTOR SPDR",
	"XLF": "FINANCIAL SELECT SECTOR SPDR", "XLI": "INDUSTRIAL SELECT SECTOR SPDR", "XLK": "TECHNOLOGY SELECT SECTOR SPDR",
	"XLP": "CONSUMER STAPLES SELECT SECTOR", "XLRE": "REAL ESTATE SELECT SECTOR SPDR", "XLU": "UTILITIES SELECT SECTOR SPDR",
	"XLV": "HEALTH CARE SELECT SECTOR", "XLY": "CONSUMER DISCRETIONARY SELECT",
}

// indexes are served for history only (reqHistoricalData with secType IND).
var indexes = map[string]string{"RUT": "Russell 2000 Index", "SPX": "S&P 500 Index"}

// listedCount is how many quarterly expiries are listed: the front and
// the next four, as the issue asks.
const listedCount = 5

// conID gives a stable contract id per contract, so a client that
// reconnects (or a test run) sees the same ids.
func conID(key string) int64 {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int64(h.Sum32()&0x3fffffff) + 100000
}

// futureListings returns the listed contracts of root whose expiries are
// exps (listedExpiries(day) on a day).
func futureListings(in broker.Instrument, exps []time.Time) []Listing {
	scale := 1.0
	if in.Multiplier >= 100 {
		scale = 10
	}
	out := make([]Listing, 0, len(exps))
	for _, exp := range exps {
		local := broker.LocalSymbol(in.Root, exp)
		out = append(out, Listing{
			Contract: broker.Contract{
				ConID: conID("FUT:" + local + exp.Format("20060102")), Symbol: in.Root, LocalSymbol: local,
				SecType: broker.Future, Exchange: in.Exchange, Currency: in.Currency, Expiry: exp, Multiplier: in.Multiplier,
			},
			Tick: in.Tick, Name: in.Name, Tracks: in.Tracks, Scale: scale,
		})
	}
	return out
}

// listedExpiries returns the quarterly expiries listed on day. They are
// all a day's catalog depends on the day through.
func listedExpiries(day time.Time) []time.Time {
	return broker.QuarterlyExpiries(day, listedCount)
}

func etfListing(sym string) Listing {
	return Listing{
		Contract: broker.Contract{ConID: conID("STK:" + sym), Symbol: sym, LocalSymbol: sym, SecType: broker.Stock,
			Exchange: "SMART", Currency: "USD", Multiplier: 1},
		Tick: decimal.New(1, -2), Name: etfs[sym], Tracks: sym, Scale: 1,
	}
}

func indexListing(sym string) Listing {
	return Listing{
		Contract: broker.Contract{ConID: conID("IND:" + sym), Symbol: sym, LocalSymbol: sym, SecType: broker.Index,
			Exchange: "CBOE", Currency: "USD", Multiplier: 1},
		Tick: decimal.New(1, -2), Name: indexes[sym], Tracks: sym, Scale: 1,
	}
}

// ContractQuery is what a client asks for in reqContractDetails or sends
// with an order: any subset of the fields; empty fields match anything.
type ContractQuery struct {
	ConID       int64
	Symbol      string
	SecType     string
	Exchange    string
	Currency    string
	Month       string // lastTradeDateOrContractMonth: YYYYMM or YYYYMMDD
	LocalSymbol string
}

// Lookup returns the listings matching q on day, nearest expiry first.
// It returns none for a contract the paper broker does not list.
func Lookup(q ContractQuery, day time.Time) []Listing {
	exps := listedExpiries(day)
	return lookup(q, func(in broker.Instrument) []Listing { return futureListings(in, exps) },
		func() []Listing { return allListings(exps) })
}

// lookup is Lookup over a day's catalog given as the listed futures of an
// instrument and all listings. It never appends to or returns the slices
// those give, so they may be shared (see Catalog).
func lookup(q ContractQuery, futures func(broker.Instrument) []Listing, all func() []Listing) []Listing {
	var out []Listing
	keep := func(ls ...Listing) {
		n := 0
		for k := range ls {
			if ls[k].matches(q) {
				n++
			}
		}
		if n == 0 {
			return
		}
		out = slices.Grow(out, n) // one allocation: an order's lookup keeps one listing of five
		for k := range ls {
			if ls[k].matches(q) {
				out = append(out, ls[k])
			}
		}
	}
	sym := strings.ToUpper(q.Symbol)
	if sym == "" && q.LocalSymbol != "" && len(q.LocalSymbol) > 2 {
		sym = strings.ToUpper(q.LocalSymbol[:len(q.LocalSymbol)-2])
	}
	if q.ConID != 0 {
		keep(all()...)
	} else {
		if in, err := broker.LookupInstrument(sym); err == nil {
			keep(futures(in)...)
		}
		if _, ok := etfs[sym]; ok {
			keep(etfListing(sym))
		}
		if _, ok := indexes[sym]; ok {
			keep(indexListing(sym))
		}
	}
	slices.SortStableFunc(out, func(a, b Listing) int { return a.Expiry.Compare(b.Expiry) })
	return out
}

// allListings returns every listing of a day whose listed expiries are
// exps.
func allListings(exps []time.Time) []Listing {
	var out []Listing
	for _, r := range broker.InstrumentRoots() {
		in, _ := broker.LookupInstrument(r)
		out = append(out, futureListings(in, exps)...)
	}
	for s := range etfs {
		out = append(out, etfListing(s))
	}
	for s := range indexes {
		out = append(out, indexListing(s))
	}
	return out
}

func (l Listing) matches(q ContractQuery) bool {
	eq := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	if q.ConID != 0 && q.ConID != l.ConID {
		return false
	}
	if !eq(q.Symbol, l.Symbol) || !eq(q.SecType, string(l.SecType)) || !eq(q.Currency, l.Currency) || !eq(q.LocalSymbol, l.LocalSymbol) {
		return false
	}
	// Stocks are asked for on SMART or on a primary exchange; both are fine.
	if q.Exchange != "" && !strings.EqualFold(q.Exchange, l.Exchange) && l.SecType != broker.Stock {
		return false
	}
	if q.Month != "" && l.SecType == broker.Future {
		// The expiry formats into a buffer on the stack: every order
		// names its contract by month, and matches runs for each listing.
		var buf [16]byte
		switch len(q.Month) {
		case 6:
			if q.Month != string(l.Expiry.AppendFormat(buf[:0], "200601")) {
				return false
			}
		default:
			if !strings.HasPrefix(q.Month, string(l.Expiry.AppendFormat(buf[:0], "20060102"))) {
				return false
			}
		}
	}
	return true
}
