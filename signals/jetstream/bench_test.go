package jetstream_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

// BenchmarkPublish measures one publish and its JetStream ack against the
// embedded server with the file store, the path of every signal event.
// Reported: p50 and p99 of the round trip in microseconds. The sync_always
// case fsyncs every write (EmbeddedConfig.SyncAlways).
func BenchmarkPublish(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := "default_sync"
		if sync {
			name = "sync_always"
		}
		b.Run(name, func(b *testing.B) { benchPublish(b, sync) })
	}
}

func benchPublish(b *testing.B, syncAlways bool) {
	e, err := jetstream.StartEmbedded(context.Background(), jetstream.EmbeddedConfig{StoreDir: b.TempDir(), SyncAlways: syncAlways})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Shutdown)
	js := MustJetStream(b, MustConnect(b, e.ClientURL()))
	MustEnsureStream(b, js, jetstream.StreamConfig{})
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{})
	// About the size of a leadership event.
	data := make([]byte, 2048)
	hdr := map[string]string{"Rotor-Schema": "rotor.leadership.v1"}
	ctx := context.Background()

	lat := make([]time.Duration, 0, 1024)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		start := time.Now()
		if _, err := pub.Publish(ctx, "leadership", "ev-"+strconv.Itoa(i), data, hdr); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
}
