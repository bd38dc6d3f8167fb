package ib_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
)

func TestConnectAndResolveFronts(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, rec := MustOpenClient(t, sim, nil)
	if got, want := c.AccountID(), "DU1000001"; got != want {
		t.Fatalf("AccountID()=%q, want %q", got, want)
	}
	rec.waitFor(t, "connected", func(ev broker.Event) bool {
		ce, ok := ev.(broker.ConnectivityEvent)
		return ok && ce.State == broker.Connected
	})
	for _, root := range []string{"RTY", "M2K"} {
		in, _ := broker.LookupInstrument(root)
		got, err := c.ResolveFuture(ctxT(t), root, simNow, 5)
		if err != nil {
			t.Fatalf("ResolveFuture(%s): %v", root, err)
		}
		var listed []broker.Contract
		for _, e := range broker.QuarterlyExpiries(simNow, 5) {
			listed = append(listed, broker.Contract{Symbol: root, Expiry: e})
		}
		want, _ := broker.SelectFuture(listed, simNow, 5)
		if !got.Expiry.Equal(want.Expiry) {
			t.Fatalf("ResolveFuture(%s).Expiry=%v, want %v", root, got.Expiry, want.Expiry)
		}
		if got.ConID == 0 || got.Multiplier != in.Multiplier || got.LocalSymbol != broker.LocalSymbol(root, want.Expiry) {
			t.Fatalf("ResolveFuture(%s)=%+v, want a conid, multiplier %d, local symbol %s", root, got, in.Multiplier, broker.LocalSymbol(root, want.Expiry))
		}
	}
	if _, err := c.ResolveFuture(ctxT(t), "NOPE", simNow, 5); !errors.Is(err, broker.ErrUnknownInstrument) {
		t.Fatalf("ResolveFuture(NOPE) err=%v, want ErrUnknownInstrument", err)
	}
	if _, err := c.ResolveStock(ctxT(t), "ZZZZ"); !errors.Is(err, broker.ErrNoSecurityDefinition) {
		t.Fatalf("ResolveStock(ZZZZ) err=%v, want ErrNoSecurityDefinition", err)
	}
	iwm, err := c.ResolveStock(ctxT(t), "IWM")
	if err != nil || iwm.ConID == 0 || iwm.SecType != broker.Stock {
		t.Fatalf("ResolveStock(IWM)=%+v, %v", iwm, err)
	}
}

func mustFront(t *testing.T, c *ib.Client, root string) broker.Contract {
	t.Helper()
	ct, err := c.ResolveFuture(ctxT(t), root, simNow, 5)
	if err != nil {
		t.Fatalf("ResolveFuture(%s): %v", root, err)
	}
	return ct
}

func mkt(ref string, ct broker.Contract, side broker.Side, qty int64) broker.OrderRequest {
	return broker.OrderRequest{Ref: ref, Contract: ct, Side: side, Quantity: qty, Type: broker.Market}
}

func lmt(ref string, ct broker.Contract, side broker.Side, qty int64, px string) broker.OrderRequest {
	return broker.OrderRequest{Ref: ref, Contract: ct, Side: side, Quantity: qty, Type: broker.Limit, LimitPrice: decimal.RequireFromString(px)}
}

func TestMarketOrderFillsWithCommission(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, rec := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	before, err := c.Account(ctxT(t))
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	rep, err := c.PlaceOrder(ctxT(t), mkt("mkt-1", rty, broker.Buy, 2))
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	if rep.OrderID == 0 || rep.Ref != "mkt-1" {
		t.Fatalf("PlaceOrder report=%+v, want an order id and ref mkt-1", rep)
	}
	var fill broker.Fill
	rec.waitFor(t, "fill with commission", func(ev broker.Event) bool {
		fe, ok := ev.(broker.FillEvent)
		if ok && fe.Fill.Ref == "mkt-1" && fe.Fill.CommissionCurrency != "" {
			fill = fe.Fill
			return true
		}
		return false
	})
	if fill.Quantity != 2 || fill.Side != broker.Buy || !fill.Price.IsPositive() || !fill.Commission.IsPositive() || fill.ExecID == "" {
		t.Fatalf("fill=%+v, want 2 bought at a positive price with a positive commission", fill)
	}
	rec.waitFor(t, "filled order", func(ev broker.Event) bool {
		oe, ok := ev.(broker.OrderEvent)
		return ok && oe.Report.Ref == "mkt-1" && oe.Report.Status == broker.StatusFilled && oe.Report.Filled == 2
	})
	pos, err := c.Positions(ctxT(t))
	if err != nil {
		t.Fatalf("Positions: %v", err)
	}
	var held int64
	for _, p := range pos {
		if p.Contract.ConID == rty.ConID {
			held = p.Quantity
		}
	}
	if held != 2 {
		t.Fatalf("position in %s = %d, want 2 (positions %+v)", rty, held, pos)
	}
	after, err := c.Account(ctxT(t))
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	commissions := fill.Commission
	if d := before.NetLiquidation.Sub(after.NetLiquidation).Abs(); d.GreaterThan(commissions.Add(decimal.NewFromFloat(0.01))) {
		t.Fatalf("net liquidation moved by %s after a fill at the mark, want at most the commission %s", d, commissions)
	}
	if !after.InitMargin.GreaterThan(before.InitMargin) {
		t.Fatalf("initial margin %s -> %s, want it to grow", before.InitMargin, after.InitMargin)
	}
	if after.Currency != "USD" || after.ID != "DU1000001" {
		t.Fatalf("account=%+v, want USD account DU1000001", after)
	}
	execs, err := c.Executions(ctxT(t), simNow.Add(-24*time.Hour))
	if err != nil {
		t.Fatalf("Executions: %v", err)
	}
	if len(execs) != 1 || execs[0].ExecID != fill.ExecID || !execs[0].Commission.Equal(fill.Commission) {
		t.Fatalf("Executions=%+v, want the one fill %s with its commission", execs, fill.ExecID)
	}
	if _, err := c.PlaceOrder(ctxT(t), mkt("mkt-1", rty, broker.Buy, 1)); !errors.Is(err, broker.ErrDuplicateRef) {
		t.Fatalf("PlaceOrder(same ref) err=%v, want ErrDuplicateRef", err)
	}
	if _, err := c.PlaceOrder(ctxT(t), mkt("", rty, broker.Buy, 1)); !errors.Is(err, broker.ErrInvalidOrder) {
		t.Fatalf("PlaceOrder(no ref) err=%v, want ErrInvalidOrder", err)
	}
}

func TestLimitOrderRestsThenFills(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, rec := MustOpenClient(t, sim, nil)
	m2k := mustFront(t, c, "M2K")
	sim.SetPrice("RUT", 2400)
	rep, err := c.PlaceOrder(ctxT(t), lmt("lmt-1", m2k, broker.Buy, 3, "2000.0"))
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	if !rep.Status.Working() {
		t.Fatalf("status %s, want a working order", rep.Status)
	}
	open, err := c.OpenOrders(ctxT(t))
	if err != nil {
		t.Fatalf("OpenOrders: %v", err)
	}
	if len(open) != 1 || open[0].Ref != "lmt-1" || !open[0].LimitPrice.Equal(decimal.RequireFromString("2000")) || open[0].Quantity != 3 {
		t.Fatalf("OpenOrders=%+v, want lmt-1 for 3 at 2000", open)
	}
	if got := rec.fills("lmt-1"); len(got) != 0 {
		t.Fatalf("fills before the price moved: %+v", got)
	}
	sim.SetPrice("RUT", 1900)
	rec.waitFor(t, "limit fill", func(ev broker.Event) bool {
		fe, ok := ev.(broker.FillEvent)
		return ok && fe.Fill.Ref == "lmt-1" && fe.Fill.Quantity > 0 && !fe.Fill.Price.GreaterThan(decimal.NewFromInt(2000))
	})
	rec.waitFor(t, "filled", func(ev broker.Event) bool {
		oe, ok := ev.(broker.OrderEvent)
		return ok && oe.Report.Ref == "lmt-1" && oe.Report.Status == broker.StatusFilled
	})
}

func TestCancelRestingOrder(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, _ := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	sim.SetPrice("RUT", 2400)
	if _, err := c.PlaceOrder(ctxT(t), lmt("cxl-1", rty, broker.Sell, 1, "3000.0")); err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	rep, err := c.CancelOrder(ctxT(t), "cxl-1")
	if err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	if rep.Status != broker.StatusCancelled && rep.Status != broker.StatusApiCancelled {
		t.Fatalf("status after cancel %s, want cancelled", rep.Status)
	}
	open, err := c.OpenOrders(ctxT(t))
	if err != nil || len(open) != 0 {
		t.Fatalf("OpenOrders after cancel = %+v, %v; want none", open, err)
	}
	if _, err := c.CancelOrder(ctxT(t), "cxl-1"); !errors.Is(err, broker.ErrOrderNotFound) {
		t.Fatalf("second CancelOrder err=%v, want ErrOrderNotFound", err)
	}
	if _, err := c.CancelOrder(ctxT(t), "never-placed"); !errors.Is(err, broker.ErrOrderNotFound) {
		t.Fatalf("CancelOrder(unknown) err=%v, want ErrOrderNotFound", err)
	}
}

func TestPaperInterlock(t *testing.T) {
	sim := MustOpenSim(t, func(c *ibsim.Config) { c.Account = "U1000001" })
	c, _ := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	_, err := c.PlaceOrder(ctxT(t), mkt("live-1", rty, broker.Buy, 1))
	if !errors.Is(err, broker.ErrNotPaperAccount) {
		t.Fatalf("PlaceOrder on U1000001 err=%v, want ErrNotPaperAccount", err)
	}
	if !strings.Contains(err.Error(), "U1000001") {
		t.Fatalf("error %q does not name the account", err)
	}
	if n := len(sim.Engine().Orders()); n != 0 {
		t.Fatalf("the sim received %d orders, want none", n)
	}
}

func TestRejectNextOrder(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, _ := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	sim.RejectNextOrder("margin")
	_, err := c.PlaceOrder(ctxT(t), mkt("rej-1", rty, broker.Buy, 1))
	if !errors.Is(err, broker.ErrRejected) {
		t.Fatalf("PlaceOrder err=%v, want ErrRejected", err)
	}
	var be *broker.Error
	if !errors.As(err, &be) || be.Code != 201 || be.Ref != "rej-1" {
		t.Fatalf("err=%v, want a *broker.Error with code 201 for rej-1", err)
	}
	// The next order goes through.
	if _, err := c.PlaceOrder(ctxT(t), mkt("rej-2", rty, broker.Buy, 1)); err != nil {
		t.Fatalf("PlaceOrder after a rejection: %v", err)
	}
}

func TestRepeatedExecutionReportedOnce(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, rec := MustOpenClient(t, sim, nil)
	rty := mustFront(t, c, "RTY")
	sim.RepeatNextExecution()
	if _, err := c.PlaceOrder(ctxT(t), mkt("rep-1", rty, broker.Buy, 1)); err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	rec.waitFor(t, "commission", func(ev broker.Event) bool {
		fe, ok := ev.(broker.FillEvent)
		return ok && fe.Fill.Ref == "rep-1" && fe.Fill.CommissionCurrency != ""
	})
	// A marker order after it: once its fill is in, every event of rep-1 is too.
	if _, err := c.PlaceOrder(ctxT(t), mkt("rep-2", rty, broker.Sell, 1)); err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	rec.waitFor(t, "marker fill", func(ev broker.Event) bool {
		fe, ok := ev.(broker.FillEvent)
		return ok && fe.Fill.Ref == "rep-2" && fe.Fill.CommissionCurrency != ""
	})
	var plain, withComm int
	for _, f := range rec.fills("rep-1") {
		if f.CommissionCurrency == "" {
			plain++
		} else {
			withComm++
		}
	}
	if plain != 1 || withComm != 1 {
		t.Fatalf("rep-1 reported %d fills and %d commissions, want 1 and 1", plain, withComm)
	}
}

var (
	_ = time.Second
)

func TestDailyBars(t *testing.T) {
	sim := MustOpenSim(t, nil)
	c, _ := MustOpenClient(t, sim, nil)
	iwm, err := c.ResolveStock(ctxT(t), "IWM")
	if err != nil {
		t.Fatalf("ResolveStock: %v", err)
	}
	for _, ct := range []broker.Contract{iwm, mustFront(t, c, "RTY")} {
		end := simNow.AddDate(0, 0, -3)
		bars, err := c.DailyBars(ctxT(t), ct, end, 70)
		if err != nil {
			t.Fatalf("DailyBars(%s): %v", ct, err)
		}
		if len(bars) != 70 {
			t.Fatalf("DailyBars(%s) gave %d bars, want 70", ct, len(bars))
		}
		for i, b := range bars {
			if b.Date.After(end) || b.Close <= 0 || (i > 0 && !b.Date.After(bars[i-1].Date)) {
				t.Fatalf("DailyBars(%s)[%d]=%+v: want ascending dates up to %s and positive closes", ct, i, b, end.Format(time.DateOnly))
			}
		}
	}
}
