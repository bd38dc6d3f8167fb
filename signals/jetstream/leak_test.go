package jetstream_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

// TestNoGoroutineLeak runs a server, a connection, a publish and an outage
// with a retried publish, then checks that Drain and Shutdown leave no
// goroutine behind.
func TestNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx := context.Background()
	dir := t.TempDir()

	e, err := jetstream.StartEmbedded(ctx, jetstream.EmbeddedConfig{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	port := portOf(t, e.ClientURL())
	nc, err := jetstream.Connect(ctx, jetstream.ConnConfig{URL: e.ClientURL(), ReconnectWait: 10 * time.Millisecond, ReconnectWaitMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	js := MustJetStream(t, nc)
	MustEnsureStream(t, js, jetstream.StreamConfig{})
	pub := jetstream.NewPublisher(js, jetstream.PublisherConfig{Retry: fastRetry})
	if _, err := pub.Publish(ctx, "leadership", "ev-1", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	stopServer(t, e, nc)
	if e, err = jetstream.StartEmbedded(ctx, jetstream.EmbeddedConfig{StoreDir: dir, Port: port}); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(ctx, "leadership", "ev-2", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}

	if err := jetstream.Drain(ctx, nc); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	e.Shutdown()
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := runtime.NumGoroutine(); n > base {
			buf := make([]byte, 1<<16)
			return fmt.Errorf("%d goroutines after Shutdown, %d before start:\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}
