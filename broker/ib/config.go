// Package ib is rotor's Interactive Brokers adapter: a broker.Broker over the
// TWS API (github.com/scmhub/ibapi) that talks to TWS or IB Gateway, or to
// rotor's own paper broker (broker/ibsim) which speaks the same protocol.
//
// The adapter owns one long-lived session supervisor. It dials TWS itself,
// puts an in-process relay between TWS and a fresh ibapi.EClient for every
// session (see relay.go and guard.go for why), paces every request, and
// reconciles open orders and executions after every (re)connect before it
// lets an order through. Account and Positions are answered from
// subscriptions each session keeps open (live.go), not a request per call.
package ib

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/rs/zerolog"
)

// Defaults filled in by New for zero Config fields.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultAckTimeout     = 10 * time.Second
	DefaultRequestTimeout = 30 * time.Second
	DefaultSettleTimeout  = 250 * time.Millisecond
	DefaultAccountMaxAge  = 10 * time.Second
	DefaultReconnectMin   = 500 * time.Millisecond
	DefaultReconnectMax   = 30 * time.Second
	DefaultEventBuffer    = 1024
	// MaxPacing is IB's limit on messages a second from one API client,
	// and the default pacing.
	MaxPacing = 50
)

// Config says where TWS is and how the adapter behaves.
type Config struct {
	// Addr is TWS's or IB Gateway's "host:port" (paper: 7497 TWS, 4002 Gateway).
	Addr string
	// ClientID is the API client id; order ids are per client id.
	ClientID int64
	// Account is the managed account to trade; empty means the first one
	// TWS reports. Orders are refused unless it is a paper (DU...) account.
	Account string
	// ConnectTimeout bounds the TCP dial, the handshake and the wait for
	// the session to become ready. Default 10s.
	ConnectTimeout time.Duration
	// Pacing is the most messages a second sent to TWS. Default and
	// maximum MaxPacing (50); values above it are rejected by Open.
	Pacing int
	// ReconnectMin and ReconnectMax bound the exponential reconnect backoff
	// (full jitter is applied within the bound). Defaults 500ms and 30s.
	ReconnectMin, ReconnectMax time.Duration
	// AckTimeout bounds the wait for an order's acknowledgement. Default 10s.
	AckTimeout time.Duration
	// RequestTimeout bounds each data request (contract details, history),
	// and each wait of Account and Positions for their subscriptions' first
	// answer or a positions resync. Default 30s.
	RequestTimeout time.Duration
	// SettleTimeout bounds how long Positions (and Account) wait for TWS's
	// position (account summary) update after one of our own fills before
	// Positions asks TWS for every position again and Account answers with
	// the values it has. Default 250ms.
	SettleTimeout time.Duration
	// AccountMaxAge is how old the account values of the live view may be
	// for Account to answer with them; older, Account reads them afresh
	// (reqAccountSummary, once). Account values move with prices, and TWS
	// pushes a summary subscription's updates only every few minutes, so
	// against TWS most calls read afresh. Default 10s.
	AccountMaxAge time.Duration
	// EventBuffer is the capacity of the Events channel. Default 1024.
	EventBuffer int
	// Now is the clock used for event times and history windows. Default time.Now.
	Now func() time.Time
	// Logger receives the adapter's logs. The zero value logs nothing.
	Logger zerolog.Logger
}

func (c *Config) fillDefaults() {
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Pacing == 0 {
		c.Pacing = MaxPacing
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = DefaultReconnectMin
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = DefaultReconnectMax
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.SettleTimeout == 0 {
		c.SettleTimeout = DefaultSettleTimeout
	}
	if c.AccountMaxAge == 0 {
		c.AccountMaxAge = DefaultAccountMaxAge
	}
	if c.EventBuffer == 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports the first thing wrong with the configuration.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("ib: config: addr %q: %w", c.Addr, err)
	}
	switch {
	case c.Pacing > MaxPacing:
		return fmt.Errorf("ib: config: pacing %d msgs/sec is above IB's limit of %d", c.Pacing, MaxPacing)
	case c.Pacing < 0:
		return fmt.Errorf("ib: config: pacing %d msgs/sec, want 1..%d", c.Pacing, MaxPacing)
	case c.ConnectTimeout < 0, c.AckTimeout < 0, c.RequestTimeout < 0, c.SettleTimeout < 0, c.AccountMaxAge < 0:
		return errors.New("ib: config: timeouts must not be negative")
	case c.ReconnectMin < 0 || c.ReconnectMax < c.ReconnectMin:
		return fmt.Errorf("ib: config: reconnect backoff %v..%v, want 0 <= min <= max", c.ReconnectMin, c.ReconnectMax)
	case c.EventBuffer < 0:
		return fmt.Errorf("ib: config: event buffer %d, want >= 0", c.EventBuffer)
	}
	return nil
}
