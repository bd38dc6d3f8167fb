package wire

import (
	"strconv"
	"strings"
	"time"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
	"google.golang.org/protobuf/proto"
)

// protoFrom is the server version from which TWS sends each server message
// as protobuf. ibapi's decoder reads either form at any version, so the
// thresholds come from recorded TWS traffic (../shared/tws-captures) where
// it shows them, and otherwise from the rule those recordings follow: an
// answer switches to protobuf with the request that solicits it (ibapi's
// PROTOBUF_MSG_IDS).
//
//	201 executions: execDetails, execDetailsEnd, and commissionReport, which
//	    travels with them (inferred; recorded as protobuf at 225).
//	203 place order: openOrder, orderStatus, error (recorded at 203; 201 and
//	    202 are not recorded, error follows the order messages).
//	204 completed orders: completedOrdersEnd (recorded at 204), openOrderEnd
//	    with its requests reqOpenOrders/reqAllOpenOrders (inferred;
//	    recorded as protobuf at 225).
//	205 contract data: contractData, contractDataEnd (recorded at 205).
//	206 market data: marketDataType (inferred, with reqMarketDataType).
//	207 accounts and positions: position(End), accountSummary(End),
//	    updateAccountValue, updatePortfolio, updateAccountTime,
//	    accountDownloadEnd, and managedAccounts with reqManagedAccts
//	    (inferred: text at 203-205, protobuf at 225 in the recordings;
//	    positions recorded as protobuf at 225).
//	208 historical data: historicalData, historicalDataEnd (inferred).
//	213 rest 3: nextValidId, currentTime, currentTimeInMillis, with reqIds
//	    and reqCurrentTime (recorded: text at 203, protobuf at 225).
var protoFrom = map[int64]ibapi.Version{
	ibapi.EXECUTION_DATA:             ibapi.MIN_SERVER_VER_PROTOBUF,
	ibapi.EXECUTION_DATA_END:         ibapi.MIN_SERVER_VER_PROTOBUF,
	ibapi.COMMISSION_AND_FEES_REPORT: ibapi.MIN_SERVER_VER_PROTOBUF,
	ibapi.OPEN_ORDER:                 ibapi.MIN_SERVER_VER_PROTOBUF_PLACE_ORDER,
	ibapi.ORDER_STATUS:               ibapi.MIN_SERVER_VER_PROTOBUF_PLACE_ORDER,
	ibapi.ERR_MSG:                    ibapi.MIN_SERVER_VER_PROTOBUF_PLACE_ORDER,
	ibapi.OPEN_ORDER_END:             ibapi.MIN_SERVER_VER_PROTOBUF_COMPLETED_ORDER,
	ibapi.COMPLETED_ORDERS_END:       ibapi.MIN_SERVER_VER_PROTOBUF_COMPLETED_ORDER,
	ibapi.CONTRACT_DATA:              ibapi.MIN_SERVER_VER_PROTOBUF_CONTRACT_DATA,
	ibapi.CONTRACT_DATA_END:          ibapi.MIN_SERVER_VER_PROTOBUF_CONTRACT_DATA,
	ibapi.MARKET_DATA_TYPE:           ibapi.MIN_SERVER_VER_PROTOBUF_MARKET_DATA,
	ibapi.MANAGED_ACCTS:              ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.POSITION_DATA:              ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.POSITION_END:               ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.ACCOUNT_SUMMARY:            ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.ACCOUNT_SUMMARY_END:        ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.ACCT_VALUE:                 ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.PORTFOLIO_VALUE:            ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.ACCT_UPDATE_TIME:           ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.ACCT_DOWNLOAD_END:          ibapi.MIN_SERVER_VER_PROTOBUF_ACCOUNTS_POSITIONS,
	ibapi.HISTORICAL_DATA:            ibapi.MIN_SERVER_VER_PROTOBUF_HISTORICAL_DATA,
	ibapi.HISTORICAL_DATA_END:        ibapi.MIN_SERVER_VER_PROTOBUF_HISTORICAL_DATA,
	ibapi.NEXT_VALID_ID:              ibapi.MIN_SERVER_VER_PROTOBUF_REST_MESSAGES_3,
	ibapi.CURRENT_TIME:               ibapi.MIN_SERVER_VER_PROTOBUF_REST_MESSAGES_3,
	ibapi.CURRENT_TIME_IN_MILLIS:     ibapi.MIN_SERVER_VER_PROTOBUF_REST_MESSAGES_3,
}

// pb reports whether message id goes out as protobuf at e.V.
func (e Encoder) pb(id int64) bool {
	from, ok := protoFrom[id]
	return ok && e.v() >= from
}

// protoFrame frames m as message id: length, id+200 as 4 binary bytes,
// then the protobuf body. Marshaling is deterministic (map fields sorted)
// so equal messages give equal frames.
func protoFrame(id int64, m proto.Message) []byte {
	opts := proto.MarshalOptions{Deterministic: true}
	buf := make([]byte, 8, 8+opts.Size(m))
	buf, err := opts.MarshalAppend(buf, m)
	if err != nil {
		// Only invalid UTF-8 in a string field fails; the messages here
		// carry text from ibapi values, so drop the body rather than panic.
		buf = buf[:8]
	}
	n, wid := len(buf)-4, id+ibapi.PROTOBUF_MSG_ID
	buf[0], buf[1], buf[2], buf[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	buf[4], buf[5], buf[6], buf[7] = byte(wid>>24), byte(wid>>16), byte(wid>>8), byte(wid)
	return buf
}

// reqID32 is a request or order id as protobuf carries it.
func reqID32(id int64) *int32 { return ptr(int32(id)) }

// optStr is s, or absent when empty.
func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optDecimal is d as a decimal string, or absent when unset.
func optDecimal(d ibapi.Decimal) *string {
	if d == ibapi.UNSET_DECIMAL {
		return nil
	}
	return ptr(ibapi.DecimalToString(d))
}

// optDecimalSet is d as a decimal string, or absent when unset or zero
// (the zero value of a ContractDetails field nobody filled).
func optDecimalSet(d ibapi.Decimal) *string {
	if d == ibapi.UNSET_DECIMAL || d == (ibapi.Decimal{}) {
		return nil
	}
	return optDecimal(d)
}

// optFloat is f, or absent when it is ibapi.UNSET_FLOAT.
func optFloat(f float64) *float64 {
	if f == ibapi.UNSET_FLOAT {
		return nil
	}
	return &f
}

// contractProto is c as the server sends it: like TWS it prints an unset
// strike as 0 (recorded at 225). o adds the per-leg prices of a combo order.
func contractProto(c *ibapi.Contract, o *ibapi.Order) *protobuf.Contract {
	cc := *c
	cc.Strike = strikeOrZero(cc.Strike)
	p := &protobuf.Contract{}
	mapContract(&binder{}, &cc, o, p)
	return p
}

func (e Encoder) pbError(reqID, code int64, msg, advanced string, at time.Time) []byte {
	return protoFrame(ibapi.ERR_MSG, &protobuf.ErrorMessage{
		Id: reqID32(reqID), ErrorTime: ptr(at.UnixMilli()), ErrorCode: ptr(int32(code)),
		ErrorMsg: optStr(msg), AdvancedOrderRejectJson: optStr(advanced),
	})
}

func (e Encoder) pbPortfolio(c *ibapi.Contract, pos ibapi.Decimal, marketPrice, marketValue, avgCost,
	unrealizedPNL, realizedPNL float64, account string) []byte {
	// As in the text message, the contract carries no exchange.
	cc := *c
	cc.Exchange = ""
	return protoFrame(ibapi.PORTFOLIO_VALUE, &protobuf.PortfolioValue{
		Contract: contractProto(&cc, nil), Position: optDecimal(pos),
		MarketPrice: optFloat(marketPrice), MarketValue: optFloat(marketValue), AverageCost: optFloat(avgCost),
		UnrealizedPNL: optFloat(unrealizedPNL), RealizedPNL: optFloat(realizedPNL), AccountName: optStr(account),
	})
}

// pbContractData builds contractData as decodeContractDetails reads it:
// the last trade date travels joined with its time and zone by spaces,
// "20260918 08:30:00 US/Central" (recorded at 225; the text form uses
// "20260918-08:30:00" for a time with seconds).
func (e Encoder) pbContractData(reqID int64, d *ibapi.ContractDetails) []byte {
	c := d.Contract
	if d.LastTradeTime != "" {
		c.LastTradeDateOrContractMonth += " " + d.LastTradeTime
		if d.TimeZoneID != "" {
			c.LastTradeDateOrContractMonth += " " + d.TimeZoneID
		}
	}
	b := &binder{}
	p := &protobuf.ContractDetails{
		MarketName: optStr(d.MarketName), MinTick: ptr(strconv.FormatFloat(d.MinTick, 'f', -1, 64)),
		OrderTypes: optStr(d.OrderTypes), ValidExchanges: optStr(d.ValidExchanges),
		PriceMagnifier: ptr(int32(d.PriceMagnifier)), UnderConId: ptr(int32(d.UnderConID)),
		LongName: optStr(d.LongName), ContractMonth: optStr(d.ContractMonth), Industry: optStr(d.Industry),
		Category: optStr(d.Category), Subcategory: optStr(d.Subcategory), TimeZoneId: optStr(d.TimeZoneID),
		TradingHours: optStr(d.TradingHours), LiquidHours: optStr(d.LiquidHours), EvRule: optStr(d.EVRule),
		UnderSymbol: optStr(d.UnderSymbol), UnderSecType: optStr(d.UnderSecType),
		MarketRuleIds: optStr(d.MarketRuleIDs), RealExpirationDate: optStr(d.RealExpirationDate), StockType: optStr(d.StockType),
		MinSize: optDecimal(d.MinSize), SizeIncrement: optDecimal(d.SizeIncrement), SuggestedSizeIncrement: optDecimal(d.SuggestedSizeIncrement),
		MinAlgoSize: optDecimalSet(d.MinAlgoSize), LastPricePrecision: optDecimalSet(d.LastPricePrecision), LastSizePrecision: optDecimalSet(d.LastSizePrecision),
	}
	bindI32(b, &d.AggGroup, &p.AggGroup)
	if d.EVMultiplier != 0 {
		p.EvMultiplier = ptr(float64(d.EVMultiplier))
	}
	b.tagValues(&d.SecIDList, &p.SecIdList)
	if c.SecType == "FUND" {
		p.FundName, p.FundFamily, p.FundType = optStr(d.FundName), optStr(d.FundFamily), optStr(d.FundType)
		p.FundFrontLoad, p.FundBackLoad, p.FundBackLoadTimeInterval = optStr(d.FundFrontLoad), optStr(d.FundBackLoad), optStr(d.FundBackLoadTimeInterval)
		p.FundManagementFee, p.FundClosed = optStr(d.FundManagementFee), ptr(d.FundClosed)
		p.FundClosedForNewInvestors, p.FundClosedForNewMoney = ptr(d.FundClosedForNewInvestors), ptr(d.FundClosedForNewMoney)
		p.FundNotifyAmount, p.FundMinimumInitialPurchase = optStr(d.FundNotifyAmount), optStr(d.FundMinimumInitialPurchase)
		p.FundMinimumSubsequentPurchase = optStr(d.FundSubsequentMinimumPurchase)
		p.FundBlueSkyStates, p.FundBlueSkyTerritories = optStr(d.FundBlueSkyStates), optStr(d.FundBlueSkyTerritories)
		p.FundDistributionPolicyIndicator = optStr(string(d.FundDistributionPolicyIndicator))
		p.FundAssetType = optStr(string(d.FundAssetType))
	}
	for _, r := range d.IneligibilityReasonList {
		p.IneligibilityReasonList = append(p.IneligibilityReasonList, &protobuf.IneligibilityReason{Id: optStr(r.ID), Description: optStr(r.Description)})
	}
	return protoFrame(ibapi.CONTRACT_DATA, &protobuf.ContractData{ReqId: reqID32(reqID), Contract: contractProto(&c, nil), ContractDetails: p})
}

// pbOpenOrder prints unset values with TWS's placeholders, as the text
// form does and as recorded at 225: prices 0, volatility and reference
// price types 0, "None" for the delta-neutral and adjusted order types.
func (e Encoder) pbOpenOrder(orderID int64, c *ibapi.Contract, o *ibapi.Order, s *ibapi.OrderState) []byte {
	oc := *o
	oc.LmtPrice, oc.AuxPrice = priceOrZero(oc.LmtPrice), priceOrZero(oc.AuxPrice)
	oc.VolatilityType, oc.ReferencePriceType = zeroIfUnset(oc.VolatilityType), zeroIfUnset(oc.ReferencePriceType)
	oc.UsePriceMgmtAlgo = ibapi.UsePriceMmgtAlgo(zeroIfUnset(int64(oc.UsePriceMgmtAlgo)))
	if oc.DeltaNeutralOrderType == "" {
		oc.DeltaNeutralOrderType = "None"
	}
	if oc.AdjustedOrderType == "" {
		oc.AdjustedOrderType = "None"
	}
	op := &protobuf.Order{}
	mapOrder(&binder{}, &oc, op)
	return protoFrame(ibapi.OPEN_ORDER, &protobuf.OpenOrder{
		OrderId: reqID32(orderID), Contract: contractProto(c, o), Order: op, OrderState: orderStateProto(s),
	})
}

func (e Encoder) pbExecDetails(reqID int64, c *ibapi.Contract, x *ibapi.Execution) []byte {
	xp := &protobuf.Execution{
		OrderId: reqID32(x.OrderID), ExecId: optStr(x.ExecID), Time: optStr(x.Time), AcctNumber: optStr(x.AcctNumber),
		Exchange: optStr(x.Exchange), Side: optStr(x.Side), Shares: optDecimal(x.Shares), Price: optFloat(x.Price),
		PermId: ptr(x.PermID), ClientId: reqID32(x.ClientID),
		CumQty: optDecimal(x.CumQty), AvgPrice: optFloat(x.AvgPrice), OrderRef: optStr(x.OrderRef), EvRule: optStr(x.EVRule),
		ModelCode: optStr(x.ModelCode), LastLiquidity: ptr(int32(x.LastLiquidity)), Submitter: optStr(x.Submitter),
		OptExerciseOrLapseType: ptr(int32(x.OptExerciseOrLapseType)),
	}
	// TWS leaves false flags out (recorded at 225).
	if x.Liquidation != 0 {
		xp.IsLiquidation = ptr(true)
	}
	if x.PendingPriceRevision {
		xp.IsPriceRevisionPending = ptr(true)
	}
	if x.EVMultiplier != 0 && x.EVMultiplier != ibapi.UNSET_FLOAT {
		xp.EvMultiplier = ptr(x.EVMultiplier)
	}
	return protoFrame(ibapi.EXECUTION_DATA, &protobuf.ExecutionDetails{ReqId: reqID32(reqID), Contract: contractProto(c, nil), Execution: xp})
}

func (e Encoder) pbCommissionReport(r ibapi.CommissionAndFeesReport) []byte {
	p := &protobuf.CommissionAndFeesReport{
		ExecId: optStr(r.ExecID), CommissionAndFees: optFloat(r.CommissionAndFees), Currency: optStr(r.Currency),
		RealizedPNL: optFloat(r.RealizedPNL), BondYield: optFloat(r.Yield),
	}
	if r.YieldRedemptionDate != 0 {
		p.YieldRedemptionDate = ptr(strconv.FormatInt(r.YieldRedemptionDate, 10))
	}
	return protoFrame(ibapi.COMMISSION_AND_FEES_REPORT, p)
}

func (e Encoder) pbHistoricalData(reqID int64, start, end string, bars []ibapi.Bar) []byte {
	p := &protobuf.HistoricalData{ReqId: reqID32(reqID)}
	for i := range bars {
		b := &bars[i]
		p.HistoricalDataBars = append(p.HistoricalDataBars, &protobuf.HistoricalDataBar{
			Date: optStr(b.Date), Open: ptr(b.Open), High: ptr(b.High), Low: ptr(b.Low), Close: ptr(b.Close),
			Volume: optDecimal(b.Volume), WAP: optDecimal(b.Wap), BarCount: ptr(int32(b.BarCount)),
		})
	}
	out := protoFrame(ibapi.HISTORICAL_DATA, p)
	return append(out, protoFrame(ibapi.HISTORICAL_DATA_END, &protobuf.HistoricalDataEnd{
		ReqId: reqID32(reqID), StartDateStr: optStr(start), EndDateStr: optStr(end),
	})...)
}

// joinAccounts is the managed accounts list as TWS sends it.
func joinAccounts(accounts []string) *string { return optStr(strings.Join(accounts, ",")) }
