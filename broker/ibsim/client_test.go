package ibsim

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/scmhub/ibapi"
)

func init() {
	// ibapi logs through a package logger; keep test output readable.
	ibapi.SetLogger(zerolog.Nop())
}

// checkFor polls f every `every` until it returns nil or total elapses.
func checkFor(tb testing.TB, total, every time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(every)
	}
	tb.Fatalf("condition not met after %v: %v", total, err)
}

// recorder is an ibapi.EWrapper that keeps what TWS (here, the paper
// broker) told it.
type recorder struct {
	ibapi.Wrapper
	mu        sync.Mutex
	nextID    int64
	accounts  []string
	status    map[int64]string // order id -> last status
	refs      map[int64]string // order id -> orderRef from openOrder
	execs     []*ibapi.Execution
	comms     []ibapi.CommissionAndFeesReport
	errors    []int64
	openEnd   int
	details   []*ibapi.ContractDetails
	detailEnd bool
	bars      []ibapi.Bar
	barsEnd   bool
	positions map[string]string // local symbol -> position
	closed    bool
}

func newRecorder() *recorder {
	return &recorder{status: map[int64]string{}, refs: map[int64]string{}, positions: map[string]string{}}
}

func (r *recorder) NextValidID(id int64) { r.mu.Lock(); r.nextID = id; r.mu.Unlock() }
func (r *recorder) ManagedAccounts(a []string) {
	r.mu.Lock()
	r.accounts = a
	r.mu.Unlock()
}
func (r *recorder) OrderStatus(id ibapi.OrderID, status string, filled, remaining ibapi.Decimal, avg float64, perm, parent int64, last float64, client int64, why string, cap float64) {
	r.mu.Lock()
	r.status[id] = status
	r.mu.Unlock()
}
func (r *recorder) OpenOrder(id ibapi.OrderID, c *ibapi.Contract, o *ibapi.Order, s *ibapi.OrderState) {
	r.mu.Lock()
	r.refs[id] = o.OrderRef
	r.mu.Unlock()
}
func (r *recorder) OpenOrderEnd() { r.mu.Lock(); r.openEnd++; r.mu.Unlock() }
func (r *recorder) ExecDetails(req int64, c *ibapi.Contract, e *ibapi.Execution) {
	r.mu.Lock()
	r.execs = append(r.execs, e)
	r.mu.Unlock()
}
func (r *recorder) CommissionAndFeesReport(c ibapi.CommissionAndFeesReport) {
	r.mu.Lock()
	r.comms = append(r.comms, c)
	r.mu.Unlock()
}
func (r *recorder) ConnectionClosed() { r.mu.Lock(); r.closed = true; r.mu.Unlock() }
func (r *recorder) Error(req ibapi.TickerID, t int64, code int64, msg string, adv string) {
	r.mu.Lock()
	r.errors = append(r.errors, code)
	r.mu.Unlock()
}
func (r *recorder) ContractDetails(req int64, d *ibapi.ContractDetails) {
	r.mu.Lock()
	r.details = append(r.details, d)
	r.mu.Unlock()
}
func (r *recorder) ContractDetailsEnd(req int64) { r.mu.Lock(); r.detailEnd = true; r.mu.Unlock() }
func (r *recorder) HistoricalData(req int64, b *ibapi.Bar) {
	r.mu.Lock()
	r.bars = append(r.bars, *b)
	r.mu.Unlock()
}
func (r *recorder) HistoricalDataEnd(req int64, start, end string) {
	r.mu.Lock()
	r.barsEnd = true
	r.mu.Unlock()
}
func (r *recorder) Position(acct string, c *ibapi.Contract, pos ibapi.Decimal, avg float64) {
	r.mu.Lock()
	r.positions[c.LocalSymbol] = ibapi.DecimalToString(pos)
	r.mu.Unlock()
}

func (r *recorder) with(f func(r *recorder) error) func() error {
	return func() error { r.mu.Lock(); defer r.mu.Unlock(); return f(r) }
}

// connectIB connects the real ibapi client to the server and waits for
// nextValidId.
func connectIB(tb testing.TB, s *Server, clientID int64) (*ibapi.EClient, *recorder) {
	tb.Helper()
	rec := newRecorder()
	c := ibapi.NewEClient(rec)
	host, port := splitAddr(tb, s.Addr())
	if err := c.Connect(host, port, clientID); err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	// No Disconnect at cleanup: ibapi v0.10.44's Disconnect races with its
	// own shutdown watcher (both reset the client). The server closing the
	// socket makes the library tear itself down on one goroutine.
	checkFor(tb, 5*time.Second, 5*time.Millisecond, rec.with(func(r *recorder) error {
		if r.nextID == 0 {
			return fmt.Errorf("no nextValidId")
		}
		return nil
	}))
	return c, rec
}

func splitAddr(tb testing.TB, addr string) (string, int) {
	tb.Helper()
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			p, err := strconv.Atoi(addr[i+1:])
			if err != nil {
				tb.Fatal(err)
			}
			return addr[:i], p
		}
	}
	tb.Fatalf("bad address %q", addr)
	return "", 0
}

func futContract(localSymbol string) *ibapi.Contract {
	c := ibapi.NewContract()
	c.Symbol, c.SecType, c.Exchange, c.Currency, c.LocalSymbol = localSymbol[:len(localSymbol)-2], "FUT", "CME", "USD", localSymbol
	return c
}

func TestServerWithIBAPIClientOrderLifeAndReconnect(t *testing.T) {
	for _, v := range []int{100, 151, 176, 200, 201, 203, 207, 213, 222} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			s := MustOpenServer(t, func(c *Config) { c.MaxVersion = wireVersion(v) })
			c, rec := connectIB(t, s, 11)
			if got, want := c.ServerVersion(), ibapi.Version(v); got != want {
				t.Fatalf("negotiated %d, want %d", got, want)
			}

			c.ReqContractDetails(1, futContract("RTYZ6"))
			checkFor(t, 5*time.Second, 5*time.Millisecond, rec.with(func(r *recorder) error {
				if !r.detailEnd {
					return fmt.Errorf("no contractDetailsEnd")
				}
				return nil
			}))
			if len(rec.details) != 1 || rec.details[0].Contract.Multiplier != "50" || rec.details[0].MinTick != 0.1 {
				t.Fatalf("details = %+v, want one RTYZ6 with multiplier 50 and tick 0.1", rec.details)
			}

			// A resting limit order and a filled market order.
			id := rec.nextID
			lmt := ibapi.LimitOrder("BUY", ibapi.StringToDecimal("1"), 2300)
			lmt.OrderRef = "rest-1"
			c.PlaceOrder(id, futContract("RTYZ6"), lmt)
			mkt := ibapi.MarketOrder("BUY", ibapi.StringToDecimal("2"))
			mkt.OrderRef = "mkt-1"
			c.PlaceOrder(id+1, futContract("RTYZ6"), mkt)
			checkFor(t, 5*time.Second, 5*time.Millisecond, rec.with(func(r *recorder) error {
				if r.status[id] != "Submitted" || r.status[id+1] != "Filled" || len(r.comms) != 1 {
					return fmt.Errorf("statuses %v, %d commission reports", r.status, len(r.comms))
				}
				return nil
			}))
			if got, want := rec.execs[0].OrderRef, "mkt-1"; got != want {
				t.Fatalf("execution orderRef = %q, want %q", got, want)
			}
			if got, want := rec.comms[0].CommissionAndFees, 4.5; got != want {
				t.Fatalf("commission = %v, want %v", got, want)
			}

			// The connection drops; the client reconnects and finds the book.
			s.DropConnections()
			checkFor(t, 5*time.Second, 5*time.Millisecond, rec.with(func(r *recorder) error {
				if !r.closed {
					return fmt.Errorf("client did not see the connection close")
				}
				return nil
			}))
			c2, rec2 := connectIB(t, s, 11)
			if rec2.nextID != id+2 {
				t.Fatalf("nextValidId after reconnect = %d, want %d", rec2.nextID, id+2)
			}
			c2.ReqOpenOrders()
			c2.ReqExecutions(5, ibapi.NewExecutionFilter())
			checkFor(t, 5*time.Second, 5*time.Millisecond, rec2.with(func(r *recorder) error {
				if r.openEnd == 0 || len(r.execs) != 1 {
					return fmt.Errorf("openOrderEnd %d, %d executions", r.openEnd, len(r.execs))
				}
				return nil
			}))
			if got, want := rec2.refs[id], "rest-1"; got != want {
				t.Fatalf("resting order ref after reconnect = %q, want %q", got, want)
			}
		})
	}
}

func TestServerHistoricalDataWithIBAPIClient(t *testing.T) {
	s := MustOpenServer(t, nil)
	c, rec := connectIB(t, s, 12)
	stk := ibapi.NewContract()
	stk.Symbol, stk.SecType, stk.Exchange, stk.Currency = "IWM", "STK", "SMART", "USD"
	c.ReqHistoricalData(3, stk, "", "10 D", "1 day", "TRADES", true, 1, false, nil)
	checkFor(t, 5*time.Second, 5*time.Millisecond, rec.with(func(r *recorder) error {
		if !r.barsEnd {
			return fmt.Errorf("no historicalDataEnd")
		}
		return nil
	}))
	if got, want := len(rec.bars), 10; got != want {
		t.Fatalf("bars = %d, want %d", got, want)
	}
	if last := rec.bars[len(rec.bars)-1]; last.Date != "20261123" || last.Close != 240 {
		t.Fatalf("last bar = %+v, want 20261123 closing at 240", last)
	}
}
