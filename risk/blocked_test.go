package risk

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

const rtyMismatch = "the account holds 7 RTYH6, the audit log expects 5"

func TestInstrumentBlocked(t *testing.T) {
	tests := []struct {
		name   string
		pos    []broker.Position
		orders []broker.OrderRequest
		want   map[string]int64 // approved by ref
	}{
		{"adding order in the blocked root", nil,
			[]broker.OrderRequest{buy("add", rtyH, 2)},
			map[string]int64{"add": 0}},
		{"reducing order in the blocked root", []broker.Position{hold(rtyH, 5)},
			[]broker.OrderRequest{sell("cut", rtyH, 3)},
			map[string]int64{"cut": 0}},
		{"flattening order in the blocked root", []broker.Position{hold(rtyH, 5)},
			[]broker.OrderRequest{sell("flat", rtyH, 5)},
			map[string]int64{"flat": 0}},
		{"another expiry of the blocked root", []broker.Position{hold(rtyM, -2)},
			[]broker.OrderRequest{buy("cut", rtyM, 2)},
			map[string]int64{"cut": 0}},
		{"other roots are unaffected", []broker.Position{hold(rtyH, 5), hold(esH, 1)},
			[]broker.OrderRequest{sell("rty", rtyH, 5), buy("m2k", m2kH, 3), sell("es", esH, 1)},
			map[string]int64{"rty": 0, "m2k": 3, "es": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Blocked = map[string]string{"RTY": rtyMismatch}
			in.Positions = tt.pos
			in.Orders = tt.orders
			d := Check(in)
			for ref, want := range tt.want {
				o := order(t, d, ref)
				if got := o.Approved; got != want {
					t.Fatalf("order %s approved %d, want %d; verdicts: %+v", ref, got, want, o.Verdicts)
				}
				if o.Order.Contract.Symbol != "RTY" {
					if _, ok := verdict(o.Verdicts, CodeInstrumentBlocked); ok {
						t.Fatalf("order %s in %s got %s: %+v", ref, o.Order.Contract.Symbol, CodeInstrumentBlocked, o.Verdicts)
					}
					continue
				}
				if got, want := codes(o.Verdicts), string(CodeInstrumentBlocked); got != want {
					t.Fatalf("order %s verdicts %s, want only %s", ref, got, want)
				}
				if got, want := o.Action, ActionReject; got != want {
					t.Fatalf("order %s action %s, want %s", ref, got, want)
				}
			}
		})
	}
}

func TestInstrumentBlockedVerdictText(t *testing.T) {
	in := baseInput(t)
	in.Blocked = map[string]string{"RTY": rtyMismatch}
	in.Positions = []broker.Position{hold(rtyH, 5)}
	in.Orders = []broker.OrderRequest{sell("cut", rtyH, 3)}
	d := Check(in)
	v, ok := verdict(order(t, d, "cut").Verdicts, CodeInstrumentBlocked)
	if !ok {
		t.Fatalf("no %s verdict: %+v", CodeInstrumentBlocked, d.Verdicts)
	}
	for _, want := range []string{"RTY", rtyMismatch, "rotor risk ack", "SELL RTYH6 order of 3 contracts rejected"} {
		if !strings.Contains(v.Message, want) {
			t.Fatalf("verdict %q does not contain %q", v.Message, want)
		}
	}
	if got, want := v.OrderRef, "cut"; got != want {
		t.Fatalf("verdict OrderRef=%q, want %q", got, want)
	}
	// The code survives the audit log's JSON.
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal verdict: %v", err)
	}
	if !strings.Contains(string(b), `"INSTRUMENT_BLOCKED"`) {
		t.Fatalf("verdict JSON %s lacks the code", b)
	}

	// A blank reason still gives a sentence.
	in.Blocked = map[string]string{"RTY": " "}
	v, _ = verdict(order(t, Check(in), "cut").Verdicts, CodeInstrumentBlocked)
	if !strings.Contains(v.Message, "RTY is blocked: no reason recorded") {
		t.Fatalf("verdict %q with a blank reason", v.Message)
	}
}

func TestInstrumentBlockedFreesNoRoom(t *testing.T) {
	// Leverage limits of 3 on $1,000,000: long 30 RTY ($3,000,000) is at
	// the limit. Selling 10 RTY would free $1,000,000 for the 3 ES
	// ($900,000) behind it, but RTY is blocked, so the ES order finds no
	// room.
	in := baseInput(t)
	in.Limits.MaxNetLeverage = dec("3")
	in.Positions = []broker.Position{hold(rtyH, 30)}
	in.Orders = []broker.OrderRequest{sell("cut", rtyH, 10), buy("es", esH, 3)}
	checkApproved(t, in, "es", 3, CodeOK) // the unblocked baseline: the room is freed

	in.Blocked = map[string]string{"RTY": rtyMismatch}
	d := checkApproved(t, in, "es", 0, CodeGrossLeverage)
	checkApproved(t, in, "cut", 0, CodeInstrumentBlocked)
	if got, want := d.Exposure.GrossNotionalAfter, d.Exposure.GrossNotionalBefore; !got.Equal(want) {
		t.Fatalf("gross notional after %s, want unchanged %s", got, want)
	}
}

func TestInstrumentBlockedTakesNoOrderRateSlot(t *testing.T) {
	// One slot left in the minute: the blocked order ahead of the M2K
	// order in the plan must not use it up.
	in := baseInput(t)
	in.Limits.MaxOrdersPerMinute = 3
	for range 2 {
		in.RecentOrders = append(in.RecentOrders, in.Now.Add(-10*time.Second))
	}
	in.Positions = []broker.Position{hold(rtyH, 5)}
	in.Orders = []broker.OrderRequest{sell("cut", rtyH, 2), buy("m2k", m2kH, 1), buy("es", esH, 1)}

	in.Blocked = map[string]string{"RTY": rtyMismatch}
	checkApproved(t, in, "cut", 0, CodeInstrumentBlocked)
	checkApproved(t, in, "m2k", 1, CodeOK)
	checkApproved(t, in, "es", 0, CodeOrderRate)

	// The baseline: unblocked, the reducing RTY order takes the slot in
	// phase 1 and M2K is the one left out.
	in.Blocked = nil
	checkApproved(t, in, "cut", 2, CodeOK)
	checkApproved(t, in, "m2k", 0, CodeOrderRate)
}

func TestInstrumentBlockedUnderKillSwitch(t *testing.T) {
	// The kill switch lets reducing orders through; a blocked root's do
	// not go even then.
	in := baseInput(t)
	in.KillSwitch = KillSwitch{Tripped: true, Reason: "test"}
	in.Positions = []broker.Position{hold(rtyH, 5), hold(m2kH, 4)}
	in.Orders = []broker.OrderRequest{sell("rty", rtyH, 5), sell("m2k", m2kH, 4)}
	in.Blocked = map[string]string{"RTY": rtyMismatch}
	checkApproved(t, in, "rty", 0, CodeInstrumentBlocked)
	checkApproved(t, in, "m2k", 4, CodeOK)
}

func TestInstrumentBlockedCodeKnown(t *testing.T) {
	var c Code
	if err := c.UnmarshalText([]byte("INSTRUMENT_BLOCKED")); err != nil || c != CodeInstrumentBlocked {
		t.Fatalf("UnmarshalText(INSTRUMENT_BLOCKED)=%v, %q", err, c)
	}
}
