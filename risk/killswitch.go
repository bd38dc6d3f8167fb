package risk

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// KillSwitch is the persisted state of the account's kill switch. Check
// only reads it; the caller persists a trip (Decision.TripKillSwitch) and
// only an operator resets it (rotor risk reset, itself audited).
type KillSwitch struct {
	Tripped bool      `json:"tripped"`
	Reason  string    `json:"reason,omitempty"`
	Since   time.Time `json:"since,omitempty"`
}

// lossBreaches returns a plan-wide verdict for each loss limit net
// liquidation has gone beyond: today's loss against DailyLossFraction of
// the start-of-day net liquidation and against DailyLossAmount, and the
// drawdown from the high-water mark against MaxDrawdown. Any of them trips
// the kill switch. l must be valid (Check validates it first) and dayStart
// positive.
func lossBreaches(l Limits, nlv, dayStart, hwm decimal.Decimal) []Verdict {
	var out []Verdict
	loss := dayStart.Sub(nlv)
	// With the fraction and dayStart positive the limit is positive, so a
	// day that lost nothing cannot breach it and is not multiplied out.
	if l.DailyLossFraction.IsPositive() && loss.IsPositive() && loss.GreaterThan(l.DailyLossFraction.Mul(dayStart)) {
		frac := ratio(loss, dayStart)
		out = append(out, Verdict{Code: CodeDailyLoss, Action: ActionReject,
			Limit: l.DailyLossFraction, Actual: frac, Unit: "fraction",
			Message: fmt.Sprintf("today's loss of %s is %s of the start-of-day net liquidation %s, beyond the daily loss limit of %s: the kill switch trips",
				fmtUSD(loss), fmtPct(frac), fmtUSD(dayStart), fmtPct(l.DailyLossFraction))})
	}
	if l.DailyLossAmount.IsPositive() && loss.GreaterThan(l.DailyLossAmount) {
		out = append(out, Verdict{Code: CodeDailyLoss, Action: ActionReject,
			Limit: l.DailyLossAmount, Actual: loss, Unit: "USD",
			Message: fmt.Sprintf("today's loss of %s is beyond the daily loss limit of %s: the kill switch trips",
				fmtUSD(loss), fmtUSD(l.DailyLossAmount))})
	}
	mark := decimal.Max(hwm, nlv)
	if mark.IsPositive() {
		// As for the daily loss, the limit is positive (MaxDrawdown and
		// mark are), so net liquidation at its mark cannot breach it.
		dd := mark.Sub(nlv)
		if dd.IsPositive() && dd.GreaterThan(l.MaxDrawdown.Mul(mark)) {
			frac := ratio(dd, mark)
			out = append(out, Verdict{Code: CodeDrawdown, Action: ActionReject,
				Limit: l.MaxDrawdown, Actual: frac, Unit: "fraction",
				Message: fmt.Sprintf("net liquidation %s is %s below the high-water mark %s, beyond the drawdown limit of %s: the kill switch trips",
					fmtUSD(nlv), fmtPct(frac), fmtUSD(mark), fmtPct(l.MaxDrawdown))})
		}
	}
	return out
}
