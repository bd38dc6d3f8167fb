package wire

import (
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"unsafe"

	"github.com/rs/zerolog"
	"github.com/scmhub/ibapi"
)

// The library's decoder is the reference for what TWS sends. It is not
// exported, so the tests link to it directly: that lets them run it in the
// test goroutine and turn its panics (its reaction to a missing field)
// into test failures, and check that dropping the last field of a message
// makes it panic (which proves the encoder sends no extra field).
//
//go:linkname ibParse github.com/scmhub/ibapi.(*EDecoder).parseAndProcessMsg
func ibParse(d *ibapi.EDecoder, msg []byte)

func TestMain(m *testing.M) {
	ibapi.SetLogger(zerolog.Nop())
	os.Exit(m.Run())
}

// call is one EWrapper callback with its arguments.
type call struct {
	name string
	args []any
}

// recorder is an EWrapper that records the callbacks the tests look at.
type recorder struct {
	ibapi.Wrapper
	mu    sync.Mutex
	calls []call
}

func (r *recorder) add(name string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{name, args})
}

// find returns the first recorded call named name.
func (r *recorder) find(name string) (call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c.name == name {
			return c, true
		}
	}
	return call{}, false
}

func (r *recorder) all(name string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

func (r *recorder) OrderStatus(id ibapi.OrderID, status string, filled, remaining ibapi.Decimal, avg float64, permID, parentID int64, last float64, clientID int64, whyHeld string, mktCap float64) {
	r.add("OrderStatus", id, status, filled, remaining, avg, permID, parentID, last, clientID, whyHeld, mktCap)
}
func (r *recorder) OpenOrder(id ibapi.OrderID, c *ibapi.Contract, o *ibapi.Order, s *ibapi.OrderState) {
	r.add("OpenOrder", id, c, o, s)
}
func (r *recorder) OpenOrderEnd()                          { r.add("OpenOrderEnd") }
func (r *recorder) UpdateAccountValue(k, v, cur, a string) { r.add("UpdateAccountValue", k, v, cur, a) }
func (r *recorder) UpdatePortfolio(c *ibapi.Contract, pos ibapi.Decimal, mp, mv, ac, upnl, rpnl float64, a string) {
	r.add("UpdatePortfolio", c, pos, mp, mv, ac, upnl, rpnl, a)
}
func (r *recorder) UpdateAccountTime(ts string) { r.add("UpdateAccountTime", ts) }
func (r *recorder) AccountDownloadEnd(a string) { r.add("AccountDownloadEnd", a) }
func (r *recorder) NextValidID(id int64)        { r.add("NextValidID", id) }
func (r *recorder) ContractDetails(id int64, d *ibapi.ContractDetails) {
	r.add("ContractDetails", id, d)
}
func (r *recorder) ContractDetailsEnd(id int64) { r.add("ContractDetailsEnd", id) }
func (r *recorder) ExecDetails(id int64, c *ibapi.Contract, x *ibapi.Execution) {
	r.add("ExecDetails", id, c, x)
}
func (r *recorder) ExecDetailsEnd(id int64) { r.add("ExecDetailsEnd", id) }
func (r *recorder) Error(id ibapi.TickerID, t int64, code int64, msg, adv string) {
	r.add("Error", id, t, code, msg, adv)
}
func (r *recorder) ManagedAccounts(a []string)              { r.add("ManagedAccounts", a) }
func (r *recorder) HistoricalData(id int64, b *ibapi.Bar)   { r.add("HistoricalData", id, *b) }
func (r *recorder) HistoricalDataEnd(id int64, s, e string) { r.add("HistoricalDataEnd", id, s, e) }
func (r *recorder) CurrentTime(t int64)                     { r.add("CurrentTime", t) }
func (r *recorder) CurrentTimeInMillis(t int64)             { r.add("CurrentTimeInMillis", t) }
func (r *recorder) MarketDataType(id, t int64)              { r.add("MarketDataType", id, t) }
func (r *recorder) CommissionAndFeesReport(c ibapi.CommissionAndFeesReport) {
	r.add("CommissionAndFeesReport", c)
}
func (r *recorder) Position(a string, c *ibapi.Contract, p ibapi.Decimal, ac float64) {
	r.add("Position", a, c, p, ac)
}
func (r *recorder) PositionEnd() { r.add("PositionEnd") }
func (r *recorder) AccountSummary(id int64, a, t, v, c string) {
	r.add("AccountSummary", id, a, t, v, c)
}
func (r *recorder) AccountSummaryEnd(id int64) { r.add("AccountSummaryEnd", id) }
func (r *recorder) CompletedOrdersEnd()        { r.add("CompletedOrdersEnd") }
func (r *recorder) ConnectAck()                {}
func (r *recorder) ConnectionClosed()          {}

// newIBDecoder builds the library's decoder for version v around w. Its
// fields are unexported; reflection finds them by name, so a rename in the
// library fails here loudly rather than silently.
func newIBDecoder(t testing.TB, w ibapi.EWrapper, v Version) *ibapi.EDecoder {
	t.Helper()
	d := &ibapi.EDecoder{}
	rv := reflect.ValueOf(d).Elem()
	for name, val := range map[string]any{"wrapper": w, "serverVersion": ibapi.Version(v)} {
		f := rv.FieldByName(name)
		if !f.IsValid() {
			t.Fatalf("ibapi.EDecoder has no field %q: update the test harness", name)
		}
		reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(val))
	}
	return d
}

// ibDecode runs the library decoder on each frame in frames (one or more
// concatenated length-prefixed frames) and reports a panic as an error.
func ibDecode(t testing.TB, v Version, frames []byte) (rec *recorder, err error) {
	t.Helper()
	rec = &recorder{}
	d := newIBDecoder(t, rec, v)
	for len(frames) > 0 {
		if len(frames) < 4 {
			return rec, fmt.Errorf("trailing %d bytes", len(frames))
		}
		n := int(frames[0])<<24 | int(frames[1])<<16 | int(frames[2])<<8 | int(frames[3])
		if 4+n > len(frames) {
			return rec, fmt.Errorf("frame length %d exceeds %d bytes", n, len(frames)-4)
		}
		payload := frames[4 : 4+n]
		frames = frames[4+n:]
		if err := ibParseSafe(d, payload); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

func ibParseSafe(d *ibapi.EDecoder, payload []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ibapi decoder panicked: %v", p)
		}
	}()
	ibParse(d, payload)
	return nil
}

// checkExact checks that the library decoder reads frame (a single frame)
// completely: it decodes as is, and panics when the last field is removed.
// A message with extra fields would still decode without its last one.
func checkExact(t *testing.T, v Version, frame []byte) *recorder {
	t.Helper()
	rec, err := ibDecode(t, v, frame)
	if err != nil {
		t.Fatalf("v%d: %v\nfields: %q", v, err, splitFields(frame[4:]))
	}
	payload := frame[4:]
	cut := payload[:len(payload)-1]
	i := len(cut) - 1
	for i >= 0 && cut[i] != 0 {
		i--
	}
	short := append([]byte(nil), payload[:i+1]...)
	framed := append([]byte{byte(len(short) >> 24), byte(len(short) >> 16), byte(len(short) >> 8), byte(len(short))}, short...)
	if _, err := ibDecode(t, v, framed); err == nil {
		t.Errorf("v%d: decoder still reads the message without its last field: the encoder sends an extra field\nfields: %q", v, splitFields(payload))
	}
	return rec
}

// splitFields splits a text payload into its fields.
func splitFields(p []byte) []string {
	var out []string
	for len(p) > 0 {
		i := 0
		for i < len(p) && p[i] != 0 {
			i++
		}
		out = append(out, string(p[:i]))
		if i == len(p) {
			break
		}
		p = p[i+1:]
	}
	return out
}
