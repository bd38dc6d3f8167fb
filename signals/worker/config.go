package worker

import (
	"context"
	"errors"
	"fmt"
	"time"
	// The worker schedules on the New York clock; embedding the time zone
	// database makes that work on machines without /usr/share/zoneinfo
	// (distroless and scratch containers, Windows).
	_ "time/tzdata"

	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/jetstream"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// Defaults of Config.
const (
	// DefaultLocation is the exchange's time zone.
	DefaultLocation = "America/New_York"
	// DefaultCloseTime is the NYSE's regular close, 16:00 New York time,
	// as time since local midnight.
	DefaultCloseTime = 16 * time.Hour
	// DefaultDelay is how long after the close a day is computed: data
	// vendors need time to publish the day's final (adjusted) bars.
	DefaultDelay = 30 * time.Minute
	// DefaultRetryEvery is the pause before retrying a day whose data is
	// late or bad, or whose event NATS did not acknowledge.
	DefaultRetryEvery = 15 * time.Minute
	// DefaultMaxCatchUp is how many trading days a cold start publishes
	// (about a year), enough to settle the regime's hysteresis.
	DefaultMaxCatchUp = 260
	// MaxDelay bounds Delay: a day must be computed before the next one
	// opens.
	MaxDelay = 12 * time.Hour
	// DefaultResumeWait is how long Open keeps asking an unreachable
	// JetStream for the resume point (a cluster electing a leader, a
	// server restarting) before it gives up.
	DefaultResumeWait = 30 * time.Second
)

// Subject suffixes under the publisher's prefix (rotor.signals.).
const (
	// DailySubject receives every trading day's event.
	DailySubject = "leadership"
	// ChangeSubject receives, in addition, the events whose regime changed,
	// with message id "<id>-change", for consumers that act only on changes.
	ChangeSubject = "leadership.change"
)

// Publisher stores an encoded message on the signals stream and returns once
// JetStream acknowledged it. *jetstream.Publisher implements it; see its
// Publish for the errors: one wrapping jetstream.ErrUnreachable means the
// outcome is unknown and publishing the same message id again is safe.
type Publisher interface {
	Publish(ctx context.Context, subjectSuffix, msgID string, data []byte, headers map[string]string) (jetstream.PubResult, error)
}

// Config configures a Worker. Load, Publisher, Last and Signer are required;
// New fills the zero values of the others with their defaults.
type Config struct {
	// Load reads the universe's daily bars. It is called on every run, so
	// new bars are seen; an error that wraps a *marketdata.CSVError names
	// the file and line.
	Load func(ctx context.Context) (map[string]marketdata.Series, error)
	// Signals is the signal's configuration; the zero value means
	// signals.DefaultConfig().
	Signals signals.Config
	// Publisher publishes the signed events.
	Publisher Publisher
	// Last returns the bytes of the newest event on the daily subject, or
	// an error wrapping jetstream.ErrNotFound when there is none (a cold
	// start). LastFromStream builds one.
	Last func(ctx context.Context) ([]byte, error)
	// Signer signs every event (a user nkey; the portfolio service trusts
	// its public key).
	Signer nkeys.KeyPair

	// Now is the clock; default time.Now.
	Now func() time.Time
	// After waits like time.After (the default); tests drive time with it.
	After func(d time.Duration) <-chan time.Time
	// Location is the exchange's time zone; default DefaultLocation.
	Location *time.Location
	// CloseTime is the regular close as time since local midnight in
	// Location; default DefaultCloseTime. Early closes (13:00 on the day
	// after Thanksgiving, Christmas Eve, ...) are not modelled: those days
	// are computed at the regular time, which only means a few hours later
	// than they could be.
	CloseTime time.Duration
	// Delay is how long after the close a day is computed; default
	// DefaultDelay (0 means the default; use a nanosecond for "at the
	// close"), at most MaxDelay.
	Delay time.Duration
	// RetryEvery is the pause before retrying a failed run; default
	// DefaultRetryEvery. A retry never waits past the next day's run.
	RetryEvery time.Duration
	// ResumeWait bounds how long Open retries reading the resume point
	// while JetStream does not answer (wall-clock time, not Now); default
	// DefaultResumeWait.
	ResumeWait time.Duration
	// MaxCatchUp is how many trading days, up to the latest due one, a cold
	// start publishes; default DefaultMaxCatchUp. A worker that resumes
	// from a published event always replays every missed day, however
	// many: the hysteresis cannot skip days.
	MaxCatchUp int
	// Logger receives the schedule, every event published and every
	// failure; the zero value discards them.
	Logger zerolog.Logger
}

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Signals.Benchmark == "" && len(c.Signals.Sectors) == 0 {
		c.Signals = signals.DefaultConfig()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.After == nil {
		c.After = time.After
	}
	if c.Location == nil {
		loc, err := time.LoadLocation(DefaultLocation)
		if err != nil {
			return c, fmt.Errorf("worker: load time zone %s: %w", DefaultLocation, err)
		}
		c.Location = loc
	}
	if c.CloseTime == 0 {
		c.CloseTime = DefaultCloseTime
	}
	if c.Delay == 0 {
		c.Delay = DefaultDelay
	}
	if c.RetryEvery == 0 {
		c.RetryEvery = DefaultRetryEvery
	}
	if c.MaxCatchUp == 0 {
		c.MaxCatchUp = DefaultMaxCatchUp
	}
	if c.ResumeWait == 0 {
		c.ResumeWait = DefaultResumeWait
	}
	var errs []error
	if c.Load == nil {
		errs = append(errs, errors.New("worker: config: Load is required"))
	}
	if c.Publisher == nil {
		errs = append(errs, errors.New("worker: config: Publisher is required"))
	}
	if c.Last == nil {
		errs = append(errs, errors.New("worker: config: Last is required"))
	}
	if c.Signer == nil {
		errs = append(errs, errors.New("worker: config: Signer is required"))
	} else if pub, err := c.Signer.PublicKey(); err != nil || !nkeys.IsValidPublicUserKey(pub) {
		errs = append(errs, errors.New("worker: config: Signer must be a user nkey (seed SU...)"))
	}
	if c.CloseTime < 0 || c.CloseTime >= 24*time.Hour {
		errs = append(errs, fmt.Errorf("worker: config: CloseTime %s is not a time of day", c.CloseTime))
	}
	if c.Delay < 0 || c.Delay > MaxDelay {
		errs = append(errs, fmt.Errorf("worker: config: Delay %s is outside 0..%s", c.Delay, MaxDelay))
	}
	if c.RetryEvery < 0 {
		errs = append(errs, fmt.Errorf("worker: config: RetryEvery %s is negative", c.RetryEvery))
	}
	if c.MaxCatchUp < 1 {
		errs = append(errs, fmt.Errorf("worker: config: MaxCatchUp %d: want at least 1", c.MaxCatchUp))
	}
	if err := c.Signals.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("worker: config: %w", err))
	}
	return c, errors.Join(errs...)
}
