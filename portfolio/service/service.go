package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
)

// Service is the portfolio service of one account. New → Open → Close; Decide
// may also be used on its own (for previews) after New.
type Service struct {
	cfg Config
	log zerolog.Logger

	// route serialises everything that may send or settle orders: the
	// handling of an event, reconciliation, the kill switch's cancels.
	route sync.Mutex

	mu          sync.Mutex
	contracts   map[string]broker.Contract // by root@day
	sentTimes   []time.Time                // orders placed, for the order rate
	fills       map[string]bool            // execution ids recorded
	commissions map[string]bool            // execution ids whose commission is recorded
	statuses    map[string]string          // last status recorded per ref
	rejected    map[string]bool            // stream/seq of messages whose rejection is recorded
	working     working                    // rotor's orders that may be working; nil until the first reconciliation
	quotes      quoteBook
	logState    logState // the log's state as the last decision read it

	ctx    context.Context
	cancel context.CancelFunc
	// stopTaking stops the consumer goroutine taking messages; the one in
	// hand is finished (under ctx).
	stopTaking context.CancelFunc
	consuming  sync.WaitGroup
	workers    sync.WaitGroup
	reconcile  chan string
	opened     bool
	release    func() error // the claim on the account (audit.Log.Claim), held while open
	// arrived is when the event in hand arrived, for the event-to-order
	// histogram; only the consumer goroutine touches it.
	arrived time.Time
}

// New returns a service; nothing runs until Open.
func New(cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{
		cfg: cfg, log: cfg.Logger.With().Str("component", "portfolio").Str("account", cfg.Account).Logger(),
		contracts: make(map[string]broker.Contract), fills: make(map[string]bool),
		commissions: make(map[string]bool), statuses: make(map[string]string), rejected: make(map[string]bool),
		reconcile: make(chan string, 1),
	}, nil
}

// Config returns the service's configuration with its defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Open loads what the audit log knows, reconciles with the broker, and starts
// the service: the broker-event recorder, the reconciler, the loss monitor, the
// quote refresher and
// (when Config.JetStream is set) the event consumer. A failure to reconcile on
// start is returned: the service does not trade on a book it cannot read.
func (s *Service) Open(ctx context.Context) error {
	if s.opened {
		return errors.New("service: already open")
	}
	release, err := s.cfg.Log.Claim(s.cfg.Account + "." + string(s.cfg.Mode))
	if errors.Is(err, audit.ErrClaimed) {
		return fmt.Errorf("service: account %s is already served in %s mode by another portfolio service on this audit log (%w); stop it first: one service routes an account", s.cfg.Account, s.cfg.Mode, err)
	}
	if err != nil {
		return fmt.Errorf("service: claim account %s: %w", s.cfg.Account, err)
	}
	opened := false
	defer func() {
		if !opened {
			_ = release()
		}
	}()
	if err := s.loadRecorded(ctx); err != nil {
		return err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.workers.Add(2)
	go s.recordBrokerEvents()
	go s.reconciler()
	if err := s.reconcileNow(ctx, "start"); err != nil {
		s.stopWorkers()
		return fmt.Errorf("reconcile on start: %w", err)
	}
	if s.cfg.MonitorEvery > 0 {
		s.workers.Add(1)
		go s.monitor()
	}
	if s.cfg.QuoteMaxAge > 0 {
		s.workers.Add(1)
		go s.refreshQuotes()
	}
	if s.cfg.JetStream != nil {
		if err := s.consume(ctx); err != nil {
			s.stopWorkers()
			return err
		}
	}
	s.opened, s.release, opened = true, release, true
	s.log.Info().Str("mode", string(s.cfg.Mode)).Str("consumer", s.cfg.Durable).Msg("portfolio service started")
	return nil
}

// Close stops taking events, lets the event in hand finish (for at most
// grace), stops the other goroutines and returns. It does not close the
// broker, the log or NATS, which belong to the caller.
func (s *Service) Close(grace time.Duration) error {
	if !s.opened {
		return nil
	}
	s.opened = false
	if s.stopTaking != nil {
		s.stopTaking()
		done := make(chan struct{})
		go func() { s.consuming.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(grace):
			s.log.Warn().Dur("grace", grace).Msg("the event in hand did not finish in time; cancelling it (it will be resumed on redelivery)")
		}
	}
	s.stopWorkers()
	return s.release()
}

func (s *Service) stopWorkers() {
	if s.stopTaking != nil {
		s.stopTaking()
	}
	s.cancel()
	s.consuming.Wait()
	s.workers.Wait()
}

// recentOrders are the times of the orders placed in the last two minutes.
func (s *Service) recentOrders(now time.Time) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := s.sentTimes[:0]
	for _, t := range s.sentTimes {
		if now.Sub(t) < 2*time.Minute {
			keep = append(keep, t)
		}
	}
	s.sentTimes = keep
	return append([]time.Time(nil), keep...)
}

func (s *Service) noteSent(t time.Time) {
	s.mu.Lock()
	s.sentTimes = append(s.sentTimes, t)
	s.mu.Unlock()
}

// brokerCtx bounds one broker call.
func (s *Service) brokerCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.BrokerTimeout)
}
