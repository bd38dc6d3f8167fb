package wire

import (
	"time"

	"github.com/scmhub/ibapi"
)

// Sample values shared by the encoder, round-trip and benchmark tests.

func futContract() *ibapi.Contract {
	c := ibapi.NewContract()
	c.ConID = 620731015
	c.Symbol = "ES"
	c.SecType = "FUT"
	c.LastTradeDateOrContractMonth = "20250620"
	c.Multiplier = "50"
	c.Exchange = "CME"
	c.Currency = "USD"
	c.LocalSymbol = "ESM5"
	c.TradingClass = "ES"
	return c
}

func stkContract() *ibapi.Contract {
	c := ibapi.NewContract()
	c.ConID = 265598
	c.Symbol = "AAPL"
	c.SecType = "STK"
	c.Exchange = "SMART"
	c.PrimaryExchange = "NASDAQ"
	c.Currency = "USD"
	return c
}

func lmtOrder() *ibapi.Order {
	o := ibapi.NewOrder()
	o.Action = "BUY"
	o.OrderType = "LMT"
	o.TotalQuantity = ibapi.StringToDecimal("2")
	o.LmtPrice = 5800.25
	o.TIF = "DAY"
	o.OrderRef = "rotor-42"
	o.Account = "DU1234567"
	return o
}

func sampleOpenOrder() (*ibapi.Contract, *ibapi.Order, *ibapi.OrderState) {
	c := futContract()
	o := lmtOrder()
	o.OrderID = 7
	o.ClientID = 3
	o.PermID = 2126726143
	s := ibapi.NewOrderState()
	s.Status = "Submitted"
	return c, o, s
}

func sampleExecution() *ibapi.Execution {
	x := ibapi.NewExecution()
	x.OrderID = 7
	x.ExecID = "0001f4e5.58bbad52.01.01"
	x.Time = "20250708 02:35:00 America/New_York"
	x.AcctNumber = "DU1234567"
	x.Exchange = "CME"
	x.Side = "BOT"
	x.Shares = ibapi.StringToDecimal("2")
	x.Price = 5800.25
	x.PermID = 2126726143
	x.ClientID = 3
	x.CumQty = ibapi.StringToDecimal("2")
	x.AvgPrice = 5800.25
	x.OrderRef = "rotor-42"
	x.LastLiquidity = 1
	return x
}

func sampleContractDetails() *ibapi.ContractDetails {
	d := ibapi.NewContractDetails()
	d.Contract = *futContract()
	d.Contract.Strike = 0
	d.MarketName = "ES"
	d.MinTick = 0.25
	d.OrderTypes = "LMT,MKT,STP"
	d.ValidExchanges = "CME,QBALGO"
	d.PriceMagnifier = 1
	d.UnderConID = 11004968
	d.LongName = "E-mini S&P 500"
	d.ContractMonth = "202506"
	d.TimeZoneID = "US/Central"
	d.TradingHours = "20250521:1700-20250522:1600"
	d.LiquidHours = "20250522:0830-20250522:1600"
	d.AggGroup = 2147483647
	d.UnderSymbol = "ES"
	d.UnderSecType = "IND"
	d.MarketRuleIDs = "67"
	d.RealExpirationDate = "20250620"
	d.MinSize = ibapi.StringToDecimal("1")
	d.SizeIncrement = ibapi.StringToDecimal("1")
	d.SuggestedSizeIncrement = ibapi.StringToDecimal("1")
	return d
}

func sampleBars() []ibapi.Bar {
	return []ibapi.Bar{
		{Date: "20250401", Open: 5600.25, High: 5650, Low: 5590.5, Close: 5640.75, Volume: ibapi.StringToDecimal("1200"), Wap: ibapi.StringToDecimal("5620.125"), BarCount: 300},
		{Date: "20250402", Open: 5640.75, High: 5700, Low: 5630, Close: 5690, Volume: ibapi.StringToDecimal("900"), Wap: ibapi.StringToDecimal("5670.5"), BarCount: 250},
	}
}

var sampleTime = time.Date(2026, 8, 24, 12, 34, 56, 789_000_000, time.UTC)
