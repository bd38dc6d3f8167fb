package admit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rotor-trading/rotor/signals"
)

// Reason is the stable code of a rejection: the audit log stores it, the
// review tools match on it and the metrics count by it, so a reason is
// never renamed or removed, only added.
type Reason string

// The rejection reasons, in the order Admit checks for them.
const (
	// ReasonTooLarge: the message is over Policy.MaxSize bytes.
	ReasonTooLarge Reason = "too_large"
	// ReasonMalformed: the message is not JSON (empty, truncated, not
	// UTF-8, trailing data) or not in the canonical form the signal
	// worker writes (fields reordered, numbers spelt differently, a key
	// given twice), which a signature would not cover reliably.
	ReasonMalformed Reason = "malformed"
	// ReasonSchema: the JSON is not a rotor.leadership.v1 event: not an
	// object, a wrong or missing schema, an unknown or missing field, a
	// value of the wrong type, or a field failing Event.Validate (a number
	// that is not finite or out of range, a derived number inconsistent
	// with the ones it comes from).
	ReasonSchema Reason = "schema"
	// ReasonSignature: the event is unsigned, its signature does not
	// cover its content, or it is signed by a key not in Policy.Trusted.
	ReasonSignature Reason = "signature"
	// ReasonUnknownSymbol: a symbol of the event is outside rotor's
	// universe (see Benchmarks, Microcaps, IsSectorFund).
	ReasonUnknownSymbol Reason = "unknown_symbol"
	// ReasonFuture: the close of the event's as_of day is later than now
	// plus Policy.ClockSkew.
	ReasonFuture Reason = "future"
	// ReasonStale: the close of the event's as_of day is more than
	// Policy.MaxAge before now.
	ReasonStale Reason = "stale"
)

// Known reports whether r is one of the reasons above.
func (r Reason) Known() bool {
	switch r {
	case ReasonTooLarge, ReasonMalformed, ReasonSchema, ReasonSignature,
		ReasonUnknownSymbol, ReasonFuture, ReasonStale:
		return true
	}
	return false
}

// String returns the reason as the audit log stores it.
func (r Reason) String() string { return string(r) }

// Error is a rejection: the reason code and a sentence naming the field
// or value that was wrong. Err, when set, is the underlying error (one of
// signals' Verify errors, or its decoding or validation error), so
// errors.Is(err, signals.ErrUntrustedKey) works through it.
type Error struct {
	Reason Reason
	Detail string
	Err    error
}

// Error returns "admit: <reason>: <detail>".
func (e *Error) Error() string { return "admit: " + string(e.Reason) + ": " + e.Detail }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// maxDetail bounds a Detail: it goes to the audit log, and much of what it
// quotes (field names, symbols, schema strings) comes from the sender.
const maxDetail = 400

// reject builds an *Error with a detail of at most maxDetail bytes.
func reject(r Reason, err error, format string, args ...any) *Error {
	return &Error{Reason: r, Detail: clip(fmt.Sprintf(format, args...), maxDetail), Err: err}
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// checkJSON rejects what is not one JSON object in UTF-8, so that a broken
// message is told apart from a well-formed one of the wrong shape.
func checkJSON(data []byte) *Error {
	if len(bytes.TrimSpace(data)) == 0 {
		return reject(ReasonMalformed, nil, "the message is empty")
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return reject(ReasonMalformed, nil, "the message is not valid UTF-8 at byte %d, just after %s", i, before(data, i))
	}
	if !json.Valid(data) {
		err := json.Unmarshal(data, new(json.RawMessage))
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off := int(min(max(se.Offset, 0), int64(len(data))))
			return reject(ReasonMalformed, err, "invalid JSON at byte %d, just after %s: %v", off, before(data, off), se)
		}
		return reject(ReasonMalformed, err, "invalid JSON: %v", err)
	}
	if kind := jsonKind(bytes.TrimSpace(data)[0]); kind != "an object" {
		return reject(ReasonSchema, nil, "the message is %s, not an event object", kind)
	}
	return nil
}

// before is up to 40 bytes of data before offset off, for a detail: in
// backquotes, with what is not printable escaped, and as valid UTF-8.
func before(data []byte, off int) string {
	lo := max(off-40, 0)
	for lo < off && !utf8.RuneStart(data[lo]) {
		lo++
	}
	var b strings.Builder
	b.WriteByte('`')
	for _, r := range strings.ToValidUTF8(string(data[lo:off]), "\ufffd") {
		if unicode.IsPrint(r) && r != '`' {
			b.WriteRune(r)
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	b.WriteByte('`')
	return b.String()
}

// jsonKind names the kind of JSON value that starts with byte c.
func jsonKind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// classify turns an error of signals.UnmarshalEvent on valid JSON into a
// rejection. UnmarshalEvent says only what failed first, so the message is
// looked at again, leniently, to name the field: a value of the wrong type,
// then a key that is unknown or missing, then Event.Validate (all
// ReasonSchema); what is left is a well-formed event in a form other than
// the canonical one (ReasonMalformed).
func classify(data []byte, err error) *Error {
	var ev signals.Event
	if uerr := json.Unmarshal(data, &ev); uerr != nil {
		var te *json.UnmarshalTypeError
		if errors.As(uerr, &te) {
			field := te.Field
			if field == "" {
				field = "the event"
			}
			return reject(ReasonSchema, err, "%s: a JSON %s where %s is wanted", field, te.Value, te.Type)
		}
		return reject(ReasonMalformed, err, "%v", uerr)
	}
	if canon, merr := json.Marshal(ev); merr == nil {
		var got, want any
		if decodeNumbers(data, &got) == nil && decodeNumbers(canon, &want) == nil {
			if d := diffKeys(got, want, ""); d != "" {
				return reject(ReasonSchema, err, "%s", d)
			}
		}
	}
	if verr := ev.Validate(); verr != nil {
		return reject(ReasonSchema, err, "%s", strings.TrimPrefix(verr.Error(), "signals: event field "))
	}
	if errors.Is(err, signals.ErrNotCanonical) {
		return reject(ReasonMalformed, err, "the event is not in the canonical form (fields reordered, a key repeated, or a number spelt differently): %s",
			strings.TrimPrefix(err.Error(), signals.ErrNotCanonical.Error()+": "))
	}
	return reject(ReasonMalformed, err, "%s", strings.TrimPrefix(err.Error(), "signals: "))
}

func decodeNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// diffKeys compares the shape of the message (got) with the canonical
// encoding of what it decodes to (want), and names the first field that
// is unknown, missing, or of another kind (an object or array where the
// other has something else); "" when the shapes agree.
func diffKeys(got, want any, path string) string {
	at := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	name := func(p string) string {
		if p == "" {
			return "the event"
		}
		return clip(p, 80)
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %s where an object is wanted", name(path), kindOf(got))
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s: unknown field", name(at(k)))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if _, ok := g[k]; !ok {
				return fmt.Sprintf("%s: missing field", name(at(k)))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if d := diffKeys(g[k], w[k], at(k)); d != "" {
				return d
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: %s where an array is wanted", name(path), kindOf(got))
		}
		if len(g) == len(w) {
			for i := range w {
				if d := diffKeys(g[i], w[i], at(fmt.Sprint(i))); d != "" {
					return d
				}
			}
		}
	}
	return ""
}

// kindOf names the kind of a decoded JSON value.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}
