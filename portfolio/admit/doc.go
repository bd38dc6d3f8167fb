// Package admit is the portfolio service's gate for signal events: it
// takes the raw bytes of one message from the stream and either returns
// the event, decoded, validated and verified, or rejects it with a stable
// Reason and a sentence naming what was wrong, for the audit log.
//
// Nothing from the stream is trusted until Admit says so. The checks run
// cheapest and least trusting first, and the first that fails decides:
//
//  1. too_large: more than Policy.MaxSize bytes (1 MiB; a real event is a
//     few kilobytes), before anything parses it.
//  2. malformed: not one JSON value in UTF-8 (empty, truncated, trailing
//     data, NaN), or an event in a form other than the canonical one the
//     worker writes, which its signature would not cover reliably.
//  3. schema: valid JSON that is not a rotor.leadership.v1 event: not an
//     object, an unknown, missing or mistyped field, or a field failing
//     signals' Event.Validate (numbers not finite or out of range, derived
//     numbers that do not match the ones they come from).
//  4. signature: unsigned, a signature that does not cover the content, or
//     a signer not in Policy.Trusted (empty trusts nobody).
//  5. unknown_symbol: a benchmark, micro-cap or sector outside rotor's
//     universe (Benchmarks, Microcaps, IsSectorFund). A trusted worker
//     with a bad configuration must not steer the book.
//  6. future, stale: the close of the as_of day (16:00 New York, see
//     EventTime) is more than Policy.ClockSkew ahead of now, or more than
//     Policy.MaxAge behind it (risk's MaxEventAge by default, so an
//     admitted event is not already stale to risk).
//
// Validation comes before the signature because signals decodes and
// validates in one step (UnmarshalEvent); neither needs the signer's trust
// to run safely, and both bound what Verify is handed.
//
// The package is pure: no I/O and no clock (now is passed in).
package admit
