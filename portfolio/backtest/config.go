package backtest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// Defaults of DefaultConfig.
const (
	// DefaultStartingCash is the paper broker's default account size.
	DefaultStartingCash = 1_000_000
	// DefaultSlippageTicks is one tick through the mark on every fill.
	DefaultSlippageTicks = 1
	// DefaultWarmup is the signal's warm-up, as for `rotor signals`: a
	// year of trading days replayed before From so the regime's hysteresis
	// is settled on the first day traded.
	DefaultWarmup = 252
	// DefaultKillSwitchReset resets a tripped kill switch on the next
	// trading day, as an operator who reviews it the morning after would.
	DefaultKillSwitchReset = 1
	// DefaultAccount is the paper account the books trade in.
	DefaultAccount = "DU0000001"
)

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("backtest: invalid config")

// Config is one backtest: the history, the span, and the same signal,
// sleeve and risk settings the services run with.
type Config struct {
	// Data are the daily bars by symbol: the signal universe (IWM, IWC,
	// the eleven sector funds) and the series the paper broker marks
	// futures with: RUT for RTY and M2K, GSPC for ES and MES, the sector
	// funds for the E-mini Select Sector futures. Yahoo's caret is
	// optional: "^RUT" is read as "RUT" and "^GSPC" as "GSPC" (having both
	// is an error), as marketdata.ReadDir does for file names. The map and
	// its series are only read, so one map may serve many runs at once.
	Data map[string]marketdata.Series
	// From and To bound the trading days replayed, both included; only
	// their calendar dates count.
	From, To time.Time
	// Signals is the leadership signal's configuration.
	Signals signals.Config
	// Sleeve is the small-cap sleeve's sizing and trading.
	Sleeve portfolio.SleeveConfig
	// Limits are the risk limits every order is checked against.
	Limits risk.Limits
	// InitialMargin is risk's initial margin per contract by root; nil
	// means service.DefaultInitialMargin, as in the portfolio service.
	InitialMargin map[string]decimal.Decimal
	// StartingCash is each book's cash on the first day, USD.
	StartingCash decimal.Decimal
	// SlippageTicks is how many ticks through the mark market orders
	// fill (the paper broker's EngineConfig.SlippageTicks).
	SlippageTicks int64
	// Warmup is how many trading days of the signal are replayed before
	// From (fewer when the history does not go back that far) so that the
	// regime's hysteresis state is settled when trading starts. Nothing is
	// traded during the warm-up. 0 starts the signal cold on From.
	Warmup int
	// KillSwitchReset is how many trading days after a trip the backtest
	// resets the kill switch, as an operator would with `rotor risk reset`,
	// and restarts the high-water mark from net liquidation then (else the
	// drawdown rule would trip it again at once). 0 never resets it, which
	// is the service left alone: no order that adds risk after a trip.
	KillSwitchReset int
	// Account is the paper account id the books trade in.
	Account string
	// Progress, when not nil, is called after each trading day replayed
	// with the days done and the total, from the goroutine running Run.
	Progress func(done, total int)

	// exhaustive turns off the quiet-day shortcut (see book.decide), for
	// the test that holds the two paths equal.
	exhaustive bool
}

// DefaultConfig is a backtest with the services' defaults: the signal of
// DESIGN.md, portfolio.DefaultSleeve, risk.DefaultLimits, a million dollars,
// one tick of slippage, a year's warm-up and an operator who resets a
// tripped kill switch the next day. Data, From and To are left to the
// caller.
func DefaultConfig() Config {
	return Config{
		Signals: signals.DefaultConfig(), Sleeve: portfolio.DefaultSleeve(), Limits: risk.DefaultLimits(),
		StartingCash: decimal.NewFromInt(DefaultStartingCash), SlippageTicks: DefaultSlippageTicks,
		Warmup: DefaultWarmup, KillSwitchReset: DefaultKillSwitchReset, Account: DefaultAccount,
	}
}

// Validate reports every problem with the config, each naming the field;
// the errors wrap ErrConfig. It does not read the data beyond checking that
// the series the books need are there.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if c.From.IsZero() || c.To.IsZero() {
		bad("from and to are both needed")
	} else if dayOf(c.To).Before(dayOf(c.From)) {
		bad("to %s is before from %s", dayOf(c.To).Format(time.DateOnly), dayOf(c.From).Format(time.DateOnly))
	}
	if err := c.Signals.Validate(); err != nil {
		bad("signals: %v", err)
	}
	if err := c.Sleeve.Validate(); err != nil {
		bad("sleeve: %v", err)
	}
	if err := c.Limits.Validate(); err != nil {
		bad("limits: %v", err)
	}
	if !c.StartingCash.IsPositive() {
		bad("starting cash %s: want more than 0", c.StartingCash)
	}
	if c.SlippageTicks < 0 {
		bad("slippage ticks %d: want 0 or more", c.SlippageTicks)
	}
	if c.Warmup < 0 {
		bad("warmup %d: want 0 or more trading days", c.Warmup)
	}
	if c.KillSwitchReset < 0 {
		bad("kill switch reset %d: want 0 (never) or more trading days", c.KillSwitchReset)
	}
	if !broker.IsPaper(c.Account) {
		bad("account %q: want a paper (DU...) account id", c.Account)
	}
	if _, err := normaliseData(c.Data); err != nil {
		errs = append(errs, fmt.Errorf("%w: data: %v", ErrConfig, err))
	} else if err := c.checkSeries(); err != nil {
		errs = append(errs, fmt.Errorf("%w: data: %v", ErrConfig, err))
	}
	return errors.Join(errs...)
}

// checkSeries reports the series the paper broker needs to mark the
// sleeve's futures and does not have (the signal's own symbols are checked
// by signals.Align, which names them).
func (c Config) checkSeries() error {
	data, _ := normaliseData(c.Data)
	var missing []string
	for _, root := range c.Sleeve.OwnedRoots() {
		in, err := broker.LookupInstrument(root)
		if err != nil {
			return err
		}
		name := seriesName(in.Tracks)
		if _, ok := data[name]; !ok && !contains(missing, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("no series for %s, which the paper broker marks the sleeve's futures with (RUT.csv or ^RUT.csv for RTY and M2K, GSPC.csv or ^GSPC.csv for ES and MES, the sector funds for the sector futures)",
			strings.Join(missing, ", "))
	}
	return nil
}

// seriesName is the data's name of what a future tracks: the paper broker
// stores the S&P 500 index (SPX) as GSPC.
func seriesName(tracks string) string {
	if tracks == "SPX" {
		return "GSPC"
	}
	return tracks
}

// normaliseData returns data keyed without Yahoo's caret ("^RUT" as
// "RUT"), the way marketdata.ReadDir names index files, so the paper
// broker finds the index its futures track. The series are shared, not
// copied.
func normaliseData(data map[string]marketdata.Series) (map[string]marketdata.Series, error) {
	if len(data) == 0 {
		return nil, errors.New("no series")
	}
	out := make(map[string]marketdata.Series, len(data))
	var dups []string
	for k, s := range data {
		name := strings.TrimPrefix(k, "^")
		if _, dup := out[name]; dup {
			dups = append(dups, name)
		}
		s.Symbol = name
		out[name] = s
	}
	if len(dups) > 0 {
		sort.Strings(dups)
		return nil, fmt.Errorf("%s given both with and without a caret (^)", strings.Join(dups, ", "))
	}
	return out, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// initialMargin is the config's margin table, or the service's default.
func (c Config) initialMargin() map[string]decimal.Decimal {
	if c.InitialMargin != nil {
		return c.InitialMargin
	}
	return service.DefaultInitialMargin()
}

// dayOf is t's calendar date at midnight UTC.
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
