package service_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/signals/jetstream"
)

// BenchmarkFloor is the floor of BenchmarkEventToOrder's path, measured the
// same way on the same machine, so that the two compare: the same signed
// event published on the same JetStream (file store) → taken by a durable
// consumer with one message in flight → one small audit row committed
// (fsync'd) → a 300-byte frame written to a loopback socket and read on the
// other side. Nothing is decoded, checked, decided or recorded beyond that.
// "paused" waits between events as the harness does (it must, to stay
// within IB's pacing); "back_to_back" does not, which is the floor's best
// case.
func BenchmarkFloor(b *testing.B) {
	for _, pause := range []time.Duration{250 * time.Millisecond, 0} {
		name := "paused"
		if pause == 0 {
			name = "back_to_back"
		}
		b.Run(name, func(b *testing.B) { benchFloor(b, pause) })
	}
}

func benchFloor(b *testing.B, pause time.Duration) {
	w := newWorld(b)
	l := w.openLog(b)
	ctx := context.Background()
	cons, err := w.js.CreateOrUpdateConsumer(ctx, jetstream.DefaultStreamName, natsjs.ConsumerConfig{
		Durable: "floor", FilterSubject: jetstream.DefaultSubjectPrefix + service.DefaultSubject,
		DeliverPolicy: natsjs.DeliverNewPolicy, AckPolicy: natsjs.AckExplicitPolicy, MaxAckPending: 1,
	})
	if err != nil {
		b.Fatal(err)
	}
	it, err := cons.Messages(natsjs.PullMaxMessages(1))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(it.Stop)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	sender, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sender.Close() })
	receiver, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { receiver.Close() })
	data := mustMarshalSigned(b, w, w.latest(b))
	frame, got := make([]byte, 300), make([]byte, 300)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		time.Sleep(pause)
		b.StartTimer()
		start := time.Now()
		w.publishRaw(b, fmt.Sprintf("floor-%d", i), data)
		msg, err := it.Next()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Append(ctx, audit.Entry{Kind: audit.KindOrderIntent, OrderRef: fmt.Sprintf("floor-%d", i),
			Account: rigAccount, Payload: map[string]any{"side": "BUY", "quantity": 1}}); err != nil {
			b.Fatal(err)
		}
		if _, err := sender.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(receiver, got); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		b.StopTimer()
		if err := msg.DoubleAck(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportQuantiles(b, "", lat)
}
