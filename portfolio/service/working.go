package service

import (
	"context"
	"fmt"

	"github.com/rotor-trading/rotor/broker"
)

// working are the references of rotor's orders in the account that may still
// be working at the broker, as far as the service knows. It is a superset:
// a reference joins before its order is sent and leaves only when the broker
// reports the order final or refuses it, and reconciliation (on start and
// after every reconnect) rebuilds it from the broker's open orders and the
// intents without a final state. So when it is empty, no order of rotor's is
// working, and a decision need not ask the broker; when it is not, the
// decision reads the broker's open orders, which are the authority for
// holding orders back (see routable).
//
// It knows the orders placed through the service's own client (TWS reports
// their statuses to it, whoever placed them). An order with one of rotor's
// references placed by another process through another client id is not
// reported to this client, and is seen at the next reconciliation: one
// service per account places rotor's orders, which is what its single
// durable consumer is for.
type working map[string]bool

// mayBeWorking reports whether an order of rotor's may be working: always
// before the first reconciliation has built the working set (a service used
// only for previews never reconciles).
func (s *Service) mayBeWorking() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.working == nil || len(s.working) > 0
}

// noteWorking notes that ref may be working: it is about to be sent, or the
// broker reported it working.
func (s *Service) noteWorking(ref string) {
	s.mu.Lock()
	if s.working != nil {
		s.working[ref] = true
	}
	s.mu.Unlock()
}

// noteDone notes that ref can no longer be working.
func (s *Service) noteDone(ref string) {
	s.mu.Lock()
	delete(s.working, ref)
	s.mu.Unlock()
}

// rebuildWorking replaces the working set with rotor's orders among open (the
// broker's open orders) and the refs of the intents that still have no final
// state in the log (their orders are working or their fate is unknown).
func (s *Service) rebuildWorking(ctx context.Context, open []broker.OrderReport) error {
	w := working{}
	for _, o := range open {
		if s.ours(o.Ref, o.Account) && !o.Status.Final() {
			w[o.Ref] = true
		}
	}
	unfinished, err := s.cfg.Log.IntentsWithoutFinalState(ctx)
	if err != nil {
		return fmt.Errorf("read unfinished intents: %w", err)
	}
	for _, r := range unfinished {
		if r.Account == s.cfg.Account {
			w[r.OrderRef] = true
		}
	}
	s.mu.Lock()
	s.working = w
	s.mu.Unlock()
	return nil
}
