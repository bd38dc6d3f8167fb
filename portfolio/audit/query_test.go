package audit_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// decision appends the story of one signal event: the signal, a plan with
// its risk decision and two order intents in one batch, then what happened
// to each order. It returns the seqs of the rows it wrote.
func decision(t *testing.T, l *audit.Log, ev string, finalFirst bool) []int64 {
	t.Helper()
	ctx := context.Background()
	plan := "plan-" + ev
	ref1, ref2 := plan+"/RTY/1", plan+"/M2K/1"
	var seqs []int64
	add := func(r audit.Record) { seqs = append(seqs, r.Seq) }
	add(mustAppend(t, l, audit.Entry{Kind: audit.KindSignalReceived, EventID: ev, Payload: map[string]any{"regime": "leadership", "sectors_beaten": 11}}))
	recs, err := l.AppendBatch(ctx, []audit.Entry{
		{Kind: audit.KindPlan, EventID: ev, PlanID: plan},
		{Kind: audit.KindRiskDecision, EventID: ev, PlanID: plan, Payload: map[string]any{"verdict": "approved"}},
		{Kind: audit.KindOrderIntent, PlanID: plan, OrderRef: ref1, Instrument: "RTY", Account: "DU1"},
		{Kind: audit.KindOrderIntent, PlanID: plan, OrderRef: ref2, Instrument: "M2K", Account: "DU1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		add(r)
	}
	add(mustAppend(t, l, audit.Entry{Kind: audit.KindOrderSent, OrderRef: ref1, BrokerOrderID: 11, Instrument: "RTY"}))
	add(mustAppend(t, l, audit.Entry{Kind: audit.KindBrokerEvent, OrderRef: ref1, BrokerOrderID: 11, PermID: 9001}))
	add(mustAppend(t, l, audit.Entry{Kind: audit.KindFill, OrderRef: ref1, PermID: 9001, Instrument: "RTY", Payload: map[string]any{"qty": 2}}))
	add(mustAppend(t, l, audit.Entry{Kind: audit.KindOrderStatus, OrderRef: ref1, Payload: map[string]any{"status": "Filled", "final": finalFirst}}))
	add(mustAppend(t, l, audit.Entry{Kind: audit.KindOrderStatus, OrderRef: ref2, Payload: map[string]any{"status": "Submitted", "final": false}}))
	return seqs
}

func seqsOf(recs []audit.Record) []int64 {
	var out []int64
	for _, r := range recs {
		out = append(out, r.Seq)
	}
	return out
}

func TestStory(t *testing.T) {
	ctx := context.Background()
	l := MustOpenLog(t)
	mustAppend(t, l, audit.Entry{Kind: audit.KindOperatorAction, Payload: map[string]string{"who": "ops"}})
	a := decision(t, l, "ev-a", true)
	b := decision(t, l, "ev-b", true)
	mustAppend(t, l, audit.Entry{Kind: audit.KindFill, OrderRef: "plan-ev-a/RTY/1", Payload: map[string]any{"qty": 1}})
	a = append(a, 22)

	got, err := l.Story(ctx, "ev-a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seqsOf(got), a) {
		t.Fatalf("Story(ev-a)=%v, want %v", seqsOf(got), a)
	}
	got, _ = l.Story(ctx, "ev-b")
	if !reflect.DeepEqual(seqsOf(got), b) {
		t.Fatalf("Story(ev-b)=%v, want %v", seqsOf(got), b)
	}
	if _, err := l.Story(ctx, "ev-none"); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("Story(unknown)=%v, want ErrNotFound", err)
	}
}

func TestQuery_Filters(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	l := mustOpenAt(t, t.TempDir()+"/audit.db", audit.Options{Now: clock.Now})
	decision(t, l, "ev-a", true) // seqs 1..10
	decision(t, l, "ev-b", true) // seqs 11..20
	r5, _ := l.Get(ctx, 5)
	r12, _ := l.Get(ctx, 12)

	for _, tc := range []struct {
		name string
		f    audit.Filter
		want []int64
	}{
		{"all", audit.Filter{Limit: 3}, []int64{1, 2, 3}},
		{"kind", audit.Filter{Kinds: []string{audit.KindPlan, audit.KindFill}}, []int64{2, 8, 12, 18}},
		{"event id", audit.Filter{EventID: "ev-b"}, []int64{11, 12, 13}},
		{"plan id", audit.Filter{PlanID: "plan-ev-a"}, []int64{2, 3, 4, 5}},
		{"order ref", audit.Filter{OrderRef: "plan-ev-b/M2K/1"}, []int64{15, 20}},
		{"instrument", audit.Filter{Instrument: "M2K"}, []int64{5, 15}},
		// Rows 2-5 are one batch with one time; row 12 is in the next batch.
		{"time range", audit.Filter{From: r5.Time, To: r12.Time}, []int64{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"after seq", audit.Filter{AfterSeq: 17, Kinds: []string{audit.KindOrderStatus}}, []int64{19, 20}},
		{"newest first", audit.Filter{Desc: true, Limit: 2}, []int64{20, 19}},
		{"page back", audit.Filter{Desc: true, BeforeSeq: 19, Limit: 2}, []int64{18, 17}},
		{"combined", audit.Filter{Instrument: "RTY", Kinds: []string{audit.KindFill}, From: r12.Time}, []int64{18}},
		{"nothing", audit.Filter{EventID: "nope"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.Query(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(seqsOf(got), tc.want) {
				t.Fatalf("Query(%+v)=%v, want %v", tc.f, seqsOf(got), tc.want)
			}
		})
	}

	stop := errors.New("stop")
	n := 0
	err := l.Each(ctx, audit.Filter{}, func(audit.Record) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("Each stopped with %v after %d rows, want stop after 1", err, n)
	}
	if _, err := l.Query(ctx, audit.Filter{Limit: -1}); !errors.Is(err, audit.ErrInvalid) {
		t.Fatalf("Query(Limit -1)=%v, want ErrInvalid", err)
	}
}

func TestLast(t *testing.T) {
	ctx := context.Background()
	l := MustOpenLog(t)
	if _, err := l.Last(ctx, ""); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("Last on empty=%v, want ErrNotFound", err)
	}
	decision(t, l, "ev-a", true)
	r, err := l.Last(ctx, audit.KindOrderIntent)
	if err != nil || r.Seq != 5 {
		t.Fatalf("Last(order_intent)=%d, %v, want 5", r.Seq, err)
	}
	r, err = l.Last(ctx, "")
	if err != nil || r.Seq != 10 {
		t.Fatalf("Last()=%d, %v, want 10", r.Seq, err)
	}
}

func TestLastSeqOf(t *testing.T) {
	ctx := context.Background()
	l := MustOpenLog(t)
	if seq, err := l.LastSeqOf(ctx, audit.KindOrderIntent); err != nil || seq != 0 {
		t.Fatalf("LastSeqOf on empty=%d, %v, want 0", seq, err)
	}
	decision(t, l, "ev-a", true)
	for _, c := range []struct {
		kinds []string
		want  int64
	}{
		{[]string{audit.KindOrderIntent}, 5},
		{[]string{audit.KindOrderIntent, audit.KindPlan}, 5},
		{[]string{"no_such_kind", audit.KindPlan}, 2},
		{[]string{"no_such_kind"}, 0},
	} {
		want, err := l.Query(ctx, audit.Filter{Kinds: c.kinds, Desc: true, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > 0 && want[0].Seq != c.want {
			t.Fatalf("the fixture changed: newest of %v is %d", c.kinds, want[0].Seq)
		}
		if seq, err := l.LastSeqOf(ctx, c.kinds...); err != nil || seq != c.want {
			t.Errorf("LastSeqOf(%v)=%d, %v, want %d", c.kinds, seq, err, c.want)
		}
	}
	if _, err := l.LastSeqOf(ctx); err == nil {
		t.Error("LastSeqOf() with no kind: no error")
	}
}

func TestIntentsWithoutFinalState(t *testing.T) {
	ctx := context.Background()
	l := MustOpenLog(t)
	decision(t, l, "ev-a", true)  // RTY final, M2K still working (seq 5)
	decision(t, l, "ev-b", false) // neither final (seqs 14, 15)
	// An intent re-recorded for the same reference counts once, as the latest.
	mustAppend(t, l, audit.Entry{Kind: audit.KindOrderIntent, PlanID: "plan-ev-b", OrderRef: "plan-ev-b/RTY/1"}) // 21
	// A final status before an intent does not close it.
	mustAppend(t, l, audit.Entry{Kind: audit.KindOrderStatus, OrderRef: "x/1", Payload: map[string]any{"final": true}})
	mustAppend(t, l, audit.Entry{Kind: audit.KindOrderIntent, OrderRef: "x/1"}) // 23
	// Closed by a final status.
	mustAppend(t, l, audit.Entry{Kind: audit.KindOrderIntent, OrderRef: "y/1"})
	mustAppend(t, l, audit.Entry{Kind: audit.KindOrderStatus, OrderRef: "y/1", Payload: map[string]any{"status": "Cancelled", "final": true}})

	got, err := l.IntentsWithoutFinalState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{5, 15, 21, 23}; !reflect.DeepEqual(seqsOf(got), want) {
		var refs []string
		for _, r := range got {
			refs = append(refs, fmt.Sprintf("%d:%s", r.Seq, r.OrderRef))
		}
		t.Fatalf("IntentsWithoutFinalState()=%v, want seqs %v", refs, want)
	}
}
