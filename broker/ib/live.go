package ib

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// The live view.
//
// Account and Positions are asked for on every event the portfolio handles,
// and a request/response to TWS per call put a loopback round trip (or
// several) on its event→order path. Instead, each session opens two
// subscriptions when it becomes ready and keeps them for its life:
// reqPositions (every position, positionEnd, then a position message
// whenever one changes, a closed one as 0) and reqAccountSummary with a
// request id the session owns (the values, accountSummaryEnd, then updates).
// The wrapper feeds what they deliver into the session's liveView, and
// Account and Positions answer from it.
//
// A view belongs to one session: a new session, or the same one after TWS
// reports 1101 (data lost), starts an empty one, and a view is retired (never
// served again) when its session goes down or is replaced.
//
// Freshness after our own fills. A caller that has seen a FillEvent expects
// Positions to include the fill. TWS reports the execution (execDetails) and
// the position (position) in separate messages, in an order it does not
// promise, and may not send the position at all. So a live execution marks
// its contract unsettled (before the FillEvent is emitted, on the same
// decoder goroutine, so a caller that saw the event finds the mark) with the
// quantity the position should then have: the view's quantity plus the
// fill's, or plus every unsettled fill's. A position message for the contract
// that arrives after the execution and carries that quantity settles it.
// Positions waits briefly (Config.SettleTimeout) for the contracts unsettled
// when it was called; if they do not settle it resyncs: it sends reqPositions
// again on the open subscription (no cancel: TWS sends every position and a
// positionEnd again), and on that positionEnd the view is replaced by what
// arrived since the request.
//
// Why that is sound. The wire from TWS is one ordered stream and the wrapper
// handles it on one goroutine, so "arrives after" is well defined. The one
// thing assumed of TWS (A1) is that its position for a contract includes an
// execution by the time it sends that execution's execDetails.
//   - Execution, then its position (what ibsim does; the TWS captures we
//     have show no position update on an open subscription either way): the
//     position carries the expected quantity and settles it.
//   - Position, then execution: the position came first, so nothing after
//     the execution settles it; Positions resyncs. The snapshot is computed
//     after TWS read the resync request, which we sent after the execution had
//     arrived, so after TWS sent it: by A1 the snapshot includes the fill.
//     This is why a resync clears exactly the marks made before its request
//     was sent, and no others.
//   - An execution that arrives while a resync is in flight may or may not be
//     in the snapshot (TWS may have sent it before or after it read the
//     request), so the resync's positionEnd does not clear it; a position row
//     with the expected quantity still settles it, as any position does, and
//     otherwise the next Positions call resyncs again.
//   - Two fills before their positions (exec, exec, position, position): the
//     first position carries the quantity after one fill, not two, and
//     settles nothing; a stale position after an execution (which A1 rules
//     out, but nothing enforces) cannot settle it either unless it happens to
//     carry the expected quantity. Requiring the quantity costs a resync
//     where another client's fill in the same contract interleaves with ours;
//     it never lets a stale view through that "any later position" would
//     have caught.
//   - A repeated execDetails (same execution id) marks nothing: its fill is
//     already counted.
//
// Account values have no per-contract message to settle on; after our own
// fill Account waits up to the same bound for the next accountSummaryEnd,
// then answers with what it has. Its UpdatedAt is when the last value
// arrived, which says how old the answer is; values older than
// Config.AccountMaxAge are read afresh with a request of their own, since
// real TWS refreshes the summary every few minutes, not as prices move.

// liveView is one session's picture of the account, kept by its
// subscriptions. The wrapper's callbacks write it on ibapi's decoder
// goroutine; Account and Positions read it.
type liveView struct {
	account  string
	sumReqID int64
	now      func() time.Time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change: wakes waiters
	err     error         // why the view is retired; never served once set

	positions  map[int64]broker.Position // the account's, by conID, zeros kept
	posSent    int                       // reqPositions answers owed to this view (incl. ones answered)
	posFirst   int                       // the positionEnd count that completes the first snapshot
	posEnded   int                       // positionEnds received
	resync     *resync                   // the resync collecting, if any
	execSeq    uint64                    // our executions seen, numbered from 1
	execs      map[string]bool           // their execution ids
	unsettled  map[int64]unsettled       // by conID
	summary    map[string]summaryRow     // the account's values, by tag
	sumDone    bool                      // the first accountSummaryEnd arrived
	sumErr     error                     // TWS refused the summary subscription
	sumAt      time.Time                 // last summary value
	sumSettled uint64                    // execSeq at the last accountSummaryEnd
}

// unsettled is a contract whose position has not caught up with our fills.
type unsettled struct {
	seq   uint64 // the latest execution that marked it
	want  int64  // the position it should then have
	known bool   // want is known (the fills had a side)
}

// resync collects the answer to a reqPositions sent on the open subscription.
type resync struct {
	end  int                       // the positionEnd count that ends it
	seq  uint64                    // executions up to this one are in its snapshot
	rows map[int64]broker.Position // what arrived since the request
	done bool
}

func newLiveView(account string, sumReqID int64, now func() time.Time) *liveView {
	return &liveView{account: account, sumReqID: sumReqID, now: now, changed: make(chan struct{}),
		positions: map[int64]broker.Position{}, execs: map[string]bool{}, unsettled: map[int64]unsettled{},
		summary: map[string]summaryRow{}}
}

// notify wakes waiters; v.mu must be held.
func (v *liveView) notify() {
	close(v.changed)
	v.changed = make(chan struct{})
}

// retire stops the view from being served: waiters and later readers get err.
func (v *liveView) retire(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.err == nil {
		v.err = err
		v.notify()
	}
}

// position records a position message (a snapshot row or a live update).
func (v *liveView) position(p broker.Position) {
	if p.Account != v.account {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	id := p.Contract.ConID
	v.positions[id] = p
	if r := v.resync; r != nil {
		r.rows[id] = p
	}
	if u, ok := v.unsettled[id]; ok && (!u.known || u.want == p.Quantity) {
		delete(v.unsettled, id)
	}
	v.notify()
}

// positionEnd ends the first snapshot or a resync.
func (v *liveView) positionEnd() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.posEnded++
	if r := v.resync; r != nil && v.posEnded >= r.end {
		v.positions = r.rows
		for id, u := range v.unsettled {
			if u.seq <= r.seq {
				delete(v.unsettled, id)
			}
		}
		r.done = true
		v.resync = nil
	}
	v.notify()
}

// executed marks the contract of one of our live executions unsettled; it
// must run before the fill is reported.
func (v *liveView) executed(f broker.Fill) {
	if f.Account != v.account || f.ExecID == "" {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.execs[f.ExecID] {
		return
	}
	v.execs[f.ExecID] = true
	v.execSeq++
	id := f.Contract.ConID
	u, ok := v.unsettled[id]
	if !ok {
		u = unsettled{want: v.positions[id].Quantity, known: true}
	}
	u.seq = v.execSeq
	switch f.Side {
	case broker.Buy:
		u.want += f.Quantity
	case broker.Sell:
		u.want -= f.Quantity
	default:
		u.known = false
	}
	v.unsettled[id] = u
	v.notify()
}

// summaryValue records an accountSummary value.
func (v *liveView) summaryValue(row summaryRow) {
	if row.account != v.account {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.summary[row.tag] = row
	v.sumAt = v.now()
	v.notify()
}

// summaryEnd marks the summary complete and current as of our last fill.
func (v *liveView) summaryEnd() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sumDone = true
	v.sumSettled = v.execSeq
	v.notify()
}

// summaryFailed records TWS's refusal of the summary subscription.
func (v *liveView) summaryFailed(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.sumErr == nil {
		v.sumErr = err
	}
	v.notify()
}

// errNoAnswer says a wait ran out of time.
var errNoAnswer = errors.New("no answer")

// holds reports whether cond (called with v.mu held) holds now, or the
// view is retired.
func (v *liveView) holds(cond func() bool) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err != nil || cond()
}

// wait waits until cond (called with v.mu held) holds, for ctx, for
// timeout (errNoAnswer) and for the view's retirement.
func (v *liveView) wait(ctx context.Context, timeout <-chan time.Time, cond func() bool) error {
	for {
		v.mu.Lock()
		err, ok, ch := v.err, cond(), v.changed
		v.mu.Unlock()
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout:
			return errNoAnswer
		}
	}
}

// positionsComplete reports the first snapshot's positionEnd; v.mu must be
// held.
func (v *liveView) positionsComplete() bool { return v.posEnded >= v.posFirst }

// summaryComplete reports the first accountSummaryEnd or a refusal; v.mu
// must be held.
func (v *liveView) summaryComplete() bool { return v.sumDone || v.sumErr != nil }

// settled reports that no contract is unsettled by an execution up to
// seq; v.mu must be held.
func (v *liveView) settled(seq uint64) bool {
	for _, u := range v.unsettled {
		if u.seq <= seq {
			return false
		}
	}
	return true
}

// lastExec is the number of our executions seen so far.
func (v *liveView) lastExec() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.execSeq
}

// beginResync starts collecting the answer to a reqPositions about to be sent.
func (v *liveView) beginResync() *resync {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.posSent++
	r := &resync{end: v.posSent, seq: v.execSeq, rows: map[int64]broker.Position{}}
	v.resync = r
	return r
}

// endResync stops collecting for r if it has not finished; sent says
// whether its request went out (its positionEnd is then still owed).
func (v *liveView) endResync(r *resync, sent bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.resync == r {
		v.resync = nil
	}
	if !sent {
		v.posSent--
	}
}

// giveUpSummary stops waiting for a summary update after executions up to
// seq: TWS refreshes it on its own schedule.
func (v *liveView) giveUpSummary(seq uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sumSettled = max(v.sumSettled, seq)
}

// positionList returns the account's non-zero positions by symbol, expiry
// and contract id.
func (v *liveView) positionList() []broker.Position {
	v.mu.Lock()
	out := make([]broker.Position, 0, len(v.positions))
	for _, p := range v.positions {
		if p.Quantity != 0 {
			out = append(out, p)
		}
	}
	v.mu.Unlock()
	slices.SortFunc(out, func(a, b broker.Position) int {
		return cmp.Or(strings.Compare(a.Contract.Symbol, b.Contract.Symbol),
			a.Contract.Expiry.Compare(b.Contract.Expiry), cmp.Compare(a.Contract.ConID, b.Contract.ConID))
	})
	return out
}

// summaryRows returns the account's values and when the last one arrived.
func (v *liveView) summaryRows() ([]summaryRow, time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	rows := make([]summaryRow, 0, len(v.summary))
	for _, r := range v.summary {
		rows = append(rows, r)
	}
	return rows, v.sumAt
}

// subscribe gives s a new live view and opens the subscriptions that feed
// it. It runs when s becomes ready and again after TWS reports 1101 (data
// lost: TWS wants subscriptions sent again); the view it replaces is retired.
func (c *Client) subscribe(ctx context.Context, s *session) error {
	v := newLiveView(c.AccountID(), c.newReqID(), c.cfg.Now)
	v.posSent = 1
	old := s.live.Load()
	if old != nil {
		old.retire(fmt.Errorf("session %d: TWS lost data (1101); its view was rebuilt: %w", s.n, broker.ErrNotConnected))
	}
	// posMu: no resync of the old view is between its request and ours.
	c.posMu.Lock()
	defer c.posMu.Unlock()
	if old != nil {
		// A positionEnd still owed to the old view would otherwise end the
		// new view's snapshot early, with rows missing; positionEnds carry
		// no request id, so the new view waits for those first. If one
		// of them never comes, Positions drops the session after
		// RequestTimeout (abandonSnapshot) and the next one starts clean.
		old.mu.Lock()
		v.posSent += old.posSent - old.posEnded
		old.mu.Unlock()
	}
	v.posFirst = v.posSent
	s.live.Store(v)
	select {
	case <-s.down: // markDown may have retired the old view only
		v.retire(fmt.Errorf("session %d is down: %w", s.n, broker.ErrNotConnected))
	default:
	}
	if old != nil {
		// TWS keeps at most two summary subscriptions; drop the old one in
		// case it survived the 1101.
		if err := c.send(ctx, s, func(ec *ibapi.EClient) { ec.CancelAccountSummary(old.sumReqID) }); err != nil {
			return err
		}
	}
	if err := c.send(ctx, s, func(ec *ibapi.EClient) { ec.ReqPositions() }); err != nil {
		return err
	}
	return c.send(ctx, s, func(ec *ibapi.EClient) {
		ec.ReqAccountSummary(v.sumReqID, "All", strings.Join(summaryTags, ","))
	})
}
