package ib

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/scmhub/ibapi"

	"github.com/rotor-trading/rotor/broker"
)

// DailyBars implements broker.HistoryReader with reqHistoricalData: "1 day"
// bars, regular trading hours, formatDate 1 (dates as "20260824").
//
// What to show: TRADES for every security type. ADJUSTED_LAST would give
// dividend-adjusted stock closes, but IB only serves it with an empty end
// date (up to now), which would make a request "ending at end" depend on the
// wall clock; rotor's signal runs on 63-day windows where ETF dividends move
// the relative strength by a few basis points at most. The duration asks for
// enough calendar days to hold `days` trading days (7/5 plus a margin for
// holidays) and the bars are trimmed to the last `days` at or before end.
func (c *Client) DailyBars(ctx context.Context, ct broker.Contract, end time.Time, days int) ([]broker.Bar, error) {
	if days <= 0 {
		return nil, fmt.Errorf("ib: daily bars of %s: days %d, want > 0", ct, days)
	}
	s := c.ready()
	if s == nil {
		return nil, errNotReady("daily bars")
	}
	endStr := end.UTC().Format("20060102-15:04:05")
	dur := durationFor(days)
	items, err := c.do(ctx, s, "reqHistoricalData", func(id int64, s *session) error {
		return c.send(ctx, s, func(ec *ibapi.EClient) {
			ec.ReqHistoricalData(id, toIBContract(ct), endStr, dur, "1 day", "TRADES", true, 1, false, nil)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ib: daily bars of %s to %s: %w", ct, end.Format(time.DateOnly), err)
	}
	lastDay := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
	var bars []broker.Bar
	for _, it := range items {
		b := it.(ibapi.Bar)
		d, err := parseDay(b.Date)
		if err != nil {
			return nil, fmt.Errorf("ib: daily bars of %s: bar date %q: %w", ct, b.Date, err)
		}
		if d.After(lastDay) {
			continue
		}
		bars = append(bars, broker.Bar{Date: d, Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, Volume: b.Volume.Float()})
	}
	sort.Slice(bars, func(i, j int) bool { return bars[i].Date.Before(bars[j].Date) })
	if len(bars) > days {
		bars = bars[len(bars)-days:]
	}
	return bars, nil
}

// durationFor is IB's duration string covering n trading days: "N D" up to
// a year, whole years beyond (IB refuses more than 365 D).
func durationFor(n int) string {
	cal := n*7/5 + 10
	if cal <= 365 {
		return fmt.Sprintf("%d D", cal)
	}
	return fmt.Sprintf("%d Y", (cal+364)/365)
}
