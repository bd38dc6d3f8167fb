package wire

import (
	"strings"

	"github.com/scmhub/ibapi"
	"github.com/scmhub/ibapi/protobuf"
)

// ContractData is one match of a reqContractDetails. Before
// MIN_SERVER_VER_SIZE_RULES it has a VERSION field; fields follow the
// client decoder at e.V. The last trade date is sent joined with
// d.LastTradeTime the two ways TWS prints it: "20240510-16:30:00" for a
// full time, "20250620 08:30 US/Central" (with the time zone) otherwise.
func (e Encoder) ContractData(reqID int64, d *ibapi.ContractDetails) []byte {
	if e.pb(ibapi.CONTRACT_DATA) {
		return e.pbContractData(reqID, d)
	}
	v := e.v()
	c := &d.Contract
	w := newWriter(v, ibapi.CONTRACT_DATA, 1024+len(d.TradingHours)+len(d.LiquidHours)+len(d.OrderTypes)+len(d.ValidExchanges))
	if v < ibapi.MIN_SERVER_VER_SIZE_RULES {
		w.int(versionContractData)
	}
	w.int(reqID)
	w.str(c.Symbol)
	w.str(c.SecType)
	w.str(lastTradeField(d))
	if v >= ibapi.MIN_SERVER_VER_LAST_TRADE_DATE {
		w.str(c.LastTradeDate)
	}
	w.num(strikeOrZero(c.Strike))
	w.str(c.Right)
	w.str(c.Exchange)
	w.str(c.Currency)
	w.str(c.LocalSymbol)
	w.str(d.MarketName)
	w.str(c.TradingClass)
	w.int(c.ConID)
	w.num(d.MinTick)
	if v >= ibapi.MIN_SERVER_VER_MD_SIZE_MULTIPLIER && v < ibapi.MIN_SERVER_VER_SIZE_RULES {
		w.int(1) // mdSizeMultiplier, retired
	}
	w.str(c.Multiplier)
	w.str(d.OrderTypes)
	w.str(d.ValidExchanges)
	w.int(d.PriceMagnifier)
	w.int(d.UnderConID)
	if v >= ibapi.MIN_SERVER_VER_ENCODE_MSG_ASCII7 {
		w.str(escapeASCII7(d.LongName))
	} else {
		w.str(d.LongName)
	}
	w.str(c.PrimaryExchange)
	w.str(d.ContractMonth)
	w.str(d.Industry)
	w.str(d.Category)
	w.str(d.Subcategory)
	w.str(d.TimeZoneID)
	w.str(d.TradingHours)
	w.str(d.LiquidHours)
	w.str(d.EVRule)
	if d.EVMultiplier == 0 {
		w.str("")
	} else {
		w.int(d.EVMultiplier)
	}
	writeTagPairs(w, d.SecIDList)
	if v >= ibapi.MIN_SERVER_VER_AGG_GROUP {
		w.int(d.AggGroup)
	}
	if v >= ibapi.MIN_SERVER_VER_UNDERLYING_INFO {
		w.str(d.UnderSymbol)
		w.str(d.UnderSecType)
	}
	if v >= ibapi.MIN_SERVER_VER_MARKET_RULES {
		w.str(d.MarketRuleIDs)
	}
	if v >= ibapi.MIN_SERVER_VER_REAL_EXPIRATION_DATE {
		w.str(d.RealExpirationDate)
	}
	if v >= ibapi.MIN_SERVER_VER_STOCK_TYPE {
		w.str(d.StockType)
	}
	if v >= ibapi.MIN_SERVER_VER_FRACTIONAL_SIZE_SUPPORT && v < ibapi.MIN_SERVER_VER_SIZE_RULES {
		w.decimal(d.MinSize) // sizeMinTick, retired
	}
	if v >= ibapi.MIN_SERVER_VER_SIZE_RULES {
		w.decimal(d.MinSize)
		w.decimal(d.SizeIncrement)
		w.decimal(d.SuggestedSizeIncrement)
	}
	if v >= ibapi.MIN_SERVER_VER_FUND_DATA_FIELDS && c.SecType == "FUND" {
		encodeFundFields(w, d)
	}
	if v >= ibapi.MIN_SERVER_VER_INELIGIBILITY_REASONS {
		w.int(int64(len(d.IneligibilityReasonList)))
		for _, r := range d.IneligibilityReasonList {
			w.str(r.ID)
			w.str(r.Description)
		}
	}
	return w.frame()
}

func encodeFundFields(w *fieldWriter, d *ibapi.ContractDetails) {
	w.str(d.FundName)
	w.str(d.FundFamily)
	w.str(d.FundType)
	w.str(d.FundFrontLoad)
	w.str(d.FundBackLoad)
	w.str(d.FundBackLoadTimeInterval)
	w.str(d.FundManagementFee)
	w.bool(d.FundClosed)
	w.bool(d.FundClosedForNewInvestors)
	w.bool(d.FundClosedForNewMoney)
	w.str(d.FundNotifyAmount)
	w.str(d.FundMinimumInitialPurchase)
	w.str(d.FundSubsequentMinimumPurchase)
	w.str(d.FundBlueSkyStates)
	w.str(d.FundBlueSkyTerritories)
	w.str(string(d.FundDistributionPolicyIndicator)) // the enum values are the wire codes
	w.str(string(d.FundAssetType))
}

func lastTradeField(d *ibapi.ContractDetails) string {
	date := d.Contract.LastTradeDateOrContractMonth
	switch {
	case d.LastTradeTime == "":
		return date
	case len(d.LastTradeTime) == len("16:30:00"):
		return date + "-" + d.LastTradeTime
	case d.TimeZoneID != "":
		return date + " " + d.LastTradeTime + " " + d.TimeZoneID
	}
	return date + " " + d.LastTradeTime
}

// escapeASCII7 is TWS's encoding of non-ASCII text from
// MIN_SERVER_VER_ENCODE_MSG_ASCII7: the client unquotes the field as a Go
// string literal, so non-ASCII runes go out as \uXXXX escapes and a
// backslash or quote is escaped.
func escapeASCII7(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c == '\\' || c == '"' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x80:
			b.WriteRune(r)
		case r <= 0xFFFF:
			b.WriteString(`\u`)
			const hex = "0123456789abcdef"
			b.WriteByte(hex[r>>12&0xF])
			b.WriteByte(hex[r>>8&0xF])
			b.WriteByte(hex[r>>4&0xF])
			b.WriteByte(hex[r&0xF])
		default:
			for _, r16 := range utf16Pair(r) {
				b.WriteString(`\u`)
				const hex = "0123456789abcdef"
				b.WriteByte(hex[r16>>12&0xF])
				b.WriteByte(hex[r16>>8&0xF])
				b.WriteByte(hex[r16>>4&0xF])
				b.WriteByte(hex[r16&0xF])
			}
		}
	}
	return b.String()
}

func utf16Pair(r rune) [2]rune {
	r -= 0x10000
	return [2]rune{0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF}
}

// ContractDataEnd ends the answer to reqContractDetails reqID.
func (e Encoder) ContractDataEnd(reqID int64) []byte {
	if e.pb(ibapi.CONTRACT_DATA_END) {
		return protoFrame(ibapi.CONTRACT_DATA_END, &protobuf.ContractDataEnd{ReqId: reqID32(reqID)})
	}
	return e.simple(ibapi.CONTRACT_DATA_END, reqID)
}

// HistoricalData answers reqHistoricalData. Before
// MIN_SERVER_VER_HISTORICAL_DATA_END the bars message itself carries the
// start and end of the period; from it, the bars message has none and a
// separate HISTORICAL_DATA_END (108) follows, so two frames are returned
// concatenated. Before MIN_SERVER_VER_SYNT_REALTIME_BARS the message and
// each bar carry the legacy VERSION and hasGaps fields.
func (e Encoder) HistoricalData(reqID int64, start, end string, bars []ibapi.Bar) []byte {
	if e.pb(ibapi.HISTORICAL_DATA) {
		return e.pbHistoricalData(reqID, start, end, bars)
	}
	v := e.v()
	w := newWriter(v, ibapi.HISTORICAL_DATA, 32+len(bars)*80)
	if v < ibapi.MIN_SERVER_VER_SYNT_REALTIME_BARS {
		w.int(versionHistoricalData)
	}
	w.int(reqID)
	if v < ibapi.MIN_SERVER_VER_HISTORICAL_DATA_END {
		w.str(start)
		w.str(end)
	}
	w.int(int64(len(bars)))
	for i := range bars {
		b := &bars[i]
		w.str(b.Date)
		w.num(b.Open)
		w.num(b.High)
		w.num(b.Low)
		w.num(b.Close)
		w.decimal(b.Volume)
		w.decimal(b.Wap)
		if v < ibapi.MIN_SERVER_VER_SYNT_REALTIME_BARS {
			w.str("false") // hasGaps
		}
		w.int(b.BarCount)
	}
	out := w.frame()
	if v < ibapi.MIN_SERVER_VER_HISTORICAL_DATA_END {
		return out
	}
	endw := newWriter(v, ibapi.HISTORICAL_DATA_END, 40)
	endw.int(reqID)
	endw.str(start)
	endw.str(end)
	return append(out, endw.frame()...)
}
