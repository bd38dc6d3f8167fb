package service_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/signals/jetstream"
)

// BenchmarkFloor is the floor of BenchmarkEventToOrder's path, measured the
// same way on the same machine, so that the two compare (see floorPath).
// "paused" waits between events as the harness does (it must, to stay
// within IB's pacing); "back_to_back" does not, which is the floor's best
// case. BenchmarkEventToOrder also runs the floor, interleaved with its own
// events, and reports the ratio.
func BenchmarkFloor(b *testing.B) {
	for _, pause := range []time.Duration{250 * time.Millisecond, 0} {
		name := "paused"
		if pause == 0 {
			name = "back_to_back"
		}
		b.Run(name, func(b *testing.B) {
			f := newFloorPath(b, newWorld(b))
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f.ready(b)
				time.Sleep(pause)
				b.StartTimer()
				lat = append(lat, f.once(b, i))
			}
			reportQuantiles(b, "", lat)
		})
	}
}

// floorSubject is where the floor's events go: in the service's stream, but
// not on its subject, so a service in the same world never sees them.
const floorSubject = "floor"

// floorPath is the floor of the event-to-order path: the same signed event
// published on the same JetStream (file store) → taken by a durable consumer
// with one message in flight, pulled one at a time as the service does →
// one small audit row committed (fsync'd) in a log of its own beside the
// service's → a 300-byte frame written to a loopback socket and read on the
// other side. Nothing is decoded, checked, decided or recorded beyond that.
type floorPath struct {
	w                *world
	log              *audit.Log
	cons             natsjs.Consumer
	batch            natsjs.MessageBatch
	sender, receiver net.Conn
	data, frame, got []byte
}

func newFloorPath(tb testing.TB, w *world) *floorPath {
	tb.Helper()
	ctx := context.Background()
	f := &floorPath{w: w, data: mustMarshalSigned(tb, w, w.latest(tb)), frame: make([]byte, 300), got: make([]byte, 300)}
	var err error
	if f.log, err = audit.Open(ctx, filepath.Join(filepath.Dir(w.auditDB), "floor.db"), audit.Options{}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.log.Close() })
	if f.cons, err = w.js.CreateOrUpdateConsumer(ctx, jetstream.DefaultStreamName, natsjs.ConsumerConfig{
		Durable: "floor", FilterSubject: jetstream.DefaultSubjectPrefix + floorSubject,
		DeliverPolicy: natsjs.DeliverNewPolicy, AckPolicy: natsjs.AckExplicitPolicy, MaxAckPending: 1,
	}); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	if f.sender, err = net.Dial("tcp", ln.Addr().String()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.sender.Close() })
	if f.receiver, err = ln.Accept(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.receiver.Close() })
	return f
}

// ready sends the pull request the next event will be delivered to, as the
// service has one waiting between events.
func (f *floorPath) ready(tb testing.TB) {
	var err error
	if f.batch, err = f.cons.Fetch(1, natsjs.FetchMaxWait(30*time.Second)); err != nil {
		tb.Fatal(err)
	}
}

// once runs event i through the floor after ready and returns its latency;
// the acknowledgement that follows is not counted.
func (f *floorPath) once(tb testing.TB, i int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	if _, err := f.w.pub.Publish(ctx, floorSubject, fmt.Sprintf("floor-%d", i), f.data, nil); err != nil {
		tb.Fatal(err)
	}
	msg, ok := <-f.batch.Messages()
	if !ok {
		tb.Fatalf("floor event %d not delivered: %v", i, f.batch.Error())
	}
	if _, err := f.log.Append(ctx, audit.Entry{Kind: audit.KindOrderIntent, OrderRef: fmt.Sprintf("floor-%d", i),
		Account: rigAccount, Payload: map[string]any{"side": "BUY", "quantity": 1}}); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.sender.Write(f.frame); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadFull(f.receiver, f.got); err != nil {
		tb.Fatal(err)
	}
	d := time.Since(start)
	if err := msg.DoubleAck(ctx); err != nil {
		tb.Fatal(err)
	}
	return d
}
