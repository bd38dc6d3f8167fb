package signals

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nkeys"
)

// Errors of Verify, for callers that must branch (the portfolio service
// refuses all three, but logs them differently).
var (
	// ErrUnsigned: the event has no signature.
	ErrUnsigned = errors.New("signals: event is not signed")
	// ErrUntrustedKey: the event is signed by a key not in the trusted list.
	ErrUntrustedKey = errors.New("signals: event is signed by an untrusted key")
	// ErrBadSignature: the signature does not match the event's content
	// (it was changed after signing, or the signature is malformed).
	ErrBadSignature = errors.New("signals: bad event signature")
)

// SigningBytes returns the bytes a signature covers: the canonical JSON of
// ev without its signature (see MarshalEvent for why it is canonical).
// Verify recomputes them from the decoded event, so any change to a field
// that survives decoding changes them.
func SigningBytes(ev Event) ([]byte, error) {
	ev.Signature = nil
	return marshalCanonical(ev)
}

// Sign validates ev and signs it with kp, which must be a user nkey (its
// public key starts with "U"; a worker holds the seed, "SU..."), setting
// ev.Signature. Any previous signature is replaced.
func Sign(ev *Event, kp nkeys.KeyPair) error {
	if kp == nil {
		return errors.New("signals: sign: no key pair")
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return fmt.Errorf("signals: sign: %w", err)
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		return fmt.Errorf("signals: sign: %s is not a user nkey (want a public key starting with U)", pub)
	}
	ev.Signature = nil
	if err := ev.Validate(); err != nil {
		return err
	}
	msg, err := SigningBytes(*ev)
	if err != nil {
		return err
	}
	sig, err := kp.Sign(msg)
	if err != nil {
		return fmt.Errorf("signals: sign: %w", err)
	}
	ev.Signature = &Signature{Key: pub, Sig: base64.StdEncoding.EncodeToString(sig)}
	return nil
}

// Verify checks that ev is signed by one of the trusted public user nkeys
// and that the signature covers its content: ErrUnsigned,
// ErrUntrustedKey or ErrBadSignature (wrapped, with detail) if not. It
// does not validate the event; UnmarshalEvent and Event.Validate do.
func Verify(ev Event, trusted []string) error {
	return verify(ev, trusted, func() ([]byte, error) { return SigningBytes(ev) })
}

// UnmarshalVerified is UnmarshalEvent then Verify in one pass: decoding
// proves the event's canonical JSON, and the signed bytes are cut from it
// rather than encoded again. An error of the decoding is UnmarshalEvent's;
// an error of the signature wraps ErrUnsigned, ErrUntrustedKey or
// ErrBadSignature, as Verify's do, and comes with the decoded event.
func UnmarshalVerified(data []byte, trusted []string) (Event, error) {
	ev, canonical, err := unmarshalCanonical(data)
	if err != nil {
		return Event{}, err
	}
	return ev, verify(ev, trusted, func() ([]byte, error) { return signingBytesOf(ev, canonical) })
}

// signingBytesOf returns SigningBytes(ev) given ev's canonical JSON.
// encoding/json writes struct fields in declaration order, and Signature,
// Event's last field, is the only one it omits when empty: so the JSON
// without the signature is the canonical JSON with its closing
// `,"signature":{…}}` replaced by "}". Should the canonical JSON not end
// that way (Event gained a field after Signature), the bytes are encoded
// afresh.
func signingBytesOf(ev Event, canonical []byte) ([]byte, error) {
	if ev.Signature == nil {
		return SigningBytes(ev)
	}
	sig, err := json.Marshal(ev.Signature)
	if err != nil {
		return nil, fmt.Errorf("signals: marshal the signature: %w", err)
	}
	suffix := append(append([]byte(`,"signature":`), sig...), '}')
	if !bytes.HasSuffix(canonical, suffix) {
		return SigningBytes(ev)
	}
	n := len(canonical) - len(suffix)
	return append(canonical[:n:n], '}'), nil
}

// verify is Verify with the signed bytes from signed, which is called only
// once the signature's key and encoding have been checked.
func verify(ev Event, trusted []string, signed func() ([]byte, error)) error {
	sig := ev.Signature
	if sig == nil {
		return ErrUnsigned
	}
	if !slices.Contains(trusted, sig.Key) {
		return fmt.Errorf("%w: %s", ErrUntrustedKey, sig.Key)
	}
	kp, err := nkeys.FromPublicKey(sig.Key)
	if err != nil || !nkeys.IsValidPublicUserKey(sig.Key) {
		return fmt.Errorf("%w: key %s is not a public user nkey", ErrBadSignature, sig.Key)
	}
	raw, err := base64.StdEncoding.DecodeString(sig.Sig)
	if err != nil {
		return fmt.Errorf("%w: sig is not standard base64: %v", ErrBadSignature, err)
	}
	msg, err := signed()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if err := kp.Verify(msg, raw); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}
