package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/broker/ibsim/wire"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/shopspring/decimal"
)

// nodeDir holds the Node project with the independent clients.
const nodeDir = "testdata/node"

// installHint is what to run when the Node project is not installed.
const installHint = "cd broker/ibsim/interop/testdata/node && npm ci"

// testDay is the paper broker's clock: a Monday after the close, with
// RTYZ6 (December 2026) the front month.
var testDay = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)

// Flat marks, so every price the client sees is known by construction.
const (
	rutClose = 2400.0
	iwmClose = 240.0
)

// TestStoqeyIBOrderLife has @stoqey/ib, IB's API ported to TypeScript by
// people outside rotor, trade an order's life with the paper broker at
// several server versions, and checks what the client understood against
// the paper broker's own book.
func TestStoqeyIBOrderLife(t *testing.T) {
	node := mustNode(t, "@stoqey/ib")
	// 0 is the paper broker's default offer (wire.MaxVersion, above what
	// @stoqey/ib 1.6 speaks, so the client's maximum, 193, is negotiated).
	// The others cap the offer where the messages used here change shape:
	// 186 after the 182-186 contract-details and order additions, 176
	// before the fund data fields (179), 163 decimal sizes, 151 the price
	// management algo, 145 the order container (openOrder loses its
	// message version), 102 pegged-to-benchmark fields, 100 the first
	// length-prefixed version. A sweep of every version from 100 to 193
	// gave the same report at each, except:
	//
	// Not 103 to 144: there @stoqey/ib 1.6.10 cannot read any openOrder
	// (error 505, underrun), ours or, it follows, TWS's. Its OrderDecoder
	// reads modelCode when the message's own version (34 before server
	// version 145) is >= 103, where IB's clients test the server version;
	// the paper broker sends modelCode from 103 on, as IB's clients read it.
	for _, max := range []wire.Version{0, 186, 176, 163, 151, 145, 102, 100} {
		name := fmt.Sprintf("sim-max-%d", max)
		if max == 0 {
			name = fmt.Sprintf("sim-max-default-%d", ibsim.DefaultMaxVersion)
		}
		t.Run(name, func(t *testing.T) {
			s := mustOpenServer(t, max)
			const clientID = 21
			var got stoqeyReport
			runNode(t, node, "stoqey.mjs", s.Addr(), clientID, &got)
			checkStoqeyReport(t, s, max, clientID, got)
		})
	}
}

// stoqeyReport is the JSON testdata/node/stoqey.mjs prints; field names
// match its keys case-insensitively.
type stoqeyReport struct {
	Client struct {
		Package string
		Hello   string // the versions the client offered: "v100..193"
	}
	ServerVersion   int
	ConnectionTime  string
	NextValidID     int64
	Accounts        []string
	ContractDetails []struct {
		ConID                        int64
		Symbol, SecType, LocalSymbol string
		LastTradeDateOrContractMonth string
		Multiplier, MinTick          float64
		Exchange, Currency           string
	}
	Orders map[string]struct { // by orderRef
		ID                              int64
		Statuses                        []string
		Filled, Remaining, AvgFillPrice float64
		OpenOrder                       struct {
			LocalSymbol, Action, OrderType, OrderRef, Status string
			TotalQuantity                                    float64
			LmtPrice                                         *float64
		}
	}
	Executions []struct {
		ReqID, OrderID                  int64
		ExecID, LocalSymbol, Side       string
		Shares, Price, CumQty, AvgPrice float64
		OrderRef, AcctNumber            string
	}
	Commissions []struct {
		ExecID     string
		Commission float64
		Currency   string
	}
	Positions []struct {
		Account, LocalSymbol string
		ConID                int64
		Position, AvgCost    float64
	}
	AccountSummary map[string]struct{ Value, Currency, Account string }
	BarCount       int
	LastBarDate    string
	Bars           []struct {
		Date  string
		Close float64
	}
	CurrentTime int64
	Errors      []struct {
		Kind        string // "error", or "info" for messages without a request id
		ReqID, Code int64
		Message     string
	}
}

func checkStoqeyReport(t *testing.T, s *ibsim.Server, max wire.Version, clientID int64, r stoqeyReport) {
	t.Helper()
	e := s.Engine()

	// The handshake: the sim's offer against the client's range.
	clientMax := helloMax(t, r.Client.Hello)
	offer := max
	if offer == 0 {
		offer = ibsim.DefaultMaxVersion
	}
	if got, want := r.ServerVersion, int(min(offer, clientMax)); got != want {
		t.Errorf("negotiated server version = %d, want %d (sim offers up to %d, client %s)", got, want, offer, r.Client.Hello)
	}
	if got, want := r.ConnectionTime, "20261123 21:00:00 UTC"; got != want {
		t.Errorf("connection time = %q, want %q", got, want)
	}
	if got, want := r.Accounts, []string{e.AccountID()}; !slices.Equal(got, want) {
		t.Errorf("managed accounts = %q, want %q", got, want)
	}
	if got, want := r.CurrentTime, testDay.Unix(); got != want {
		t.Errorf("currentTime = %d, want %d (the sim's clock)", got, want)
	}

	// Contract details: one front-month RTY future.
	if len(r.ContractDetails) != 1 {
		t.Fatalf("contract details = %+v, want one RTYZ6", r.ContractDetails)
	}
	cd := r.ContractDetails[0]
	if cd.LocalSymbol != "RTYZ6" || cd.Multiplier != 50 || cd.MinTick != 0.1 || cd.SecType != "FUT" || cd.Symbol != "RTY" ||
		!strings.HasPrefix(cd.LastTradeDateOrContractMonth, "202612") || cd.ConID <= 0 {
		t.Errorf("contract details = %+v, want RTYZ6 (RTY FUT 202612) with multiplier 50 and tick 0.1", cd)
	}

	// The two orders, as the client saw them.
	mkt, lmt := r.Orders["interop-mkt"], r.Orders["interop-lmt"]
	if got, want := last(mkt.Statuses), "Filled"; got != want {
		t.Errorf("market order statuses = %q, want ending %q", mkt.Statuses, want)
	}
	if !slices.Contains(lmt.Statuses, "Submitted") || last(lmt.Statuses) != "Cancelled" {
		t.Errorf("limit order statuses = %q, want Submitted then Cancelled", lmt.Statuses)
	}
	if oo := lmt.OpenOrder; oo.OrderRef != "interop-lmt" || oo.OrderType != "LMT" || oo.LmtPrice == nil || *oo.LmtPrice != 1200 ||
		oo.TotalQuantity != 1 || oo.LocalSymbol != "RTYZ6" {
		t.Errorf("limit order's openOrder = %+v, want LMT BUY 1 RTYZ6 at 1200 ref interop-lmt", oo)
	}
	if mkt.Filled != 1 || mkt.Remaining != 0 || mkt.AvgFillPrice != rutClose {
		t.Errorf("market order status: filled %v remaining %v avg %v, want 1, 0, %v", mkt.Filled, mkt.Remaining, mkt.AvgFillPrice, rutClose)
	}
	if oo := mkt.OpenOrder; oo.OrderRef != "interop-mkt" || oo.OrderType != "MKT" || oo.Action != "BUY" || oo.TotalQuantity != 1 {
		t.Errorf("market order's openOrder = %+v, want MKT BUY 1 ref interop-mkt", oo)
	}

	// The fill.
	if len(r.Executions) != 1 || len(r.Commissions) != 1 {
		t.Fatalf("%d executions and %d commission reports, want 1 and 1: %+v %+v", len(r.Executions), len(r.Commissions), r.Executions, r.Commissions)
	}
	x, c := r.Executions[0], r.Commissions[0]
	if x.OrderRef != "interop-mkt" || x.Shares != 1 || x.Side != "BOT" || x.OrderID != mkt.ID || x.LocalSymbol != "RTYZ6" || x.Price != rutClose ||
		x.AcctNumber != e.AccountID() {
		t.Errorf("execution = %+v, want BOT 1 RTYZ6 at %v for order %d ref interop-mkt", x, rutClose, mkt.ID)
	}
	if c.ExecID != x.ExecID || c.Commission != 2.25 || c.Currency != "USD" {
		t.Errorf("commission report = %+v, want 2.25 USD for execution %s", c, x.ExecID)
	}

	// Positions, account summary, history.
	if len(r.Positions) != 1 || r.Positions[0].LocalSymbol != "RTYZ6" || r.Positions[0].Position != 1 || r.Positions[0].ConID != cd.ConID {
		t.Fatalf("positions = %+v, want RTYZ6 (conId %d) = 1", r.Positions, cd.ConID)
	}
	nlv, ok := r.AccountSummary["NetLiquidation"]
	if !ok || nlv.Currency != "USD" || nlv.Account != e.AccountID() {
		t.Errorf("account summary = %+v, want NetLiquidation in USD for %s", r.AccountSummary, e.AccountID())
	}
	if _, ok := r.AccountSummary["InitMarginReq"]; !ok {
		t.Errorf("account summary = %+v, want InitMarginReq", r.AccountSummary)
	}
	if r.BarCount != 5 || len(r.Bars) != 5 || r.LastBarDate != "20261123" || r.Bars[4].Close != iwmClose {
		t.Errorf("%d bars, last %q, want 5 ending 20261123 at %v", r.BarCount, r.LastBarDate, iwmClose)
	}

	// Errors: the cancel's 202 and the farm notices, nothing else.
	var cancelled bool
	for _, er := range r.Errors {
		switch {
		case er.Code == ibsim.CodeCancelled && er.ReqID == lmt.ID && er.Kind == "error":
			cancelled = true
		case er.Code == 2104 || er.Code == 2106 || er.Code == 2158:
		default:
			t.Errorf("unexpected error from the client: %+v", er)
		}
	}
	if !cancelled {
		t.Errorf("errors = %+v, want 202 for the cancelled limit order %d", r.Errors, lmt.ID)
	}

	// The sim's own book must say the same.
	orders := e.Orders()
	if len(orders) != 2 {
		t.Fatalf("sim has %d orders, want 2: %+v", len(orders), orders)
	}
	byRef := map[string]ibsim.Order{}
	for _, o := range orders {
		byRef[o.Ref] = o
	}
	if o := byRef["interop-mkt"]; o.OrderID != mkt.ID || o.ClientID != clientID || o.Status != broker.StatusFilled || o.Filled != 1 || o.Type != "MKT" {
		t.Errorf("sim's market order = %+v, want order %d of client %d, MKT, Filled 1", o, mkt.ID, clientID)
	}
	if o := byRef["interop-lmt"]; o.OrderID != lmt.ID || o.Status != broker.StatusCancelled || o.Type != "LMT" || !o.Limit.Equal(decimal.NewFromInt(1200)) {
		t.Errorf("sim's limit order = %+v, want order %d, LMT 1200, Cancelled", o, lmt.ID)
	}
	execs := e.Executions()
	if len(execs) != 1 {
		t.Fatalf("sim has %d executions, want 1: %+v", len(execs), execs)
	}
	if sx := execs[0]; sx.ExecID != x.ExecID || sx.Ref != "interop-mkt" || sx.Quantity != 1 || !sx.Commission.Equal(decimal.RequireFromString("2.25")) ||
		sx.Price.InexactFloat64() != x.Price {
		t.Errorf("sim's execution = %+v, want the client's %+v", sx, x)
	}
	pos := e.Positions()
	if len(pos) != 1 || pos[0].Listing.LocalSymbol != "RTYZ6" || pos[0].Quantity != 1 || pos[0].Listing.ConID != cd.ConID ||
		pos[0].AvgCost.InexactFloat64() != r.Positions[0].AvgCost {
		t.Errorf("sim's positions = %+v, want the client's %+v", pos, r.Positions)
	}
	acct := e.Account()
	if got, want := nlv.Value, acct.NetLiquidation.StringFixed(2); got != want {
		t.Errorf("client's NetLiquidation = %s, sim's %s", got, want)
	}
	if got, want := r.AccountSummary["InitMarginReq"].Value, acct.InitMargin.StringFixed(2); got != want {
		t.Errorf("client's InitMarginReq = %s, sim's %s", got, want)
	}
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// helloMax reads the client's maximum version from its handshake text,
// "v100..193" (or "v193" for a single version).
func helloMax(t *testing.T, hello string) wire.Version {
	t.Helper()
	spec, _, _ := strings.Cut(strings.TrimPrefix(hello, "v"), " ")
	_, hi, ranged := strings.Cut(spec, "..")
	if !ranged {
		hi = spec
	}
	v, err := strconv.Atoi(hi)
	if err != nil || !strings.HasPrefix(hello, "v") {
		t.Fatalf("client handshake %q: want \"v<min>..<max>\"", hello)
	}
	return wire.Version(v)
}

// mustOpenServer starts the paper broker at testDay with flat marks on the
// NYSE trading days before it, offering versions up to max (0: the
// default), and closes it when the test ends.
func mustOpenServer(tb testing.TB, max wire.Version) *ibsim.Server {
	tb.Helper()
	s := ibsim.New(ibsim.Config{Now: func() time.Time { return testDay }, MaxVersion: max,
		Series: flatSeries(map[string]float64{"RUT": rutClose, "IWM": iwmClose})})
	if err := s.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func flatSeries(closes map[string]float64) map[string]marketdata.Series {
	out := make(map[string]marketdata.Series)
	for sym, p := range closes {
		var bars []marketdata.Bar
		for _, d := range marketdata.TradingDays(testDay.AddDate(0, -2, 0), testDay) {
			bars = append(bars, marketdata.Bar{Date: d, Open: p, High: p, Low: p, Close: p, AdjClose: p, Volume: 1000})
		}
		out[sym] = marketdata.Series{Symbol: sym, Bars: bars}
	}
	return out
}

// mustNode returns the node binary. When the Node project's packages are
// not installed yet (a fresh clone) it installs them from the committed
// lock file with npm ci, so the README's one test command runs this test
// too. It fails, never skips, when node or npm is missing or the install
// fails: an interop test that skips proves nothing.
func mustNode(tb testing.TB, pkg string) string {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatalf("node is not on PATH (%v): install Node.js 20 or later, then run `%s`", err, installHint)
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", filepath.FromSlash(pkg), "package.json")); err == nil {
		return node
	}
	installOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeDir
		out, err := cmd.CombinedOutput()
		if err != nil {
			installErr = fmt.Errorf("npm ci in %s: %v\n%s", nodeDir, err, out)
		}
	})
	if installErr != nil {
		tb.Fatalf("%v\ninstall the client by hand with `%s`", installErr, installHint)
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", filepath.FromSlash(pkg), "package.json")); err != nil {
		tb.Fatalf("%s is still not installed after npm ci (%v): run `%s`", pkg, err, installHint)
	}
	return node
}

var (
	installOnce sync.Once
	installErr  error
)

// runNode runs a client script against addr and decodes the JSON it
// prints into out. The scripts bound their own waits (10 s); the context
// is a backstop for a hung node.
func runNode(tb testing.TB, node, script, addr string, clientID int64, out any) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, addr, strconv.FormatInt(clientID, 10))
	cmd.Dir = nodeDir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) || ctx.Err() != nil {
			tb.Fatalf("node %s %s %d: %v\nstderr:\n%s\nstdout:\n%s", script, addr, clientID, err, &stderr, &stdout)
		}
		tb.Fatalf("node %s: %v", script, err)
	}
	if testing.Verbose() {
		tb.Logf("node %s stderr:\n%s", script, &stderr)
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		tb.Fatalf("node %s printed %q: %v", script, &stdout, err)
	}
}
