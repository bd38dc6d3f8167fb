package portfolio

// This file holds Plan: the orders that move the account from what it
// holds to the targets, rolls included (a roll is one case of moving a
// root's position between contracts, so it lives with the rest).

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
)

// OrderLeg says what an order does to its contract.
type OrderLeg string

// The order legs.
const (
	// LegClose closes a held contract that is not the one to hold: an
	// expiring contract being rolled, or a root no longer wanted.
	LegClose OrderLeg = "close"
	// LegTarget moves the contract to hold to its target quantity (the
	// open leg of a roll, or a rebalance).
	LegTarget OrderLeg = "target"
)

// PlannedOrder is one order of a plan and why it is there.
type PlannedOrder struct {
	broker.OrderRequest
	Root string   `json:"root"`
	Leg  OrderLeg `json:"leg"`
	// RollID is shared by the close and the open leg of a roll (empty
	// otherwise): risk and routing must take or refuse them together.
	RollID string `json:"roll_id,omitempty"`
	// Current and Target are the contract's quantities before and after.
	Current int64 `json:"current"`
	Target  int64 `json:"target"`
	// Price is the root's reference price; Notional = Price × multiplier
	// × Quantity (unsigned).
	Price    decimal.Decimal `json:"price"`
	Notional decimal.Decimal `json:"notional"`
	Reason   string          `json:"reason"`
}

// Skip records a group of roots left alone by the drift band.
type Skip struct {
	// Group is "long" (RTY and M2K), "hedge" (ES and MES) or a sector root.
	Group string `json:"group"`
	// CurrentNotional and TargetNotional are signed; Band = DriftBand ×
	// |TargetNotional|.
	CurrentNotional decimal.Decimal `json:"current_notional"`
	TargetNotional  decimal.Decimal `json:"target_notional"`
	Difference      decimal.Decimal `json:"difference"`
	Band            decimal.Decimal `json:"band"`
	Reason          string          `json:"reason"`
}

// Untouched is a position Plan left alone, for the record.
type Untouched struct {
	Position broker.Position `json:"position"`
	Reason   string          `json:"reason"`
}

// PlanResult is the plan: the orders, what the drift band skipped, and
// the positions that are not rotor's.
type PlanResult struct {
	// PlanID is the first 16 hex digits of the SHA-256 of the event id,
	// the account, the config's canonical JSON and the account's
	// positions, canonical (see Plan).
	PlanID  string    `json:"plan_id"`
	EventID string    `json:"event_id"`
	Account string    `json:"account"`
	AsOf    time.Time `json:"as_of"`
	// Orders are listed root by root (sorted), each root's closes before
	// its target leg, so the legs of a roll sit together.
	Orders    []PlannedOrder `json:"orders"`
	Skipped   []Skip         `json:"skipped"`
	Untouched []Untouched    `json:"untouched"`
}

// Requests returns the plan's orders as the broker and risk take them.
func (p PlanResult) Requests() []broker.OrderRequest {
	out := make([]broker.OrderRequest, len(p.Orders))
	for i, o := range p.Orders {
		out[i] = o.OrderRequest
	}
	return out
}

// InRollWindow reports whether a future must not be held on asOf: its last
// trade date is within rollDays business days of asOf's calendar day (or
// past). It is the complement of broker.SelectFuture's choice, so a
// contract SelectFuture picks is never in its window.
func InRollWindow(c broker.Contract, asOf time.Time, rollDays int) bool {
	if c.Expiry.IsZero() {
		return false
	}
	return !broker.AddBusinessDays(c.Expiry, -rollDays).After(civilDay(asOf))
}

// civilDay is t's calendar day (in t's location) at midnight UTC, the way
// broker dates contract expiries.
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// sameContract reports whether a and b are the same contract, by ConID when
// both have one, else by local symbol, else by root and month.
func sameContract(a, b broker.Contract) bool {
	if a.ConID != 0 && b.ConID != 0 {
		return a.ConID == b.ConID
	}
	if a.LocalSymbol != "" && b.LocalSymbol != "" {
		return a.LocalSymbol == b.LocalSymbol
	}
	return a.Symbol == b.Symbol && a.ContractMonth() == b.ContractMonth()
}

// contractTag names a contract in an order reference: RTYZ6, else the
// root, month and ConID.
func contractTag(c broker.Contract) string {
	if c.LocalSymbol != "" {
		return c.LocalSymbol
	}
	return c.Symbol + c.ContractMonth() + "." + strconv.FormatInt(c.ConID, 10)
}

// OrderRef is the deterministic reference of a plan's order:
// "rotor-<plan id>-<root>-<contract>-<leg>", e.g.
// "rotor-3f2a9c1e0b7d4a66-RTY-RTYZ6-target". A plan has at most one order
// per contract, so refs are unique within a plan; the plan id makes them
// unique across plans.
func OrderRef(planID, root string, c broker.Contract, leg OrderLeg) string {
	return "rotor-" + planID + "-" + root + "-" + contractTag(c) + "-" + string(leg)
}

// canonPosition is a position as the plan id hashes it: what identifies
// the contract and the quantity (not the average cost, which says nothing
// about what to trade).
type canonPosition struct {
	Account     string
	ConID       int64
	Symbol      string
	LocalSymbol string
	SecType     string
	Expiry      string
	Quantity    int64
}

// PlanID is the first 16 hex digits of the SHA-256 of the JSON of the
// event id, the account, the config's canonical JSON and the positions
// (zero quantities left out, sorted by account, contract and quantity).
// The same event against the same account and positions gives the same
// id, so a redelivered event gives the same order refs.
func PlanID(eventID, account string, cfg SleeveConfig, positions []broker.Position) string {
	return planID(eventID, account, cfg.CanonicalJSON(), positions)
}

// planID is PlanID with the config's canonical JSON worked out already.
func planID(eventID, account string, cfgJSON []byte, positions []broker.Position) string {
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
	// The contract keys are worked out once, not per comparison; the
	// comparisons, and so the order, are the same. Each key is what
	// fmt.Sprint(ConID, LocalSymbol, Symbol, SecType, Expiry) writes: with a
	// string on one side of every pair of operands it puts no space
	// between them.
	keys := make([]string, len(canon))
	var key []byte
	for i, a := range canon {
		key = strconv.AppendInt(key[:0], a.ConID, 10)
		for _, s := range [...]string{a.LocalSymbol, a.Symbol, a.SecType, a.Expiry} {
			key = append(key, s...)
		}
		keys[i] = string(key)
	}
	sort.Sort(canonByKey{canon, keys})
	b := appendPlanIDInput(make([]byte, 0, 64+len(cfgJSON)+160*len(canon)), eventID, account, cfgJSON, canon)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// canonByKey sorts canonical positions by account, contract key and
// quantity, carrying each position's key along with it.
type canonByKey struct {
	ps   []canonPosition
	keys []string
}

func (s canonByKey) Len() int { return len(s.ps) }

func (s canonByKey) Swap(i, j int) {
	s.ps[i], s.ps[j] = s.ps[j], s.ps[i]
	s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
}

func (s canonByKey) Less(i, j int) bool {
	a, b := s.ps[i], s.ps[j]
	if a.Account != b.Account {
		return a.Account < b.Account
	}
	if s.keys[i] != s.keys[j] {
		return s.keys[i] < s.keys[j]
	}
	return a.Quantity < b.Quantity
}

// held is rotor's position in one contract.
type held struct {
	contract broker.Contract
	qty      int64
}

// Plan returns the orders that move the account from current to targets on
// asOf, for the roots the sleeve owns only (cfg.OwnedRoots); cfg must be
// the config the targets were made with.
//
// Per owned root, the contracts held other than the one to hold are closed
// (LegClose) and the contract to hold is brought to its target (LegTarget).
// When a root both closes a contract and opens the one to hold, the two
// legs are a roll and share a RollID. A held contract inside the roll
// window (InRollWindow) is therefore always closed, whatever the drift
// band says: an expiring position is never left open.
//
// The drift band applies per group (RTY+M2K together, since they are one
// exposure; ES+MES; each sector root alone): when the group's current
// notional, at the targets' reference prices, is within cfg.DriftBand ×
// |target notional| of the target, each root of the group keeps its
// current total quantity (moved into the contract to hold if it rolls),
// and the skip is recorded. A zero target has a zero band: flat means flat.
//
// Positions of other accounts, of other security types and of roots the
// sleeve does not own are returned in Untouched and never traded.
func Plan(current []broker.Position, targets Targets, asOf time.Time, cfg SleeveConfig) (PlanResult, error) {
	if err := cfg.Validate(); err != nil {
		return PlanResult{}, err
	}
	canon := cfg.CanonicalJSON()
	if !sameConfig(cfg, targets.Config) && string(canon) != string(targets.Config.CanonicalJSON()) {
		return PlanResult{}, fmt.Errorf("%w: the plan's config differs from the config the targets were made with", ErrInvalidInput)
	}
	if asOf.IsZero() {
		return PlanResult{}, fmt.Errorf("%w: as-of time is zero", ErrInvalidInput)
	}
	res := PlanResult{EventID: targets.EventID, Account: targets.Account, AsOf: asOf,
		Orders: []PlannedOrder{}, Skipped: []Skip{}, Untouched: []Untouched{}}
	res.PlanID = planID(targets.EventID, targets.Account, canon, current)

	owned := make(map[string]RootTarget, len(targets.Roots))
	for _, rt := range targets.Roots {
		owned[rt.Root] = rt
	}
	for _, root := range cfg.ownedRoots() {
		if _, ok := owned[root]; !ok {
			return PlanResult{}, fmt.Errorf("%w: targets have no entry for owned root %s", ErrInvalidInput, root)
		}
	}

	// Sort the positions into rotor's, by root and contract, and the rest.
	mine := make(map[string][]held, len(owned))
	for _, p := range current {
		if p.Quantity == 0 {
			continue
		}
		c := p.Contract
		switch _, ours := owned[c.Symbol]; {
		case targets.Account != "" && p.Account != "" && p.Account != targets.Account:
			res.Untouched = append(res.Untouched, Untouched{p, "another account (" + p.Account + ")"})
		case c.SecType != broker.Future && c.SecType != "":
			res.Untouched = append(res.Untouched, Untouched{p, "not a future (" + string(c.SecType) + ")"})
		case !ours:
			res.Untouched = append(res.Untouched, Untouched{p, "root " + c.Symbol + " is not the sleeve's: another strategy's"})
		default:
			hs := mine[c.Symbol]
			merged := false
			for i := range hs {
				if sameContract(hs[i].contract, c) {
					hs[i].qty += p.Quantity
					merged = true
				}
			}
			if !merged {
				hs = append(hs, held{c, p.Quantity})
			}
			mine[c.Symbol] = hs
		}
	}

	// The drift band, group by group: the desired total per root.
	desired := make(map[string]int64, len(targets.Roots))
	groups := make(map[string][]RootTarget, len(targets.Roots))
	var groupNames []string
	for _, rt := range targets.Roots {
		desired[rt.Root] = rt.Contracts
		if _, ok := groups[rt.Group]; !ok {
			groupNames = append(groupNames, rt.Group)
		}
		groups[rt.Group] = append(groups[rt.Group], rt)
	}
	sort.Strings(groupNames)
	heldIn := func(root string) (q int64) {
		for _, h := range mine[root] {
			q += h.qty
		}
		return q
	}
	for _, g := range groupNames {
		differs := false
		for _, rt := range groups[g] {
			differs = differs || heldIn(rt.Root) != rt.Contracts
		}
		if !differs {
			continue // at its target: nothing to trade, no band to apply
		}
		cur, tgt := decimal.Zero, decimal.Zero
		for _, rt := range groups[g] {
			cur = cur.Add(rt.Price.Mul(decimal.NewFromInt(rt.Multiplier * heldIn(rt.Root))))
			tgt = tgt.Add(rt.Notional)
		}
		if tgt.IsZero() {
			continue
		}
		diff, band := cur.Sub(tgt), cfg.DriftBand.Mul(tgt.Abs())
		if diff.Abs().GreaterThan(band) {
			continue
		}
		for _, rt := range groups[g] {
			desired[rt.Root] = heldIn(rt.Root)
		}
		res.Skipped = append(res.Skipped, Skip{Group: g, CurrentNotional: cur, TargetNotional: tgt, Difference: diff, Band: band,
			Reason: fmt.Sprintf("within the drift band: |current − target| = %s ≤ %s × %s = %s", diff.Abs(), cfg.DriftBand, tgt.Abs(), band)})
	}

	// The orders, root by root.
	for _, rt := range targets.Roots {
		orders, err := planRoot(res.PlanID, rt, mine[rt.Root], desired[rt.Root], asOf, cfg)
		if err != nil {
			return PlanResult{}, err
		}
		res.Orders = append(res.Orders, orders...)
	}
	return res, nil
}

// planRoot returns the orders of one owned root: close every held contract
// but the one to hold, and bring that one to want contracts.
func planRoot(planID string, rt RootTarget, hs []held, want int64, asOf time.Time, cfg SleeveConfig) ([]PlannedOrder, error) {
	hold := rt.Contract
	if want != 0 {
		if hold.Symbol == "" {
			return nil, fmt.Errorf("%w: %s: %d contracts wanted but no contract to hold", ErrInvalidInput, rt.Root, want)
		}
		if InRollWindow(hold, asOf, cfg.RollDays) {
			return nil, fmt.Errorf("%w: %s: the contract to hold, %s, expires within %d business days of %s: resolve the next one (broker.SelectFuture)",
				ErrInvalidInput, rt.Root, hold, cfg.RollDays, asOf.Format(time.DateOnly))
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].contract.Key() < hs[j].contract.Key() })
	var closes []PlannedOrder
	var inHold int64
	day := civilDay(asOf)
	for _, h := range hs {
		if hold.Symbol != "" && sameContract(h.contract, hold) {
			inHold += h.qty
			continue
		}
		reason := "root no longer wanted: close"
		inWindow := InRollWindow(h.contract, asOf, cfg.RollDays) // counted out once, for two cases
		switch {
		case !h.contract.Expiry.IsZero() && h.contract.Expiry.Before(day):
			reason = fmt.Sprintf("expired on %s: close", h.contract.Expiry.Format(time.DateOnly))
		case inWindow && want != 0:
			reason = fmt.Sprintf("roll: last trade %s is within %d business days of %s", h.contract.Expiry.Format(time.DateOnly), cfg.RollDays, day.Format(time.DateOnly))
		case inWindow:
			reason = fmt.Sprintf("last trade %s is within %d business days of %s, root no longer wanted: close", h.contract.Expiry.Format(time.DateOnly), cfg.RollDays, day.Format(time.DateOnly))
		case want != 0:
			reason = fmt.Sprintf("not the contract to hold (%s): close", contractTag(hold))
		}
		o, err := newOrder(planID, rt, h.contract, LegClose, h.qty, 0, reason, cfg)
		if err != nil {
			return nil, err
		}
		closes = append(closes, o)
	}
	out := closes
	if delta := want - inHold; delta != 0 {
		reason := fmt.Sprintf("target %d contracts", want)
		if len(closes) > 0 {
			reason = fmt.Sprintf("roll into %s, target %d contracts", contractTag(hold), want)
		}
		o, err := newOrder(planID, rt, hold, LegTarget, inHold, want, reason, cfg)
		if err != nil {
			return nil, err
		}
		if len(closes) > 0 {
			rollID := planID + "-roll-" + rt.Root
			for i := range out {
				out[i].RollID = rollID
			}
			o.RollID = rollID
		}
		out = append(out, o)
	}
	return out, nil
}

// newOrder builds the order that takes contract c from cur to tgt.
func newOrder(planID string, rt RootTarget, c broker.Contract, leg OrderLeg, cur, tgt int64, reason string, cfg SleeveConfig) (PlannedOrder, error) {
	delta := tgt - cur
	side, qty := broker.Buy, delta
	if delta < 0 {
		side, qty = broker.Sell, -delta
	}
	o := PlannedOrder{
		OrderRequest: broker.OrderRequest{Ref: OrderRef(planID, rt.Root, c, leg), Contract: c, Side: side, Quantity: qty,
			Type: cfg.OrderType, TIF: cfg.TIF},
		Root: rt.Root, Leg: leg, Current: cur, Target: tgt, Price: rt.Price,
		Notional: rt.Price.Mul(decimal.NewFromInt(rt.Multiplier * qty)), Reason: reason,
	}
	if cfg.OrderType == broker.Limit {
		if !rt.Price.IsPositive() {
			return PlannedOrder{}, fmt.Errorf("%w: %s: a limit order needs a reference price for %s", ErrInvalidInput, o.Ref, rt.Root)
		}
		inst, err := broker.LookupInstrument(rt.Root)
		if err != nil {
			return PlannedOrder{}, fmt.Errorf("portfolio: %w", err)
		}
		o.LimitPrice = CollarPrice(inst, rt.Price, side, cfg.Collar)
	}
	if err := o.Validate(); err != nil {
		return PlannedOrder{}, fmt.Errorf("portfolio: %w", err)
	}
	return o, nil
}

// CollarPrice is the limit price of a collared order: ref × (1 + collar)
// for a buy, ref × (1 − collar) for a sell, rounded on the instrument's
// tick toward the passive side (down for a buy, up for a sell).
func CollarPrice(inst broker.Instrument, ref decimal.Decimal, side broker.Side, collar decimal.Decimal) decimal.Decimal {
	f := decimal.NewFromInt(1).Add(collar)
	if side == broker.Sell {
		f = decimal.NewFromInt(1).Sub(collar)
	}
	return inst.RoundPrice(ref.Mul(f), side)
}
