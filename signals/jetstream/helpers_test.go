package jetstream_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

// checkFor calls f every `every` until it returns nil or total has passed, and
// fails the test with f's last error then.
func checkFor(tb testing.TB, total, every time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(every)
	}
	tb.Fatalf("checkFor: still failing after %s: %v", total, err)
}

// MustStartServer starts an embedded server on storeDir and port (0: random)
// that is shut down when the test ends.
func MustStartServer(tb testing.TB, storeDir string, port int) *jetstream.Embedded {
	tb.Helper()
	e, err := jetstream.StartEmbedded(context.Background(), jetstream.EmbeddedConfig{StoreDir: storeDir, Port: port})
	if err != nil {
		tb.Fatalf("StartEmbedded: %v", err)
	}
	tb.Cleanup(e.Shutdown)
	return e
}

// portOf is the port of a client URL.
func portOf(tb testing.TB, rawURL string) int {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// MustConnect connects to url with quick reconnects, closing the connection
// when the test ends.
func MustConnect(tb testing.TB, rawURL string) *nats.Conn {
	tb.Helper()
	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{
		URL:              rawURL,
		Name:             tb.Name(),
		ConnectTimeout:   2 * time.Second,
		ReconnectWait:    10 * time.Millisecond,
		ReconnectWaitMax: 50 * time.Millisecond,
	})
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// MustJetStream is a JetStream context on nc.
func MustJetStream(tb testing.TB, nc *nats.Conn) natsjs.JetStream {
	tb.Helper()
	js, err := natsjs.New(nc)
	if err != nil {
		tb.Fatalf("jetstream.New: %v", err)
	}
	return js
}

// MustEnsureStream ensures the default signals stream.
func MustEnsureStream(tb testing.TB, js natsjs.JetStream, cfg jetstream.StreamConfig) natsjs.Stream {
	tb.Helper()
	s, err := jetstream.EnsureStream(context.Background(), js, cfg)
	if err != nil {
		tb.Fatalf("EnsureStream: %v", err)
	}
	return s
}

// streamMsgs is the stream's message count as the server sees it now.
func streamMsgs(tb testing.TB, js natsjs.JetStream, name string) uint64 {
	tb.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		tb.Fatalf("Stream(%s): %v", name, err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		tb.Fatalf("Info: %v", err)
	}
	return info.State.Msgs
}

// syncBuffer is a log sink that tests read while a publisher writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// stopServer shuts e down and waits until nc has noticed, so that a test's
// next publish meets a reconnecting client rather than racing the disconnect
// (a request written before the client sees the socket close waits out its
// whole ack timeout).
func stopServer(tb testing.TB, e *jetstream.Embedded, nc *nats.Conn) {
	tb.Helper()
	e.Shutdown()
	checkFor(tb, 10*time.Second, 5*time.Millisecond, func() error {
		if st := nc.Status(); st == nats.CONNECTED {
			return fmt.Errorf("client still %v", st)
		}
		return nil
	})
}
