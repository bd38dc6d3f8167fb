package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
)

// consume creates (or updates) the account's durable consumer and starts the
// goroutine that takes its messages one at a time (see next) and handles
// them, until Close calls stopTaking.
func (s *Service) consume(ctx context.Context) error {
	cfg := natsjs.ConsumerConfig{
		Durable:       s.cfg.Durable,
		Description:   "rotor portfolio service of account " + s.cfg.Account,
		FilterSubject: s.cfg.SubjectPrefix + s.cfg.Subject,
		// A new consumer starts at the latest event: older ones are
		// stale by the time anyone could act on them.
		DeliverPolicy: natsjs.DeliverLastPolicy,
		AckPolicy:     natsjs.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		MaxDeliver:    -1, // the service gives up on a message itself (Term), after recording it
		MaxAckPending: 1,  // one event at a time, in stream order
	}
	cons, err := s.createConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("create the durable consumer %s on stream %s: %w", s.cfg.Durable, s.cfg.Stream, err)
	}
	taking, stopTaking := context.WithCancel(context.Background())
	s.stopTaking = stopTaking
	s.consuming.Add(1)
	go func() {
		defer s.consuming.Done()
		s.take(taking, cons, cfg)
	}()
	return nil
}

// take handles the consumer's messages one at a time until taking is
// cancelled. A consumer that is gone (deleted by hand, its stream
// recreated) is created again with cfg rather than left silent.
func (s *Service) take(taking context.Context, cons natsjs.Consumer, cfg natsjs.ConsumerConfig) {
	pause, lostInARow := pullRetry, 0
	for {
		msg, err := s.next(taking, cons)
		if taking.Err() != nil && msg == nil {
			return
		}
		if err == nil {
			pause, lostInARow = pullRetry, 0
			s.handle(s.ctx, msg)
			continue
		}
		lost := errors.Is(err, natsjs.ErrNoHeartbeat)
		if lost {
			lostInARow++
			s.log.Warn().Dur("silent_for", 2*pullHeartbeat).Int("in_a_row", lostInARow).Msg("JetStream sent no heartbeat: the pull request was lost; pulling again")
		}
		// A pull nobody answers (no responders) or that is told the
		// consumer was deleted may be to a consumer that no longer
		// exists; so may one lost again and again, though one lost pull is
		// a node that died, and the next goes to the new leader.
		gone := errors.Is(err, natsjs.ErrConsumerDeleted) || errors.Is(err, nats.ErrNoResponders)
		if gone || lostInARow >= lostBeforeLooking {
			if again, ok := s.consumerAgain(taking, cons, cfg); ok {
				cons, lostInARow = again, 0
				continue
			}
		}
		if lost {
			continue
		}
		s.log.Warn().Err(err).Dur("retry_in", pause).Msg("reading the next event")
		select {
		case <-taking.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, pullRetryMax)
	}
}

// consumerAgain creates the consumer again when JetStream says it does not
// exist, and reports whether it did.
func (s *Service) consumerAgain(ctx context.Context, cons natsjs.Consumer, cfg natsjs.ConsumerConfig) (natsjs.Consumer, bool) {
	ictx, cancel := context.WithTimeout(ctx, 2*pullHeartbeat)
	_, err := cons.Info(ictx)
	cancel()
	if !errors.Is(err, natsjs.ErrConsumerNotFound) {
		return nil, false
	}
	s.log.Error().Str("consumer", cfg.Durable).Msg("the durable consumer is gone (deleted, or its stream recreated); creating it again")
	again, err := s.createConsumer(ctx, cfg)
	if err != nil {
		s.log.Error().Err(err).Str("consumer", cfg.Durable).Msg("could not create the durable consumer again")
		return nil, false
	}
	return again, true
}

// The consumer is read one message at a time with a pull request of its
// own (Fetch), not with nats.go's Messages iterator. The iterator sends its
// next pull request from another goroutine and skips a request while that
// goroutine is still marked as sending the last one; an event taken, handled
// and acknowledged faster than that (one in flight, a loaded machine) leaves
// no request at the server, and the iterator waits for two missed
// heartbeats (30 s with its defaults). Seen in 1 to 3 of a hundred bursts of
// eight events under load; none in 400 with Fetch.
//
// A pull expires after pullExpiry and is sent again; the server's heartbeat
// every pullHeartbeat tells a lost request (a node that died, a request that
// never arrived) from a waiting one within 2*pullHeartbeat; after
// lostBeforeLooking lost in a row the service asks whether its consumer
// still exists. After any other error the pulls back off from pullRetry to
// pullRetryMax.
const (
	pullExpiry        = 5 * time.Second
	pullHeartbeat     = time.Second
	lostBeforeLooking = 3
	pullRetry         = 100 * time.Millisecond
	pullRetryMax      = 5 * time.Second
)

// next returns the consumer's next message, pulling again while none comes;
// it returns taking's error once taking is cancelled.
func (s *Service) next(taking context.Context, cons natsjs.Consumer) (natsjs.Msg, error) {
	for {
		ctx, cancel := context.WithTimeout(taking, pullExpiry)
		batch, err := cons.Fetch(1, natsjs.FetchContext(ctx), natsjs.FetchHeartbeat(pullHeartbeat))
		if err != nil {
			cancel()
			if taking.Err() != nil {
				return nil, taking.Err()
			}
			return nil, err
		}
		msg, ok := <-batch.Messages()
		err = batch.Error()
		cancel()
		switch {
		case ok:
			return msg, nil
		case taking.Err() != nil:
			return nil, taking.Err()
		case err != nil && !errors.Is(err, context.DeadlineExceeded):
			return nil, err
		}
	}
}

// consumerWait bounds how long Open keeps asking a JetStream that does not
// answer (a cluster electing leaders, a busy machine) to create the consumer.
const consumerWait = 30 * time.Second

// createConsumer creates or updates the consumer, retrying while JetStream
// does not answer in time; a definitive refusal is returned at once.
func (s *Service) createConsumer(ctx context.Context, cfg natsjs.ConsumerConfig) (natsjs.Consumer, error) {
	deadline := time.Now().Add(consumerWait)
	pause := 50 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		cons, err := s.cfg.JetStream.CreateOrUpdateConsumer(cctx, s.cfg.Stream, cfg)
		cancel()
		unanswered := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders)
		if err == nil || !unanswered || ctx.Err() != nil || time.Now().Add(pause).After(deadline) {
			return cons, err
		}
		s.log.Warn().Err(err).Dur("retry_in", pause).Msg("JetStream did not answer creating the consumer; retrying")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// handle takes one message to its end: acknowledged after its outcome is
// recorded, terminated after its rejection is recorded, or left for
// redelivery (after RetryDelay) when something transient failed.
func (s *Service) handle(ctx context.Context, msg natsjs.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		s.log.Error().Err(err).Msg("a message without JetStream metadata; terminating it")
		_ = msg.Term()
		return
	}
	s.arrived = time.Now()
	s.cfg.Step(StepArrived)
	at := s.log.With().Uint64("stream_seq", meta.Sequence.Stream).Uint64("delivered", meta.NumDelivered).Logger()
	ev, err := admit.Admit(msg.Data(), s.cfg.Admit, s.cfg.Now())
	if err != nil {
		if s.rejectedBefore(meta) {
			// Its rejection is on disk; the termination was lost (a
			// node died, the service restarted). Terminate it again.
			_ = msg.Term()
			return
		}
		if rerr := s.recordRejection(ctx, msg, meta, err); rerr != nil {
			at.Error().Err(rerr).Msg("could not record a rejected event; leaving it for redelivery")
			_ = msg.NakWithDelay(s.cfg.RetryDelay)
			return
		}
		at.Warn().Err(err).Msg("event rejected")
		var ae *admit.Error
		if errors.As(err, &ae) {
			s.cfg.Metrics.eventRejected(string(ae.Reason))
		}
		_ = msg.Term()
		return
	}
	s.cfg.Step(StepAdmitted)
	s.cfg.Metrics.eventReceived()
	at = at.With().Str("event_id", ev.ID).Str("as_of", ev.AsOf).Logger()
	stop := s.inProgress(ctx, msg)
	err = s.process(ctx, ev, msg.Data(), meta.Sequence.Stream)
	stop()
	if err == nil {
		if aerr := msg.DoubleAck(ctx); aerr != nil {
			// The outcome is recorded; a redelivery is recognised.
			at.Warn().Err(aerr).Msg("acknowledgement not confirmed; a redelivery will be recognised and settled")
			return
		}
		s.cfg.Step(StepAcked)
		return
	}
	if ctx.Err() != nil {
		return // stopping: the message is redelivered to the next run
	}
	_, _ = s.cfg.Log.Append(context.WithoutCancel(ctx), audit.Entry{Kind: audit.KindError, EventID: ev.ID, Account: s.cfg.Account,
		Payload: map[string]any{"stage": "handle", "error": err.Error(), "delivery": meta.NumDelivered, "stream_seq": meta.Sequence.Stream}})
	if int(meta.NumDelivered) >= s.cfg.MaxAttempts {
		at.Error().Err(err).Msg("giving up on the event after the last attempt")
		_, _ = s.cfg.Log.Append(context.WithoutCancel(ctx), audit.Entry{Kind: audit.KindError, EventID: ev.ID, Account: s.cfg.Account,
			Payload: map[string]any{"stage": "given_up", "error": err.Error(), "attempts": meta.NumDelivered}})
		_ = msg.Term()
		return
	}
	at.Warn().Err(err).Dur("retry_in", s.cfg.RetryDelay).Msg("event not handled; it will be redelivered")
	_ = msg.NakWithDelay(s.cfg.RetryDelay)
}

// inProgress tells JetStream the message is being worked on, every third of
// AckWait, until the returned func is called.
func (s *Service) inProgress(ctx context.Context, msg natsjs.Msg) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(s.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// RejectionPayload is the payload of a signal_rejected row.
type RejectionPayload struct {
	Reason    admit.Reason `json:"reason"`
	Detail    string       `json:"detail"`
	Subject   string       `json:"subject"`
	Stream    string       `json:"stream"`
	StreamSeq uint64       `json:"stream_seq"`
	Delivered uint64       `json:"delivered"`
	Size      int          `json:"size"`
	// ClaimedID is the "id" the message claims, unverified.
	ClaimedID string `json:"claimed_id,omitempty"`
	// Excerpt is the start of the message, for a person to look at.
	Excerpt string `json:"excerpt"`
}

const excerptBytes = 512

func (s *Service) recordRejection(ctx context.Context, msg natsjs.Msg, meta *natsjs.MsgMetadata, err error) error {
	p := RejectionPayload{Reason: admit.ReasonMalformed, Detail: err.Error(), Subject: msg.Subject(), Stream: meta.Stream,
		StreamSeq: meta.Sequence.Stream, Delivered: meta.NumDelivered, Size: len(msg.Data())}
	var ae *admit.Error
	if errors.As(err, &ae) {
		p.Reason, p.Detail = ae.Reason, ae.Detail
	}
	data := msg.Data()
	if len(data) > excerptBytes {
		data = data[:excerptBytes]
	}
	if utf8.Valid(data) {
		p.Excerpt = string(data)
	} else {
		p.Excerpt = fmt.Sprintf("%q", data)
	}
	var claimed struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(msg.Data(), &claimed) == nil && len(claimed.ID) <= 64 && utf8.ValidString(claimed.ID) {
		p.ClaimedID = claimed.ID
	}
	if _, err = s.cfg.Log.Append(ctx, audit.Entry{Kind: audit.KindSignalRejected, Account: s.cfg.Account, Payload: p}); err != nil {
		return err
	}
	s.mu.Lock()
	s.rejected[rejectionKey(p.Stream, p.StreamSeq)] = true
	s.mu.Unlock()
	return nil
}

// rejectedBefore reports whether the message's rejection is already
// recorded: a rejected message has no event id to recognise it by, so it is
// known by its place in the stream.
func (s *Service) rejectedBefore(meta *natsjs.MsgMetadata) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected[rejectionKey(meta.Stream, meta.Sequence.Stream)]
}

func rejectionKey(stream string, seq uint64) string { return fmt.Sprintf("%s/%d", stream, seq) }
