package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/rotor-trading/rotor/signals/worker"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

type signalsFlags struct {
	src                    barSource
	asOf, dataDir, keyFile string
	warmup                 int
	json, publish          bool
	nats                   natsFlags
}

// barSource says where the bars come from: a directory of CSV files or a
// broker.
type barSource struct {
	data, ibAddr string
	clientID     int64
}

func (b *barSource) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&b.data, "data", "", "directory of daily-bar CSV files, one per symbol")
	fl.StringVar(&b.ibAddr, "ib", "", "read the bars from TWS, IB Gateway or the paper broker at HOST:PORT instead")
	fl.Int64Var(&b.clientID, "client-id", 21, "TWS API client id for --ib")
}

func (b barSource) check() error {
	if (b.data == "") == (b.ibAddr == "") {
		return errors.New("give exactly one source of bars: --data DIR or --ib HOST:PORT")
	}
	return nil
}

// signalsSubject is where a day's event goes: the signal worker's daily subject.
const signalsSubject = worker.DailySubject

func newSignalsCmd(g *globalFlags) *cobra.Command {
	var f signalsFlags
	cmd := &cobra.Command{
		Use:   "signals",
		Short: "Compute the small-cap leadership signal for a day; print it, or publish it to NATS",
		Long: `signals computes the leadership event for one trading day: the 63-day return of the
small-cap proxy (IWM) against each of the eleven S&P 500 Select Sector funds, the
micro-cap (IWC) thrust off its trailing low, the benchmark against its 2021-2022
resistance zone, and the regime (leadership, neutral, lagging) with hysteresis,
carried over a warm-up replay of the days before.

Bars come from a directory of CSV files (--data, one file per symbol: IWM.csv,
XLK.csv, ...) or from TWS / IB Gateway or the paper broker (--ib HOST:PORT).

By default it prints a short summary; --json prints the event itself (the exact
JSON a worker publishes). Nothing is published unless --publish is given: then the
event is signed with the worker's nkey (--key) and published to the JetStream
stream ROTOR_SIGNALS on rotor.signals.leadership, with its id as the message id so
that a retry or a second worker cannot double it.

Examples:
  rotor signals --data ./marketdata --asof 2026-06-30
  rotor signals --data ./marketdata --asof 2026-06-30 --json
  rotor signals --ib 127.0.0.1:7497 --publish --nats-url nats://127.0.0.1:4222`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runSignals(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), log, f)
		},
	}
	f.src.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.asOf, "asof", "", "the day to compute (YYYY-MM-DD); the benchmark's last bar when empty")
	fl.IntVar(&f.warmup, "warmup", 252, "trading days replayed before --asof to carry the regime's hysteresis state")
	fl.BoolVar(&f.json, "json", false, "print the event as JSON")
	fl.BoolVar(&f.publish, "publish", false, "sign the event and publish it to NATS JetStream")
	fl.StringVar(&f.dataDir, "data-dir", "rotor-data", "rotor's data directory (embedded NATS store, the worker's key)")
	fl.StringVar(&f.keyFile, "key", "", "nkey seed file the worker signs with; default <data-dir>/signer.nk, created if missing")
	f.nats.register(cmd, g)
	return cmd
}

func runSignals(ctx context.Context, stdout, stderr io.Writer, log zerolog.Logger, f signalsFlags) error {
	cfg := signals.DefaultConfig()
	if err := f.src.check(); err != nil {
		return err
	}
	var asOf time.Time
	if f.asOf != "" {
		d, err := time.Parse(time.DateOnly, f.asOf)
		if err != nil {
			return fmt.Errorf("--asof %q: want YYYY-MM-DD", f.asOf)
		}
		asOf = d
	}
	if f.warmup < 0 {
		return fmt.Errorf("--warmup %d: want >= 0", f.warmup)
	}
	series, err := f.src.load(ctx, stderr, log, cfg, asOf, f.warmup)
	if err != nil {
		return err
	}
	bench, ok := series[cfg.Benchmark]
	if !ok || len(bench.Bars) == 0 {
		return fmt.Errorf("no bars for the benchmark %s", cfg.Benchmark)
	}
	if asOf.IsZero() {
		asOf = bench.Last().Date
	}
	from := warmupStart(bench, asOf, f.warmup)
	events, err := signals.Replay(series, cfg, from, asOf)
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return fmt.Errorf("no trading day to evaluate between %s and %s", from.Format(time.DateOnly), asOf.Format(time.DateOnly))
	}
	ev := events[len(events)-1]
	if f.publish || f.keyFile != "" {
		kp, pub, err := loadSigner(f.keyFile, f.dataDir, log)
		if err != nil {
			return err
		}
		if err := signals.Sign(&ev, kp); err != nil {
			return err
		}
		log.Debug().Str("signer", pub).Msg("event signed")
	}
	if f.json {
		data, err := signals.MarshalEvent(ev)
		if err != nil {
			return err
		}
		var pretty json.RawMessage = data
		out, _ := json.MarshalIndent(pretty, "", "  ")
		fmt.Fprintln(stdout, string(out))
	} else {
		printSummary(stdout, ev)
	}
	if !f.publish {
		return nil
	}
	return publishEvent(ctx, stderr, log, f, ev)
}

// warmupStart is the benchmark's trading day warmup days before asOf (its
// first day when the history is shorter).
func warmupStart(bench marketdata.Series, asOf time.Time, warmup int) time.Time {
	i := sort.Search(len(bench.Bars), func(i int) bool { return bench.Bars[i].Date.After(asOf) }) - 1
	return bench.Bars[max(0, i-warmup)].Date
}

// load reads the universe's bars from CSV files or a broker: from a broker,
// enough daily history for warmup trading days before asOf (zero: now).
func (f barSource) load(ctx context.Context, stderr io.Writer, log zerolog.Logger, cfg signals.Config, asOf time.Time, warmup int) (map[string]marketdata.Series, error) {
	if f.data != "" {
		series, err := marketdata.ReadDir(f.data)
		if err != nil {
			return nil, fmt.Errorf("--data %s: %w", f.data, err)
		}
		return series, nil
	}
	client := ib.New(ib.Config{Addr: f.ibAddr, ClientID: f.clientID, Logger: log})
	if err := client.Open(ctx); err != nil {
		return nil, fmt.Errorf("--ib %s: %w", f.ibAddr, err)
	}
	defer client.Close()
	go func() {
		for range client.Events() { // the history reader needs no events
		}
	}()
	end := asOf
	if end.IsZero() {
		end = time.Now()
	} else {
		end = end.Add(24*time.Hour - time.Second)
	}
	symbols := append([]string{cfg.Benchmark, cfg.Microcap}, cfg.Sectors...)
	days := historyDays(cfg, end, warmup)
	return marketdata.Options{}.ReadBroker(ctx, client, symbols, end, days, func(done, total int, sym string) {
		fmt.Fprintf(stderr, "\rreading history from %s: %d/%d %-5s", f.ibAddr, done, total, sym)
		if done == total {
			fmt.Fprintln(stderr)
		}
	})
}

// historyDays is how many daily bars to ask a broker for so that the
// first of warmup trading days before end can be evaluated: the
// benchmark's history (MinHistory), the micro-cap's low window, and a fixed
// resistance window reaching back to its start date, plus a few days of
// slack for holidays the calendars disagree on.
func historyDays(cfg signals.Config, end time.Time, warmup int) int {
	days := max(cfg.MinHistory(), cfg.MicrocapLowWindow) + warmup
	if cfg.Resistance.Mode == signals.ResistanceDates {
		if from, err := time.Parse(time.DateOnly, cfg.Resistance.From); err == nil {
			days = max(days, len(marketdata.TradingDays(from, end)))
		}
	}
	return days + 5
}

// loadSigner reads the worker's nkey seed, creating one (mode 0600) on
// first use so that a one-machine setup needs no key ceremony.
func loadSigner(keyFile, dataDir string, log zerolog.Logger) (nkeys.KeyPair, string, error) {
	path := keyFile
	if path == "" {
		path = filepath.Join(dataDir, "signer.nk")
	}
	seed, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && keyFile == "" {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return nil, "", fmt.Errorf("create the worker's signing key: %w", err)
		}
		seed, _ = kp.Seed()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", fmt.Errorf("create %s: %w", filepath.Dir(path), err)
		}
		if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
			return nil, "", fmt.Errorf("write the worker's signing key: %w", err)
		}
		pub, _ := kp.PublicKey()
		log.Warn().Str("key_file", path).Str("public_key", pub).Msg("created a new signing key; trust this public key in the portfolio service")
	} else if err != nil {
		return nil, "", fmt.Errorf("--key %s: %w", path, err)
	}
	return parseSigner(path, seed)
}

// parseSigner reads a worker's user nkey seed (the contents of path).
func parseSigner(path string, seed []byte) (nkeys.KeyPair, string, error) {
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		return nil, "", fmt.Errorf("%s does not hold an nkey seed: %w", path, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, "", err
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		return nil, "", fmt.Errorf("%s holds a %c... key; the worker signs with a user nkey (seed SU...)", path, pub[0])
	}
	return kp, pub, nil
}

// publishEvent publishes ev to the signals stream and says what happened.
func publishEvent(ctx context.Context, stderr io.Writer, log zerolog.Logger, f signalsFlags, ev signals.Event) error {
	sess, err := openNATS(ctx, log, f.nats, f.dataDir, "rotor signals")
	if err != nil {
		return err
	}
	defer closeNATS(sess, log)
	data, err := signals.MarshalEvent(ev)
	if err != nil {
		return err
	}
	res, err := sess.pub.Publish(ctx, signalsSubject, ev.ID, data, map[string]string{"Rotor-Schema": ev.Schema, "Rotor-As-Of": ev.AsOf})
	if err != nil {
		return err
	}
	if res.Duplicate {
		fmt.Fprintf(stderr, "already published: %s is stream %s message %d (not stored again)\n", ev.ID, res.Stream, res.Sequence)
	} else {
		fmt.Fprintf(stderr, "published %s as stream %s message %d on %s\n", ev.ID, res.Stream, res.Sequence, res.Subject)
	}
	return nil
}

// printSummary writes the event for people: the spreads, the thrust, the
// resistance and the regime.
func printSummary(w io.Writer, ev signals.Event) {
	rs := ev.RelativeStrength
	fmt.Fprintf(w, "as of %s: %s vs %d sector funds over %d trading days (from %s)\n\n", ev.AsOf, rs.Benchmark, rs.SectorsTotal, rs.LookbackDays, rs.From)
	change := "unchanged"
	switch {
	case ev.PreviousRegime == "":
		change = "cold start"
	case ev.RegimeChanged:
		change = "was " + string(ev.PreviousRegime)
	}
	fmt.Fprintf(w, "  regime  %s (%s)   score %.2f\n", strings.ToUpper(string(ev.Regime)), change, ev.Score)
	fmt.Fprintf(w, "  %-6s  %+.1f%%\n\n", rs.Benchmark, rs.BenchmarkReturn*100)
	syms := make([]string, 0, len(rs.Sectors))
	for s := range rs.Sectors {
		syms = append(syms, s)
	}
	sort.Slice(syms, func(i, j int) bool { return rs.Sectors[syms[i]].Spread > rs.Sectors[syms[j]].Spread })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  SECTOR\tRETURN\tSPREAD\t\n")
	for _, s := range syms {
		sec := rs.Sectors[s]
		fmt.Fprintf(tw, "  %s\t%+.1f%%\t%+.1f%%\t%s\n", s, sec.Return*100, sec.Spread*100, spreadBar(sec.Spread))
	}
	tw.Flush()
	fmt.Fprintf(w, "  beaten %d of %d", rs.SectorsBeaten, rs.SectorsTotal)
	if len(rs.Missing) > 0 {
		fmt.Fprintf(w, " (no data: %s)", strings.Join(rs.Missing, ", "))
	}
	fmt.Fprintln(w)
	mc := ev.Microcap
	if mc.Missing {
		fmt.Fprintf(w, "\n  micro-cap   %s missing: %s\n", mc.Symbol, mc.Reason)
	} else {
		verdict := "no thrust"
		if mc.Thrust {
			verdict = "THRUST"
		}
		fmt.Fprintf(w, "\n  micro-cap   %s %.2f is %+.1f%% off its %d-day low of %.2f (%s): %s (threshold %.0f%%)\n",
			mc.Symbol, mc.Close, mc.PctOffLow*100, mc.WindowDays, mc.Low, mc.LowDate, verdict, mc.Threshold*100)
	}
	r := ev.Resistance
	fmt.Fprintf(w, "  resistance  %s %.2f vs zone %.2f-%.2f: %s (band %.0f%%)\n", rs.Benchmark, r.Close, r.ZoneLow, r.ZoneHigh, r.Status, r.Band*100)
	fmt.Fprintf(w, "\n  event %s  (--json for every number)\n", ev.ID)
}

// spreadBar draws a spread as a bar of up to 20 cells, one per percent.
func spreadBar(spread float64) string {
	n := int(math.Min(math.Abs(spread)*100, 20) + 0.5)
	if spread < 0 {
		return strings.Repeat("░", n)
	}
	return strings.Repeat("█", n)
}
