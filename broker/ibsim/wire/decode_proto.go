package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// decodeBinary decodes a payload of version MIN_SERVER_VER_PROTOBUF or
// later: a 4-byte big-endian message id, then a protobuf body when the id
// is above ibapi.PROTOBUF_MSG_ID (the classic id plus 200), else the
// classic text fields. The envelope, not the version, says which: clients
// switch each request to protobuf at its own threshold (ibapi's
// PROTOBUF_MSG_IDS), and accepting either form at any version costs nothing.
func decodeBinary(v ibapi.Version, payload []byte) (Request, error) {
	if len(payload) < 4 {
		return nil, &DecodeError{MsgID: -1, Field: "msgId", Err: errMissing}
	}
	id := int64(binary.BigEndian.Uint32(payload))
	body := payload[4:]
	if id <= ibapi.PROTOBUF_MSG_ID {
		r := &fieldReader{msgID: id, buf: body}
		req := decodeBody(v, id, r)
		if r.err != nil {
			return nil, r.err
		}
		return req, nil
	}
	id -= ibapi.PROTOBUF_MSG_ID
	req, field, err := decodeProtoBody(id, body)
	if err != nil {
		return nil, &DecodeError{MsgID: id, Field: field, Err: err}
	}
	return req, nil
}

// unmarshal reads body into m; the field name of a failure is "protobuf".
func unmarshal(body []byte, m proto.Message) (string, error) {
	if err := proto.Unmarshal(body, m); err != nil {
		return "protobuf", fmt.Errorf("wire: malformed protobuf: %w", err)
	}
	return "", nil
}

// decodeProtoBody maps one protobuf request to its Request. On failure it
// returns the field that broke.
func decodeProtoBody(id int64, body []byte) (Request, string, error) {
	switch id {
	case ibapi.START_API:
		var m protobuf.StartApiRequest
		f, err := unmarshal(body, &m)
		return StartAPI{ClientID: int64(m.GetClientId()), OptionalCapabilities: m.GetOptionalCapabilities()}, f, err
	case ibapi.REQ_IDS:
		var m protobuf.IdsRequest
		f, err := unmarshal(body, &m)
		return ReqIDs{NumIDs: int64(m.GetNumIds())}, f, err
	case ibapi.REQ_CURRENT_TIME:
		f, err := unmarshal(body, &protobuf.CurrentTimeRequest{})
		return ReqCurrentTime{}, f, err
	case ibapi.REQ_CURRENT_TIME_IN_MILLIS:
		f, err := unmarshal(body, &protobuf.CurrentTimeInMillisRequest{})
		return ReqCurrentTimeInMillis{}, f, err
	case ibapi.REQ_MANAGED_ACCTS:
		f, err := unmarshal(body, &protobuf.ManagedAccountsRequest{})
		return ReqManagedAccts{}, f, err
	case ibapi.REQ_CONTRACT_DATA:
		var m protobuf.ContractDataRequest
		if f, err := unmarshal(body, &m); err != nil {
			return nil, f, err
		}
		req := ReqContractDetails{ReqID: reqIDOf(m.ReqId), Contract: *ibapi.NewContract()}
		b := &binder{dec: true}
		mapContract(b, &req.Contract, nil, orEmpty(m.Contract))
		return req, b.field, b.err
	case ibapi.PLACE_ORDER:
		return decodePlaceOrderProto(body)
	case ibapi.CANCEL_ORDER:
		var m protobuf.CancelOrderRequest
		f, err := unmarshal(body, &m)
		return CancelOrder{OrderID: int64(m.GetOrderId()), ManualOrderCancelTime: m.GetOrderCancel().GetManualOrderCancelTime()}, f, err
	case ibapi.REQ_GLOBAL_CANCEL:
		f, err := unmarshal(body, &protobuf.GlobalCancelRequest{})
		return ReqGlobalCancel{}, f, err
	case ibapi.REQ_OPEN_ORDERS:
		f, err := unmarshal(body, &protobuf.OpenOrdersRequest{})
		return ReqOpenOrders{}, f, err
	case ibapi.REQ_ALL_OPEN_ORDERS:
		f, err := unmarshal(body, &protobuf.AllOpenOrdersRequest{})
		return ReqAllOpenOrders{}, f, err
	case ibapi.REQ_AUTO_OPEN_ORDERS:
		var m protobuf.AutoOpenOrdersRequest
		f, err := unmarshal(body, &m)
		return ReqAutoOpenOrders{AutoBind: m.GetAutoBind()}, f, err
	case ibapi.REQ_COMPLETED_ORDERS:
		var m protobuf.CompletedOrdersRequest
		f, err := unmarshal(body, &m)
		return ReqCompletedOrders{APIOnly: m.GetApiOnly()}, f, err
	case ibapi.REQ_EXECUTIONS:
		return decodeReqExecutionsProto(body)
	case ibapi.REQ_POSITIONS:
		f, err := unmarshal(body, &protobuf.PositionsRequest{})
		return ReqPositions{}, f, err
	case ibapi.CANCEL_POSITIONS:
		f, err := unmarshal(body, &protobuf.CancelPositions{})
		return CancelPositions{}, f, err
	case ibapi.REQ_ACCOUNT_SUMMARY:
		var m protobuf.AccountSummaryRequest
		f, err := unmarshal(body, &m)
		return ReqAccountSummary{ReqID: reqIDOf(m.ReqId), Group: m.GetGroup(), Tags: m.GetTags()}, f, err
	case ibapi.CANCEL_ACCOUNT_SUMMARY:
		var m protobuf.CancelAccountSummary
		f, err := unmarshal(body, &m)
		return CancelAccountSummary{ReqID: reqIDOf(m.ReqId)}, f, err
	case ibapi.REQ_ACCT_DATA:
		var m protobuf.AccountDataRequest
		f, err := unmarshal(body, &m)
		return ReqAccountUpdates{Subscribe: m.GetSubscribe(), Account: m.GetAcctCode()}, f, err
	case ibapi.REQ_HISTORICAL_DATA:
		return decodeReqHistoricalDataProto(body)
	case ibapi.CANCEL_HISTORICAL_DATA:
		var m protobuf.CancelHistoricalData
		f, err := unmarshal(body, &m)
		return CancelHistoricalData{ReqID: reqIDOf(m.ReqId)}, f, err
	case ibapi.REQ_MARKET_DATA_TYPE:
		var m protobuf.MarketDataTypeRequest
		f, err := unmarshal(body, &m)
		return ReqMarketDataType{MarketDataType: int64(m.GetMarketDataType())}, f, err
	}
	return unsupportedProto(id, body)
}

// reqIDOf maps an absent request id to -1, the id of no request.
func reqIDOf(p *int32) int64 {
	if p == nil {
		return -1
	}
	return int64(*p)
}

func orEmpty(c *protobuf.Contract) *protobuf.Contract {
	if c == nil {
		return &protobuf.Contract{}
	}
	return c
}

func decodePlaceOrderProto(body []byte) (Request, string, error) {
	var m protobuf.PlaceOrderRequest
	if f, err := unmarshal(body, &m); err != nil {
		return nil, f, err
	}
	req := PlaceOrder{OrderID: int64(m.GetOrderId()), Contract: *ibapi.NewContract(), Order: *ibapi.NewOrder()}
	b := &binder{dec: true}
	op := m.Order
	if op == nil {
		op = &protobuf.Order{}
	}
	mapOrder(b, &req.Order, op)
	mapContract(b, &req.Contract, &req.Order, orEmpty(m.Contract))
	req.Order.OrderID = req.OrderID
	if a := m.AttachedOrders; a != nil {
		bindI32(b, &req.Order.SLOrderID, &a.SlOrderId)
		b.str(&req.Order.SLOrderType, &a.SlOrderType)
		bindI32(b, &req.Order.PTOrderID, &a.PtOrderId)
		b.str(&req.Order.PTOrderType, &a.PtOrderType)
	}
	return req, b.field, b.err
}

func decodeReqExecutionsProto(body []byte) (Request, string, error) {
	var m protobuf.ExecutionRequest
	if f, err := unmarshal(body, &m); err != nil {
		return nil, f, err
	}
	req := ReqExecutions{ReqID: reqIDOf(m.ReqId), Filter: *ibapi.NewExecutionFilter()}
	fp, f, b := m.ExecutionFilter, &req.Filter, &binder{dec: true}
	if fp == nil {
		fp = &protobuf.ExecutionFilter{}
	}
	bindI32(b, &f.ClientID, &fp.ClientId)
	b.str(&f.AcctCode, &fp.AcctCode)
	b.str(&f.Time, &fp.Time)
	b.str(&f.Symbol, &fp.Symbol)
	b.str(&f.SecType, &fp.SecType)
	b.str(&f.Exchange, &fp.Exchange)
	b.str(&f.Side, &fp.Side)
	bindI32(b, &f.LastNDays, &fp.LastNDays)
	for _, d := range fp.SpecificDates {
		f.SpecificDates = append(f.SpecificDates, int64(d))
	}
	return req, "", nil
}

func decodeReqHistoricalDataProto(body []byte) (Request, string, error) {
	var m protobuf.HistoricalDataRequest
	if f, err := unmarshal(body, &m); err != nil {
		return nil, f, err
	}
	req := ReqHistoricalData{
		ReqID: reqIDOf(m.ReqId), Contract: *ibapi.NewContract(),
		EndDateTime: m.GetEndDateTime(), Duration: m.GetDuration(), BarSize: m.GetBarSizeSetting(),
		WhatToShow: m.GetWhatToShow(), UseRTH: m.GetUseRTH(), FormatDate: int64(m.GetFormatDate()), KeepUpToDate: m.GetKeepUpToDate(),
	}
	b := &binder{dec: true}
	mapContract(b, &req.Contract, nil, orEmpty(m.Contract))
	return req, b.field, b.err
}

// unsupportedProto checks that body is well-formed protobuf and finds the
// request id of a message the broker does not serve. Every request proto
// that has a request id carries it as field 1 (an int32), so that is read
// for the messages whose classic form has one.
func unsupportedProto(id int64, body []byte) (Request, string, error) {
	reqID := int64(-1)
	hasReqID := reqIDAfterVersion[id] || reqIDFirst[id] || id == ibapi.REQ_SCANNER_SUBSCRIPTION
	for b := body; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, "protobuf", fmt.Errorf("wire: malformed protobuf: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if num == 1 && typ == protowire.VarintType && hasReqID {
			x, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return nil, "reqId", fmt.Errorf("wire: malformed protobuf: %w", protowire.ParseError(m))
			}
			reqID = int64(int32(x))
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, "protobuf", fmt.Errorf("wire: malformed protobuf: %w", protowire.ParseError(m))
		}
		b = b[m:]
	}
	return Unsupported{MsgID: id, ReqID: reqID}, "", nil
}
