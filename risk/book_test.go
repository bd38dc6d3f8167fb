package risk

import (
	"fmt"
	"testing"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// TestNewBookNetsLikeAMap pins newBook's netting, which searches a slice
// for a few contracts and builds an index past 16, to netting with a map in
// order of first appearance: for every prefix of a book of 60 positions
// that repeats contracts before and after the index is built, nets some to
// zero and leaves some unpriced, the positions, sums and unvalued list
// agree.
func TestNewBookNetsLikeAMap(t *testing.T) {
	in := baseInput(t)
	roots := []string{"RTY", "M2K", "ES", "XAK"}
	for i, r := range roots {
		if r == "XAK" {
			continue // no price: an unvalued position
		}
		in.Prices = append(in.Prices, Price{Root: r, Value: decimal.NewFromInt(int64(100 + 10*i)), Time: in.Now})
	}
	var all []broker.Position
	for i := range 60 {
		id := int64(i*7%23 + 1) // 23 contracts
		if i%3 == 2 {
			id = int64((i/3)*7%23 + 1) // a contract seen earlier
		}
		r := roots[id%4]
		c := future(id, r, fmt.Sprintf("%s%d", r, id), 5)
		all = append(all, hold(c, int64(i%5-2)))
	}
	for n := range len(all) + 1 {
		in.Positions = all[:n]
		got, gotBad := newBook(in, newPriceIndex(in.Prices))

		var keys []string
		net := map[string]int64{}
		first := map[string]broker.Contract{}
		for _, p := range in.Positions {
			k := p.Contract.Key()
			if _, ok := first[k]; !ok && p.Quantity != 0 {
				first[k] = p.Contract
				keys = append(keys, k)
			}
			net[k] += p.Quantity
		}
		var gross, signed decimal.Decimal
		var wantBad []string
		for _, k := range keys {
			q, c := net[k], first[k]
			if q == 0 {
				continue
			}
			if got.pos[k] != q {
				t.Fatalf("n=%d: pos[%s]=%d, want %d", n, k, got.pos[k], q)
			}
			pr, ok := newPriceIndex(in.Prices).lookup(c)
			if !ok {
				wantBad = append(wantBad, fmt.Sprintf("%s (%d held) has no reference price", contractName(c), q))
				continue
			}
			unit := pr.Value.Mul(decimal.NewFromInt(5))
			gross = gross.Add(unit.Mul(decimal.NewFromInt(abs(q))))
			signed = signed.Add(unit.Mul(decimal.NewFromInt(q)))
		}
		if got, want := got.gross.String(), gross.String(); got != want {
			t.Fatalf("n=%d: gross=%s, want %s", n, got, want)
		}
		if got, want := got.net.String(), signed.String(); got != want {
			t.Fatalf("n=%d: net=%s, want %s", n, got, want)
		}
		if got, want := len(gotBad), len(wantBad); got != want {
			t.Fatalf("n=%d: %d unvalued, want %d", n, got, want)
		}
		for i := range wantBad {
			if got, want := gotBad[i].what, wantBad[i]; got != want {
				t.Fatalf("n=%d: unvalued[%d]=%q, want %q", n, i, got, want)
			}
		}
	}
}
