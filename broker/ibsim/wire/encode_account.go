package wire

import (
	"strings"
	"time"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
)

// The per-message VERSION values TWS still sends in these messages.
const (
	versionOne             = 1
	versionAcctValue       = 2
	versionPortfolioValue  = 8
	versionPosition        = 3
	versionErrorMsg        = 2
	versionOrderStatus     = 6  // before MIN_SERVER_VER_MARKET_CAP_PRICE
	versionOpenOrder       = 34 // before MIN_SERVER_VER_ORDER_CONTAINER
	versionExecutionData   = 10 // before MIN_SERVER_VER_LAST_LIQUIDITY
	versionContractData    = 8  // before MIN_SERVER_VER_SIZE_RULES
	versionHistoricalData  = 3  // before MIN_SERVER_VER_SYNT_REALTIME_BARS
	versionCommissionRepor = 1
)

func (e Encoder) v() ibapi.Version { return ibapi.Version(e.V) }

// simple encodes a message of the id, its VERSION 1 field and int fields.
func (e Encoder) simple(id int64, ints ...int64) []byte {
	w := newWriter(e.v(), id, 8+8*len(ints))
	w.int(versionOne)
	for _, i := range ints {
		w.int(i)
	}
	return w.frame()
}

// ManagedAccounts lists the accounts the session may trade, sent right
// after the handshake (the client joins them with commas).
func (e Encoder) ManagedAccounts(accounts []string) []byte {
	if e.pb(ibapi.MANAGED_ACCTS) {
		return protoFrame(ibapi.MANAGED_ACCTS, &protobuf.ManagedAccounts{AccountsList: joinAccounts(accounts)})
	}
	w := newWriter(e.v(), ibapi.MANAGED_ACCTS, 32)
	w.int(versionOne)
	w.str(strings.Join(accounts, ","))
	return w.frame()
}

// NextValidID tells the client the next order id it may use; TWS sends it
// after startApi and in answer to reqIds.
func (e Encoder) NextValidID(id int64) []byte {
	if e.pb(ibapi.NEXT_VALID_ID) {
		return protoFrame(ibapi.NEXT_VALID_ID, &protobuf.NextValidId{OrderId: reqID32(id)})
	}
	return e.simple(ibapi.NEXT_VALID_ID, id)
}

// Error reports an error or notice (reqID -1 for general ones). From
// MIN_SERVER_VER_ADVANCED_ORDER_REJECT it carries advancedRejectJSON, and
// from MIN_SERVER_VER_ERROR_TIME it drops its VERSION field and adds the
// time in epoch milliseconds.
func (e Encoder) Error(reqID, code int64, msg, advancedRejectJSON string, at time.Time) []byte {
	if e.pb(ibapi.ERR_MSG) {
		return e.pbError(reqID, code, msg, advancedRejectJSON, at)
	}
	v := e.v()
	w := newWriter(v, ibapi.ERR_MSG, 32+len(msg)+len(advancedRejectJSON))
	if v < ibapi.MIN_SERVER_VER_ERROR_TIME {
		w.int(versionErrorMsg)
	}
	w.int(reqID)
	w.int(code)
	w.str(msg)
	if v >= ibapi.MIN_SERVER_VER_ADVANCED_ORDER_REJECT {
		w.str(advancedRejectJSON)
	}
	if v >= ibapi.MIN_SERVER_VER_ERROR_TIME {
		w.int(at.UnixMilli())
	}
	return w.frame()
}

// CurrentTime answers reqCurrentTime with t in epoch seconds.
func (e Encoder) CurrentTime(t time.Time) []byte {
	if e.pb(ibapi.CURRENT_TIME) {
		return protoFrame(ibapi.CURRENT_TIME, &protobuf.CurrentTime{CurrentTime: ptr(t.Unix())})
	}
	return e.simple(ibapi.CURRENT_TIME, t.Unix())
}

// CurrentTimeInMillis answers reqCurrentTimeInMillis (a request clients
// only send from MIN_SERVER_VER_CURRENT_TIME_IN_MILLIS) with t in epoch
// milliseconds; the message has no VERSION field.
func (e Encoder) CurrentTimeInMillis(t time.Time) []byte {
	if e.pb(ibapi.CURRENT_TIME_IN_MILLIS) {
		return protoFrame(ibapi.CURRENT_TIME_IN_MILLIS, &protobuf.CurrentTimeInMillis{CurrentTimeInMillis: ptr(t.UnixMilli())})
	}
	w := newWriter(e.v(), ibapi.CURRENT_TIME_IN_MILLIS, 16)
	w.int(t.UnixMilli())
	return w.frame()
}

// MarketDataType tells the client which market data type (1 live, 2
// frozen, 3 delayed, 4 delayed frozen) request reqID now receives.
func (e Encoder) MarketDataType(reqID, marketDataType int64) []byte {
	if e.pb(ibapi.MARKET_DATA_TYPE) {
		return protoFrame(ibapi.MARKET_DATA_TYPE, &protobuf.MarketDataType{ReqId: reqID32(reqID), MarketDataType: ptr(int32(marketDataType))})
	}
	return e.simple(ibapi.MARKET_DATA_TYPE, reqID, marketDataType)
}

// AccountSummary is one tag of a reqAccountSummary answer.
func (e Encoder) AccountSummary(reqID int64, account, tag, value, currency string) []byte {
	if e.pb(ibapi.ACCOUNT_SUMMARY) {
		return protoFrame(ibapi.ACCOUNT_SUMMARY, &protobuf.AccountSummary{ReqId: reqID32(reqID), Account: optStr(account), Tag: optStr(tag), Value: optStr(value), Currency: optStr(currency)})
	}
	w := newWriter(e.v(), ibapi.ACCOUNT_SUMMARY, 16+len(account)+len(tag)+len(value)+len(currency))
	w.int(versionOne)
	w.int(reqID)
	w.str(account)
	w.str(tag)
	w.str(value)
	w.str(currency)
	return w.frame()
}

// AccountSummaryEnd ends the first full answer to reqAccountSummary.
func (e Encoder) AccountSummaryEnd(reqID int64) []byte {
	if e.pb(ibapi.ACCOUNT_SUMMARY_END) {
		return protoFrame(ibapi.ACCOUNT_SUMMARY_END, &protobuf.AccountSummaryEnd{ReqId: reqID32(reqID)})
	}
	return e.simple(ibapi.ACCOUNT_SUMMARY_END, reqID)
}

// UpdateAccountValue is one key of a reqAccountUpdates subscription.
func (e Encoder) UpdateAccountValue(key, value, currency, account string) []byte {
	if e.pb(ibapi.ACCT_VALUE) {
		return protoFrame(ibapi.ACCT_VALUE, &protobuf.AccountValue{Key: optStr(key), Value: optStr(value), Currency: optStr(currency), AccountName: optStr(account)})
	}
	w := newWriter(e.v(), ibapi.ACCT_VALUE, 16+len(key)+len(value)+len(currency)+len(account))
	w.int(versionAcctValue)
	w.str(key)
	w.str(value)
	w.str(currency)
	w.str(account)
	return w.frame()
}

// UpdatePortfolio is one position of a reqAccountUpdates subscription.
// The contract carries no exchange here, only the primary exchange.
func (e Encoder) UpdatePortfolio(c *ibapi.Contract, pos ibapi.Decimal, marketPrice, marketValue, avgCost,
	unrealizedPNL, realizedPNL float64, account string) []byte {
	if e.pb(ibapi.PORTFOLIO_VALUE) {
		return e.pbPortfolio(c, pos, marketPrice, marketValue, avgCost, unrealizedPNL, realizedPNL, account)
	}
	w := newWriter(e.v(), ibapi.PORTFOLIO_VALUE, 160)
	w.int(versionPortfolioValue)
	w.int(c.ConID)
	w.str(c.Symbol)
	w.str(c.SecType)
	w.str(c.LastTradeDateOrContractMonth)
	w.num(strikeOrZero(c.Strike)) // "0" here, unlike position's "0.0" (captures)
	w.str(c.Right)
	w.str(c.Multiplier)
	w.str(c.PrimaryExchange)
	w.str(c.Currency)
	w.str(c.LocalSymbol)
	w.str(c.TradingClass)
	w.decimal(pos)
	w.float(marketPrice)
	w.float(marketValue)
	w.float(avgCost)
	w.float(unrealizedPNL)
	w.float(realizedPNL)
	w.str(account)
	return w.frame()
}

// UpdateAccountTime stamps a reqAccountUpdates batch; TWS sends the
// account's local time as "HH:MM".
func (e Encoder) UpdateAccountTime(t time.Time) []byte {
	if e.pb(ibapi.ACCT_UPDATE_TIME) {
		return protoFrame(ibapi.ACCT_UPDATE_TIME, &protobuf.AccountUpdateTime{TimeStamp: ptr(t.Format("15:04"))})
	}
	w := newWriter(e.v(), ibapi.ACCT_UPDATE_TIME, 16)
	w.int(versionOne)
	w.str(t.Format("15:04"))
	return w.frame()
}

// AccountDownloadEnd ends the first full batch of reqAccountUpdates.
func (e Encoder) AccountDownloadEnd(account string) []byte {
	if e.pb(ibapi.ACCT_DOWNLOAD_END) {
		return protoFrame(ibapi.ACCT_DOWNLOAD_END, &protobuf.AccountDataEnd{AccountName: optStr(account)})
	}
	w := newWriter(e.v(), ibapi.ACCT_DOWNLOAD_END, 16+len(account))
	w.int(versionOne)
	w.str(account)
	return w.frame()
}

// Position is one position of a reqPositions answer.
func (e Encoder) Position(account string, c *ibapi.Contract, pos ibapi.Decimal, avgCost float64) []byte {
	if e.pb(ibapi.POSITION_DATA) {
		return protoFrame(ibapi.POSITION_DATA, &protobuf.Position{Account: optStr(account), Contract: contractProto(c, nil), Position: optDecimal(pos), AvgCost: optFloat(avgCost)})
	}
	w := newWriter(e.v(), ibapi.POSITION_DATA, 128)
	w.int(versionPosition)
	w.str(account)
	w.contract(c)
	w.decimal(pos)
	w.float(avgCost)
	return w.frame()
}

// PositionEnd ends a reqPositions answer.
func (e Encoder) PositionEnd() []byte {
	if e.pb(ibapi.POSITION_END) {
		return protoFrame(ibapi.POSITION_END, &protobuf.PositionEnd{})
	}
	return e.simple(ibapi.POSITION_END)
}

// contract writes the contract fields position and execDetails share
// (no primary exchange), in TWS's order.
func (w *fieldWriter) contract(c *ibapi.Contract) {
	w.int(c.ConID)
	w.str(c.Symbol)
	w.str(c.SecType)
	w.str(c.LastTradeDateOrContractMonth)
	w.float(strikeOrZero(c.Strike))
	w.str(c.Right)
	w.str(c.Multiplier)
	w.str(c.Exchange)
	w.str(c.Currency)
	w.str(c.LocalSymbol)
	w.str(c.TradingClass)
}

// strikeOrZero maps an unset strike to the 0 TWS prints for contracts
// without one.
func strikeOrZero(s float64) float64 {
	if s == ibapi.UNSET_FLOAT {
		return 0
	}
	return s
}
