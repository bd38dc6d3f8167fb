package wire

import "strconv"

// Request names, for logs and for the errors the server returns.
func (StartAPI) requestName() string               { return "startApi" }
func (ReqIDs) requestName() string                 { return "reqIds" }
func (ReqCurrentTime) requestName() string         { return "reqCurrentTime" }
func (ReqCurrentTimeInMillis) requestName() string { return "reqCurrentTimeInMillis" }
func (ReqManagedAccts) requestName() string        { return "reqManagedAccts" }
func (ReqContractDetails) requestName() string     { return "reqContractDetails" }
func (PlaceOrder) requestName() string             { return "placeOrder" }
func (CancelOrder) requestName() string            { return "cancelOrder" }
func (ReqGlobalCancel) requestName() string        { return "reqGlobalCancel" }
func (ReqOpenOrders) requestName() string          { return "reqOpenOrders" }
func (ReqAllOpenOrders) requestName() string       { return "reqAllOpenOrders" }
func (ReqAutoOpenOrders) requestName() string      { return "reqAutoOpenOrders" }
func (ReqCompletedOrders) requestName() string     { return "reqCompletedOrders" }
func (ReqExecutions) requestName() string          { return "reqExecutions" }
func (ReqPositions) requestName() string           { return "reqPositions" }
func (CancelPositions) requestName() string        { return "cancelPositions" }
func (ReqAccountSummary) requestName() string      { return "reqAccountSummary" }
func (CancelAccountSummary) requestName() string   { return "cancelAccountSummary" }
func (ReqAccountUpdates) requestName() string      { return "reqAccountUpdates" }
func (ReqHistoricalData) requestName() string      { return "reqHistoricalData" }
func (CancelHistoricalData) requestName() string   { return "cancelHistoricalData" }
func (ReqMarketDataType) requestName() string      { return "reqMarketDataType" }
func (u Unsupported) requestName() string          { return msgName(u.MsgID) }

// RequestName is the client API's name for a decoded request
// ("placeOrder", "reqExecutions"; "msg 52" style for unknown ids).
func RequestName(r Request) string { return r.requestName() }

// outNames are the client message ids by their EClient method names.
var outNames = map[int64]string{
	1: "reqMktData", 2: "cancelMktData", 3: "placeOrder", 4: "cancelOrder", 5: "reqOpenOrders",
	6: "reqAccountUpdates", 7: "reqExecutions", 8: "reqIds", 9: "reqContractDetails", 10: "reqMktDepth",
	11: "cancelMktDepth", 12: "reqNewsBulletins", 13: "cancelNewsBulletins", 14: "setServerLogLevel",
	15: "reqAutoOpenOrders", 16: "reqAllOpenOrders", 17: "reqManagedAccts", 18: "requestFA", 19: "replaceFA",
	20: "reqHistoricalData", 21: "exerciseOptions", 22: "reqScannerSubscription", 23: "cancelScannerSubscription",
	24: "reqScannerParameters", 25: "cancelHistoricalData", 49: "reqCurrentTime", 50: "reqRealTimeBars",
	51: "cancelRealTimeBars", 52: "reqFundamentalData", 53: "cancelFundamentalData", 54: "calculateImpliedVolatility",
	55: "calculateOptionPrice", 56: "cancelCalculateImpliedVolatility", 57: "cancelCalculateOptionPrice",
	58: "reqGlobalCancel", 59: "reqMarketDataType", 61: "reqPositions", 62: "reqAccountSummary",
	63: "cancelAccountSummary", 64: "cancelPositions", 65: "verifyRequest", 66: "verifyMessage",
	67: "queryDisplayGroups", 68: "subscribeToGroupEvents", 69: "updateDisplayGroup", 70: "unsubscribeFromGroupEvents",
	71: "startApi", 72: "verifyAndAuthRequest", 73: "verifyAndAuthMessage", 74: "reqPositionsMulti",
	75: "cancelPositionsMulti", 76: "reqAccountUpdatesMulti", 77: "cancelAccountUpdatesMulti",
	78: "reqSecDefOptParams", 79: "reqSoftDollarTiers", 80: "reqFamilyCodes", 81: "reqMatchingSymbols",
	82: "reqMktDepthExchanges", 83: "reqSmartComponents", 84: "reqNewsArticle", 85: "reqNewsProviders",
	86: "reqHistoricalNews", 87: "reqHeadTimeStamp", 88: "reqHistogramData", 89: "cancelHistogramData",
	90: "cancelHeadTimeStamp", 91: "reqMarketRule", 92: "reqPnL", 93: "cancelPnL", 94: "reqPnLSingle",
	95: "cancelPnLSingle", 96: "reqHistoricalTicks", 97: "reqTickByTickData", 98: "cancelTickByTickData",
	99: "reqCompletedOrders", 100: "reqWshMetaData", 101: "cancelWshMetaData", 102: "reqWshEventData",
	103: "cancelWshEventData", 104: "reqUserInfo", 105: "reqCurrentTimeInMillis", 106: "cancelContractData",
	107: "cancelHistoricalTicks", 108: "reqConfig", 109: "updateConfig",
}

func msgName(id int64) string {
	if n, ok := outNames[id]; ok {
		return n
	}
	return "msg " + strconv.FormatInt(id, 10)
}
