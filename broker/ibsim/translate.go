package ibsim

import (
	"strconv"
	"strings"

	"github.com/rotor-trading/rotor/broker"
	"github.com/scmhub/ibapi"
	"github.com/shopspring/decimal"
)

// This file maps between the engine's records and the ibapi types that
// the wire package encodes: the shapes TWS sends.

func queryOf(c ibapi.Contract) ContractQuery {
	return ContractQuery{ConID: c.ConID, Symbol: c.Symbol, SecType: c.SecType, Exchange: c.Exchange,
		Currency: c.Currency, Month: c.LastTradeDateOrContractMonth, LocalSymbol: c.LocalSymbol}
}

func ibContract(l Listing) *ibapi.Contract {
	c := ibapi.NewContract()
	c.ConID = l.ConID
	c.Symbol = l.Symbol
	c.SecType = string(l.SecType)
	c.Exchange = l.Exchange
	c.Currency = l.Currency
	c.LocalSymbol = l.LocalSymbol
	c.TradingClass = l.Symbol
	if l.SecType == broker.Future {
		c.LastTradeDateOrContractMonth = l.Expiry.Format("20060102")
		c.Multiplier = strconv.FormatInt(l.Multiplier, 10)
	}
	if l.SecType == broker.Stock {
		c.PrimaryExchange = "ARCA"
	}
	return c
}

func ibDetails(l Listing) *ibapi.ContractDetails {
	d := ibapi.NewContractDetails()
	d.Contract = *ibContract(l)
	d.MarketName = l.Symbol
	d.MinTick, _ = l.Tick.Float64()
	d.PriceMagnifier = 1
	d.LongName = l.Name
	d.OrderTypes = "ACTIVETIM,AD,ALERT,DAY,GTC,LMT,MKT"
	switch l.SecType {
	case broker.Future:
		d.ValidExchanges = l.Exchange
		d.ContractMonth = l.Expiry.Format("200601")
		d.RealExpirationDate = l.Expiry.Format("20060102")
		d.LastTradeTime = "08:30:00"
		d.TimeZoneID = "US/Central"
		d.UnderSymbol = l.Tracks
		d.UnderSecType = "IND"
		d.MarketRuleIDs = "67"
		d.TradingHours = ""
		d.Contract.LastTradeDateOrContractMonth = l.Expiry.Format("20060102")
	case broker.Stock:
		d.ValidExchanges = "SMART,ARCA,NYSE,BATS,IEX"
		d.TimeZoneID = "US/Eastern"
		d.StockType = "ETF"
		d.MarketRuleIDs = "26"
		d.Industry, d.Category = "Funds", "Equity Fund"
	default:
		d.ValidExchanges = l.Exchange
		d.TimeZoneID = "US/Central"
	}
	one := ibapi.StringToDecimal("1")
	d.MinSize, d.SizeIncrement, d.SuggestedSizeIncrement = one, one, one
	return d
}

func ibDecimal(v int64) ibapi.Decimal { return ibapi.StringToDecimal(strconv.FormatInt(v, 10)) }

func float(d decimal.Decimal) float64 { f, _ := d.Float64(); return f }

func ibOrder(o Order) (*ibapi.Contract, *ibapi.Order, *ibapi.OrderState) {
	io := ibapi.NewOrder()
	io.OrderID = o.OrderID
	io.ClientID = o.ClientID
	io.PermID = o.PermID
	io.Action = o.Action
	io.TotalQuantity = ibDecimal(o.Quantity)
	io.OrderType = o.Type
	if o.Type == "LMT" {
		io.LmtPrice = float(o.Limit)
	}
	io.TIF = o.TIF
	io.OrderRef = o.Ref
	io.Account = o.Account
	io.FilledQuantity = ibDecimal(o.Filled)
	st := ibapi.NewOrderState()
	st.Status = string(o.Status)
	return ibContract(o.Listing), io, st
}

func ibExecution(x Execution) (*ibapi.Contract, *ibapi.Execution) {
	e := ibapi.NewExecution()
	e.ExecID = x.ExecID
	e.Time = x.Time.UTC().Format("20060102 15:04:05") + " UTC"
	e.AcctNumber = x.Account
	e.Exchange = x.Listing.Exchange
	if x.Listing.SecType == broker.Stock {
		e.Exchange = "ARCA"
	}
	e.Side = x.Side
	e.Shares = ibDecimal(x.Quantity)
	e.Price = float(x.Price)
	e.PermID = x.PermID
	e.ClientID = x.ClientID
	e.OrderID = x.OrderID
	e.CumQty = ibDecimal(x.CumQty)
	e.AvgPrice = float(x.AvgPrice)
	e.OrderRef = x.Ref
	e.LastLiquidity = 2 // removed liquidity: a market-taking fill
	return ibContract(x.Listing), e
}

func ibCommission(x Execution) ibapi.CommissionAndFeesReport {
	r := ibapi.NewCommissionAndFeesReport()
	r.ExecID = x.ExecID
	r.CommissionAndFees = float(x.Commission)
	r.Currency = "USD"
	if !x.RealizedPnL.IsZero() {
		r.RealizedPNL = float(x.RealizedPnL)
	}
	return r
}

// specOf turns a placeOrder request into the engine's order spec.
func specOf(clientID, orderID int64, c ibapi.Contract, o ibapi.Order) OrderSpec {
	qty, err := decimal.NewFromString(ibapi.DecimalToString(o.TotalQuantity))
	if err != nil {
		qty = decimal.Zero
	}
	s := OrderSpec{ClientID: clientID, OrderID: orderID, Account: o.Account, Contract: queryOf(c),
		Action: strings.ToUpper(o.Action), Quantity: qty, Type: strings.ToUpper(o.OrderType),
		TIF: strings.ToUpper(o.TIF), Ref: o.OrderRef}
	if o.LmtPrice != ibapi.UNSET_FLOAT {
		s.Limit = decimal.NewFromFloat(o.LmtPrice)
	}
	return s
}
