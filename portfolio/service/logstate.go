package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
)

// logStateKinds are the kinds of the rows the account's log state is derived
// from: the kill switch, the risk marks, and the blocked roots (reconcile
// findings and operators' acknowledgements).
var logStateKinds = []string{audit.KindKillSwitch, state.KindRiskMarks, audit.KindReconcile, audit.KindOperatorAction}

// logState is the state every decision reads from the audit log, as of the
// newest row of logStateKinds (version). Rows of those kinds are written by
// this service and by operators' commands in other processes (rotor risk
// reset, rotor risk ack). A decision that is written (the write-ahead batch,
// a preview) is guarded by the state it was made on (guard), so a row that
// lands between the read and the commit sends it back to be made again.
//
// The service keeps the state of its last decision: the next one starts
// from it without reading the log, and its batch's guard proves it still
// current.
type logState struct {
	version   int64
	valid     bool
	ks        risk.KillSwitch
	marks     state.Marks
	haveMarks bool
	blocked   map[string]string
}

// guard holds while no row st is derived from has been written since st
// was read.
func (st logState) guard(account string) audit.NoNewer {
	return audit.NoNewer{Account: account, Kinds: logStateKinds, Seq: st.version}
}

// lastLogState returns the state the last decision left, and reads the log
// when there is none.
func (s *Service) lastLogState(ctx context.Context) (logState, error) {
	s.mu.Lock()
	c := s.logState
	s.mu.Unlock()
	if !c.valid {
		return s.readLogState(ctx)
	}
	c.blocked = maps.Clone(c.blocked)
	return c, nil
}

// advanceLogState keeps st, brought up to date with recs, for the next
// decision: recs is a batch just committed under st's guard, so no other
// row of logStateKinds was written between st.version and recs. Only the
// rows a decision writes, risk_marks and kill_switch (whose last row is the
// state), are applied; any other kind leaves nothing kept.
func (s *Service) advanceLogState(st logState, recs []audit.Record) {
	var err error
	for _, r := range recs {
		switch r.Kind {
		case state.KindRiskMarks:
			st.marks, err = state.MarksOf(r)
			st.haveMarks = true
		case audit.KindKillSwitch:
			st.ks, err = state.KillSwitchOf(r)
		case audit.KindReconcile, audit.KindOperatorAction:
			st.valid = false
		default:
			continue
		}
		st.version = r.Seq
		if err != nil {
			st.valid = false
		}
	}
	s.mu.Lock()
	s.logState = st
	s.mu.Unlock()
}

// forgetLogState drops the kept state after the service wrote a row it is
// derived from outside a decision's batch: the next decision reads the log.
func (s *Service) forgetLogState() {
	s.mu.Lock()
	s.logState = logState{}
	s.mu.Unlock()
}

// readLogState returns the account's kill switch, marks and blocked roots,
// from the cache when no row they come from was written since it was read.
func (s *Service) readLogState(ctx context.Context) (logState, error) {
	log, acct := s.cfg.Log, s.cfg.Account
	version, err := log.LastSeqOf(ctx, logStateKinds...)
	if err != nil {
		return logState{}, fmt.Errorf("read the audit log's head: %w", err)
	}
	s.mu.Lock()
	c := s.logState
	s.mu.Unlock()
	if c.valid && c.version == version {
		c.blocked = maps.Clone(c.blocked)
		return c, nil
	}
	// Rows written after version was read make the state newer than
	// version, never older: the next decision reads it again.
	st := logState{version: version, valid: true}
	var (
		errs [3]error
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		if st.ks, errs[0] = state.KillSwitch(ctx, log, acct); errs[0] != nil {
			errs[0] = fmt.Errorf("read the kill switch: %w", errs[0])
		}
	})
	wg.Go(func() {
		if st.marks, st.haveMarks, errs[1] = state.LoadMarks(ctx, log, acct); errs[1] != nil {
			errs[1] = fmt.Errorf("read the risk marks: %w", errs[1])
		}
	})
	wg.Go(func() {
		if st.blocked, errs[2] = state.Blocked(ctx, log, acct); errs[2] != nil {
			errs[2] = fmt.Errorf("read blocked instruments: %w", errs[2])
		}
	})
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return logState{}, err
	}
	s.mu.Lock()
	s.logState = st
	s.mu.Unlock()
	st.blocked = maps.Clone(st.blocked)
	return st, nil
}
