package state

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// Marks are the account's risk marks, the numbers risk.Check measures
// losses against (Input.DayStartNLV and Input.HighWaterMark). They live in
// risk_marks rows; the last one of the account holds.
type Marks struct {
	Day           string          `json:"day"` // the trade date (YYYY-MM-DD, see TradeDate) DayStartNLV belongs to
	DayStartNLV   decimal.Decimal `json:"day_start_nlv"`
	HighWaterMark decimal.Decimal `json:"high_water_mark"`
}

// LoadMarks returns the account's last recorded marks, and false when none
// were ever recorded.
func LoadMarks(ctx context.Context, log *audit.Log, account string) (Marks, bool, error) {
	if err := checkAccount(account); err != nil {
		return Marks{}, false, err
	}
	rec, ok, err := lastOf(ctx, log, account, KindRiskMarks, "", func(audit.Record) (bool, error) { return true, nil })
	if err != nil || !ok {
		return Marks{}, false, err
	}
	m, err := MarksOf(rec)
	return m, err == nil, err
}

// MarksOf is the marks a risk_marks row records.
func MarksOf(r audit.Record) (Marks, error) {
	var m Marks
	if err := decode(r, &m); err != nil {
		return Marks{}, err
	}
	return m, nil
}

// UpdateMarks brings the account's stored marks up to date with net
// liquidation nlv seen on trade date day, as AdvanceMarks decides, writes
// the row it returns (if any) and returns the marks. It reads and then
// writes, unguarded: for tools and tests. The portfolio service advances
// the marks it decided on and writes them guarded (audit.NoNewer), since a
// preview in another process may write marks too.
func UpdateMarks(ctx context.Context, log *audit.Log, account string, nlv decimal.Decimal, day string) (Marks, error) {
	old, ok, err := LoadMarks(ctx, log, account)
	if err != nil {
		return Marks{}, err
	}
	m, row, err := AdvanceMarks(old, ok, account, nlv, day)
	if err != nil || row == nil {
		return m, err
	}
	if _, err := log.Append(ctx, *row); err != nil {
		return Marks{}, fmt.Errorf("state: record the risk marks of %s: %w", account, err)
	}
	return m, nil
}

// AdvanceMarks returns the marks old (ok = false when none were ever
// recorded, see LoadMarks) brought up to date with net liquidation nlv seen
// on trade date day, and the risk_marks row that records them when they
// change: on the first trade date seen (both marks = nlv), on a new trade
// date (DayStartNLV = nlv) and when nlv is above the high-water mark
// (HighWaterMark = nlv). Otherwise the row is nil and the marks are old. A
// day before the stored one (a clock stepping back) does not start a new
// day. The caller appends the row, alone (UpdateMarks) or with the decision
// that used the marks (the portfolio service's write-ahead).
//
// nlv must be positive: a broker reports zero before the account's values
// have arrived, and a day started at zero would hide the day's losses.
func AdvanceMarks(old Marks, ok bool, account string, nlv decimal.Decimal, day string) (Marks, *audit.Entry, error) {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return Marks{}, nil, fmt.Errorf("state: trade date %q: want YYYY-MM-DD", day)
	}
	if !nlv.IsPositive() {
		return Marks{}, nil, fmt.Errorf("state: net liquidation %s of %s is not positive; the broker has not reported the account's values yet", nlv, account)
	}
	m := old
	switch {
	case !ok:
		m = Marks{Day: day, DayStartNLV: nlv, HighWaterMark: nlv}
	case day > old.Day: // YYYY-MM-DD orders as text
		m.Day, m.DayStartNLV = day, nlv
	}
	if nlv.GreaterThan(m.HighWaterMark) {
		m.HighWaterMark = nlv
	}
	if ok && m.Day == old.Day && m.DayStartNLV.Equal(old.DayStartNLV) && m.HighWaterMark.Equal(old.HighWaterMark) {
		return old, nil, nil
	}
	return m, &audit.Entry{Kind: KindRiskMarks, Account: account, Payload: m}, nil
}
