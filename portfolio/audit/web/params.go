package web

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// ParamError is a query parameter the pages cannot use: which one, what it
// was, and what it accepts. The handler shows it on a 400 page.
type ParamError struct {
	Param   string // e.g. "kind"
	Value   string
	Allowed string // the values or form it accepts, for a person
}

// Error implements error.
func (e *ParamError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("parameter %q: %s", e.Param, e.Allowed)
	}
	return fmt.Sprintf("parameter %q: %q is not allowed; want %s", e.Param, e.Value, e.Allowed)
}

// timelineQuery is the timeline's filter and page as the query string gave
// them, validated.
type timelineQuery struct {
	Kinds      []string
	Instrument string
	EventID    string
	PlanID     string
	Ref        string
	From, To   string // YYYY-MM-DD as given; To is inclusive
	Before     int64  // rows with seq < Before (older page)
	After      int64  // rows with seq > After (newer page)
	N          int    // rows per page
}

var (
	instrumentRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)
	idRE         = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
)

// timelineParams are the query parameters the timeline accepts.
var timelineParams = []string{"kind", "instrument", "event", "plan", "ref", "from", "to", "before", "after", "n"}

// MaxPageSize bounds the timeline's n parameter.
const MaxPageSize = 1000

// parseTimeline reads and checks the timeline's query. Empty values are
// absent ones: a form submitted with blank fields filters nothing.
func parseTimeline(q url.Values, defaultN int) (timelineQuery, error) {
	tq := timelineQuery{N: defaultN}
	for k := range q {
		if !slices.Contains(timelineParams, k) {
			return tq, &ParamError{Param: k, Value: q.Get(k), Allowed: "no such parameter; the timeline takes " + strings.Join(timelineParams, ", ")}
		}
	}
	for _, k := range q["kind"] {
		for _, kind := range strings.Split(k, ",") {
			if kind = strings.TrimSpace(kind); kind == "" {
				continue
			}
			if !slices.Contains(KnownKinds, kind) {
				return tq, &ParamError{Param: "kind", Value: kind, Allowed: "one of " + strings.Join(KnownKinds, ", ")}
			}
			if !slices.Contains(tq.Kinds, kind) {
				tq.Kinds = append(tq.Kinds, kind)
			}
		}
	}
	text := func(name string, re *regexp.Regexp, form string) (string, error) {
		v := strings.TrimSpace(q.Get(name))
		if v != "" && !re.MatchString(v) {
			return "", &ParamError{Param: name, Value: v, Allowed: form}
		}
		return v, nil
	}
	var err error
	if tq.Instrument, err = text("instrument", instrumentRE, "a root or symbol such as RTY: letters, digits, '.', '_' or '-', at most 32"); err != nil {
		return tq, err
	}
	idForm := "an id as the log stores it: letters, digits, '.', '_', ':' or '-', at most 128"
	if tq.EventID, err = text("event", idRE, "an event "+idForm); err != nil {
		return tq, err
	}
	if tq.PlanID, err = text("plan", idRE, "a plan "+idForm); err != nil {
		return tq, err
	}
	if tq.Ref, err = text("ref", idRE, "an order reference "+idForm); err != nil {
		return tq, err
	}
	var from, to time.Time
	for _, d := range []struct {
		name string
		dst  *string
		t    *time.Time
	}{{"from", &tq.From, &from}, {"to", &tq.To, &to}} {
		v := strings.TrimSpace(q.Get(d.name))
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return tq, &ParamError{Param: d.name, Value: v, Allowed: "a date as YYYY-MM-DD (UTC, the day the row was written)"}
		}
		*d.dst, *d.t = v, t
	}
	if tq.From != "" && tq.To != "" && to.Before(from) {
		return tq, &ParamError{Param: "to", Value: tq.To, Allowed: "a date on or after from (" + tq.From + ")"}
	}
	seq := func(name string) (int64, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return 0, &ParamError{Param: name, Value: v, Allowed: "a row number (seq), 1 or more"}
		}
		return n, nil
	}
	if tq.Before, err = seq("before"); err != nil {
		return tq, err
	}
	if tq.After, err = seq("after"); err != nil {
		return tq, err
	}
	if tq.Before > 0 && tq.After > 0 {
		return tq, &ParamError{Param: "after", Value: q.Get("after"), Allowed: "either before or after, not both"}
	}
	if v := strings.TrimSpace(q.Get("n")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return tq, &ParamError{Param: "n", Value: v, Allowed: fmt.Sprintf("rows per page, 1 to %d", MaxPageSize)}
		}
		tq.N = n
	}
	return tq, nil
}

// filter is the audit filter for the query's rows, newest first (oldest
// first when paging forward with After, which the caller reverses).
func (tq timelineQuery) filter() audit.Filter {
	f := audit.Filter{Kinds: tq.Kinds, Instrument: tq.Instrument, EventID: tq.EventID, PlanID: tq.PlanID,
		OrderRef: tq.Ref, BeforeSeq: tq.Before, AfterSeq: tq.After, Desc: tq.After == 0, Limit: tq.N + 1}
	if tq.From != "" {
		f.From, _ = time.Parse(time.DateOnly, tq.From)
	}
	if tq.To != "" {
		to, _ := time.Parse(time.DateOnly, tq.To)
		f.To = to.AddDate(0, 0, 1)
	}
	return f
}

// values is the query string for the same filter at another page.
func (tq timelineQuery) values(defaultN int) url.Values {
	v := url.Values{}
	if len(tq.Kinds) > 0 {
		v["kind"] = slices.Clone(tq.Kinds)
	}
	for k, s := range map[string]string{"instrument": tq.Instrument, "event": tq.EventID, "plan": tq.PlanID, "ref": tq.Ref, "from": tq.From, "to": tq.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if tq.N != defaultN {
		v.Set("n", strconv.Itoa(tq.N))
	}
	return v
}

// filtered reports whether the query narrows the rows at all.
func (tq timelineQuery) filtered() bool {
	return len(tq.Kinds) > 0 || tq.Instrument != "" || tq.EventID != "" || tq.PlanID != "" || tq.Ref != "" || tq.From != "" || tq.To != ""
}
