package risk

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// naive is an independent evaluator of the exposure limits over a small
// book, in exact rationals, one formula per limit as the package doc states
// it. The property tests hold Check to it.
type naive struct {
	in    Input
	start map[int64]int64 // by ConID
	cons  map[int64]broker.Contract
	price map[int64]*big.Rat
}

func newNaive(in Input) *naive {
	n := &naive{in: in, start: map[int64]int64{}, cons: map[int64]broker.Contract{}, price: map[int64]*big.Rat{}}
	for _, p := range in.Positions {
		n.start[p.Contract.ConID] += p.Quantity
		n.cons[p.Contract.ConID] = p.Contract
	}
	for _, o := range in.Orders {
		n.cons[o.Contract.ConID] = o.Contract
	}
	for _, p := range in.Prices {
		n.price[p.ConID] = p.Value.Rat()
	}
	return n
}

func rat(d decimal.Decimal) *big.Rat { return d.Rat() }

func ratInt(v int64) *big.Rat { return new(big.Rat).SetInt64(v) }

func absInt(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// unit is price × multiplier of a contract.
func (n *naive) unit(id int64) *big.Rat {
	return new(big.Rat).Mul(n.price[id], ratInt(n.cons[id].Multiplier))
}

// within reports whether the book pos breaks none of the exposure limits,
// and which it breaks. Per-instrument limits bind only the roots the plan
// adds to (roots): another root already over its limit is not the plan's
// doing and does not stop it.
func (n *naive) within(pos map[int64]int64, roots map[string]bool) (bool, string) {
	l := n.in.Limits
	nlv := rat(n.in.Account.NetLiquidation)
	gross, net := new(big.Rat), new(big.Rat)
	// Margin: the broker's figure, less what closing frees (never below
	// zero), plus what opening adds; a flip closes all, then opens.
	freed, added := new(big.Rat), new(big.Rat)
	rootC := map[string]int64{}
	rootN := map[string]*big.Rat{}
	for id, c := range n.cons {
		q := pos[id]
		v := new(big.Rat).Mul(n.unit(id), ratInt(q))
		net.Add(net, v)
		av := new(big.Rat).Abs(v)
		gross.Add(gross, av)
		rootC[c.Symbol] += absInt(q)
		if rootN[c.Symbol] == nil {
			rootN[c.Symbol] = new(big.Rat)
		}
		rootN[c.Symbol].Add(rootN[c.Symbol], av)
		im, q0 := rat(n.in.InitialMargin[c.Symbol]), n.start[id]
		switch {
		case q0 != 0 && q != 0 && (q0 > 0) != (q > 0):
			freed.Add(freed, new(big.Rat).Mul(im, ratInt(absInt(q0))))
			added.Add(added, new(big.Rat).Mul(im, ratInt(absInt(q))))
		case absInt(q) < absInt(q0):
			freed.Add(freed, new(big.Rat).Mul(im, ratInt(absInt(q0)-absInt(q))))
		default:
			added.Add(added, new(big.Rat).Mul(im, ratInt(absInt(q)-absInt(q0))))
		}
	}
	margin := new(big.Rat).Sub(rat(n.in.Account.InitMargin), freed)
	if margin.Sign() < 0 {
		margin.SetInt64(0)
	}
	margin.Add(margin, added)
	for root, cs := range rootC {
		if !roots[root] {
			continue
		}
		il := l.ForRoot(root)
		if cs > il.MaxContracts {
			return false, "instrument contracts " + root
		}
		if rootN[root].Cmp(rat(il.MaxNotional)) > 0 {
			return false, "instrument notional " + root
		}
	}
	if new(big.Rat).Quo(gross, nlv).Cmp(rat(l.MaxGrossLeverage)) > 0 {
		return false, "gross"
	}
	if new(big.Rat).Quo(new(big.Rat).Abs(net), nlv).Cmp(rat(l.MaxNetLeverage)) > 0 {
		return false, "net"
	}
	if new(big.Rat).Quo(margin, nlv).Cmp(rat(l.MaxMarginUse)) > 0 {
		return false, "margin"
	}
	return true, ""
}

// orderCap is the most contracts of o the per-order limits allow.
func (n *naive) orderCap(o broker.OrderRequest) int64 {
	k := min(o.Quantity, n.in.Limits.MaxOrderContracts)
	for k > 0 && new(big.Rat).Mul(n.unit(o.Contract.ConID), ratInt(k)).Cmp(rat(n.in.Limits.MaxOrderNotional)) > 0 {
		k--
	}
	return k
}

// closing is how many contracts of o close the starting position.
func (n *naive) closing(o broker.OrderRequest) int64 {
	p0 := n.start[o.Contract.ConID]
	if p0 == 0 || (p0 > 0) == (o.Side == broker.Buy) {
		return 0
	}
	return min(o.Quantity, absInt(p0))
}

func signOf(o broker.OrderRequest) int64 {
	if o.Side == broker.Sell {
		return -1
	}
	return 1
}

// bestAlone is the brute-force answer for a plan of one order: the part
// that closes the position, plus the largest number of further contracts
// for which the whole book is within every limit.
func (n *naive) bestAlone(o broker.OrderRequest) int64 {
	limit := n.orderCap(o)
	r := min(n.closing(o), limit)
	for k := limit; k > r; k-- {
		pos := map[int64]int64{}
		for id, q := range n.start {
			pos[id] = q
		}
		pos[o.Contract.ConID] += signOf(o) * k
		if ok, _ := n.within(pos, map[string]bool{o.Contract.Symbol: true}); ok {
			return k
		}
	}
	return r
}

var propContracts = []broker.Contract{rtyH, m2kH, esH, xakH, rtyM}

// randomInput draws a small book and plan on the fixtures' contracts.
func randomInput(tb testing.TB, rng *rand.Rand, orders int) Input {
	in := baseInput(tb)
	pick := func(vs ...string) decimal.Decimal { return dec(vs[rng.IntN(len(vs))]) }
	in.Account.NetLiquidation = pick("500000", "1000000", "1500000", "2000000")
	in.DayStartNLV = in.Account.NetLiquidation
	in.HighWaterMark = in.Account.NetLiquidation
	in.Account.InitMargin = decimal.NewFromInt(int64(rng.IntN(300)) * 1000)
	in.Limits.MaxGrossLeverage = pick("1", "1.5", "2", "3", "4")
	in.Limits.MaxNetLeverage = pick("0.5", "1", "2", "3")
	in.Limits.MaxMarginUse = pick("0.2", "0.35", "0.5", "1")
	in.Limits.MaxOrderContracts = int64(3 + rng.IntN(40))
	in.Limits.MaxOrderNotional = decimal.NewFromInt(int64(100+rng.IntN(3000)) * 1000)
	in.Limits.Instrument = InstrumentLimit{MaxContracts: int64(5 + rng.IntN(60)), MaxNotional: decimal.NewFromInt(int64(200+rng.IntN(5000)) * 1000)}
	if rng.IntN(2) == 0 {
		in.Limits.InstrumentOverrides = map[string]InstrumentLimit{"M2K": {MaxContracts: int64(10 + rng.IntN(200)), MaxNotional: decimal.NewFromInt(int64(100+rng.IntN(2000)) * 1000)}}
	}
	for i := range in.Prices {
		in.Prices[i].Value = decimal.New(int64(1500+rng.IntN(1000))*10+int64(rng.IntN(10)), -1) // 1500.0 to 2499.9
	}
	in.Prices[2].Value = decimal.New(int64(20000+rng.IntN(8000)), -2).Mul(decimal.NewFromInt(25)) // ES 5000-7000 on its tick
	in.Prices[3].Value = decimal.New(int64(1500+rng.IntN(1000)), -1)                              // XAK 150-250
	in.Positions = nil
	for _, c := range propContracts {
		if rng.IntN(3) > 0 {
			in.Positions = append(in.Positions, hold(c, int64(rng.IntN(61)-30)))
		}
	}
	in.Orders = nil
	for _, i := range rng.Perm(len(propContracts))[:orders] {
		side := broker.Buy
		if rng.IntN(2) == 0 {
			side = broker.Sell
		}
		in.Orders = append(in.Orders, broker.OrderRequest{Ref: fmt.Sprintf("o%d", i), Contract: propContracts[i],
			Side: side, Quantity: int64(1 + rng.IntN(45)), Type: broker.Market})
	}
	return in
}

func TestPropertyLoneOrderMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2026))
	actions := map[Action]int{}
	defer func() { t.Logf("order outcomes: %v", actions) }()
	for i := range 3000 {
		in := randomInput(t, rng, 1)
		d := Check(in)
		o := d.Orders[0]
		actions[o.Action]++
		n := newNaive(in)
		if got, want := o.Approved, n.bestAlone(o.Order); got != want {
			t.Fatalf("case %d: approved %d, brute force %d\norder %+v\npositions %+v\nlimits %+v\nNLV %s margin %s\nverdicts %+v",
				i, got, want, o.Order, in.Positions, in.Limits, in.Account.NetLiquidation, in.Account.InitMargin, o.Verdicts)
		}
	}
}

func TestPropertyPlans(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 2026))
	actions := map[Action]int{}
	defer func() { t.Logf("order outcomes: %v", actions) }()
	for i := range 3000 {
		in := randomInput(t, rng, 1+rng.IntN(4))
		d := Check(in)
		n := newNaive(in)
		final := map[int64]int64{}
		for id, q := range n.start {
			final[id] = q
		}
		added, allAdding := false, true
		roots := map[string]bool{}
		for j, o := range d.Orders {
			p := in.Orders[j]
			actions[o.Action]++
			if o.Approved < 0 || o.Approved > p.Quantity {
				t.Fatalf("case %d: order %s approved %d of %d", i, p.Ref, o.Approved, p.Quantity)
			}
			if got, want := o.Request().Side, p.Side; got != want {
				t.Fatalf("case %d: order %s side %s, want %s", i, p.Ref, got, want)
			}
			if o.Approved > n.orderCap(p) {
				t.Fatalf("case %d: order %s approved %d over its per-order cap %d", i, p.Ref, o.Approved, n.orderCap(p))
			}
			if n.closing(p) > 0 {
				allAdding = false
			}
			if o.Approved > n.closing(p) {
				added = true
				roots[p.Contract.Symbol] = true
			}
			final[p.Contract.ConID] += signOf(p) * o.Approved
		}
		// Whenever anything added risk, the book after the whole plan is
		// within every limit.
		if added {
			if ok, which := n.within(final, roots); !ok {
				t.Fatalf("case %d: the approved plan breaks %s\nplan %+v\npositions %+v\nverdicts %+v", i, which, in.Orders, in.Positions, d.Verdicts)
			}
		}
		// In a plan that only adds, every approved order applied alone
		// keeps the limits that only grow as orders add (all but net: one
		// order may make room in net for another).
		if allAdding {
			for j, o := range d.Orders {
				if o.Approved == 0 {
					continue
				}
				alone := map[int64]int64{}
				for id, q := range n.start {
					alone[id] = q
				}
				alone[in.Orders[j].Contract.ConID] += signOf(in.Orders[j]) * o.Approved
				if ok, which := n.within(alone, map[string]bool{in.Orders[j].Contract.Symbol: true}); !ok && which != "net" {
					t.Fatalf("case %d: order %s alone breaks %s", i, in.Orders[j].Ref, which)
				}
			}
		}
	}
}
