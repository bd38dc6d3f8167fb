package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio/audit"
)

// SentPayload is the payload of an order_sent row: the broker's answer.
type SentPayload struct {
	OrderID int64              `json:"order_id"`
	PermID  int64              `json:"perm_id"`
	Status  broker.OrderStatus `json:"status"`
	// Resolved says the answer came from a lookup by reference after the
	// acknowledgement was lost (or the order was found already placed).
	Resolved bool `json:"resolved,omitempty"`
}

// ErrUnresolved is wrapped by the error of an event whose orders could not
// all be placed or found: the event stays unacknowledged and is resumed on
// redelivery.
var ErrUnresolved = errors.New("service: orders unresolved")

// send places the intents in order and records the broker's answers. An
// order is placed at most once per call; a refusal is final; an order whose
// outcome stays unknown, or that could not be sent (broker down), makes
// send return ErrUnresolved.
func (s *Service) send(ctx context.Context, intents []intent) error {
	var rows []audit.Entry
	var unresolved []string
	for _, in := range intents {
		row, final, err := s.place(ctx, in)
		switch {
		case err != nil:
			unresolved = append(unresolved, fmt.Sprintf("%s (%v)", in.req.Ref, err))
		case final != nil:
			rows = append(rows, *final)
		default:
			rows = append(rows, row)
		}
	}
	if len(rows) > 0 {
		if _, err := s.cfg.Log.AppendBatch(context.WithoutCancel(ctx), rows); err != nil {
			return fmt.Errorf("record the orders sent: %w", err)
		}
		s.cfg.Step(StepSentSaved)
	}
	if len(unresolved) > 0 {
		s.cfg.Metrics.order("unresolved", len(unresolved))
		return fmt.Errorf("%w: %d of %d: %v", ErrUnresolved, len(unresolved), len(intents), unresolved)
	}
	return nil
}

// place sends one order. It returns the order_sent row, or the final
// order_status row of a refusal, or an error when the order's fate is not
// known (it must not be sent again before a lookup).
func (s *Service) place(ctx context.Context, in intent) (sent audit.Entry, final *audit.Entry, err error) {
	cctx, cancel := s.brokerCtx(ctx)
	defer cancel()
	s.noteWorking(in.req.Ref)
	rep, err := s.cfg.Broker.PlaceOrder(cctx, in.req)
	s.cfg.Step(StepSent)
	resolved := false
	if errors.Is(err, broker.ErrUnknownOutcome) || errors.Is(err, broker.ErrDuplicateRef) {
		s.log.Warn().Err(err).Str("order_ref", in.req.Ref).Msg("order outcome unknown; looking it up by reference")
		lctx, lcancel := s.brokerCtx(ctx)
		rep, err = s.cfg.Broker.LookupOrder(lctx, in.req.Ref)
		lcancel()
		resolved = true
		if errors.Is(err, broker.ErrOrderNotFound) {
			err = fmt.Errorf("%w: the broker has no trace of it yet", broker.ErrUnknownOutcome)
		}
	}
	switch {
	case err == nil:
		s.noteSent(s.cfg.Now())
		s.cfg.Metrics.orderSent(s.arrived)
		return s.entry(audit.KindOrderSent, in, rep, SentPayload{OrderID: rep.OrderID, PermID: rep.PermID, Status: rep.Status, Resolved: resolved}), nil, nil
	case refused(err):
		f := s.entry(audit.KindOrderStatus, in, rep, StatusPayload{Status: "Rejected", Final: true, Reason: err.Error()})
		s.noteDone(in.req.Ref)
		s.log.Error().Err(err).Str("order_ref", in.req.Ref).Msg("order refused")
		s.cfg.Metrics.order("refused", 1)
		return audit.Entry{}, &f, nil
	default:
		return audit.Entry{}, nil, err
	}
}

// refused reports a definitive refusal: nothing is working at the broker.
func refused(err error) bool {
	for _, e := range []error{broker.ErrRejected, broker.ErrPriceNotOnTick, broker.ErrNoSecurityDefinition,
		broker.ErrDuplicateOrderID, broker.ErrNotPaperAccount, broker.ErrInvalidOrder, broker.ErrUnknownInstrument} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (s *Service) entry(kind string, in intent, rep broker.OrderReport, payload any) audit.Entry {
	return audit.Entry{Kind: kind, EventID: in.eventID, PlanID: in.planID, OrderRef: in.req.Ref,
		BrokerOrderID: rep.OrderID, PermID: rep.PermID, Instrument: in.root, Account: s.cfg.Account, Payload: payload}
}

// resume settles the unfinished orders of an event seen before and sends the
// ones the broker has no trace of, if they are still fresh.
func (s *Service) resume(ctx context.Context, eventID string) error {
	toSend, err := s.settle(ctx, eventID, true)
	if err != nil {
		return err
	}
	return s.send(ctx, toSend)
}

// settle brings the unfinished intents (of one event, or of all when eventID
// is empty) up to date from the broker. An intent the broker knows gets its
// status recorded; one it has no trace of is returned for sending when
// mayResend and it is younger than ResumeWindow and was never acknowledged,
// and otherwise gets a final state saying why it was not sent.
func (s *Service) settle(ctx context.Context, eventID string, mayResend bool) ([]intent, error) {
	recs, err := s.cfg.Log.IntentsWithoutFinalState(ctx)
	if err != nil {
		return nil, fmt.Errorf("read unfinished intents: %w", err)
	}
	var toSend []intent
	for _, r := range recs {
		if r.Account != s.cfg.Account || (eventID != "" && r.EventID != eventID) {
			continue
		}
		in, err := intentFrom(r)
		if err != nil {
			return nil, err
		}
		cctx, cancel := s.brokerCtx(ctx)
		rep, err := s.cfg.Broker.LookupOrder(cctx, in.req.Ref)
		cancel()
		switch {
		case err == nil:
			if err := s.recordStatus(ctx, rep); err != nil {
				return nil, err
			}
			continue
		case !errors.Is(err, broker.ErrOrderNotFound):
			return nil, fmt.Errorf("look order %s up at the broker: %w", in.req.Ref, err)
		}
		wasSent, err := s.wasSent(ctx, in.req.Ref)
		if err != nil {
			return nil, err
		}
		var status, reason string
		switch {
		case wasSent:
			status, reason = string(broker.StatusCancelled), "the broker acknowledged this order but has no trace of it now: it was cancelled or expired without a fill"
		case s.cfg.Now().Sub(in.at) > s.cfg.ResumeWindow:
			status, reason = "Expired", fmt.Sprintf("never reached the broker, and its intent is older than the resume window (%s): not sent late", s.cfg.ResumeWindow)
		case mayResend:
			toSend = append(toSend, in)
			continue
		default:
			continue // its event is unacknowledged; its redelivery sends it
		}
		e := s.entry(audit.KindOrderStatus, in, broker.OrderReport{}, StatusPayload{Status: broker.OrderStatus(status), Final: true, Reason: reason})
		if _, err := s.cfg.Log.Append(ctx, e); err != nil {
			return nil, err
		}
	}
	return toSend, nil
}

func (s *Service) wasSent(ctx context.Context, ref string) (bool, error) {
	recs, err := s.cfg.Log.Query(ctx, audit.Filter{OrderRef: ref, Kinds: []string{audit.KindOrderSent}, Limit: 1})
	return len(recs) > 0, err
}

func intentFrom(r audit.Record) (intent, error) {
	var p IntentPayload
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		return intent{}, fmt.Errorf("audit row %d: order_intent payload: %w", r.Seq, err)
	}
	return intent{at: p.At, eventID: r.EventID, planID: r.PlanID, root: p.Root, req: p.Request}, nil
}
