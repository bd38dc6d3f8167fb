package ib

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The relay.
//
// ibapi's EClient dials TWS itself, with no deadline, and after a write
// error it silently re-dials the same address and carries on without a new
// handshake, as if the new socket were the old session. Neither is
// acceptable for an order router. So the adapter dials TWS itself (with a
// timeout), and points a fresh EClient at a relay on 127.0.0.1 whose listener
// accepts exactly one connection that starts with the API handshake and then
// closes: a silent re-dial finds nothing listening and fails, the EClient
// shuts down, and the supervisor starts a proper new session with a new
// EClient and a new handshake.
//
// Server→client, the relay reads the handshake reply (which carries the
// negotiated server version), then frames, and forwards a frame only when the
// guard says the decoder can read it. Because it owns both sockets, the
// relay also knows exactly when the TWS socket is lost.
type relay struct {
	up       net.Conn // to TWS
	ln       net.Listener
	down     net.Conn // from the EClient, once accepted
	badFrame func(name string, err error)
	tap      func(p []byte) (keep bool) // sees every server frame after the handshake and may drop it (tests)

	version atomic.Int64  // negotiated server version, 0 until known
	ready   chan struct{} // closed once the version is known
	done    chan struct{} // closed when the relay stops
	errMu   sync.Mutex
	err     error
	once    sync.Once
	wg      sync.WaitGroup
	gate    *pacer       // paces the frames to TWS (see clientToServer)
	sent    atomic.Int64 // client→server frames after the handshake, counted as each is written (tests)
}

// startRelay listens on loopback and starts accepting the EClient's single
// connection; acceptTimeout bounds the wait, and at most perSec frames go to
// TWS in any second.
func startRelay(up net.Conn, acceptTimeout time.Duration, perSec int, badFrame func(string, error), tap func([]byte) bool) (*relay, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ib: relay listen: %w", err)
	}
	r := &relay{up: up, ln: ln, badFrame: badFrame, tap: tap, gate: newPacer(perSec, time.Now),
		ready: make(chan struct{}), done: make(chan struct{})}
	r.wg.Add(1)
	go r.run(acceptTimeout)
	return r, nil
}

// addr is where the EClient must connect.
func (r *relay) addr() (string, int) {
	a := r.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (r *relay) run(acceptTimeout time.Duration) {
	defer r.wg.Done()
	down, err := r.acceptOne(acceptTimeout)
	r.ln.Close()
	if err != nil {
		r.stop(err)
		return
	}
	r.errMu.Lock()
	r.down = down
	r.errMu.Unlock()
	select {
	case <-r.done: // stopped while accepting
		down.Close()
		return
	default:
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.stop(r.clientToServer(down))
	}()
	r.stop(r.serverToClient(down))
}

// acceptOne accepts connections until one starts with "API\0"; anything
// else (a stray or re-dialled socket) is closed.
func (r *relay) acceptOne(timeout time.Duration) (net.Conn, error) {
	deadline := time.Now().Add(timeout)
	r.ln.(*net.TCPListener).SetDeadline(deadline)
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return nil, fmt.Errorf("accept EClient: %w", err)
		}
		c.SetReadDeadline(deadline)
		head := make([]byte, 4)
		if _, err := io.ReadFull(c, head); err != nil || string(head) != "API\x00" {
			c.Close()
			continue
		}
		c.SetReadDeadline(time.Time{})
		if _, err := r.up.Write(head); err != nil {
			c.Close()
			return nil, fmt.Errorf("forward handshake: %w", err)
		}
		return c, nil
	}
}

func (r *relay) serverToClient(down net.Conn) error {
	br := bufio.NewReaderSize(r.up, 64<<10)
	hello, err := readFrame(br)
	if err != nil {
		return fmt.Errorf("TWS socket: handshake reply: %w", err)
	}
	v, err := strconv.Atoi(string(bytes.SplitN(hello, []byte{0}, 2)[0]))
	if err != nil || v <= 0 {
		return fmt.Errorf("TWS handshake reply has no server version: %q", hello)
	}
	r.version.Store(int64(v))
	close(r.ready)
	if err := writeFrame(down, hello); err != nil {
		return fmt.Errorf("client side: %w", err)
	}
	g := newGuard(v)
	for {
		p, err := readFrame(br)
		if err != nil {
			return fmt.Errorf("TWS socket: %w", orEOF(err))
		}
		if r.tap != nil && !r.tap(p) {
			continue
		}
		if name, err := g.check(p); err != nil {
			if !errors.Is(err, errUnconsumed) && r.badFrame != nil {
				r.badFrame(name, err)
			}
			continue
		}
		if err := writeFrame(down, p); err != nil {
			return fmt.Errorf("client side: %w", err)
		}
	}
}

// stop closes both sockets once and records why.
func (r *relay) stop(err error) {
	r.once.Do(func() {
		r.errMu.Lock()
		r.err = err
		down := r.down
		r.errMu.Unlock()
		r.ln.Close()
		r.up.Close()
		if down != nil {
			down.Close()
		}
		close(r.done)
	})
}

// close stops the relay and waits for its goroutines.
func (r *relay) close() {
	r.stop(errors.New("closed by the adapter"))
	r.errMu.Lock()
	if r.down != nil {
		r.down.Close()
	}
	r.errMu.Unlock()
	r.wg.Wait()
}

// reason says why the relay stopped.
func (r *relay) reason() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 0xFFFFFF {
		return nil, fmt.Errorf("frame of %d bytes exceeds the protocol's limit", size)
	}
	p := make([]byte, size)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, err
	}
	return p, nil
}

func writeFrame(w io.Writer, p []byte) error {
	buf := make([]byte, 4+len(p))
	binary.BigEndian.PutUint32(buf, uint32(len(p)))
	copy(buf[4:], p)
	_, err := w.Write(buf)
	return err
}

func orEOF(err error) error {
	if err == nil {
		return io.EOF
	}
	return err
}

// clientToServer forwards the EClient's frames to TWS, each no sooner than
// the pacing allows. The adapter paces its requests as it makes them
// (Client.send), but a request then waits in ibapi's queue and writer for as
// long as the machine is busy, and a late burst would land in the same
// second at TWS as the requests paced after it. Here, where each frame
// leaves for TWS, the count is of the frames themselves; the adapter's own
// pacing keeps this gate from ever holding a frame in normal running.
func (r *relay) clientToServer(down net.Conn) error {
	br := bufio.NewReaderSize(down, 64<<10)
	for {
		p, err := readFrame(br)
		if err != nil {
			return fmt.Errorf("client side closed: %v", orEOF(err))
		}
		if d := r.gate.reserve(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.done:
				t.Stop()
				return errors.New("stopped while pacing a request")
			}
		}
		// Counted before the write: once TWS can answer a frame, the count
		// holds it (a test reads it as soon as the answer arrives).
		r.sent.Add(1)
		if err := writeFrame(r.up, p); err != nil {
			return fmt.Errorf("TWS socket: %w", err)
		}
	}
}
