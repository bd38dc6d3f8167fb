package ibsim

import (
	"errors"
	"fmt"
	"strings"

	"time"

	"github.com/rotor-trading/rotor/broker/ibsim/wire"
)

// TWS codes the server sends outside the engine's rejections.
const (
	codeClientIDInUse = 326
	codeBadRequest    = 321
	codeHistorical    = 162
)

// handle serves one decoded request; it returns false to close the session.
func (ss *session) handle(req wire.Request) bool {
	srv, e, now := ss.srv, ss.srv.engine, ss.srv.cfg.Now()
	switch r := req.(type) {
	case wire.StartAPI:
		return ss.start(r)
	case wire.ReqIDs:
		id := e.NextID(ss.clientID())
		if used := e.UsedID(ss.clientID()); used > 0 && srv.take(func(f *faults) bool { t := f.reuseNextID; f.reuseNextID = false; return t }) {
			id = used
		}
		ss.send(ss.enc.NextValidID(id))
	case wire.ReqCurrentTime:
		ss.send(ss.enc.CurrentTime(now))
	case wire.ReqCurrentTimeInMillis:
		ss.send(ss.enc.CurrentTimeInMillis(now))
	case wire.ReqManagedAccts:
		ss.send(ss.enc.ManagedAccounts([]string{e.AccountID()}))
	case wire.ReqMarketDataType:
		// Accepted: the paper broker has one kind of data, daily marks.
	case wire.ReqContractDetails:
		ls := e.Resolve(queryOf(r.Contract))
		if len(ls) == 0 {
			ss.send(ss.enc.Error(r.ReqID, CodeNoSecDef, "No security definition has been found for the request", "", now))
			return true
		}
		for _, l := range ls {
			ss.send(ss.enc.ContractData(r.ReqID, ibDetails(l)))
		}
		ss.send(ss.enc.ContractDataEnd(r.ReqID))
	case wire.PlaceOrder:
		return ss.placeOrder(r)
	case wire.CancelOrder:
		_, ups, err := e.Cancel(ss.clientID(), r.OrderID)
		if err != nil {
			ss.reject(r.OrderID, err)
			return true
		}
		srv.deliver(ups)
		ss.send(ss.enc.Error(r.OrderID, CodeCancelled, "Order Canceled - reason:", "", now))
	case wire.ReqGlobalCancel:
		srv.deliver(e.CancelAll())
	case wire.ReqOpenOrders:
		ss.sendOpenOrders(func(o Order) bool { return o.ClientID == ss.clientID() })
	case wire.ReqAllOpenOrders:
		ss.sendOpenOrders(func(Order) bool { return true })
	case wire.ReqAutoOpenOrders:
		if ss.clientID() != 0 {
			ss.send(ss.enc.Error(-1, codeBadRequest, "Error validating request.-'reqAutoOpenOrders' : only client id 0 can bind orders", "", now))
			return true
		}
		ss.mu.Lock()
		ss.autoBind = r.AutoBind
		ss.mu.Unlock()
	case wire.ReqExecutions:
		ss.sendExecutions(r)
	case wire.ReqPositions:
		ss.mu.Lock()
		ss.posSub = true
		ss.mu.Unlock()
		for _, p := range e.Positions() {
			ss.send(ss.enc.Position(e.AccountID(), ibContract(p.Listing), ibDecimal(p.Quantity), float(p.AvgCost)))
		}
		ss.send(ss.enc.PositionEnd())
	case wire.CancelPositions:
		ss.mu.Lock()
		ss.posSub = false
		ss.mu.Unlock()
	case wire.ReqAccountSummary:
		tags := summaryTags(r.Tags)
		ss.mu.Lock()
		ss.sumSubs[r.ReqID] = tags
		ss.mu.Unlock()
		ss.sendSummary(r.ReqID, tags)
		ss.send(ss.enc.AccountSummaryEnd(r.ReqID))
	case wire.CancelAccountSummary:
		ss.mu.Lock()
		delete(ss.sumSubs, r.ReqID)
		ss.mu.Unlock()
	case wire.ReqAccountUpdates:
		if r.Account != "" && r.Account != e.AccountID() {
			ss.send(ss.enc.Error(-1, codeBadRequest, fmt.Sprintf("Error validating request.-'reqAccountUpdates' : account %s is not managed here (%s)", r.Account, e.AccountID()), "", now))
			return true
		}
		ss.mu.Lock()
		ss.acctSub = r.Subscribe
		ss.mu.Unlock()
		if r.Subscribe {
			ss.sendAccountUpdates()
			ss.send(ss.enc.AccountDownloadEnd(e.AccountID()))
		}
	case wire.ReqHistoricalData:
		ss.sendHistory(r)
	case wire.CancelHistoricalData:
		// History is answered at once and in full; there is nothing to stop.
	case wire.Unsupported:
		ss.send(ss.enc.Error(r.ReqID, codeBadRequest, fmt.Sprintf("Error validating request.-'message %d' : not supported by the paper broker", r.MsgID), "", now))
	default:
		ss.send(ss.enc.Error(-1, codeBadRequest, fmt.Sprintf("Error validating request.-'%s' : not supported by the paper broker", wire.RequestName(req)), "", now))
	}
	return true
}

// start answers startApi as TWS does: managed accounts, next valid id, the
// farm-status notices, then the client's own working orders.
func (ss *session) start(r wire.StartAPI) bool {
	srv, now := ss.srv, ss.srv.cfg.Now()
	if ss.started() {
		ss.send(ss.enc.Error(-1, codeBadRequest, "Error validating request.-'startApi' : already started", "", now))
		return true
	}
	if srv.clientInUse(ss, r.ClientID) {
		ss.send(ss.enc.Error(-1, codeClientIDInUse, "Unable to connect as the client id is already in use. Retry with a unique client id.", "", now))
		return false
	}
	ss.mu.Lock()
	ss.id, ss.isStart = r.ClientID, true
	ss.log = ss.log.With().Int64("client_id", r.ClientID).Logger()
	ss.mu.Unlock()
	e := srv.engine
	ss.send(ss.enc.ManagedAccounts([]string{e.AccountID()}), ss.enc.NextValidID(e.NextID(r.ClientID)),
		ss.enc.Error(-1, 2104, "Market data farm connection is OK:usfarm", "", now),
		ss.enc.Error(-1, 2106, "HMDS data farm connection is OK:ushmds", "", now),
		ss.enc.Error(-1, 2158, "Sec-def data farm connection is OK:secdefnj", "", now))
	for _, o := range e.Orders() {
		if o.ClientID == r.ClientID && o.Status.Working() {
			ss.sendOrder(o)
		}
	}
	ss.log.Info().Msg("client started")
	return true
}

func (ss *session) placeOrder(r wire.PlaceOrder) bool {
	srv, now := ss.srv, ss.srv.cfg.Now()
	if srv.cfg.OnOrder != nil {
		srv.cfg.OnOrder(r.Order.OrderRef)
	}
	if reason := srv.takeReject(); reason != "" {
		ss.send(ss.enc.Error(r.OrderID, CodeRejected, "Order rejected - reason:"+reason, "", now))
		return true
	}
	_, ups, err := srv.engine.Place(specOf(ss.clientID(), r.OrderID, r.Contract, r.Order))
	if err != nil {
		ss.reject(r.OrderID, err)
		return true
	}
	if srv.take(func(f *faults) bool { t := f.dropAfterNextOrder; f.dropAfterNextOrder = false; return t }) {
		ss.log.Warn().Int64("order_id", r.OrderID).Msg("fault: order accepted, dropping the socket before its acknowledgement")
		// Other clients bound to the order still hear of it; the placing
		// client must reconcile after it reconnects.
		srv.deliverExcept(ups, ss)
		return false
	}
	var delay = srv.delay()
	if delay > 0 {
		srv.after(delay, func() { srv.deliver(ups) })
		return true
	}
	srv.deliver(ups)
	return true
}

func (ss *session) reject(orderID int64, err error) {
	var rj *Reject
	if !errors.As(err, &rj) {
		rj = &Reject{CodeRejected, "Order rejected - reason:" + err.Error()}
	}
	ss.send(ss.enc.Error(orderID, rj.Code, rj.Msg, "", ss.srv.cfg.Now()))
}

func (ss *session) sendOrder(o Order) {
	c, io, st := ibOrder(o)
	ss.send(ss.enc.OpenOrder(o.OrderID, c, io, st), ss.orderStatus(o))
}

func (ss *session) orderStatus(o Order) []byte {
	return ss.enc.OrderStatus(o.OrderID, string(o.Status), ibDecimal(o.Filled), ibDecimal(o.Remaining()),
		float(o.AvgFillPrice), o.PermID, 0, float(o.LastFillPrice), o.ClientID, "", 0)
}

func (ss *session) sendOpenOrders(keep func(Order) bool) {
	for _, o := range ss.srv.engine.Orders() {
		if o.Status.Working() && keep(o) {
			ss.sendOrder(o)
		}
	}
	ss.send(ss.enc.OpenOrderEnd())
}

func (ss *session) sendExecutions(r wire.ReqExecutions) {
	f := r.Filter
	since, err := parseExecTime(f.Time)
	if err != nil {
		ss.send(ss.enc.Error(r.ReqID, codeBadRequest, "Error validating request.-'reqExecutions' : "+err.Error(), "", ss.srv.cfg.Now()))
		return
	}
	for _, x := range ss.srv.engine.Executions() {
		switch {
		case f.ClientID > 0 && x.ClientID != f.ClientID,
			f.AcctCode != "" && f.AcctCode != x.Account,
			!since.IsZero() && x.Time.Before(since),
			f.Symbol != "" && !strings.EqualFold(f.Symbol, x.Listing.Symbol),
			f.SecType != "" && !strings.EqualFold(f.SecType, string(x.Listing.SecType)),
			f.Exchange != "" && !strings.EqualFold(f.Exchange, x.Listing.Exchange),
			f.Side != "" && !sideMatches(f.Side, x.Side):
			continue
		}
		c, e := ibExecution(x)
		ss.send(ss.enc.ExecDetails(r.ReqID, c, e), ss.enc.CommissionReport(ibCommission(x)))
	}
	ss.send(ss.enc.ExecDetailsEnd(r.ReqID))
}

func sideMatches(filter, side string) bool {
	switch strings.ToUpper(filter) {
	case "BUY", "BOT":
		return side == "BOT"
	case "SELL", "SLD":
		return side == "SLD"
	}
	return false
}

// deliver sends the engine's updates to the clients that should see them:
// the placing client, and client 0 when it has bound orders with
// reqAutoOpenOrders(true). Fills also refresh position and account
// subscriptions.
func (s *Server) deliver(ups []Update) { s.deliverExcept(ups, nil) }

func (s *Server) deliverExcept(ups []Update, skip *session) {
	if len(ups) == 0 {
		return
	}
	repeat := false
	for _, u := range ups {
		if u.Kind == UpdateExecution {
			repeat = s.take(func(f *faults) bool { t := f.repeatNextExec; f.repeatNextExec = false; return t })
			break
		}
	}
	var touched []Listing
	for _, u := range ups {
		if u.Kind == UpdateExecution {
			touched = append(touched, u.Exec.Listing)
		}
	}
	s.each(func(ss *session) {
		if ss == skip {
			return
		}
		id := ss.clientID()
		ss.mu.Lock()
		bound := ss.autoBind
		ss.mu.Unlock()
		for _, u := range ups {
			owner := u.Order.ClientID == id
			switch u.Kind {
			case UpdateOpenOrder:
				if owner || bound {
					c, io, st := ibOrder(u.Order)
					ss.send(ss.enc.OpenOrder(u.Order.OrderID, c, io, st))
				}
			case UpdateStatus:
				if owner || bound {
					ss.send(ss.orderStatus(u.Order))
				}
			case UpdateExecution:
				if owner {
					c, e := ibExecution(u.Exec)
					ss.send(ss.enc.ExecDetails(-1, c, e))
					if repeat {
						ss.send(ss.enc.ExecDetails(-1, c, e))
					}
				}
			case UpdateCommission:
				if owner {
					ss.send(ss.enc.CommissionReport(ibCommission(u.Exec)))
				}
			}
		}
	})
	if len(touched) > 0 {
		s.each(func(ss *session) { ss.refreshSubscriptions(touched) })
	}
}

func (s *Server) delay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.delayAcks
}

func (s *Server) takeReject() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.faults.rejectNext
	s.faults.rejectNext = ""
	return r
}
