package wire

import (
	"encoding/binary"
	"testing"

	"github.com/scmhub/ibapi"
)

func BenchmarkDecodePlaceOrder(b *testing.B) {
	var payload []byte
	for _, s := range seedPayloads(b) {
		if s.v == 200 && len(s.p) > 2 && s.p[0] == '3' && s.p[1] == 0 {
			payload = s.p
			break
		}
	}
	if payload == nil {
		b.Fatal("no placeOrder payload captured")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeRequest(200, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeOpenOrder(b *testing.B) {
	c, o, s := sampleOpenOrder()
	e := Encoder{V: 200}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = e.OpenOrder(7, c, o, s)
	}
}

func BenchmarkDecodePlaceOrderProto(b *testing.B) {
	var payload []byte
	for _, s := range seedPayloads(b) {
		if s.v == 222 && len(s.p) > 4 && int64(binary.BigEndian.Uint32(s.p)) == ibapi.PLACE_ORDER+ibapi.PROTOBUF_MSG_ID {
			payload = s.p
			break
		}
	}
	if payload == nil {
		b.Fatal("no protobuf placeOrder payload captured")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeRequest(222, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeOpenOrderProto(b *testing.B) {
	c, o, s := sampleOpenOrder()
	e := Encoder{V: 222}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = e.OpenOrder(7, c, o, s)
	}
}
