package ibsim

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// EngineConfig configures the matching and accounting engine.
type EngineConfig struct {
	Account       string
	StartingCash  decimal.Decimal
	Now           func() time.Time
	Series        map[string]marketdata.Series
	SlippageTicks int64 // market orders fill this many ticks through the mark
	// PartialFillSize splits fills of larger orders into parts of this many
	// contracts (0: fill whole).
	PartialFillSize int64
	// Catalog is where the engine finds the listings of the day, shared
	// with other engines (nil: one of its own).
	Catalog *Catalog
}

// Engine is the paper broker's book: orders, executions, positions and
// cash of one account. It has no sockets and no goroutines, so the server
// and an in-process backtest drive the same matching logic. All methods are
// safe for concurrent use.
type Engine struct {
	mu        sync.Mutex
	cfg       EngineConfig
	prices    *prices
	cash      decimal.Decimal
	realized  decimal.Decimal
	orders    map[int64]*Order   // by perm id
	byClient  map[[2]int64]int64 // (client id, order id) -> perm id
	maxID     map[int64]int64    // highest order id used per client
	execs     []Execution
	positions map[int64]*position // by con id
	nextPerm  int64
	execSeq   int64
	catalog   *Catalog // the listings, for Resolve and Place
}

// position is a holding in one contract; the engine keeps none that is
// flat.
type position struct {
	listing Listing
	mult    decimal.Decimal // listing.Multiplier
	qty     int64
	avgCost decimal.Decimal // per contract, multiplier included, as IB reports it
}

// NewEngine returns an engine with cfg's starting cash and no positions.
func NewEngine(cfg EngineConfig) *Engine {
	return &Engine{
		cfg: cfg, prices: newPrices(cfg.Series), cash: cfg.StartingCash,
		orders: make(map[int64]*Order), byClient: make(map[[2]int64]int64), maxID: make(map[int64]int64),
		positions: make(map[int64]*position), nextPerm: 1_000_000_001, catalog: cmp.Or(cfg.Catalog, new(Catalog)),
	}
}

// OrderSpec is an order as a client sent it, reduced to what the paper
// broker executes.
type OrderSpec struct {
	ClientID, OrderID int64
	Account           string
	Contract          ContractQuery
	Action            string // BUY or SELL
	Quantity          decimal.Decimal
	Type              string          // MKT or LMT
	Limit             decimal.Decimal // LMT only
	TIF               string
	Ref               string
}

// Order is the engine's record of an order.
type Order struct {
	PermID, ClientID, OrderID int64
	Account                   string
	Listing                   Listing
	Action                    string
	Quantity                  int64
	Type                      string
	Limit                     decimal.Decimal
	TIF                       string
	Ref                       string
	Status                    broker.OrderStatus
	Filled                    int64
	AvgFillPrice              decimal.Decimal
	LastFillPrice             decimal.Decimal
	Placed                    time.Time
}

// Remaining is the quantity still to fill.
func (o Order) Remaining() int64 {
	if o.Status.Final() {
		return 0
	}
	return o.Quantity - o.Filled
}

// Execution is one fill.
type Execution struct {
	ExecID            string
	PermID            int64
	ClientID, OrderID int64
	Account           string
	Listing           Listing
	Side              string // BOT or SLD, as TWS reports it
	Quantity          int64
	Price             decimal.Decimal
	CumQty            int64
	AvgPrice          decimal.Decimal
	Time              time.Time
	Ref               string
	Commission        decimal.Decimal
	RealizedPnL       decimal.Decimal
}

// UpdateKind says which TWS message an Update becomes.
type UpdateKind int

// The updates an order produces, in the order TWS sends them.
const (
	UpdateOpenOrder UpdateKind = iota
	UpdateStatus
	UpdateExecution
	UpdateCommission
)

// Update is one message-worth of news about an order, for the server to
// send to the clients that should see it.
type Update struct {
	Kind  UpdateKind
	Order Order
	Exec  Execution // UpdateExecution and UpdateCommission only
}

// Reject is the paper broker refusing a request with a TWS error code.
type Reject struct {
	Code int64
	Msg  string
}

func (r *Reject) Error() string { return fmt.Sprintf("ibsim: error %d: %s", r.Code, r.Msg) }

// TWS error codes the engine uses.
const (
	CodeDuplicateID   = 103
	CodeNotOnTick     = 110
	CodeNoSecDef      = 200
	CodeRejected      = 201
	CodeCancelled     = 202
	CodeCancelUnknown = 10147
)

// Today is the simulator's calendar day (UTC).
func (e *Engine) Today() time.Time { return civilDay(e.cfg.Now()) }

func civilDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AccountID is the engine's account id.
func (e *Engine) AccountID() string { return e.cfg.Account }

// Resolve returns the listings matching q today.
func (e *Engine) Resolve(q ContractQuery) []Listing { return e.catalog.lookup(q, e.Today()) }

// NextID returns the next order id for a client: one above the highest it
// has used.
func (e *Engine) NextID(clientID int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.maxID[clientID] + 1
}

// UsedID returns an order id the client has already used (for the
// reuse-id fault), or 0 when it has used none.
func (e *Engine) UsedID(clientID int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.maxID[clientID]
}

// Place validates and accepts an order, filling it at once when it is
// marketable, and returns it as it stands after matching with the updates
// to send. A refusal is a *Reject with the TWS error code.
func (e *Engine) Place(s OrderSpec) (Order, []Update, error) {
	// Room for the acceptance and one fill, which is what a marketable
	// order without partial fills makes.
	return e.PlaceAppend(make([]Update, 0, 2+updatesPerFill), s)
}

// PlaceAppend is Place appending the updates to dst, for a caller that
// reuses one buffer for every order (a backtest places hundreds of
// thousands; an update is about a kilobyte). On a refusal it returns dst
// as it was.
func (e *Engine) PlaceAppend(dst []Update, s OrderSpec) (Order, []Update, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.byClient[[2]int64{s.ClientID, s.OrderID}]; dup || s.OrderID <= 0 {
		return Order{}, dst, &Reject{CodeDuplicateID, "Duplicate order id"}
	}
	if s.Account != "" && s.Account != e.cfg.Account {
		return Order{}, dst, &Reject{CodeRejected, fmt.Sprintf("Order rejected - reason:Account %s is not managed by this session (%s)", s.Account, e.cfg.Account)}
	}
	matches := e.catalog.lookup(s.Contract, e.Today())
	if len(matches) != 1 {
		if len(matches) > 1 {
			return Order{}, dst, &Reject{CodeNoSecDef, "The contract description specified for " + s.Contract.Symbol + " is ambiguous."}
		}
		return Order{}, dst, &Reject{CodeNoSecDef, "No security definition has been found for the request"}
	}
	l := matches[0]
	o := Order{ClientID: s.ClientID, OrderID: s.OrderID, Account: e.cfg.Account, Listing: l, Action: s.Action,
		Type: s.Type, Limit: s.Limit, TIF: s.TIF, Ref: s.Ref, Placed: e.cfg.Now()}
	if o.TIF == "" {
		o.TIF = "DAY"
	}
	if err := e.validate(&o, s); err != nil {
		return Order{}, dst, err
	}
	mark, err := e.prices.mark(l, e.Today())
	if err != nil {
		return Order{}, dst, &Reject{CodeRejected, "Order rejected - reason:No market data for " + l.LocalSymbol}
	}
	if err := e.checkMargin(l, o.signed(o.Quantity), mark); err != nil {
		return Order{}, dst, err
	}
	// The order is accepted: it takes its id and a perm id from here on.
	e.maxID[s.ClientID] = max(e.maxID[s.ClientID], s.OrderID)
	o.PermID = e.nextPerm
	e.nextPerm++
	o.Status = broker.StatusSubmitted
	e.orders[o.PermID] = &o
	e.byClient[[2]int64{s.ClientID, s.OrderID}] = o.PermID
	ups := append(dst, Update{Kind: UpdateOpenOrder, Order: o}, Update{Kind: UpdateStatus, Order: o})
	ups = e.match(ups, &o, mark)
	return o, ups, nil // o as matched: Filled when it was marketable
}

func (e *Engine) validate(o *Order, s OrderSpec) error {
	if s.Action != "BUY" && s.Action != "SELL" {
		return &Reject{CodeRejected, fmt.Sprintf("Order rejected - reason:Invalid action %q", s.Action)}
	}
	if !s.Quantity.IsInteger() || !s.Quantity.IsPositive() {
		return &Reject{CodeRejected, fmt.Sprintf("Order rejected - reason:Invalid quantity %s: whole contracts only", s.Quantity)}
	}
	o.Quantity = s.Quantity.IntPart()
	switch s.Type {
	case "MKT":
	case "LMT":
		if !s.Limit.IsPositive() {
			return &Reject{CodeRejected, "Order rejected - reason:Limit price must be positive"}
		}
		if !s.Limit.Mod(o.Listing.Tick).IsZero() {
			return &Reject{CodeNotOnTick, fmt.Sprintf("The price does not conform to the minimum price variation for this contract. (%s, tick %s)", s.Limit, o.Listing.Tick)}
		}
	default:
		return &Reject{CodeRejected, fmt.Sprintf("Order rejected - reason:The paper broker supports MKT and LMT orders, not %q", s.Type)}
	}
	switch o.TIF {
	case "DAY", "GTC":
	default:
		return &Reject{CodeRejected, fmt.Sprintf("Order rejected - reason:Time in force %q not supported (DAY, GTC)", o.TIF)}
	}
	return nil
}

func (o Order) signed(q int64) int64 {
	if o.Action == "SELL" {
		return -q
	}
	return q
}

// checkMargin refuses an order that adds margin beyond what the account's
// equity covers, as TWS does with error 201.
func (e *Engine) checkMargin(l Listing, delta int64, mark decimal.Decimal) error {
	cur := int64(0)
	if p := e.positions[l.ConID]; p != nil {
		cur = p.qty
	}
	before, _ := marginFor(l, cur, mark)
	after, _ := marginFor(l, cur+delta, mark)
	if !after.GreaterThan(before) {
		return nil // it adds no margin, whatever the account's values
	}
	a := e.account()
	needed := a.InitMargin.Sub(before).Add(after)
	if needed.GreaterThan(a.NetLiquidation) {
		return &Reject{CodeRejected, fmt.Sprintf("Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE [%s USD] MUST EXCEED THE INITIAL MARGIN [%s USD]",
			a.NetLiquidation.StringFixed(2), needed.StringFixed(2))}
	}
	return nil
}

// match fills what is marketable of o at mark and appends the updates to
// ups.
func (e *Engine) match(ups []Update, o *Order, mark decimal.Decimal) []Update {
	if !o.Status.Working() {
		return ups
	}
	slip := o.Listing.Tick.Mul(decimal.NewFromInt(e.cfg.SlippageTicks))
	var px decimal.Decimal
	switch {
	case o.Type == "MKT" && o.Action == "BUY":
		px = mark.Add(slip)
	case o.Type == "MKT":
		px = mark.Sub(slip)
	case o.Action == "BUY" && o.Limit.GreaterThanOrEqual(mark):
		px = decimal.Min(mark.Add(slip), o.Limit)
	case o.Action == "SELL" && o.Limit.LessThanOrEqual(mark):
		px = decimal.Max(mark.Sub(slip), o.Limit)
	default:
		return ups // a limit order that is not marketable rests
	}
	for o.Remaining() > 0 {
		q := o.Remaining()
		if n := e.cfg.PartialFillSize; n > 0 && q > n {
			q = n
		}
		ups = e.fill(ups, o, q, px)
	}
	return ups
}

// updatesPerFill is how many updates fill appends.
const updatesPerFill = 4

// fill executes qty of o at px and appends the updatesPerFill updates
// that report it to ups.
func (e *Engine) fill(ups []Update, o *Order, qty int64, px decimal.Decimal) []Update {
	e.execSeq++
	now := e.cfg.Now()
	prevFilled := decimal.NewFromInt(o.Filled)
	o.Filled += qty
	o.AvgFillPrice = o.AvgFillPrice.Mul(prevFilled).Add(px.Mul(decimal.NewFromInt(qty))).Div(decimal.NewFromInt(o.Filled))
	o.LastFillPrice = px
	if o.Filled == o.Quantity {
		o.Status = broker.StatusFilled
	}
	x := Execution{
		ExecID: fmt.Sprintf("%08x.%08x.01.01", o.PermID&0xffffffff, e.execSeq), PermID: o.PermID,
		ClientID: o.ClientID, OrderID: o.OrderID, Account: o.Account, Listing: o.Listing,
		Side: execSide(o.Action), Quantity: qty, Price: px,
		CumQty: o.Filled, AvgPrice: o.AvgFillPrice, Time: now, Ref: o.Ref,
		Commission: commissionFor(o.Listing, qty),
	}
	x.RealizedPnL = e.book(o.Listing, o.signed(qty), px, x.Commission)
	e.execs = append(e.execs, x)
	return append(ups, Update{Kind: UpdateExecution, Order: *o, Exec: x}, Update{Kind: UpdateOpenOrder, Order: *o},
		Update{Kind: UpdateStatus, Order: *o}, Update{Kind: UpdateCommission, Order: *o, Exec: x})
}

// execSide is how TWS reports an order's action on its executions: BOT
// or SLD ("" for anything else, which validate refuses).
func execSide(action string) string {
	switch action {
	case "BUY":
		return "BOT"
	case "SELL":
		return "SLD"
	}
	return ""
}

// book applies a fill of delta (signed) at px to positions and cash and
// returns the realized P&L, commission excluded.
func (e *Engine) book(l Listing, delta int64, px decimal.Decimal, commission decimal.Decimal) decimal.Decimal {
	p := e.positions[l.ConID]
	if p == nil {
		p = &position{listing: l, mult: decimal.NewFromInt(l.Multiplier)}
		e.positions[l.ConID] = p
	}
	cost := px.Mul(p.mult) // per contract
	realized := decimal.Zero
	e.cash = e.cash.Sub(commission)
	if l.SecType != broker.Future {
		e.cash = e.cash.Sub(cost.Mul(decimal.NewFromInt(delta)))
	}
	switch {
	case p.qty == 0 || (p.qty > 0) == (delta > 0): // opening or adding
		n := p.qty + delta
		p.avgCost = p.avgCost.Mul(decimal.NewFromInt(abs(p.qty))).Add(cost.Mul(decimal.NewFromInt(abs(delta)))).Div(decimal.NewFromInt(abs(n)))
		p.qty = n
	default: // reducing, closing or flipping
		closed := min(abs(delta), abs(p.qty))
		sign := decimal.NewFromInt(1)
		if p.qty < 0 {
			sign = sign.Neg()
		}
		realized = cost.Sub(p.avgCost).Mul(decimal.NewFromInt(closed)).Mul(sign)
		p.qty += delta
		if p.qty == 0 {
			// Reopening starts afresh, as from a zero average cost.
			delete(e.positions, l.ConID)
		} else if (p.qty > 0) == (delta > 0) { // flipped: the rest opens at px
			p.avgCost = cost
		}
	}
	if l.SecType == broker.Future {
		e.cash = e.cash.Add(realized)
	}
	e.realized = e.realized.Add(realized)
	return realized
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Cancel cancels a working order of a client.
func (e *Engine) Cancel(clientID, orderID int64) (Order, []Update, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	perm, ok := e.byClient[[2]int64{clientID, orderID}]
	if !ok || !e.orders[perm].Status.Working() {
		return Order{}, nil, &Reject{CodeCancelUnknown, fmt.Sprintf("OrderId %d that needs to be cancelled is not found.", orderID)}
	}
	o := e.orders[perm]
	o.Status = broker.StatusCancelled
	return *o, []Update{{Kind: UpdateOpenOrder, Order: *o}, {Kind: UpdateStatus, Order: *o}}, nil
}

// CancelAll cancels every working order (reqGlobalCancel).
func (e *Engine) CancelAll() []Update {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ups []Update
	for _, o := range e.sortedOrders() {
		if o.Status.Working() {
			o.Status = broker.StatusCancelled
			ups = append(ups, Update{Kind: UpdateStatus, Order: *o})
		}
	}
	return ups
}

// SetPrice sets the price of a tracked series (RUT, SPX, a fund) and fills
// the resting orders that became marketable.
func (e *Engine) SetPrice(tracks string, price float64) []Update {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prices.set(tracks, price)
	return e.sweep()
}

// Sweep fills the resting orders that are marketable at today's marks; a
// driver that advances the clock calls it after each step.
func (e *Engine) Sweep() []Update {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sweep()
}

// sweep expires DAY orders placed on an earlier day, then fills the
// resting orders that are marketable at today's marks.
func (e *Engine) sweep() []Update {
	var ups []Update
	today := e.Today()
	for _, o := range e.sortedOrders() {
		if !o.Status.Working() {
			continue
		}
		if o.TIF == "DAY" && civilDay(o.Placed).Before(today) {
			o.Status = broker.StatusCancelled
			ups = append(ups, Update{Kind: UpdateOpenOrder, Order: *o}, Update{Kind: UpdateStatus, Order: *o})
			continue
		}
		mark, err := e.prices.mark(o.Listing, e.Today())
		if err != nil {
			continue
		}
		ups = e.match(ups, o, mark)
	}
	return ups
}

func (e *Engine) sortedOrders() []*Order {
	out := make([]*Order, 0, len(e.orders))
	for _, o := range e.orders {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *Order) int { return cmp.Compare(a.PermID, b.PermID) })
	return out
}

// Orders returns every order, oldest first.
func (e *Engine) Orders() []Order {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Order
	for _, o := range e.sortedOrders() {
		out = append(out, *o)
	}
	return out
}

// Executions returns every execution, oldest first.
func (e *Engine) Executions() []Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Execution(nil), e.execs...)
}

// PositionOf returns the signed quantity and average cost held in a
// contract (zero when flat).
func (e *Engine) PositionOf(conID int64) (int64, decimal.Decimal) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.positions[conID]; p != nil {
		return p.qty, p.avgCost
	}
	return 0, decimal.Zero
}

// PositionView is a holding as the engine reports it.
type PositionView struct {
	Listing  Listing
	Quantity int64
	AvgCost  decimal.Decimal
	Mark     decimal.Decimal
}

// Positions returns the non-zero positions, ordered by contract id.
func (e *Engine) Positions() []PositionView {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.positionViews()
}

func (e *Engine) positionViews() []PositionView {
	var out []PositionView
	today := e.Today()
	for _, p := range e.positions {
		mark, _ := e.prices.mark(p.listing, today)
		out = append(out, PositionView{Listing: p.listing, Quantity: p.qty, AvgCost: p.avgCost, Mark: mark})
	}
	slices.SortFunc(out, func(a, b PositionView) int { return cmp.Compare(a.Listing.ConID, b.Listing.ConID) })
	return out
}

// AccountValues are the money side of the account at today's marks.
type AccountValues struct {
	Cash, NetLiquidation, InitMargin, MaintMargin  decimal.Decimal
	AvailableFunds, ExcessLiquidity, BuyingPower   decimal.Decimal
	GrossPositionValue, RealizedPnL, UnrealizedPnL decimal.Decimal
}

// Account returns the account values at today's marks.
func (e *Engine) Account() AccountValues {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.account()
}

// account sums the positions in map order: decimal sums are exact, so
// the order changes neither their values nor their exponents.
func (e *Engine) account() AccountValues {
	a := AccountValues{Cash: e.cash, RealizedPnL: e.realized}
	today := e.Today()
	for _, p := range e.positions {
		mark, _ := e.prices.mark(p.listing, today)
		q := decimal.NewFromInt(p.qty)
		unit := mark.Mul(p.mult)
		mv := unit.Mul(q)
		upnl := unit.Sub(p.avgCost).Mul(q)
		a.UnrealizedPnL = a.UnrealizedPnL.Add(upnl)
		a.GrossPositionValue = a.GrossPositionValue.Add(mv.Abs())
		if p.listing.SecType == broker.Future {
			a.NetLiquidation = a.NetLiquidation.Add(upnl)
		} else {
			a.NetLiquidation = a.NetLiquidation.Add(mv)
		}
		im, mm := marginFor(p.listing, p.qty, mark)
		a.InitMargin = a.InitMargin.Add(im)
		a.MaintMargin = a.MaintMargin.Add(mm)
	}
	a.NetLiquidation = a.NetLiquidation.Add(e.cash)
	a.AvailableFunds = a.NetLiquidation.Sub(a.InitMargin)
	a.ExcessLiquidity = a.NetLiquidation.Sub(a.MaintMargin)
	a.BuyingPower = a.AvailableFunds.Mul(decimal.NewFromInt(4))
	return a
}

// Bars returns up to n daily bars of a listing ending on or before end.
func (e *Engine) Bars(l Listing, end time.Time, n int) ([]broker.Bar, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.prices.bars(l, end, n)
}
