// Package ibsim is rotor's paper broker: a TCP server that speaks the TWS
// API wire protocol, so the Interactive Brokers adapter, the demo and any
// other TWS API client trade with it exactly as they would with TWS or IB
// Gateway. Its book (orders, fills, positions, cash, margin) is the Engine,
// which has no sockets and is reused in-process by the backtest.
package ibsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rotor-trading/rotor/broker/ibsim/wire"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

// Defaults filled in by Open.
const (
	DefaultListen       = "127.0.0.1:0"
	DefaultAccount      = "DU1000001"
	DefaultCash         = 1_000_000
	DefaultSeed         = 1
	DefaultHistoryYears = 12
	// handshakeTimeout bounds how long a connection may take to say hello.
	handshakeTimeout = 10 * time.Second
)

// DefaultMaxVersion is the highest server version offered unless
// Config.MaxVersion says otherwise: all the wire package speaks, protobuf
// included, since that is what a real TWS negotiates today.
const DefaultMaxVersion = wire.MaxVersion

// Config configures a paper broker server.
type Config struct {
	Listen       string          // address to listen on; DefaultListen when empty
	Account      string          // the account id; a DU... id is a paper account
	StartingCash decimal.Decimal // USD; DefaultCash when zero
	// Now is the simulator's clock: it dates orders and executions, picks
	// the listed expiries and the day's marks. time.Now when nil.
	Now func() time.Time
	// Series are the daily bars the prices come from, by symbol (RUT, GSPC,
	// IWM, XLK...). When nil, a deterministic generated history is used.
	Series        map[string]marketdata.Series
	SlippageTicks int64
	// PartialFillSize splits larger fills into parts of this many contracts.
	PartialFillSize int64
	// MaxVersion caps the server versions offered (DefaultMaxVersion when
	// 0), to test clients at older or protobuf versions (up to
	// wire.MaxVersion).
	MaxVersion wire.Version
	Logger     zerolog.Logger
	// OnOrder, when set, is called with an order's reference as soon as its
	// placeOrder request has been read off a client's socket, before the
	// book sees it: latency benchmarks time "order on the broker's socket"
	// with it. It runs on the session's goroutine and must return quickly.
	OnOrder func(ref string)
}

// Server is a running paper broker. New → Open → Close.
type Server struct {
	cfg    Config
	engine *Engine
	log    zerolog.Logger
	ln     net.Listener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	sessions map[*session]struct{}
	timers   map[*time.Timer]struct{}
	faults   faults
}

// New returns a server for cfg; Open starts it.
func New(cfg Config) *Server {
	return &Server{cfg: cfg, log: cfg.Logger, sessions: make(map[*session]struct{}), timers: make(map[*time.Timer]struct{})}
}

// Open validates the configuration, fills defaults and starts listening.
func (s *Server) Open(ctx context.Context) error {
	c := &s.cfg
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Account == "" {
		c.Account = DefaultAccount
	}
	if c.StartingCash.IsZero() {
		c.StartingCash = decimal.NewFromInt(DefaultCash)
	}
	if c.StartingCash.IsNegative() {
		return fmt.Errorf("ibsim: starting cash %s, want > 0", c.StartingCash)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxVersion == 0 {
		c.MaxVersion = DefaultMaxVersion
	}
	if c.MaxVersion < wire.MinVersion || c.MaxVersion > wire.MaxVersion {
		return fmt.Errorf("ibsim: max version %d, want %d..%d", c.MaxVersion, wire.MinVersion, wire.MaxVersion)
	}
	if c.SlippageTicks < 0 || c.PartialFillSize < 0 {
		return fmt.Errorf("ibsim: slippage ticks %d and partial fill size %d must be >= 0", c.SlippageTicks, c.PartialFillSize)
	}
	if c.Series == nil {
		end := c.Now().UTC()
		c.Series = marketdata.Generate(marketdata.GenConfig{Seed: DefaultSeed, Start: end.AddDate(-DefaultHistoryYears, 0, 0), End: end})
	}
	s.engine = NewEngine(EngineConfig{Account: c.Account, StartingCash: c.StartingCash, Now: c.Now, Series: c.Series,
		SlippageTicks: c.SlippageTicks, PartialFillSize: c.PartialFillSize})
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("ibsim: listen on %s: %w", c.Listen, err)
	}
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.log.Info().Str("addr", ln.Addr().String()).Str("account", c.Account).Int("max_version", int(c.MaxVersion)).Msg("paper broker listening")
	s.wg.Add(2)
	go s.accept()
	go s.sweepLoop()
	return nil
}

// sweepEvery is how often resting orders are checked against the marks,
// which move when the simulator's clock reaches a new daily bar.
const sweepEvery = time.Second

// sweepLoop fills resting limit orders that the passing of time made
// marketable (a new day's close), as a live market would.
func (s *Server) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.deliver(s.engine.Sweep())
		}
	}
}

// Addr is the address the server listens on ("127.0.0.1:7497").
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Engine is the server's book, for inspection.
func (s *Server) Engine() *Engine { return s.engine }

// Close stops accepting, closes every client connection and waits for
// the server's goroutines to end. The book is gone with the server.
func (s *Server) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	err := s.ln.Close()
	s.mu.Lock()
	for t := range s.timers {
		t.Stop()
	}
	for ss := range s.sessions {
		ss.close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() == nil {
				s.log.Error().Err(err).Msg("accept failed; paper broker stops accepting")
			}
			return
		}
		ss := newSession(s, conn)
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.sessions[ss] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		go ss.run()
		go ss.writeLoop()
	}
}

func (s *Server) remove(ss *session) {
	s.mu.Lock()
	delete(s.sessions, ss)
	s.mu.Unlock()
}

// each calls f for every started session, under the server lock.
func (s *Server) each(f func(*session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss := range s.sessions {
		if ss.started() {
			f(ss)
		}
	}
}

// clientInUse reports whether another started session has clientID.
func (s *Server) clientInUse(self *session, clientID int64) bool {
	inUse := false
	s.each(func(ss *session) {
		if ss != self && ss.clientID() == clientID {
			inUse = true
		}
	})
	return inUse
}

// after runs f after d unless the server closes first.
func (s *Server) after(d time.Duration, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		delete(s.timers, t)
		s.mu.Unlock()
		if s.ctx.Err() == nil {
			f()
		}
	})
	s.timers[t] = struct{}{}
}
