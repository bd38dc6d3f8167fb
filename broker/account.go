package broker

import (
	"time"

	"github.com/shopspring/decimal"
)

// Account is the money side of an account, in its base currency.
type Account struct {
	ID              string
	Currency        string
	NetLiquidation  decimal.Decimal
	InitMargin      decimal.Decimal // initial margin requirement of the positions
	MaintMargin     decimal.Decimal // maintenance margin requirement
	AvailableFunds  decimal.Decimal // equity with loan value less initial margin
	ExcessLiquidity decimal.Decimal // equity with loan value less maintenance margin
	BuyingPower     decimal.Decimal
	TotalCash       decimal.Decimal
	RealizedPnL     decimal.Decimal
	UnrealizedPnL   decimal.Decimal
	UpdatedAt       time.Time
}

// IsPaper reports whether an IB account id is a paper account (DU...).
func IsPaper(accountID string) bool {
	return len(accountID) > 2 && accountID[:2] == "DU"
}

// Position is a holding in one contract. Quantity is signed: short < 0.
type Position struct {
	Account  string
	Contract Contract
	Quantity int64
	// AvgCost is the average cost per contract including the multiplier,
	// as IB reports it.
	AvgCost decimal.Decimal
}

// Bar is one day of prices.
type Bar struct {
	Date   time.Time // the trading day, midnight UTC
	Open   float64
	High   float64
	Low    float64
	Close  float64
	Volume float64
}
