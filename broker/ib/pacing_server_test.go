package ib_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim/wire"
)

// countingTWS is a minimal TWS that answers what a session needs and
// records when each client message arrived.
type countingTWS struct {
	ln   net.Listener
	mu   sync.Mutex
	at   []time.Time
	done chan struct{}
}

func startCountingTWS(t *testing.T) *countingTWS {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &countingTWS{ln: ln, done: make(chan struct{})}
	go s.serve()
	t.Cleanup(func() { ln.Close(); <-s.done })
	return s
}

func (s *countingTWS) serve() {
	defer close(s.done)
	conn, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := wire.ReadHello(conn); err != nil {
		return
	}
	const v = wire.Version(200)
	enc := wire.Encoder{V: v}
	conn.Write(wire.HelloReply(v, time.Now()))
	go func() { <-s.doneListening(); conn.Close() }()
	// Arrivals are stamped by a goroutine that only reads, so that the
	// time answering takes (long under the race detector) does not push
	// the stamps of the frames queued behind it later.
	frames := make(chan []byte, 1024)
	go func() {
		defer close(frames)
		for {
			p, err := wire.ReadFrame(conn)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.at = append(s.at, time.Now())
			s.mu.Unlock()
			frames <- p
		}
	}()
	for p := range frames {
		req, err := wire.DecodeRequest(v, p)
		if err != nil {
			continue
		}
		switch r := req.(type) {
		case wire.StartAPI:
			conn.Write(append(enc.ManagedAccounts([]string{"DU1"}), enc.NextValidID(1)...))
		case wire.ReqIDs:
			conn.Write(enc.NextValidID(1))
		case wire.ReqAllOpenOrders:
			conn.Write(enc.OpenOrderEnd())
		case wire.ReqExecutions:
			conn.Write(enc.ExecDetailsEnd(r.ReqID))
		case wire.ReqContractDetails:
			conn.Write(enc.Error(r.ReqID, 200, "No security definition has been found for the request", "", time.Now()))
		}
	}
}

// doneListening is closed when the test closes the listener.
func (s *countingTWS) doneListening() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		for {
			if _, err := s.ln.Accept(); err != nil {
				close(ch)
				return
			}
		}
	}()
	return ch
}

func (s *countingTWS) arrivals() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.at...)
}

// TestPacingAtTheServer fires many requests at once and counts, at the
// server, the messages in every one-second window that starts at an arrival.
func TestPacingAtTheServer(t *testing.T) {
	tws := startCountingTWS(t)
	c := ib.New(ib.Config{Addr: tws.ln.Addr().String(), ClientID: 1})
	if err := c.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer c.Close()
	go func() {
		for range c.Events() {
		}
	}()
	const calls = 130
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ResolveStock(context.Background(), "ZZZ"); !errors.Is(err, broker.ErrNoSecurityDefinition) {
				t.Errorf("ResolveStock err=%v, want ErrNoSecurityDefinition", err)
			}
		}()
	}
	wg.Wait()
	at := tws.arrivals()
	if len(at) < calls {
		t.Fatalf("server saw %d messages, want at least %d", len(at), calls)
	}
	worst := 0
	for i := range at {
		n := 0
		for _, a := range at[i:] {
			if a.Before(at[i].Add(time.Second)) {
				n++
			}
		}
		worst = max(worst, n)
	}
	// 50 is the rule; 3 more absorbs loopback delivery jitter bunching a
	// few paced messages together.
	if worst > ib.MaxPacing+3 {
		t.Fatalf("%d messages in one second at the server, want at most %d", worst, ib.MaxPacing)
	}
	t.Logf("busiest second at the server: %d messages", worst)
}

func TestOpenRejectsPacingAboveLimit(t *testing.T) {
	c := ib.New(ib.Config{Addr: "127.0.0.1:1", Pacing: 51})
	if err := c.Open(context.Background()); err == nil {
		c.Close()
		t.Fatal("Open with pacing 51 succeeded, want an error")
	}
}
