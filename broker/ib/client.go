package ib

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

var _ broker.Broker = (*Client)(nil)

// Client is the Interactive Brokers broker.Broker. Create it with New, start
// it with Open, stop it with Close. It is safe for concurrent use.
//
// Goroutines and their owners: the supervisor (started by Open, stopped by
// Close through the client's context) owns each session; a session owns its
// relay's goroutines and its EClient's (which end when the relay closes the
// EClient's socket; the supervisor waits for ibapi's ConnectionClosed).
type Client struct {
	cfg   Config
	log   zerolog.Logger
	pace  *pacer
	reqID atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	emitMu sync.RWMutex
	closed bool
	events chan broker.Event

	mu       sync.Mutex
	sess     *session // the ready session, nil when none
	account  string
	nextID   int64
	orders   map[string]*order // by ref: every order placed through this client
	byID     map[int64]*order  // by order id of this client id
	unknown  map[string]bool   // refs whose outcome is unknown
	fills    map[string]*broker.Fill
	reported map[string]bool // exec ids already reported as FillEvents
	commSeen map[string]bool // exec ids whose commission was reported
	pending  map[int64]*request
	openReq  *request // the reqAllOpenOrders in flight
	sessions int

	openMu sync.Mutex // one reqAllOpenOrders at a time
	posMu  sync.Mutex // one positions resync (or resubscription) at a time

	tap func([]byte) bool // set by tests before Open: sees every server frame, drops it on false
}

// New returns a client for cfg with defaults filled in. It does not connect.
func New(cfg Config) *Client {
	cfg.fillDefaults()
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger.With().Str("component", "broker/ib").Logger(),
		events:   make(chan broker.Event, cfg.EventBuffer),
		orders:   map[string]*order{},
		byID:     map[int64]*order{},
		unknown:  map[string]bool{},
		fills:    map[string]*broker.Fill{},
		reported: map[string]bool{},
		commSeen: map[string]bool{},
		pending:  map[int64]*request{},
	}
	// Request ids live far above order ids: TWS reports errors for both
	// through the same id field.
	c.reqID.Store(1_000_000_000)
	return c
}

// Open validates the configuration, connects to TWS and returns once the
// session is ready: managed accounts and the next valid order id received,
// open orders and executions read. After that a supervisor keeps a session
// up until Close, reconnecting with backoff.
func (c *Client) Open(ctx context.Context) error {
	if err := c.cfg.Validate(); err != nil {
		return err
	}
	if err := checkDecoderLayout(); err != nil {
		return err
	}
	c.pace = newPacer(c.cfg.Pacing, time.Now)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	s, err := c.connect(ctx)
	if err != nil {
		c.cancel()
		c.closeEvents()
		return fmt.Errorf("ib: open %s: %w", c.cfg.Addr, err)
	}
	c.emit(broker.ConnectivityEvent{Time: c.cfg.Now(), State: broker.Connected,
		Reason: fmt.Sprintf("session to %s ready (account %s, server version %d)", c.cfg.Addr, c.AccountID(), s.version)})
	c.wg.Add(1)
	go c.supervise(s)
	return nil
}

// Close stops the supervisor and the session, waits for every goroutine
// the client started, and closes the Events channel.
func (c *Client) Close() error {
	if c.cancel == nil {
		return nil
	}
	c.cancel()
	c.wg.Wait()
	c.closeEvents()
	return nil
}

// Events implements broker.EventSource.
func (c *Client) Events() <-chan broker.Event { return c.events }

// AccountID is the account id orders go to ("" before Open).
func (c *Client) AccountID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.account
}

// ServerVersion is the TWS API server version negotiated by the ready
// session, 0 when no session is ready.
func (c *Client) ServerVersion() int {
	if s := c.ready(); s != nil {
		return s.version
	}
	return 0
}

func (c *Client) closeEvents() {
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.events)
	}
}

// emit sends ev, blocking while the buffer is full, until Close. Never call
// it with c.mu held.
func (c *Client) emit(ev broker.Event) {
	c.emitMu.RLock()
	defer c.emitMu.RUnlock()
	if c.closed {
		return
	}
	select {
	case c.events <- ev:
	case <-c.ctx.Done():
	}
}

func (c *Client) emitError(err error) {
	c.log.Warn().Err(err).Msg("broker error")
	c.emit(broker.ErrorEvent{Time: c.cfg.Now(), Err: err})
}

// ready returns the ready session or nil.
func (c *Client) ready() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// send paces one request to TWS on s and runs it, unless s is gone.
func (c *Client) send(ctx context.Context, s *session, f func(ec *ibapi.EClient)) error {
	if err := c.pace.wait(ctx); err != nil {
		return err
	}
	select {
	case <-s.down:
		return fmt.Errorf("session %d is down: %w", s.n, broker.ErrNotConnected)
	default:
	}
	f(s.ec)
	return nil
}

func (c *Client) newReqID() int64 { return c.reqID.Add(1) }
