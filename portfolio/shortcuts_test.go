package portfolio

// The tests here hold each shortcut sizing and planning take to the
// computation it replaced, kept here as the reference, on edge cases and
// at random.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
)

// oldNearestWhole, oldFloorWhole, oldMixContracts and oldWholeContracts are
// the decimal versions: division to 16 places, corrected by multiplying
// out the neighbours.
func oldNearestWhole(x, unit decimal.Decimal) int64 {
	k := x.Div(unit).Round(0)
	best := k
	for _, c := range []decimal.Decimal{k.Sub(decimal.NewFromInt(1)), k.Add(decimal.NewFromInt(1))} {
		if c.IsNegative() {
			continue
		}
		dc, db := x.Sub(unit.Mul(c)).Abs(), x.Sub(unit.Mul(best)).Abs()
		if dc.LessThan(db) || (dc.Equal(db) && c.GreaterThan(best)) {
			best = c
		}
	}
	return best.IntPart()
}

func oldFloorWhole(x, unit decimal.Decimal) int64 {
	k := x.Div(unit).Floor()
	for k.IsPositive() && unit.Mul(k).GreaterThan(x) {
		k = k.Sub(decimal.NewFromInt(1))
	}
	for unit.Mul(k.Add(decimal.NewFromInt(1))).LessThanOrEqual(x) {
		k = k.Add(decimal.NewFromInt(1))
	}
	return k.IntPart()
}

func oldMixContracts(target, price decimal.Decimal, bigMult, microMult int64) (int64, int64, error) {
	if !price.IsPositive() {
		return 0, 0, fmt.Errorf("portfolio: price %s, want > 0", price)
	}
	if microMult <= 0 || bigMult <= 0 || bigMult%microMult != 0 {
		return 0, 0, fmt.Errorf("portfolio: multipliers %d/%d, want the full-size a multiple of the micro", bigMult, microMult)
	}
	abs := target.Abs()
	bigUnit, microUnit := price.Mul(decimal.NewFromInt(bigMult)), price.Mul(decimal.NewFromInt(microMult))
	if abs.Div(microUnit).GreaterThan(decimal.NewFromInt(maxContracts)) {
		return 0, 0, fmt.Errorf("portfolio: notional %s is more than %d micro contracts at %s", target, maxContracts, price)
	}
	n := oldFloorWhole(abs, bigUnit)
	micro := oldNearestWhole(abs.Sub(bigUnit.Mul(decimal.NewFromInt(n))), microUnit)
	if fold := bigMult / microMult; micro >= fold {
		n, micro = n+micro/fold, micro%fold
	}
	if target.IsNegative() {
		n, micro = -n, -micro
	}
	return n, micro, nil
}

func oldWholeContracts(target, price decimal.Decimal, mult int64) (int64, error) {
	if !price.IsPositive() {
		return 0, fmt.Errorf("portfolio: price %s, want > 0", price)
	}
	if mult <= 0 {
		return 0, fmt.Errorf("portfolio: multiplier %d, want > 0", mult)
	}
	unit := price.Mul(decimal.NewFromInt(mult))
	if target.Abs().Div(unit).GreaterThan(decimal.NewFromInt(maxContracts)) {
		return 0, fmt.Errorf("portfolio: notional %s is more than %d contracts at %s", target, maxContracts, price)
	}
	n := oldNearestWhole(target.Abs(), unit)
	if target.IsNegative() {
		n = -n
	}
	return n, nil
}

// randDec is a decimal of up to digits digits at an exponent in
// [lo, lo+span).
func randDec(r *rand.Rand, digits int, lo, span int32) decimal.Decimal {
	b := make([]byte, 1+r.IntN(digits))
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	c, _ := new(big.Int).SetString(string(b), 10)
	return decimal.NewFromBigInt(c, lo+r.Int32N(span))
}

// TestWholeCountsMatchDecimal: targets at, next to and half way between
// whole contracts, around the bound of a million contracts, tiny and huge,
// either sign, against prices of many digits.
func TestWholeCountsMatchDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	tiny := decimal.New(1, -40)
	for i := range 10000 {
		price := randDec(r, 8, -6, 8)
		if i%50 == 0 {
			price = price.Neg()
		}
		mult := []int64{5, 50, 100, 250, 1, 10}[r.IntN(6)]
		micro := []int64{5, 1, 50}[r.IntN(3)]
		big := micro * []int64{10, 1, 3}[r.IntN(3)]
		if i%97 == 0 {
			big = micro*7 + 1 // not a multiple
		}
		unit := price.Abs().Mul(decimal.NewFromInt(micro))
		k := decimal.NewFromInt(r.Int64N(2_000_000))
		var target decimal.Decimal
		switch i % 8 {
		case 0:
			target = unit.Mul(k) // whole micros
		case 1:
			target = unit.Mul(k).Add(unit.Div(decimal.NewFromInt(2))) // half way
		case 2:
			target = unit.Mul(k).Add(tiny) // just past
		case 3:
			target = unit.Mul(k).Sub(tiny) // just short
		case 4:
			target = unit.Mul(decimal.NewFromInt(maxContracts)).Add(decimal.New(int64(r.IntN(3)-1), -int32(14+r.IntN(6))))
		case 5:
			target = randDec(r, 40, -20, 30)
		case 6:
			target = decimal.Zero
		default:
			target = randDec(r, 12, -16, 18)
		}
		if r.IntN(2) == 0 {
			target = target.Neg()
		}
		gb, gm, gerr := MixContracts(target, price, big, micro)
		wb, wm, werr := oldMixContracts(target, price, big, micro)
		if gb != wb || gm != wm || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("MixContracts(%s, %s, %d, %d) = %d, %d, %v; the decimal version %d, %d, %v", target, price, big, micro, gb, gm, gerr, wb, wm, werr)
		}
		gn, gerr := WholeContracts(target, price, mult)
		wn, werr := oldWholeContracts(target, price, mult)
		if gn != wn || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("WholeContracts(%s, %s, %d) = %d, %v; the decimal version %d, %v", target, price, mult, gn, gerr, wn, werr)
		}
	}
}

// withDecimalFormat runs f under each setting of the decimal package's
// formatting switches, restoring them after.
func withDecimalFormat(f func(name string)) {
	q, z, s := decimal.MarshalJSONWithoutQuotes, decimal.TrimTrailingZeros, decimal.UseScientificNotation
	defer func() {
		decimal.MarshalJSONWithoutQuotes, decimal.TrimTrailingZeros, decimal.UseScientificNotation = q, z, s
	}()
	for i := range 8 {
		decimal.MarshalJSONWithoutQuotes, decimal.TrimTrailingZeros, decimal.UseScientificNotation = i&1 != 0, i&2 == 0, i&4 != 0
		f(fmt.Sprintf("without quotes %v, trim %v, scientific %v", i&1 != 0, i&2 == 0, i&4 != 0))
	}
}

// oddStrings are strings json.Marshal escapes, and plain ones.
var oddStrings = []string{"", "weakest_sectors", "LMT", "DAY", `a"b`, `back\slash`, "<tag>&amp;", "tab\tnew\nline\r\u0000\u001f\u007f",
	"caf\u00e9", "\u2028\u2029", "\xff\xfe invalid", "\xed\xa0\x80 surrogate", "emoji \U0001F600", "DU1234567"}

// randString is one of oddStrings, or random bytes.
func randString(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return oddStrings[r.IntN(len(oddStrings))]
	}
	b := make([]byte, r.IntN(12))
	for i := range b {
		b[i] = byte(r.IntN(256))
		if r.IntN(2) == 0 {
			b[i] = byte(' ' + r.IntN(95))
		}
	}
	return string(b)
}

// randFloat is a float64 of any magnitude, at the 1e-6 and 1e21 cut-offs
// of json's 'f' form, zero of either sign, or random bits (NaN and the
// infinities left out).
func randFloat(r *rand.Rand) float64 {
	switch r.IntN(6) {
	case 0:
		return []float64{0, math.Copysign(0, -1), 1e-6, math.Nextafter(1e-6, 0), 1e21, math.Nextafter(1e21, 0), 0.2, 5e-324, math.MaxFloat64}[r.IntN(9)]
	case 1:
		return r.Float64()
	default:
		for {
			if f := math.Float64frombits(r.Uint64()); !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		}
	}
}

func TestAppendStringIsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	check := func(s string) {
		want, _ := json.Marshal(s)
		if got := appendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("appendString(%q) = %s, json.Marshal %s", s, got[1:], want)
		}
	}
	for c := range 256 {
		check(string([]byte{byte(c)}))
		check("ab" + string([]byte{byte(c)}) + "cd")
	}
	for c := rune(0); c < 0x3000; c++ {
		check(string(c))
	}
	check(string(rune(utf8.MaxRune)))
	for range 20000 {
		check(randString(r))
	}
}

func TestAppendFloatIsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for range 100000 {
		f := randFloat(r)
		want, _ := json.Marshal(f)
		got, err := appendFloat(nil, f)
		if err != nil || string(got) != string(want) {
			t.Fatalf("appendFloat(%v) = %s, %v; json.Marshal %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, want := json.Marshal(f)
		if _, err := appendFloat(nil, f); fmt.Sprint(err) != fmt.Sprint(want) || err == nil {
			t.Fatalf("appendFloat(%v): error %v, json.Marshal's %v", f, err, want)
		}
	}
}

// randConfig is a sleeve config with every field set at random, valid or
// not.
func randConfig(r *rand.Rand) SleeveConfig {
	dec := func() decimal.Decimal {
		d := randDec(r, 25, -20, 25)
		if r.IntN(3) == 0 {
			d = d.Neg()
		}
		return d
	}
	return SleeveConfig{Share: dec(), Leverage: Leverage{Leadership: dec(), Neutral: dec(), Lagging: dec()},
		Short:     ShortLeg{Kind: ShortKind(randString(r)), N: r.IntN(30) - 5, Ratio: dec()},
		VolTarget: randFloat(r), VolWindow: r.IntN(1000) - 10, DriftBand: dec(), RollDays: r.IntN(100) - 50,
		OrderType: broker.OrderType(randString(r)), Collar: dec(), TIF: broker.TimeInForce(randString(r))}
}

// TestCanonicalJSONIsMarshal holds the hand-written canonical JSON to
// json.Marshal over random configs, under every setting of the decimal
// package's formatting switches. A field added to SleeveConfig and not to
// appendJSON fails it (json.Marshal writes every field).
func TestCanonicalJSONIsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	withDecimalFormat(func(name string) {
		for _, c := range append([]SleeveConfig{DefaultSleeve(), {}}, func() (cs []SleeveConfig) {
			for range 500 {
				cs = append(cs, randConfig(r))
			}
			return cs
		}()...) {
			want, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.CanonicalJSON(); string(got) != string(want) {
				t.Fatalf("%s: CanonicalJSON\n%s\njson.Marshal\n%s", name, got, want)
			}
		}
	})
	c := DefaultSleeve()
	c.VolTarget = math.NaN()
	_, err := json.Marshal(c)
	defer func() {
		if got, want := fmt.Sprint(recover()), "portfolio: marshal sleeve config: "+err.Error(); got != want {
			t.Fatalf("CanonicalJSON of a NaN vol target panicked with %q, want %q", got, want)
		}
	}()
	c.CanonicalJSON()
}

// oldPlanID is planID as it was: json.Marshal of the tagged struct, the
// positions sorted by keys from fmt.Sprint.
func oldPlanID(eventID, account string, cfgJSON []byte, positions []broker.Position) string {
	type canonPosition struct {
		Account     string `json:"account"`
		ConID       int64  `json:"con_id"`
		Symbol      string `json:"symbol"`
		LocalSymbol string `json:"local_symbol"`
		SecType     string `json:"sec_type"`
		Expiry      string `json:"expiry"`
		Quantity    int64  `json:"quantity"`
	}
	canon := make([]canonPosition, 0, len(positions))
	for _, p := range positions {
		if p.Quantity == 0 {
			continue
		}
		exp := ""
		if !p.Contract.Expiry.IsZero() {
			exp = p.Contract.Expiry.UTC().Format(time.DateOnly)
		}
		canon = append(canon, canonPosition{Account: p.Account, ConID: p.Contract.ConID, Symbol: p.Contract.Symbol,
			LocalSymbol: p.Contract.LocalSymbol, SecType: string(p.Contract.SecType), Expiry: exp, Quantity: p.Quantity})
	}
	key := func(a canonPosition) string { return fmt.Sprint(a.ConID, a.LocalSymbol, a.Symbol, a.SecType, a.Expiry) }
	sort.SliceStable(canon, func(i, j int) bool {
		a, b := canon[i], canon[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if key(a) != key(b) {
			return key(a) < key(b)
		}
		return a.Quantity < b.Quantity
	})
	b, err := json.Marshal(struct {
		EventID   string          `json:"event_id"`
		Account   string          `json:"account"`
		Config    json.RawMessage `json:"config"`
		Positions []canonPosition `json:"positions"`
	}{eventID, account, cfgJSON, canon})
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// TestPlanIDMatchesMarshal: positions with odd strings, ids of any size
// and sign (so keys whose digits run into the symbols), repeated contracts
// and zero quantities, some expiries unset.
func TestPlanIDMatchesMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for i := range 4000 {
		var ps []broker.Position
		for range r.IntN(8) {
			c := broker.Contract{ConID: []int64{0, 1, 12, 123, -5, math.MaxInt64, math.MinInt64, r.Int64()}[r.IntN(8)],
				Symbol: randString(r), LocalSymbol: []string{"", "3RTY", "23RTY", randString(r)}[r.IntN(4)],
				SecType: broker.SecType(randString(r))}
			if r.IntN(3) > 0 {
				c.Expiry = time.Date(2020+r.IntN(10), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.FixedZone("x", 3600*(r.IntN(25)-12)))
			}
			p := broker.Position{Account: randString(r), Contract: c, Quantity: r.Int64N(7) - 3}
			if r.IntN(4) == 0 && len(ps) > 0 {
				p = ps[r.IntN(len(ps))]
				p.Quantity = r.Int64N(7) - 3
			}
			ps = append(ps, p)
		}
		cfg := DefaultSleeve()
		if i%2 == 0 {
			cfg = randConfig(r)
			for math.IsNaN(cfg.VolTarget) {
				cfg.VolTarget = 0
			}
		}
		ev, acct := randString(r), randString(r)
		if got, want := PlanID(ev, acct, cfg, ps), oldPlanID(ev, acct, cfg.CanonicalJSON(), ps); got != want {
			t.Fatalf("PlanID(%q, %q, %+v) = %s, json.Marshal gives %s", ev, acct, ps, got, want)
		}
	}
}

// TestOwnedRootsAsBefore: OwnedRoots is the long leg's roots and the
// short leg's, sorted, in a slice of the caller's own.
func TestOwnedRootsAsBefore(t *testing.T) {
	for _, kind := range []ShortKind{ShortNone, ShortWeakestSectors, ShortESHedge, "other"} {
		c := SleeveConfig{Short: ShortLeg{Kind: kind}}
		want := []string{LongRoot, LongMicroRoot}
		switch kind {
		case ShortWeakestSectors:
			for _, r := range sectorRoots {
				want = append(want, r)
			}
		case ShortESHedge:
			want = append(want, HedgeRoot, HedgeMicroRoot)
		}
		sort.Strings(want)
		got := c.OwnedRoots()
		if !slices.Equal(got, want) {
			t.Fatalf("%s: OwnedRoots() = %v, want %v", kind, got, want)
		}
		got[0] = strings.ToLower(got[0])
		if again := c.OwnedRoots(); !slices.Equal(again, want) || !slices.Equal(c.ownedRoots(), want) {
			t.Fatalf("%s: changing OwnedRoots' result changed the next: %v", kind, again)
		}
	}
}
