package backtest

import (
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// TradingDaysPerYear annualises daily figures.
const TradingDaysPerYear = 252

// Stats summarise a book's replay. Fractions are fractions (0.12 is 12%).
type Stats struct {
	StartNLV decimal.Decimal `json:"start_nlv"`
	EndNLV   decimal.Decimal `json:"end_nlv"`
	// TotalReturn is EndNLV/StartNLV - 1, where StartNLV is the starting
	// cash (the book's value before the first day's trades).
	TotalReturn float64 `json:"total_return"`
	// CAGR is the compound annual growth rate over the calendar span from
	// the day before the first day to the last (see CAGR).
	CAGR float64 `json:"cagr"`
	// Volatility is the annualised standard deviation of daily returns
	// (see Volatility).
	Volatility float64 `json:"volatility"`
	// Sharpe is the annualised Sharpe ratio with a zero risk-free rate
	// (see Sharpe).
	Sharpe float64 `json:"sharpe"`
	// MaxDrawdown is the largest fall of NLV from a running peak, as a
	// fraction of the peak; DrawdownPeak and DrawdownTrough are its days
	// and DrawdownRecovered the first day back at the peak ("" if never).
	MaxDrawdown       float64 `json:"max_drawdown"`
	DrawdownPeak      string  `json:"drawdown_peak"`
	DrawdownTrough    string  `json:"drawdown_trough"`
	DrawdownRecovered string  `json:"drawdown_recovered"`
	// Turnover is traded notional over average NLV, per year.
	Turnover float64 `json:"turnover"`
	// AvgExposure is the average of |exposure| / NLV over the days: the
	// leverage the book actually carried.
	AvgExposure float64 `json:"avg_exposure"`
	// Orders, Trades (executions) and Rejected (orders risk or the broker
	// refused) are counts over the replay.
	Orders   int `json:"orders"`
	Trades   int `json:"trades"`
	Rejected int `json:"rejected"`
	// Commissions and TradedNotional are totals, USD.
	Commissions    decimal.Decimal `json:"commissions"`
	TradedNotional decimal.Decimal `json:"traded_notional"`
	// KillSwitchTrips counts the kill switch's trips.
	KillSwitchTrips int `json:"kill_switch_trips"`
}

// DailyReturns returns the simple returns nlv[i]/nlv[i-1] - 1, one fewer
// than nlv; a return from a value that is not positive is 0 (the book is
// gone, nothing compounds).
func DailyReturns(nlv []float64) []float64 {
	if len(nlv) < 2 {
		return nil
	}
	out := make([]float64, len(nlv)-1)
	for i := 1; i < len(nlv); i++ {
		if nlv[i-1] > 0 {
			out[i-1] = nlv[i]/nlv[i-1] - 1
		}
	}
	return out
}

// Years is the span from from to to in years of 365.25 calendar days.
func Years(from, to time.Time) float64 {
	return dayOf(to).Sub(dayOf(from)).Hours() / 24 / 365.25
}

// CAGR is the compound annual growth rate from start to end over years:
// (end/start)^(1/years) - 1. It is 0 for a span of no time or a start that
// is not positive, and -1 when the end is not positive.
func CAGR(start, end, years float64) float64 {
	switch {
	case years <= 0 || start <= 0:
		return 0
	case end <= 0:
		return -1
	}
	return math.Pow(end/start, 1/years) - 1
}

// Volatility is the annualised volatility of daily returns: their sample
// standard deviation (n-1) times √252. Fewer than two returns give 0.
func Volatility(returns []float64) float64 {
	_, sd := meanSD(returns)
	return sd * math.Sqrt(TradingDaysPerYear)
}

// Sharpe is the annualised Sharpe ratio of daily returns with a zero
// risk-free rate: mean / sample standard deviation × √252. It is 0 when
// the returns do not vary (a flat book is not infinitely good).
func Sharpe(returns []float64) float64 {
	mean, sd := meanSD(returns)
	if sd == 0 {
		return 0
	}
	return mean / sd * math.Sqrt(TradingDaysPerYear)
}

// meanSD is the mean and the sample standard deviation, summed in order so
// the same returns always give the same bits.
func meanSD(xs []float64) (mean, sd float64) {
	if len(xs) < 2 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// MaxDrawdown is the largest fall of nlv from its running peak, as a
// fraction of the peak (0.25 is 25% down), with the indices of the peak and
// the trough, and of the first value back at or above the peak after the
// trough (-1 if none). An empty or never-falling series gives 0, 0, 0, -1.
func MaxDrawdown(nlv []float64) (dd float64, peak, trough, recovered int) {
	recovered = -1
	if len(nlv) == 0 {
		return 0, 0, 0, -1
	}
	p := 0
	for i, v := range nlv {
		if v > nlv[p] {
			p = i
		}
		if nlv[p] <= 0 {
			continue
		}
		if d := 1 - v/nlv[p]; d > dd {
			dd, peak, trough = d, p, i
		}
	}
	if dd > 0 {
		for i := trough + 1; i < len(nlv); i++ {
			if nlv[i] >= nlv[peak] {
				recovered = i
				break
			}
		}
	}
	return dd, peak, trough, recovered
}

// summarise works out a book's stats from its days. start is the starting
// cash, the value before the first day; firstDay is that first day.
func summarise(start decimal.Decimal, firstDay time.Time, days []Day, trips int) Stats {
	s := Stats{StartNLV: start, EndNLV: start, Commissions: decimal.Zero, TradedNotional: decimal.Zero, KillSwitchTrips: trips}
	if len(days) == 0 {
		return s
	}
	s0, _ := start.Float64()
	nlv := make([]float64, 0, len(days)+1)
	nlv = append(nlv, s0)
	var expo float64
	for _, d := range days {
		v, _ := d.NLV.Float64()
		nlv = append(nlv, v)
		if v > 0 {
			e, _ := d.Exposure.Abs().Float64()
			expo += e / v
		}
		s.Orders += d.Orders
		s.Trades += d.Fills
		s.Rejected += d.Rejected
		s.Commissions = plus(s.Commissions, d.Commissions)
		s.TradedNotional = plus(s.TradedNotional, d.Traded)
	}
	last := days[len(days)-1]
	s.EndNLV = last.NLV
	lastDay, _ := time.Parse(time.DateOnly, last.Date)
	// The span starts the trading day before the first one, when the cash
	// was put in: a one-day backtest has one day's return over one day.
	years := Years(firstDay.AddDate(0, 0, -1), lastDay)
	if s0 > 0 {
		s.TotalReturn = nlv[len(nlv)-1]/s0 - 1
	}
	s.CAGR = CAGR(s0, nlv[len(nlv)-1], years)
	rets := DailyReturns(nlv)
	s.Volatility = Volatility(rets)
	s.Sharpe = Sharpe(rets)
	dd, peak, trough, rec := MaxDrawdown(nlv)
	s.MaxDrawdown = dd
	// nlv[0] is the start, the day before days[0].
	dateOf := func(i int) string {
		if i <= 0 {
			return firstDay.AddDate(0, 0, -1).Format(time.DateOnly)
		}
		return days[i-1].Date
	}
	if dd > 0 {
		s.DrawdownPeak, s.DrawdownTrough = dateOf(peak), dateOf(trough)
		if rec >= 0 {
			s.DrawdownRecovered = dateOf(rec)
		}
	}
	var sum float64
	for _, v := range nlv[1:] {
		sum += v
	}
	avg := sum / float64(len(days))
	traded, _ := s.TradedNotional.Float64()
	if avg > 0 && years > 0 {
		s.Turnover = traded / avg / years
	}
	s.AvgExposure = expo / float64(len(days))
	return s
}
