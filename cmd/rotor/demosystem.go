package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/audit/web"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/rotor-trading/rotor/signals/worker"
)

// The demo's market: generated, deterministic history with a small-cap
// leadership episode from March 2025. With this seed the signal is lagging
// in late February, turns neutral in early March and leadership in mid
// March, so the demo shows the sleeve flat, then half on, then fully on.
var (
	demoSeed         int64 = 2
	demoHistoryStart       = time.Date(2018, 1, 2, 0, 0, 0, 0, time.UTC)
	demoEpisodeStart       = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	demoEpisodeEnd         = time.Date(2025, 8, 29, 0, 0, 0, 0, time.UTC)
	demoFirstDay           = time.Date(2025, 2, 24, 0, 0, 0, 0, time.UTC)
)

// demoRunTime is when, each trading day, the demo's clock stands: after the
// worker's run at the close + 30 min, and before CME's 16:00 CT break.
const demoRunTime = 16*time.Hour + 45*time.Minute

// demoDay is what happened on one simulated trading day.
type demoDay struct {
	Date      string           `json:"date"`
	EventID   string           `json:"event_id"`
	Regime    signals.Regime   `json:"regime"`
	Score     float64          `json:"score"`
	Changed   bool             `json:"regime_changed"`
	Orders    []demoOrder      `json:"orders"`
	PlanWide  []string         `json:"plan_verdicts,omitempty"`
	Positions map[string]int64 `json:"positions"`
	NLV       decimal.Decimal  `json:"net_liquidation"`
}

type demoOrder struct {
	Ref      string `json:"ref"`
	Contract string `json:"contract"`
	Side     string `json:"side"`
	Proposed int64  `json:"proposed"`
	Approved int64  `json:"approved"`
	Filled   int64  `json:"filled"`
	Verdicts string `json:"verdicts"`
}

// systemReport is the whole demo, for --json.
type systemReport struct {
	Dir       string    `json:"dir"`
	AuditLog  string    `json:"audit_log"`
	Report    string    `json:"report"`
	Account   string    `json:"account"`
	Days      []demoDay `json:"days"`
	AuditRows int64     `json:"audit_rows"`
	AuditHead string    `json:"audit_head"`
}

// runSystemDemo plays days trading days through the whole system on
// embedded defaults: the paper broker, NATS with JetStream, the signal
// worker and the portfolio service in paper mode, on a simulated clock.
func runSystemDemo(ctx context.Context, out io.Writer, log zerolog.Logger, f demoFlags) (*systemReport, error) {
	days := marketdata.TradingDays(demoFirstDay, demoEpisodeEnd)
	if f.days < 1 || f.days > len(days) {
		return nil, fmt.Errorf("--days %d: want 1 to %d", f.days, len(days))
	}
	days = days[:f.days]
	dir, err := demoDir(f.dataDir)
	if err != nil {
		return nil, err
	}
	rep := &systemReport{Dir: dir, AuditLog: filepath.Join(dir, "audit.db")}
	say := func(format string, a ...any) {
		if !f.json {
			fmt.Fprintf(out, format+"\n", a...)
		}
	}
	quiet := log.Level(zerolog.WarnLevel)
	ny, err := time.LoadLocation(worker.DefaultLocation)
	if err != nil {
		return nil, fmt.Errorf("load the time zone %s (is tzdata installed?): %w", worker.DefaultLocation, err)
	}
	demoTime := func(day time.Time) time.Time {
		y, m, d := day.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, ny).Add(demoRunTime)
	}
	clock := worker.NewManualClock(demoTime(days[0]))
	series := marketdata.Generate(marketdata.GenConfig{Seed: demoSeed, Start: demoHistoryStart, End: demoEpisodeEnd,
		Leadership: &marketdata.Episode{Start: demoEpisodeStart, End: demoEpisodeEnd}})

	sim := ibsim.New(ibsim.Config{Now: clock.Now, Series: series, Logger: quiet.With().Str("component", "ibsim").Logger()})
	if err := sim.Open(ctx); err != nil {
		return nil, err
	}
	defer sim.Close()
	emb, err := jetstream.StartEmbedded(ctx, jetstream.EmbeddedConfig{StoreDir: filepath.Join(dir, "nats"), Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer emb.Shutdown()
	nc, err := jetstream.Connect(ctx, jetstream.ConnConfig{URL: emb.ClientURL(), Name: "rotor demo", Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		return nil, err
	}
	if _, err := jetstream.EnsureStream(ctx, js, jetstream.StreamConfig{Logger: quiet}); err != nil {
		return nil, err
	}
	signer, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	pub, _ := signer.PublicKey()
	say("rotor demo: %d trading days from %s, on embedded defaults (no network)", len(days), days[0].Format(time.DateOnly))
	say("  paper broker  %s (TWS API over loopback), NATS %s, audit log %s", sim.Addr(), emb.ClientURL(), rep.AuditLog)

	w := worker.New(worker.Config{
		Load:      func(context.Context) (map[string]marketdata.Series, error) { return series, nil },
		Publisher: jetstream.NewPublisher(js, jetstream.PublisherConfig{Logger: quiet}),
		Last:      worker.LastFromStream(js, ""), Signer: signer,
		Now: clock.Now, After: clock.After, MaxCatchUp: 20,
		Logger: quiet.With().Str("component", "signal-worker").Logger(),
	})
	if err := w.Open(ctx); err != nil {
		return nil, err
	}
	defer w.Close()
	if err := waitUntil(ctx, func() error { return workerAt(w, days[0]) }); err != nil {
		return nil, fmt.Errorf("the signal worker's warm-up: %w", err)
	}

	client := ib.New(ib.Config{Addr: sim.Addr(), ClientID: 1, Now: clock.Now, Logger: quiet})
	if err := client.Open(ctx); err != nil {
		return nil, err
	}
	defer client.Close()
	rep.Account = client.AccountID()
	l, err := audit.Open(ctx, rep.AuditLog, audit.Options{})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	svc, err := service.New(service.Config{Account: rep.Account, Mode: service.Paper, Broker: client, Log: l, JetStream: js,
		Admit: admit.Policy{Trusted: []string{pub}}, Now: clock.Now, Logger: quiet})
	if err != nil {
		return nil, err
	}
	if err := svc.Open(ctx); err != nil {
		return nil, err
	}
	defer svc.Close(10 * time.Second)
	say("  signal worker and portfolio service (paper mode, account %s) running\n", rep.Account)
	say("%-10s  %-11s  %5s  %-44s  %-22s  %s", "DAY", "REGIME", "SCORE", "ORDERS (approved/proposed, filled)", "POSITIONS", "NET LIQ")

	for i, day := range days {
		if i > 0 {
			clock.Set(demoTime(day))
		}
		if err := waitUntil(ctx, func() error { return handled(ctx, js, l, i+1) }); err != nil {
			return rep, fmt.Errorf("%s: %w", day.Format(time.DateOnly), err)
		}
		d, err := describeDay(ctx, l, sim, day)
		if err != nil {
			return rep, err
		}
		rep.Days = append(rep.Days, d)
		say("%s", d.line())
	}
	if _, err := l.Verify(ctx, nil); err != nil {
		return rep, fmt.Errorf("the audit log does not verify: %w", err)
	}
	head, err := l.Head(ctx)
	if err != nil {
		return rep, err
	}
	rep.AuditRows, rep.AuditHead = head.Seq, head.Hash
	rep.Report = filepath.Join(dir, "report.html")
	if err := writeDemoReport(ctx, rep.Report, l); err != nil {
		return rep, err
	}
	say("\nThe audit log %s holds %d rows; its hash chain verifies (head %d %s).", rep.AuditLog, head.Seq, head.Seq, head.Hash[:16])
	say("The report (charts and every decision's story, one file): %s", rep.Report)
	say("Review it:")
	say("  rotor audit list --audit %s", rep.AuditLog)
	if id := firstTrade(rep.Days); id != "" {
		say("  rotor audit show --audit %s %s      # the first trade's whole story", rep.AuditLog, id[:12])
	}
	say("  rotor audit verify --audit %s", rep.AuditLog)
	say("  rotor audit serve --audit %s         # the same pages in a browser, read-only", rep.AuditLog)
	if f.follow {
		say("\n--follow: the services keep running on the last day; Ctrl-C to stop.")
		<-ctx.Done()
	}
	return rep, nil
}

// writeDemoReport writes the audit log's report to path.
func writeDemoReport(ctx context.Context, path string, l *audit.Log) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if err := web.WriteReport(ctx, f, l, web.Options{Title: "rotor demo"}); err != nil {
		f.Close()
		return fmt.Errorf("write the report %s: %w", path, err)
	}
	return f.Close()
}

// firstTrade is the event id of the first day with an order, or "".
func firstTrade(days []demoDay) string {
	for _, d := range days {
		if len(d.Orders) > 0 {
			return d.EventID
		}
	}
	return ""
}

// demoDir makes a fresh run directory under dataDir.
func demoDir(dataDir string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dataDir, err)
	}
	dir, err := os.MkdirTemp(dataDir, "demo-"+time.Now().UTC().Format("20060102-150405")+"-")
	if err != nil {
		return "", fmt.Errorf("create a run directory in %s: %w", dataDir, err)
	}
	return dir, nil
}

func workerAt(w *worker.Worker, day time.Time) error {
	st := w.Status()
	if st.LastAsOf != day.Format(time.DateOnly) {
		return fmt.Errorf("the worker's last event is of %q (error: %v)", st.LastAsOf, st.Err)
	}
	return nil
}

// handled reports nil once the service has acknowledged n events and every
// order it sent has reached a final state.
func handled(ctx context.Context, js natsjs.JetStream, l *audit.Log, n int) error {
	c, err := js.Consumer(ctx, jetstream.DefaultStreamName, "rotor-portfolio-"+ibsim.DefaultAccount)
	if err != nil {
		return err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return err
	}
	if info.NumPending != 0 || info.NumAckPending != 0 || info.AckFloor.Consumer < uint64(n) {
		return fmt.Errorf("the portfolio service has acknowledged %d of %d events", info.AckFloor.Consumer, n)
	}
	open, err := l.IntentsWithoutFinalState(ctx)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		return fmt.Errorf("%d orders not final yet", len(open))
	}
	return nil
}

// waitUntil polls f until it returns nil, for at most 30 s.
func waitUntil(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// describeDay reads the day's story from the audit log and the book from
// the paper broker.
func describeDay(ctx context.Context, l *audit.Log, sim *ibsim.Server, day time.Time) (demoDay, error) {
	d := demoDay{Date: day.Format(time.DateOnly), Positions: map[string]int64{}}
	rec, err := l.Last(ctx, audit.KindSignalReceived)
	if err != nil {
		return d, err
	}
	var rp service.ReceivedPayload
	if err := json.Unmarshal(rec.Payload, &rp); err != nil {
		return d, err
	}
	ev, err := signals.UnmarshalEvent(rp.Event)
	if err != nil {
		return d, err
	}
	if ev.AsOf != d.Date {
		return d, fmt.Errorf("%s: the latest event handled is of %s", d.Date, ev.AsOf)
	}
	d.EventID, d.Regime, d.Score, d.Changed = ev.ID, ev.Regime, ev.Score, ev.RegimeChanged
	story, err := l.Story(ctx, ev.ID)
	if err != nil {
		return d, err
	}
	filled := map[string]int64{}
	var dec risk.Decision
	for _, r := range story {
		switch r.Kind {
		case audit.KindRiskDecision:
			if err := json.Unmarshal(r.Payload, &dec); err != nil {
				return d, err
			}
		case audit.KindFill:
			var fp struct {
				Quantity int64 `json:"quantity"`
			}
			if err := json.Unmarshal(r.Payload, &fp); err != nil {
				return d, err
			}
			filled[r.OrderRef] += fp.Quantity
		}
	}
	for _, o := range dec.Orders {
		var codes []string
		for _, v := range o.Verdicts {
			codes = append(codes, string(v.Code))
		}
		d.Orders = append(d.Orders, demoOrder{Ref: o.Order.Ref, Contract: o.Order.Contract.LocalSymbol, Side: string(o.Order.Side),
			Proposed: o.Order.Quantity, Approved: o.Approved, Filled: filled[o.Order.Ref], Verdicts: strings.Join(codes, ",")})
	}
	for _, v := range dec.Verdicts {
		if v.OrderRef == "" {
			d.PlanWide = append(d.PlanWide, string(v.Code)+": "+v.Message)
		}
	}
	for _, p := range sim.Engine().Positions() {
		if p.Quantity != 0 {
			d.Positions[p.Listing.LocalSymbol] = p.Quantity
		}
	}
	d.NLV = sim.Engine().Account().NetLiquidation
	return d, nil
}

// line is the day as one line of the demo's table.
func (d demoDay) line() string {
	var orders []string
	for _, o := range d.Orders {
		s := fmt.Sprintf("%s %d/%d %s", strings.ToLower(o.Side), o.Approved, o.Proposed, o.Contract)
		if o.Filled > 0 {
			s += fmt.Sprintf(" filled %d", o.Filled)
		}
		if o.Verdicts != "OK" {
			s += " [" + o.Verdicts + "]"
		}
		orders = append(orders, s)
	}
	if len(orders) == 0 {
		orders = []string{"-"}
	}
	var pos []string
	for k, v := range d.Positions {
		pos = append(pos, fmt.Sprintf("%s %+d", k, v))
	}
	sort.Strings(pos)
	if len(pos) == 0 {
		pos = []string{"flat"}
	}
	regime := string(d.Regime)
	if d.Changed {
		regime += "*"
	}
	return fmt.Sprintf("%-10s  %-11s  %5.2f  %-44s  %-22s  %s", d.Date, regime, d.Score, strings.Join(orders, "; "),
		strings.Join(pos, " "), d.NLV.StringFixed(0))
}
