package ibsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rotor-trading/rotor/broker/ibsim/wire"
	"github.com/scmhub/ibapi"
)

// tradingDaysPer converts IB duration units to trading days.
var tradingDaysPer = map[string]int{"D": 1, "W": 5, "M": 21, "Y": 252}

// parseDuration reads IB's "N U" duration ("30 D", "1 Y") as trading days.
func parseDuration(s string) (int, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), " ")
	days, known := tradingDaysPer[strings.ToUpper(unit)]
	count, err := strconv.Atoi(n)
	if !ok || !known || err != nil || count <= 0 {
		return 0, fmt.Errorf("duration %q: want \"<N> <D|W|M|Y>\"", s)
	}
	return count * days, nil
}

// parseEndTime reads IB's end date-time: empty for now, or
// "yyyymmdd hh:mm:ss[ zone]" or "yyyymmdd-hh:mm:ss" (UTC).
func parseEndTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now, nil
	}
	if len(s) < 17 {
		return time.Time{}, fmt.Errorf("end date-time %q: want \"yyyymmdd hh:mm:ss\" or \"yyyymmdd-hh:mm:ss\"", s)
	}
	t, err := time.Parse("20060102 15:04:05", strings.Replace(s[:17], "-", " ", 1))
	if err != nil {
		return time.Time{}, fmt.Errorf("end date-time %q: %v", s, err)
	}
	return t, nil
}

// parseExecTime reads reqExecutions' filter time; empty means no bound.
func parseExecTime(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := parseEndTime(s, time.Time{})
	if err != nil {
		return time.Time{}, fmt.Errorf("execution filter time %q: want \"yyyymmdd-hh:mm:ss\" (UTC)", s)
	}
	return t, nil
}

// sendHistory answers reqHistoricalData with daily bars of the contract.
func (ss *session) sendHistory(r wire.ReqHistoricalData) {
	now := ss.srv.cfg.Now()
	fail := func(format string, args ...any) {
		ss.send(ss.enc.Error(r.ReqID, codeHistorical, "Historical Market Data Service error message:"+fmt.Sprintf(format, args...), "", now))
	}
	ls := ss.srv.engine.Resolve(queryOf(r.Contract))
	if len(ls) == 0 {
		ss.send(ss.enc.Error(r.ReqID, CodeNoSecDef, "No security definition has been found for the request", "", now))
		return
	}
	if len(ls) > 1 {
		fail("ambiguous contract %s: %d listings match; give the expiry or the conId", r.Contract.Symbol, len(ls))
		return
	}
	if r.BarSize != "1 day" {
		fail("the paper broker serves daily bars only (bar size \"1 day\"), not %q", r.BarSize)
		return
	}
	if r.KeepUpToDate {
		fail("keepUpToDate is not supported for daily bars by the paper broker")
		return
	}
	days, err := parseDuration(r.Duration)
	if err != nil {
		fail("%v", err)
		return
	}
	end, err := parseEndTime(r.EndDateTime, now)
	if err != nil {
		fail("%v", err)
		return
	}
	bars, err := ss.srv.engine.Bars(ls[0], end, days)
	if err != nil || len(bars) == 0 {
		fail("HMDS query returned no data: %s", ls[0].LocalSymbol)
		return
	}
	out := make([]ibapi.Bar, len(bars))
	for i, b := range bars {
		out[i] = ibapi.Bar{Date: b.Date.Format("20060102"), Open: b.Open, High: b.High, Low: b.Low, Close: b.Close,
			Volume: ibapi.StringToDecimal(strconv.FormatFloat(b.Volume, 'f', -1, 64)), Wap: ibapi.StringToDecimal(strconv.FormatFloat(b.Close, 'f', -1, 64)), BarCount: 1}
	}
	start := bars[0].Date.Format("20060102") + " 00:00:00"
	ss.send(ss.enc.HistoricalData(r.ReqID, start, end.Format("20060102 15:04:05"), out))
}
