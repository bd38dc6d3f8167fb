package risk

import (
	"fmt"
	"strings"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/shopspring/decimal"
)

// Check decides what of the plan in.Orders may go out. It is a pure
// function of its input: no I/O, no goroutines, no wall clock, and the same
// input always gives the same decision. The rules and the order they apply
// in are described in the package documentation.
func Check(in Input) Decision {
	c := &checker{in: in, lim: in.Limits}
	c.run()
	return c.d
}

// gate is a plan-wide condition that rejects orders: every order (hard
// gates) or every order that adds risk (blockers).
type gate struct {
	code          Code
	limit, actual decimal.Decimal
	unit, msg     string
}

// orderState is Check's working state for one proposed order.
type orderState struct {
	key, root string
	s         int64           // +1 buy, -1 sell
	unit      decimal.Decimal // price × multiplier
	im        decimal.Decimal // initial margin per contract, zero when unknown
	r         int64           // contracts that close part of the position (phase 1)
	a         int64           // contracts that add risk (phase 2)
	rejected  bool
	counted   bool // took a slot of MaxOrdersPerMinute
	margin    decimal.Decimal
	verdicts  []Verdict
}

type checker struct {
	in       Input
	lim      Limits
	d        Decision
	plan     []Verdict
	hard     *gate
	blockers []gate
	prices   priceIndex
	book     *book
	budget   int
	recent   int
	ords     []orderState
	keys     []string // each order's Contract.Key(), built once
	ineqs    [5]ineq  // the exposure lines of the order being added, reused
}

func (c *checker) run() {
	in := c.in
	c.d.At = in.Now
	c.d.Orders = make([]OrderDecision, len(in.Orders))
	c.ords = make([]orderState, len(in.Orders))
	c.keys = make([]string, len(in.Orders))
	for i, o := range in.Orders {
		c.d.Orders[i] = OrderDecision{Order: o, Action: ActionReject}
		c.keys[i] = o.Contract.Key()
	}
	if in.KillSwitch.Tripped {
		c.d.CancelWorking = true
	}
	if err := c.lim.Validate(); err != nil {
		c.hardGate(gate{code: CodeInvalidLimits,
			msg: "the risk limits are invalid (" + strings.ReplaceAll(err.Error(), "\n", "; ") + "), so nothing is approved"})
		for i := range c.ords {
			c.prepare(i) // each order gets its verdict from the hard gate
		}
		c.finish()
		return
	}
	if in.Now.IsZero() {
		c.hardGate(gate{code: CodeInvalidInput, msg: "the decision has no time, so the trading window and ages cannot be checked"})
	}
	c.killSwitch()
	if code, msg := MarketStatus(in.Now); code != CodeOK && !in.Now.IsZero() {
		c.hardGate(gate{code: code, msg: msg + "; no order can execute"})
	}
	if a := age(in.Now, in.EventTime); in.EventTime.IsZero() || a > c.lim.MaxEventAge {
		g := gate{code: CodeStaleEvent, limit: seconds(c.lim.MaxEventAge), actual: seconds(a), unit: "seconds",
			msg: fmt.Sprintf("the signal event from %s is %s from now, beyond the limit of %s",
				in.EventTime.UTC().Format(time.RFC3339), a.Round(time.Second), c.lim.MaxEventAge)}
		if in.EventTime.IsZero() {
			g.actual = decimal.Zero
			g.msg = "the plan has no event time, so its signal counts as stale"
		}
		c.blocker(g)
	}
	c.prices = newPriceIndex(in.Prices)
	var bad []unvalued
	c.book, bad = newBook(in, c.prices)
	for _, code := range []Code{CodeNoPrice, CodeStalePrice} {
		var what []string
		for _, u := range bad {
			if u.code == code {
				what = append(what, u.what)
			}
		}
		if len(what) > 0 {
			c.blocker(gate{code: code, msg: "the account's exposure cannot be measured: " + strings.Join(what, "; ")})
		}
	}
	for _, t := range in.RecentOrders {
		if t.After(in.Now.Add(-time.Minute)) {
			c.recent++
		}
	}
	c.budget = c.lim.MaxOrdersPerMinute - c.recent
	c.d.Exposure = Exposure{
		NetLiquidation:      c.book.nlv,
		GrossNotionalBefore: c.book.gross,
		NetNotionalBefore:   c.book.net,
		GrossLeverageBefore: ratio(c.book.gross, c.book.nlv),
		NetLeverageBefore:   ratio(c.book.net.Abs(), c.book.nlv),
		MarginBefore:        c.book.margin,
		MarginUseBefore:     ratio(c.book.margin, c.book.nlv),
	}

	for i := range c.ords {
		c.prepare(i)
	}
	// Phase 1: the contracts that close positions, so that the room they
	// free is there for the orders that add.
	for i := range c.ords {
		if st := &c.ords[i]; !st.rejected && st.r > 0 {
			c.reduce(i)
		}
	}
	// Phase 2: the contracts that add risk, in plan order.
	for i := range c.ords {
		if st := &c.ords[i]; !st.rejected && st.a > 0 {
			c.add(i)
		}
	}
	c.finish()
}

// hardGate records a plan-wide condition that rejects every order. The
// first one is what each order's verdict names.
func (c *checker) hardGate(g gate) {
	c.plan = append(c.plan, Verdict{Code: g.code, Action: ActionReject, Limit: g.limit, Actual: g.actual, Unit: g.unit,
		Message: g.msg + ": every order is rejected"})
	if c.hard == nil {
		c.hard = &g
	}
}

// blocker records a plan-wide condition that rejects every order that adds
// risk; orders that only reduce risk still go.
func (c *checker) blocker(g gate) {
	c.plan = append(c.plan, Verdict{Code: g.code, Action: ActionReject, Limit: g.limit, Actual: g.actual, Unit: g.unit,
		Message: g.msg + ": orders that add risk are rejected, orders that reduce it are allowed"})
	c.blockers = append(c.blockers, g)
}

// killSwitch applies the persisted kill switch and trips it when today's
// loss or the drawdown is beyond its limit.
func (c *checker) killSwitch() {
	in := c.in
	ks := in.KillSwitch
	if ks.Tripped {
		msg := "the kill switch is tripped"
		if !ks.Since.IsZero() {
			msg += " since " + ks.Since.UTC().Format(time.RFC3339)
		}
		if ks.Reason != "" {
			msg += " (" + ks.Reason + ")"
		}
		msg += "; working orders are cancelled and only an operator can reset it (rotor risk reset)"
		c.blocker(gate{code: CodeKillSwitch, msg: msg})
	}
	nlv := in.Account.NetLiquidation
	if !nlv.IsPositive() {
		c.blocker(gate{code: CodeAccount, actual: nlv, unit: "USD",
			msg: fmt.Sprintf("net liquidation is %s, so no limit can be measured against it", fmtUSD(nlv))})
	}
	if !in.DayStartNLV.IsPositive() {
		c.blocker(gate{code: CodeAccount, actual: in.DayStartNLV, unit: "USD",
			msg: "the start-of-day net liquidation is unknown, so the daily loss limit cannot be checked"})
		return
	}
	breaches := lossBreaches(c.lim, nlv, in.DayStartNLV, in.HighWaterMark)
	c.plan = append(c.plan, breaches...)
	if len(breaches) == 0 || ks.Tripped {
		return
	}
	c.d.TripKillSwitch = true
	c.d.TripReason = breaches[0].Message
	c.d.CancelWorking = true
	c.blockers = append(c.blockers, gate{code: CodeKillSwitch, msg: "the kill switch trips in this decision: " + breaches[0].Message})
}

// prepare runs the checks of one order that do not depend on the others:
// the request, the trading window, its price, the collar and the per-order
// limits. It splits what is left into the contracts that close the current
// position (r) and those that add risk (a).
func (c *checker) prepare(i int) {
	o := c.in.Orders[i]
	st := &c.ords[i]
	q := o.Quantity
	if msg := c.invalid(i); msg != "" {
		c.rejectAll(i, CodeInvalidOrder, decimal.Zero, decimal.Zero, "", msg)
		return
	}
	if reason, ok := c.in.Blocked[o.Contract.Symbol]; ok {
		// Checked before anything else about the order, and before the
		// split into closing and adding contracts: that split rests on
		// the position rotor believes in, which is what is wrong here.
		c.rejectAll(i, CodeInstrumentBlocked, decimal.Zero, decimal.Zero, "", blockedMessage(o.Contract.Symbol, reason))
		return
	}
	if g := c.hard; g != nil {
		c.rejectAll(i, g.code, g.limit, g.actual, g.unit, g.msg)
		return
	}
	st.key, st.root = c.keys[i], o.Contract.Symbol
	st.s = 1
	if o.Side == broker.Sell {
		st.s = -1
	}
	if p0 := c.book.pos[st.key]; p0 != 0 && (p0 > 0) != (st.s > 0) {
		st.r = min(q, abs(p0))
	}
	c.d.Orders[i].ReducesRisk = st.r == q
	pr, ok := c.prices.lookup(o.Contract)
	if !ok || !pr.Value.IsPositive() {
		c.rejectAll(i, CodeNoPrice, decimal.Zero, decimal.Zero, "",
			fmt.Sprintf("there is no reference price for %s", contractName(o.Contract)))
		return
	}
	c.d.Orders[i].Price = pr.Value
	if a := age(c.in.Now, pr.Time); a > c.lim.MaxPriceAge {
		c.rejectAll(i, CodeStalePrice, seconds(c.lim.MaxPriceAge), seconds(a), "seconds",
			fmt.Sprintf("the reference price of %s is from %s, %s from now, beyond the limit of %s",
				contractName(o.Contract), pr.Time.UTC().Format(time.RFC3339), a.Round(time.Second), c.lim.MaxPriceAge))
		return
	}
	if o.Type == broker.Limit {
		dev := o.LimitPrice.Sub(pr.Value).Abs()
		if dev.GreaterThan(c.lim.LimitCollar.Mul(pr.Value)) {
			frac := dev.DivRound(pr.Value, 6)
			c.rejectAll(i, CodePriceCollar, c.lim.LimitCollar, frac, "fraction",
				fmt.Sprintf("limit price %s is %s away from the reference price %s, outside the collar of %s",
					o.LimitPrice, fmtPct(frac), pr.Value, fmtPct(c.lim.LimitCollar)))
			return
		}
	}
	st.unit = pr.Value.Mul(decimal.NewFromInt(multiplier(o.Contract)))
	if im, ok := c.in.InitialMargin[st.root]; ok && im.IsPositive() {
		st.im = im
	}

	if most := c.lim.MaxOrderContracts; q > most {
		c.verdict(i, CodeOrderContracts, actionFor(o.Quantity, most), decimal.NewFromInt(most), decimal.NewFromInt(q), "contracts",
			fmt.Sprintf("an order of %s exceeds the per-order limit of %s; %s", fmtContracts(q), fmtContracts(most), outcome(o, q, most)))
		q = most
	}
	if notional := st.unit.Mul(decimal.NewFromInt(q)); notional.GreaterThan(c.lim.MaxOrderNotional) {
		fit := c.lim.MaxOrderNotional.DivRound(st.unit, 8).Floor().IntPart()
		for fit > 0 && st.unit.Mul(decimal.NewFromInt(fit)).GreaterThan(c.lim.MaxOrderNotional) {
			fit--
		}
		c.verdict(i, CodeOrderNotional, actionFor(q, fit), c.lim.MaxOrderNotional, notional, "USD",
			fmt.Sprintf("order notional %s exceeds the per-order limit of %s; %s", fmtUSD(notional), fmtUSD(c.lim.MaxOrderNotional), outcome(o, q, fit)))
		q = fit
	}
	if q == 0 {
		st.rejected = true
		return
	}
	st.r = min(st.r, q)
	st.a = q - st.r
}

// invalid returns what is wrong with order i as a request, or "".
func (c *checker) invalid(i int) string {
	o := c.in.Orders[i]
	if err := o.Validate(); err != nil {
		return err.Error()
	}
	name := orderName(o)
	switch {
	case !isFuture(o.Contract):
		return fmt.Sprintf("%s is for a %s; risk checks futures orders only", name, o.Contract.SecType)
	case o.Contract.Symbol == "":
		return fmt.Sprintf("%s has no root symbol, so its instrument limits cannot be found", name)
	case multiplier(o.Contract) == 0:
		return fmt.Sprintf("%s has no multiplier and %q is not an instrument rotor knows", name, o.Contract.Symbol)
	}
	for j := range i {
		p := c.in.Orders[j]
		if p.Ref == o.Ref {
			return fmt.Sprintf("%s repeats the reference %q of an earlier order in the plan", name, o.Ref)
		}
		if c.keys[j] == c.keys[i] {
			return fmt.Sprintf("%s is the plan's second order for %s; a plan has one order per contract", name, contractName(o.Contract))
		}
	}
	return ""
}

// blockedMessage explains why an order in a blocked root is rejected.
func blockedMessage(root, reason string) string {
	if reason = strings.TrimSpace(reason); reason == "" {
		reason = "no reason recorded"
	}
	return fmt.Sprintf("%s is blocked: %s; until an operator acknowledges it (rotor risk ack) every order in %s is rejected, "+
		"reducing ones too, since an order that looks like it reduces the position might add to it", root, reason, root)
}

// take uses one slot of MaxOrdersPerMinute for order i, or rejects it.
func (c *checker) take(i int, from, to int64) bool {
	st := &c.ords[i]
	if st.counted {
		return true
	}
	if c.budget <= 0 {
		o := c.in.Orders[i]
		used := c.lim.MaxOrdersPerMinute - c.budget
		c.verdict(i, CodeOrderRate, actionFor(from, to), decimal.NewFromInt(int64(c.lim.MaxOrdersPerMinute)), decimal.NewFromInt(int64(used+1)), "orders",
			fmt.Sprintf("%d orders in the last minute (%d before this plan) would exceed the limit of %d a minute; %s",
				used+1, c.recent, c.lim.MaxOrdersPerMinute, outcome(o, from, to)))
		return false
	}
	c.budget--
	st.counted = true
	return true
}

// reduce approves the contracts of order i that close part of a position.
// They are exempt from the exposure limits and from the blockers: they
// lower gross notional, instrument holdings and margin, and flattening
// must stay possible.
func (c *checker) reduce(i int) {
	st := &c.ords[i]
	if !c.take(i, c.in.Orders[i].Quantity, 0) {
		st.rejected = true
		return
	}
	st.margin = st.margin.Add(c.book.apply(st.key, st.root, st.s*st.r, st.unit, st.im))
}

// add approves as many of order i's risk-adding contracts as every blocker
// and exposure limit allows.
func (c *checker) add(i int) {
	st := &c.ords[i]
	o := c.in.Orders[i]
	from := st.r + st.a
	end := func(to int64) string {
		s := outcome(o, from, to)
		if to > 0 && to == st.r {
			s += ", the part that closes the position"
		}
		return s
	}
	if len(c.blockers) > 0 {
		for _, g := range c.blockers {
			c.verdict(i, g.code, actionFor(from, st.r), g.limit, g.actual, g.unit, g.msg+"; "+end(st.r))
		}
		st.a = 0
		return
	}
	if st.im.IsZero() {
		c.verdict(i, CodeMargin, actionFor(from, st.r), c.lim.MaxMarginUse, decimal.Zero, "fraction",
			fmt.Sprintf("no initial margin per contract is known for %s, so the margin the order adds cannot be projected; %s", st.root, end(st.r)))
		st.a = 0
		return
	}
	lines := c.book.exposureLines(c.lim, st.key, st.root, st.unit, st.im)
	ineqs := c.ineqs[:len(lines)]
	for j := range lines {
		ineqs[j].set(&lines[j])
	}
	k := largestFit(ineqs, st.a, st.s)
	for j, l := range lines {
		// largestFit returns st.a only once every line fits at st.a, so
		// then no line can be broken and the test is skipped.
		if k < st.a && !ineqs[j].fits(st.a, st.s) {
			actual := l.measure(st.a, st.s)
			c.verdict(i, l.code, actionFor(from, st.r+k), l.max, actual, l.unit, lineMessage(l, st.root, actual, end(st.r+k)))
		}
	}
	if k > 0 && !c.take(i, from, st.r) {
		k = 0
	}
	st.a = k
	if k > 0 {
		st.margin = st.margin.Add(c.book.apply(st.key, st.root, st.s*k, st.unit, st.im))
	}
}

// rejectAll rejects order i outright with one verdict.
func (c *checker) rejectAll(i int, code Code, limit, actual decimal.Decimal, unit, msg string) {
	o := c.in.Orders[i]
	c.ords[i].rejected = true
	c.verdict(i, code, ActionReject, limit, actual, unit, msg+"; "+outcome(o, o.Quantity, 0))
}

func (c *checker) verdict(i int, code Code, act Action, limit, actual decimal.Decimal, unit, msg string) {
	c.ords[i].verdicts = append(c.ords[i].verdicts, Verdict{Code: code, Action: act, OrderRef: c.in.Orders[i].Ref,
		Limit: limit, Actual: actual, Unit: unit, Message: msg})
}

// finish fills in the decision from the working state.
func (c *checker) finish() {
	c.d.Verdicts = append(c.d.Verdicts, c.plan...)
	for i := range c.d.Orders {
		od := &c.d.Orders[i]
		st := &c.ords[i]
		if !st.rejected {
			od.Approved = st.r + st.a
		}
		od.Action = actionFor(od.Order.Quantity, od.Approved)
		od.Notional = st.unit.Mul(decimal.NewFromInt(od.Approved))
		od.MarginEffect = st.margin
		if len(st.verdicts) == 0 {
			c.verdict(i, CodeOK, od.Action, decimal.Zero, decimal.Zero, "", outcome(od.Order, od.Order.Quantity, od.Approved)+": every limit holds")
		}
		od.Verdicts = st.verdicts
		c.d.Verdicts = append(c.d.Verdicts, st.verdicts...)
	}
	if b := c.book; b != nil {
		e := &c.d.Exposure
		e.GrossNotionalAfter = b.gross
		e.NetNotionalAfter = b.net
		e.MarginAfter = b.margin
		if b.changed {
			e.GrossLeverageAfter = ratio(b.gross, b.nlv)
			e.NetLeverageAfter = ratio(b.net.Abs(), b.nlv)
			e.MarginUseAfter = ratio(b.margin, b.nlv)
		} else {
			// No order was applied: the same numbers, the same ratios.
			e.GrossLeverageAfter, e.NetLeverageAfter, e.MarginUseAfter = e.GrossLeverageBefore, e.NetLeverageBefore, e.MarginUseBefore
		}
	}
}

// seconds is a duration in whole seconds, for a verdict's Limit and Actual.
func seconds(d time.Duration) decimal.Decimal {
	return decimal.NewFromInt(int64(d / time.Second))
}
