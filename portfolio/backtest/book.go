package backtest

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// heldContract is a root's contract to hold and the first day it is in
// its roll window.
type heldContract struct {
	contract broker.Contract
	rollDate time.Time
}

// clientID is the TWS API client id the books place orders as.
const clientID = 1

// book is one account replayed through the portfolio service's decision
// (portfolio/service's Decide, then routing): the paper broker's engine
// is the book of record (fills, positions, cash, margin, commissions), and
// what the service keeps in its audit log, the kill switch and the risk
// marks, is held in memory.
type book struct {
	name, description string
	cfg               *Config
	sleeve            portfolio.SleeveConfig
	mkt               *market
	margin            map[string]decimal.Decimal
	roots             []string // the sleeve's owned roots, sorted

	now     time.Time // the engine's clock, set before each step
	eng     *ibsim.Engine
	orderID int64
	// held caches the contract to hold of each root while it is outside
	// its roll window: broker.SelectFuture picks the same one until then.
	held map[string]heldContract
	// working are the legs of orders that rest at the broker, by ref, so
	// a later fill is recorded with them.
	working map[string]portfolio.PlannedOrder

	kill      risk.KillSwitch
	trippedOn int // the day index of the last trip
	trips     int
	dayStart  decimal.Decimal // NLV after the previous day's fills
	hwm       decimal.Decimal
	// dayStartF and hwmF are dayStart and hwm in float64, for
	// farFromLossLimits.
	dayStartF, hwmF approx

	// pos and base are the engine's positions and account as last read
	// (after the last trade), and k is base's net liquidation less the
	// positions' value then (see value).
	pos []broker.Position
	// expiries[k] is pos[k]'s expiry as YYYY-MM-DD, for the day's record.
	expiries []string
	base     broker.Account
	k        decimal.Decimal
	// kCents is k.Round(2), for cents; kF is k as the nearest float64,
	// and leg the sleeve as steady reads it.
	kCents  decimal.Decimal
	kF      float64
	leg     longLeg
	limitsF lossLimits
	// dirty says the engine's book changed during the step.
	dirty bool
	// exhaustive reads the engine and plans every day, for the test that
	// the quiet-day shortcut changes nothing.
	exhaustive bool
	// steadyDays counts the days steady answered for (that test checks
	// the shortcut is taken).
	steadyDays int

	days  []Day
	fills []Fill
	notes []Note
	// ups is the buffer the engine appends an order's updates to, reused
	// for every order (record reads them before the next).
	ups []ibsim.Update
}

func newBook(name, description string, cfg *Config, data map[string]marketdata.Series, sleeve portfolio.SleeveConfig, mkt *market, margin map[string]decimal.Decimal) *book {
	b := &book{name: name, description: description, cfg: cfg, sleeve: sleeve, mkt: mkt, margin: margin,
		roots: sleeve.OwnedRoots(), held: make(map[string]heldContract), working: make(map[string]portfolio.PlannedOrder),
		dayStart: cfg.StartingCash, hwm: cfg.StartingCash, dayStartF: approxOf(cfg.StartingCash), hwmF: approxOf(cfg.StartingCash),
		k: cfg.StartingCash, kCents: cfg.StartingCash.Round(2), kF: cfg.StartingCash.InexactFloat64(),
		leg: newLongLeg(sleeve), exhaustive: cfg.exhaustive, days: make([]Day, 0, len(mkt.days)),
		limitsF: lossLimits{dailyLossFraction: cfg.Limits.DailyLossFraction.InexactFloat64(),
			dailyLossAmount: cfg.Limits.DailyLossAmount.InexactFloat64(), maxDrawdown: cfg.Limits.MaxDrawdown.InexactFloat64()}}
	b.eng = ibsim.NewEngine(ibsim.EngineConfig{Account: cfg.Account, StartingCash: cfg.StartingCash,
		Now: func() time.Time { return b.now }, Series: data, SlippageTicks: cfg.SlippageTicks, Catalog: mkt.catalog})
	b.base = broker.Account{ID: cfg.Account, Currency: "USD", NetLiquidation: cfg.StartingCash, TotalCash: cfg.StartingCash,
		AvailableFunds: cfg.StartingCash, ExcessLiquidity: cfg.StartingCash}
	return b
}

// step replays trading day i, whose signal is ev (tr's events[i]): the
// broker's day starts (resting DAY orders from earlier days expire), the
// book decides at DecisionTime as the portfolio service does, routes what
// risk approves, and records the day.
func (b *book) step(i int, ev signals.Event, tr track) error {
	date := b.mkt.dates[i]
	b.now = b.mkt.at[i] // DecisionTime(b.mkt.days[i])
	d := Day{Date: date, Regime: ev.Regime, Score: ev.Score, SmallCap: b.mkt.smallCap[i],
		Commissions: decimal.Zero, Traded: decimal.Zero}
	b.dirty = b.exhaustive
	if len(b.working) > 0 || b.exhaustive {
		b.record(&d, b.eng.Sweep())
	}
	if b.dirty {
		b.refresh(i)
	}
	nlv, expo := b.value(i)
	nlvF := b.valueF(i)
	acct := b.base
	acct.NetLiquidation, acct.UpdatedAt = nlv, b.now
	if b.kill.Tripped && b.cfg.KillSwitchReset > 0 && i-b.trippedOn >= b.cfg.KillSwitchReset {
		b.kill = risk.KillSwitch{}
		b.hwm, b.hwmF = nlv, nlvF
		b.note(date, "kill_switch_reset", fmt.Sprintf("reset %d trading day(s) after the trip, as an operator would; the high-water mark restarts at %s", b.cfg.KillSwitchReset, nlv.StringFixed(2)))
	}
	if nlv.GreaterThan(b.hwm) {
		b.hwm, b.hwmF = nlv, nlvF
	}
	if nlv.IsPositive() {
		if err := b.decide(i, ev, tr, acct, nlvF, &d); err != nil {
			return fmt.Errorf("backtest: %s book on %s: %w", b.name, date, err)
		}
	} else {
		b.note(date, "account", "net liquidation "+nlv.StringFixed(2)+" is not positive: nothing can be sized")
	}
	if b.dirty {
		b.refresh(i)
		nlv, expo = b.value(i)
		nlvF = b.valueF(i)
	}
	d.NLV, d.Exposure = b.cents(nlv, expo), expo.Round(2)
	d.Positions = make([]Holding, 0, len(b.pos)) // [] in the JSON when flat
	for k, p := range b.pos {
		d.Positions = append(d.Positions, Holding{Contract: p.Contract.LocalSymbol, Root: p.Contract.Symbol,
			Expiry: b.expiries[k], Quantity: p.Quantity, Mark: b.mkt.prices[p.Contract.Symbol][i]})
	}
	d.KillSwitch = b.kill.Tripped
	b.dayStart, b.dayStartF = nlv, nlvF
	b.days = append(b.days, d)
	return nil
}

// refresh reads the account and the positions from the engine, after it
// traded (or every day when exhaustive).
func (b *book) refresh(i int) {
	b.base = b.account()
	b.pos = b.positions()
	b.expiries = make([]string, len(b.pos))
	for k, p := range b.pos {
		b.expiries[k] = p.Contract.Expiry.Format(time.DateOnly)
	}
	b.k = b.base.NetLiquidation.Sub(exposure(b.pos, b.mkt.prices, i))
	b.kCents, b.kF = b.k.Round(2), b.k.InexactFloat64()
}

// value is net liquidation and the signed futures notional at day i's
// marks. Between trades the engine's cash and average costs do not move,
// so its net liquidation, cash + Σ (mark × multiplier − average cost) ×
// quantity, is the last one read (k holds it less the positions' value
// then) plus the positions' value at today's marks: the same sum, exactly,
// since decimals add and multiply without rounding. The marks are the
// engine's own (see market).
func (b *book) value(i int) (nlv, expo decimal.Decimal) {
	expo = exposure(b.pos, b.mkt.prices, i)
	return plus(b.k, expo), expo
}

// cents is nlv.Round(2), for the day's record, where nlv and expo are what
// value gave since the last refresh: nlv = k + expo. Round(2) rounds half
// away from zero and always gives exponent −2, so when expo is a whole
// number of cents (exponent −2 or more) and k and nlv are on the same side
// of zero, nlv.Round(2) is kCents + expo, value and exponent alike: an
// addition instead of the division Round makes every day.
func (b *book) cents(nlv, expo decimal.Decimal) decimal.Decimal {
	if expo.Exponent() >= -2 && b.k.Sign()*nlv.Sign() >= 0 {
		return plus(b.kCents, expo)
	}
	return nlv.Round(2)
}

// decide is the service's decision for one event: targets, plan, risk,
// then the approved orders to the broker.
//
// On a quiet day, when the plan would have no order (every position is in
// its contract to hold and every group is at its target or inside the
// drift band, the rule Plan applies), Plan is not called and risk checks
// an empty plan, which is all it would have had; only a kill switch trip
// can come of it. When steady can tell the day is quiet without sizing it,
// NewTargets is not called either. A test holds both shortcuts to the
// exhaustive path byte for byte.
func (b *book) decide(i int, ev signals.Event, tr track, acct broker.Account, nlvF approx, d *Day) error {
	var plan portfolio.PlanResult
	var riskPrices []risk.Price
	calm := !b.exhaustive && b.steady(i, ev, nlvF)
	if calm {
		b.steadyDays++
	} else {
		contracts, err := b.contracts(i)
		if err != nil {
			return err
		}
		prices := make(map[string]decimal.Decimal, len(b.roots))
		riskPrices = make([]risk.Price, 0, len(b.roots))
		for _, root := range b.roots {
			p := b.mkt.prices[root][i]
			prices[root] = p
			riskPrices = append(riskPrices, risk.Price{Root: root, Value: p, Time: b.now})
		}
		if ev.ID == "" { // the track identifies the days that need it
			if ev.ID, err = tr.id(i); err != nil {
				return err
			}
		}
		targets, err := portfolio.NewTargets(portfolio.TargetInput{
			Event: ev, Account: b.cfg.Account, NLV: acct.NetLiquidation, Prices: prices, Contracts: contracts,
			RealisedVolCloses: b.mkt.volCloses(i, b.sleeve.VolWindow+1), Config: b.sleeve,
		})
		if err != nil {
			return fmt.Errorf("size the sleeve: %w", err)
		}
		calm = !b.exhaustive && quiet(b.pos, targets, b.sleeve.DriftBand)
		if !calm {
			if plan, err = portfolio.Plan(b.pos, targets, b.now, b.sleeve); err != nil {
				return fmt.Errorf("plan the orders: %w", err)
			}
		}
	}
	if calm && (b.kill.Tripped && len(b.working) == 0 || !b.kill.Tripped && b.farFromLossLimits(nlvF)) {
		// An empty plan's decision can only trip the kill switch, or
		// cancel working orders while it is tripped (risk sets
		// CancelWorking on every decision then); neither can happen.
		return nil
	}
	// The event's as-of parsed when the track was built (replaySignal),
	// so this cannot fail on a day it was not asked before.
	evTime, err := admit.EventTime(ev, nil)
	if err != nil {
		return err
	}
	in := risk.Input{Now: b.now, Limits: b.cfg.Limits, Account: acct, InitialMargin: b.margin,
		EventTime: evTime, KillSwitch: b.kill, DayStartNLV: b.dayStart, HighWaterMark: b.hwm}
	if !calm {
		in.Positions, in.Orders, in.Prices = b.pos, plan.Requests(), riskPrices
	}
	dec := risk.Check(in)
	date := d.Date
	if dec.TripKillSwitch {
		b.kill = risk.KillSwitch{Tripped: true, Reason: dec.TripReason, Since: b.now}
		b.trippedOn, b.trips = i, b.trips+1
		b.note(date, "kill_switch_trip", dec.TripReason)
	}
	if dec.CancelWorking && len(b.working) > 0 {
		b.record(d, b.eng.CancelAll())
	}
	for k, od := range dec.Orders {
		for _, v := range od.Verdicts {
			if v.Action != risk.ActionApprove {
				b.note(date, "risk:"+string(v.Code), v.OrderRef+": "+v.Message)
			}
		}
		if od.Approved <= 0 {
			d.Rejected++
			continue
		}
		if err := b.place(od.Request(), plan.Orders[k], d); err != nil {
			d.Rejected++
			b.note(date, "broker", err.Error())
		}
	}
	return nil
}

// quiet reports whether Plan would return no order: every position in an
// owned root is in the root's contract to hold, and each drift-band group
// either holds its target contracts or, with a non-zero target, is within
// DriftBand × |target notional| of it (the comparison Plan makes).
func quiet(pos []broker.Position, t portfolio.Targets, band decimal.Decimal) bool {
	held := make(map[string]int64, len(t.Roots))
	for _, p := range pos {
		rt, ok := t.Root(p.Contract.Symbol)
		if !ok || p.Quantity == 0 {
			continue // not the sleeve's: Plan leaves it alone
		}
		if rt.Contract.ConID == 0 || p.Contract.ConID != rt.Contract.ConID {
			return false // a close or a roll
		}
		held[rt.Root] += p.Quantity
	}
	type group struct {
		cur, tgt decimal.Decimal
		differs  bool
	}
	groups := make(map[string]*group, len(t.Roots))
	for _, rt := range t.Roots {
		g := groups[rt.Group]
		if g == nil {
			g = &group{cur: decimal.Zero, tgt: decimal.Zero}
			groups[rt.Group] = g
		}
		q := held[rt.Root]
		g.cur = g.cur.Add(rt.Price.Mul(decimal.NewFromInt(rt.Multiplier * q)))
		g.tgt = g.tgt.Add(rt.Notional)
		g.differs = g.differs || q != rt.Contracts
	}
	for _, g := range groups {
		if !g.differs {
			continue
		}
		if g.tgt.IsZero() || g.cur.Sub(g.tgt).Abs().GreaterThan(band.Mul(g.tgt.Abs())) {
			return false
		}
	}
	return true
}

// place routes one approved order to the paper broker and records its
// fills. A refusal is returned for the record; it does not stop the run
// (the service would record it and go on).
func (b *book) place(req broker.OrderRequest, po portfolio.PlannedOrder, d *Day) error {
	b.orderID++
	o, ups, err := b.eng.PlaceAppend(b.ups[:0], ibsim.OrderSpec{
		ClientID: clientID, OrderID: b.orderID, Account: b.cfg.Account, Contract: queryOf(req.Contract),
		Action: string(req.Side), Quantity: decimal.NewFromInt(req.Quantity), Type: string(req.Type),
		Limit: req.LimitPrice, TIF: string(req.TIF), Ref: req.Ref,
	})
	b.ups = ups[:0]
	if err != nil {
		return fmt.Errorf("%s: %w", req.Ref, err)
	}
	d.Orders++
	b.working[req.Ref] = po
	b.record(d, ups)
	if o.Status.Final() {
		delete(b.working, req.Ref)
	}
	return nil
}

// record books the executions among ups into the day and the fills.
func (b *book) record(d *Day, ups []ibsim.Update) {
	if len(ups) > 0 {
		b.dirty = true
	}
	for _, u := range ups {
		if u.Kind != ibsim.UpdateExecution {
			if u.Order.Status.Final() {
				delete(b.working, u.Order.Ref)
			}
			continue
		}
		x := u.Exec
		po := b.working[x.Ref]
		notional := x.Price.Mul(decimal.NewFromInt(x.Listing.Multiplier * x.Quantity))
		d.Fills++
		d.Commissions = d.Commissions.Add(x.Commission)
		d.Traded = d.Traded.Add(notional)
		b.fills = append(b.fills, Fill{Date: d.Date, Contract: x.Listing.LocalSymbol, Root: x.Listing.Symbol,
			Side: x.Side, Quantity: x.Quantity, Price: x.Price, Commission: x.Commission,
			Ref: x.Ref, Leg: string(po.Leg), RollID: po.RollID})
	}
}

func (b *book) note(date, kind, msg string) {
	b.notes = append(b.notes, Note{Date: date, Kind: kind, Message: msg})
}

// contracts are the contracts to hold of the owned roots on day i,
// resolved as the service's broker adapter does: the paper broker's
// listings of the day, then broker.SelectFuture with the sleeve's roll
// days.
func (b *book) contracts(i int) (map[string]broker.Contract, error) {
	out := make(map[string]broker.Contract, len(b.roots))
	for _, root := range b.roots {
		if h, ok := b.held[root]; ok && h.rollDate.After(b.mkt.civil[i]) {
			out[root] = h.contract // not in its roll window (portfolio.InRollWindow)
			continue
		}
		ls := b.eng.Resolve(ibsim.ContractQuery{Symbol: root, SecType: string(broker.Future)})
		cs := make([]broker.Contract, len(ls))
		for k, l := range ls {
			cs[k] = l.Contract
		}
		c, err := broker.SelectFuture(cs, b.now, b.sleeve.RollDays)
		if err != nil {
			return nil, fmt.Errorf("resolve the %s contract to hold: %w", root, err)
		}
		b.held[root] = heldContract{contract: c, rollDate: broker.AddBusinessDays(c.Expiry, -b.sleeve.RollDays)}
		out[root] = c
	}
	return out, nil
}

// account is the engine's account as the broker adapter reports it.
func (b *book) account() broker.Account {
	a := b.eng.Account()
	return broker.Account{ID: b.cfg.Account, Currency: "USD", NetLiquidation: a.NetLiquidation,
		InitMargin: a.InitMargin, MaintMargin: a.MaintMargin, AvailableFunds: a.AvailableFunds,
		ExcessLiquidity: a.ExcessLiquidity, BuyingPower: a.BuyingPower, TotalCash: a.Cash,
		RealizedPnL: a.RealizedPnL, UnrealizedPnL: a.UnrealizedPnL, UpdatedAt: b.now}
}

// positions are the engine's positions as the broker adapter reports them.
func (b *book) positions() []broker.Position {
	views := b.eng.Positions()
	out := make([]broker.Position, len(views))
	for k, p := range views {
		out[k] = broker.Position{Account: b.cfg.Account, Contract: p.Listing.Contract, Quantity: p.Quantity, AvgCost: p.AvgCost}
	}
	return out
}

// queryOf is how an order's contract reaches the paper broker: by root,
// local symbol and last trade date, which pick one listing (by contract id
// the broker would search every listing of every root).
func queryOf(c broker.Contract) ibsim.ContractQuery {
	q := ibsim.ContractQuery{Symbol: c.Symbol, SecType: string(c.SecType), Exchange: c.Exchange,
		Currency: c.Currency, LocalSymbol: c.LocalSymbol}
	if !c.Expiry.IsZero() {
		q.Month = c.Expiry.Format("20060102")
	}
	return q
}

// result is the book's replay.
func (b *book) result() Book {
	first := b.mkt.days[0]
	bk := Book{Name: b.name, Description: b.description, Days: b.days, Fills: b.fills, Notes: b.notes,
		Stats: summarise(b.cfg.StartingCash, first, b.days, b.trips)}
	if bk.Days == nil {
		bk.Days = []Day{}
	}
	if bk.Fills == nil {
		bk.Fills = []Fill{}
	}
	if bk.Notes == nil {
		bk.Notes = []Note{}
	}
	return bk
}
