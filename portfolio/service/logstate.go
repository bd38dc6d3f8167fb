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
// reset, rotor risk ack), so a decision asks the log for that newest seq, one
// indexed lookup, and reads the state again only when it moved.
type logState struct {
	version   int64
	valid     bool
	ks        risk.KillSwitch
	marks     state.Marks
	haveMarks bool
	blocked   map[string]string
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
