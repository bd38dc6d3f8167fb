package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/scmhub/ibapi"
)

func TestReadHello(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Hello
	}{
		{"v100..222", Hello{Min: 100, Max: 222}},
		{"v100..200 +PACEAPI", Hello{Min: 100, Max: 200, Options: "+PACEAPI"}},
		{"v176", Hello{Min: 176, Max: 176}},
	} {
		var b bytes.Buffer
		b.WriteString("API\x00")
		b.Write([]byte{0, 0, 0, byte(len(tc.in))})
		b.WriteString(tc.in)
		got, err := ReadHello(&b)
		if err != nil || got != tc.want {
			t.Errorf("ReadHello(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	_, err := ReadHello(strings.NewReader("GET / HTTP/1.1\r\n"))
	if !errors.Is(err, ErrNotAPI) {
		t.Errorf("ReadHello(http) err = %v, want ErrNotAPI", err)
	}
	if _, err := ReadHello(strings.NewReader("API\x00\x00\x00\x00\x03v1x")); err == nil {
		t.Error("ReadHello(bad range) succeeded")
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		h       Hello
		max     Version
		want    Version
		wantErr bool
	}{
		{Hello{Min: 100, Max: 222}, 200, 200, false},
		{Hello{Min: 100, Max: 176}, 200, 176, false},
		{Hello{Min: 100, Max: 222}, 151, 151, false},
		{Hello{Min: 201, Max: 222}, 200, 0, true},
		{Hello{Min: 38, Max: 99}, 200, 0, true},
	} {
		got, err := Negotiate(tc.h, tc.max)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Negotiate(%+v, %d) = %d, %v; want %d, err %v", tc.h, tc.max, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestHelloReply(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	f := HelloReply(176, time.Date(2026, 1, 5, 9, 30, 1, 0, ny))
	p, err := ReadFrame(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := splitFields(p), []string{"176", "20260105 09:30:01 EST"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("HelloReply fields = %q, want %q", got, want)
	}
	p, _ = ReadFrame(bytes.NewReader(HelloReply(200, time.Date(2026, 1, 5, 9, 30, 1, 0, time.FixedZone("", 3*3600)))))
	if got := splitFields(p)[1]; got != "20260105 06:30:01 UTC" {
		t.Errorf("HelloReply(unnamed zone) time = %q", got)
	}
}

func TestReadFrame(t *testing.T) {
	if _, err := ReadFrame(bytes.NewReader([]byte{0x01, 0, 0, 0})); err == nil {
		t.Error("oversized frame accepted")
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0, 0, 0, 5, 'a'})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated frame err = %v", err)
	}
	if _, err := ReadFrame(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("empty stream err = %v, want io.EOF", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	var de *DecodeError
	_, err := DecodeRequest(176, []byte("3\x00"))
	if !errors.As(err, &de) || de.MsgID != ibapi.PLACE_ORDER || de.Field != "orderId" {
		t.Fatalf("truncated placeOrder err = %v", err)
	}
	if !strings.HasPrefix(err.Error(), "wire: ") || !strings.Contains(err.Error(), "placeOrder") {
		t.Errorf("error text %q", err)
	}
	if !errors.Is(err, errMissing) {
		t.Errorf("errors.Is(err, errMissing) = false")
	}
	_, err = DecodeRequest(176, []byte("8\x001\x00x\x00"))
	if !errors.As(err, &de) || de.Field != "numIds" {
		t.Errorf("bad int err = %v", err)
	}
	r, err := DecodeRequest(176, []byte("52\x002\x0099\x00"))
	if err != nil || r != (Unsupported{MsgID: 52, ReqID: 99}) {
		t.Errorf("unsupported = %v, %v", r, err)
	}
	r, err = DecodeRequest(176, []byte("14\x001\x005\x00"))
	if err != nil || r != (Unsupported{MsgID: 14, ReqID: -1}) {
		t.Errorf("unsupported without req id = %v, %v", r, err)
	}
}

// TestHistoricalDataV124 checks both layouts clients send at exactly 124.
func TestHistoricalDataV124(t *testing.T) {
	body := "20\x00%s23\x000\x00ES\x00FUT\x0020250620\x00\x00\x0050\x00CME\x00\x00USD\x00ESM5\x00ES\x000\x00\x001 day\x005 D\x001\x00TRADES\x001\x000\x00\x00"
	for _, ver := range []string{"", "6\x00"} {
		r, err := DecodeRequest(124, []byte(strings.Replace(body, "%s", ver, 1)))
		h, ok := r.(ReqHistoricalData)
		if err != nil || !ok || h.ReqID != 23 || h.Contract.Symbol != "ES" || h.WhatToShow != "TRADES" {
			t.Errorf("version field %q: %#v, %v", ver, r, err)
		}
	}
}

// binaryFrame is a v201+ payload: the 4-byte id, then body.
func binaryFrame(id int64, body ...byte) []byte {
	return append([]byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}, body...)
}

func TestDecodeProtoErrors(t *testing.T) {
	var de *DecodeError
	_, err := DecodeRequest(222, binaryFrame(ibapi.PLACE_ORDER+200, 0x0a, 0xff, 0xff))
	if !errors.As(err, &de) || de.MsgID != ibapi.PLACE_ORDER || !strings.Contains(err.Error(), "placeOrder") {
		t.Errorf("malformed placeOrder err = %v", err)
	}
	if _, err := DecodeRequest(222, []byte{0, 0}); !errors.As(err, &de) || de.Field != "msgId" {
		t.Errorf("truncated id err = %v", err)
	}
	// reqMktData {reqId: 31}: unsupported, addressed to its request.
	r, err := DecodeRequest(222, binaryFrame(ibapi.REQ_MKT_DATA+200, 0x08, 31))
	if err != nil || r != (Unsupported{MsgID: ibapi.REQ_MKT_DATA, ReqID: 31}) {
		t.Errorf("unsupported protobuf = %v, %v", r, err)
	}
	if _, err := DecodeRequest(222, binaryFrame(ibapi.REQ_MKT_DATA+200, 0x08)); !errors.As(err, &de) || de.MsgID != ibapi.REQ_MKT_DATA {
		t.Errorf("truncated unsupported protobuf err = %v", err)
	}
	// placeOrder {order: {conditions: [{type: 99}]}}: a condition ibapi
	// does not know cannot be dropped silently.
	_, err = DecodeRequest(222, binaryFrame(ibapi.PLACE_ORDER+200, 0x1a, 0x05, 0xa2, 0x06, 0x02, 0x08, 0x63))
	if !errors.As(err, &de) || de.Field != "order.conditions.type" {
		t.Errorf("unknown condition err = %v", err)
	}
	// Text after a binary id, below the message's protobuf threshold.
	r, err = DecodeRequest(201, binaryFrame(ibapi.REQ_CURRENT_TIME, '1', 0))
	if err != nil || r != (ReqCurrentTime{}) {
		t.Errorf("text reqCurrentTime at 201 = %v, %v", r, err)
	}
}
