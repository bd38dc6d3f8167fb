package service

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
)

// ReconcilePayload is the payload of the reconcile row each pass writes.
type ReconcilePayload struct {
	Trigger string `json:"trigger"`
	// FillsRecorded are executions the broker reported that the log did
	// not have yet (they happened while rotor was down or disconnected).
	FillsRecorded int `json:"fills_recorded"`
	// Unfinished is how many intents had no final state before the pass.
	Unfinished int `json:"unfinished"`
	// Mismatches are the roots whose positions differ from the log's
	// expectation, newly blocked by this pass.
	Mismatches []string `json:"mismatches"`
	// Blocked are all blocked roots after the pass.
	Blocked []string `json:"blocked"`
	// InFlight are roots not compared because rotor has working orders in
	// them.
	InFlight []string `json:"in_flight"`
}

// reconcileWindow is how far back executions are read on reconciliation: TWS
// reports the current day's.
const reconcileWindow = 24 * time.Hour

// reconcileNow brings the log up to date with the broker: missed executions,
// the state of unfinished intents, and a comparison of positions in the roots
// rotor owns with what the log expects. A root that differs is blocked until
// an operator acknowledges it. Nothing is sent.
func (s *Service) reconcileNow(ctx context.Context, trigger string) error {
	s.route.Lock()
	defer s.route.Unlock()
	defer s.forgetLogState() // its reconcile rows change the blocked roots
	p := ReconcilePayload{Trigger: trigger}
	cctx, cancel := s.brokerCtx(ctx)
	defer cancel()
	fills, err := s.cfg.Broker.Executions(cctx, s.cfg.Now().Add(-reconcileWindow))
	if err != nil {
		return fmt.Errorf("read executions: %w", err)
	}
	for _, f := range fills {
		if !s.ours(f.Ref, f.Account) {
			continue
		}
		s.mu.Lock()
		had := s.fills[f.ExecID]
		s.mu.Unlock()
		if err := s.recordFill(ctx, f); err != nil {
			return err
		}
		if !had {
			p.FillsRecorded++
		}
	}
	unfinished, err := s.cfg.Log.IntentsWithoutFinalState(ctx)
	if err != nil {
		return err
	}
	for _, r := range unfinished {
		if r.Account == s.cfg.Account {
			p.Unfinished++
		}
	}
	if _, err := s.settle(ctx, "", false); err != nil {
		return err
	}
	if err := s.comparePositions(ctx, &p); err != nil {
		return err
	}
	_, err = s.cfg.Log.Append(ctx, audit.Entry{Kind: audit.KindReconcile, Account: s.cfg.Account, Payload: p})
	s.log.Info().Str("trigger", trigger).Int("fills_recorded", p.FillsRecorded).Int("unfinished", p.Unfinished).
		Strs("blocked", p.Blocked).Msg("reconciled")
	return err
}

func (s *Service) comparePositions(ctx context.Context, p *ReconcilePayload) error {
	cctx, cancel := s.brokerCtx(ctx)
	defer cancel()
	positions, err := s.cfg.Broker.Positions(cctx)
	if err != nil {
		return fmt.Errorf("read positions: %w", err)
	}
	open, err := s.cfg.Broker.OpenOrders(cctx)
	if err != nil {
		return fmt.Errorf("read open orders: %w", err)
	}
	if err := s.rebuildWorking(ctx, open); err != nil {
		return err
	}
	inFlight := map[string]bool{}
	for _, o := range open {
		if s.ours(o.Ref, o.Account) {
			inFlight[o.Contract.Symbol] = true
		}
	}
	var roots []string
	for _, r := range s.cfg.Sleeve.OwnedRoots() {
		if inFlight[r] {
			p.InFlight = append(p.InFlight, r)
			continue
		}
		roots = append(roots, r)
	}
	expected, err := state.ExpectedPositions(ctx, s.cfg.Log, s.cfg.Account)
	if err != nil {
		return err
	}
	blocked, err := state.Blocked(ctx, s.cfg.Log, s.cfg.Account)
	if err != nil {
		return err
	}
	for _, m := range state.Compare(expected, positions, s.cfg.Account, roots) {
		if _, already := blocked[m.Root]; already {
			continue
		}
		if _, err := state.RecordMismatch(ctx, s.cfg.Log, s.cfg.Account, m); err != nil {
			return err
		}
		s.log.Error().Str("root", m.Root).Str("detail", m.Detail).Msg("position mismatch: trading in this root is blocked until `rotor risk ack`")
		p.Mismatches = append(p.Mismatches, m.Root)
		blocked[m.Root] = m.Detail
	}
	for r := range blocked {
		p.Blocked = append(p.Blocked, r)
	}
	sort.Strings(p.Blocked)
	return nil
}
