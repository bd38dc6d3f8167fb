package worker_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/rotor-trading/rotor/signals/worker"
)

// tradingDaysBack lists the n NYSE trading days ending at last, as
// YYYY-MM-DD, oldest first.
func tradingDaysBack(last time.Time, n int) []string {
	var out []string
	for d := last; len(out) < n; d = d.AddDate(0, 0, -1) {
		if marketdata.IsTradingDay(d) {
			out = append(out, d.Format(time.DateOnly))
		}
	}
	slices.Reverse(out)
	return out
}

func TestColdStartCatchesUpOneEventPerTradingDay(t *testing.T) {
	r := newRig(t, ny(t, "2026-12-01 17:00"))
	w, _ := open(t, r.config(30))
	waitIdle(t, r.clock, 1)

	msgs := r.nats.messages(t)
	daily := on(msgs, worker.DailySubject)
	want := tradingDaysBack(date(t, "2026-12-01"), 30)
	if got := asOfs(daily); !slices.Equal(got, want) {
		t.Fatalf("daily as_of = %v\nwant %v", got, want)
	}
	// Thanksgiving and the weekends are not trading days; the (early
	// close) day after Thanksgiving is.
	for _, day := range []string{"2026-11-26", "2026-11-28", "2026-11-29"} {
		if slices.Contains(asOfs(msgs), day) {
			t.Errorf("an event for %s, when the NYSE is closed", day)
		}
	}
	if !slices.Contains(want, "2026-11-27") || !slices.Contains(want, "2026-11-25") {
		t.Fatal("the expected days miss the days around Thanksgiving")
	}
	pub, _ := r.key.PublicKey()
	for _, m := range msgs {
		if err := signals.Verify(m.ev, []string{pub}); err != nil {
			t.Errorf("%s on %s does not verify with the worker's key: %v", m.ev.AsOf, m.subject, err)
		}
	}
	for _, m := range daily {
		if m.msgID != m.ev.ID {
			t.Errorf("%s: Nats-Msg-Id %q, want the event id %q", m.ev.AsOf, m.msgID, m.ev.ID)
		}
	}
	// The catch-up is one long replay from a cold start.
	if got, want := ids(daily), evIDs(replay(t, date(t, want[0]), date(t, "2026-12-01"))); !slices.Equal(got, want) {
		t.Fatalf("ids differ from one replay:\n got %v\nwant %v", got, want)
	}
	st := w.Status()
	if st.LastAsOf != "2026-12-01" || st.Published != 30 || st.Err != nil || st.Pending != "" {
		t.Fatalf("Status() = %+v, want last 2026-12-01, 30 published, no error", st)
	}
	if want := ny(t, "2026-12-02 16:30"); !st.NextRun.Equal(want) {
		t.Fatalf("NextRun = %v, want %v", st.NextRun, want)
	}
}

func evIDs(evs []signals.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// advanceTo moves the clock to a New York time and waits for the workers to
// finish their run.
func advanceTo(t *testing.T, r *rig, at string, workers int) {
	t.Helper()
	r.clock.Set(ny(t, at))
	waitIdle(t, r.clock, workers)
}

func TestRestartContinuesTheSameChain(t *testing.T) {
	const start, end = "2026-11-20 17:00", "2026-12-04 17:00"
	// A worker that runs without interruption.
	a := newRig(t, ny(t, start))
	open(t, a.config(20))
	waitIdle(t, a.clock, 1)
	for d := ny(t, start); !d.After(ny(t, end)); d = d.AddDate(0, 0, 1) {
		advanceTo(t, a, d.Format("2006-01-02 15:04"), 1)
	}

	// One that is restarted: on the same day, the next day, and after a
	// week down.
	b := newRig(t, ny(t, start))
	b.key = a.key
	w1, _ := open(t, b.config(20))
	waitIdle(t, b.clock, 1)
	n := b.nats.dailyCount(t)
	w1.Close()

	w2, _ := open(t, b.config(20))
	waitIdle(t, b.clock, 2) // the first worker's timer is still registered
	if got := b.nats.dailyCount(t); got != n {
		t.Fatalf("a restart on the same day published %d events, want none", got-n)
	}
	if st := w2.Status(); st.Published != 0 || st.LastAsOf != "2026-11-20" {
		t.Fatalf("restarted worker Status() = %+v, want nothing published, last 2026-11-20", st)
	}
	advanceTo(t, b, "2026-11-23 17:00", 1)
	if got := b.nats.dailyCount(t); got != n+1 {
		t.Fatalf("the next day published %d events, want 1", got-n)
	}
	w2.Close()

	b.clock.Set(ny(t, "2026-12-02 09:00")) // down for a week (fires the stopped worker's timer)
	open(t, b.config(20))
	waitIdle(t, b.clock, 1)
	advanceTo(t, b, end, 1)

	got, want := on(b.nats.messages(t), worker.DailySubject), on(a.nats.messages(t), worker.DailySubject)
	if !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("restarted worker's stream differs from the uninterrupted one:\n got %v %v\nwant %v %v",
			asOfs(got), ids(got), asOfs(want), ids(want))
	}
	if got, want := len(got), 20+9; got != want { // 2026-11-23 to 2026-12-04: 9 trading days
		t.Fatalf("%d daily events, want %d", got, want)
	}
	// And both equal one long replay.
	if long := evIDs(replay(t, date(t, want0(got)), date(t, "2026-12-04"))); !slices.Equal(ids(got), long) {
		t.Fatalf("the stream differs from one long replay:\n got %v\nwant %v", ids(got), long)
	}
	// The change subjects match too.
	if gc, wc := on(b.nats.messages(t), worker.ChangeSubject), on(a.nats.messages(t), worker.ChangeSubject); !slices.Equal(ids(gc), ids(wc)) {
		t.Fatalf("change subjects differ: %v vs %v", asOfs(gc), asOfs(wc))
	}
}

func want0(msgs []msg) string { return msgs[0].ev.AsOf }

func TestTwoWorkersStoreEachDayOnce(t *testing.T) {
	r := newRig(t, ny(t, "2026-11-18 17:00"))
	open(t, r.config(15))
	open(t, r.config(15))
	waitIdle(t, r.clock, 2)
	for _, at := range []string{"2026-11-19 16:31", "2026-11-20 16:45", "2026-11-23 18:00"} {
		advanceTo(t, r, at, 2)
	}
	daily := on(r.nats.messages(t), worker.DailySubject)
	if got, want := asOfs(daily), tradingDaysBack(date(t, "2026-11-23"), 18); !slices.Equal(got, want) {
		t.Fatalf("two workers stored %v\nwant each day once: %v", got, want)
	}
}

func TestScheduleRunsAfterCloseAcrossDST(t *testing.T) {
	// Friday 2026-10-30 is on daylight time (EDT, UTC-4); clocks go back on
	// Sunday 2026-11-01, so Monday 2026-11-02 closes at 16:00 EST (UTC-5).
	r := newRig(t, ny(t, "2026-10-30 16:29"))
	w, _ := open(t, r.config(5))
	waitIdle(t, r.clock, 1)
	last := func() string {
		d := on(r.nats.messages(t), worker.DailySubject)
		return d[len(d)-1].ev.AsOf
	}
	if got := last(); got != "2026-10-29" {
		t.Fatalf("at 16:29 the last event is %s, want 2026-10-29 (the 30th is not due before 16:30)", got)
	}
	if got, want := w.Status().NextRun, time.Date(2026, 10, 30, 20, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("NextRun = %v, want %v (16:30 EDT)", got, want)
	}
	r.clock.Set(ny(t, "2026-10-30 16:29").Add(59 * time.Second))
	if got := last(); got != "2026-10-29" || r.clock.Waiting() != 1 {
		t.Fatalf("the worker ran before 16:30 (last %s)", got)
	}
	advanceTo(t, r, "2026-10-30 16:30", 1)
	if got := last(); got != "2026-10-30" {
		t.Fatalf("after 16:30 the last event is %s, want 2026-10-30", got)
	}
	// The next run is Monday 16:30 EST: 21:30 UTC, an hour later in UTC.
	if got, want := w.Status().NextRun, time.Date(2026, 11, 2, 21, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("NextRun = %v, want %v (16:30 EST)", got, want)
	}
	r.clock.Set(time.Date(2026, 11, 2, 21, 29, 0, 0, time.UTC)) // 16:29 EST, 17:29 EDT
	if got := last(); got != "2026-10-30" || r.clock.Waiting() != 1 {
		t.Fatalf("the worker ran at 16:29 EST (last %s)", got)
	}
	advanceTo(t, r, "2026-11-02 16:30", 1)
	if got := last(); got != "2026-11-02" {
		t.Fatalf("after Monday 16:30 EST the last event is %s, want 2026-11-02", got)
	}
}

func TestRegimeChangeAlsoOnChangeSubject(t *testing.T) {
	// The leadership episode of the generated history (May to October
	// 2026) makes the regime change in this window.
	r := newRig(t, ny(t, "2026-07-31 17:00"))
	open(t, r.config(90))
	waitIdle(t, r.clock, 1)
	msgs := r.nats.messages(t)
	daily, change := on(msgs, worker.DailySubject), on(msgs, worker.ChangeSubject)

	var wantChanged, unchanged []string
	for _, m := range daily {
		if m.ev.RegimeChanged {
			wantChanged = append(wantChanged, m.ev.AsOf)
		} else {
			unchanged = append(unchanged, m.ev.AsOf)
		}
	}
	if len(wantChanged) == 0 || len(unchanged) == 0 {
		t.Fatalf("the window needs days with and without a change: %d changed, %d not", len(wantChanged), len(unchanged))
	}
	if got := asOfs(change); !slices.Equal(got, wantChanged) {
		t.Fatalf("change subject holds %v, want the days whose regime changed: %v", got, wantChanged)
	}
	for _, m := range change {
		if m.msgID != m.ev.ID+"-change" || !m.ev.RegimeChanged {
			t.Errorf("change message %s: msg id %q, changed %v; want %q, true", m.ev.AsOf, m.msgID, m.ev.RegimeChanged, m.ev.ID+"-change")
		}
	}
	for _, m := range daily {
		if m.ev.RegimeChanged && !slices.ContainsFunc(change, func(c msg) bool { return c.ev.ID == m.ev.ID }) {
			t.Errorf("the change of %s is not on the change subject", m.ev.AsOf)
		}
	}
}

func TestLateDataIsRetriedUntilItArrives(t *testing.T) {
	r := newRig(t, ny(t, "2026-11-24 16:45"))
	r.market.writeThrough(t, date(t, "2026-11-23")) // the vendor has not delivered the 24th
	w, logs := open(t, r.config(10))
	waitIdle(t, r.clock, 1)
	st := w.Status()
	if st.LastAsOf != "2026-11-23" || !errors.Is(st.Err, worker.ErrDataLate) {
		t.Fatalf("Status() = last %s, err %v; want 2026-11-23 and ErrDataLate", st.LastAsOf, st.Err)
	}
	if want := ny(t, "2026-11-24 17:00"); !st.NextRun.Equal(want) {
		t.Fatalf("NextRun = %v, want a retry after RetryEvery at %v", st.NextRun, want)
	}
	if !strings.Contains(logs.String(), "not in yet") {
		t.Fatalf("the log does not say the data is late:\n%s", logs)
	}
	advanceTo(t, r, "2026-11-24 17:00", 1) // still late
	if st := w.Status(); st.LastAsOf != "2026-11-23" || !errors.Is(st.Err, worker.ErrDataLate) {
		t.Fatalf("second try: Status() = %+v", st)
	}

	r.market.writeThrough(t, date(t, "2026-11-24"))
	advanceTo(t, r, "2026-11-24 17:15", 1)
	st = w.Status()
	if st.LastAsOf != "2026-11-24" || st.Err != nil {
		t.Fatalf("after the bars arrived: Status() = %+v, want 2026-11-24 published", st)
	}
	daily := on(r.nats.messages(t), worker.DailySubject)
	want := evIDs(replay(t, date(t, daily[0].ev.AsOf), date(t, "2026-11-24")))
	if got := ids(daily); !slices.Equal(got, want) {
		t.Fatalf("late day changed the chain:\n got %v\nwant %v", got, want)
	}
	if want := ny(t, "2026-11-25 16:30"); !st.NextRun.Equal(want) {
		t.Fatalf("NextRun = %v, want the next close %v", st.NextRun, want)
	}
}

func TestBadDataFileIsReportedAndRetried(t *testing.T) {
	r := newRig(t, ny(t, "2026-11-24 16:45"))
	good := append([]byte(nil), mustRead(t, r.market.dir+"/IWM.csv")...)
	mustWrite(t, r.market.dir+"/IWM.csv", append(append([]byte(nil), good...), "2027-01-04,1,1,1,-5,-5,100\n"...))
	w, logs := open(t, r.config(5))
	waitIdle(t, r.clock, 1)
	var csvErr *marketdata.CSVError
	if st := w.Status(); st.LastAsOf != "" || !errors.As(st.Err, &csvErr) {
		t.Fatalf("Status() = %+v, want nothing published and a CSV error", st)
	}
	if !strings.Contains(logs.String(), "IWM.csv") || !strings.Contains(logs.String(), "BAD MARKET DATA") {
		t.Fatalf("the log does not name the bad file loudly:\n%s", logs)
	}
	if got := r.nats.dailyCount(t); got != 0 {
		t.Fatalf("%d events published from bad data", got)
	}
	mustWrite(t, r.market.dir+"/IWM.csv", good)
	advanceTo(t, r, "2026-11-24 17:00", 1)
	if st := w.Status(); st.LastAsOf != "2026-11-24" || st.Err != nil || r.nats.dailyCount(t) != 5 {
		t.Fatalf("after the fix: Status() = %+v, %d events; want 5 up to 2026-11-24", st, r.nats.dailyCount(t))
	}
}

func TestNATSDownLosesNothing(t *testing.T) {
	r := newRig(t, ny(t, "2026-11-23 17:00"))
	w, _ := open(t, r.config(5))
	waitIdle(t, r.clock, 1)
	before := r.nats.messages(t)

	r.nats.emb.Shutdown()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if r.nats.nc.IsConnected() {
			return errors.New("client still connected")
		}
		return nil
	})
	advanceTo(t, r, "2026-11-24 16:30", 1)
	st := w.Status()
	if !errors.Is(st.Err, jetstream.ErrUnreachable) || st.Pending != "2026-11-24" || st.LastAsOf != "2026-11-23" {
		t.Fatalf("with NATS down: Status() = %+v, want ErrUnreachable and 2026-11-24 pending", st)
	}

	// A vendor correction while NATS is down must not change the event
	// the worker keeps: its first copy may already be stored.
	r.market.writeThrough(t, date(t, "2026-11-24"))
	csv := mustRead(t, r.market.dir+"/IWM.csv")
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	f := strings.Split(lines[len(lines)-1], ",") // date,open,high,low,close,adj_close,volume
	f[4], f[5] = f[1], f[1]
	lines[len(lines)-1] = strings.Join(f, ",")
	mustWrite(t, r.market.dir+"/IWM.csv", []byte(strings.Join(lines, "\n")+"\n"))

	r.nats.start(t)
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if !r.nats.nc.IsConnected() {
			return errors.New("client not reconnected")
		}
		return nil
	})
	advanceTo(t, r, "2026-11-24 16:45", 1)
	st = w.Status()
	if st.Err != nil || st.Pending != "" || st.LastAsOf != "2026-11-24" {
		t.Fatalf("after NATS came back: Status() = %+v, want 2026-11-24 published", st)
	}
	after := on(r.nats.messages(t), worker.DailySubject)
	if got, want := asOfs(after), append(asOfs(on(before, worker.DailySubject)), "2026-11-24"); !slices.Equal(got, want) {
		t.Fatalf("stream holds %v, want %v: each day exactly once", got, want)
	}
	kept := replay(t, date(t, after[0].ev.AsOf), date(t, "2026-11-24"))
	if got, want := after[len(after)-1].ev.ID, kept[len(kept)-1].ID; got != want {
		t.Fatalf("2026-11-24 published as %s, want the event computed before the outage, %s", got, want)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	r := newRig(t, ny(t, "2026-11-24 17:00"))
	// A first worker warms up the connection's own goroutines and
	// subscriptions.
	w0, _ := open(t, r.config(3))
	waitIdle(t, r.clock, 1)
	w0.Close()
	base := runtime.NumGoroutine()

	w := worker.New(r.config(3))
	if err := w.Close(); err != nil {
		t.Fatalf("Close before Open: %v", err)
	}
	w = worker.New(r.config(3))
	if err := w.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, r.clock, 2)
	if err := w.Open(context.Background()); err == nil {
		t.Fatal("a second Open succeeded")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if n := runtime.NumGoroutine(); n > base {
			return errors.New("goroutines above the baseline after Close")
		}
		return nil
	})
}

func TestOpenRefusesWhatItCannotTrust(t *testing.T) {
	r := newRig(t, ny(t, "2026-11-24 17:00"))
	if err := worker.New(worker.Config{}).Open(context.Background()); err == nil || !strings.Contains(err.Error(), "Load is required") {
		t.Fatalf("Open with an empty config: %v", err)
	}
	cfg := r.config(3)
	cfg.Delay = 13 * time.Hour
	if err := worker.New(cfg).Open(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "worker: ") {
		t.Fatalf("Open with a 13h delay: %v", err)
	}
	if _, err := r.nats.publisher().Publish(context.Background(), worker.DailySubject, "junk-1", []byte(`{"schema":"nope"}`), nil); err != nil {
		t.Fatal(err)
	}
	if err := worker.New(r.config(3)).Open(context.Background()); !errors.Is(err, worker.ErrBadResumePoint) {
		t.Fatalf("Open on a stream whose last event is junk: %v, want ErrBadResumePoint", err)
	}
}

// TestOpenWaitsForJetStream: a worker started while JetStream does not
// answer (a cluster electing a leader) keeps asking for the resume point
// for ResumeWait, then starts; past ResumeWait it fails, naming the cause.
func TestOpenWaitsForJetStream(t *testing.T) {
	r := newRig(t, ny(t, "2026-11-24 17:00"))
	unreachable := fmt.Errorf("look up stream: %w", jetstream.ErrUnreachable)
	calls := 0
	cfg := r.config(3)
	last := cfg.Last
	cfg.Last = func(ctx context.Context) ([]byte, error) {
		calls++
		if calls <= 2 {
			return nil, unreachable
		}
		return last(ctx)
	}
	cfg.ResumeWait = 5 * time.Second
	open(t, cfg)
	if calls != 3 {
		t.Fatalf("Last was asked %d times, want 3 (two unanswered, then the answer)", calls)
	}
	cfg.Last = func(context.Context) ([]byte, error) { return nil, unreachable }
	cfg.ResumeWait = 300 * time.Millisecond
	start := time.Now()
	err := worker.New(cfg).Open(context.Background())
	if !errors.Is(err, jetstream.ErrUnreachable) || time.Since(start) > 5*time.Second {
		t.Fatalf("Open with JetStream never answering: %v after %v", err, time.Since(start))
	}
}
