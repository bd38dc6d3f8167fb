package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals/worker"
)

// fileConfig is rotor's configuration file (YAML). Every key is optional;
// flags override the file and ROTOR_* environment variables override the
// file too (flags win over both). Keys are documented in configTemplate.
type fileConfig struct {
	DataDir     string                 `yaml:"data_dir" json:"data_dir"`
	Audit       string                 `yaml:"audit" json:"audit"`
	Account     string                 `yaml:"account" json:"account"`
	Mode        string                 `yaml:"mode" json:"mode"`
	MetricsAddr string                 `yaml:"metrics_addr" json:"metrics_addr"`
	IB          ibConfig               `yaml:"ib" json:"ib"`
	NATS        natsConfig             `yaml:"nats" json:"nats"`
	Worker      workerConfig           `yaml:"worker" json:"worker"`
	Trust       []string               `yaml:"trust" json:"trust"`
	Sleeve      portfolio.SleeveConfig `yaml:"sleeve" json:"sleeve"`
	Risk        riskConfig             `yaml:"risk" json:"risk"`
	// InitialMargin is the initial margin of one contract, by futures
	// root, for risk's projected margin.
	InitialMargin map[string]decimal.Decimal `yaml:"initial_margin" json:"initial_margin"`
}

type ibConfig struct {
	Addr     string `yaml:"addr" json:"addr"`
	ClientID int64  `yaml:"client_id" json:"client_id"`
	// AccountMaxAge is ib.Config.AccountMaxAge and QuoteMaxAge
	// service.Config.QuoteMaxAge: how old account values and daily bars
	// read from IB may be for a decision to use them.
	AccountMaxAge time.Duration `yaml:"account_max_age" json:"account_max_age"`
	QuoteMaxAge   time.Duration `yaml:"quote_max_age" json:"quote_max_age"`
}

type natsConfig struct {
	URL      string `yaml:"url" json:"url"`
	Creds    string `yaml:"creds" json:"creds"`
	NKey     string `yaml:"nkey" json:"nkey"`
	CA       string `yaml:"ca" json:"ca"`
	Cert     string `yaml:"cert" json:"cert"`
	Key      string `yaml:"key" json:"key"`
	User     string `yaml:"user" json:"user"`
	Password string `yaml:"password" json:"password"`
	Token    string `yaml:"token" json:"token"`
}

type workerConfig struct {
	Data       string        `yaml:"data" json:"data"`
	Key        string        `yaml:"key" json:"key"`
	Delay      time.Duration `yaml:"delay" json:"delay"`
	RetryEvery time.Duration `yaml:"retry_every" json:"retry_every"`
	MaxCatchUp int           `yaml:"max_catch_up" json:"max_catch_up"`
}

// riskConfig is risk.Limits with the file's key names.
type riskConfig struct {
	MaxGrossLeverage   decimal.Decimal            `yaml:"max_gross_leverage" json:"max_gross_leverage"`
	MaxNetLeverage     decimal.Decimal            `yaml:"max_net_leverage" json:"max_net_leverage"`
	Instrument         instrumentLimit            `yaml:"instrument" json:"instrument"`
	Overrides          map[string]instrumentLimit `yaml:"instrument_overrides" json:"instrument_overrides"`
	MaxOrderContracts  int64                      `yaml:"max_order_contracts" json:"max_order_contracts"`
	MaxOrderNotional   decimal.Decimal            `yaml:"max_order_notional" json:"max_order_notional"`
	MaxMarginUse       decimal.Decimal            `yaml:"max_margin_use" json:"max_margin_use"`
	LimitCollar        decimal.Decimal            `yaml:"limit_collar" json:"limit_collar"`
	MaxEventAge        time.Duration              `yaml:"max_event_age" json:"max_event_age"`
	MaxPriceAge        time.Duration              `yaml:"max_price_age" json:"max_price_age"`
	MaxOrdersPerMinute int                        `yaml:"max_orders_per_minute" json:"max_orders_per_minute"`
	DailyLossFraction  decimal.Decimal            `yaml:"daily_loss_fraction" json:"daily_loss_fraction"`
	DailyLossAmount    decimal.Decimal            `yaml:"daily_loss_amount" json:"daily_loss_amount"`
	MaxDrawdown        decimal.Decimal            `yaml:"max_drawdown" json:"max_drawdown"`
}

type instrumentLimit struct {
	MaxContracts int64           `yaml:"max_contracts" json:"max_contracts"`
	MaxNotional  decimal.Decimal `yaml:"max_notional" json:"max_notional"`
}

// defaultFileConfig is the configuration with nothing set: the same values
// the flags default to.
func defaultFileConfig() fileConfig {
	l := risk.DefaultLimits()
	return fileConfig{
		DataDir: "rotor-data", Mode: "dry_run", Trust: []string{},
		IB: ibConfig{Addr: "127.0.0.1:7497", ClientID: 11,
			AccountMaxAge: ib.DefaultAccountMaxAge, QuoteMaxAge: service.DefaultQuoteMaxAge},
		Worker:        workerConfig{Delay: worker.DefaultDelay, RetryEvery: worker.DefaultRetryEvery, MaxCatchUp: worker.DefaultMaxCatchUp},
		Sleeve:        portfolio.DefaultSleeve(),
		InitialMargin: service.DefaultInitialMargin(),
		Risk: riskConfig{MaxGrossLeverage: l.MaxGrossLeverage, MaxNetLeverage: l.MaxNetLeverage,
			Instrument:        instrumentLimit{l.Instrument.MaxContracts, l.Instrument.MaxNotional},
			MaxOrderContracts: l.MaxOrderContracts, MaxOrderNotional: l.MaxOrderNotional, MaxMarginUse: l.MaxMarginUse,
			LimitCollar: l.LimitCollar, MaxEventAge: l.MaxEventAge, MaxPriceAge: l.MaxPriceAge,
			MaxOrdersPerMinute: l.MaxOrdersPerMinute, DailyLossFraction: l.DailyLossFraction,
			DailyLossAmount: l.DailyLossAmount, MaxDrawdown: l.MaxDrawdown, Overrides: map[string]instrumentLimit{}},
	}
}

// limits converts the file's risk section.
func (r riskConfig) limits() risk.Limits {
	l := risk.Limits{MaxGrossLeverage: r.MaxGrossLeverage, MaxNetLeverage: r.MaxNetLeverage,
		Instrument:        risk.InstrumentLimit{MaxContracts: r.Instrument.MaxContracts, MaxNotional: r.Instrument.MaxNotional},
		MaxOrderContracts: r.MaxOrderContracts, MaxOrderNotional: r.MaxOrderNotional, MaxMarginUse: r.MaxMarginUse,
		LimitCollar: r.LimitCollar, MaxEventAge: r.MaxEventAge, MaxPriceAge: r.MaxPriceAge,
		MaxOrdersPerMinute: r.MaxOrdersPerMinute, DailyLossFraction: r.DailyLossFraction,
		DailyLossAmount: r.DailyLossAmount, MaxDrawdown: r.MaxDrawdown}
	if len(r.Overrides) > 0 {
		l.InstrumentOverrides = map[string]risk.InstrumentLimit{}
		for root, o := range r.Overrides {
			l.InstrumentOverrides[root] = risk.InstrumentLimit{MaxContracts: o.MaxContracts, MaxNotional: o.MaxNotional}
		}
	}
	return l
}

// loadConfig reads path over the defaults, strictly: an unknown key is an
// error naming it and its line. Then it applies ROTOR_* variables, and
// validates the result. An empty path gives the defaults plus environment.
func loadConfig(path string) (fileConfig, error) {
	c := defaultFileConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("--config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file is all defaults
			return c, fmt.Errorf("%s: %w (see 'rotor config init' for every key)", path, err)
		}
	}
	if err := c.applyEnv(os.LookupEnv); err != nil {
		return c, err
	}
	return c, c.validate()
}

// validate checks every value, naming the key and what is allowed.
func (c fileConfig) validate() error {
	var errs []error
	if c.Mode != "dry_run" && c.Mode != "paper" {
		errs = append(errs, fmt.Errorf("mode: %q, want dry_run or paper", c.Mode))
	}
	if c.IB.ClientID < 0 {
		errs = append(errs, fmt.Errorf("ib.client_id: %d, want 0 or more", c.IB.ClientID))
	}
	if c.IB.AccountMaxAge <= 0 {
		errs = append(errs, fmt.Errorf("ib.account_max_age: %s, want more than 0 (e.g. 10s)", c.IB.AccountMaxAge))
	}
	if c.IB.QuoteMaxAge <= 0 || c.IB.QuoteMaxAge >= c.Risk.MaxPriceAge {
		errs = append(errs, fmt.Errorf("ib.quote_max_age: %s, want more than 0 and less than risk.max_price_age (%s), or every price is stale", c.IB.QuoteMaxAge, c.Risk.MaxPriceAge))
	}
	if c.Worker.Delay <= 0 {
		errs = append(errs, fmt.Errorf("worker.delay: %s, want more than 0 (e.g. 30m)", c.Worker.Delay))
	}
	if c.Worker.RetryEvery <= 0 {
		errs = append(errs, fmt.Errorf("worker.retry_every: %s, want more than 0 (e.g. 5m)", c.Worker.RetryEvery))
	}
	if c.Worker.MaxCatchUp < 1 {
		errs = append(errs, fmt.Errorf("worker.max_catch_up: %d, want at least 1", c.Worker.MaxCatchUp))
	}
	if err := c.Sleeve.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("sleeve: %w", err))
	}
	if err := c.Risk.limits().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("risk: %w", err))
	}
	for root, m := range c.InitialMargin {
		if _, err := broker.LookupInstrument(root); err != nil {
			errs = append(errs, fmt.Errorf("initial_margin.%s: not a futures root rotor trades (want one of %s)", root, strings.Join(broker.InstrumentRoots(), ", ")))
		} else if !m.IsPositive() {
			errs = append(errs, fmt.Errorf("initial_margin.%s: %s, want more than 0 (USD per contract)", root, m))
		}
	}
	return errors.Join(errs...)
}

// envKeys are the keys ROTOR_* variables may set: ROTOR_ plus the key in
// upper case with dots as underscores (ROTOR_IB_ADDR, ROTOR_NATS_PASSWORD).
// trust takes a comma-separated list.
var envKeys = []string{"data_dir", "audit", "account", "mode", "metrics_addr", "ib.addr", "ib.client_id", "ib.account_max_age", "ib.quote_max_age",
	"nats.url", "nats.creds", "nats.nkey", "nats.ca", "nats.cert", "nats.key", "nats.user", "nats.password", "nats.token",
	"worker.data", "worker.key", "worker.delay", "worker.retry_every", "worker.max_catch_up", "trust"}

func envName(key string) string {
	return "ROTOR_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// applyEnv sets the keys whose ROTOR_* variable is set.
func (c *fileConfig) applyEnv(lookup func(string) (string, bool)) error {
	for _, key := range envKeys {
		v, ok := lookup(envName(key))
		if !ok {
			continue
		}
		if err := c.set(key, v); err != nil {
			return fmt.Errorf("%s: %w", envName(key), err)
		}
	}
	return nil
}

// set sets one of envKeys from text.
func (c *fileConfig) set(key, v string) error {
	f := c.field(key)
	switch p := f.Addr().Interface().(type) {
	case *string:
		*p = v
	case *[]string:
		*p = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*p = append(*p, s)
			}
		}
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 30m, 1h)", v)
		}
		*p = d
	case *int, *int64:
		var n int64
		if _, err := fmt.Sscan(v, &n); err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// field finds a key ("ib.addr") by the yaml tags.
func (c *fileConfig) field(key string) reflect.Value {
	v := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(key, ".") {
		t := v.Type()
		for i := range t.NumField() {
			if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == part {
				v = v.Field(i)
				break
			}
		}
	}
	return v
}

// flagKeys maps flags to the configuration keys that give their default,
// for the commands that have them. --ib means the service's TWS only in
// the commands that run the service; in signals and signal-worker it names
// a history source and is not taken from the file.
var flagKeys = map[string]string{
	"data-dir": "data_dir", "audit": "audit", "account": "account", "mode": "mode", "metrics-addr": "metrics_addr",
	"nats-url": "nats.url", "nats-creds": "nats.creds", "nats-nkey": "nats.nkey", "nats-ca": "nats.ca",
	"nats-cert": "nats.cert", "nats-key": "nats.key", "data": "worker.data", "key": "worker.key",
	"delay": "worker.delay", "retry-every": "worker.retry_every", "max-catch-up": "worker.max_catch_up", "trust": "trust",
}

// commandFlagKeys are mapped only in the commands named: --ib is TWS for
// the commands that talk to it as the portfolio service does, and
// ib.client_id is the service's own client id (plan connects beside a
// running service with another one).
var commandFlagKeys = map[string]map[string]string{
	"portfolio": {"ib": "ib.addr", "client-id": "ib.client_id"},
	"up":        {"ib": "ib.addr", "client-id": "ib.client_id"},
	"plan":      {"ib": "ib.addr"},
}

// unconfigured are the commands the file does not reach: the demo runs on
// its own embedded defaults, and the paper broker's flags describe the
// simulated account, not rotor's.
var unconfigured = map[string]bool{"demo": true, "ibsim": true}

// flagKey returns the configuration key of a command's flag.
func flagKey(command, flag string) (string, bool) {
	if unconfigured[command] {
		return "", false
	}
	if key, ok := commandFlagKeys[command][flag]; ok {
		return key, true
	}
	if flag == "ib" || flag == "client-id" {
		return "", false // a history source, or another client's id
	}
	key, ok := flagKeys[flag]
	return key, ok
}

// applyToFlags gives every flag of cmd that the user did not set the value
// of its key in c, when the file or the environment set it (a flag's own
// default otherwise stays). Returns the flags it set, sorted.
func (c *fileConfig) applyToFlags(cmd *cobra.Command, set map[string]bool) ([]string, error) {
	var applied []string
	var errs []error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		key, ok := flagKey(cmd.Name(), fl.Name)
		if !ok || fl.Changed || !set[key] {
			return
		}
		v := c.field(key)
		var text []string
		switch x := v.Interface().(type) {
		case []string:
			text = x
		case time.Duration:
			text = []string{x.String()}
		default:
			text = []string{fmt.Sprint(x)}
		}
		for _, t := range text {
			if err := fl.Value.Set(t); err != nil {
				errs = append(errs, fmt.Errorf("configuration key %s = %q for --%s: %w", key, t, fl.Name, err))
			}
		}
		applied = append(applied, fl.Name)
	})
	sort.Strings(applied)
	return applied, errors.Join(errs...)
}

// setKeys reports which keys the file or the environment set: the keys
// present in the YAML document, and the set ROTOR_* variables.
func setKeys(path string, lookup func(string) (string, bool)) (map[string]bool, error) {
	set := map[string]bool{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		var walk func(prefix string, m map[string]any)
		walk = func(prefix string, m map[string]any) {
			for k, v := range m {
				set[prefix+k] = true
				if sub, ok := v.(map[string]any); ok {
					walk(prefix+k+".", sub)
				}
			}
		}
		walk("", doc)
	}
	for _, key := range envKeys {
		if _, ok := lookup(envName(key)); ok {
			set[key] = true
		}
	}
	return set, nil
}

// serviceBase is the portfolio service's configuration from the file: the
// sleeve, the risk limits and how old a price may be (the flags give the
// rest).
func (g *globalFlags) serviceBase() service.Config {
	return service.Config{Sleeve: g.cfg.Sleeve, Limits: g.cfg.Risk.limits(), InitialMargin: g.cfg.InitialMargin,
		QuoteMaxAge: g.cfg.IB.QuoteMaxAge}
}

// masked is c with its secrets replaced, for printing.
func (c fileConfig) masked() fileConfig {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "********"
	}
	c.NATS.Password, c.NATS.Token = mask(c.NATS.Password), mask(c.NATS.Token)
	return c
}
