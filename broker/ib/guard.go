package ib

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"unsafe"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
)

// The frame guard.
//
// ibapi's decoder panics (log.Panic) on a message with a missing field or a
// non-numeric value where it expects a number, and it does so in a goroutine
// of its own, where nothing can recover it: one bad frame from TWS would kill
// the process. The relay therefore shows every server frame to the guard
// before the EClient sees it, and the guard decodes it first with ibapi's own
// decoder (EDecoder.parseAndProcessMsg, reached by go:linkname) at the
// negotiated server version, into a wrapper that does nothing, inside
// recover(). Only frames that decode cleanly are forwarded, so the EClient's
// decoder never meets one it cannot read.
//
// Why the library's decoder and not a hand-written schema: the field layout of
// each message depends on the server version in dozens of places (open orders
// alone have several hundred fields); a copy of that logic would drift from
// the decoder it protects, while a dry run is, by construction, exactly as
// strict as the real decode. The cost is a dependency on two unexported names
// of ibapi v0.10.44; checkDecoderLayout verifies them at Open and the tests
// pin them, so an upgrade that moves them fails loudly instead of silently.
//
// One hazard a dry run cannot absorb: the decoder sizes some slices from a
// count on the wire (make([]T, 0, n)); a corrupted huge n would make the
// allocation itself fatal (out of memory is not a panic). Before the dry run,
// integers larger than the frame's own field count are clamped in the copy
// the dry run sees (no count can legitimately exceed it, and the decoder only
// branches on small integers: versions, counts, enum values), so a bad count
// fails the dry run cheaply and the frame is dropped.

//go:linkname decodeMsg github.com/scmhub/ibapi.(*EDecoder).parseAndProcessMsg
func decodeMsg(d *ibapi.EDecoder, msg []byte)

// decoderLayout mirrors ibapi.EDecoder's unexported fields.
type decoderLayout struct {
	wrapper       ibapi.EWrapper
	serverVersion ibapi.Version
}

// checkDecoderLayout reports whether ibapi.EDecoder still has the layout the
// guard writes into.
func checkDecoderLayout() error {
	t := reflect.TypeOf(ibapi.EDecoder{})
	m := reflect.TypeOf(decoderLayout{})
	if t.NumField() != m.NumField() || t.Size() != m.Size() {
		return fmt.Errorf("ib: ibapi.EDecoder layout changed (%d fields, %d bytes); the frame guard needs updating", t.NumField(), t.Size())
	}
	for i := range t.NumField() {
		if t.Field(i).Name != m.Field(i).Name || t.Field(i).Type != m.Field(i).Type || t.Field(i).Offset != m.Field(i).Offset {
			return fmt.Errorf("ib: ibapi.EDecoder field %d is %s %s; the frame guard needs updating", i, t.Field(i).Name, t.Field(i).Type)
		}
	}
	return nil
}

// consumed lists the server messages the adapter acts on; the guard drops
// every other type (they would only reach ibapi's default logging wrapper).
var consumed = map[int64]string{
	ibapi.ORDER_STATUS:               "orderStatus",
	ibapi.ERR_MSG:                    "error",
	ibapi.OPEN_ORDER:                 "openOrder",
	ibapi.NEXT_VALID_ID:              "nextValidId",
	ibapi.CONTRACT_DATA:              "contractData",
	ibapi.EXECUTION_DATA:             "execDetails",
	ibapi.MANAGED_ACCTS:              "managedAccounts",
	ibapi.HISTORICAL_DATA:            "historicalData",
	ibapi.CURRENT_TIME:               "currentTime",
	ibapi.CONTRACT_DATA_END:          "contractDataEnd",
	ibapi.OPEN_ORDER_END:             "openOrderEnd",
	ibapi.EXECUTION_DATA_END:         "execDetailsEnd",
	ibapi.COMMISSION_AND_FEES_REPORT: "commissionReport",
	ibapi.POSITION_DATA:              "position",
	ibapi.POSITION_END:               "positionEnd",
	ibapi.ACCOUNT_SUMMARY:            "accountSummary",
	ibapi.ACCOUNT_SUMMARY_END:        "accountSummaryEnd",
	ibapi.HISTORICAL_DATA_END:        "historicalDataEnd",
}

// maxGuardedFrame bounds a consumed frame; none comes near it.
const maxGuardedFrame = 1 << 20

// errUnconsumed marks a well-framed message of a type the adapter ignores.
var errUnconsumed = errors.New("message type not consumed")

// guard validates server frames at one negotiated server version.
type guard struct {
	version int
	dec     *ibapi.EDecoder
	probe   *dryWrapper
}

func newGuard(version int) *guard {
	d := new(ibapi.EDecoder)
	l := (*decoderLayout)(unsafe.Pointer(d))
	probe := &dryWrapper{}
	l.wrapper = probe
	l.serverVersion = version
	return &guard{version: version, dec: d, probe: probe}
}

// msgID reads a frame's message id, and whether the payload is protobuf.
func (g *guard) msgID(p []byte) (id int64, proto bool, err error) {
	if g.version >= ibapi.MIN_SERVER_VER_PROTOBUF {
		if len(p) < 4 {
			return 0, false, errors.New("frame shorter than its message id")
		}
		id = int64(binary.BigEndian.Uint32(p[:4]))
	} else {
		end := bytes.IndexByte(p, 0)
		if end < 0 {
			return 0, false, errors.New("message id field not terminated")
		}
		if id, err = strconv.ParseInt(string(p[:end]), 10, 64); err != nil {
			return 0, false, fmt.Errorf("message id %q: not a number", p[:end])
		}
	}
	if id >= ibapi.PROTOBUF_MSG_ID {
		return id - ibapi.PROTOBUF_MSG_ID, true, nil
	}
	return id, false, nil
}

// check returns nil when the EClient's decoder can read payload, the message
// type's name, and errUnconsumed (wrapped) for types the adapter ignores.
func (g *guard) check(p []byte) (name string, err error) {
	if len(p) == 0 {
		return "", errors.New("empty frame")
	}
	id, proto, err := g.msgID(p)
	if err != nil {
		return "", err
	}
	name, ok := consumed[id]
	if !ok {
		return fmt.Sprintf("msg %d", id), fmt.Errorf("msg %d: %w", id, errUnconsumed)
	}
	if len(p) > maxGuardedFrame {
		return name, fmt.Errorf("%s: frame of %d bytes is larger than any valid one", name, len(p))
	}
	probe := p
	if !proto {
		probe = clampInts(p, g.version >= ibapi.MIN_SERVER_VER_PROTOBUF)
	}
	g.probe.parsed = false
	if err := g.dryRun(probe); err != nil {
		return name, fmt.Errorf("%s: %w", name, err)
	}
	if proto && !g.probe.parsed {
		// ibapi logs an unreadable protobuf body and drops it without a
		// callback, which would leave a request waiting for an answer that
		// never comes; report it instead.
		return name, fmt.Errorf("%s: protobuf body does not parse", name)
	}
	return name, nil
}

func (g *guard) dryRun(p []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder cannot read it: %v", r)
		}
	}()
	decodeMsg(g.dec, p)
	return nil
}

// clampInts returns a copy of a text frame in which every integer field
// whose magnitude exceeds the number of fields is replaced by (sign) that
// number plus one, so that no count read from it can size a huge slice.
func clampInts(p []byte, binaryID bool) []byte {
	head := 0
	if binaryID {
		head = 4
	}
	fields := bytes.Split(p[head:], []byte{0})
	limit := int64(max(len(fields)+1, 1000))
	out := make([]byte, 0, len(p))
	out = append(out, p[:head]...)
	for i, f := range fields {
		if i > 0 {
			out = append(out, 0)
		}
		if n, err := strconv.ParseInt(string(f), 10, 64); err == nil && (n > limit || n < -limit) {
			if n > 0 {
				f = strconv.AppendInt(nil, limit, 10)
			} else {
				f = strconv.AppendInt(nil, -limit, 10)
			}
		}
		out = append(out, f...)
	}
	return out
}

// silentWrapper receives the dry run's callbacks and drops them.
type silentWrapper struct{ ibapi.Wrapper }

// dryWrapper is the dry run's wrapper. ibapi calls a message's ProtoBuf
// callback right after the body unmarshals, so parsed tells a protobuf frame
// the EClient can read from one it would silently drop.
type dryWrapper struct {
	silentWrapper
	parsed bool
}

func (w *dryWrapper) ExecDetailsProtoBuf(*protobuf.ExecutionDetails)        { w.parsed = true }
func (w *dryWrapper) ExecDetailsEndProtoBuf(*protobuf.ExecutionDetailsEnd)  { w.parsed = true }
func (w *dryWrapper) OrderStatusProtoBuf(*protobuf.OrderStatus)             { w.parsed = true }
func (w *dryWrapper) OpenOrderProtoBuf(*protobuf.OpenOrder)                 { w.parsed = true }
func (w *dryWrapper) OpenOrdersEndProtoBuf(*protobuf.OpenOrdersEnd)         { w.parsed = true }
func (w *dryWrapper) ErrorProtoBuf(*protobuf.ErrorMessage)                  { w.parsed = true }
func (w *dryWrapper) ContractDataProtoBuf(*protobuf.ContractData)           { w.parsed = true }
func (w *dryWrapper) ContractDataEndProtoBuf(*protobuf.ContractDataEnd)     { w.parsed = true }
func (w *dryWrapper) ManagedAccountsProtoBuf(*protobuf.ManagedAccounts)     { w.parsed = true }
func (w *dryWrapper) PositionProtoBuf(*protobuf.Position)                   { w.parsed = true }
func (w *dryWrapper) PositionEndProtoBuf(*protobuf.PositionEnd)             { w.parsed = true }
func (w *dryWrapper) AccountSummaryProtoBuf(*protobuf.AccountSummary)       { w.parsed = true }
func (w *dryWrapper) AccountSummaryEndProtoBuf(*protobuf.AccountSummaryEnd) { w.parsed = true }
func (w *dryWrapper) HistoricalDataProtoBuf(*protobuf.HistoricalData)       { w.parsed = true }
func (w *dryWrapper) HistoricalDataEndProtoBuf(*protobuf.HistoricalDataEnd) { w.parsed = true }
func (w *dryWrapper) NextValidIdProtoBuf(*protobuf.NextValidId)             { w.parsed = true }
func (w *dryWrapper) CurrentTimeProtoBuf(*protobuf.CurrentTime)             { w.parsed = true }
func (w *dryWrapper) CommissionAndFeesReportProtoBuf(*protobuf.CommissionAndFeesReport) {
	w.parsed = true
}

func (silentWrapper) OrderStatus(ibapi.OrderID, string, ibapi.Decimal, ibapi.Decimal, float64, int64, int64, float64, int64, string, float64) {
}
func (silentWrapper) Error(ibapi.TickerID, int64, int64, string, string)                        {}
func (silentWrapper) OpenOrder(ibapi.OrderID, *ibapi.Contract, *ibapi.Order, *ibapi.OrderState) {}
func (silentWrapper) OpenOrderEnd()                                                             {}
func (silentWrapper) NextValidID(int64)                                                         {}
func (silentWrapper) ContractDetails(int64, *ibapi.ContractDetails)                             {}
func (silentWrapper) ContractDetailsEnd(int64)                                                  {}
func (silentWrapper) ExecDetails(int64, *ibapi.Contract, *ibapi.Execution)                      {}
func (silentWrapper) ExecDetailsEnd(int64)                                                      {}
func (silentWrapper) ManagedAccounts([]string)                                                  {}
func (silentWrapper) HistoricalData(int64, *ibapi.Bar)                                          {}
func (silentWrapper) HistoricalDataEnd(int64, string, string)                                   {}
func (silentWrapper) CurrentTime(int64)                                                         {}
func (silentWrapper) CommissionAndFeesReport(ibapi.CommissionAndFeesReport)                     {}
func (silentWrapper) Position(string, *ibapi.Contract, ibapi.Decimal, float64)                  {}
func (silentWrapper) PositionEnd()                                                              {}
func (silentWrapper) AccountSummary(int64, string, string, string, string)                      {}
func (silentWrapper) AccountSummaryEnd(int64)                                                   {}
