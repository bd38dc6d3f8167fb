package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
)

// cancelWorking cancels rotor's working orders in the account (never other
// strategies') and records each outcome. The caller holds s.route.
func (s *Service) cancelWorking(ctx context.Context, why string) {
	cctx, cancel := s.brokerCtx(ctx)
	defer cancel()
	working, err := s.cfg.Broker.OpenOrders(cctx)
	if err != nil {
		s.log.Error().Err(err).Msg("kill switch: could not read working orders to cancel them")
		return
	}
	for _, o := range working {
		if !s.ours(o.Ref, o.Account) {
			continue
		}
		rep, err := s.cfg.Broker.CancelOrder(cctx, o.Ref)
		if err != nil {
			s.log.Error().Err(err).Str("order_ref", o.Ref).Msg("kill switch: cancel failed")
			_, _ = s.cfg.Log.Append(ctx, audit.Entry{Kind: audit.KindError, PlanID: planOf(o.Ref), OrderRef: o.Ref,
				Instrument: o.Contract.Symbol, Account: s.cfg.Account, Payload: map[string]string{"stage": "cancel_working", "why": why, "error": err.Error()}})
			continue
		}
		if err := s.recordStatus(ctx, rep); err != nil {
			s.log.Error().Err(err).Str("order_ref", o.Ref).Msg("kill switch: could not record a cancellation")
		}
	}
}

// monitor checks the loss limits every MonitorEvery between events, so that
// the kill switch trips on a bad day even when no event arrives.
func (s *Service) monitor() {
	defer s.workers.Done()
	t := time.NewTicker(s.cfg.MonitorEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if err := s.checkLosses(s.ctx); err != nil && s.ctx.Err() == nil {
				s.log.Warn().Err(err).Msg("loss monitor")
			}
		}
	}
}

// checkLosses records the day's marks and trips the kill switch (cancelling
// rotor's working orders) when the daily loss or drawdown limit is breached.
// It reads the log's state afresh and writes the marks and the trip in one
// batch guarded by it, as decisions are (a preview in another process may
// write marks too); when the guard fails it reads and checks again, once.
func (s *Service) checkLosses(ctx context.Context) error {
	now := s.cfg.Now()
	cctx, cancel := s.brokerCtx(ctx)
	acct, err := s.cfg.Broker.Account(cctx)
	cancel()
	if err != nil {
		return err
	}
	s.route.Lock()
	defer s.route.Unlock()
	for attempt := 1; ; attempt++ {
		st, err := s.readLogState(ctx)
		if err != nil {
			return err
		}
		marks, row, err := state.AdvanceMarks(st.marks, st.haveMarks, s.cfg.Account, acct.NetLiquidation, state.TradeDate(now))
		if err != nil {
			return err
		}
		d := risk.Check(risk.Input{Now: now, Limits: s.cfg.Limits, Account: acct, KillSwitch: st.ks,
			DayStartNLV: marks.DayStartNLV, HighWaterMark: marks.HighWaterMark})
		var rows []audit.Entry
		if row != nil {
			rows = append(rows, *row)
		}
		if d.TripKillSwitch {
			rows = append(rows, state.TripRow(s.cfg.Account, d.TripReason, now, "", ""))
		}
		if len(rows) > 0 {
			recs, err := s.cfg.Log.AppendBatch(ctx, rows, st.guard(s.cfg.Account))
			if errors.Is(err, audit.ErrConflict) && attempt == 1 {
				continue
			}
			if err != nil {
				return fmt.Errorf("record the risk marks and kill switch: %w", err)
			}
			s.advanceLogState(st, recs)
		}
		s.cfg.Metrics.setKillSwitch(st.ks.Tripped || d.TripKillSwitch)
		if d.TripKillSwitch {
			s.log.Error().Str("reason", d.TripReason).Msg("kill switch tripped by the loss monitor")
		}
		if d.CancelWorking && (d.TripKillSwitch || st.ks.Tripped) {
			s.cancelWorking(ctx, d.TripReason+st.ks.Reason)
		}
		return nil
	}
}
