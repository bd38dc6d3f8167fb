package ib

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// session is one TCP connection to TWS with its own relay and EClient.
type session struct {
	n       int
	ec      *ibapi.EClient
	relay   *relay
	version int

	down      chan struct{} // closed when the session is lost or closed
	downOnce  sync.Once
	libClosed chan struct{} // closed by ibapi's ConnectionClosed callback
	libOnce   sync.Once

	accounts chan []string // managedAccounts
	nextIDs  chan int64    // every nextValidId
	control  chan int64    // 1100/1101/1102/1300 for the supervisor

	live atomic.Pointer[liveView] // the account as its subscriptions report it; nil until ready
}

// markDown ends the session; its live view is never served again.
func (s *session) markDown() {
	s.downOnce.Do(func() {
		close(s.down)
		if v := s.live.Load(); v != nil {
			v.retire(fmt.Errorf("session %d is down: %w", s.n, broker.ErrNotConnected))
		}
	})
}

// connect dials TWS, runs the handshake through a fresh relay and EClient
// and makes the session ready; ctx and ConnectTimeout bound it all.
func (c *Client) connect(ctx context.Context) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	c.mu.Lock()
	c.sessions++
	n := c.sessions
	c.mu.Unlock()

	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	s := &session{n: n, down: make(chan struct{}), libClosed: make(chan struct{}),
		accounts: make(chan []string, 1), nextIDs: make(chan int64, 8), control: make(chan int64, 16)}
	s.relay, err = startRelay(up, c.cfg.ConnectTimeout, c.cfg.Pacing, func(name string, err error) {
		c.emitError(fmt.Errorf("ib: session %d: dropped a malformed %s frame from TWS: %w", n, name, err))
	}, c.tap)
	if err != nil {
		up.Close()
		return nil, err
	}
	s.ec = ibapi.NewEClient(&wrapper{c: c, s: s})
	host, port := s.relay.addr()
	connected := make(chan error, 1)
	go func() { connected <- s.ec.Connect(host, port, c.cfg.ClientID) }()

	fail := func(err error) (*session, error) {
		c.teardown(s)
		return nil, err
	}
	select {
	case err := <-connected:
		if err != nil {
			s.libOnce.Do(func() { close(s.libClosed) }) // no EClient goroutines to wait for
			return fail(fmt.Errorf("handshake: %w (%v)", err, s.relay.reason()))
		}
	case <-ctx.Done():
		s.relay.close()
		if err := <-connected; err != nil {
			s.libOnce.Do(func() { close(s.libClosed) })
		}
		return fail(fmt.Errorf("handshake: %w", ctx.Err()))
	}
	s.version = int(s.relay.version.Load())
	go func() { // the relay's end is the session's end
		<-s.relay.done
		s.markDown()
	}()

	if err := c.handshakeReady(ctx, s); err != nil {
		return fail(err)
	}
	if err := c.reconcile(ctx, s, n > 1); err != nil {
		return fail(fmt.Errorf("reconcile: %w", err))
	}
	if err := c.subscribe(ctx, s); err != nil {
		return fail(fmt.Errorf("subscribe to positions and account summary: %w", err))
	}
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
	c.log.Info().Int("session", n).Int("server_version", s.version).Str("account", c.AccountID()).Msg("session ready")
	return s, nil
}

// handshakeReady waits for managedAccounts and nextValidId, picks the
// account, then asks for the next valid id explicitly (reqIds) and waits for
// the answer, so that no order id of an earlier session is reused.
func (c *Client) handshakeReady(ctx context.Context, s *session) error {
	var accounts []string
	gotID := false
	for accounts == nil || !gotID {
		select {
		case accounts = <-s.accounts:
		case <-s.nextIDs:
			gotID = true
		case <-s.down:
			return fmt.Errorf("waiting for managed accounts and next order id: %w (%v)", broker.ErrNotConnected, s.relay.reason())
		case <-ctx.Done():
			return fmt.Errorf("waiting for managed accounts and next order id: %w", ctx.Err())
		}
	}
	if len(accounts) == 0 {
		return errors.New("TWS reported no managed account")
	}
	acct := c.cfg.Account
	if acct == "" {
		acct = accounts[0]
	} else if !slices.Contains(accounts, acct) {
		return fmt.Errorf("account %s is not among the managed accounts %v", acct, accounts)
	}
	c.mu.Lock()
	c.account = acct
	c.mu.Unlock()
	id, err := c.freshOrderID(ctx, s)
	if err != nil {
		return err
	}
	// At the start of a session TWS's answer is the authority on which ids
	// are free; within the session ids only grow.
	c.mu.Lock()
	c.nextID = id
	c.mu.Unlock()
	return nil
}

// freshOrderID sends reqIds and waits for the next nextValidId; the
// client's id counter never goes down.
func (c *Client) freshOrderID(ctx context.Context, s *session) (int64, error) {
	for drained := false; !drained; {
		select {
		case <-s.nextIDs:
		default:
			drained = true
		}
	}
	if err := c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqIDs(1) }); err != nil {
		return 0, err
	}
	t := time.NewTimer(c.cfg.RequestTimeout)
	defer t.Stop()
	select {
	case id := <-s.nextIDs:
		return id, nil
	case <-s.down:
		return 0, fmt.Errorf("waiting for the next order id: %w", broker.ErrNotConnected)
	case <-ctx.Done():
		return 0, fmt.Errorf("waiting for the next order id: %w", ctx.Err())
	case <-t.C:
		return 0, fmt.Errorf("no next order id within %v", c.cfg.RequestTimeout)
	}
}

// teardown closes the session's relay (which closes the EClient's socket)
// and waits for ibapi to finish its own shutdown.
func (c *Client) teardown(s *session) {
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	c.mu.Unlock()
	s.markDown()
	s.relay.close()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-s.libClosed:
	case <-t.C:
		c.log.Error().Int("session", s.n).Msg("ibapi did not report its shutdown within 10s")
	}
}

// supervise keeps a session up until Close.
func (c *Client) supervise(s *session) {
	defer c.wg.Done()
	for {
		why := c.watch(s)
		c.teardown(s)
		if c.ctx.Err() != nil {
			return
		}
		c.emit(broker.ConnectivityEvent{Time: c.cfg.Now(), State: broker.Disconnected,
			Reason: fmt.Sprintf("session %d lost: %v", s.n, why)})
		c.log.Warn().Int("session", s.n).Err(why).Msg("session lost; reconnecting")
		s = c.reconnect()
		if s == nil {
			return
		}
		c.emit(broker.ConnectivityEvent{Time: c.cfg.Now(), State: broker.Restored,
			Reason: fmt.Sprintf("session %d ready after reconnect; open orders and executions re-read", s.n)})
	}
}

// watch runs until the session is lost (or Close) and handles TWS's
// connectivity codes meanwhile.
func (c *Client) watch(s *session) error {
	for {
		select {
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-s.down:
			return s.relay.reason()
		case code := <-s.control:
			switch code {
			case codeConnectivityLost:
				c.mu.Lock()
				if c.sess == s {
					c.sess = nil
				}
				c.mu.Unlock()
				c.emit(broker.ConnectivityEvent{Time: c.cfg.Now(), State: broker.Disconnected,
					Reason: "1100: connectivity between TWS and IB lost; orders refused until restored"})
			case codeRestoredDataKept, codeRestoredDataLost:
				state, reason := broker.Restored, "1102: connectivity restored, data maintained"
				if code == codeRestoredDataLost {
					state, reason = broker.DataLost, "1101: connectivity restored, data lost; open orders and executions re-read"
					if err := c.reconcile(c.ctx, s, true); err != nil {
						return fmt.Errorf("reconcile after 1101: %w", err)
					}
					if err := c.subscribe(c.ctx, s); err != nil {
						return fmt.Errorf("subscribe after 1101: %w", err)
					}
				}
				c.mu.Lock()
				c.sess = s
				c.mu.Unlock()
				c.emit(broker.ConnectivityEvent{Time: c.cfg.Now(), State: state, Reason: reason})
			case codeSocketPortReset:
				return errors.New("1300: TWS reset its socket port")
			}
		}
	}
}

// reconnect retries connect with exponential backoff and full jitter until
// it succeeds or the client closes (nil).
func (c *Client) reconnect() *session {
	delay := c.cfg.ReconnectMin
	for attempt := 1; ; attempt++ {
		wait := delay // equal jitter: half fixed, half random
		if half := delay / 2; half > 0 {
			wait = half + time.Duration(rand.Int64N(int64(delay-half)+1))
		}
		t := time.NewTimer(wait)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		s, err := c.connect(c.ctx)
		if err == nil {
			return s
		}
		if c.ctx.Err() != nil {
			return nil
		}
		c.log.Warn().Int("attempt", attempt).Err(err).Dur("backoff", wait).Msg("reconnect failed")
		delay = min(max(delay*2, time.Millisecond), c.cfg.ReconnectMax)
	}
}
