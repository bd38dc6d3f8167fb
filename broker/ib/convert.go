package ib

import (
	"strconv"
	"strings"
	"time"

	"github.com/scmhub/ibapi"
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
)

// toIBContract describes c to TWS: the contract id when known, plus the
// fields that identify it without one.
func toIBContract(c broker.Contract) *ibapi.Contract {
	ct := ibapi.NewContract()
	ct.ConID = c.ConID
	ct.Symbol = c.Symbol
	ct.SecType = string(c.SecType)
	ct.Exchange = c.Exchange
	ct.Currency = c.Currency
	ct.LocalSymbol = c.LocalSymbol
	if !c.Expiry.IsZero() {
		ct.LastTradeDateOrContractMonth = c.Expiry.Format("20060102")
	}
	if c.SecType == broker.Future && c.Multiplier > 0 {
		ct.Multiplier = strconv.FormatInt(c.Multiplier, 10)
	}
	return ct
}

// contractFromIB turns TWS's contract into rotor's.
func contractFromIB(ct *ibapi.Contract) broker.Contract {
	if ct == nil {
		return broker.Contract{}
	}
	c := broker.Contract{
		ConID: ct.ConID, Symbol: ct.Symbol, LocalSymbol: ct.LocalSymbol,
		SecType: broker.SecType(ct.SecType), Exchange: ct.Exchange, Currency: ct.Currency,
	}
	if c.SecType == broker.Future {
		for _, s := range []string{ct.LastTradeDate, ct.LastTradeDateOrContractMonth} {
			if d, err := parseDay(s); err == nil {
				c.Expiry = d
				break
			}
		}
	}
	c.Multiplier = 1
	if m, err := strconv.ParseFloat(ct.Multiplier, 64); err == nil && m >= 1 {
		c.Multiplier = int64(m)
	}
	return c
}

// parseDay reads IB's "20261218" (possibly followed by a time) as midnight UTC.
func parseDay(s string) (time.Time, error) {
	if len(s) > 8 {
		s = s[:8]
	}
	return time.Parse("20060102", s)
}

// parseExecTime reads an execution time: "20260823-14:30:00" (UTC),
// "20260823 14:30:00" or either followed by an IANA zone name.
func parseExecTime(s string) time.Time {
	s = strings.TrimSpace(s)
	loc := time.UTC
	if i := strings.LastIndexByte(s, ' '); i > 8 {
		if l, err := time.LoadLocation(s[i+1:]); err == nil {
			loc, s = l, s[:i]
		}
	}
	for _, layout := range []string{"20060102-15:04:05", "20060102 15:04:05", "20060102  15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t
		}
	}
	return time.Time{}
}

func decFloat(f float64) decimal.Decimal {
	if f == ibapi.UNSET_FLOAT {
		return decimal.Zero
	}
	return decimal.NewFromFloat(f)
}

func decInt(d ibapi.Decimal) int64 {
	if d == ibapi.UNSET_DECIMAL {
		return 0
	}
	return d.Int()
}

// reportFromOpenOrder turns an openOrder message into a report.
func reportFromOpenOrder(id int64, ct *ibapi.Contract, o *ibapi.Order, st *ibapi.OrderState, now time.Time) broker.OrderReport {
	r := broker.OrderReport{OrderID: id, Contract: contractFromIB(ct), UpdatedAt: now}
	if o != nil {
		r.Ref, r.PermID, r.ClientID, r.Account = o.OrderRef, o.PermID, o.ClientID, o.Account
		r.Side, r.Type, r.TIF = broker.Side(o.Action), broker.OrderType(o.OrderType), broker.TimeInForce(o.TIF)
		r.Quantity = decInt(o.TotalQuantity)
		r.Filled = decInt(o.FilledQuantity)
		r.Remaining = r.Quantity - r.Filled
		if r.Type == broker.Limit {
			r.LimitPrice = decFloat(o.LmtPrice)
		}
	}
	if st != nil {
		r.Status = broker.OrderStatus(st.Status)
	}
	return r
}

// fillFromExecution turns an execDetails message into a fill.
func fillFromExecution(ct *ibapi.Contract, e *ibapi.Execution) broker.Fill {
	f := broker.Fill{Contract: contractFromIB(ct)}
	if e == nil {
		return f
	}
	f.ExecID, f.Ref, f.OrderID, f.PermID, f.Account = e.ExecID, e.OrderRef, e.OrderID, e.PermID, e.AcctNumber
	switch e.Side {
	case "BOT", "BUY":
		f.Side = broker.Buy
	case "SLD", "SELL":
		f.Side = broker.Sell
	}
	f.Quantity = decInt(e.Shares)
	f.Price = decFloat(e.Price)
	f.Time = parseExecTime(e.Time)
	return f
}

// toIBOrder builds the TWS order of req for account.
func toIBOrder(req broker.OrderRequest, account string) *ibapi.Order {
	o := ibapi.NewOrder()
	o.OrderRef = req.Ref
	o.Account = account
	o.Action = string(req.Side)
	o.OrderType = string(req.Type)
	o.TotalQuantity = ibapi.StringToDecimal(strconv.FormatInt(req.Quantity, 10))
	o.TIF = string(req.TIF)
	if o.TIF == "" {
		o.TIF = string(broker.Day)
	}
	if req.Type == broker.Limit {
		o.LmtPrice = req.LimitPrice.InexactFloat64()
	}
	o.Transmit = true
	return o
}
