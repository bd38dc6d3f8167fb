package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// Defaults of PublisherConfig and RetryPolicy.
const (
	// DefaultAckWait bounds the wait for one attempt's acknowledgement.
	DefaultAckWait = 5 * time.Second
	// DefaultInitialBackoff is the pause after the first failed attempt.
	DefaultInitialBackoff = 100 * time.Millisecond
	// DefaultMaxBackoff caps the pause between attempts.
	DefaultMaxBackoff = 5 * time.Second
	// DefaultMaxElapsed bounds the whole publish when neither MaxAttempts
	// nor MaxElapsed is set.
	DefaultMaxElapsed = time.Minute
)

// RetryPolicy says how long a publish keeps trying when NATS does not answer.
// The pause after attempt n is InitialBackoff·2^(n-1), capped at MaxBackoff,
// with jitter taking it down to half. Retrying stops at whichever of
// MaxAttempts and MaxElapsed comes first; zero means no limit of that kind,
// and when both are zero MaxElapsed is DefaultMaxElapsed.
type RetryPolicy struct {
	// InitialBackoff is the first pause; default DefaultInitialBackoff.
	InitialBackoff time.Duration
	// MaxBackoff caps a pause; default DefaultMaxBackoff.
	MaxBackoff time.Duration
	// MaxAttempts is the most sends of one message, the first included.
	MaxAttempts int
	// MaxElapsed is the longest time from the first send to giving up; no
	// new attempt starts after it.
	MaxElapsed time.Duration
}

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// SubjectPrefix is put before every subject suffix; default
	// DefaultSubjectPrefix. A missing final dot is added.
	SubjectPrefix string
	// Stream, when set, is the stream every message must land in: the
	// server refuses (ErrRejected) a message its subject would put in
	// another stream, rather than storing it where no consumer looks.
	Stream string
	// Retry is the retry policy for publishes NATS does not answer.
	Retry RetryPolicy
	// AckWait bounds the wait for one attempt's acknowledgement; default
	// DefaultAckWait.
	AckWait time.Duration
	// Now is the clock used to measure the time spent retrying; default
	// time.Now.
	Now func() time.Time
	// Logger receives retries and results; the zero value discards them.
	Logger zerolog.Logger
}

// PubResult is JetStream's acknowledgement of a published message.
type PubResult struct {
	// Subject is the full subject the message was published to.
	Subject string
	// Stream is the stream that stored it.
	Stream string
	// Sequence is its sequence number in the stream. For a duplicate it is
	// the sequence of the message stored first under the same id.
	Sequence uint64
	// Duplicate is true when the stream already held a message with this id
	// (stored by an earlier publish, or by an earlier attempt of this one
	// whose ack was lost) and dropped this copy.
	Duplicate bool
	// Attempts is how many sends it took, 1 when the first was acknowledged.
	Attempts int
}

// Publisher publishes already encoded messages to the signals stream and
// waits for JetStream to store them. It holds no goroutines and is safe for
// concurrent use; several publishers, in one process or many, may publish the
// same message id and the stream keeps one copy.
type Publisher struct {
	js  jetstream.JetStream
	cfg PublisherConfig
	log zerolog.Logger
}

// NewPublisher returns a Publisher on js, filling the zero fields of cfg with
// their defaults.
func NewPublisher(js jetstream.JetStream, cfg PublisherConfig) *Publisher {
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = DefaultSubjectPrefix
	}
	if !strings.HasSuffix(cfg.SubjectPrefix, ".") {
		cfg.SubjectPrefix += "."
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &cfg.Retry
	if r.InitialBackoff <= 0 {
		r.InitialBackoff = DefaultInitialBackoff
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = DefaultMaxBackoff
	}
	if r.MaxBackoff < r.InitialBackoff {
		r.MaxBackoff = r.InitialBackoff
	}
	if r.MaxAttempts <= 0 && r.MaxElapsed <= 0 {
		r.MaxElapsed = DefaultMaxElapsed
	}
	return &Publisher{js: js, cfg: cfg, log: cfg.Logger}
}

// Publish stores data on subject SubjectPrefix+subjectSuffix with msgID as its
// Nats-Msg-Id and headers as extra headers, and returns once JetStream has
// acknowledged it.
//
// It retries, with the same message id, only when NATS did not answer: no
// ack in AckWait, no responders, the connection down or reconnecting, or a
// JetStream 503. Anything else is definitive and returned at once: a refusal
// by the server (wrapping ErrRejected, for a message too large or a subject no
// stream captures) or an invalid argument (ErrInvalid). When the retry policy
// runs out the error wraps ErrUnreachable and names the attempts and the time
// spent; when ctx ends it wraps ctx.Err(). In both cases the message may have
// been stored: publishing the same id again is safe.
func (p *Publisher) Publish(ctx context.Context, subjectSuffix, msgID string, data []byte, headers map[string]string) (PubResult, error) {
	subject := p.cfg.SubjectPrefix + subjectSuffix
	res := PubResult{Subject: subject}
	if err := p.validate(subjectSuffix, subject, msgID, headers); err != nil {
		return res, err
	}
	hdr := make(nats.Header, len(headers)+1)
	for k, v := range headers {
		hdr.Set(k, v)
	}
	log := p.log.With().Str("subject", subject).Str("msg_id", msgID).Logger()

	start := p.cfg.Now()
	for {
		res.Attempts++
		ack, err := p.attempt(ctx, subject, msgID, data, hdr)
		if err == nil {
			res.Stream, res.Sequence, res.Duplicate = ack.Stream, ack.Sequence, ack.Duplicate
			log.Debug().Str("stream", ack.Stream).Uint64("seq", ack.Sequence).Bool("duplicate", ack.Duplicate).
				Int("attempts", res.Attempts).Msg("published")
			return res, nil
		}
		elapsed := p.cfg.Now().Sub(start)
		if ctx.Err() != nil {
			return res, fmt.Errorf("jetstream: publish %s (msg id %s): gave up after %d attempts over %s, outcome unknown, publishing the same msg id again is safe: %w (last error: %v)",
				subject, msgID, res.Attempts, elapsed.Round(time.Millisecond), ctx.Err(), err)
		}
		if !p.transient(ctx, subject, err) {
			return res, p.definitive(subject, err)
		}
		wait := jittered(expDelay(p.cfg.Retry.InitialBackoff, p.cfg.Retry.MaxBackoff, res.Attempts))
		r := p.cfg.Retry
		if (r.MaxAttempts > 0 && res.Attempts >= r.MaxAttempts) || (r.MaxElapsed > 0 && elapsed+wait > r.MaxElapsed) {
			uerr := &UnreachableError{Subject: subject, MsgID: msgID, Attempts: res.Attempts, Elapsed: elapsed, Last: err}
			log.Error().Err(err).Int("attempts", res.Attempts).Dur("elapsed", elapsed).Msg("publish gave up: NATS unreachable")
			return res, uerr
		}
		log.Warn().Err(err).Int("attempt", res.Attempts).Dur("retry_in", wait).Msg("publish not acknowledged; retrying")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, fmt.Errorf("jetstream: publish %s (msg id %s): gave up after %d attempts over %s, outcome unknown, publishing the same msg id again is safe: %w (last error: %v)",
				subject, msgID, res.Attempts, p.cfg.Now().Sub(start).Round(time.Millisecond), ctx.Err(), err)
		case <-t.C:
		}
	}
}

// attempt sends once and waits at most AckWait for the ack.
func (p *Publisher) attempt(ctx context.Context, subject, msgID string, data []byte, hdr nats.Header) (*jetstream.PubAck, error) {
	actx, cancel := context.WithTimeout(ctx, p.cfg.AckWait)
	defer cancel()
	// A fresh header per attempt: the library adds the Nats-Msg-Id to it.
	h := make(nats.Header, len(hdr)+1)
	for k, v := range hdr {
		h[k] = v
	}
	m := &nats.Msg{Subject: subject, Data: data, Header: h}
	// The library's own retry on no responders is turned off so that the
	// attempts counted and bounded here are all the attempts there are.
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(msgID), jetstream.WithRetryAttempts(0)}
	if p.cfg.Stream != "" {
		opts = append(opts, jetstream.WithExpectStream(p.cfg.Stream))
	}
	ack, err := p.js.PublishMsg(actx, m, opts...)
	if errors.Is(err, nats.ErrReconnectBufExceeded) {
		// With the reconnect buffer off this is how the library says
		// "not connected"; say that.
		err = fmt.Errorf("not connected to NATS, reconnecting: %w", err)
	}
	return ack, err
}

// errCodeDuplicateInProcess is JetStream's 409 "duplicate message id is in
// process" (JSStreamDuplicateMessageConflict): two publishers, such as the
// workers of a queue group, sent the same message id at the same moment to
// a clustered stream.
const errCodeDuplicateInProcess = 10158

// transient says whether err means "NATS did not answer", which a retry with
// the same message id can fix, rather than a definitive answer.
func (p *Publisher) transient(ctx context.Context, subject string, err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.As(err, &apiErr):
		// 503 is JetStream's "temporarily unavailable" (no leader, a
		// cluster catching up); other codes are answers. Not enabled and
		// insufficient resources are 503 too, but need an operator.
		if apiErr.ErrorCode == errCodeDuplicateInProcess {
			// On a replicated stream another publisher's copy of this
			// very message is being committed: asked again, JetStream
			// answers Duplicate (or stores it, if that copy failed).
			return true
		}
		return apiErr.Code == 503 && apiErr.ErrorCode != 10023 && apiErr.ErrorCode != 10039 && apiErr.ErrorCode != 10076
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return true
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		// Nothing listens on the subject: JetStream is starting or moving
		// a stream leader, or no stream captures the subject at all. Ask
		// JetStream which; only the first is worth retrying.
		return !p.noStreamFor(ctx, subject)
	case errors.Is(err, nats.ErrReconnectBufExceeded), errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrStaleConnection):
		return true
	}
	return false
}

// noStreamFor reports whether JetStream answered that no stream captures
// subject. Any other outcome, JetStream not answering included, is false.
func (p *Publisher) noStreamFor(ctx context.Context, subject string) bool {
	qctx, cancel := context.WithTimeout(ctx, p.cfg.AckWait)
	defer cancel()
	_, err := p.js.StreamNameBySubject(qctx, subject)
	return errors.Is(err, jetstream.ErrStreamNotFound)
}

// definitive turns a non-retryable error into the package's typed error.
func (p *Publisher) definitive(subject string, err error) error {
	var apiErr *jetstream.APIError
	switch {
	case errors.As(err, &apiErr):
		return &RejectedError{Subject: subject, Code: apiErr.Code, ErrorCode: uint16(apiErr.ErrorCode), Reason: apiErr.Description, Err: err}
	case errors.Is(err, nats.ErrMaxPayload):
		return &RejectedError{Subject: subject, Reason: "message larger than the server's max_payload", Err: err}
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		return &RejectedError{Subject: subject, Reason: "no stream captures this subject: check the subject prefix and that EnsureStream ran", Err: err}
	case errors.Is(err, nats.ErrBadSubject):
		return fmt.Errorf("%w: publish to %s: %v", ErrInvalid, subject, err)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		return fmt.Errorf("jetstream: publish to %s: the NATS connection is closed or draining: %w", subject, err)
	}
	return fmt.Errorf("jetstream: publish to %s: %w", subject, err)
}

// validate refuses, before anything is sent, what can never be published.
func (p *Publisher) validate(suffix, subject, msgID string, headers map[string]string) error {
	if msgID == "" {
		return fmt.Errorf("%w: publish to %s: an empty message id would defeat deduplication", ErrInvalid, subject)
	}
	if strings.ContainsAny(msgID, "\r\n") {
		return fmt.Errorf("%w: publish to %s: message id %q contains a line break", ErrInvalid, subject, msgID)
	}
	if suffix == "" {
		return fmt.Errorf("%w: publish: empty subject suffix", ErrInvalid)
	}
	if err := validSubject(subject, false); err != nil {
		return fmt.Errorf("%w: publish to %q: %v", ErrInvalid, subject, err)
	}
	for k, v := range headers {
		switch {
		case k == "" || strings.ContainsAny(k, " :\t\r\n"):
			return fmt.Errorf("%w: publish to %s: header name %q", ErrInvalid, subject, k)
		case strings.HasPrefix(strings.ToLower(k), "nats-"):
			// Nats-* headers steer JetStream (message id, expected
			// sequence, roll-up, TTL); only this package sets them.
			return fmt.Errorf("%w: publish to %s: header %q is reserved for NATS", ErrInvalid, subject, k)
		case strings.ContainsAny(v, "\r\n"):
			return fmt.Errorf("%w: publish to %s: header %s value contains a line break", ErrInvalid, subject, k)
		}
	}
	return nil
}
