package wire

import (
	"errors"
	"strconv"

	"github.com/scmhub/ibapi"
)

// decodePlaceOrder mirrors EClient.placeOrder field by field. Fields a
// version does not carry keep ibapi.NewOrder's defaults, so a client that
// built its order with NewOrder gets back exactly what it sent.
func decodePlaceOrder(v ibapi.Version, r *fieldReader) Request {
	if v < ibapi.MIN_SERVER_VER_ORDER_CONTAINER {
		r.skip("version")
	}
	req := PlaceOrder{Contract: *ibapi.NewContract(), Order: *ibapi.NewOrder()}
	req.OrderID = r.int("orderId")
	req.Order.OrderID = req.OrderID
	c, o := &req.Contract, &req.Order

	readContract(r, c)
	c.SecIDType = r.str("secIdType")
	c.SecID = r.str("secId")

	o.Action = r.str("action")
	o.TotalQuantity = r.decimal("totalQuantity")
	o.OrderType = r.str("orderType")
	o.LmtPrice = r.floatMax("lmtPrice")
	o.AuxPrice = r.floatMax("auxPrice")

	o.TIF = r.str("tif")
	o.OCAGroup = r.str("ocaGroup")
	o.Account = r.str("account")
	o.OpenClose = r.str("openClose")
	o.Origin = r.int("origin")
	o.OrderRef = r.str("orderRef")
	o.Transmit = r.bool("transmit")
	o.ParentID = r.int("parentId")
	o.BlockOrder = r.bool("blockOrder")
	o.SweepToFill = r.bool("sweepToFill")
	o.DisplaySize = r.int("displaySize")
	o.TriggerMethod = r.int("triggerMethod")
	o.OutsideRTH = r.bool("outsideRth")
	o.Hidden = r.bool("hidden")

	if c.SecType == "BAG" {
		decodeComboLegs(v, r, c, o)
	}

	r.skip("sharesAllocation") // deprecated, always empty
	o.DiscretionaryAmt = r.float("discretionaryAmt")
	o.GoodAfterTime = r.str("goodAfterTime")
	o.GoodTillDate = r.str("goodTillDate")
	o.FAGroup = r.str("faGroup")
	o.FAMethod = r.str("faMethod")
	o.FAPercentage = r.str("faPercentage")
	if v < ibapi.MIN_SERVER_VER_FA_PROFILE_DESUPPORT {
		r.skip("faProfile")
	}
	if v >= ibapi.MIN_SERVER_VER_MODELS_SUPPORT {
		o.ModelCode = r.str("modelCode")
	}
	o.ShortSaleSlot = r.int("shortSaleSlot")
	o.DesignatedLocation = r.str("designatedLocation")
	o.ExemptCode = r.int("exemptCode")
	o.OCAType = r.int("ocaType")
	o.Rule80A = r.str("rule80A")
	o.SettlingFirm = r.str("settlingFirm")
	o.AllOrNone = r.bool("allOrNone")
	o.MinQty = r.intMax("minQty")
	o.PercentOffset = r.floatMax("percentOffset")
	r.skip("eTradeOnly")
	r.skip("firmQuoteOnly")
	r.skip("nbboPriceCap")
	o.AuctionStrategy = r.int("auctionStrategy")
	o.StartingPrice = r.floatMax("startingPrice")
	o.StockRefPrice = r.floatMax("stockRefPrice")
	o.Delta = r.floatMax("delta")
	o.StockRangeLower = r.floatMax("stockRangeLower")
	o.StockRangeUpper = r.floatMax("stockRangeUpper")
	o.OverridePercentageConstraints = r.bool("overridePercentageConstraints")

	o.Volatility = r.floatMax("volatility")
	o.VolatilityType = r.intMax("volatilityType")
	o.DeltaNeutralOrderType = r.str("deltaNeutralOrderType")
	o.DeltaNeutralAuxPrice = r.floatMax("deltaNeutralAuxPrice")
	if o.DeltaNeutralOrderType != "" {
		o.DeltaNeutralConID = r.int("deltaNeutralConId")
		o.DeltaNeutralSettlingFirm = r.str("deltaNeutralSettlingFirm")
		o.DeltaNeutralClearingAccount = r.str("deltaNeutralClearingAccount")
		o.DeltaNeutralClearingIntent = r.str("deltaNeutralClearingIntent")
		o.DeltaNeutralOpenClose = r.str("deltaNeutralOpenClose")
		o.DeltaNeutralShortSale = r.bool("deltaNeutralShortSale")
		o.DeltaNeutralShortSaleSlot = r.int("deltaNeutralShortSaleSlot")
		o.DeltaNeutralDesignatedLocation = r.str("deltaNeutralDesignatedLocation")
	}
	o.ContinuousUpdate = r.bool("continuousUpdate")
	o.ReferencePriceType = r.intMax("referencePriceType")
	o.TrailStopPrice = r.floatMax("trailStopPrice")
	o.TrailingPercent = r.floatMax("trailingPercent")

	o.ScaleInitLevelSize = r.intMax("scaleInitLevelSize")
	o.ScaleSubsLevelSize = r.intMax("scaleSubsLevelSize")
	o.ScalePriceIncrement = r.floatMax("scalePriceIncrement")
	if o.ScalePriceIncrement != ibapi.UNSET_FLOAT && o.ScalePriceIncrement > 0 {
		o.ScalePriceAdjustValue = r.floatMax("scalePriceAdjustValue")
		o.ScalePriceAdjustInterval = r.intMax("scalePriceAdjustInterval")
		o.ScaleProfitOffset = r.floatMax("scaleProfitOffset")
		o.ScaleAutoReset = r.bool("scaleAutoReset")
		o.ScaleInitPosition = r.intMax("scaleInitPosition")
		o.ScaleInitFillQty = r.intMax("scaleInitFillQty")
		o.ScaleRandomPercent = r.bool("scaleRandomPercent")
	}
	o.ScaleTable = r.str("scaleTable")
	o.ActiveStartTime = r.str("activeStartTime")
	o.ActiveStopTime = r.str("activeStopTime")

	o.HedgeType = r.str("hedgeType")
	if o.HedgeType != "" {
		o.HedgeParam = r.str("hedgeParam")
	}
	o.OptOutSmartRouting = r.bool("optOutSmartRouting")
	o.ClearingAccount = r.str("clearingAccount")
	o.ClearingIntent = r.str("clearingIntent")
	o.NotHeld = r.bool("notHeld")
	if r.bool("deltaNeutralContractPresent") {
		c.DeltaNeutralContract = &ibapi.DeltaNeutralContract{
			ConID: r.int("deltaNeutralContract.conId"),
			Delta: r.float("deltaNeutralContract.delta"),
			Price: r.float("deltaNeutralContract.price"),
		}
	}
	o.AlgoStrategy = r.str("algoStrategy")
	if o.AlgoStrategy != "" {
		o.AlgoParams = readTagPairs(r, "algoParams")
	}
	o.AlgoID = r.str("algoId")
	o.WhatIf = r.bool("whatIf")
	o.OrderMiscOptions = r.tagValues("orderMiscOptions")
	o.Solicited = r.bool("solicited")
	o.RandomizeSize = r.bool("randomizeSize")
	o.RandomizePrice = r.bool("randomizePrice")

	if v >= ibapi.MIN_SERVER_VER_PEGGED_TO_BENCHMARK {
		if o.OrderType == "PEG BENCH" {
			o.ReferenceContractID = r.int("referenceContractId")
			o.IsPeggedChangeAmountDecrease = r.bool("isPeggedChangeAmountDecrease")
			o.PeggedChangeAmount = r.float("peggedChangeAmount")
			o.ReferenceChangeAmount = r.float("referenceChangeAmount")
			o.ReferenceExchangeID = r.str("referenceExchangeId")
		}
		o.Conditions = decodeConditions(r)
		if len(o.Conditions) > 0 {
			o.ConditionsIgnoreRth = r.bool("conditionsIgnoreRth")
			o.ConditionsCancelOrder = r.bool("conditionsCancelOrder")
		}
		o.AdjustedOrderType = r.str("adjustedOrderType")
		o.TriggerPrice = r.floatMax("triggerPrice")
		o.LmtPriceOffset = r.floatMax("lmtPriceOffset")
		o.AdjustedStopPrice = r.floatMax("adjustedStopPrice")
		o.AdjustedStopLimitPrice = r.floatMax("adjustedStopLimitPrice")
		o.AdjustedTrailingAmount = r.floatMax("adjustedTrailingAmount")
		o.AdjustableTrailingUnit = r.int("adjustableTrailingUnit")
	}
	if v >= ibapi.MIN_SERVER_VER_EXT_OPERATOR {
		o.ExtOperator = r.str("extOperator")
	}
	if v >= ibapi.MIN_SERVER_VER_SOFT_DOLLAR_TIER {
		o.SoftDollarTier.Name = r.str("softDollarTier.name")
		o.SoftDollarTier.Value = r.str("softDollarTier.value")
	}
	if v >= ibapi.MIN_SERVER_VER_CASH_QTY {
		o.CashQty = r.floatMax("cashQty")
	}
	if v >= ibapi.MIN_SERVER_VER_DECISION_MAKER {
		o.Mifid2DecisionMaker = r.str("mifid2DecisionMaker")
		o.Mifid2DecisionAlgo = r.str("mifid2DecisionAlgo")
	}
	if v >= ibapi.MIN_SERVER_VER_MIFID_EXECUTION {
		o.Mifid2ExecutionTrader = r.str("mifid2ExecutionTrader")
		o.Mifid2ExecutionAlgo = r.str("mifid2ExecutionAlgo")
	}
	if v >= ibapi.MIN_SERVER_VER_AUTO_PRICE_FOR_HEDGE {
		o.DontUseAutoPriceForHedge = r.bool("dontUseAutoPriceForHedge")
	}
	if v >= ibapi.MIN_SERVER_VER_ORDER_CONTAINER {
		o.IsOmsContainer = r.bool("isOmsContainer")
	}
	if v >= ibapi.MIN_SERVER_VER_D_PEG_ORDERS {
		o.DiscretionaryUpToLimitPrice = r.bool("discretionaryUpToLimitPrice")
	}
	if v >= ibapi.MIN_SERVER_VER_PRICE_MGMT_ALGO {
		o.UsePriceMgmtAlgo = r.intMax("usePriceMgmtAlgo")
	}
	if v >= ibapi.MIN_SERVER_VER_DURATION {
		o.Duration = r.intMax("duration")
	}
	if v >= ibapi.MIN_SERVER_VER_POST_TO_ATS {
		o.PostToAts = r.intMax("postToAts")
	}
	if v >= ibapi.MIN_SERVER_VER_AUTO_CANCEL_PARENT {
		o.AutoCancelParent = r.bool("autoCancelParent")
	}
	if v >= ibapi.MIN_SERVER_VER_ADVANCED_ORDER_REJECT {
		o.AdvancedErrorOverride = r.str("advancedErrorOverride")
	}
	if v >= ibapi.MIN_SERVER_VER_MANUAL_ORDER_TIME {
		o.ManualOrderTime = r.str("manualOrderTime")
	}
	if v >= ibapi.MIN_SERVER_VER_PEGBEST_PEGMID_OFFSETS {
		decodePegBestMid(r, c, o)
	}
	if v >= ibapi.MIN_SERVER_VER_CUSTOMER_ACCOUNT {
		o.CustomerAccount = r.str("customerAccount")
	}
	if v >= ibapi.MIN_SERVER_VER_PROFESSIONAL_CUSTOMER {
		o.ProfessionalCustomer = r.bool("professionalCustomer")
	}
	if v >= ibapi.MIN_SERVER_VER_RFQ_FIELDS && v < ibapi.MIN_SERVER_VER_UNDO_RFQ_FIELDS {
		r.skip("rfqField1")
		r.intMax("rfqField2")
	}
	if v >= ibapi.MIN_SERVER_VER_INCLUDE_OVERNIGHT {
		o.IncludeOvernight = r.bool("includeOvernight")
	}
	if v >= ibapi.MIN_SERVER_VER_CME_TAGGING_FIELDS {
		o.ManualOrderIndicator = r.intMax("manualOrderIndicator")
	}
	if v >= ibapi.MIN_SERVER_VER_IMBALANCE_ONLY {
		o.ImbalanceOnly = r.bool("imbalanceOnly")
	}
	return req
}

func decodeComboLegs(v ibapi.Version, r *fieldReader, c *ibapi.Contract, o *ibapi.Order) {
	n := r.count("comboLegsCount", 8)
	for i := 0; i < n && r.err == nil; i++ {
		c.ComboLegs = append(c.ComboLegs, ibapi.ComboLeg{
			ConID:              r.int("comboLeg.conId"),
			Ratio:              r.int("comboLeg.ratio"),
			Action:             r.str("comboLeg.action"),
			Exchange:           r.str("comboLeg.exchange"),
			OpenClose:          r.int("comboLeg.openClose"),
			ShortSaleSlot:      r.int("comboLeg.shortSaleSlot"),
			DesignatedLocation: r.str("comboLeg.designatedLocation"),
			ExemptCode:         r.int("comboLeg.exemptCode"),
		})
	}
	n = r.count("orderComboLegsCount", 1)
	for i := 0; i < n && r.err == nil; i++ {
		o.OrderComboLegs = append(o.OrderComboLegs, ibapi.OrderComboLeg{Price: r.floatMax("orderComboLeg.price")})
	}
	o.SmartComboRoutingParams = readTagPairs(r, "smartComboRoutingParams")
}

// readTagPairs reads a count and that many tag, value field pairs.
func readTagPairs(r *fieldReader, field string) []ibapi.TagValue {
	n := r.count(field+"Count", 2)
	var tvs []ibapi.TagValue
	for i := 0; i < n && r.err == nil; i++ {
		tvs = append(tvs, ibapi.TagValue{Tag: r.str(field + ".tag"), Value: r.str(field + ".value")})
	}
	return tvs
}

func decodePegBestMid(r *fieldReader, c *ibapi.Contract, o *ibapi.Order) {
	if c.Exchange == "IBKRATS" {
		o.MinTradeQty = r.intMax("minTradeQty")
	}
	mid := false
	switch o.OrderType {
	case "PEG BEST":
		o.MinCompeteSize = r.intMax("minCompeteSize")
		o.CompeteAgainstBestOffset = r.floatMax("competeAgainstBestOffset")
		mid = o.CompeteAgainstBestOffset == ibapi.COMPETE_AGAINST_BEST_OFFSET_UP_TO_MID
	case "PEG MID":
		mid = true
	}
	if mid {
		o.MidOffsetAtWhole = r.floatMax("midOffsetAtWhole")
		o.MidOffsetAtHalf = r.floatMax("midOffsetAtHalf")
	}
}

// conditionFields is how many fields follow each condition's type.
var conditionFields = map[int64]int{
	ibapi.PriceOrderCondition:         6, // conjunction, isMore, conId, exchange, price, triggerMethod
	ibapi.TimeOrderCondition:          3, // conjunction, isMore, time
	ibapi.MarginOrderCondition:        3, // conjunction, isMore, percent
	ibapi.ExecutionOrderCondition:     4, // conjunction, secType, exchange, symbol
	ibapi.VolumeOrderCondition:        5, // conjunction, isMore, conId, exchange, volume
	ibapi.PercentChangeOrderCondition: 5, // conjunction, isMore, conId, exchange, changePercent
}

// decodeConditions reads the order conditions into ibapi's condition types.
// An unknown type is an error: its field count, and so the rest of the
// message, cannot be known.
func decodeConditions(r *fieldReader) []ibapi.OrderCondition {
	n := r.count("conditionsCount", 4)
	var conds []ibapi.OrderCondition
	for i := 0; i < n && r.err == nil; i++ {
		t := r.int("condition.type")
		if _, ok := conditionFields[t]; !ok {
			r.fail("condition.type", errors.New("wire: unknown order condition type "+strconv.FormatInt(t, 10)))
			return nil
		}
		cond := ibapi.CreateOrderCondition(t)
		cond.SetIsConjunctionConnection(r.str("condition.conjunction") == "a")
		switch c := cond.(type) {
		case *ibapi.PriceCondition:
			c.IsMore = r.bool("condition.isMore")
			c.ConID = r.int("condition.conId")
			c.Exchange = r.str("condition.exchange")
			c.Price = r.float("condition.price")
			c.TriggerMethod = ibapi.TriggerMethod(r.int("condition.triggerMethod"))
		case *ibapi.TimeCondition:
			c.IsMore = r.bool("condition.isMore")
			c.Time = r.str("condition.time")
		case *ibapi.MarginCondition:
			c.IsMore = r.bool("condition.isMore")
			c.Percent = r.int("condition.percent")
		case *ibapi.ExecutionCondition:
			c.SecType = r.str("condition.secType")
			c.Exchange = r.str("condition.exchange")
			c.Symbol = r.str("condition.symbol")
		case *ibapi.VolumeCondition:
			c.IsMore = r.bool("condition.isMore")
			c.ConID = r.int("condition.conId")
			c.Exchange = r.str("condition.exchange")
			c.Volume = r.int("condition.volume")
		case *ibapi.PercentChangeCondition:
			c.IsMore = r.bool("condition.isMore")
			c.ConID = r.int("condition.conId")
			c.Exchange = r.str("condition.exchange")
			c.ChangePercent = r.float("condition.changePercent")
		}
		conds = append(conds, cond)
	}
	return conds
}
