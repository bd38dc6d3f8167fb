package web

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/signals"
)

// The charts read the market's times (a quote's time, a fill's execution
// time, a plan's as-of), not the rows' times: the rows are stamped when
// rotor wrote them, which in a replay or a demo is minutes for a year.

// signalPoint is one received signal event, for the charts over events.
type signalPoint struct {
	Seq   int64
	Time  time.Time // the as-of day
	Event signals.Event
}

// accountPoint is the account as one plan saw it.
type accountPoint struct {
	Seq       int64
	Time      time.Time
	NLV       float64
	Positions map[string]int64 // root → signed contracts
}

// pricePoint is a reference price of the price chart's root.
type pricePoint struct {
	Time  time.Time
	Price float64
}

// tradeMark is an order (from its intent) or a fill on the price chart.
type tradeMark struct {
	Seq      int64
	Time     time.Time
	Ref      string
	Root     string
	Side     string
	Quantity int64
	Price    float64
	EventID  string
}

// history is what the charts over time are drawn from.
type history struct {
	Signals  []signalPoint
	Accounts []accountPoint
	Prices   []pricePoint
	Orders   []tradeMark
	Fills    []tradeMark
}

// decodeEvent reads the signal event inside a signal_received row. It is
// lenient (plain encoding/json, unlike signals.UnmarshalEvent): the event was
// checked when it was admitted, and a reviewer should see whatever is there.
func decodeEvent(r audit.Record) (service.ReceivedPayload, signals.Event, bool) {
	var p service.ReceivedPayload
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		return p, signals.Event{}, false
	}
	var ev signals.Event
	if len(p.Event) == 0 || json.Unmarshal(p.Event, &ev) != nil {
		return p, signals.Event{}, false
	}
	return p, ev, true
}

func parseDay(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// loadSignals returns up to limit received events with seq <= upTo (0: all),
// oldest first.
func loadSignals(ctx context.Context, l *audit.Log, upTo int64, limit int) ([]signalPoint, error) {
	f := audit.Filter{Kinds: []string{audit.KindSignalReceived}, Desc: true, Limit: limit}
	if upTo > 0 {
		f.BeforeSeq = upTo + 1
	}
	var out []signalPoint
	err := l.Each(ctx, f, func(r audit.Record) error {
		if _, ev, ok := decodeEvent(r); ok {
			if t, ok := parseDay(ev.AsOf); ok {
				out = append(out, signalPoint{Seq: r.Seq, Time: t, Event: ev})
			}
		}
		return nil
	})
	slices.Reverse(out)
	return dedupeDays(out), err
}

// dedupeDays keeps the last event of each as-of day (a replayed stream or
// a second account gives several), so the lines do not zigzag.
func dedupeDays(in []signalPoint) []signalPoint {
	out := in[:0:0]
	for _, p := range in {
		if n := len(out); n > 0 && out[n-1].Time.Equal(p.Time) {
			out[n-1] = p
			continue
		}
		out = append(out, p)
	}
	return out
}

// loadHistory reads, in one pass, everything the charts over time need:
// the last limit plans (account, positions, reference price), received
// events, order intents and fills. priceRoots are the roots whose orders and
// fills go on the price line; the first is the line's own root.
func loadHistory(ctx context.Context, l *audit.Log, priceRoots []string, limit int) (history, error) {
	var h history
	sigs, err := loadSignals(ctx, l, 0, limit)
	if err != nil {
		return h, err
	}
	h.Signals = sigs
	// The plans bound the window: orders and fills older than the oldest
	// plan shown would sit off the chart's left edge.
	var plans []audit.Record
	if plans, err = l.Query(ctx, audit.Filter{Kinds: []string{audit.KindPlan}, Desc: true, Limit: limit}); err != nil {
		return h, err
	}
	slices.Reverse(plans)
	var after int64
	if len(plans) > 0 {
		after = plans[0].Seq - 1
	}
	for _, r := range plans {
		var p service.PlanPayload
		if json.Unmarshal(r.Payload, &p) != nil {
			continue
		}
		t := p.Plan.AsOf
		if t.IsZero() {
			t = p.Market.Account.UpdatedAt
		}
		if t.IsZero() {
			t = r.Time
		}
		ap := accountPoint{Seq: r.Seq, Time: t, NLV: p.Market.Account.NetLiquidation.InexactFloat64(), Positions: map[string]int64{}}
		for _, pos := range p.Market.Positions {
			if pos.Quantity != 0 {
				ap.Positions[pos.Contract.Symbol] += pos.Quantity
			}
		}
		h.Accounts = append(h.Accounts, ap)
		if len(priceRoots) > 0 {
			if q, ok := p.Market.Prices[priceRoots[0]]; ok && q.Price.IsPositive() {
				qt := q.At
				if qt.IsZero() {
					qt = t
				}
				h.Prices = append(h.Prices, pricePoint{Time: qt, Price: q.Price.InexactFloat64()})
			}
		}
	}
	sort.SliceStable(h.Prices, func(i, j int) bool { return h.Prices[i].Time.Before(h.Prices[j].Time) })
	err = l.Each(ctx, audit.Filter{Kinds: []string{audit.KindOrderIntent, audit.KindFill}, AfterSeq: after}, func(r audit.Record) error {
		if !slices.Contains(priceRoots, r.Instrument) {
			return nil
		}
		switch r.Kind {
		case audit.KindOrderIntent:
			var p service.IntentPayload
			if json.Unmarshal(r.Payload, &p) != nil {
				return nil
			}
			t := p.At
			if t.IsZero() {
				t = r.Time
			}
			h.Orders = append(h.Orders, tradeMark{Seq: r.Seq, Time: t, Ref: r.OrderRef, Root: r.Instrument, Side: string(p.Request.Side),
				Quantity: p.Request.Quantity, Price: p.Price.InexactFloat64(), EventID: r.EventID})
		case audit.KindFill:
			var p state.FillPayload
			if json.Unmarshal(r.Payload, &p) != nil {
				return nil
			}
			t := p.Time
			if t.IsZero() {
				t = r.Time
			}
			h.Fills = append(h.Fills, tradeMark{Seq: r.Seq, Time: t, Ref: r.OrderRef, Root: r.Instrument, Side: string(p.Side),
				Quantity: p.Quantity, Price: p.Price.InexactFloat64()})
		}
		return nil
	})
	return h, err
}
