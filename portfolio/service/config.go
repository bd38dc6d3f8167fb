package service

import (
	"errors"
	"fmt"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/portfolio"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals/jetstream"
)

// Mode says whether the service routes orders.
type Mode string

// The modes.
const (
	// DryRun decides and records everything up to the risk decision and
	// routes nothing.
	DryRun Mode = "dry_run"
	// Paper routes the approved orders to the broker's paper account.
	Paper Mode = "paper"
)

// Defaults of Config.
const (
	DefaultSubject       = "leadership"
	DefaultAckWait       = 30 * time.Second
	DefaultResumeWindow  = 10 * time.Minute
	DefaultMonitorEvery  = 30 * time.Second
	DefaultRetryDelay    = 5 * time.Second
	DefaultMaxAttempts   = 20
	DefaultBrokerTimeout = 20 * time.Second
	DefaultQuoteMaxAge   = 2 * time.Minute
)

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("service: invalid config")

// Config is everything a Service needs. Broker, Log and Account are
// required, and JetStream unless the service is only used for Decide.
type Config struct {
	// Account is the broker account the service trades, a paper (DU…)
	// account in Paper mode.
	Account string
	Mode    Mode

	Broker broker.Broker
	Log    *audit.Log

	// JetStream, Stream and Subject locate the events: the stream's
	// subject prefix (jetstream.DefaultSubjectPrefix) plus Subject.
	JetStream     natsjs.JetStream
	Stream        string
	SubjectPrefix string
	Subject       string
	// Durable is the consumer's name, default rotor-portfolio-<account>.
	Durable string
	// AckWait is how long JetStream waits for an acknowledgement before
	// redelivering; the service reports progress on long work.
	AckWait time.Duration

	Admit  admit.Policy
	Sleeve portfolio.SleeveConfig
	Limits risk.Limits
	// InitialMargin is the initial margin per contract by root, for risk's
	// projected margin (default DefaultInitialMargin).
	InitialMargin map[string]decimal.Decimal

	// ResumeWindow is how long after its intent an order interrupted by a
	// crash may still be sent when its event is redelivered.
	ResumeWindow time.Duration
	// MonitorEvery is how often the loss limits are checked between events
	// (0 = DefaultMonitorEvery; negative turns the monitor off).
	MonitorEvery time.Duration
	// RetryDelay is how long a message whose handling failed for a
	// transient reason (broker down) waits before it is redelivered, and
	// MaxAttempts how many deliveries it gets before it is given up
	// (recorded and terminated).
	RetryDelay  time.Duration
	MaxAttempts int
	// BrokerTimeout bounds each broker call.
	BrokerTimeout time.Duration
	// QuoteMaxAge is how old a daily-bar read kept by the quote refresher
	// may be for a decision to use it instead of reading the bars itself
	// (0 = DefaultQuoteMaxAge; negative: every decision reads its bars and
	// nothing refreshes them in the background). The refresher re-reads
	// them every QuoteMaxAge/2, or less often when the owned roots' history
	// requests would otherwise take more than half of IB's historical-data
	// pacing (60 requests in ten minutes).
	QuoteMaxAge time.Duration

	Now    func() time.Time
	Logger zerolog.Logger
	// Metrics, when set, receives the service's Prometheus metrics.
	Metrics *Metrics
	// Step, when set, is called at each step of an event's handling (see
	// Step), from the consumer's goroutine, the broker-event recorder's
	// (StepFilled) and Preview's caller's (StepDecided). Tests use it to crash the process at a precise point and
	// benchmarks to time the stages.
	Step func(Step)
}

// Step names a point in the handling of one event.
type Step string

// The steps, in the order an event goes through them.
const (
	StepArrived   Step = "arrived"    // JetStream delivered a message
	StepAdmitted  Step = "admitted"   // the message is a valid, trusted, fresh event
	StepReceived  Step = "received"   // taken up for deciding (whether it was handled before is asked as the decision is written); nothing recorded
	StepDecided   Step = "decided"    // targets, plan and risk decided (again, when the log's state moved before the write); nothing recorded
	StepRecorded  Step = "recorded"   // the write-ahead batch is committed
	StepSent      Step = "sent"       // one order was placed (called per order)
	StepSentSaved Step = "sent_saved" // the order_sent rows are committed
	StepAcked     Step = "acked"      // the message was acknowledged
	// StepFilled is called by the broker-event recorder each time an
	// execution's row is committed (after StepSent, possibly after
	// StepAcked).
	StepFilled Step = "filled"
)

// DefaultInitialMargin is the initial margin per contract of each root, USD,
// close to CME's outright rates in 2026. Check them against the broker's
// before trading real size; risk errs high by not taking spread credits.
func DefaultInitialMargin() map[string]decimal.Decimal {
	m := map[string]int64{
		"RTY": 8800, "M2K": 880, "ES": 24200, "MES": 2420,
		"XAB": 9900, "XAE": 11000, "XAI": 15400, "XAK": 33000, "XAP": 8800, "XAU": 8800,
		"XAV": 16500, "XAY": 24200, "XAF": 13200, "XAR": 7700, "XAZ": 11000,
	}
	out := make(map[string]decimal.Decimal, len(m))
	for k, v := range m {
		out[k] = decimal.NewFromInt(v)
	}
	return out
}

func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = DryRun
	}
	if c.Stream == "" {
		c.Stream = jetstream.DefaultStreamName
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = jetstream.DefaultSubjectPrefix
	}
	if c.Subject == "" {
		c.Subject = DefaultSubject
	}
	if c.Durable == "" {
		c.Durable = "rotor-portfolio-" + c.Account
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.Sleeve.Share.IsZero() {
		c.Sleeve = portfolio.DefaultSleeve()
	}
	if c.Limits.MaxGrossLeverage.IsZero() {
		c.Limits = risk.DefaultLimits()
	}
	if c.InitialMargin == nil {
		c.InitialMargin = DefaultInitialMargin()
	}
	if c.ResumeWindow == 0 {
		c.ResumeWindow = DefaultResumeWindow
	}
	if c.MonitorEvery == 0 {
		c.MonitorEvery = DefaultMonitorEvery
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.BrokerTimeout == 0 {
		c.BrokerTimeout = DefaultBrokerTimeout
	}
	if c.QuoteMaxAge == 0 {
		c.QuoteMaxAge = DefaultQuoteMaxAge
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Step == nil {
		c.Step = func(Step) {}
	}
	return c
}

// Validate reports what is wrong with the config, naming the field.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...))
	}
	if c.Account == "" {
		bad("Account is empty: name the IB account (DU… for paper)")
	}
	switch c.Mode {
	case DryRun, Paper:
	default:
		bad("Mode %q: want %q or %q", c.Mode, DryRun, Paper)
	}
	if c.Mode == Paper && !broker.IsPaper(c.Account) {
		bad("Account %q is not an IB paper account (DU…): rotor routes to paper accounts only", c.Account)
	}
	if c.Broker == nil {
		bad("Broker is nil")
	}
	if c.Log == nil {
		bad("Log is nil")
	}
	if err := c.Sleeve.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.AckWait < time.Second {
		bad("AckWait %s: want at least 1s", c.AckWait)
	}
	if c.MaxAttempts < 1 {
		bad("MaxAttempts %d: want at least 1", c.MaxAttempts)
	}
	return errors.Join(errs...)
}
