package service_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// pullDropper is a NATS proxy on loopback that forwards a client's
// connections to a server and can lose one JetStream pull request on the
// way (a publish to $JS.API.CONSUMER.MSG.NEXT.…), as a server that forgets
// a waiting pull does.
type pullDropper struct {
	ln      net.Listener
	target  string
	armed   atomic.Bool
	dropped chan struct{}
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
}

// newPullDropper proxies to target (host:port) until the test ends.
func newPullDropper(tb testing.TB, target string) *pullDropper {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &pullDropper{ln: ln, target: target, dropped: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

// url is the proxy's client URL.
func (p *pullDropper) url() string { return "nats://" + p.ln.Addr().String() }

// dropNextPull loses the next pull request any client sends; dropped is
// closed when it has. A proxy drops one pull in its life: call it once.
func (p *pullDropper) dropNextPull() { p.armed.Store(true) }

func (p *pullDropper) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(c, s); c.Close() }()
		go func() { defer p.wg.Done(); p.clientToServer(c, s); s.Close() }()
	}
}

var pullSubject = []byte("$JS.API.CONSUMER.MSG.NEXT.")

// clientToServer forwards the client's protocol line by line, with each
// publish's payload, leaving out the armed pull request.
func (p *pullDropper) clientToServer(c, s net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		var payload []byte
		if f := bytes.Fields(line); len(f) >= 3 && (string(f[0]) == "PUB" || string(f[0]) == "HPUB") {
			n, err := strconv.Atoi(string(f[len(f)-1]))
			if err != nil {
				return // not NATS: the client's end sees the connection go
			}
			payload = make([]byte, n+2) // the payload and its CRLF
			if _, err := io.ReadFull(r, payload); err != nil {
				return
			}
			if bytes.HasPrefix(f[1], pullSubject) && p.armed.CompareAndSwap(true, false) {
				close(p.dropped)
				continue
			}
		}
		if _, err := s.Write(append(line, payload...)); err != nil {
			return
		}
	}
}

func (p *pullDropper) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
