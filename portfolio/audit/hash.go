package audit

import (
	"crypto/sha256"
	_ "embed" // VerifyScript
	"encoding/hex"
	"strconv"
)

// hashDomain is the first field of every row's encoding. It names the
// encoding, so a future change of encoding cannot collide with this one.
const hashDomain = "rotor.audit.v1"

// rowHash returns hex(sha256(encoding)) of one row, where the encoding is the
// concatenation of netstrings (decimal byte length, ':', the bytes, ',') of:
//
//	"rotor.audit.v1", seq, time, kind, event_id, plan_id, order_ref,
//	broker_order_id, perm_id, instrument, account, payload, prev_hash
//
// Integers are in decimal; NULL (an id not carried) is the empty string.
// HashSQL computes the same encoding in SQL.
func rowHash(seq int64, timeText, kind, eventID, planID, orderRef string,
	brokerOrderID, permID int64, instrument, account string, payload []byte, prevHash string) string {
	return rowHashText(seq, timeText, kind, eventID, planID, orderRef,
		idText(brokerOrderID), idText(permID), instrument, account, payload, prevHash)
}

// idText is an integer id as the encoding has it: decimal, "" for none.
func idText(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// rowHashText is rowHash with the integer ids already in their text form,
// as Verify reads them.
func rowHashText(seq int64, timeText, kind, eventID, planID, orderRef,
	brokerOrderID, permID, instrument, account string, payload []byte, prevHash string) string {
	var buf [512]byte
	enc := appendEncoding(buf[:0], seq, []byte(timeText), []byte(kind), []byte(eventID), []byte(planID), []byte(orderRef),
		[]byte(brokerOrderID), []byte(permID), []byte(instrument), []byte(account), payload, []byte(prevHash))
	return hashOf(enc)
}

// appendEncoding appends a row's hash encoding to dst: the netstrings of
// hashDomain, seq and each column in order.
func appendEncoding(dst []byte, seq int64, fields ...[]byte) []byte {
	dst = appendNetstring(dst, []byte(hashDomain))
	var num [20]byte
	dst = appendNetstring(dst, strconv.AppendInt(num[:0], seq, 10))
	for _, f := range fields {
		dst = appendNetstring(dst, f)
	}
	return dst
}

func appendNetstring(dst, b []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, ':')
	dst = append(dst, b...)
	return append(dst, ',')
}

func hashOf(enc []byte) string {
	sum := sha256.Sum256(enc)
	return hex.EncodeToString(sum[:])
}

// HashSQL is an SQL expression, over the columns of one events row, whose
// value is the row's hash encoding as text. sha256 of its bytes is the row's
// hash; SQLite has no sha256, so the shell pipes hex(...) of it through
// `xxd -r -p | sha256sum` (VerifyScript does exactly that). Byte lengths come
// from CAST(... AS BLOB) because length() of TEXT counts characters.
const HashSQL = `'14:rotor.audit.v1,'` +
	` || length(CAST(seq AS BLOB)) || ':' || seq || ','` +
	` || length(CAST(time AS BLOB)) || ':' || time || ','` +
	` || length(CAST(kind AS BLOB)) || ':' || kind || ','` +
	` || length(CAST(coalesce(event_id, '') AS BLOB)) || ':' || coalesce(event_id, '') || ','` +
	` || length(CAST(coalesce(plan_id, '') AS BLOB)) || ':' || coalesce(plan_id, '') || ','` +
	` || length(CAST(coalesce(order_ref, '') AS BLOB)) || ':' || coalesce(order_ref, '') || ','` +
	` || length(CAST(coalesce(broker_order_id, '') AS BLOB)) || ':' || coalesce(broker_order_id, '') || ','` +
	` || length(CAST(coalesce(perm_id, '') AS BLOB)) || ':' || coalesce(perm_id, '') || ','` +
	` || length(CAST(coalesce(instrument, '') AS BLOB)) || ':' || coalesce(instrument, '') || ','` +
	` || length(CAST(coalesce(account, '') AS BLOB)) || ':' || coalesce(account, '') || ','` +
	` || length(CAST(payload AS BLOB)) || ':' || payload || ','` +
	` || length(CAST(prev_hash AS BLOB)) || ':' || prev_hash || ','`

// VerifyScript is a POSIX shell script that checks an audit database's chain
// with nothing but the stock sqlite3 shell, xxd and sha256sum:
//
//	sh verify.sh audit.db
//
// It prints the first row that fails and exits 1, or prints how many rows
// hold and exits 0. `rotor audit verify` does the same check in Go; the
// script lets an auditor check it without trusting rotor.
//
//go:embed verify.sh
var VerifyScript string
