package wire

import (
	"strconv"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
)

// The protobuf shapes of contracts and orders, mapped in both directions:
// a client's placeOrder is the mirror of ibapi's createContractProto and
// createOrderProto, and the server's openOrder is what ibapi's
// decodeContract and decodeOrder read back.

// mapContract binds c (and the per-leg prices of o, when o is not nil) to p.
func mapContract(b *binder, c *ibapi.Contract, o *ibapi.Order, p *protobuf.Contract) {
	bindI32(b, &c.ConID, &p.ConId)
	b.str(&c.Symbol, &p.Symbol)
	b.str(&c.SecType, &p.SecType)
	b.str(&c.LastTradeDateOrContractMonth, &p.LastTradeDateOrContractMonth)
	b.f64(&c.Strike, &p.Strike)
	b.str(&c.Right, &p.Right)
	b.multiplier(&c.Multiplier, &p.Multiplier)
	b.str(&c.Exchange, &p.Exchange)
	b.str(&c.PrimaryExchange, &p.PrimaryExch)
	b.str(&c.Currency, &p.Currency)
	b.str(&c.LocalSymbol, &p.LocalSymbol)
	b.str(&c.TradingClass, &p.TradingClass)
	b.str(&c.SecIDType, &p.SecIdType)
	b.str(&c.SecID, &p.SecId)
	b.str(&c.Description, &p.Description)
	b.str(&c.IssuerID, &p.IssuerId)
	b.bool(&c.IncludeExpired, &p.IncludeExpired)
	b.str(&c.ComboLegsDescrip, &p.ComboLegsDescrip)
	b.str(&c.LastTradeDate, &p.LastTradeDate)
	mapDeltaNeutral(b, c, p)
	mapComboLegs(b, c, o, p)
}

func mapDeltaNeutral(b *binder, c *ibapi.Contract, p *protobuf.Contract) {
	if b.dec {
		c.DeltaNeutralContract = nil
		if dn := p.DeltaNeutralContract; dn != nil {
			c.DeltaNeutralContract = &ibapi.DeltaNeutralContract{ConID: int64(dn.GetConId()), Delta: dn.GetDelta(), Price: dn.GetPrice()}
		}
		return
	}
	if dn := c.DeltaNeutralContract; dn != nil {
		p.DeltaNeutralContract = &protobuf.DeltaNeutralContract{}
		bindI32(b, &dn.ConID, &p.DeltaNeutralContract.ConId)
		b.f64(&dn.Delta, &p.DeltaNeutralContract.Delta)
		b.f64(&dn.Price, &p.DeltaNeutralContract.Price)
	}
}

// mapComboLegs binds the legs; protobuf carries each leg's order price on
// the leg itself. Decoding keeps the order prices up to the last leg that
// has one, which is what a client with fewer order legs than legs sent.
func mapComboLegs(b *binder, c *ibapi.Contract, o *ibapi.Order, p *protobuf.Contract) {
	if !b.dec {
		for i := range c.ComboLegs {
			l, lp := &c.ComboLegs[i], &protobuf.ComboLeg{}
			bindI32(b, &l.ConID, &lp.ConId)
			bindI32(b, &l.Ratio, &lp.Ratio)
			b.str(&l.Action, &lp.Action)
			b.str(&l.Exchange, &lp.Exchange)
			bindI32(b, &l.OpenClose, &lp.OpenClose)
			bindI32(b, &l.ShortSaleSlot, &lp.ShortSalesSlot)
			b.str(&l.DesignatedLocation, &lp.DesignatedLocation)
			bindI32(b, &l.ExemptCode, &lp.ExemptCode)
			if o != nil && i < len(o.OrderComboLegs) {
				b.f64(&o.OrderComboLegs[i].Price, &lp.PerLegPrice)
			}
			p.ComboLegs = append(p.ComboLegs, lp)
		}
		return
	}
	c.ComboLegs = nil
	priced := 0
	for i, lp := range p.ComboLegs {
		c.ComboLegs = append(c.ComboLegs, ibapi.ComboLeg{
			ConID: int64(lp.GetConId()), Ratio: int64(lp.GetRatio()), Action: lp.GetAction(), Exchange: lp.GetExchange(),
			OpenClose: int64(lp.GetOpenClose()), ShortSaleSlot: int64(lp.GetShortSalesSlot()),
			DesignatedLocation: lp.GetDesignatedLocation(), ExemptCode: int64(lp.GetExemptCode()),
		})
		if lp.PerLegPrice != nil {
			priced = i + 1
		}
	}
	if o == nil {
		return
	}
	o.OrderComboLegs = nil
	for _, lp := range p.ComboLegs[:priced] {
		price := ibapi.UNSET_FLOAT
		if lp.PerLegPrice != nil {
			price = lp.GetPerLegPrice()
		}
		o.OrderComboLegs = append(o.OrderComboLegs, ibapi.OrderComboLeg{Price: price})
	}
}

// mapOrder binds o to p field by field, in createOrderProto's order. The
// fields ibapi's encoder leaves out (autoCancelDate, filledQuantity,
// refFuturesConId, shareholder, parentPermId) are left out here too, so
// decoding keeps ibapi.NewOrder's defaults for them.
func mapOrder(b *binder, o *ibapi.Order, p *protobuf.Order) {
	bindI32(b, &o.ClientID, &p.ClientId)
	bindI32(b, &o.OrderID, &p.OrderId)
	b.i64(&o.PermID, &p.PermId)
	bindI32(b, &o.ParentID, &p.ParentId)
	b.str(&o.Action, &p.Action)
	b.decimal("order.totalQuantity", &o.TotalQuantity, &p.TotalQuantity)
	bindI32(b, &o.DisplaySize, &p.DisplaySize)
	b.str(&o.OrderType, &p.OrderType)
	b.f64(&o.LmtPrice, &p.LmtPrice)
	b.f64(&o.AuxPrice, &p.AuxPrice)
	b.str(&o.TIF, &p.Tif)
	b.str(&o.Account, &p.Account)
	b.str(&o.SettlingFirm, &p.SettlingFirm)
	b.str(&o.ClearingAccount, &p.ClearingAccount)
	b.str(&o.ClearingIntent, &p.ClearingIntent)
	b.bool(&o.AllOrNone, &p.AllOrNone)
	b.bool(&o.BlockOrder, &p.BlockOrder)
	b.bool(&o.Hidden, &p.Hidden)
	b.bool(&o.OutsideRTH, &p.OutsideRth)
	b.bool(&o.SweepToFill, &p.SweepToFill)
	b.f64(&o.PercentOffset, &p.PercentOffset)
	b.f64(&o.TrailingPercent, &p.TrailingPercent)
	b.f64(&o.TrailStopPrice, &p.TrailStopPrice)
	bindI32(b, &o.MinQty, &p.MinQty)
	b.str(&o.GoodAfterTime, &p.GoodAfterTime)
	b.str(&o.GoodTillDate, &p.GoodTillDate)
	b.str(&o.OCAGroup, &p.OcaGroup)
	b.str(&o.OrderRef, &p.OrderRef)
	b.str(&o.Rule80A, &p.Rule80A)
	bindI32(b, &o.OCAType, &p.OcaType)
	bindI32(b, &o.TriggerMethod, &p.TriggerMethod)
	b.str(&o.ActiveStartTime, &p.ActiveStartTime)
	b.str(&o.ActiveStopTime, &p.ActiveStopTime)
	b.str(&o.FAGroup, &p.FaGroup)
	b.str(&o.FAMethod, &p.FaMethod)
	b.str(&o.FAPercentage, &p.FaPercentage)
	b.f64(&o.Volatility, &p.Volatility)
	bindI32(b, &o.VolatilityType, &p.VolatilityType)
	b.bool(&o.ContinuousUpdate, &p.ContinuousUpdate)
	bindI32(b, &o.ReferencePriceType, &p.ReferencePriceType)
	b.str(&o.DeltaNeutralOrderType, &p.DeltaNeutralOrderType)
	b.f64(&o.DeltaNeutralAuxPrice, &p.DeltaNeutralAuxPrice)
	bindI32(b, &o.DeltaNeutralConID, &p.DeltaNeutralConId)
	b.str(&o.DeltaNeutralOpenClose, &p.DeltaNeutralOpenClose)
	b.bool(&o.DeltaNeutralShortSale, &p.DeltaNeutralShortSale)
	bindI32(b, &o.DeltaNeutralShortSaleSlot, &p.DeltaNeutralShortSaleSlot)
	b.str(&o.DeltaNeutralDesignatedLocation, &p.DeltaNeutralDesignatedLocation)
	bindI32(b, &o.ScaleInitLevelSize, &p.ScaleInitLevelSize)
	bindI32(b, &o.ScaleSubsLevelSize, &p.ScaleSubsLevelSize)
	b.f64(&o.ScalePriceIncrement, &p.ScalePriceIncrement)
	b.f64(&o.ScalePriceAdjustValue, &p.ScalePriceAdjustValue)
	bindI32(b, &o.ScalePriceAdjustInterval, &p.ScalePriceAdjustInterval)
	b.f64(&o.ScaleProfitOffset, &p.ScaleProfitOffset)
	b.bool(&o.ScaleAutoReset, &p.ScaleAutoReset)
	bindI32(b, &o.ScaleInitPosition, &p.ScaleInitPosition)
	bindI32(b, &o.ScaleInitFillQty, &p.ScaleInitFillQty)
	b.bool(&o.ScaleRandomPercent, &p.ScaleRandomPercent)
	b.str(&o.ScaleTable, &p.ScaleTable)
	b.str(&o.HedgeType, &p.HedgeType)
	b.str(&o.HedgeParam, &p.HedgeParam)
	b.str(&o.AlgoStrategy, &p.AlgoStrategy)
	b.tagValues(&o.AlgoParams, &p.AlgoParams)
	b.str(&o.AlgoID, &p.AlgoId)
	b.tagValues(&o.SmartComboRoutingParams, &p.SmartComboRoutingParams)
	b.bool(&o.WhatIf, &p.WhatIf)
	b.bool(&o.Transmit, &p.Transmit)
	b.bool(&o.OverridePercentageConstraints, &p.OverridePercentageConstraints)
	b.str(&o.OpenClose, &p.OpenClose)
	bindI32(b, &o.Origin, &p.Origin)
	bindI32(b, &o.ShortSaleSlot, &p.ShortSaleSlot)
	b.str(&o.DesignatedLocation, &p.DesignatedLocation)
	bindI32(b, &o.ExemptCode, &p.ExemptCode)
	b.str(&o.DeltaNeutralSettlingFirm, &p.DeltaNeutralSettlingFirm)
	b.str(&o.DeltaNeutralClearingAccount, &p.DeltaNeutralClearingAccount)
	b.str(&o.DeltaNeutralClearingIntent, &p.DeltaNeutralClearingIntent)
	b.f64(&o.DiscretionaryAmt, &p.DiscretionaryAmt)
	b.bool(&o.OptOutSmartRouting, &p.OptOutSmartRouting)
	b.f64(&o.StartingPrice, &p.StartingPrice)
	b.f64(&o.StockRefPrice, &p.StockRefPrice)
	b.f64(&o.Delta, &p.Delta)
	b.f64(&o.StockRangeLower, &p.StockRangeLower)
	b.f64(&o.StockRangeUpper, &p.StockRangeUpper)
	b.bool(&o.NotHeld, &p.NotHeld)
	b.tagValues(&o.OrderMiscOptions, &p.OrderMiscOptions)
	b.bool(&o.Solicited, &p.Solicited)
	b.bool(&o.RandomizeSize, &p.RandomizeSize)
	b.bool(&o.RandomizePrice, &p.RandomizePrice)
	bindI32(b, &o.ReferenceContractID, &p.ReferenceContractId)
	b.f64(&o.PeggedChangeAmount, &p.PeggedChangeAmount)
	b.bool(&o.IsPeggedChangeAmountDecrease, &p.IsPeggedChangeAmountDecrease)
	b.f64(&o.ReferenceChangeAmount, &p.ReferenceChangeAmount)
	b.str(&o.ReferenceExchangeID, &p.ReferenceExchangeId)
	b.str(&o.AdjustedOrderType, &p.AdjustedOrderType)
	b.f64(&o.TriggerPrice, &p.TriggerPrice)
	b.f64(&o.AdjustedStopPrice, &p.AdjustedStopPrice)
	b.f64(&o.AdjustedStopLimitPrice, &p.AdjustedStopLimitPrice)
	b.f64(&o.AdjustedTrailingAmount, &p.AdjustedTrailingAmount)
	bindI32(b, &o.AdjustableTrailingUnit, &p.AdjustableTrailingUnit)
	b.f64(&o.LmtPriceOffset, &p.LmtPriceOffset)
	mapConditions(b, o, p)
	b.bool(&o.ConditionsCancelOrder, &p.ConditionsCancelOrder)
	b.bool(&o.ConditionsIgnoreRth, &p.ConditionsIgnoreRth)
	b.str(&o.ModelCode, &p.ModelCode)
	b.str(&o.ExtOperator, &p.ExtOperator)
	mapSoftDollarTier(b, o, p)
	b.f64(&o.CashQty, &p.CashQty)
	b.str(&o.Mifid2DecisionMaker, &p.Mifid2DecisionMaker)
	b.str(&o.Mifid2DecisionAlgo, &p.Mifid2DecisionAlgo)
	b.str(&o.Mifid2ExecutionTrader, &p.Mifid2ExecutionTrader)
	b.str(&o.Mifid2ExecutionAlgo, &p.Mifid2ExecutionAlgo)
	b.bool(&o.DontUseAutoPriceForHedge, &p.DontUseAutoPriceForHedge)
	b.bool(&o.IsOmsContainer, &p.IsOmsContainer)
	b.bool(&o.DiscretionaryUpToLimitPrice, &p.DiscretionaryUpToLimitPrice)
	bindI32(b, &o.RouteMarketableToBbo, &p.RouteMarketableToBbo)
	bindI32(b, &o.UsePriceMgmtAlgo, &p.UsePriceMgmtAlgo)
	bindI32(b, &o.Duration, &p.Duration)
	bindI32(b, &o.PostToAts, &p.PostToAts)
	b.str(&o.AdvancedErrorOverride, &p.AdvancedErrorOverride)
	b.str(&o.ManualOrderTime, &p.ManualOrderTime)
	bindI32(b, &o.MinTradeQty, &p.MinTradeQty)
	bindI32(b, &o.MinCompeteSize, &p.MinCompeteSize)
	b.f64(&o.CompeteAgainstBestOffset, &p.CompeteAgainstBestOffset)
	b.f64(&o.MidOffsetAtWhole, &p.MidOffsetAtWhole)
	b.f64(&o.MidOffsetAtHalf, &p.MidOffsetAtHalf)
	b.str(&o.CustomerAccount, &p.CustomerAccount)
	b.bool(&o.ProfessionalCustomer, &p.ProfessionalCustomer)
	b.str(&o.BondAccruedInterest, &p.BondAccruedInterest)
	b.bool(&o.IncludeOvernight, &p.IncludeOvernight)
	bindI32(b, &o.ManualOrderIndicator, &p.ManualOrderIndicator)
	b.str(&o.Submitter, &p.Submitter)
	b.bool(&o.AutoCancelParent, &p.AutoCancelParent)
	b.bool(&o.ImbalanceOnly, &p.ImbalanceOnly)
	b.bool(&o.PostOnly, &p.PostOnly)
	b.bool(&o.AllowPreOpen, &p.AllowPreOpen)
	b.bool(&o.IgnoreOpenAuction, &p.IgnoreOpenAuction)
	b.bool(&o.Deactivate, &p.Deactivate)
	bindI32(b, &o.SeekPriceImprovement, &p.SeekPriceImprovement)
	bindI32(b, &o.WhatIfType, &p.WhatIfType)
}

// mapSoftDollarTier: ibapi always sends the tier message, empty or not.
func mapSoftDollarTier(b *binder, o *ibapi.Order, p *protobuf.Order) {
	if !b.dec {
		p.SoftDollarTier = &protobuf.SoftDollarTier{}
	} else if p.SoftDollarTier == nil {
		o.SoftDollarTier = ibapi.SoftDollarTier{}
		return
	}
	t, tp := &o.SoftDollarTier, p.SoftDollarTier
	b.str(&t.Name, &tp.Name)
	b.str(&t.Value, &tp.Value)
	b.str(&t.DisplayName, &tp.DisplayName)
}

// mapConditions binds the order conditions (createConditionsProto and
// decodeConditions). Decoding an unknown condition type fails: ibapi would
// drop it silently, and a dropped condition changes what the order does.
func mapConditions(b *binder, o *ibapi.Order, p *protobuf.Order) {
	if !b.dec {
		for _, cond := range o.Conditions {
			p.Conditions = append(p.Conditions, conditionProto(cond))
		}
		return
	}
	o.Conditions = nil
	for _, cp := range p.Conditions {
		t := int64(cp.GetType())
		if _, ok := conditionFields[t]; !ok {
			b.fail("order.conditions.type", errUnknownCondition)
			return
		}
		cond := ibapi.CreateOrderCondition(t)
		cond.SetIsConjunctionConnection(cp.GetIsConjunctionConnection())
		switch c := cond.(type) {
		case *ibapi.PriceCondition:
			c.IsMore, c.ConID, c.Exchange = cp.GetIsMore(), int64(cp.GetConId()), cp.GetExchange()
			c.Price, c.TriggerMethod = cp.GetPrice(), ibapi.TriggerMethod(cp.GetTriggerMethod())
		case *ibapi.TimeCondition:
			c.IsMore, c.Time = cp.GetIsMore(), cp.GetTime()
		case *ibapi.MarginCondition:
			c.IsMore, c.Percent = cp.GetIsMore(), int64(cp.GetPercent())
		case *ibapi.ExecutionCondition:
			c.SecType, c.Exchange, c.Symbol = cp.GetSecType(), cp.GetExchange(), cp.GetSymbol()
		case *ibapi.VolumeCondition:
			c.IsMore, c.ConID, c.Exchange, c.Volume = cp.GetIsMore(), int64(cp.GetConId()), cp.GetExchange(), int64(cp.GetVolume())
		case *ibapi.PercentChangeCondition:
			c.IsMore, c.ConID, c.Exchange, c.ChangePercent = cp.GetIsMore(), int64(cp.GetConId()), cp.GetExchange(), cp.GetChangePercent()
		}
		o.Conditions = append(o.Conditions, cond)
	}
}

func conditionProto(cond ibapi.OrderCondition) *protobuf.OrderCondition {
	cp := &protobuf.OrderCondition{Type: ptr(int32(cond.Type())), IsConjunctionConnection: ptr(cond.IsConjunctionConnection())}
	contract := func(isMore bool, conID int64, exchange string) {
		cp.IsMore = ptr(isMore)
		if validInt(conID) {
			cp.ConId = ptr(int32(conID))
		}
		if exchange != "" {
			cp.Exchange = ptr(exchange)
		}
	}
	switch c := cond.(type) {
	case *ibapi.PriceCondition:
		contract(c.IsMore, c.ConID, c.Exchange)
		cp.Price, cp.TriggerMethod = ptr(c.Price), ptr(int32(c.TriggerMethod))
	case *ibapi.TimeCondition:
		cp.IsMore = ptr(c.IsMore)
		if c.Time != "" {
			cp.Time = ptr(c.Time)
		}
	case *ibapi.MarginCondition:
		cp.IsMore, cp.Percent = ptr(c.IsMore), ptr(int32(c.Percent))
	case *ibapi.ExecutionCondition:
		if c.SecType != "" {
			cp.SecType = ptr(c.SecType)
		}
		if c.Exchange != "" {
			cp.Exchange = ptr(c.Exchange)
		}
		if c.Symbol != "" {
			cp.Symbol = ptr(c.Symbol)
		}
	case *ibapi.VolumeCondition:
		contract(c.IsMore, c.ConID, c.Exchange)
		cp.Volume = ptr(int32(c.Volume))
	case *ibapi.PercentChangeCondition:
		contract(c.IsMore, c.ConID, c.Exchange)
		cp.ChangePercent = ptr(c.ChangePercent)
	}
	return cp
}

// orderStateProto is the order state as decodeOrderState reads it: margin
// figures are numbers in protobuf, strings in ibapi (empty when unknown).
func orderStateProto(s *ibapi.OrderState) *protobuf.OrderState {
	b := &binder{}
	p := &protobuf.OrderState{}
	b.str(&s.Status, &p.Status)
	for _, m := range []struct {
		v string
		p **float64
	}{
		{s.InitMarginBefore, &p.InitMarginBefore}, {s.MaintMarginBefore, &p.MaintMarginBefore}, {s.EquityWithLoanBefore, &p.EquityWithLoanBefore},
		{s.InitMarginChange, &p.InitMarginChange}, {s.MaintMarginChange, &p.MaintMarginChange}, {s.EquityWithLoanChange, &p.EquityWithLoanChange},
		{s.InitMarginAfter, &p.InitMarginAfter}, {s.MaintMarginAfter, &p.MaintMarginAfter}, {s.EquityWithLoanAfter, &p.EquityWithLoanAfter},
	} {
		if f, err := strconv.ParseFloat(m.v, 64); err == nil && f != ibapi.UNSET_FLOAT {
			*m.p = ptr(f)
		}
	}
	b.f64(&s.CommissionAndFees, &p.CommissionAndFees)
	b.f64(&s.MinCommissionAndFees, &p.MinCommissionAndFees)
	b.f64(&s.MaxCommissionAndFees, &p.MaxCommissionAndFees)
	b.str(&s.CommissionAndFeesCurrency, &p.CommissionAndFeesCurrency)
	b.str(&s.MarginCurrency, &p.MarginCurrency)
	b.f64(&s.InitMarginBeforeOutsideRTH, &p.InitMarginBeforeOutsideRTH)
	b.f64(&s.MaintMarginBeforeOutsideRTH, &p.MaintMarginBeforeOutsideRTH)
	b.f64(&s.EquityWithLoanBeforeOutsideRTH, &p.EquityWithLoanBeforeOutsideRTH)
	b.f64(&s.InitMarginChangeOutsideRTH, &p.InitMarginChangeOutsideRTH)
	b.f64(&s.MaintMarginChangeOutsideRTH, &p.MaintMarginChangeOutsideRTH)
	b.f64(&s.EquityWithLoanChangeOutsideRTH, &p.EquityWithLoanChangeOutsideRTH)
	b.f64(&s.InitMarginAfterOutsideRTH, &p.InitMarginAfterOutsideRTH)
	b.f64(&s.MaintMarginAfterOutsideRTH, &p.MaintMarginAfterOutsideRTH)
	b.f64(&s.EquityWithLoanAfterOutsideRTH, &p.EquityWithLoanAfterOutsideRTH)
	p.SuggestedSize = optDecimalSet(s.SuggestedSize) // a zero Decimal is a state nobody sized
	b.str(&s.RejectReason, &p.RejectReason)
	for _, a := range s.OrderAllocations {
		ap := &protobuf.OrderAllocation{}
		b.str(&a.Account, &ap.Account)
		b.decimal("", &a.Position, &ap.Position)
		b.decimal("", &a.PositionDesired, &ap.PositionDesired)
		b.decimal("", &a.PositionAfter, &ap.PositionAfter)
		b.decimal("", &a.DesiredAllocQty, &ap.DesiredAllocQty)
		b.decimal("", &a.AllowedAllocQty, &ap.AllowedAllocQty)
		b.bool(&a.IsMonetary, &ap.IsMonetary)
		p.OrderAllocations = append(p.OrderAllocations, ap)
	}
	b.str(&s.WarningText, &p.WarningText)
	b.str(&s.CompletedTime, &p.CompletedTime)
	b.str(&s.CompletedStatus, &p.CompletedStatus)
	return p
}
