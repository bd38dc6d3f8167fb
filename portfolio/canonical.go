package portfolio

// This file writes the JSON that plan ids hash: the sleeve's canonical JSON
// and the plan id's input. Plan writes both for every plan, so they are
// appended by hand rather than marshalled by reflection, byte for byte what
// json.Marshal writes (TestCanonicalJSONIsMarshal and TestPlanIDMatchesMarshal hold the two together).

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// appendJSON appends the config as json.Marshal writes it: the fields in
// declaration order, under their json tags.
func (c SleeveConfig) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"share":`...)
	b = appendDecimal(b, c.Share)
	b = append(b, `,"leverage":{"leadership":`...)
	b = appendDecimal(b, c.Leverage.Leadership)
	b = append(b, `,"neutral":`...)
	b = appendDecimal(b, c.Leverage.Neutral)
	b = append(b, `,"lagging":`...)
	b = appendDecimal(b, c.Leverage.Lagging)
	b = append(b, `},"short":{"kind":`...)
	b = appendString(b, string(c.Short.Kind))
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(c.Short.N), 10)
	b = append(b, `,"ratio":`...)
	b = appendDecimal(b, c.Short.Ratio)
	b = append(b, `},"vol_target":`...)
	b, err := appendFloat(b, c.VolTarget)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"vol_window":`...)
	b = strconv.AppendInt(b, int64(c.VolWindow), 10)
	b = append(b, `,"drift_band":`...)
	b = appendDecimal(b, c.DriftBand)
	b = append(b, `,"roll_days":`...)
	b = strconv.AppendInt(b, int64(c.RollDays), 10)
	b = append(b, `,"order_type":`...)
	b = appendString(b, string(c.OrderType))
	b = append(b, `,"collar":`...)
	b = appendDecimal(b, c.Collar)
	b = append(b, `,"tif":`...)
	b = appendString(b, string(c.TIF))
	return append(b, '}'), nil
}

// appendPlanIDInput appends what a plan id hashes, as json.Marshal writes
// the struct {event_id, account, config, positions} with the config's
// canonical JSON as a json.RawMessage (which json.Marshal compacts and
// HTML-escapes: canonical JSON is json.Marshal's own output, so that leaves
// it as it is) and the positions in order.
func appendPlanIDInput(b []byte, eventID, account string, cfgJSON []byte, positions []canonPosition) []byte {
	b = append(b, `{"event_id":`...)
	b = appendString(b, eventID)
	b = append(b, `,"account":`...)
	b = appendString(b, account)
	b = append(b, `,"config":`...)
	b = append(b, cfgJSON...)
	b = append(b, `,"positions":[`...)
	for i, p := range positions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"account":`...)
		b = appendString(b, p.Account)
		b = append(b, `,"con_id":`...)
		b = strconv.AppendInt(b, p.ConID, 10)
		b = append(b, `,"symbol":`...)
		b = appendString(b, p.Symbol)
		b = append(b, `,"local_symbol":`...)
		b = appendString(b, p.LocalSymbol)
		b = append(b, `,"sec_type":`...)
		b = appendString(b, p.SecType)
		b = append(b, `,"expiry":`...)
		b = appendString(b, p.Expiry)
		b = append(b, `,"quantity":`...)
		b = strconv.AppendInt(b, p.Quantity, 10)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendString appends s as json.Marshal writes a string. Printable ASCII
// other than ", \, <, > and & is written as it is, so such a string is
// only quoted; any other string is left to json.Marshal and its escapes.
func appendString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < ' ' || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			m, _ := json.Marshal(s) // a string always marshals
			return append(b, m...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFloat appends f as json.Marshal writes a float64: zero and
// magnitudes in [1e-6, 1e21) in strconv's shortest 'f' form; the exponent
// form of other magnitudes is left to json.Marshal, as is the error for
// NaN and the infinities.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if a := math.Abs(f); a == 0 || a >= 1e-6 && a < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64), nil
	}
	m, err := json.Marshal(f)
	return append(b, m...), err
}

// appendDecimal appends d as json.Marshal writes it: its MarshalJSON, a
// number or a quoted number, which json.Marshal's compaction leaves as it
// is.
func appendDecimal(b []byte, d decimal.Decimal) []byte {
	m, _ := d.MarshalJSON() // never fails
	return append(b, m...)
}
