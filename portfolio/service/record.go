package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
)

// KindCommission is the kind of the row that records an execution's
// commission when the broker reports it after the execution.
const KindCommission = "commission"

// RefPrefix starts every order reference rotor makes; orders without it are
// other strategies' and are never recorded, cancelled or counted as rotor's.
const RefPrefix = "rotor-"

// StatusPayload is the payload of an order_status row.
type StatusPayload struct {
	Status       broker.OrderStatus `json:"status"`
	Filled       int64              `json:"filled"`
	Remaining    int64              `json:"remaining"`
	AvgFillPrice decimal.Decimal    `json:"avg_fill_price"`
	// Final says the order can no longer change; it ends the order's
	// story for reconciliation.
	Final  bool   `json:"final"`
	Reason string `json:"reason,omitempty"`
}

// CommissionPayload is the payload of a commission row.
type CommissionPayload struct {
	ExecID     string          `json:"exec_id"`
	Commission decimal.Decimal `json:"commission"`
	Currency   string          `json:"currency"`
}

// ConnectivityPayload is the payload of a broker_event row.
type ConnectivityPayload struct {
	State  broker.Connectivity `json:"state,omitempty"`
	Reason string              `json:"reason,omitempty"`
	Error  string              `json:"error,omitempty"`
}

// planOf returns the plan id inside a rotor order reference
// ("rotor-<plan>-<root>-<contract>-<leg>").
func planOf(ref string) string {
	rest, ok := strings.CutPrefix(ref, RefPrefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "-")
	return id
}

func (s *Service) ours(ref, account string) bool {
	return strings.HasPrefix(ref, RefPrefix) && (account == "" || account == s.cfg.Account)
}

// recordBrokerEvents records what the broker reports about rotor's orders,
// and asks for a reconciliation when the connection comes back.
func (s *Service) recordBrokerEvents() {
	defer s.workers.Done()
	events := s.cfg.Broker.Events()
	for {
		var ev broker.Event
		var ok bool
		select {
		case <-s.ctx.Done():
			return
		case ev, ok = <-events:
			if !ok {
				return
			}
		}
		ctx := s.ctx
		var err error
		switch e := ev.(type) {
		case broker.OrderEvent:
			if s.ours(e.Report.Ref, e.Report.Account) {
				if e.Report.Status.Final() {
					s.noteDone(e.Report.Ref)
				} else {
					s.noteWorking(e.Report.Ref) // placed through this client, by this service or not
				}
				err = s.recordStatus(ctx, e.Report)
			}
		case broker.FillEvent:
			if s.ours(e.Fill.Ref, e.Fill.Account) {
				err = s.recordFill(ctx, e.Fill)
			}
		case broker.ConnectivityEvent:
			s.cfg.Metrics.connectivity(e.State)
			_, err = s.cfg.Log.Append(ctx, audit.Entry{Kind: audit.KindBrokerEvent, Account: s.cfg.Account,
				Payload: ConnectivityPayload{State: e.State, Reason: e.Reason}})
			// Connected is the adapter's first session, which Open has
			// reconciled already; Restored and DataLost follow a loss.
			if e.State == broker.Restored || e.State == broker.DataLost {
				s.requestReconcile(string(e.State))
			}
		case broker.ErrorEvent:
			_, err = s.cfg.Log.Append(ctx, audit.Entry{Kind: audit.KindBrokerEvent, Account: s.cfg.Account,
				Payload: ConnectivityPayload{Error: e.Err.Error()}})
		}
		if err != nil && s.ctx.Err() == nil {
			s.log.Error().Err(err).Msg("could not record a broker event; reconciliation will pick it up")
			s.requestReconcile("record failure")
		}
	}
}

// recordStatus records an order's status when it differs from the last one
// recorded.
func (s *Service) recordStatus(ctx context.Context, rep broker.OrderReport) error {
	key := fmt.Sprintf("%s/%d", rep.Status, rep.Filled)
	s.mu.Lock()
	same := s.statuses[rep.Ref] == key
	s.mu.Unlock()
	if same {
		return nil
	}
	_, err := s.cfg.Log.Append(ctx, audit.Entry{Kind: audit.KindOrderStatus, PlanID: planOf(rep.Ref), OrderRef: rep.Ref,
		BrokerOrderID: rep.OrderID, PermID: rep.PermID, Instrument: rep.Contract.Symbol, Account: s.cfg.Account,
		Payload: StatusPayload{Status: rep.Status, Filled: rep.Filled, Remaining: rep.Remaining,
			AvgFillPrice: rep.AvgFillPrice, Final: rep.Status.Final()}})
	if err == nil {
		s.cfg.Metrics.status(rep.Status)
		s.mu.Lock()
		s.statuses[rep.Ref] = key
		s.mu.Unlock()
	}
	return err
}

// recordFill records an execution once per execution id, and its commission
// once when the broker reports it.
func (s *Service) recordFill(ctx context.Context, f broker.Fill) error {
	s.mu.Lock()
	haveFill, haveComm := s.fills[f.ExecID], s.commissions[f.ExecID]
	s.mu.Unlock()
	base := audit.Entry{PlanID: planOf(f.Ref), OrderRef: f.Ref, BrokerOrderID: f.OrderID, PermID: f.PermID,
		Instrument: f.Contract.Symbol, Account: s.cfg.Account}
	withComm := f.CommissionCurrency != ""
	switch {
	case !haveFill:
		e := base
		e.Kind = audit.KindFill
		e.Payload = state.FillPayload{ExecID: f.ExecID, ContractKey: f.Contract.Key(), LocalSymbol: f.Contract.LocalSymbol,
			ConID: f.Contract.ConID, Side: f.Side, Quantity: f.Quantity, Price: f.Price, Time: f.Time,
			Commission: f.Commission, CommissionCurrency: f.CommissionCurrency}
		if _, err := s.cfg.Log.Append(ctx, e); err != nil {
			return err
		}
		s.cfg.Metrics.fill(f.Quantity)
		s.cfg.Step(StepFilled)
	case withComm && !haveComm:
		e := base
		e.Kind = KindCommission
		e.Payload = CommissionPayload{ExecID: f.ExecID, Commission: f.Commission, Currency: f.CommissionCurrency}
		if _, err := s.cfg.Log.Append(ctx, e); err != nil {
			return err
		}
	default:
		return nil
	}
	s.mu.Lock()
	s.fills[f.ExecID] = true
	if withComm {
		s.commissions[f.ExecID] = true
	}
	s.mu.Unlock()
	return nil
}

// loadRecorded reads which executions, commissions and rejected messages the
// log already holds for the account, so that none is recorded twice.
func (s *Service) loadRecorded(ctx context.Context) error {
	kinds := []string{audit.KindFill, KindCommission, audit.KindSignalRejected}
	return s.cfg.Log.Each(ctx, audit.Filter{Kinds: kinds}, func(r audit.Record) error {
		if r.Account != s.cfg.Account {
			return nil
		}
		var p struct {
			ExecID             string `json:"exec_id"`
			CommissionCurrency string `json:"commission_currency"`
			Stream             string `json:"stream"`
			StreamSeq          uint64 `json:"stream_seq"`
		}
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return fmt.Errorf("audit row %d: %s payload: %w", r.Seq, r.Kind, err)
		}
		if r.Kind == audit.KindSignalRejected {
			s.rejected[rejectionKey(p.Stream, p.StreamSeq)] = true
			return nil
		}
		s.fills[p.ExecID] = true
		if r.Kind == KindCommission || p.CommissionCurrency != "" {
			s.commissions[p.ExecID] = true
		}
		return nil
	})
}

// requestReconcile asks the reconciler for a pass; requests made while one is
// pending are merged.
func (s *Service) requestReconcile(trigger string) {
	select {
	case s.reconcile <- trigger:
	default:
	}
}

// reconciler runs the requested reconciliations, retrying a failed one
// after RetryDelay.
func (s *Service) reconciler() {
	defer s.workers.Done()
	var retry <-chan time.Time
	last := ""
	for {
		select {
		case <-s.ctx.Done():
			return
		case last = <-s.reconcile:
		case <-retry:
		}
		retry = nil
		if err := s.reconcileNow(s.ctx, last); err != nil && s.ctx.Err() == nil {
			s.log.Warn().Err(err).Str("trigger", last).Dur("retry_in", s.cfg.RetryDelay).Msg("reconciliation failed")
			retry = time.After(s.cfg.RetryDelay)
		}
	}
}
