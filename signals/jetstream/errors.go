package jetstream

import (
	"errors"
	"fmt"
	"time"
)

// Errors a caller may branch on. Every error returned by this package wraps at
// most one of them; test with errors.Is.
var (
	// ErrUnreachable means NATS or JetStream did not answer: the server could
	// not be dialled, the connection was down, or no acknowledgement came
	// back in time, for every attempt the retry policy allowed. For a publish
	// the outcome is unknown (the message may have been stored and only the
	// ack lost); publishing the same message id again is safe.
	ErrUnreachable = errors.New("jetstream: NATS unreachable")

	// ErrRejected means the server (or the client library enforcing a server
	// limit) refused the message definitively: sending it again unchanged
	// will be refused again, so it is never retried. The message was not
	// stored. The concrete error is a *RejectedError carrying the reason.
	ErrRejected = errors.New("jetstream: message rejected")

	// ErrInvalid means the caller passed something that cannot be published
	// or configured (an empty message id, a malformed subject, a reserved
	// header, an out-of-range setting). Nothing was sent.
	ErrInvalid = errors.New("jetstream: invalid argument")

	// ErrIncompatibleStream means a stream with the configured name exists
	// with settings JetStream cannot change in place (storage type,
	// retention, a mirror, a seal). The message says what differs and what
	// an operator can do about it.
	ErrIncompatibleStream = errors.New("jetstream: incompatible existing stream")

	// ErrNotFound means the stream or subject asked for holds no message.
	ErrNotFound = errors.New("jetstream: not found")
)

// RejectedError is the definitive refusal of a message. It matches ErrRejected
// with errors.Is and unwraps to the underlying library error.
type RejectedError struct {
	// Subject is the full subject the message was published to.
	Subject string
	// Code is the HTTP-like status JetStream gave (400, 404, 500...), or 0
	// when the refusal came from the client enforcing a server limit.
	Code int
	// ErrorCode is JetStream's own error code (10054 for a message over the
	// stream's size limit, for example), or 0.
	ErrorCode uint16
	// Reason is the server's description, as it gave it.
	Reason string
	// Err is the library error it came from.
	Err error
}

// Error implements error.
func (e *RejectedError) Error() string {
	if e.ErrorCode != 0 {
		return fmt.Sprintf("jetstream: publish to %s rejected by the server: %s (code %d, err_code %d)",
			e.Subject, e.Reason, e.Code, e.ErrorCode)
	}
	return fmt.Sprintf("jetstream: publish to %s rejected: %s", e.Subject, e.Reason)
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// Unwrap returns the library error.
func (e *RejectedError) Unwrap() error { return e.Err }

// UnreachableError reports a publish that got no acknowledgement after every
// attempt the retry policy allowed. It matches ErrUnreachable with errors.Is
// and unwraps to the last attempt's error.
type UnreachableError struct {
	// Subject is the full subject of the message.
	Subject string
	// MsgID is the message id; publishing it again is safe.
	MsgID string
	// Attempts is how many times the message was sent.
	Attempts int
	// Elapsed is the time from the first attempt to giving up.
	Elapsed time.Duration
	// Last is the error of the last attempt.
	Last error
}

// Error implements error.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("jetstream: NATS unreachable: publish %s (msg id %s) got no ack after %d attempts over %s: %v"+
		" — is nats-server running and JetStream enabled? the message may or may not be stored; publishing the same msg id again is safe",
		e.Subject, e.MsgID, e.Attempts, e.Elapsed.Round(time.Millisecond), e.Last)
}

// Is makes errors.Is(err, ErrUnreachable) true.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// Unwrap returns the last attempt's error.
func (e *UnreachableError) Unwrap() error { return e.Last }
