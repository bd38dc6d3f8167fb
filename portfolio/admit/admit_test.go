package admit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/rotor-trading/rotor/risk"
	"github.com/rotor-trading/rotor/signals"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func mustUser(tb testing.TB) (nkeys.KeyPair, string) {
	tb.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		tb.Fatal(err)
	}
	return kp, pub
}

// fixture is a real event, computed by signals.Replay from generated data
// with a leadership episode and signed by a worker key the policy trusts.
type fixture struct {
	kp, other     nkeys.KeyPair
	pub, otherPub string
	ev            signals.Event // signed
	data          []byte        // ev on the wire
	policy        Policy
	close         time.Time // 2023-06-09 16:00 New York, the event's close
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{}
	f.kp, f.pub = mustUser(tb)
	f.other, f.otherPub = mustUser(tb)
	series := marketdata.Generate(marketdata.GenConfig{Seed: 7, Start: date(2020, 1, 2), End: date(2023, 6, 30),
		Leadership: &marketdata.Episode{Start: date(2023, 3, 1), End: date(2023, 9, 1)}})
	evs, err := signals.Replay(series, signals.DefaultConfig(), date(2023, 6, 1), date(2023, 6, 9))
	if err != nil {
		tb.Fatalf("Replay: %v", err)
	}
	f.ev = evs[len(evs)-1]
	if got, want := f.ev.AsOf, "2023-06-09"; got != want {
		tb.Fatalf("fixture as_of=%s, want %s", got, want)
	}
	if err := signals.Sign(&f.ev, f.kp); err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	if f.data, err = signals.MarshalEvent(f.ev); err != nil {
		tb.Fatalf("MarshalEvent: %v", err)
	}
	f.policy = Policy{Trusted: []string{f.otherPub + "X", f.pub}}
	f.close = time.Date(2023, 6, 9, 16, 0, 0, 0, mustLoad(tb, "America/New_York"))
	return f
}

// clone returns a deep copy of the signed event.
func (f *fixture) clone(tb testing.TB) signals.Event {
	tb.Helper()
	ev, err := signals.UnmarshalEvent(f.data)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// wire is ev as the worker would publish it, without validating it, so
// that an event a buggy or compromised worker signed can be built.
func wire(tb testing.TB, ev signals.Event) []byte {
	tb.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// resigned applies change to a copy of the event and signs the result
// with the trusted key without validating it (as signals.Sign would), so
// that only Admit's own checks can catch the change.
func (f *fixture) resigned(tb testing.TB, change func(*signals.Event)) []byte {
	tb.Helper()
	ev := f.clone(tb)
	change(&ev)
	ev.Signature = nil
	msg, err := signals.SigningBytes(ev)
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := f.kp.Sign(msg)
	if err != nil {
		tb.Fatal(err)
	}
	ev.Signature = &signals.Signature{Key: f.pub, Sig: base64.StdEncoding.EncodeToString(sig)}
	return wire(tb, ev)
}

// signedBy applies change to a copy of the event and signs it with
// signals.Sign, which validates it first.
func (f *fixture) signedBy(tb testing.TB, kp nkeys.KeyPair, change func(*signals.Event)) []byte {
	tb.Helper()
	ev := f.clone(tb)
	change(&ev)
	if err := signals.Sign(&ev, kp); err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return wire(tb, ev)
}

// replaceOnce replaces the one occurrence of old in data; a corpus case
// whose edit does not apply fails instead of testing the valid event.
func replaceOnce(tb testing.TB, data []byte, old, new string) []byte {
	tb.Helper()
	if n := bytes.Count(data, []byte(old)); n != 1 {
		tb.Fatalf("%q occurs %d times in the event, want once", old, n)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

var scoreRE = regexp.MustCompile(`,"score":([-0-9.e+]+),`)

// score returns the text of the event's score value.
func score(tb testing.TB, data []byte) string {
	tb.Helper()
	m := scoreRE.FindSubmatch(data)
	if m == nil {
		tb.Fatal("no score in the event")
	}
	return string(m[1])
}

// respell writes the same number another way: 0.25 as 0.250, 1 as 1.0.
func respell(num string) string {
	if strings.ContainsAny(num, ".e") {
		return num + "0"
	}
	return num + ".0"
}

// rename replaces the symbol from by to wherever the event names it,
// keeping its lists sorted, so that the event stays valid.
func rename(ev *signals.Event, from, to string) {
	swap := func(s *string) {
		if *s == from {
			*s = to
		}
	}
	cfg := &ev.Inputs.Config
	swap(&cfg.Benchmark)
	swap(&cfg.Microcap)
	for i := range cfg.Sectors {
		swap(&cfg.Sectors[i])
	}
	slices.Sort(cfg.Sectors)
	rs := &ev.RelativeStrength
	swap(&rs.Benchmark)
	if v, ok := rs.Sectors[from]; ok {
		delete(rs.Sectors, from)
		rs.Sectors[to] = v
	}
	for i := range rs.Missing {
		swap(&rs.Missing[i])
	}
	slices.Sort(rs.Missing)
	swap(&ev.Microcap.Symbol)
	if v, ok := ev.Inputs.Symbols[from]; ok {
		delete(ev.Inputs.Symbols, from)
		ev.Inputs.Symbols[to] = v
	}
}

type hostileCase struct {
	name   string
	data   []byte
	policy *Policy       // nil: the fixture's
	after  time.Duration // now = the event's close + after; 0 means 1h
	want   Reason        // "" means admitted
	detail string        // a substring of the Detail
}

// hostileCorpus is every way the tests know of to get a message wrong,
// each one edit away from an event that is admitted, and the valid events
// themselves.
func hostileCorpus(tb testing.TB, f *fixture) []hostileCase {
	tb.Helper()
	d := f.data
	sc := score(tb, d)
	nobody := Policy{}
	indented := new(bytes.Buffer)
	if err := json.Indent(indented, d, "", "  "); err != nil {
		tb.Fatal(err)
	}
	return []hostileCase{
		// Admitted.
		{name: "valid", data: d},
		{name: "valid, indented", data: indented.Bytes()},
		{name: "valid, trailing newline", data: append(slices.Clone(d), '\n')},
		{name: "exactly MaxAge after the close", data: d, after: 36 * time.Hour},
		{name: "exactly ClockSkew before the close", data: d, after: -5 * time.Minute},

		// Size.
		{"2 MiB (a valid event padded with spaces)", append(slices.Clone(d), bytes.Repeat([]byte(" "), 2<<20)...), nil, 0,
			ReasonTooLarge, "over the limit of 1048576"},
		{"over a smaller MaxSize", d, &Policy{Trusted: f.policy.Trusted, MaxSize: len(d) - 1}, 0,
			ReasonTooLarge, "over the limit of"},

		// JSON.
		{"empty", nil, nil, 0, ReasonMalformed, "empty"},
		{"only space", []byte(" \n\t"), nil, 0, ReasonMalformed, "empty"},
		{"truncated", d[:len(d)/2], nil, 0, ReasonMalformed, "unexpected end of JSON input"},
		{"trailing garbage", append(slices.Clone(d), "garbage"...), nil, 0, ReasonMalformed, "after top-level value"},
		{"two events", append(slices.Clone(d), d...), nil, 0, ReasonMalformed, "after top-level value"},
		{"not UTF-8", replaceOnce(tb, d, `"as_of":"2023-06-09"`, "\"as_of\":\"2023-06-\xff9\""), nil, 0,
			ReasonMalformed, `UTF-8 at byte`},
		{"bad JSON", replaceOnce(tb, d, `,"score":`, `,"score"=`), nil, 0, ReasonMalformed, `"score"`},
		{"NaN literal", replaceOnce(tb, d, `,"score":`+sc+`,`, `,"score":NaN,`), nil, 0, ReasonMalformed, `"score":`},
		{"a field's number spelt differently", replaceOnce(tb, d, `,"score":`+sc+`,`, `,"score":`+respell(sc)+`,`), nil, 0,
			ReasonMalformed, "canonical"},
		{"a key given twice", replaceOnce(tb, d, `{"schema":`, `{"as_of":"2023-06-09","schema":`), nil, 0,
			ReasonMalformed, "canonical"},

		// Schema.
		{"null", []byte("null"), nil, 0, ReasonSchema, "null"},
		{"an array", []byte(`[` + string(d) + `]`), nil, 0, ReasonSchema, "an array"},
		{"a string", []byte(`"event"`), nil, 0, ReasonSchema, "a string"},
		{"empty object", []byte(`{}`), nil, 0, ReasonSchema, "missing field"},
		{"wrong schema, signed", f.resigned(tb, func(e *signals.Event) { e.Schema = "rotor.leadership.v2" }), nil, 0,
			ReasonSchema, "schema"},
		{"missing schema", replaceOnce(tb, d, `"schema":"rotor.leadership.v1",`, ``), nil, 0,
			ReasonSchema, "schema: missing field"},
		{"unknown extra field", replaceOnce(tb, d, `{"schema":`, `{"extra":1,"schema":`), nil, 0,
			ReasonSchema, "extra: unknown field"},
		{"unknown nested field", replaceOnce(tb, d, `"microcap":{"symbol"`, `"microcap":{"bogus":true,"symbol"`), nil, 0,
			ReasonSchema, "microcap.bogus: unknown field"},
		{"field name in another case", replaceOnce(tb, d, `,"score":`, `,"Score":`), nil, 0,
			ReasonSchema, "Score: unknown field"},
		{"missing field", replaceOnce(tb, d, `,"score":`+sc+`,`, `,`), nil, 0, ReasonSchema, "score: missing field"},
		{"wrong type", replaceOnce(tb, d, `,"score":`+sc+`,`, `,"score":"`+sc+`",`), nil, 0, ReasonSchema, "score"},
		{"null where an object is wanted", regexp.MustCompile(`"score_parts":\{[^}]*\}`).ReplaceAll(d, []byte(`"score_parts":null`)), nil, 0,
			ReasonSchema, "score_parts: null where an object is wanted"},
		{"no sectors, signed", f.resigned(tb, func(e *signals.Event) { e.Inputs.Config.Sectors = nil }), nil, 0,
			ReasonSchema, "inputs.config"},
		{"number beyond float64 (1e999)", replaceOnce(tb, d, `,"score":`+sc+`,`, `,"score":1e999,`), nil, 0,
			ReasonSchema, "score"},
		{"huge score (1e308), signed", f.resigned(tb, func(e *signals.Event) { e.Score = 1e308 }), nil, 0,
			ReasonSchema, "score"},
		{"negative micro-cap low, signed", f.resigned(tb, func(e *signals.Event) { e.Microcap.Low = -1 }), nil, 0,
			ReasonSchema, "microcap.low"},
		{"negative sectors_total, signed", f.resigned(tb, func(e *signals.Event) { e.RelativeStrength.SectorsTotal = -1 }), nil, 0,
			ReasonSchema, "relative_strength.sectors_total"},
		{"benchmark return below -100%, signed", f.resigned(tb, func(e *signals.Event) { e.RelativeStrength.BenchmarkReturn = -2 }), nil, 0,
			ReasonSchema, "relative_strength.benchmark_return"},
		{"inconsistent spread, signed", f.resigned(tb, func(e *signals.Event) {
			s := e.RelativeStrength.Sectors["XLK"]
			s.Spread += 0.01
			e.RelativeStrength.Sectors["XLK"] = s
		}), nil, 0, ReasonSchema, "relative_strength.sectors.XLK.spread"},

		// Signature.
		{"unsigned", wire(tb, func() signals.Event { e := f.clone(tb); e.Signature = nil; return e }()), nil, 0,
			ReasonSignature, "not signed"},
		// A bar count is covered by the signature but by no rule of
		// Validate, so only the signature can catch the change.
		{"tampered after signing", wire(tb, func() signals.Event {
			e := f.clone(tb)
			in := e.Inputs.Symbols["IWM"]
			in.Bars++
			e.Inputs.Symbols["IWM"] = in
			return e
		}()), nil, 0, ReasonSignature, "signature.sig"},
		{"signed by an untrusted key", f.signedBy(tb, f.other, func(*signals.Event) {}), nil, 0, ReasonSignature, f.otherPub},
		{"a policy that trusts nobody", d, &nobody, 0, ReasonSignature, "no signer is trusted"},

		// Symbols: renamed consistently and signed with signals.Sign,
		// which validates, so Validate does not catch them.
		{"unknown sector", f.signedBy(tb, f.kp, func(e *signals.Event) { rename(e, "XLK", "XXX") }), nil, 0,
			ReasonUnknownSymbol, `inputs.config.sectors: "XXX"`},
		{"unknown benchmark", f.signedBy(tb, f.kp, func(e *signals.Event) { rename(e, "IWM", "SPY") }), nil, 0,
			ReasonUnknownSymbol, `inputs.config.benchmark: "SPY"`},
		{"unknown micro-cap", f.signedBy(tb, f.kp, func(e *signals.Event) { rename(e, "IWC", "IWO") }), nil, 0,
			ReasonUnknownSymbol, `inputs.config.microcap: "IWO"`},

		// Time.
		{"as_of in the future", d, nil, -time.Hour, ReasonFuture, "as_of 2023-06-09"},
		{"just beyond the clock skew", d, nil, -5*time.Minute - time.Second, ReasonFuture, "clock skew of 5m0s"},
		{"as_of stale", d, nil, 36*time.Hour + time.Second, ReasonStale, "as_of 2023-06-09"},
		{"a week old", d, nil, 7 * 24 * time.Hour, ReasonStale, "maximum age of 36h0m0s"},
	}
}

func TestAdmitHostileCorpus(t *testing.T) {
	f := newFixture(t)
	for _, tt := range hostileCorpus(t, f) {
		t.Run(tt.name, func(t *testing.T) {
			p := f.policy
			if tt.policy != nil {
				p = *tt.policy
			}
			after := tt.after
			if after == 0 {
				after = time.Hour
			}
			ev, err := Admit(tt.data, p, f.close.Add(after))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Admit=%v, want the event admitted", err)
				}
				if got, want := ev.ID, f.ev.ID; got != want {
					t.Fatalf("admitted event id=%s, want %s", got, want)
				}
				return
			}
			t.Log(err)
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("Admit=%v (%T), want an *Error with reason %s", err, err, tt.want)
			}
			if got, want := ae.Reason, tt.want; got != want {
				t.Fatalf("reason=%s, want %s; error: %v", got, want, err)
			}
			if !strings.Contains(ae.Detail, tt.detail) {
				t.Fatalf("detail %q does not contain %q", ae.Detail, tt.detail)
			}
			if ev.ID != "" || ev.Signature != nil {
				t.Fatalf("a rejected event is returned: %+v", ev)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	f := newFixture(t)
	_, err := Admit(f.signedBy(t, f.other, func(*signals.Event) {}), f.policy, f.close)
	if got, want := err.Error(), "admit: signature: signature.key: "+f.otherPub+" is not a trusted signal worker key"; got != want {
		t.Fatalf("Error()=%q, want %q", got, want)
	}
	if !errors.Is(err, signals.ErrUntrustedKey) {
		t.Fatalf("errors.Is(%v, signals.ErrUntrustedKey)=false", err)
	}
	_, err = Admit(wire(t, func() signals.Event { e := f.clone(t); e.Signature = nil; return e }()), f.policy, f.close)
	if !errors.Is(err, signals.ErrUnsigned) {
		t.Fatalf("errors.Is(%v, signals.ErrUnsigned)=false", err)
	}
	// A detail quoting what the sender wrote is bounded.
	long := strings.Repeat("x", 10000)
	_, err = Admit(replaceOnce(t, f.data, `{"schema":`, `{"`+long+`":1,"schema":`), f.policy, f.close)
	var ae *Error
	if !errors.As(err, &ae) || ae.Reason != ReasonSchema || len(ae.Detail) > maxDetail+len("…") {
		t.Fatalf("Admit with a 10000-byte field name=%v", err)
	}
}

func TestEventTime(t *testing.T) {
	ny, chicago := mustLoad(t, "America/New_York"), mustLoad(t, "America/Chicago")
	tests := []struct {
		asOf string
		loc  *time.Location
		want time.Time
	}{
		{"2023-06-09", nil, time.Date(2023, 6, 9, 20, 0, 0, 0, time.UTC)},  // EDT
		{"2023-12-08", nil, time.Date(2023, 12, 8, 21, 0, 0, 0, time.UTC)}, // EST
		{"2023-06-09", ny, time.Date(2023, 6, 9, 20, 0, 0, 0, time.UTC)},
		{"2023-06-09", chicago, time.Date(2023, 6, 9, 21, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := EventTime(signals.Event{AsOf: tt.asOf}, tt.loc)
		if err != nil || !got.Equal(tt.want) {
			t.Fatalf("EventTime(%s, %v)=%v, %v; want %v", tt.asOf, tt.loc, got, err, tt.want)
		}
	}
	if _, err := EventTime(signals.Event{AsOf: "2023-6-9"}, nil); err == nil {
		t.Fatal("EventTime(2023-6-9) succeeded, want an error")
	}
}

func TestDefaultMaxAgeIsRisks(t *testing.T) {
	if got, want := (Policy{}).withDefaults().MaxAge, risk.DefaultLimits().MaxEventAge; got != want {
		t.Fatalf("default MaxAge=%v, want risk's MaxEventAge %v", got, want)
	}
	f := newFixture(t)
	p := f.policy
	p.MaxAge = time.Hour
	if _, err := Admit(f.data, p, f.close.Add(time.Hour)); err != nil {
		t.Fatalf("Admit at MaxAge 1h=%v", err)
	}
	if _, err := Admit(f.data, p, f.close.Add(time.Hour+time.Nanosecond)); err == nil {
		t.Fatal("Admit a nanosecond past MaxAge 1h succeeded")
	}
}

func TestUniverse(t *testing.T) {
	for _, s := range append(append(Benchmarks(), Microcaps()...), signals.DefaultSectors()...) {
		if !InUniverse(s) {
			t.Errorf("InUniverse(%s)=false", s)
		}
	}
	for _, s := range []string{"SPY", "IWO", "XXX", "", "iwm", "ES"} {
		if InUniverse(s) {
			t.Errorf("InUniverse(%q)=true", s)
		}
	}
	// Every default sector has a future, or the default event would be
	// rejected.
	for _, s := range signals.DefaultSectors() {
		if !IsSectorFund(s) {
			t.Errorf("IsSectorFund(%s)=false", s)
		}
	}
}

func TestReasonKnown(t *testing.T) {
	for _, r := range []Reason{ReasonTooLarge, ReasonMalformed, ReasonSchema, ReasonSignature,
		ReasonUnknownSymbol, ReasonFuture, ReasonStale} {
		if !r.Known() {
			t.Errorf("%s.Known()=false", r)
		}
	}
	if Reason("").Known() || Reason("other").Known() {
		t.Error("an unknown reason is Known")
	}
}

// FuzzAdmit holds Admit to its contract on any bytes: it never panics,
// every rejection is an *Error with a known reason and a detail, and what
// it admits is a valid event signed by the trusted key.
func FuzzAdmit(f *testing.F) {
	fx := newFixture(f)
	for _, c := range hostileCorpus(f, fx) {
		f.Add(c.data)
	}
	now := fx.close.Add(time.Hour)
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Admit(data, fx.policy, now)
		if err != nil {
			ae, ok := err.(*Error)
			if !ok {
				t.Fatalf("Admit=%v (%T), want an *Error", err, err)
			}
			if !ae.Reason.Known() || ae.Detail == "" {
				t.Fatalf("Admit=%#v, want a known reason and a detail", ae)
			}
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("admitted an invalid event: %v", err)
		}
		if err := signals.Verify(ev, []string{fx.pub}); err != nil {
			t.Fatalf("admitted an event not signed by the trusted key: %v", err)
		}
	})
}
