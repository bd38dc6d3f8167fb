package ibsim

import "time"

// faults are the failures a test or an operator has asked for. Each
// one-shot fault is consumed by the first request it applies to.
type faults struct {
	dropAfterNextOrder bool
	delayAcks          time.Duration
	rejectNext         string
	repeatNextExec     bool
	reuseNextID        bool
}

// DropConnections closes every client socket now, as a TWS restart or a
// network failure would. The book survives: clients that reconnect find
// their orders and executions.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss := range s.sessions {
		ss.close()
	}
	s.log.Warn().Msg("fault: dropped every client connection")
}

// DropAfterNextOrder makes the next order be accepted (and filled when
// marketable) but the placing client's socket close before any
// acknowledgement is sent: the order's outcome is unknown to the client.
func (s *Server) DropAfterNextOrder() {
	s.mu.Lock()
	s.faults.dropAfterNextOrder = true
	s.mu.Unlock()
}

// DelayAcks delays every order acknowledgement (and the fills that come
// with it) by d; zero turns the delay off.
func (s *Server) DelayAcks(d time.Duration) {
	s.mu.Lock()
	s.faults.delayAcks = d
	s.mu.Unlock()
}

// RejectNextOrder makes the next order fail with error 201 and reason.
func (s *Server) RejectNextOrder(reason string) {
	s.mu.Lock()
	s.faults.rejectNext = reason
	s.mu.Unlock()
}

// RepeatNextExecution sends the next execution report twice, as TWS
// sometimes does after a reconnect.
func (s *Server) RepeatNextExecution() {
	s.mu.Lock()
	s.faults.repeatNextExec = true
	s.mu.Unlock()
}

// ReuseNextValidID makes the next nextValidId answer an order id the
// client has already used, so its next order fails with 103.
func (s *Server) ReuseNextValidID() {
	s.mu.Lock()
	s.faults.reuseNextID = true
	s.mu.Unlock()
}

// LoseConnectivity tells every client that TWS lost its link to IB (1100),
// then, after d, that it came back with restoreCode: 1101 (data lost) or
// 1102 (data maintained).
func (s *Server) LoseConnectivity(restoreCode int64, after time.Duration) {
	now := s.cfg.Now()
	s.each(func(ss *session) {
		ss.send(ss.enc.Error(-1, 1100, "Connectivity between IB and Trader Workstation has been lost.", "", now))
	})
	msg := "Connectivity between IB and Trader Workstation has been restored - data maintained."
	if restoreCode == 1101 {
		msg = "Connectivity between IB and Trader Workstation has been restored - data lost."
	}
	s.after(after, func() {
		now := s.cfg.Now()
		s.each(func(ss *session) { ss.send(ss.enc.Error(-1, restoreCode, msg, "", now)) })
	})
}

// ResetSocketPort tells every client that TWS reset its API socket port
// (1300) and drops its connection, as TWS does; clients must reconnect.
func (s *Server) ResetSocketPort() {
	now := s.cfg.Now()
	s.each(func(ss *session) {
		ss.send(ss.enc.Error(-1, 1300, "TWS socket port has been reset and this connection is being dropped. Please reconnect on the new port - "+s.Addr(), "", now))
		ss.finish()
	})
	s.log.Warn().Msg("fault: socket port reset (1300); clients dropped")
}

// SetPrice sets the price of a tracked series ("RUT", "SPX", a fund such
// as "XLK"); futures follow their series. Resting limit orders that become
// marketable fill, and their clients are told; clients subscribed to
// account values get the new ones.
func (s *Server) SetPrice(underlying string, price float64) {
	s.deliver(s.engine.SetPrice(underlying, price))
	// The marks moved, and with them the account's values.
	s.each(func(ss *session) { ss.refreshAccount() })
}

// take consumes a one-shot fault under the server lock.
func (s *Server) take(f func(*faults) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f(&s.faults)
}
