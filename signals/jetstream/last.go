package jetstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// LastMsg returns the newest message on subject in the stream streamName: the
// latest signal event, for `rotor plan` and for tests. subject may be a full
// subject or a filter with wildcards ("rotor.signals.>"). It reads from the
// stream leader, so it sees every acknowledged publish. No such message gives
// an error wrapping ErrNotFound.
func LastMsg(ctx context.Context, js jetstream.JetStream, streamName, subject string) (*jetstream.RawStreamMsg, error) {
	if streamName == "" {
		streamName = DefaultStreamName
	}
	if err := validSubject(subject, true); err != nil {
		return nil, fmt.Errorf("%w: last message of %q: %v", ErrInvalid, subject, err)
	}
	s, err := js.Stream(ctx, streamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("%w: stream %s: %w", ErrNotFound, streamName, err)
	}
	if err != nil {
		return nil, streamAPIError(streamName, "look up", err)
	}
	m, err := s.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: no message on %s in stream %s: %w", ErrNotFound, subject, streamName, err)
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: last message on %s in stream %s: %w", subject, streamName, err)
	}
	return m, nil
}
