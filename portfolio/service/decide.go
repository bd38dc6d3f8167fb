package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
)

// Decision is one event's decision, with everything it was made from: what
// the broker said, the targets, the plan and risk's verdicts. The paper
// service routes Risk.Approved(); a preview only shows and records it.
type Decision struct {
	Event      signals.Event        `json:"-"`
	EventID    string               `json:"event_id"`
	Account    string               `json:"account"`
	At         time.Time            `json:"at"`
	Market     Market               `json:"market"`
	Targets    portfolio.Targets    `json:"targets"`
	Plan       portfolio.PlanResult `json:"plan"`
	Risk       risk.Decision        `json:"risk"`
	KillSwitch risk.KillSwitch      `json:"kill_switch"`
	Marks      state.Marks          `json:"marks"`
	Blocked    map[string]string    `json:"blocked,omitempty"`
	// marksRow records Marks when the decision moved them; it is written
	// with the decision (see marksRows).
	marksRow *audit.Entry
	// logState is the audit log's state the decision was made on; its
	// guard keeps the decision's batch from landing after a change to it.
	logState logState
}

// marksRows are the rows to write with the decision for its marks: none
// when they did not move.
func (d Decision) marksRows() []audit.Entry {
	if d.marksRow == nil {
		return nil
	}
	return []audit.Entry{*d.marksRow}
}

// Decide makes the decision for ev against the account as the broker shows
// it now: the same code path for paper trading, the dry-run service and
// `rotor plan`. It reads the broker and the audit log's state (kill switch,
// marks, blocked roots); it writes nothing and routes nothing. The marks it
// moved (a new trade date, a new high-water mark) are recorded with the
// decision, in the same commit.
func (s *Service) Decide(ctx context.Context, ev signals.Event) (Decision, error) {
	return s.decide(ctx, ev, false)
}

// decide is Decide. With kept it starts from the log state the service's
// last decision left (see logState), reading the log only when there is
// none; the caller then writes the decision guarded by that state.
//
// The broker's view is read on a goroutine of its own, since it may wait on
// TWS (account values older than AccountMaxAge are a round trip), while
// this one reads the log when it must: a few indexed lookups, each holding
// its thread in SQLite.
func (s *Service) decide(ctx context.Context, ev signals.Event, kept bool) (d Decision, err error) {
	now := s.cfg.Now()
	d = Decision{Event: ev, EventID: ev.ID, Account: s.cfg.Account, At: now}
	acct := s.cfg.Account
	var (
		m         Market
		marketErr error
		read      = make(chan struct{})
	)
	go func() {
		defer close(read)
		m, marketErr = s.readMarket(ctx, now)
	}()
	var st logState
	if kept {
		st, err = s.lastLogState(ctx)
	} else {
		st, err = s.readLogState(ctx)
	}
	<-read
	if err := errors.Join(marketErr, err); err != nil {
		return d, err
	}
	d.logState = st
	d.Market, d.KillSwitch, d.Blocked = m, st.ks, st.blocked
	if d.Marks, d.marksRow, err = state.AdvanceMarks(st.marks, st.haveMarks, acct, m.Account.NetLiquidation, state.TradeDate(now)); err != nil {
		return d, fmt.Errorf("bring the day's marks up to date: %w", err)
	}
	d.Targets, err = portfolio.NewTargets(portfolio.TargetInput{
		Event: ev, Account: acct, NLV: m.Account.NetLiquidation,
		Prices: m.targetPrices(), Contracts: m.Contracts,
		RealisedVolCloses: m.VolCloses, Config: s.cfg.Sleeve,
	})
	if err != nil {
		return d, fmt.Errorf("size the sleeve: %w", err)
	}
	if d.Plan, err = portfolio.Plan(m.Positions, d.Targets, now, s.cfg.Sleeve); err != nil {
		return d, fmt.Errorf("plan the orders: %w", err)
	}
	evTime, err := admit.EventTime(ev, s.cfg.Admit.Location)
	if err != nil {
		return d, err
	}
	d.Risk = risk.Check(risk.Input{
		Now: now, Limits: s.cfg.Limits, Account: m.Account, Positions: m.Positions,
		Orders: d.Plan.Requests(), Prices: m.riskPrices(), InitialMargin: s.cfg.InitialMargin,
		EventTime: evTime, RecentOrders: s.recentOrders(now), KillSwitch: d.KillSwitch,
		DayStartNLV: d.Marks.DayStartNLV, HighWaterMark: d.Marks.HighWaterMark, Blocked: d.Blocked,
	})
	return d, nil
}
