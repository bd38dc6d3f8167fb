package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
)

// storyPage is the story of one decision: what the market said, what rotor
// wanted, what risk allowed, and what happened to each order.
type storyPage struct {
	EventID  string
	Prefix   string      // for element ids: "" on the event page, unique per story in the report
	Signal   *signalView // nil when the story has no signal_received row
	Charts   []Chart
	Plans    []planView
	Orders   []orderStory
	Rows     []storyRow // every row, oldest first, with its payload
	Timeline string     // the timeline filtered to this event's rows
}

// signalView is the numbers of the signal event.
type signalView struct {
	Seq     int64
	Mode    string
	Event   signals.Event
	Sectors []sectorView
}

// sectorView is one relative-strength line.
type sectorView struct {
	Symbol         string
	Return, Spread float64
	Beaten         bool
}

// planView is one plan of the event (one per account and mode) and risk's
// decision on it.
type planView struct {
	Seq       int64
	PlanID    string
	Account   string
	Payload   service.PlanPayload
	Risk      *risk.Decision
	PlanWide  []risk.Verdict // the decision's verdicts not about one order
	Orders    []plannedView
	Positions []positionView
}

// plannedView is one order of a plan with risk's verdicts on it.
type plannedView struct {
	Ref, Root, Contract, Leg, Side, Reason string
	Quantity, Current, Target              int64
	Price, Notional                        string
	Decided                                bool // risk's decision names it
	Action                                 risk.Action
	Approved                               int64
	Verdicts                               []risk.Verdict
}

// positionView is one position the plan saw.
type positionView struct {
	Contract string
	Quantity int64
	AvgCost  string
}

// orderStory is everything the log says about one order reference.
type orderStory struct {
	Ref      string
	Anchor   string
	Rows     []rowView
	Filled   int64
	Final    string // the final status, "" while the order is open
	Attached bool   // the order appears in a plan above
}

// storyRow is a row with its payload, for the full record.
type storyRow struct {
	rowView
	Payload string // indented JSON
	Hash    string
}

// story reads the story of eventID; audit.ErrNotFound when no row carries it.
func story(ctx context.Context, l *audit.Log, eventID, prefix string, historyLimit int) (storyPage, error) {
	recs, err := l.Story(ctx, eventID)
	if err != nil {
		return storyPage{}, err
	}
	p := storyPage{EventID: eventID, Prefix: prefix, Timeline: "/?event=" + url.QueryEscape(eventID)}
	decisions := map[string]*risk.Decision{} // plan id → decision
	for _, r := range recs {
		if r.Kind == audit.KindRiskDecision {
			var d risk.Decision
			if json.Unmarshal(r.Payload, &d) == nil {
				decisions[r.PlanID] = &d
			}
		}
	}
	inPlan := map[string]bool{}
	orders := map[string]*orderStory{}
	var refs []string
	for _, r := range recs {
		switch r.Kind {
		case audit.KindSignalReceived:
			if p.Signal != nil {
				break // the same event received again (another mode): the first tells it
			}
			rp, ev, ok := decodeEvent(r)
			if !ok {
				break
			}
			sv := &signalView{Seq: r.Seq, Mode: string(rp.Mode), Event: ev}
			for _, s := range slices.Sorted(maps.Keys(ev.RelativeStrength.Sectors)) {
				ss := ev.RelativeStrength.Sectors[s]
				sv.Sectors = append(sv.Sectors, sectorView{Symbol: s, Return: ss.Return, Spread: ss.Spread, Beaten: ss.Spread > 0})
			}
			p.Signal = sv
		case audit.KindPlan:
			var pp service.PlanPayload
			if json.Unmarshal(r.Payload, &pp) != nil {
				break
			}
			pv := planView{Seq: r.Seq, PlanID: r.PlanID, Account: r.Account, Payload: pp, Risk: decisions[r.PlanID]}
			for _, pos := range pp.Market.Positions {
				pv.Positions = append(pv.Positions, positionView{Contract: pos.Contract.LocalSymbol, Quantity: pos.Quantity, AvgCost: pos.AvgCost.String()})
			}
			byRef := map[string]risk.OrderDecision{}
			if pv.Risk != nil {
				for _, od := range pv.Risk.Orders {
					byRef[od.Order.Ref] = od
				}
				for _, v := range pv.Risk.Verdicts {
					if v.OrderRef == "" {
						pv.PlanWide = append(pv.PlanWide, v)
					}
				}
			}
			for _, o := range pp.Plan.Orders {
				od, decided := byRef[o.Ref]
				pv.Orders = append(pv.Orders, plannedView{Ref: o.Ref, Root: o.Root, Contract: o.Contract.LocalSymbol, Leg: string(o.Leg),
					Side: string(o.Side), Reason: o.Reason, Quantity: o.Quantity, Current: o.Current, Target: o.Target,
					Price: o.Price.String(), Notional: dec(o.Notional), Decided: decided, Action: od.Action, Approved: od.Approved, Verdicts: od.Verdicts})
				inPlan[o.Ref] = true
			}
			p.Plans = append(p.Plans, pv)
		}
		if r.OrderRef != "" {
			o, ok := orders[r.OrderRef]
			if !ok {
				o = &orderStory{Ref: r.OrderRef, Anchor: anchor("order", r.OrderRef)}
				orders[r.OrderRef] = o
				refs = append(refs, r.OrderRef)
			}
			o.Rows = append(o.Rows, newRowView(r))
			if r.Kind == audit.KindOrderStatus {
				var sp service.StatusPayload
				if json.Unmarshal(r.Payload, &sp) == nil {
					o.Filled = max(o.Filled, sp.Filled)
					if sp.Final {
						o.Final = string(sp.Status)
					}
				}
			}
		}
	}
	for _, ref := range refs {
		o := orders[ref]
		o.Attached = inPlan[ref]
		p.Orders = append(p.Orders, *o)
	}
	for _, r := range recs {
		sr := storyRow{rowView: newRowView(r), Hash: r.Hash}
		var b bytes.Buffer
		if json.Indent(&b, r.Payload, "", "  ") == nil {
			sr.Payload = b.String()
		} else {
			sr.Payload = string(r.Payload)
		}
		p.Rows = append(p.Rows, sr)
	}
	if p.Signal != nil {
		hist, err := loadSignals(ctx, l, p.Signal.Seq, historyLimit)
		if err != nil {
			return p, err
		}
		p.Charts = []Chart{spreadsChart(p.Prefix+"spreads", p.Signal.Event), microcapChart(p.Prefix+"microcap", hist, p.Signal.Seq),
			resistanceChart(p.Prefix+"resistance", hist, p.Signal.Seq)}
	}
	return p, nil
}

// anchor is an element id made from a string from the log: letters, digits,
// '-' and '_' are kept and every other byte becomes ".xx", so the id needs
// no escaping in a URL fragment and two strings never share one.
func anchor(prefix, s string) string {
	b := []byte(prefix + "-")
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b = append(b, c)
		default:
			b = append(b, fmt.Sprintf(".%02x", c)...)
		}
	}
	return string(b)
}
