package wire

import (
	"encoding/binary"
	"testing"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
	"google.golang.org/protobuf/proto"
)

// protoMessages are the protobuf types of the server messages the encoder
// sends, by classic message id.
var protoMessages = map[int64]func() proto.Message{
	ibapi.MANAGED_ACCTS:              func() proto.Message { return &protobuf.ManagedAccounts{} },
	ibapi.NEXT_VALID_ID:              func() proto.Message { return &protobuf.NextValidId{} },
	ibapi.ERR_MSG:                    func() proto.Message { return &protobuf.ErrorMessage{} },
	ibapi.CURRENT_TIME:               func() proto.Message { return &protobuf.CurrentTime{} },
	ibapi.CURRENT_TIME_IN_MILLIS:     func() proto.Message { return &protobuf.CurrentTimeInMillis{} },
	ibapi.MARKET_DATA_TYPE:           func() proto.Message { return &protobuf.MarketDataType{} },
	ibapi.CONTRACT_DATA:              func() proto.Message { return &protobuf.ContractData{} },
	ibapi.CONTRACT_DATA_END:          func() proto.Message { return &protobuf.ContractDataEnd{} },
	ibapi.OPEN_ORDER:                 func() proto.Message { return &protobuf.OpenOrder{} },
	ibapi.OPEN_ORDER_END:             func() proto.Message { return &protobuf.OpenOrdersEnd{} },
	ibapi.ORDER_STATUS:               func() proto.Message { return &protobuf.OrderStatus{} },
	ibapi.EXECUTION_DATA:             func() proto.Message { return &protobuf.ExecutionDetails{} },
	ibapi.EXECUTION_DATA_END:         func() proto.Message { return &protobuf.ExecutionDetailsEnd{} },
	ibapi.COMMISSION_AND_FEES_REPORT: func() proto.Message { return &protobuf.CommissionAndFeesReport{} },
	ibapi.COMPLETED_ORDERS_END:       func() proto.Message { return &protobuf.CompletedOrdersEnd{} },
	ibapi.POSITION_DATA:              func() proto.Message { return &protobuf.Position{} },
	ibapi.POSITION_END:               func() proto.Message { return &protobuf.PositionEnd{} },
	ibapi.ACCOUNT_SUMMARY:            func() proto.Message { return &protobuf.AccountSummary{} },
	ibapi.ACCOUNT_SUMMARY_END:        func() proto.Message { return &protobuf.AccountSummaryEnd{} },
	ibapi.ACCT_VALUE:                 func() proto.Message { return &protobuf.AccountValue{} },
	ibapi.PORTFOLIO_VALUE:            func() proto.Message { return &protobuf.PortfolioValue{} },
	ibapi.ACCT_UPDATE_TIME:           func() proto.Message { return &protobuf.AccountUpdateTime{} },
	ibapi.ACCT_DOWNLOAD_END:          func() proto.Message { return &protobuf.AccountDataEnd{} },
	ibapi.HISTORICAL_DATA:            func() proto.Message { return &protobuf.HistoricalData{} },
	ibapi.HISTORICAL_DATA_END:        func() proto.Message { return &protobuf.HistoricalDataEnd{} },
	ibapi.COMPLETED_ORDER:            func() proto.Message { return &protobuf.CompletedOrder{} },
}

// isProtoFrame reports whether a single frame carries a protobuf body.
func isProtoFrame(v Version, frame []byte) bool {
	return ibapi.Version(v) >= ibapi.MIN_SERVER_VER_PROTOBUF && len(frame) >= 8 &&
		int64(binary.BigEndian.Uint32(frame[4:])) > ibapi.PROTOBUF_MSG_ID
}

// unmarshalFrame parses a protobuf frame into its message type.
func unmarshalFrame(t testing.TB, frame []byte) (int64, proto.Message) {
	t.Helper()
	id := int64(binary.BigEndian.Uint32(frame[4:])) - ibapi.PROTOBUF_MSG_ID
	mk, ok := protoMessages[id]
	if !ok {
		t.Fatalf("no protobuf type for message %d", id)
	}
	m := mk()
	if err := proto.Unmarshal(frame[8:], m); err != nil {
		t.Fatalf("message %d: %v", id, err)
	}
	return id, m
}

// checkProtoFrame is checkExact for a protobuf frame: the body parses as
// the message's type with no field that type does not define (the
// analogue of an extra text field), and the library decoder reads it
// without reporting an error.
func checkProtoFrame(t *testing.T, v Version, name string, frame []byte) *recorder {
	t.Helper()
	_, m := unmarshalFrame(t, frame)
	if u := m.ProtoReflect().GetUnknown(); len(u) > 0 {
		t.Errorf("%s v%d: %d bytes of fields %T does not define", name, v, len(u), m)
	}
	rec, err := ibDecode(t, v, frame)
	if err != nil {
		t.Fatalf("%s v%d: %v", name, v, err)
	}
	if name != "Error" {
		if c, ok := rec.find("Error"); ok {
			t.Fatalf("%s v%d: decoder reported %v", name, v, c.args)
		}
	}
	return rec
}

// TestProtoThresholds checks each message switches to protobuf exactly at
// its threshold.
func TestProtoThresholds(t *testing.T) {
	for id, from := range protoFrom {
		for _, v := range []ibapi.Version{from - 1, from} {
			got := Encoder{V: Version(v)}.pb(id)
			if want := v >= from; got != want {
				t.Errorf("pb(%d) at %d = %v, want %v", id, v, got, want)
			}
		}
	}
}
