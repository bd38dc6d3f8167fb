package ib

import (
	"fmt"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// wrapper receives one session's EClient callbacks. They run on ibapi's
// decoder goroutine; each recovers from its own panics so that no bug of
// ours on a strange value can take the process down.
type wrapper struct {
	ibapi.Wrapper // ibapi's logging defaults for messages the guard lets through but we ignore
	c             *Client
	s             *session
}

func (w *wrapper) recover(what string) {
	if r := recover(); r != nil {
		w.c.emitError(fmt.Errorf("ib: session %d: handling %s: %v", w.s.n, what, r))
	}
}

// ConnectionClosed is ibapi's last act when an EClient shuts down.
func (w *wrapper) ConnectionClosed() {
	w.s.libOnce.Do(func() { close(w.s.libClosed) })
	w.s.markDown()
}

// ConnectAck is ignored: readiness is nextValidId plus managedAccounts.
func (w *wrapper) ConnectAck() {}

// ManagedAccounts delivers the accounts of the login.
func (w *wrapper) ManagedAccounts(accounts []string) {
	select {
	case w.s.accounts <- accounts:
	default:
	}
}

// NextValidID delivers the next order id TWS will accept.
func (w *wrapper) NextValidID(id int64) {
	select {
	case w.s.nextIDs <- id:
	default:
	}
}

// CurrentTime is ignored.
func (w *wrapper) CurrentTime(int64) {}

// Error routes an IB error to the request, the order or the supervisor
// it belongs to.
func (w *wrapper) Error(id ibapi.TickerID, _ int64, code int64, msg string, _ string) {
	defer w.recover("error")
	c := w.c
	switch code {
	case codeConnectivityLost, codeRestoredDataLost, codeRestoredDataKept, codeSocketPortReset:
		select {
		case w.s.control <- code:
		default:
		}
		return
	}
	if r := c.pendingReq(id); r != nil && !informational(code) {
		r.finish(ibError(id, code, msg, ""))
		return
	}
	if v := w.s.live.Load(); v != nil && id == v.sumReqID && !informational(code) {
		err := ibError(id, code, msg, "")
		v.summaryFailed(err)
		c.emitError(fmt.Errorf("ib: session %d: account summary subscription: %w", w.s.n, err))
		return
	}
	if c.orderError(id, code, msg) {
		return
	}
	if informational(code) {
		c.log.Info().Int64("code", code).Int64("id", id).Str("msg", msg).Msg("TWS notice")
		return
	}
	c.emitError(fmt.Errorf("ib: session %d: %w", w.s.n, ibError(id, code, msg, "")))
}

// OrderStatus updates a known order and reports it.
func (w *wrapper) OrderStatus(id ibapi.OrderID, status string, filled, remaining ibapi.Decimal, avgFillPrice float64,
	permID, _ int64, _ float64, clientID int64, _ string, _ float64) {
	defer w.recover("orderStatus")
	w.c.orderStatus(id, clientID, broker.OrderStatus(status), filled.Int(), remaining.Int(), avgFillPrice, permID)
}

// OpenOrder feeds a reqAllOpenOrders in flight and acknowledges our orders.
func (w *wrapper) OpenOrder(id ibapi.OrderID, ct *ibapi.Contract, o *ibapi.Order, st *ibapi.OrderState) {
	defer w.recover("openOrder")
	rep := reportFromOpenOrder(id, ct, o, st, w.c.cfg.Now())
	c := w.c
	c.mu.Lock()
	r := c.openReq
	c.mu.Unlock()
	if r != nil {
		r.add(rep)
	}
	c.openOrder(rep)
}

// OpenOrderEnd ends a reqAllOpenOrders.
func (w *wrapper) OpenOrderEnd() {
	c := w.c
	c.mu.Lock()
	r := c.openReq
	c.mu.Unlock()
	if r != nil {
		r.finish(nil)
	}
}

// ExecDetails is a fill: live (request id -1) or an answer to reqExecutions.
func (w *wrapper) ExecDetails(reqID int64, ct *ibapi.Contract, e *ibapi.Execution) {
	defer w.recover("execDetails")
	f := fillFromExecution(ct, e)
	if r := w.c.pendingReq(reqID); r != nil {
		r.add(f) // reconcile decides whether it is news
		return
	}
	if v := w.s.live.Load(); v != nil {
		v.executed(f) // before the FillEvent: see live.go
	}
	w.c.recordFill(f, true)
}

// ExecDetailsEnd ends a reqExecutions.
func (w *wrapper) ExecDetailsEnd(reqID int64) {
	if r := w.c.pendingReq(reqID); r != nil {
		r.finish(nil)
	}
}

// CommissionAndFeesReport completes a fill with its commission.
func (w *wrapper) CommissionAndFeesReport(cr ibapi.CommissionAndFeesReport) {
	defer w.recover("commissionReport")
	w.c.recordCommission(cr)
}

// Position feeds the session's live view: a row of its positions
// subscription (the first snapshot, a resync, or a live update). The
// subscription is the only reqPositions the adapter sends.
func (w *wrapper) Position(account string, ct *ibapi.Contract, pos ibapi.Decimal, avgCost float64) {
	defer w.recover("position")
	if v := w.s.live.Load(); v != nil {
		v.position(broker.Position{Account: account, Contract: contractFromIB(ct), Quantity: pos.Int(), AvgCost: decFloat(avgCost)})
	}
}

// PositionEnd ends the live view's first snapshot or a resync.
func (w *wrapper) PositionEnd() {
	defer w.recover("positionEnd")
	if v := w.s.live.Load(); v != nil {
		v.positionEnd()
	}
}

// AccountSummary feeds the live view (its subscription's request id) or a
// reqAccountSummary in flight.
func (w *wrapper) AccountSummary(reqID int64, account, tag, value, currency string) {
	defer w.recover("accountSummary")
	row := summaryRow{account: account, tag: tag, value: value, currency: currency}
	if v := w.s.live.Load(); v != nil && reqID == v.sumReqID {
		v.summaryValue(row)
		return
	}
	if r := w.c.pendingReq(reqID); r != nil {
		r.add(row)
	}
}

// AccountSummaryEnd ends the live view's summary (first or a refresh) or
// a reqAccountSummary in flight.
func (w *wrapper) AccountSummaryEnd(reqID int64) {
	defer w.recover("accountSummaryEnd")
	if v := w.s.live.Load(); v != nil && reqID == v.sumReqID {
		v.summaryEnd()
		return
	}
	if r := w.c.pendingReq(reqID); r != nil {
		r.finish(nil)
	}
}

// ContractDetails feeds a reqContractDetails.
func (w *wrapper) ContractDetails(reqID int64, cd *ibapi.ContractDetails) {
	if r := w.c.pendingReq(reqID); r != nil && cd != nil {
		r.add(*cd)
	}
}

// ContractDetailsEnd ends a reqContractDetails.
func (w *wrapper) ContractDetailsEnd(reqID int64) {
	if r := w.c.pendingReq(reqID); r != nil {
		r.finish(nil)
	}
}

// HistoricalData feeds a reqHistoricalData.
func (w *wrapper) HistoricalData(reqID int64, bar *ibapi.Bar) {
	if r := w.c.pendingReq(reqID); r != nil && bar != nil {
		r.add(*bar)
	}
}

// HistoricalDataEnd ends a reqHistoricalData.
func (w *wrapper) HistoricalDataEnd(reqID int64, _, _ string) {
	if r := w.c.pendingReq(reqID); r != nil {
		r.finish(nil)
	}
}
