package wire

import (
	"strings"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
)

// OpenOrder describes an order and its state, in answer to placeOrder and
// the open-order requests. Fields follow the client decoder
// (processOpenOrderMsg) at e.V; values are printed as TWS prints them,
// including its placeholders for unset fields: an empty right is "?", an
// empty delta-neutral order type is "None" (followed, as in TWS, by the
// delta-neutral block), unset margin figures are Double.MAX_VALUE, unset
// prices in the adjusted-order block are Double.MAX_VALUE.
func (e Encoder) OpenOrder(orderID int64, c *ibapi.Contract, o *ibapi.Order, s *ibapi.OrderState) []byte {
	if e.pb(ibapi.OPEN_ORDER) {
		return e.pbOpenOrder(orderID, c, o, s)
	}
	v := e.v()
	w := newWriter(v, ibapi.OPEN_ORDER, 1024)
	ver := v
	if v < ibapi.MIN_SERVER_VER_ORDER_CONTAINER {
		ver = versionOpenOrder
		w.int(versionOpenOrder)
	}
	w.int(orderID)

	w.int(c.ConID)
	w.str(c.Symbol)
	w.str(c.SecType)
	w.str(c.LastTradeDateOrContractMonth)
	w.num(strikeOrZero(c.Strike))
	w.str(orUnknown(c.Right))
	w.str(c.Multiplier)
	w.str(c.Exchange)
	w.str(c.Currency)
	w.str(c.LocalSymbol)
	w.str(c.TradingClass)

	w.str(o.Action)
	w.decimal(o.TotalQuantity)
	w.str(o.OrderType)
	w.float(priceOrZero(o.LmtPrice))
	w.float(priceOrZero(o.AuxPrice))
	w.str(o.TIF)
	w.str(o.OCAGroup)
	w.str(o.Account)
	w.str(o.OpenClose)
	w.int(o.Origin)
	w.str(o.OrderRef)
	w.int(o.ClientID)
	w.int(o.PermID)
	w.bool(o.OutsideRTH)
	w.bool(o.Hidden)
	w.num(o.DiscretionaryAmt)
	w.str(o.GoodAfterTime)
	w.str("") // sharesAllocation: TWS prints an internal allocation id here; clients skip it
	w.str(o.FAGroup)
	w.str(o.FAMethod)
	w.str(o.FAPercentage)
	if v < ibapi.MIN_SERVER_VER_FA_PROFILE_DESUPPORT {
		w.str("") // faProfile
	}
	if v >= ibapi.MIN_SERVER_VER_MODELS_SUPPORT {
		w.str(o.ModelCode)
	}
	w.str(o.GoodTillDate)
	w.str(o.Rule80A)
	w.floatMax(o.PercentOffset)
	w.str(o.SettlingFirm)
	w.int(o.ShortSaleSlot)
	w.str(o.DesignatedLocation)
	if v == ibapi.MIN_SERVER_VER_SSHORTX_OLD {
		w.int(0)
	} else if ver >= 23 {
		w.int(o.ExemptCode)
	}
	w.int(o.AuctionStrategy)
	w.floatMax(o.StartingPrice)
	w.floatMax(o.StockRefPrice)
	w.floatMax(o.Delta)
	w.floatMax(o.StockRangeLower)
	w.floatMax(o.StockRangeUpper)
	w.int(o.DisplaySize)
	w.bool(o.BlockOrder)
	w.bool(o.SweepToFill)
	w.bool(o.AllOrNone)
	w.intMax(o.MinQty)
	w.int(o.OCAType)
	w.bool(false) // eTradeOnly
	w.bool(false) // firmQuoteOnly
	w.str("")     // nbboPriceCap
	w.int(o.ParentID)
	w.int(o.TriggerMethod)

	encodeVolOrderParams(w, ver, o)

	// TWS leaves this first trail stop price empty unless the order trails;
	// the adjusted-order block below carries the value (captures: LMT and
	// MKT orders with "" here and the price there). The client decoder
	// stores both into TrailStopPrice.
	if strings.HasPrefix(o.OrderType, "TRAIL") {
		w.floatMax(o.TrailStopPrice)
	} else {
		w.str("")
	}
	if ver >= 30 {
		w.floatMax(o.TrailingPercent)
	}
	w.floatMax(o.BasisPoints)
	w.intMax(o.BasisPointsType)

	w.str(c.ComboLegsDescrip)
	if ver >= 29 {
		w.int(int64(len(c.ComboLegs)))
		for _, l := range c.ComboLegs {
			w.int(l.ConID)
			w.int(l.Ratio)
			w.str(l.Action)
			w.str(l.Exchange)
			w.int(l.OpenClose)
			w.int(l.ShortSaleSlot)
			w.str(l.DesignatedLocation)
			w.int(l.ExemptCode)
		}
		w.int(int64(len(o.OrderComboLegs)))
		for _, l := range o.OrderComboLegs {
			w.floatMax(l.Price)
		}
	}
	if ver >= 26 {
		writeTagPairs(w, o.SmartComboRoutingParams)
	}
	if ver >= 20 {
		w.int(o.ScaleInitLevelSize)
		w.int(o.ScaleSubsLevelSize)
	} else {
		w.str("")
		w.int(o.ScaleInitLevelSize)
	}
	w.floatMax(o.ScalePriceIncrement)
	if ver >= 28 && o.ScalePriceIncrement != ibapi.UNSET_FLOAT && o.ScalePriceIncrement > 0 {
		w.floatMax(o.ScalePriceAdjustValue)
		w.intMax(o.ScalePriceAdjustInterval)
		w.floatMax(o.ScaleProfitOffset)
		w.bool(o.ScaleAutoReset)
		w.intMax(o.ScaleInitPosition)
		w.intMax(o.ScaleInitFillQty)
		w.bool(o.ScaleRandomPercent)
	}
	if ver >= 24 {
		w.str(o.HedgeType)
		if o.HedgeType != "" {
			w.str(o.HedgeParam)
		}
	}
	if ver >= 25 {
		w.bool(o.OptOutSmartRouting)
	}
	w.str(o.ClearingAccount)
	w.str(o.ClearingIntent)
	if ver >= 22 {
		w.bool(o.NotHeld)
	}
	if ver >= 20 {
		if dn := c.DeltaNeutralContract; dn != nil {
			w.bool(true)
			w.int(dn.ConID)
			w.float(dn.Delta)
			w.float(dn.Price)
		} else {
			w.bool(false)
		}
	}
	if ver >= 21 {
		w.str(o.AlgoStrategy)
		if o.AlgoStrategy != "" {
			writeTagPairs(w, o.AlgoParams)
		}
	}
	if ver >= 33 {
		w.bool(o.Solicited)
	}
	w.bool(o.WhatIf)
	encodeOrderState(w, v, s)
	if ver >= 34 {
		w.bool(o.RandomizeSize)
		w.bool(o.RandomizePrice)
	}
	encodeOpenOrderTail(w, v, c, o)
	return w.frame()
}

// encodeVolOrderParams writes the volatility block (decodeVolOrderParams
// with readOpenOrderAttribs).
func encodeVolOrderParams(w *fieldWriter, ver ibapi.Version, o *ibapi.Order) {
	w.floatMax(o.Volatility)
	w.int(zeroIfUnset(o.VolatilityType))
	dnType := o.DeltaNeutralOrderType
	if dnType == "" {
		dnType = "None"
	}
	w.str(dnType)
	w.floatMax(o.DeltaNeutralAuxPrice)
	if ver >= 27 {
		w.int(o.DeltaNeutralConID)
		w.str(o.DeltaNeutralSettlingFirm)
		w.str(o.DeltaNeutralClearingAccount)
		w.str(o.DeltaNeutralClearingIntent)
	}
	if ver >= 31 {
		w.str(orUnknown(o.DeltaNeutralOpenClose))
		w.bool(o.DeltaNeutralShortSale)
		w.int(o.DeltaNeutralShortSaleSlot)
		w.str(o.DeltaNeutralDesignatedLocation)
	}
	w.bool(o.ContinuousUpdate)
	w.int(zeroIfUnset(o.ReferencePriceType))
}

// encodeOrderState writes the status, what-if margins and commissions.
func encodeOrderState(w *fieldWriter, v ibapi.Version, s *ibapi.OrderState) {
	w.str(s.Status)
	if v >= ibapi.MIN_SERVER_VER_WHAT_IF_EXT_FIELDS {
		w.str(orMax(s.InitMarginBefore))
		w.str(orMax(s.MaintMarginBefore))
		w.str(orMax(s.EquityWithLoanBefore))
		w.str(orMax(s.InitMarginChange))
		w.str(orMax(s.MaintMarginChange))
		w.str(orMax(s.EquityWithLoanChange))
	}
	w.str(orMax(s.InitMarginAfter))
	w.str(orMax(s.MaintMarginAfter))
	w.str(orMax(s.EquityWithLoanAfter))
	w.floatMax(s.CommissionAndFees)
	w.floatMax(s.MinCommissionAndFees)
	w.floatMax(s.MaxCommissionAndFees)
	w.str(s.CommissionAndFeesCurrency)
	if v >= ibapi.MIN_SERVER_VER_FULL_ORDER_PREVIEW_FIELDS {
		w.str(s.MarginCurrency)
		w.float(s.InitMarginBeforeOutsideRTH)
		w.float(s.MaintMarginBeforeOutsideRTH)
		w.float(s.EquityWithLoanBeforeOutsideRTH)
		w.float(s.InitMarginChangeOutsideRTH)
		w.float(s.MaintMarginChangeOutsideRTH)
		w.float(s.EquityWithLoanChangeOutsideRTH)
		w.float(s.InitMarginAfterOutsideRTH)
		w.float(s.MaintMarginAfterOutsideRTH)
		w.float(s.EquityWithLoanAfterOutsideRTH)
		w.decimalUnsetLong(s.SuggestedSize)
		w.str(s.RejectReason)
		w.int(int64(len(s.OrderAllocations)))
		for _, a := range s.OrderAllocations {
			w.str(a.Account)
			w.decimal(a.Position)
			w.decimal(a.PositionDesired)
			w.decimal(a.PositionAfter)
			w.decimal(a.DesiredAllocQty)
			w.decimal(a.AllowedAllocQty)
			w.bool(a.IsMonetary)
		}
	}
	w.str(s.WarningText)
}

// encodeOpenOrderTail writes the fields added from
// MIN_SERVER_VER_PEGGED_TO_BENCHMARK on.
func encodeOpenOrderTail(w *fieldWriter, v ibapi.Version, c *ibapi.Contract, o *ibapi.Order) {
	if v >= ibapi.MIN_SERVER_VER_PEGGED_TO_BENCHMARK {
		if o.OrderType == "PEG BENCH" {
			w.int(o.ReferenceContractID)
			w.bool(o.IsPeggedChangeAmountDecrease)
			w.float(o.PeggedChangeAmount)
			w.float(o.ReferenceChangeAmount)
			w.str(o.ReferenceExchangeID)
		}
		encodeConditions(w, o)
		adj := o.AdjustedOrderType
		if adj == "" {
			adj = "None"
		}
		w.str(adj)
		w.float(o.TriggerPrice)
		w.float(o.TrailStopPrice)
		w.float(o.LmtPriceOffset)
		w.float(o.AdjustedStopPrice)
		w.float(o.AdjustedStopLimitPrice)
		w.float(o.AdjustedTrailingAmount)
		w.int(o.AdjustableTrailingUnit)
	}
	if v >= ibapi.MIN_SERVER_VER_SOFT_DOLLAR_TIER {
		w.str(o.SoftDollarTier.Name)
		w.str(o.SoftDollarTier.Value)
		w.str(o.SoftDollarTier.DisplayName)
	}
	if v >= ibapi.MIN_SERVER_VER_CASH_QTY {
		w.num(zeroIfUnsetF(o.CashQty))
	}
	if v >= ibapi.MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE {
		w.bool(o.DontUseAutoPriceForHedge)
	}
	if v >= ibapi.MIN_SERVER_VER_ORDER_CONTAINER {
		w.bool(o.IsOmsContainer)
	}
	if v >= ibapi.MIN_SERVER_VER_D_PEG_ORDERS {
		w.bool(o.DiscretionaryUpToLimitPrice)
	}
	if v >= ibapi.MIN_SERVER_VER_PRICE_MGMT_ALGO {
		w.int(zeroIfUnset(o.UsePriceMgmtAlgo))
	}
	if v >= ibapi.MIN_SERVER_VER_DURATION {
		w.intMax(o.Duration)
	}
	if v >= ibapi.MIN_SERVER_VER_POST_TO_ATS {
		w.intMax(o.PostToAts)
	}
	if v >= ibapi.MIN_SERVER_VER_AUTO_CANCEL_PARENT {
		w.bool(o.AutoCancelParent)
	}
	if v >= ibapi.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS {
		w.intMax(o.MinTradeQty)
		w.intMax(o.MinCompeteSize)
		w.floatMax(o.CompeteAgainstBestOffset)
		w.floatMax(o.MidOffsetAtWhole)
		w.floatMax(o.MidOffsetAtHalf)
	}
	if v >= ibapi.MIN_SERVER_VER_CUSTOMER_ACCOUNT {
		w.str(o.CustomerAccount)
	}
	if v >= ibapi.MIN_SERVER_VER_PROFESSIONAL_CUSTOMER {
		w.bool(o.ProfessionalCustomer)
	}
	if v >= ibapi.MIN_SERVER_VER_BOND_ACCRUED_INTEREST {
		w.str(o.BondAccruedInterest)
	}
	if v >= ibapi.MIN_SERVER_VER_INCLUDE_OVERNIGHT {
		w.bool(o.IncludeOvernight)
	}
	if v >= ibapi.MIN_SERVER_VER_CME_TAGGING_FIELDS_IN_OPEN_ORDER {
		w.str(o.ExtOperator)
		w.intMax(o.ManualOrderIndicator)
	}
	if v >= ibapi.MIN_SERVER_VER_SUBMITTER {
		w.str(o.Submitter)
	}
	if v >= ibapi.MIN_SERVER_VER_IMBALANCE_ONLY {
		w.bool(o.ImbalanceOnly)
	}
}

// encodeConditions writes the order conditions as the client sent them.
func encodeConditions(w *fieldWriter, o *ibapi.Order) {
	w.int(int64(len(o.Conditions)))
	for _, cond := range o.Conditions {
		w.int(cond.Type())
		conj := "o"
		if cond.IsConjunctionConnection() {
			conj = "a"
		}
		w.str(conj)
		switch c := cond.(type) {
		case *ibapi.PriceCondition:
			w.bool(c.IsMore)
			w.int(c.ConID)
			w.str(c.Exchange)
			w.float(c.Price)
			w.int(int64(c.TriggerMethod))
		case *ibapi.TimeCondition:
			w.bool(c.IsMore)
			w.str(c.Time)
		case *ibapi.MarginCondition:
			w.bool(c.IsMore)
			w.int(c.Percent)
		case *ibapi.ExecutionCondition:
			w.str(c.SecType)
			w.str(c.Exchange)
			w.str(c.Symbol)
		case *ibapi.VolumeCondition:
			w.bool(c.IsMore)
			w.int(c.ConID)
			w.str(c.Exchange)
			w.int(c.Volume)
		case *ibapi.PercentChangeCondition:
			w.bool(c.IsMore)
			w.int(c.ConID)
			w.str(c.Exchange)
			w.float(c.ChangePercent)
		}
	}
	if len(o.Conditions) > 0 {
		w.bool(o.ConditionsIgnoreRth)
		w.bool(o.ConditionsCancelOrder)
	}
}

// OpenOrderEnd ends an answer to reqOpenOrders / reqAllOpenOrders.
func (e Encoder) OpenOrderEnd() []byte {
	if e.pb(ibapi.OPEN_ORDER_END) {
		return protoFrame(ibapi.OPEN_ORDER_END, &protobuf.OpenOrdersEnd{})
	}
	return e.simple(ibapi.OPEN_ORDER_END)
}

// CompletedOrdersEnd ends an answer to reqCompletedOrders; TWS sends no
// VERSION field with it.
func (e Encoder) CompletedOrdersEnd() []byte {
	if e.pb(ibapi.COMPLETED_ORDERS_END) {
		return protoFrame(ibapi.COMPLETED_ORDERS_END, &protobuf.CompletedOrdersEnd{})
	}
	return newWriter(e.v(), ibapi.COMPLETED_ORDERS_END, 4).frame()
}

// OrderStatus reports an order's progress. Before
// MIN_SERVER_VER_MARKET_CAP_PRICE it has a VERSION field and no
// mktCapPrice. Prices are printed in their shortest form ("0", "96.9") as
// TWS does (TWS pads to the instrument's tick precision, "96.90", which
// the price alone cannot reproduce).
func (e Encoder) OrderStatus(orderID int64, status string, filled, remaining ibapi.Decimal, avgFillPrice float64,
	permID, parentID int64, lastFillPrice float64, clientID int64, whyHeld string, mktCapPrice float64) []byte {
	if e.pb(ibapi.ORDER_STATUS) {
		return protoFrame(ibapi.ORDER_STATUS, &protobuf.OrderStatus{
			OrderId: reqID32(orderID), Status: optStr(status), Filled: optDecimal(filled), Remaining: optDecimal(remaining),
			AvgFillPrice: optFloat(avgFillPrice), PermId: ptr(permID), ParentId: reqID32(parentID), LastFillPrice: optFloat(lastFillPrice),
			ClientId: reqID32(clientID), WhyHeld: optStr(whyHeld), MktCapPrice: optFloat(mktCapPrice),
		})
	}
	v := e.v()
	w := newWriter(v, ibapi.ORDER_STATUS, 96)
	if v < ibapi.MIN_SERVER_VER_MARKET_CAP_PRICE {
		w.int(versionOrderStatus)
	}
	w.int(orderID)
	w.str(status)
	w.decimal(filled)
	w.decimal(remaining)
	w.num(avgFillPrice)
	w.int(permID)
	w.int(parentID)
	w.num(lastFillPrice)
	w.int(clientID)
	w.str(whyHeld)
	if v >= ibapi.MIN_SERVER_VER_MARKET_CAP_PRICE {
		w.num(mktCapPrice)
	}
	return w.frame()
}

func writeTagPairs(w *fieldWriter, tvs []ibapi.TagValue) {
	w.int(int64(len(tvs)))
	for _, tv := range tvs {
		w.str(tv.Tag)
		w.str(tv.Value)
	}
}

// orUnknown is TWS's "?" for an unset right or open/close.
func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// orMax is TWS's Double.MAX_VALUE for a margin figure it has not computed.
func orMax(s string) string {
	if s == "" {
		return "1.7976931348623157E308"
	}
	return s
}

func priceOrZero(f float64) float64 {
	if f == ibapi.UNSET_FLOAT {
		return 0
	}
	return f
}

func zeroIfUnset(i int64) int64 {
	if i == ibapi.UNSET_INT {
		return 0
	}
	return i
}

func zeroIfUnsetF(f float64) float64 {
	if f == ibapi.UNSET_FLOAT {
		return 0
	}
	return f
}
