package wire

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/scmhub/ibapi"
)

// errMissing is the cause of a DecodeError when the message ends before
// the field the client must have sent at the negotiated version.
var errMissing = errors.New("wire: field missing (message truncated)")

// fieldReader reads NUL-terminated text fields from one client payload.
// Its first error is sticky, so a decoder reads a whole message in straight
// line code and checks err once; later reads return zero values.
type fieldReader struct {
	msgID int64
	buf   []byte
	err   *DecodeError
}

func (r *fieldReader) fail(field string, err error) {
	if r.err == nil {
		r.err = &DecodeError{MsgID: r.msgID, Field: field, Err: err}
	}
}

// raw returns the next field without its terminator.
func (r *fieldReader) raw(field string) []byte {
	if r.err != nil {
		return nil
	}
	i := bytes.IndexByte(r.buf, 0)
	if i < 0 {
		r.fail(field, errMissing)
		return nil
	}
	f := r.buf[:i]
	r.buf = r.buf[i+1:]
	return f
}

// remaining is the number of complete fields left; it bounds list counts so
// a hostile count cannot make the decoder allocate more than the input.
func (r *fieldReader) remaining() int { return bytes.Count(r.buf, []byte{0}) }

func (r *fieldReader) str(field string) string { return string(r.raw(field)) }

func (r *fieldReader) skip(field string) { r.raw(field) }

// int reads an integer; an empty field is 0 as in TWS's own readInt.
func (r *fieldReader) int(field string) int64 {
	f := r.raw(field)
	if len(f) == 0 {
		return 0
	}
	return r.parseInt(field, f)
}

// intMax reads an integer that may be unset: empty is ibapi.UNSET_INT.
func (r *fieldReader) intMax(field string) int64 {
	f := r.raw(field)
	if len(f) == 0 {
		return ibapi.UNSET_INT
	}
	return r.parseInt(field, f)
}

func (r *fieldReader) parseInt(field string, f []byte) int64 {
	if r.err != nil {
		return 0
	}
	i, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil {
		// Some clients print whole numbers through a float formatter ("1.0").
		if x, ferr := strconv.ParseFloat(string(f), 64); ferr == nil && x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x)
		}
		r.fail(field, err)
		return 0
	}
	return i
}

// float reads a number; empty is 0.
func (r *fieldReader) float(field string) float64 {
	f := r.raw(field)
	if len(f) == 0 {
		return 0
	}
	return r.parseFloat(field, f)
}

// floatMax reads a number that may be unset: empty (or Python's "None")
// is ibapi.UNSET_FLOAT; "1.7976931348623157E308" parses to the same value.
func (r *fieldReader) floatMax(field string) float64 {
	f := r.raw(field)
	if len(f) == 0 || string(f) == "None" {
		return ibapi.UNSET_FLOAT
	}
	return r.parseFloat(field, f)
}

func (r *fieldReader) parseFloat(field string, f []byte) float64 {
	if r.err != nil {
		return 0
	}
	x, err := strconv.ParseFloat(string(f), 64)
	if err != nil {
		r.fail(field, err)
		return 0
	}
	return x
}

// bool reads a flag. Clients send "1"/"0"; empty is false and, like the
// TWS reader, any other number is true. Words are accepted for clients that
// print booleans as text.
func (r *fieldReader) bool(field string) bool {
	f := r.raw(field)
	switch string(f) {
	case "", "0", "false", "False", "FALSE":
		return false
	case "1", "true", "True", "TRUE":
		return true
	}
	return r.parseInt(field, f) != 0
}

// decimal reads a quantity; empty and the unset sentinels are
// ibapi.UNSET_DECIMAL.
func (r *fieldReader) decimal(field string) ibapi.Decimal {
	f := r.raw(field)
	if r.err != nil {
		return ibapi.UNSET_DECIMAL
	}
	s := string(f)
	switch s {
	case "", "2147483647", "9223372036854775807", "-9223372036854775808", "1.7976931348623157E308", "1.7976931348623157e+308", "None":
		return ibapi.UNSET_DECIMAL
	}
	d, err := ibapi.StringToDecimalErr(s)
	if err != nil {
		r.fail(field, err)
		return ibapi.UNSET_DECIMAL
	}
	return d
}

// count reads a list length and checks that the message can hold it, given
// the fields each element takes.
func (r *fieldReader) count(field string, perItem int) int {
	n := r.int(field)
	if r.err != nil {
		return 0
	}
	if n < 0 || (perItem > 0 && n > int64(r.remaining()/perItem)) {
		r.fail(field, errors.New("wire: count "+strconv.FormatInt(n, 10)+" exceeds the fields in the message"))
		return 0
	}
	return int(n)
}

// tagValues reads the "tag=value;tag=value;" form used for misc options.
func (r *fieldReader) tagValues(field string) []ibapi.TagValue {
	s := r.str(field)
	if s == "" {
		return nil
	}
	var tvs []ibapi.TagValue
	for _, part := range strings.Split(s, ";") {
		if part == "" {
			continue
		}
		tag, value, _ := strings.Cut(part, "=")
		tvs = append(tvs, ibapi.TagValue{Tag: tag, Value: value})
	}
	return tvs
}

// fieldWriter builds one frame: a 4-byte length placeholder, then fields.
type fieldWriter struct {
	buf []byte
}

func newWriter(v ibapi.Version, msgID int64, sizeHint int) *fieldWriter {
	w := &fieldWriter{buf: make([]byte, 4, 4+sizeHint)}
	w.msgID(v, msgID)
	return w
}

// msgID writes the message id as a text field, or from
// MIN_SERVER_VER_PROTOBUF as a 4-byte binary integer followed by the text
// fields (messages below their protobuf threshold; see protoFrame for the
// others).
func (w *fieldWriter) msgID(v ibapi.Version, id int64) {
	if v >= ibapi.MIN_SERVER_VER_PROTOBUF {
		w.buf = append(w.buf, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
		return
	}
	w.int(id)
}

func (w *fieldWriter) str(s string) {
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, 0)
}

func (w *fieldWriter) int(i int64) {
	w.buf = strconv.AppendInt(w.buf, i, 10)
	w.buf = append(w.buf, 0)
}

// intMax writes an integer, or an empty field when it is ibapi.UNSET_INT.
func (w *fieldWriter) intMax(i int64) {
	if i == ibapi.UNSET_INT {
		w.buf = append(w.buf, 0)
		return
	}
	w.int(i)
}

// float writes a number the way TWS (Java's Double.toString) prints it:
// "0.0", "1.25", "1.7976931348623157E308" for an unset value.
func (w *fieldWriter) float(f float64) {
	w.buf = appendJavaDouble(w.buf, f)
	w.buf = append(w.buf, 0)
}

// floatMax writes a number, or an empty field when it is ibapi.UNSET_FLOAT.
func (w *fieldWriter) floatMax(f float64) {
	if f == ibapi.UNSET_FLOAT {
		w.buf = append(w.buf, 0)
		return
	}
	w.float(f)
}

// decimal writes a quantity as a plain decimal string; unset is empty.
func (w *fieldWriter) decimal(d ibapi.Decimal) {
	if d != ibapi.UNSET_DECIMAL {
		w.buf = append(w.buf, ibapi.DecimalToString(d)...)
	}
	w.buf = append(w.buf, 0)
}

func (w *fieldWriter) bool(b bool) {
	if b {
		w.buf = append(w.buf, '1', 0)
	} else {
		w.buf = append(w.buf, '0', 0)
	}
}

// frame fills in the length prefix and returns the finished frame.
func (w *fieldWriter) frame() []byte {
	n := len(w.buf) - 4
	w.buf[0], w.buf[1], w.buf[2], w.buf[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return w.buf
}

// appendJavaDouble appends f as java.lang.Double.toString would: plain
// notation with at least one fractional digit for 1e-3 <= |f| < 1e7,
// otherwise computerized scientific notation ("1.0E7", "1.7976931348623157E308").
func appendJavaDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		start := len(b)
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
		if bytes.IndexByte(b[start:], '.') < 0 {
			b = append(b, '.', '0')
		}
		return b
	}
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // e.g. 1.7976931348623157e+308, 1e+07
	mant, exp, _ := bytes.Cut(s, []byte{'e'})
	b = append(b, mant...)
	if bytes.IndexByte(mant, '.') < 0 {
		b = append(b, '.', '0')
	}
	b = append(b, 'E')
	if exp[0] == '-' {
		b = append(b, '-')
	}
	exp = bytes.TrimLeft(exp[1:], "0")
	return append(b, exp...)
}

// num writes a number in its shortest plain form ("0", "10", "96.9"),
// which TWS uses for prices and strikes in several messages.
func (w *fieldWriter) num(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) || f == ibapi.UNSET_FLOAT {
		w.float(f)
		return
	}
	w.buf = strconv.AppendFloat(w.buf, f, 'f', -1, 64)
	w.buf = append(w.buf, 0)
}

// decimalUnsetLong writes a quantity whose unset value TWS prints as
// Java's Long.MIN_VALUE (its Decimal.INVALID).
func (w *fieldWriter) decimalUnsetLong(d ibapi.Decimal) {
	if d == ibapi.UNSET_DECIMAL {
		w.str("-9223372036854775808")
		return
	}
	w.decimal(d)
}
