package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/signals"
)

// ReceivedPayload is the payload of a signal_received row: the mode the event
// was handled in, where it came from, and the whole event.
type ReceivedPayload struct {
	Mode      Mode            `json:"mode"`
	StreamSeq uint64          `json:"stream_seq"`
	AsOf      string          `json:"as_of"`
	Regime    signals.Regime  `json:"regime"`
	Score     float64         `json:"score"`
	Event     json.RawMessage `json:"event"`
}

// PlanPayload is the payload of a plan row.
type PlanPayload struct {
	Mode    Mode                 `json:"mode"`
	Market  Market               `json:"market"`
	Targets portfolio.Targets    `json:"targets"`
	Plan    portfolio.PlanResult `json:"plan"`
	// HeldBack are approved orders that were not routed, and why.
	HeldBack []HeldBack `json:"held_back,omitempty"`
}

// IntentPayload is the payload of an order_intent row: the order exactly as
// it will be sent.
type IntentPayload struct {
	Mode     Mode                `json:"mode"`
	Request  broker.OrderRequest `json:"request"`
	Root     string              `json:"root"`
	Leg      portfolio.OrderLeg  `json:"leg"`
	RollID   string              `json:"roll_id,omitempty"`
	Proposed int64               `json:"proposed"`
	Current  int64               `json:"current"`
	Target   int64               `json:"target"`
	Price    decimal.Decimal     `json:"price"`
	Notional decimal.Decimal     `json:"notional"`
	// At is when the decision was made, by the service's clock; it
	// bounds how late an interrupted intent may still be sent.
	At time.Time `json:"at"`
}

// intent is an order about to be routed, with the row that promised it.
type intent struct {
	at      time.Time
	eventID string
	planID  string
	root    string
	req     broker.OrderRequest
}

// process handles one admitted event: a fresh one is decided, written ahead
// and routed; one seen before is resumed. raw is the event as it arrived
// (admission has checked it is ev's canonical form). It returns nil when the
// outcome is on disk and the message may be acknowledged.
//
// Whether the event was seen is asked by the write-ahead batch itself (a
// NoRow guard on its signal_received row), under the log's write lock, so
// two services misconfigured onto one account cannot both route it.
func (s *Service) process(ctx context.Context, ev signals.Event, raw []byte, streamSeq uint64) error {
	s.route.Lock()
	defer s.route.Unlock()
	s.cfg.Step(StepReceived)
	var intents []intent
	d, _, err := s.commitDecision(ctx, ev, func(d Decision) []audit.Entry {
		var entries []audit.Entry
		entries, intents = s.writeAhead(d, raw, streamSeq)
		return entries
	}, s.firstReceipt(ev.ID))
	var conflict *audit.ConflictError
	if errors.As(err, &conflict) {
		if _, dup := conflict.Guard.(audit.NoRow); dup {
			s.log.Info().Str("event_id", ev.ID).Int64("seq", conflict.Seq).Msg("event seen before; settling its orders")
			return s.resume(ctx, ev.ID)
		}
	}
	if err != nil {
		// An event handled before is settled even when it can no longer
		// be decided (its contract expired, the broker reports nothing).
		if seen, serr := s.seen(ctx, ev.ID); serr == nil && seen {
			s.log.Info().Str("event_id", ev.ID).AnErr("decide", err).Msg("event seen before; settling its orders")
			return s.resume(ctx, ev.ID)
		}
		return err
	}
	s.cfg.Step(StepRecorded)
	s.cfg.Metrics.decided(s.cfg.Mode, d.Risk, d.KillSwitch.Tripped)
	s.cfg.Metrics.order("intent", len(intents))
	if d.Risk.TripKillSwitch {
		s.log.Error().Str("reason", d.Risk.TripReason).Msg("kill switch tripped")
	}
	s.log.Info().Str("event_id", ev.ID).Str("plan_id", d.Plan.PlanID).Str("regime", string(ev.Regime)).
		Int("planned", len(d.Plan.Orders)).Int("approved", len(intents)).Msg("decided")
	if d.Risk.CancelWorking {
		s.cancelWorking(ctx, "kill switch: "+d.KillSwitch.Reason+d.Risk.TripReason)
	}
	if s.cfg.Mode != Paper {
		return nil
	}
	return s.send(ctx, intents)
}

// decideAttempts bounds how many times commitDecision decides one event
// while the log's state keeps changing under it.
const decideAttempts = 3

// commitDecision decides ev and writes the rows rows returns for the
// decision in one batch, guarded by the log state the decision was made on
// and by guards. When the state guard fails (an operator's reset or
// acknowledgement, the loss monitor's marks landed in between) it decides
// again on the state read afresh, up to decideAttempts times; any other
// guard's *audit.ConflictError is returned, wrapped. The first attempt
// starts from the state the last decision left.
func (s *Service) commitDecision(ctx context.Context, ev signals.Event, rows func(Decision) []audit.Entry, guards ...audit.Guard) (Decision, []audit.Record, error) {
	for attempt := 1; ; attempt++ {
		d, err := s.decide(ctx, ev, attempt == 1)
		if err != nil {
			return d, nil, err
		}
		s.cfg.Step(StepDecided)
		stateGuard := d.logState.guard(s.cfg.Account)
		recs, err := s.cfg.Log.AppendBatch(ctx, rows(d), append(guards[:len(guards):len(guards)], stateGuard)...)
		var conflict *audit.ConflictError
		if errors.As(err, &conflict) {
			if _, moved := conflict.Guard.(audit.NoNewer); moved {
				s.forgetLogState()
				if attempt < decideAttempts {
					s.log.Info().Str("event_id", ev.ID).Int64("seq", conflict.Seq).Int("attempt", attempt).
						Msg("the kill switch, marks or blocked roots changed while deciding; deciding again")
					continue
				}
				return d, nil, fmt.Errorf("record the decision: the audit log's kill switch, marks or blocked roots changed under %d decisions in a row: %w", attempt, err)
			}
		}
		if err != nil {
			return d, nil, fmt.Errorf("record the decision: %w", err)
		}
		s.advanceLogState(d.logState, recs)
		return d, recs, nil
	}
}

// seen reports whether the event was handled before in this mode for this
// account: whether firstReceipt would fail.
func (s *Service) seen(ctx context.Context, eventID string) (bool, error) {
	g := s.firstReceipt(eventID)
	recs, err := s.cfg.Log.Query(ctx, audit.Filter{EventID: eventID, Kinds: []string{g.Kind}})
	if err != nil {
		return false, fmt.Errorf("look the event up in the audit log: %w", err)
	}
	for _, r := range recs {
		if r.Account == g.Account && g.Match(r.Payload) {
			return true, nil
		}
	}
	return false, nil
}

// firstReceipt is the guard that records an event once per account and
// mode: no signal_received row of it in this mode yet.
func (s *Service) firstReceipt(eventID string) audit.NoRow {
	return audit.NoRow{Kind: audit.KindSignalReceived, EventID: eventID, Account: s.cfg.Account,
		Match: func(payload json.RawMessage) bool {
			var p struct {
				Mode Mode `json:"mode"`
			}
			return json.Unmarshal(payload, &p) == nil && p.Mode == s.cfg.Mode
		}}
}

// writeAhead returns the rows that record a decision (the kill switch trip
// it made, the risk_marks it moved, signal_received, plan, risk_decision,
// and in paper mode an order_intent per order to route) and the intents.
// raw is the event as it arrived, which is its canonical form.
func (s *Service) writeAhead(d Decision, raw []byte, streamSeq uint64) ([]audit.Entry, []intent) {
	acct, evID, planID := s.cfg.Account, d.EventID, d.Plan.PlanID
	routed, heldBack := routable(d)
	var entries []audit.Entry
	if d.Risk.TripKillSwitch {
		entries = append(entries, state.TripRow(acct, d.Risk.TripReason, d.At, evID, planID))
	}
	entries = append(append(entries, d.marksRows()...), []audit.Entry{
		{Kind: audit.KindSignalReceived, EventID: evID, Account: acct, Payload: ReceivedPayload{
			Mode: s.cfg.Mode, StreamSeq: streamSeq, AsOf: d.Event.AsOf, Regime: d.Event.Regime, Score: d.Event.Score, Event: raw}},
		{Kind: audit.KindPlan, EventID: evID, PlanID: planID, Account: acct, Payload: PlanPayload{
			Mode: s.cfg.Mode, Market: d.Market, Targets: d.Targets, Plan: d.Plan, HeldBack: heldBack}},
		{Kind: audit.KindRiskDecision, EventID: evID, PlanID: planID, Account: acct, Payload: d.Risk},
	}...)
	if s.cfg.Mode != Paper {
		return entries, nil
	}
	var intents []intent
	for _, po := range routed {
		od := d.Risk.Orders[po.index]
		req := od.Request()
		entries = append(entries, audit.Entry{Kind: audit.KindOrderIntent, EventID: evID, PlanID: planID, OrderRef: req.Ref,
			Instrument: po.Root, Account: acct, Payload: IntentPayload{Mode: s.cfg.Mode, Request: req, Root: po.Root, Leg: po.Leg,
				RollID: po.RollID, Proposed: po.Quantity, Current: po.Current, Target: po.Target, Price: od.Price, Notional: od.Notional, At: d.At}})
		intents = append(intents, intent{at: d.At, eventID: evID, planID: planID, root: po.Root, req: req})
	}
	return entries, intents
}

// HeldBack is an approved order that was not routed.
type HeldBack struct {
	Ref    string `json:"ref"`
	Reason string `json:"reason"`
}

type routedOrder struct {
	portfolio.PlannedOrder
	index int
}

// routable returns the plan's orders that risk approved, in plan order,
// holding back
//   - every order in a root where rotor already has an order working: the
//     plan counts positions, not working orders, so a second order would
//     trade the same change twice; the next event plans from what filled;
//   - the opening leg of a roll whose closing leg was cut or rejected:
//     opening the new contract without closing the old one would double
//     the position.
func routable(d Decision) (routed []routedOrder, heldBack []HeldBack) {
	working := map[string]string{}
	for _, o := range d.Market.Working {
		working[o.Contract.Symbol] = o.Ref
	}
	closeCut := map[string]bool{}
	for i, po := range d.Plan.Orders {
		if po.RollID != "" && po.Leg == portfolio.LegClose && d.Risk.Orders[i].Approved < po.Quantity {
			closeCut[po.RollID] = true
		}
	}
	for i, po := range d.Plan.Orders {
		if d.Risk.Orders[i].Approved <= 0 {
			continue
		}
		if ref, ok := working[po.Root]; ok {
			heldBack = append(heldBack, HeldBack{po.Ref, fmt.Sprintf("rotor's order %s is still working in %s", ref, po.Root)})
			continue
		}
		if po.RollID != "" && po.Leg == portfolio.LegTarget && closeCut[po.RollID] {
			heldBack = append(heldBack, HeldBack{po.Ref, "the closing leg of its roll was cut or rejected"})
			continue
		}
		routed = append(routed, routedOrder{PlannedOrder: po, index: i})
	}
	return routed, heldBack
}
