package wire

import (
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/scmhub/ibapi"
)

// checkFor polls f every `every` until it returns nil or total elapses.
func checkFor(t testing.TB, total, every time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(every)
	}
}

// testServer is the server half of a loopback TWS session: it does the
// handshake at max and decodes every client frame onto reqs.
type testServer struct {
	t     *testing.T
	ln    net.Listener
	v     Version
	conn  net.Conn
	mu    sync.Mutex
	reqs  []Request
	errs  []error
	ready chan struct{}
	done  chan struct{}
}

func startServer(t *testing.T, max Version) *testServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, ln: ln, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(s.done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		h, err := ReadHello(conn)
		if err == nil {
			s.v, err = Negotiate(h, max)
		}
		if err != nil {
			s.record(nil, err)
			conn.Close()
			close(ready)
			return
		}
		s.conn = conn
		if _, err := conn.Write(HelloReply(s.v, time.Now())); err != nil {
			s.record(nil, err)
		}
		close(ready)
		for {
			p, err := ReadFrame(conn)
			if err != nil {
				return
			}
			s.record(DecodeRequest(s.v, p))
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-ready
		if s.conn != nil {
			s.conn.Close()
		}
		<-s.done
	})
	s.ready = ready
	return s
}

func (s *testServer) record(r Request, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs = append(s.errs, err)
		return
	}
	s.reqs = append(s.reqs, r)
}

// next waits for the i-th decoded request.
func (s *testServer) next(i int) Request {
	s.t.Helper()
	var r Request
	checkFor(s.t, 5*time.Second, 5*time.Millisecond, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.errs) > 0 {
			s.t.Fatalf("server: %v", s.errs[0])
		}
		if len(s.reqs) <= i {
			return errWait("request", i)
		}
		r = s.reqs[i]
		return nil
	})
	return r
}

type waitErr string

func (e waitErr) Error() string { return string(e) }

func errWait(what string, i int) error {
	return waitErr("timed out waiting for " + what + " " + itoa(i))
}

func TestRoundTripWithEClient(t *testing.T) {
	for _, max := range []Version{100, 151, 163, 176, 187, 193, 200, 201, 203, 205, 208, 213, 222} {
		t.Run("v"+itoa(int(max)), func(t *testing.T) { roundTrip(t, max) })
	}
}

func roundTrip(t *testing.T, max Version) {
	srv := startServer(t, max)
	rec := &recorder{}
	client := ibapi.NewEClient(rec)
	port := srv.ln.Addr().(*net.TCPAddr).Port
	if err := client.Connect("127.0.0.1", port, 17); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	<-srv.ready
	// The server hangs up and the client disconnects itself: calling
	// client.Disconnect here as well races inside ibapi (its watcher
	// goroutine disconnects concurrently and both reset the client).
	t.Cleanup(func() { hangUp(srv.conn) })
	if got := Version(client.ServerVersion()); got != max {
		t.Fatalf("client negotiated %d, want %d", got, max)
	}
	if got, want := srv.next(0), (StartAPI{ClientID: 17}); got != want {
		t.Fatalf("startApi = %#v, want %#v", got, want)
	}
	n := 1
	expect := func(send func(), want Request) {
		t.Helper()
		send()
		got := srv.next(n)
		n++
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decoded %#v\nwant    %#v", got, want)
		}
	}
	v := int(max)

	fut, lmt := futContract(), lmtOrder()
	expect(func() { client.PlaceOrder(7, fut, lmt) }, PlaceOrder{OrderID: 7, Contract: *fut, Order: withID(lmt, 7)})
	mkt := ibapi.NewOrder()
	mkt.Action, mkt.OrderType, mkt.TotalQuantity, mkt.OrderRef = "SELL", "MKT", ibapi.StringToDecimal("1"), "rotor-mkt-1"
	expect(func() { client.PlaceOrder(8, fut, mkt) }, PlaceOrder{OrderID: 8, Contract: *fut, Order: withID(mkt, 8)})
	stk, so := stkContract(), lmtOrder()
	so.TotalQuantity, so.LmtPrice, so.TIF, so.OutsideRTH = ibapi.StringToDecimal("100"), 201.5, "GTC", true
	expect(func() { client.PlaceOrder(9, stk, so) }, PlaceOrder{OrderID: 9, Contract: *stk, Order: withID(so, 9)})

	expect(func() { client.ReqContractDetails(21, fut) }, ReqContractDetails{ReqID: 21, Contract: *fut})
	filter := ibapi.NewExecutionFilter()
	filter.ClientID, filter.AcctCode, filter.Symbol = 17, "DU1234567", "ES"
	expect(func() { client.ReqExecutions(22, filter) }, ReqExecutions{ReqID: 22, Filter: *filter})
	expect(func() {
		client.ReqHistoricalData(23, fut, "20250401 16:00:00 US/Eastern", "5 D", "1 day", "TRADES", true, 1, false, nil)
	},
		ReqHistoricalData{ReqID: 23, Contract: *fut, EndDateTime: "20250401 16:00:00 US/Eastern", Duration: "5 D", BarSize: "1 day", WhatToShow: "TRADES", UseRTH: true, FormatDate: 1})
	expect(func() { client.CancelHistoricalData(23) }, CancelHistoricalData{ReqID: 23})
	expect(func() { client.ReqAccountSummary(24, "All", "NetLiquidation,BuyingPower") }, ReqAccountSummary{ReqID: 24, Group: "All", Tags: "NetLiquidation,BuyingPower"})
	expect(func() { client.CancelAccountSummary(24) }, CancelAccountSummary{ReqID: 24})
	expect(func() { client.ReqAccountUpdates(true, "DU1234567") }, ReqAccountUpdates{Subscribe: true, Account: "DU1234567"})
	expect(func() { client.CancelOrder(7, ibapi.NewOrderCancel()) }, CancelOrder{OrderID: 7})
	expect(func() { client.ReqGlobalCancel(ibapi.NewOrderCancel()) }, ReqGlobalCancel{})
	expect(func() { client.ReqOpenOrders() }, ReqOpenOrders{})
	expect(func() { client.ReqAllOpenOrders() }, ReqAllOpenOrders{})
	expect(func() { client.ReqAutoOpenOrders(true) }, ReqAutoOpenOrders{AutoBind: true})
	expect(func() { client.ReqIDs(1) }, ReqIDs{NumIDs: 1})
	expect(func() { client.ReqCurrentTime() }, ReqCurrentTime{})
	expect(func() { client.ReqManagedAccts() }, ReqManagedAccts{})
	expect(func() { client.ReqPositions() }, ReqPositions{})
	expect(func() { client.CancelPositions() }, CancelPositions{})
	expect(func() { client.ReqMarketDataType(3) }, ReqMarketDataType{MarketDataType: 3})
	if v >= ibapi.MIN_SERVER_VER_COMPLETED_ORDERS {
		expect(func() { client.ReqCompletedOrders(true) }, ReqCompletedOrders{APIOnly: true})
	}
	if v >= ibapi.MIN_SERVER_VER_CURRENT_TIME_IN_MILLIS {
		expect(func() { client.ReqCurrentTimeInMillis() }, ReqCurrentTimeInMillis{})
	}
	expect(func() { client.ReqMktData(31, fut, "", false, false, nil) }, Unsupported{MsgID: ibapi.REQ_MKT_DATA, ReqID: 31})

	// Server to client: every encoder through the real socket and reader.
	e := Encoder{V: max}
	c, o, s := sampleOpenOrder()
	frames := [][]byte{
		e.ManagedAccounts([]string{"DU1234567"}), e.NextValidID(683),
		e.Error(7, 201, "Order rejected - reason:margin", "", sampleTime),
		e.ContractData(21, sampleContractDetails()), e.ContractDataEnd(21),
		e.OpenOrder(7, c, o, s), e.OpenOrderEnd(),
		e.OrderStatus(7, "Filled", ibapi.StringToDecimal("2"), ibapi.StringToDecimal("0"), 5800.25, 2126726143, 0, 5800.25, 17, "", 0),
		e.ExecDetails(22, futContract(), sampleExecution()), e.ExecDetailsEnd(22),
		e.CommissionReport(ibapi.CommissionAndFeesReport{ExecID: "0001f4e5.58bbad52.01.01", CommissionAndFees: 4.5, Currency: "USD", RealizedPNL: ibapi.UNSET_FLOAT, Yield: ibapi.UNSET_FLOAT}),
		e.Position("DU1234567", futContract(), ibapi.StringToDecimal("2"), 290012.5), e.PositionEnd(),
		e.AccountSummary(24, "DU1234567", "NetLiquidation", "100000.00", "USD"), e.AccountSummaryEnd(24),
		e.UpdateAccountValue("NetLiquidation", "100000.00", "USD", "DU1234567"),
		e.UpdatePortfolio(futContract(), ibapi.StringToDecimal("2"), 5801, 580100, 290012.5, 50, 0, "DU1234567"),
		e.UpdateAccountTime(sampleTime), e.AccountDownloadEnd("DU1234567"),
		e.HistoricalData(23, "20250401", "20250403", sampleBars()),
		e.CurrentTime(sampleTime), e.MarketDataType(31, 3),
	}
	if v >= ibapi.MIN_SERVER_VER_CURRENT_TIME_IN_MILLIS {
		frames = append(frames, e.CurrentTimeInMillis(sampleTime))
	}
	for _, f := range frames {
		if _, err := srv.conn.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	last := "MarketDataType"
	if v >= ibapi.MIN_SERVER_VER_CURRENT_TIME_IN_MILLIS {
		last = "CurrentTimeInMillis"
	}
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if _, ok := rec.find(last); !ok {
			return waitErr("no " + last + " callback yet")
		}
		return nil
	})
	checkCallbacks(t, max, rec)
}

// hangUp closes the server side. The client's reader sees EOF and its
// own watcher goroutine disconnects it; ibapi gives no callback for that
// path, so nothing is awaited (its goroutines end on their own).
func hangUp(conn net.Conn) { conn.Close() }

func withID(o *ibapi.Order, id int64) ibapi.Order {
	c := *o
	c.OrderID = id
	return c
}

func checkCallbacks(t *testing.T, v Version, rec *recorder) {
	t.Helper()
	arg := func(name string, i int) any {
		t.Helper()
		c, ok := rec.find(name)
		if !ok {
			t.Fatalf("no %s callback", name)
		}
		return c.args[i]
	}
	if got := arg("ManagedAccounts", 0); !reflect.DeepEqual(got, []string{"DU1234567"}) {
		t.Errorf("ManagedAccounts = %v", got)
	}
	if got := arg("NextValidID", 0); got != int64(683) {
		t.Errorf("NextValidID = %v", got)
	}
	if got := arg("Error", 2); got != int64(201) {
		t.Errorf("Error code = %v", got)
	}
	if got := arg("Error", 3); got != "Order rejected - reason:margin" {
		t.Errorf("Error msg = %v", got)
	}
	d := arg("ContractDetails", 1).(*ibapi.ContractDetails)
	if d.Contract.LastTradeDateOrContractMonth != "20250620" || d.Contract.Multiplier != "50" || d.Contract.LocalSymbol != "ESM5" || d.MinTick != 0.25 {
		t.Errorf("ContractDetails = %v", d)
	}
	o := arg("OpenOrder", 2).(*ibapi.Order)
	if o.OrderRef != "rotor-42" || o.PermID != 2126726143 || o.LmtPrice != 5800.25 || o.TotalQuantity != ibapi.StringToDecimal("2") {
		t.Errorf("OpenOrder order = %v", o)
	}
	// TWS prints an empty right as "?" in text; protobuf leaves it out
	// (recorded at 225).
	e := Encoder{V: v}
	right := "?"
	if e.pb(ibapi.OPEN_ORDER) {
		right = ""
	}
	if c := arg("OpenOrder", 1).(*ibapi.Contract); c.LocalSymbol != "ESM5" || c.Right != right {
		t.Errorf("OpenOrder contract = %v, want right %q", c, right)
	}
	if s := arg("OpenOrder", 3).(*ibapi.OrderState); s.Status != "Submitted" {
		t.Errorf("OpenOrder state = %v", s)
	}
	if got := arg("OrderStatus", 1); got != "Filled" {
		t.Errorf("OrderStatus = %v", got)
	}
	if got := arg("OrderStatus", 4); got != 5800.25 {
		t.Errorf("OrderStatus avgFillPrice = %v", got)
	}
	if x := arg("ExecDetails", 2).(*ibapi.Execution); x.OrderRef != "rotor-42" || x.Price != 5800.25 || x.Shares != ibapi.StringToDecimal("2") {
		t.Errorf("ExecDetails = %v", x)
	}
	unset := ibapi.UNSET_FLOAT // protobuf leaves it out and ibapi reads 0
	if e.pb(ibapi.COMMISSION_AND_FEES_REPORT) {
		unset = 0
	}
	if r := arg("CommissionAndFeesReport", 0).(ibapi.CommissionAndFeesReport); r.CommissionAndFees != 4.5 || r.RealizedPNL != unset {
		t.Errorf("CommissionAndFeesReport = %v", r)
	}
	if got := arg("Position", 2); got != ibapi.StringToDecimal("2") {
		t.Errorf("Position = %v", got)
	}
	if got := arg("AccountSummary", 3); got != "100000.00" {
		t.Errorf("AccountSummary = %v", got)
	}
	if got := arg("UpdateAccountValue", 1); got != "100000.00" {
		t.Errorf("UpdateAccountValue = %v", got)
	}
	if got := arg("UpdatePortfolio", 2); got != 5801.0 {
		t.Errorf("UpdatePortfolio marketPrice = %v", got)
	}
	if bars := rec.all("HistoricalData"); len(bars) != 2 || !reflect.DeepEqual(bars[1].args[1], sampleBars()[1]) {
		t.Errorf("HistoricalData = %v", bars)
	}
	if got := arg("HistoricalDataEnd", 2); got != "20250403" {
		t.Errorf("HistoricalDataEnd = %v", got)
	}
	if got := arg("CurrentTime", 0); got != sampleTime.Unix() {
		t.Errorf("CurrentTime = %v", got)
	}
	for _, name := range []string{"ContractDetailsEnd", "OpenOrderEnd", "ExecDetailsEnd", "PositionEnd", "AccountSummaryEnd", "UpdateAccountTime", "AccountDownloadEnd", "MarketDataType"} {
		if _, ok := rec.find(name); !ok {
			t.Errorf("no %s callback", name)
		}
	}
}
