package web

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// rowView is one audit row as the pages show it.
type rowView struct {
	Seq        int64
	Time       string // RFC 3339 UTC, to the millisecond
	Kind       string
	EventID    string // the event the row belongs to: its own, or its plan's
	EventHref  string // where that event's story is; "" when it has none here
	PlanID     string
	Ref        string
	Instrument string
	Account    string
	Summary    string
	Attention  bool // a rejection, error, kill switch or mismatch: shown marked
}

// attention kinds are the rows a reviewer should not scroll past.
var attentionKinds = []string{audit.KindSignalRejected, audit.KindError, audit.KindKillSwitch}

func newRowView(r audit.Record) rowView {
	v := rowView{Seq: r.Seq, Time: r.Time.UTC().Format("2006-01-02 15:04:05.000"), Kind: r.Kind, EventID: r.EventID,
		PlanID: r.PlanID, Ref: r.OrderRef, Instrument: r.Instrument, Account: r.Account, Summary: summarize(r)}
	v.Attention = slices.Contains(attentionKinds, r.Kind)
	return v
}

// linker says where an event's story is: a path on the server, or an anchor
// in the report (only for the events it includes).
type linker func(eventID string) string

func serverLink(id string) string { return "/event/" + id }

// eventsOfPlans finds the event of each plan id: rows after the plan (status,
// fills, commissions) carry the plan id and the order reference but not the
// event id, and a reviewer on a fill wants the decision behind it.
func eventsOfPlans(ctx context.Context, l *audit.Log, recs []audit.Record) (map[string]string, error) {
	out := map[string]string{}
	for _, r := range recs {
		if r.PlanID != "" && r.EventID != "" {
			out[r.PlanID] = r.EventID
		}
	}
	for _, r := range recs {
		if r.PlanID == "" || r.EventID != "" {
			continue
		}
		if _, ok := out[r.PlanID]; ok {
			continue
		}
		plans, err := l.Query(ctx, audit.Filter{Kinds: []string{audit.KindPlan}, PlanID: r.PlanID, Limit: 1})
		if err != nil {
			return nil, err
		}
		out[r.PlanID] = ""
		if len(plans) == 1 {
			out[r.PlanID] = plans[0].EventID
		}
	}
	return out, nil
}

// rowViews presents recs, linking each to its event's story.
func rowViews(ctx context.Context, l *audit.Log, recs []audit.Record, link linker) ([]rowView, error) {
	events, err := eventsOfPlans(ctx, l, recs)
	if err != nil {
		return nil, err
	}
	out := make([]rowView, len(recs))
	for i, r := range recs {
		v := newRowView(r)
		if v.EventID == "" {
			v.EventID = events[r.PlanID]
		}
		if v.EventID != "" {
			v.EventHref = link(v.EventID)
		}
		out[i] = v
	}
	return out, nil
}

// timelinePage is the data of the timeline.
type timelinePage struct {
	Query     timelineQuery
	Kinds     []kindOption
	Rows      []rowView
	Filtered  bool
	NewerHref string // "" on the newest page
	OlderHref string // "" on the oldest page
	ClearHref string
	StoryHref string // the story of the event filtered on, if any
}

// kindOption is one entry of the kind filter.
type kindOption struct {
	Kind     string
	Selected bool
}

// timeline reads one page of the timeline.
func timeline(ctx context.Context, l *audit.Log, tq timelineQuery, defaultN int) (timelinePage, error) {
	p := timelinePage{Query: tq, Filtered: tq.filtered(), ClearHref: "/"}
	for _, k := range KnownKinds {
		p.Kinds = append(p.Kinds, kindOption{Kind: k, Selected: slices.Contains(tq.Kinds, k)})
	}
	recs, err := l.Query(ctx, tq.filter())
	if err != nil {
		return p, err
	}
	more := len(recs) > tq.N // one row beyond the page says there is another page
	if more {
		recs = recs[:tq.N]
	}
	if tq.After > 0 { // read oldest first from After; show newest first
		slices.Reverse(recs)
	}
	if p.Rows, err = rowViews(ctx, l, recs, serverLink); err != nil {
		return p, err
	}
	base := tq.values(defaultN)
	page := func(k string, seq int64) string {
		v := cloneValues(base)
		v.Set(k, strconv.FormatInt(seq, 10))
		return "/?" + v.Encode()
	}
	// Reading newest first (no After), "more" means older rows exist;
	// reading forward from After, it means newer rows exist.
	switch {
	case len(recs) > 0:
		newest, oldest := recs[0].Seq, recs[len(recs)-1].Seq
		if tq.After > 0 || more {
			p.OlderHref = page("before", oldest)
		}
		if tq.Before > 0 || (tq.After > 0 && more) {
			p.NewerHref = page("after", newest)
		}
	case tq.Before > 0:
		p.NewerHref = page("after", tq.Before-1)
	case tq.After > 0:
		p.OlderHref = page("before", tq.After+1)
	}
	if tq.EventID != "" {
		p.StoryHref = serverLink(tq.EventID)
	}
	return p, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, s := range v {
		out[k] = slices.Clone(s)
	}
	return out
}

// allRows reads every row, newest first, for the report's timeline.
func allRows(ctx context.Context, l *audit.Log, limit int) ([]audit.Record, error) {
	recs, err := l.Query(ctx, audit.Filter{Desc: true, Limit: limit})
	if errors.Is(err, audit.ErrNotFound) {
		return nil, nil
	}
	return recs, err
}

// headView is the chain head shown in the page footer.
type headView struct {
	Seq  int64
	Hash string
	At   string
}

func headOf(ctx context.Context, l *audit.Log, now time.Time) (headView, error) {
	h, err := l.Head(ctx)
	if err != nil {
		return headView{}, err
	}
	return headView{Seq: h.Seq, Hash: h.Hash, At: now.UTC().Format(time.RFC3339)}, nil
}
