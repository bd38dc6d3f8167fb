package ibsim

import (
	"strings"

	"github.com/shopspring/decimal"
)

// summaryValues are the account summary tags the paper broker reports, in
// the order TWS lists them.
var summaryOrder = []string{"AccountType", "NetLiquidation", "TotalCashValue", "SettledCash", "GrossPositionValue",
	"InitMarginReq", "MaintMarginReq", "AvailableFunds", "ExcessLiquidity", "BuyingPower", "EquityWithLoanValue",
	"FullInitMarginReq", "FullMaintMarginReq", "FullAvailableFunds", "FullExcessLiquidity", "RealizedPnL", "UnrealizedPnL"}

// summaryTags parses a reqAccountSummary tag list; "All" or an empty list
// asks for everything. Group names like $LEDGER ask for currency values,
// which the paper broker reports in USD only.
func summaryTags(list string) []string {
	var tags []string
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		switch {
		case t == "", t == "All":
			return summaryOrder
		case strings.HasPrefix(t, "$LEDGER"):
			tags = append(tags, "TotalCashValue", "NetLiquidation", "RealizedPnL", "UnrealizedPnL")
		default:
			tags = append(tags, t)
		}
	}
	return tags
}

func (ss *session) accountValue(tag string, a AccountValues) (string, string, bool) {
	usd := func(d decimal.Decimal) (string, string, bool) { return d.StringFixed(2), "USD", true }
	switch tag {
	case "AccountType":
		return "INDIVIDUAL", "", true
	case "NetLiquidation", "EquityWithLoanValue":
		return usd(a.NetLiquidation)
	case "TotalCashValue", "SettledCash":
		return usd(a.Cash)
	case "GrossPositionValue":
		return usd(a.GrossPositionValue)
	case "InitMarginReq", "FullInitMarginReq":
		return usd(a.InitMargin)
	case "MaintMarginReq", "FullMaintMarginReq":
		return usd(a.MaintMargin)
	case "AvailableFunds", "FullAvailableFunds":
		return usd(a.AvailableFunds)
	case "ExcessLiquidity", "FullExcessLiquidity":
		return usd(a.ExcessLiquidity)
	case "BuyingPower":
		return usd(a.BuyingPower)
	case "RealizedPnL":
		return usd(a.RealizedPnL)
	case "UnrealizedPnL":
		return usd(a.UnrealizedPnL)
	}
	return "", "", false
}

func (ss *session) sendSummary(reqID int64, tags []string) {
	e := ss.srv.engine
	a := e.Account()
	for _, t := range tags {
		if v, cur, ok := ss.accountValue(t, a); ok {
			ss.send(ss.enc.AccountSummary(reqID, e.AccountID(), t, v, cur))
		}
	}
}

// sendAccountUpdates sends what reqAccountUpdates delivers: the account
// values, one portfolio line per position and the update time.
func (ss *session) sendAccountUpdates() {
	e := ss.srv.engine
	acct := e.AccountID()
	a := e.Account()
	for _, t := range summaryOrder {
		if v, cur, ok := ss.accountValue(t, a); ok {
			ss.send(ss.enc.UpdateAccountValue(t, v, cur, acct))
		}
	}
	ss.send(ss.enc.UpdateAccountValue("Currency", "USD", "USD", acct))
	for _, p := range e.Positions() {
		mult := decimal.NewFromInt(p.Listing.Multiplier)
		q := decimal.NewFromInt(p.Quantity)
		mv := p.Mark.Mul(mult).Mul(q)
		upnl := mv.Sub(p.AvgCost.Mul(q))
		ss.send(ss.enc.UpdatePortfolio(ibContract(p.Listing), ibDecimal(p.Quantity), float(p.Mark), float(mv),
			float(p.AvgCost), float(upnl), 0, acct))
	}
	ss.send(ss.enc.UpdateAccountTime(ss.srv.cfg.Now()))
}

// refreshSubscriptions re-sends positions, account summaries and account
// updates to a client subscribed to them, after a fill changed them.
func (ss *session) refreshSubscriptions(touched []Listing) {
	ss.mu.Lock()
	pos := ss.posSub
	ss.mu.Unlock()
	e := ss.srv.engine
	if pos {
		// TWS streams the changed positions, a closed one as zero.
		for _, l := range touched {
			qty, avg := e.PositionOf(l.ConID)
			ss.send(ss.enc.Position(e.AccountID(), ibContract(l), ibDecimal(qty), float(avg)))
		}
	}
	ss.refreshAccount()
}

// refreshAccount re-sends account summaries and account updates to a
// client subscribed to them, after a fill or a price move changed the
// account's values (TWS streams them on its own cadence; the paper broker
// at once).
func (ss *session) refreshAccount() {
	ss.mu.Lock()
	acct := ss.acctSub
	subs := make(map[int64][]string, len(ss.sumSubs))
	for k, v := range ss.sumSubs {
		subs[k] = v
	}
	ss.mu.Unlock()
	for id, tags := range subs {
		ss.sendSummary(id, tags)
		ss.send(ss.enc.AccountSummaryEnd(id))
	}
	if acct {
		ss.sendAccountUpdates()
	}
}
