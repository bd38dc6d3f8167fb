package jetstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// Defaults of StreamConfig.
const (
	// DefaultStreamName is the stream that holds rotor's signal events.
	DefaultStreamName = "ROTOR_SIGNALS"
	// DefaultSubjectPrefix is the subject prefix of every signal event.
	DefaultSubjectPrefix = "rotor.signals."
	// DefaultDuplicates is the window in which a repeated message id is
	// dropped. Two days cover a worker that re-runs yesterday's catch-up.
	DefaultDuplicates = 48 * time.Hour
	// MinDuplicates is the shortest window accepted: a retry or a second
	// worker must not be able to double a day's event.
	MinDuplicates = 24 * time.Hour
	// DefaultMaxAge keeps more than a year of history for the audit trail.
	DefaultMaxAge = 400 * 24 * time.Hour
	// DefaultMaxBytes bounds the stream's disk use.
	DefaultMaxBytes = 1 << 30
	// DefaultMaxMsgSize bounds one event.
	DefaultMaxMsgSize = 1 << 20
	// DefaultReplicas is right for a single server; use 3 on a cluster.
	DefaultReplicas = 1
)

// StreamConfig is the part of the signals stream's configuration rotor owns.
// Everything else on an existing stream (placement, compression, metadata set
// by an operator) is left as it is.
type StreamConfig struct {
	// Name is the stream name; default DefaultStreamName.
	Name string
	// Subjects the stream captures; default DefaultSubjectPrefix + ">".
	Subjects []string
	// Description is shown by `nats stream info`.
	Description string
	// Duplicates is the deduplication window; default DefaultDuplicates,
	// at least MinDuplicates.
	Duplicates time.Duration
	// MaxAge drops messages older than this; default DefaultMaxAge; not
	// shorter than Duplicates.
	MaxAge time.Duration
	// MaxBytes bounds the stream's size, the oldest messages going first;
	// default DefaultMaxBytes.
	MaxBytes int64
	// MaxMsgSize bounds one message; default DefaultMaxMsgSize.
	MaxMsgSize int32
	// Replicas is how many servers hold a copy; default DefaultReplicas.
	Replicas int
	// Logger says whether the stream was created, updated or left alone;
	// the zero value discards it.
	Logger zerolog.Logger
}

func (c *StreamConfig) setDefaults() error {
	if c.Name == "" {
		c.Name = DefaultStreamName
	}
	if len(c.Subjects) == 0 {
		c.Subjects = []string{DefaultSubjectPrefix + ">"}
	}
	if c.Description == "" {
		c.Description = "rotor signal events (audit trail: no deletes, no purges)"
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxMsgSize == 0 {
		c.MaxMsgSize = DefaultMaxMsgSize
	}
	if c.Replicas == 0 {
		c.Replicas = DefaultReplicas
	}
	switch {
	case strings.ContainsAny(c.Name, ". *>\t\r\n"):
		return fmt.Errorf("%w: stream name %q: no dots, spaces or wildcards", ErrInvalid, c.Name)
	case c.Duplicates < MinDuplicates:
		return fmt.Errorf("%w: stream %s: duplicate window %s is shorter than %s: a retried or second worker's event could be stored twice", ErrInvalid, c.Name, c.Duplicates, MinDuplicates)
	case c.MaxAge < c.Duplicates:
		return fmt.Errorf("%w: stream %s: max age %s is shorter than the duplicate window %s", ErrInvalid, c.Name, c.MaxAge, c.Duplicates)
	case c.MaxBytes < int64(c.MaxMsgSize):
		return fmt.Errorf("%w: stream %s: max bytes %d is smaller than one message (max msg size %d)", ErrInvalid, c.Name, c.MaxBytes, c.MaxMsgSize)
	case c.MaxMsgSize < 0:
		return fmt.Errorf("%w: stream %s: max msg size %d is negative", ErrInvalid, c.Name, c.MaxMsgSize)
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("%w: stream %s: replicas %d is outside 1..5", ErrInvalid, c.Name, c.Replicas)
	}
	for _, s := range c.Subjects {
		if err := validSubject(s, true); err != nil {
			return fmt.Errorf("%w: stream %s: subject %q: %v", ErrInvalid, c.Name, s, err)
		}
	}
	return nil
}

// apply writes the owned settings onto base, a copy of the existing config or
// an empty one.
func (c *StreamConfig) apply(base jetstream.StreamConfig) jetstream.StreamConfig {
	base.Name = c.Name
	base.Subjects = slices.Clone(c.Subjects)
	base.Description = c.Description
	base.Storage = jetstream.FileStorage
	base.Retention = jetstream.LimitsPolicy
	base.Discard = jetstream.DiscardOld
	base.Duplicates = c.Duplicates
	base.MaxAge = c.MaxAge
	base.MaxBytes = c.MaxBytes
	base.MaxMsgSize = c.MaxMsgSize
	base.Replicas = c.Replicas
	// The signal history is an audit trail: no message is deleted or purged
	// through the API, and no roll-up header can purge it either.
	base.DenyDelete = true
	base.DenyPurge = true
	base.AllowRollup = false
	if base.MaxMsgs == 0 {
		base.MaxMsgs = -1
	}
	if base.MaxMsgsPerSubject == 0 {
		base.MaxMsgsPerSubject = -1
	}
	if base.MaxConsumers == 0 {
		base.MaxConsumers = -1
	}
	return base
}

// EnsureStream creates the signals stream, or brings an existing one to cfg,
// and returns it. It is idempotent: run at every start, it changes nothing
// when the stream already matches. An existing stream that JetStream cannot
// change in place gives an error wrapping ErrIncompatibleStream that says what
// differs and what to do.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	log := cfg.Logger.With().Str("stream", cfg.Name).Logger()

	var old *jetstream.StreamConfig
	s, err := js.Stream(ctx, cfg.Name)
	switch {
	case err == nil:
		c := s.CachedInfo().Config
		old = &c
	case errors.Is(err, jetstream.ErrStreamNotFound):
	default:
		return nil, streamAPIError(cfg.Name, "look up", err)
	}

	if old == nil {
		want := cfg.apply(jetstream.StreamConfig{})
		s, err := js.CreateOrUpdateStream(ctx, want)
		if err != nil {
			return nil, streamAPIError(cfg.Name, "create", err)
		}
		log.Info().Strs("subjects", want.Subjects).Dur("duplicates", want.Duplicates).Msg("stream created")
		return s, nil
	}

	if err := compatible(cfg.Name, old); err != nil {
		return nil, err
	}
	want := cfg.apply(*old)
	changes := diff(old, &want)
	if len(changes) == 0 {
		log.Debug().Msg("stream up to date")
		return s, nil
	}
	s, err = js.CreateOrUpdateStream(ctx, want)
	if err != nil {
		return nil, streamAPIError(cfg.Name, "update ("+strings.Join(changes, ", ")+")", err)
	}
	log.Info().Strs("changes", changes).Msg("stream updated")
	return s, nil
}

// compatible reports the settings of an existing stream that JetStream refuses
// to change and that rotor cannot live with.
func compatible(name string, old *jetstream.StreamConfig) error {
	var why []string
	if old.Storage != jetstream.FileStorage {
		why = append(why, fmt.Sprintf("it uses %s storage, rotor needs file storage, and JetStream cannot change a stream's storage type", strings.ToLower(old.Storage.String())))
	}
	if old.Retention == jetstream.WorkQueuePolicy {
		why = append(why, "it is a work-queue stream, which deletes messages once consumed; rotor needs limits retention and JetStream cannot change to it")
	}
	if old.Mirror != nil {
		why = append(why, fmt.Sprintf("it is a mirror of %s and cannot take publishes", old.Mirror.Name))
	}
	if old.Sealed {
		why = append(why, "it is sealed and takes no new messages")
	}
	if old.AllowMsgCounter {
		why = append(why, "it is a counter stream, a setting JetStream cannot change")
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: stream %s exists but %s; to keep its history, back it up (nats stream backup %s DIR), then remove it (nats stream rm %s) and restart so rotor creates it anew, or configure another stream name",
		ErrIncompatibleStream, name, strings.Join(why, "; and "), name, name)
}

// diff lists the owned settings that differ, old → new, for the log and for
// errors.
func diff(old, want *jetstream.StreamConfig) []string {
	var d []string
	add := func(field string, o, n any) {
		if fmt.Sprint(o) != fmt.Sprint(n) {
			d = append(d, fmt.Sprintf("%s %v → %v", field, o, n))
		}
	}
	add("subjects", old.Subjects, want.Subjects)
	add("description", old.Description, want.Description)
	add("retention", old.Retention, want.Retention)
	add("discard", old.Discard, want.Discard)
	add("duplicates", old.Duplicates, want.Duplicates)
	add("max_age", old.MaxAge, want.MaxAge)
	add("max_bytes", old.MaxBytes, want.MaxBytes)
	add("max_msg_size", old.MaxMsgSize, want.MaxMsgSize)
	add("max_msgs", old.MaxMsgs, want.MaxMsgs)
	add("max_msgs_per_subject", old.MaxMsgsPerSubject, want.MaxMsgsPerSubject)
	add("max_consumers", old.MaxConsumers, want.MaxConsumers)
	add("replicas", old.Replicas, want.Replicas)
	add("deny_delete", old.DenyDelete, want.DenyDelete)
	add("deny_purge", old.DenyPurge, want.DenyPurge)
	add("allow_rollup", old.AllowRollup, want.AllowRollup)
	return d
}

// streamAPIError adds to a JetStream API error what an operator can do.
func streamAPIError(name, op string, err error) error {
	var apiErr *jetstream.APIError
	hint := ""
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case 10065: // subjects overlap with an existing stream
			hint = " — another stream already captures these subjects: remove its overlap or point rotor at that stream"
		case 10074: // replicas > 1 not supported in non-clustered mode
			hint = " — this server is not clustered: set replicas to 1"
		case 10052, 10058: // invalid config, name in use with other config
			hint = " — the existing stream cannot be changed that way: inspect it with `nats stream info " + name + "`"
		case 10039, 10076: // JetStream not enabled
			hint = " — enable JetStream on the server (nats-server -js) or for this account"
		}
	} else if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		hint = " — enable JetStream on the server (nats-server -js) or for this account"
	}
	if hint == "" && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)) {
		return fmt.Errorf("%w: %s stream %s: JetStream did not answer (%v) — is JetStream enabled on the server (nats-server -js) and for this account?", ErrUnreachable, op, name, err)
	}
	return fmt.Errorf("jetstream: %s stream %s: %w%s", op, name, err, hint)
}

// validSubject checks a NATS subject: dot-separated non-empty tokens without
// white space, and wildcards only where allowed (a stream's subject filter).
func validSubject(s string, wildcards bool) error {
	if s == "" {
		return errors.New("empty subject")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return errors.New("contains white space")
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return errors.New("empty token (leading, trailing or double dot)")
		case t == ">" && wildcards && i == len(toks)-1, t == "*" && wildcards:
		case strings.ContainsAny(t, "*>"):
			return errors.New("wildcards are not allowed here")
		}
	}
	return nil
}
