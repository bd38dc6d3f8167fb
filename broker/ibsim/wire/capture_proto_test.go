package wire

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// frameCapture is one frame of a protobuf-era capture (sv >= 201): the
// complete frame as TWS or the client sent it.
type frameCapture struct {
	file  string
	line  int
	dir   string
	v     Version
	frame []byte
	label string
}

// id is the classic message id and whether the body is protobuf.
func (c frameCapture) id() (int64, bool) {
	id := int64(binary.BigEndian.Uint32(c.frame[4:]))
	if id > ibapi.PROTOBUF_MSG_ID {
		return id - ibapi.PROTOBUF_MSG_ID, true
	}
	return id, false
}

func loadFrameCaptures(t *testing.T) []frameCapture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(captureDir, "*protobuf*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no protobuf TWS captures in %s", captureDir)
	}
	var out []frameCapture
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var v Version
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for n := 1; sc.Scan(); n++ {
			parts := strings.SplitN(sc.Text(), "\t", 3)
			switch {
			case parts[0] == "HS" && len(parts) > 1:
				var hs struct {
					ServerVersion int `json:"server_version"`
				}
				if err := json.Unmarshal([]byte(parts[1]), &hs); err != nil {
					t.Fatalf("%s:%d: %v", f, n, err)
				}
				v = Version(hs.ServerVersion)
			case (parts[0] == "C" || parts[0] == "S") && len(parts) > 1:
				b, err := base64.StdEncoding.DecodeString(parts[1])
				if err != nil || len(b) < 8 || int(binary.BigEndian.Uint32(b)) != len(b)-4 {
					t.Fatalf("%s:%d: bad frame (%v)", f, n, err)
				}
				c := frameCapture{file: filepath.Base(f), line: n, dir: parts[0], v: v, frame: b}
				if len(parts) == 3 {
					c.label = parts[2]
				}
				out = append(out, c)
			}
		}
		fh.Close()
	}
	return out
}

func TestCapturedProtoRequestsDecode(t *testing.T) {
	n := 0
	for _, c := range loadFrameCaptures(t) {
		if c.dir != "C" {
			continue
		}
		// The captures run at 203..225; above MaxVersion the layouts this
		// package knows are the same for these requests.
		v := min(c.v, MaxVersion)
		req, err := DecodeRequest(v, c.frame[4:])
		if err != nil {
			t.Errorf("%s:%d (v%d %s): %v", c.file, c.line, c.v, c.label, err)
			continue
		}
		n++
		t.Logf("%s:%d v%d -> %s %+v", c.file, c.line, c.v, RequestName(req), req)
	}
	if n == 0 {
		t.Fatal("no client requests in the protobuf captures")
	}
}

// twsOnly clears, in a captured message, the fields TWS fills from state
// the paper broker does not have or that ibapi's types cannot carry back,
// so the comparison is about what the encoder can know.
func twsOnly(m proto.Message) {
	switch m := m.(type) {
	case *protobuf.OpenOrder:
		o := m.Order
		// Order fields ibapi's decodeOrder keeps but its encoder (and so
		// mapOrder) leaves out: TWS's own bookkeeping.
		o.FilledQuantity, o.Shareholder, o.AutoCancelDate, o.ParentPermId, o.RefFuturesConId = nil, nil, nil, nil, nil
		// ibapi reads these absent values as NewOrder's defaults (transmit
		// true) or unset, so they come back present or absent.
		o.Transmit, o.RouteMarketableToBbo, o.SeekPriceImprovement = nil, nil, nil
	case *protobuf.ContractData:
		// A Decimal of 0 is indistinguishable from an unset one; field 65
		// is newer than ibapi's protobuf types.
		m.ContractDetails.MinAlgoSize = nil
		m.ContractDetails.ProtoReflect().SetUnknown(nil)
	}
}

// ourOnly clears, in our re-encoding, what twsOnly clears.
func ourOnly(m proto.Message) {
	switch m := m.(type) {
	case *protobuf.OpenOrder:
		m.Order.Transmit, m.Order.RouteMarketableToBbo, m.Order.SeekPriceImprovement = nil, nil, nil
	case *protobuf.ContractData:
		m.ContractDetails.MinAlgoSize = nil
	}
}

func TestCapturedProtoServerMessagesReencode(t *testing.T) {
	compared := map[string]int{}
	for _, c := range loadFrameCaptures(t) {
		if c.dir != "S" {
			continue
		}
		id, isProto := c.id()
		v := min(c.v, MaxVersion)
		rec, err := ibDecode(t, v, c.frame)
		if err != nil {
			t.Errorf("%s:%d: library decoder: %v", c.file, c.line, err)
			continue
		}
		if e, ok := rec.find("Error"); ok && id != ibapi.ERR_MSG {
			t.Errorf("%s:%d: library decoder reported %v", c.file, c.line, e.args)
			continue
		}
		cc := captured{file: c.file, line: c.line, dir: c.dir, v: v, label: c.label, fields: []string{strconv.FormatInt(id, 10)}}
		if !isProto {
			cc.fields = append(cc.fields, splitFields(c.frame[8:])...)
		}
		out, ok := reencode(t, cc, rec)
		if !ok {
			continue
		}
		key := strconv.FormatInt(id, 10)
		if id == ibapi.HISTORICAL_DATA {
			out = out[:4+binary.BigEndian.Uint32(out)] // the capture holds the bars frame only
		}
		if !isProto {
			if isProtoFrame(v, out) {
				t.Errorf("%s:%d v%d %s: TWS sent text, we send protobuf", c.file, c.line, c.v, c.label)
				continue
			}
			if got, want := strings.Join(splitFields(out[8:]), "|"), strings.Join(cc.fields[1:], "|"); got != want {
				t.Errorf("%s:%d v%d %s: fields %q, TWS sent %q", c.file, c.line, c.v, c.label, got, want)
			}
			compared[key+"(text)"]++
			continue
		}
		if !isProtoFrame(v, out) {
			t.Errorf("%s:%d v%d %s: TWS sent protobuf, we send text", c.file, c.line, c.v, c.label)
			continue
		}
		_, want := unmarshalFrame(t, c.frame)
		_, got := unmarshalFrame(t, out)
		twsOnly(want)
		ourOnly(got)
		dropZeros(want.ProtoReflect())
		dropZeros(got.ProtoReflect())
		if !proto.Equal(got, want) {
			t.Errorf("%s:%d v%d %s:\n got  %v\n want %v", c.file, c.line, c.v, c.label, prototext.Format(got), prototext.Format(want))
		}
		compared[key]++
	}
	t.Logf("compared server messages by id: %v", compared)
}

// dropZeros clears every field holding its type's zero value (0, "",
// false, an empty message). TWS leaves some zero fields out and sends
// others (parentId 0, triggerMethod 0, strike 0, but no displaySize 0),
// and ibapi reads an absent field as its Go zero or NewOrder default, so
// the client sees the same values either way; the comparison is about
// the values, not that choice.
func dropZeros(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			if fd.Message() != nil {
				for i := 0; i < v.List().Len(); i++ {
					dropZeros(v.List().Get(i).Message())
				}
			}
		case fd.IsMap():
		case fd.Message() != nil:
			dropZeros(v.Message())
			if isEmpty(v.Message()) {
				m.Clear(fd)
			}
		case v.Equal(fd.Default()) || (fd.Kind() == protoreflect.StringKind && v.String() == ""):
			m.Clear(fd)
		}
		return true
	})
}

func isEmpty(m protoreflect.Message) bool {
	empty := true
	m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool { empty = false; return false })
	return empty && len(m.GetUnknown()) == 0
}
