package signals

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
)

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

func TestSignVerify(t *testing.T) {
	kp, pub := mustUser(t)
	other, otherPub := mustUser(t)
	signed := func() Event {
		ev := sampleEvent(t)
		if err := Sign(&ev, kp); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	ev := signed()
	if !strings.HasPrefix(ev.Signature.Key, "U") || ev.Signature.Key != pub {
		t.Fatalf("signature key=%q, want %q", ev.Signature.Key, pub)
	}
	if err := Verify(ev, []string{otherPub, pub}); err != nil {
		t.Fatalf("Verify=%v", err)
	}
	// Through the wire: marshal, strict unmarshal, verify.
	b, err := MarshalEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(back, []string{pub}); err != nil {
		t.Fatalf("Verify after a round trip=%v", err)
	}

	// decode is a lenient decoder, as an attacker's consumer might use,
	// so that tampering reaches Verify instead of UnmarshalEvent.
	decode := func(s string) Event {
		var e Event
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	var otherSigned Event = signed()
	if err := Sign(&otherSigned, other); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ev      func() Event
		trusted []string
		want    error
	}{
		{"unsigned", func() Event { e := signed(); e.Signature = nil; return e }, []string{pub}, ErrUnsigned},
		{"a changed number", func() Event { e := signed(); e.Score = e.Score / 2; return e }, []string{pub}, ErrBadSignature},
		{"a changed sector", func() Event {
			e := signed()
			s := e.RelativeStrength.Sectors["XLK"]
			s.Return += 1e-9
			e.RelativeStrength.Sectors["XLK"] = s
			return e
		}, []string{pub}, ErrBadSignature},
		{"a renamed sector", func() Event {
			e := signed()
			e.RelativeStrength.Sectors["XLZ"] = e.RelativeStrength.Sectors["XLK"]
			delete(e.RelativeStrength.Sectors, "XLK")
			return e
		}, []string{pub}, ErrBadSignature},
		{"a removed field", func() Event {
			return decode(strings.Replace(string(b), `"low_date":"`+ev.Microcap.LowDate+`",`, ``, 1))
		}, []string{pub}, ErrBadSignature},
		{"an untrusted key", func() Event { return otherSigned }, []string{pub}, ErrUntrustedKey},
		{"another key's signature under a trusted key", func() Event {
			e := signed()
			e.Signature.Sig = otherSigned.Signature.Sig
			return e
		}, []string{pub}, ErrBadSignature},
		{"a trusted key on another key's signature", func() Event {
			e := otherSigned
			sig := *e.Signature
			sig.Key = pub
			e.Signature = &sig
			return e
		}, []string{pub}, ErrBadSignature},
		{"garbage signature", func() Event { e := signed(); e.Signature.Sig = "!!"; return e }, []string{pub}, ErrBadSignature},
		{"no trusted keys", signed, nil, ErrUntrustedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev()
			if err := Verify(ev, tt.trusted); !errors.Is(err, tt.want) {
				t.Fatalf("Verify=%v, want %v", err, tt.want)
			}
			// Off the wire, UnmarshalVerified gives the same verdict, or
			// UnmarshalEvent's error when the change broke the event.
			data, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := UnmarshalVerified(data, tt.trusted)
			if _, derr := UnmarshalEvent(data); derr != nil {
				if err == nil || err.Error() != derr.Error() {
					t.Fatalf("UnmarshalVerified=%v, want UnmarshalEvent's %v", err, derr)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("UnmarshalVerified=%v, want %v", err, tt.want)
			}
			if again, _ := json.Marshal(got); string(again) != string(data) {
				t.Fatal("UnmarshalVerified's error came without the decoded event")
			}
		})
	}
}

// TestUnmarshalVerifiedSignsWhatSigningBytesSigns holds the signed bytes cut
// from the canonical JSON to SigningBytes over a week of events, and checks
// that spaced-out JSON (canonical once compacted) verifies too.
func TestUnmarshalVerifiedSignsWhatSigningBytesSigns(t *testing.T) {
	kp, pub := mustUser(t)
	evs, err := Replay(genUniverse(), DefaultConfig(), date(2023, 6, 1), date(2023, 6, 9))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if err := Sign(&ev, kp); err != nil {
			t.Fatal(err)
		}
		canonical, err := MarshalEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		want, err := SigningBytes(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := signingBytesOf(ev, canonical)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s: signingBytesOf=%.60q…, %v; want SigningBytes' %.60q…", ev.AsOf, got, err, want)
		}
		if again, _ := MarshalEvent(ev); string(again) != string(canonical) {
			t.Fatalf("%s: signingBytesOf changed the canonical JSON it was given", ev.AsOf)
		}
		// JSON that does not end in the signature is encoded afresh.
		if got, err := signingBytesOf(ev, want); err != nil || string(got) != string(want) {
			t.Fatalf("%s: signingBytesOf without the signature's tail=%.60q…, %v", ev.AsOf, got, err)
		}
		var spaced bytes.Buffer
		if err := json.Indent(&spaced, canonical, "", "  "); err != nil {
			t.Fatal(err)
		}
		for _, data := range [][]byte{canonical, spaced.Bytes()} {
			back, err := UnmarshalVerified(data, []string{pub})
			if err != nil || back.ID != ev.ID {
				t.Fatalf("%s: UnmarshalVerified=%v, id %q", ev.AsOf, err, back.ID)
			}
		}
	}
}

func TestSignNeedsUserKey(t *testing.T) {
	acct, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	ev := sampleEvent(t)
	if err := Sign(&ev, acct); err == nil {
		t.Fatalf("Sign with an account key: no error")
	}
	ev.Score = 2
	kp, _ := mustUser(t)
	if err := Sign(&ev, kp); err == nil || ev.Signature != nil {
		t.Fatalf("Sign of an invalid event=%v, signature %v; want an error and no signature", err, ev.Signature)
	}
}
