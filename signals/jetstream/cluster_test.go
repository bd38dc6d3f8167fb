package jetstream_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

// TestClusterLosesNothingWhenANodeDies publishes a burst of events to a
// stream replicated on three nodes, kills the stream's leader in the middle
// of it, and publishes the whole burst a second time (as a second worker of
// a queue group would): the stream holds every event exactly once, in order.
func TestClusterLosesNothingWhenANodeDies(t *testing.T) {
	ctx := context.Background()
	c, err := jetstream.StartCluster(ctx, "rotor-test", 3, t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	nc, err := jetstream.Connect(ctx, jetstream.ConnConfig{URL: c.ClientURLs(), Name: "publisher", ReconnectWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := natsjs.New(nc)
	stream, err := c.EnsureStream(ctx, js, jetstream.StreamConfig{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{AckWait: 500 * time.Millisecond})
	const n = 40
	publish := func(i int) {
		t.Helper()
		if _, err := pub.Publish(ctx, "leadership", fmt.Sprintf("event-%02d", i), []byte(fmt.Sprintf(`{"n":%d}`, i)), nil); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	var killed string
	for i := range n {
		if i == n/3 {
			info, err := stream.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			killed = info.Cluster.Leader
			c.Node(killed).Shutdown()
		}
		publish(i)
	}
	for i := range n { // the second worker
		publish(i)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != n || info.Cluster.Leader == killed {
		t.Fatalf("stream holds %d messages (want %d), leader %s (killed %s)", info.State.Msgs, n, info.Cluster.Leader, killed)
	}
	for seq := uint64(1); seq <= n; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("event-%02d", seq-1); m.Header.Get("Nats-Msg-Id") != want {
			t.Fatalf("message %d is %s, want %s", seq, m.Header.Get("Nats-Msg-Id"), want)
		}
	}
}
