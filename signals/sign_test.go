package signals

import (
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
			if err := Verify(tt.ev(), tt.trusted); !errors.Is(err, tt.want) {
				t.Fatalf("Verify=%v, want %v", err, tt.want)
			}
		})
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
