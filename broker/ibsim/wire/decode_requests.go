package wire

import (
	"fmt"

	"github.com/scmhub/ibapi"
)

// Error describes the malformed message and the field that broke it.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("wire: decode %s (msg %d): field %s: %v", msgName(e.MsgID), e.MsgID, e.Field, e.Err)
}

// Unwrap returns the cause (a parse error or the truncation error).
func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeRequest decodes one client payload (a frame without its length
// prefix) exactly as the client encodes it at version v: the message id
// (text up to 200; from 201 four binary bytes, followed by a protobuf body
// for the requests the client sends as protobuf), then the per-message
// VERSION field where clients still send one, then each field from the
// version that introduced it. Messages the paper broker
// does not serve decode to Unsupported. A truncated or unparsable message
// returns a *DecodeError; no input makes it panic. Fields beyond those the
// version defines are ignored, as TWS ignores them.
func DecodeRequest(v Version, payload []byte) (Request, error) {
	if ibapi.Version(v) >= ibapi.MIN_SERVER_VER_PROTOBUF {
		return decodeBinary(ibapi.Version(v), payload)
	}
	r := &fieldReader{msgID: -1, buf: payload}
	id := r.int("msgId")
	if r.err != nil {
		return nil, r.err
	}
	r.msgID = id
	req := decodeBody(int(v), id, r)
	if r.err != nil {
		return nil, r.err
	}
	return req, nil
}

// decodeBody dispatches on the message id; r carries any error.
func decodeBody(v ibapi.Version, id int64, r *fieldReader) Request {
	switch id {
	case ibapi.START_API:
		r.skip("version")
		req := StartAPI{ClientID: r.int("clientId")}
		// rust-ibapi omits the field (captured at v173); TWS accepts that.
		if v >= ibapi.MIN_SERVER_VER_OPTIONAL_CAPABILITIES && r.remaining() > 0 {
			req.OptionalCapabilities = r.str("optionalCapabilities")
		}
		return req
	case ibapi.REQ_IDS:
		r.skip("version")
		return ReqIDs{NumIDs: r.int("numIds")}
	case ibapi.REQ_CURRENT_TIME:
		r.skip("version")
		return ReqCurrentTime{}
	case ibapi.REQ_CURRENT_TIME_IN_MILLIS:
		return ReqCurrentTimeInMillis{}
	case ibapi.REQ_MANAGED_ACCTS:
		r.skip("version")
		return ReqManagedAccts{}
	case ibapi.REQ_CONTRACT_DATA:
		return decodeReqContractDetails(v, r)
	case ibapi.PLACE_ORDER:
		return decodePlaceOrder(v, r)
	case ibapi.CANCEL_ORDER:
		return decodeCancelOrder(v, r)
	case ibapi.REQ_GLOBAL_CANCEL:
		if v < ibapi.MIN_SERVER_VER_CME_TAGGING_FIELDS {
			r.skip("version")
		} else {
			r.skip("extOperator")
			r.intMax("manualOrderIndicator")
		}
		return ReqGlobalCancel{}
	case ibapi.REQ_OPEN_ORDERS:
		r.skip("version")
		return ReqOpenOrders{}
	case ibapi.REQ_ALL_OPEN_ORDERS:
		r.skip("version")
		return ReqAllOpenOrders{}
	case ibapi.REQ_AUTO_OPEN_ORDERS:
		r.skip("version")
		return ReqAutoOpenOrders{AutoBind: r.bool("autoBind")}
	case ibapi.REQ_COMPLETED_ORDERS:
		return ReqCompletedOrders{APIOnly: r.bool("apiOnly")}
	case ibapi.REQ_EXECUTIONS:
		return decodeReqExecutions(v, r)
	case ibapi.REQ_POSITIONS:
		r.skip("version")
		return ReqPositions{}
	case ibapi.CANCEL_POSITIONS:
		r.skip("version")
		return CancelPositions{}
	case ibapi.REQ_ACCOUNT_SUMMARY:
		r.skip("version")
		return ReqAccountSummary{ReqID: r.int("reqId"), Group: r.str("groupName"), Tags: r.str("tags")}
	case ibapi.CANCEL_ACCOUNT_SUMMARY:
		r.skip("version")
		return CancelAccountSummary{ReqID: r.int("reqId")}
	case ibapi.REQ_ACCT_DATA:
		r.skip("version")
		return ReqAccountUpdates{Subscribe: r.bool("subscribe"), Account: r.str("acctCode")}
	case ibapi.REQ_HISTORICAL_DATA:
		return decodeReqHistoricalData(v, r)
	case ibapi.CANCEL_HISTORICAL_DATA:
		r.skip("version")
		return CancelHistoricalData{ReqID: r.int("reqId")}
	case ibapi.REQ_MARKET_DATA_TYPE:
		r.skip("version")
		return ReqMarketDataType{MarketDataType: r.int("marketDataType")}
	}
	return Unsupported{MsgID: id, ReqID: unsupportedReqID(v, id, r)}
}

func decodeReqContractDetails(v ibapi.Version, r *fieldReader) Request {
	r.skip("version")
	req := ReqContractDetails{ReqID: -1, Contract: *ibapi.NewContract()}
	if v >= ibapi.MIN_SERVER_VER_CONTRACT_DATA_CHAIN {
		req.ReqID = r.int("reqId")
	}
	c := &req.Contract
	readContract(r, c)
	c.IncludeExpired = r.bool("includeExpired")
	c.SecIDType = r.str("secIdType")
	c.SecID = r.str("secId")
	if v >= ibapi.MIN_SERVER_VER_BOND_ISSUERID {
		c.IssuerID = r.str("issuerId")
	}
	return req
}

func decodeCancelOrder(v ibapi.Version, r *fieldReader) Request {
	if v < ibapi.MIN_SERVER_VER_CME_TAGGING_FIELDS {
		r.skip("version")
	}
	req := CancelOrder{OrderID: r.int("orderId")}
	if v >= ibapi.MIN_SERVER_VER_MANUAL_ORDER_TIME {
		req.ManualOrderCancelTime = r.str("manualOrderCancelTime")
	}
	if v >= ibapi.MIN_SERVER_VER_RFQ_FIELDS && v < ibapi.MIN_SERVER_VER_UNDO_RFQ_FIELDS {
		r.skip("customerAccount")
		r.skip("professionalCustomer")
		r.intMax("rfqField")
	}
	if v >= ibapi.MIN_SERVER_VER_CME_TAGGING_FIELDS {
		r.skip("extOperator")
		r.intMax("manualOrderIndicator")
	}
	return req
}

func decodeReqExecutions(v ibapi.Version, r *fieldReader) Request {
	r.skip("version")
	req := ReqExecutions{ReqID: -1, Filter: *ibapi.NewExecutionFilter()}
	if v >= ibapi.MIN_SERVER_VER_EXECUTION_DATA_CHAIN {
		req.ReqID = r.int("reqId")
	}
	f := &req.Filter
	f.ClientID = r.int("clientId")
	f.AcctCode = r.str("acctCode")
	f.Time = r.str("time")
	f.Symbol = r.str("symbol")
	f.SecType = r.str("secType")
	f.Exchange = r.str("exchange")
	f.Side = r.str("side")
	if v >= ibapi.MIN_SERVER_VER_PARAMETRIZED_DAYS_OF_EXECUTIONS {
		f.LastNDays = r.intMax("lastNDays")
		n := r.count("specificDatesCount", 1)
		for i := 0; i < n; i++ {
			f.SpecificDates = append(f.SpecificDates, r.int("specificDate"))
		}
	}
	return req
}

func decodeReqHistoricalData(v ibapi.Version, r *fieldReader) Request {
	if v != ibapi.MIN_SERVER_VER_SYNT_REALTIME_BARS {
		return decodeHistoricalBody(v, r, v < ibapi.MIN_SERVER_VER_SYNT_REALTIME_BARS)
	}
	// At exactly 124 the official clients stop sending VERSION (Java and
	// Python test "< 124") while scmhub/ibapi still sends it ("<= 124").
	// Take the layout that consumes the message exactly.
	saved := *r
	req := decodeHistoricalBody(v, r, false)
	if r.err == nil && r.remaining() == 0 {
		return req
	}
	*r = saved
	return decodeHistoricalBody(v, r, true)
}

func decodeHistoricalBody(v ibapi.Version, r *fieldReader, withVersion bool) Request {
	if withVersion {
		r.skip("version")
	}
	req := ReqHistoricalData{ReqID: r.int("reqId"), Contract: *ibapi.NewContract()}
	c := &req.Contract
	readContract(r, c)
	c.IncludeExpired = r.bool("includeExpired")
	req.EndDateTime = r.str("endDateTime")
	req.BarSize = r.str("barSizeSetting")
	req.Duration = r.str("durationStr")
	req.UseRTH = r.bool("useRTH")
	req.WhatToShow = r.str("whatToShow")
	req.FormatDate = r.int("formatDate")
	if c.SecType == "BAG" {
		n := r.count("comboLegsCount", 4)
		for i := 0; i < n; i++ {
			c.ComboLegs = append(c.ComboLegs, ibapi.ComboLeg{
				ConID:    r.int("comboLeg.conId"),
				Ratio:    r.int("comboLeg.ratio"),
				Action:   r.str("comboLeg.action"),
				Exchange: r.str("comboLeg.exchange"),
			})
		}
	}
	if v >= ibapi.MIN_SERVER_VER_SYNT_REALTIME_BARS {
		req.KeepUpToDate = r.bool("keepUpToDate")
	}
	r.skip("chartOptions") // every version in range is >= MIN_SERVER_VER_LINKING
	return req
}

// reqIDAfterVersion lists the requests whose request id follows a VERSION
// field; reqIDFirst those whose id is the first field.
var (
	reqIDAfterVersion = map[int64]bool{
		ibapi.REQ_MKT_DATA: true, ibapi.CANCEL_MKT_DATA: true, ibapi.REQ_MKT_DEPTH: true, ibapi.CANCEL_MKT_DEPTH: true,
		ibapi.EXERCISE_OPTIONS: true, ibapi.CANCEL_SCANNER_SUBSCRIPTION: true,
		ibapi.REQ_REAL_TIME_BARS: true, ibapi.CANCEL_REAL_TIME_BARS: true,
		ibapi.REQ_FUNDAMENTAL_DATA: true, ibapi.CANCEL_FUNDAMENTAL_DATA: true,
		ibapi.REQ_CALC_IMPLIED_VOLAT: true, ibapi.CANCEL_CALC_IMPLIED_VOLAT: true,
		ibapi.REQ_CALC_OPTION_PRICE: true, ibapi.CANCEL_CALC_OPTION_PRICE: true,
		ibapi.REQ_POSITIONS_MULTI: true, ibapi.CANCEL_POSITIONS_MULTI: true,
		ibapi.REQ_ACCOUNT_UPDATES_MULTI: true, ibapi.CANCEL_ACCOUNT_UPDATES_MULTI: true,
		ibapi.QUERY_DISPLAY_GROUPS: true, ibapi.SUBSCRIBE_TO_GROUP_EVENTS: true,
		ibapi.UPDATE_DISPLAY_GROUP: true, ibapi.UNSUBSCRIBE_FROM_GROUP_EVENTS: true,
	}
	reqIDFirst = map[int64]bool{
		ibapi.REQ_SMART_COMPONENTS: true, ibapi.REQ_TICK_BY_TICK_DATA: true, ibapi.CANCEL_TICK_BY_TICK_DATA: true,
		ibapi.REQ_PNL: true, ibapi.CANCEL_PNL: true, ibapi.REQ_PNL_SINGLE: true, ibapi.CANCEL_PNL_SINGLE: true,
		ibapi.REQ_HEAD_TIMESTAMP: true, ibapi.CANCEL_HEAD_TIMESTAMP: true,
		ibapi.REQ_HISTOGRAM_DATA: true, ibapi.CANCEL_HISTOGRAM_DATA: true, ibapi.REQ_HISTORICAL_TICKS: true,
		ibapi.REQ_NEWS_ARTICLE: true, ibapi.REQ_HISTORICAL_NEWS: true,
		ibapi.REQ_SEC_DEF_OPT_PARAMS: true, ibapi.REQ_SOFT_DOLLAR_TIERS: true, ibapi.REQ_MATCHING_SYMBOLS: true,
		ibapi.REQ_WSH_META_DATA: true, ibapi.CANCEL_WSH_META_DATA: true,
		ibapi.REQ_WSH_EVENT_DATA: true, ibapi.CANCEL_WSH_EVENT_DATA: true,
		ibapi.REQ_USER_INFO: true, ibapi.CANCEL_CONTRACT_DATA: true, ibapi.CANCEL_HISTORICAL_TICKS: true,
	}
)

// unsupportedReqID finds the request id of a message the broker does not
// serve, so the server can address its error to it; -1 when the message
// has none or it cannot be read (the answer is then a general error).
func unsupportedReqID(v ibapi.Version, id int64, r *fieldReader) int64 {
	probe := &fieldReader{msgID: id, buf: r.buf}
	switch {
	case reqIDAfterVersion[id]:
		probe.skip("version")
	case id == ibapi.REQ_SCANNER_SUBSCRIPTION:
		if v < ibapi.MIN_SERVER_VER_SCANNER_GENERIC_OPTS {
			probe.skip("version")
		}
	case reqIDFirst[id]:
	default:
		return -1
	}
	reqID := probe.int("reqId")
	if probe.err != nil {
		return -1
	}
	return reqID
}

// readContract reads the contract fields that placeOrder,
// reqContractDetails and reqHistoricalData all begin with, in the order the
// clients send them. Every version in range is >= MIN_SERVER_VER_PRIMARYEXCH
// and >= MIN_SERVER_VER_TRADING_CLASS, so primary exchange and trading class
// are always there.
func readContract(r *fieldReader, c *ibapi.Contract) {
	c.ConID = r.int("conId")
	c.Symbol = r.str("symbol")
	c.SecType = r.str("secType")
	c.LastTradeDateOrContractMonth = r.str("lastTradeDateOrContractMonth")
	c.Strike = r.floatMax("strike")
	c.Right = r.str("right")
	c.Multiplier = r.str("multiplier")
	c.Exchange = r.str("exchange")
	c.PrimaryExchange = r.str("primaryExchange")
	c.Currency = r.str("currency")
	c.LocalSymbol = r.str("localSymbol")
	c.TradingClass = r.str("tradingClass")
}
