package backtest

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

func TestRunIsDeterministic(t *testing.T) {
	cfg := episodeConfig(t)
	a, err := json.Marshal(mustRun(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(mustRun(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs of the same config gave different JSON (%d and %d bytes)", len(a), len(b))
	}
}

// TestQuietDaysChangeNothing holds the quiet-day shortcut (no Plan and an
// empty risk check when nothing would be traded, the engine's values
// carried between trades) to the exhaustive path, byte for byte.
func TestQuietDaysChangeNothing(t *testing.T) {
	cfg := episodeConfig(t)
	cfg.Limits.MaxDrawdown = decimal.RequireFromString("0.03") // trips and resets too
	fast, _ := json.Marshal(mustRun(t, cfg))
	cfg.exhaustive = true
	slow, _ := json.Marshal(mustRun(t, cfg))
	if !bytes.Equal(fast, slow) {
		t.Fatal("the quiet-day shortcut changed the result")
	}
}

func TestStrategyFollowsTheRegime(t *testing.T) {
	r := mustRun(t, episodeConfig(t))
	strat := mustBook(t, r, BookStrategy)
	counts := map[signals.Regime]int{}
	for _, d := range strat.Days {
		counts[d.Regime]++
		switch d.Regime {
		case signals.Leadership:
			if !d.Exposure.IsPositive() {
				t.Errorf("%s: leadership but exposure %s", d.Date, d.Exposure)
			}
		case signals.Lagging: // lagging leverage is 0: flat means flat
			if len(d.Positions) != 0 || !d.Exposure.IsZero() {
				t.Errorf("%s: lagging but holding %v", d.Date, d.Positions)
			}
		}
		for _, h := range d.Positions {
			if h.Quantity <= 0 || (h.Root != portfolio.LongRoot && h.Root != portfolio.LongMicroRoot) {
				t.Errorf("%s: unexpected holding %+v", d.Date, h)
			}
		}
	}
	if counts[signals.Leadership] < 20 || counts[signals.Lagging] < 20 {
		t.Fatalf("regime days %v: want at least 20 of leadership (the episode) and of lagging", counts)
	}
	// The episode's leadership is where the strategy leans in: more
	// exposure per dollar than on any neutral day.
	var lead, neutral float64
	for _, d := range strat.Days {
		e, _ := d.Exposure.Div(d.NLV).Float64()
		switch d.Regime {
		case signals.Leadership:
			lead = max(lead, e)
		case signals.Neutral:
			neutral = max(neutral, e)
		}
	}
	if lead <= neutral {
		t.Errorf("highest leverage in leadership %.3f, in neutral %.3f: want more in leadership", lead, neutral)
	}
	if s := strat.Stats; s.Trades == 0 || s.CAGR == 0 || s.Volatility == 0 {
		t.Errorf("stats %+v: want trades, a return and a volatility", s)
	}
	hold := mustBook(t, r, BookBuyAndHold)
	for _, d := range hold.Days {
		// A trip blocks orders that add risk, the open leg of a roll too
		// (2022-06-10 here), until the next day's reset.
		if !d.Exposure.IsPositive() && !d.KillSwitch {
			t.Errorf("buy-and-hold on %s: exposure %s, want long every day the kill switch is not tripped", d.Date, d.Exposure)
		}
	}
}

// TestCommissionsAreTheEngines checks the books' commissions against the
// paper broker's own executions.
func TestCommissionsAreTheEngines(t *testing.T) {
	cfg := episodeConfig(t)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	data, _ := normaliseData(cfg.Data)
	tr, err := replaySignal(data, cfg.Signals, cfg.From, cfg.To, cfg.Warmup)
	if err != nil {
		t.Fatal(err)
	}
	mkt, err := newMarket(data, tr.days, cfg.Sleeve.OwnedRoots())
	if err != nil {
		t.Fatal(err)
	}
	books, err := replay(&cfg, data, tr, mkt, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range books {
		res := b.result()
		engine, fills := decimal.Zero, decimal.Zero
		execs := b.eng.Executions()
		for _, x := range execs {
			engine = engine.Add(x.Commission)
		}
		for _, f := range res.Fills {
			fills = fills.Add(f.Commission)
		}
		if !res.Stats.Commissions.IsPositive() {
			t.Errorf("%s: commissions %s, want more than 0", b.name, res.Stats.Commissions)
		}
		if !res.Stats.Commissions.Equal(engine) || !fills.Equal(engine) {
			t.Errorf("%s: commissions %s (stats), %s (fills), engine's %s", b.name, res.Stats.Commissions, fills, engine)
		}
		if got, want := res.Stats.Trades, len(execs); got != want {
			t.Errorf("%s: %d trades, engine has %d executions", b.name, got, want)
		}
		if got, want := res.Days[len(res.Days)-1].NLV, b.eng.Account().NetLiquidation.Round(2); !got.Equal(want) {
			t.Errorf("%s: last NLV %s, engine's %s", b.name, got, want)
		}
	}
}

// TestRolls checks, on the always-long buy-and-hold book, that every
// quarterly expiry is rolled (a close and an open sharing a roll id, into
// a later contract) and that no contract is ever held in its roll window.
// The loss limits are relaxed so that no kill switch trip blocks the open
// leg of a roll.
func TestRolls(t *testing.T) {
	cfg := episodeConfig(t)
	cfg.Limits.MaxDrawdown = decimal.RequireFromString("0.5")
	cfg.Limits.DailyLossFraction = decimal.RequireFromString("0.2")
	r := mustRun(t, cfg)
	for _, b := range r.Books {
		for _, d := range b.Days {
			asOf := DecisionTime(day(d.Date))
			for _, h := range d.Positions {
				c := broker.Contract{Symbol: h.Root, LocalSymbol: h.Contract, Expiry: day(h.Expiry)}
				if portfolio.InRollWindow(c, asOf, cfg.Sleeve.RollDays) {
					t.Errorf("%s on %s: holds %s (last trade %s) inside its %d-day roll window", b.Name, d.Date, h.Contract, h.Expiry, cfg.Sleeve.RollDays)
				}
			}
		}
	}
	hold := mustBook(t, r, BookBuyAndHold)
	type leg struct{ closes, opens []string }
	rolls := map[string]*leg{}
	var order []string
	for _, f := range hold.Fills {
		if f.RollID == "" {
			continue
		}
		l := rolls[f.RollID]
		if l == nil {
			l = &leg{}
			rolls[f.RollID] = l
			order = append(order, f.Date+" "+f.RollID)
		}
		if f.Leg == string(portfolio.LegClose) {
			l.closes = append(l.closes, f.Contract)
		} else {
			l.opens = append(l.opens, f.Contract)
		}
	}
	// 2021-03-01..2022-06-30 crosses the March, June, September and
	// December 2021 and March and June 2022 expiries.
	days := map[string]bool{}
	for _, o := range order {
		days[o[:10]] = true
	}
	if len(days) != 6 {
		t.Errorf("roll days %v: want 6 (one per quarterly expiry)", order)
	}
	for id, l := range rolls {
		if len(l.closes) == 0 || len(l.opens) == 0 {
			t.Errorf("roll %s: closes %v, opens %v: want both legs", id, l.closes, l.opens)
		}
	}
	// The day after each roll the book holds only the next contract.
	for _, d := range hold.Days {
		roots := map[string]int{}
		for _, h := range d.Positions {
			roots[h.Root]++
		}
		for root, n := range roots {
			if n > 1 {
				t.Errorf("%s: %d contracts of %s held at once", d.Date, n, root)
			}
		}
	}
}

// TestFillsAtTheCloseMark pins the clock semantics: a day's market orders
// fill at that day's close of the tracked index, on tick, plus the
// slippage ticks against the order.
func TestFillsAtTheCloseMark(t *testing.T) {
	cfg := episodeConfig(t)
	cfg.SlippageTicks = 3
	r := mustRun(t, cfg)
	rut := cfg.Data["RUT"]
	hold := mustBook(t, r, BookBuyAndHold)
	if len(hold.Fills) == 0 || hold.Fills[0].Date != r.From {
		t.Fatalf("buy-and-hold's first fill %+v: want one on the first day %s", hold.Fills, r.From)
	}
	for _, f := range hold.Fills {
		bar, ok := rut.At(day(f.Date))
		if !ok {
			t.Fatalf("no RUT bar on %s", f.Date)
		}
		tick := decimal.RequireFromString("0.1")
		slip := tick.Mul(decimal.NewFromInt(3))
		want := onTick(bar.Close, tick)
		if f.Side == "BOT" {
			want = want.Add(slip)
		} else {
			want = want.Sub(slip)
		}
		if !f.Price.Equal(want) {
			t.Fatalf("%s %s %d %s at %s: want %s (close %g on tick, 3 ticks against)", f.Date, f.Side, f.Quantity, f.Contract, f.Price, want, bar.Close)
		}
	}
	if got, want := DecisionTime(day("2021-03-01")).Format(time.RFC3339), "2021-03-01T16:15:00-05:00"; got != want {
		t.Errorf("DecisionTime=%s, want %s", got, want)
	}
}

// TestThresholdsRederiveTheRegime checks that the regime a sweep derives
// for other thresholds is the one signals.Replay computes with them.
func TestThresholdsRederiveTheRegime(t *testing.T) {
	cfg := episodeConfig(t)
	data, _ := normaliseData(cfg.Data)
	base, err := replaySignal(data, cfg.Signals, cfg.From, cfg.To, cfg.Warmup)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []signals.RegimeConfig{
		cfg.Signals.Regime,
		{EnterLeadership: 0.6, ExitLeadership: 0.45, EnterLagging: 0.3, ExitLagging: 0.4, MinDays: 2},
		{EnterLeadership: 0.9, ExitLeadership: 0.7, EnterLagging: 0.2, ExitLagging: 0.35, MinDays: 3},
	} {
		sig := cfg.Signals
		sig.Regime = g
		want, err := replaySignal(data, sig, cfg.From, cfg.To, cfg.Warmup)
		if err != nil {
			t.Fatal(err)
		}
		got := base.withThresholds(g)
		if len(got.events) != len(want.events) {
			t.Fatalf("%+v: %d events, want %d", g, len(got.events), len(want.events))
		}
		for i := range want.events {
			w, e := want.events[i], got.events[i]
			if e.AsOf != w.AsOf || e.Regime != w.Regime || e.PreviousRegime != w.PreviousRegime ||
				e.RegimeChanged != w.RegimeChanged || e.Hysteresis != w.Hysteresis {
				t.Fatalf("%+v on %s: regime %s/%s/%v %+v, want %s/%s/%v %+v", g, w.AsOf, e.Regime, e.PreviousRegime, e.RegimeChanged,
					e.Hysteresis, w.Regime, w.PreviousRegime, w.RegimeChanged, w.Hysteresis)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cfg := episodeConfig(t)
	noRUT := DefaultConfig()
	noRUT.From, noRUT.To = cfg.From, cfg.To
	noRUT.Data = map[string]marketdata.Series{}
	for k, s := range cfg.Data {
		if k != "RUT" {
			noRUT.Data[k] = s
		}
	}
	if _, err := Run(noRUT); err == nil || !bytes.Contains([]byte(err.Error()), []byte("RUT")) {
		t.Errorf("without RUT: %v, want an error naming RUT", err)
	}
	caret := DefaultConfig()
	caret.From, caret.To = cfg.From, cfg.To
	caret.Data = map[string]marketdata.Series{}
	for k, s := range cfg.Data {
		if k == "RUT" {
			k = "^RUT"
		}
		caret.Data[k] = s
	}
	a, err := Run(caret)
	if err != nil {
		t.Fatalf("with ^RUT: %v", err)
	}
	b := mustRun(t, cfg)
	if ja, jb := mustJSON(t, a), mustJSON(t, b); !bytes.Equal(ja, jb) {
		t.Error("^RUT and RUT gave different results")
	}
	bad := cfg
	bad.To = day("2020-01-01")
	if _, err := Run(bad); err == nil {
		t.Error("to before from: no error")
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
