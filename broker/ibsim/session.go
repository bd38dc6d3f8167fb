package ibsim

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rotor-trading/rotor/broker/ibsim/wire"
	"github.com/rs/zerolog"
)

// session is one client connection. run reads and handles requests;
// writeLoop sends what the server queues, so a slow client never blocks
// the book or other clients, and nothing queued is dropped.
type session struct {
	srv  *Server
	conn net.Conn
	log  zerolog.Logger
	enc  wire.Encoder

	mu       sync.Mutex
	queue    [][]byte
	wake     chan struct{}
	closed   bool
	draining bool  // close once the queue is written
	id       int64 // client id, -1 until startApi
	isStart  bool
	autoBind bool
	posSub   bool
	acctSub  bool
	sumSubs  map[int64][]string // account summary subscriptions: req id -> tags
}

func newSession(srv *Server, conn net.Conn) *session {
	return &session{srv: srv, conn: conn, id: -1, wake: make(chan struct{}, 1), sumSubs: make(map[int64][]string),
		log: srv.log.With().Str("remote", conn.RemoteAddr().String()).Logger()}
}

// started reports whether the client has sent startApi and the session is
// not ending: a session being closed neither holds its client id nor gets
// new messages.
func (ss *session) started() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.isStart && !ss.closed && !ss.draining
}

func (ss *session) clientID() int64 {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.id
}

// send queues frames for the client. It never blocks.
func (ss *session) send(frames ...[]byte) {
	ss.mu.Lock()
	if !ss.closed {
		ss.queue = append(ss.queue, frames...)
	}
	ss.mu.Unlock()
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

// close drops the connection; the loops end on their own.
func (ss *session) close() {
	ss.mu.Lock()
	already := ss.closed
	ss.closed = true
	ss.mu.Unlock()
	if !already {
		ss.conn.Close()
		select {
		case ss.wake <- struct{}{}:
		default:
		}
	}
}

// finish closes the connection once everything queued has been written,
// so a client told why it is being dropped (326) hears it.
func (ss *session) finish() {
	ss.mu.Lock()
	ss.draining = true
	ss.mu.Unlock()
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

func (ss *session) writeLoop() {
	defer ss.srv.wg.Done()
	defer ss.close()
	w := bufio.NewWriter(ss.conn)
	for range ss.wake {
		ss.mu.Lock()
		frames, closed, draining := ss.queue, ss.closed, ss.draining
		ss.queue = nil
		ss.mu.Unlock()
		if closed {
			return
		}
		for _, f := range frames {
			if _, err := w.Write(f); err != nil {
				ss.close()
				return
			}
		}
		if err := w.Flush(); err != nil {
			ss.close()
			return
		}
		if draining {
			return
		}
	}
}

func (ss *session) run() {
	defer ss.srv.wg.Done()
	defer ss.srv.remove(ss)
	defer ss.finish()
	r := bufio.NewReaderSize(ss.conn, 64<<10)

	ss.conn.SetReadDeadline(time.Now().Add(handshakeTimeout))
	hello, err := wire.ReadHello(r)
	if err != nil {
		ss.log.Warn().Err(err).Msg("closing connection: bad handshake")
		return
	}
	v, err := wire.Negotiate(hello, ss.srv.cfg.MaxVersion)
	if err != nil {
		ss.log.Warn().Err(err).Msg("closing connection: no common version")
		return
	}
	ss.conn.SetReadDeadline(time.Time{})
	ss.enc = wire.Encoder{V: v}
	ss.log = ss.log.With().Int("version", int(v)).Logger()
	ss.send(wire.HelloReply(v, ss.srv.cfg.Now()))
	ss.log.Debug().Str("client_range", fmt.Sprintf("%d..%d", hello.Min, hello.Max)).Msg("handshake done")

	for {
		payload, err := wire.ReadFrame(r)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && ss.srv.ctx.Err() == nil {
				ss.log.Debug().Err(err).Msg("client connection ended")
			}
			return
		}
		if !ss.handleFrame(v, payload) {
			return
		}
	}
}

// handleFrame decodes and serves one request. A malformed request gets
// error 320 naming what was wrong; a panic while serving (a bug) is
// reported to the client as 321 and logged, and the session goes on: one
// bad request must not take down the server or other clients.
func (ss *session) handleFrame(v wire.Version, payload []byte) (keep bool) {
	defer func() {
		if p := recover(); p != nil {
			ss.log.Error().Interface("panic", p).Msg("paper broker bug while serving a request")
			ss.send(ss.enc.Error(-1, 321, fmt.Sprintf("Error validating request: paper broker internal error: %v", p), "", ss.srv.cfg.Now()))
			keep = true
		}
	}()
	req, err := wire.DecodeRequest(v, payload)
	if err != nil {
		ss.log.Warn().Err(err).Msg("malformed request")
		ss.send(ss.enc.Error(-1, 320, "Error reading request: "+err.Error(), "", ss.srv.cfg.Now()))
		return true
	}
	if _, ok := req.(wire.StartAPI); !ok && !ss.started() {
		ss.send(ss.enc.Error(-1, 321, "Error validating request: startApi must come first", "", ss.srv.cfg.Now()))
		return true
	}
	return ss.handle(req)
}
