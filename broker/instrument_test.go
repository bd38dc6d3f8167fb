package broker

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestInstrumentRounding(t *testing.T) {
	rty, err := LookupInstrument("RTY")
	if err != nil {
		t.Fatal(err)
	}
	xaf, _ := LookupInstrument("XAF")
	es, _ := LookupInstrument("ES")
	tests := []struct {
		in   Instrument
		p    string
		side Side
		want string
	}{
		{rty, "2400.17", Buy, "2400.1"},
		{rty, "2400.17", Sell, "2400.2"},
		{rty, "2400.10", Sell, "2400.1"},
		{es, "6500.30", Buy, "6500.25"},
		{es, "6500.30", Sell, "6500.5"},
		{xaf, "55.12", Buy, "55.1"},
		{xaf, "55.12", Sell, "55.15"},
	}
	for _, tt := range tests {
		got := tt.in.RoundPrice(dec(tt.p), tt.side)
		if !got.Equal(dec(tt.want)) {
			t.Errorf("%s.RoundPrice(%s, %s) = %s, want %s", tt.in.Root, tt.p, tt.side, got, tt.want)
		}
		if !tt.in.OnTick(got) {
			t.Errorf("%s: rounded price %s is not on tick %s", tt.in.Root, got, tt.in.Tick)
		}
	}
	if rty.OnTick(dec("2400.05")) {
		t.Error("RTY 2400.05 reported on tick")
	}
}

func TestInstrumentTable(t *testing.T) {
	tests := []struct {
		root string
		mult int64
		tick string
	}{
		{"RTY", 50, "0.1"}, {"M2K", 5, "0.1"}, {"ES", 50, "0.25"}, {"MES", 5, "0.25"},
		{"XAK", 100, "0.1"}, {"XAF", 250, "0.05"}, {"XAR", 250, "0.05"}, {"XAZ", 250, "0.05"},
	}
	for _, tt := range tests {
		in, err := LookupInstrument(tt.root)
		if err != nil {
			t.Fatal(err)
		}
		if in.Multiplier != tt.mult || !in.Tick.Equal(dec(tt.tick)) || in.Exchange != "CME" {
			t.Errorf("%s = %+v, want multiplier %d tick %s on CME", tt.root, in, tt.mult, tt.tick)
		}
	}
	if got := len(InstrumentRoots()); got != 15 {
		t.Errorf("%d roots, want 15 (RTY M2K ES MES and eleven sectors)", got)
	}
	if _, err := LookupInstrument("NQ"); !errors.Is(err, ErrUnknownInstrument) {
		t.Errorf("LookupInstrument(NQ) err = %v, want ErrUnknownInstrument", err)
	}
	rty, _ := LookupInstrument("RTY")
	if got, want := rty.Notional(dec("2400"), -3), dec("-360000"); !got.Equal(want) {
		t.Errorf("Notional = %s, want %s", got, want)
	}
}

func TestOrderRequestValidate(t *testing.T) {
	c := Contract{ConID: 1, Symbol: "RTY"}
	ok := OrderRequest{Ref: "r1", Contract: c, Side: Buy, Quantity: 1, Type: Market}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid order: %v", err)
	}
	bad := []OrderRequest{
		{Contract: c, Side: Buy, Quantity: 1, Type: Market},
		{Ref: "r", Side: Buy, Quantity: 1, Type: Market},
		{Ref: "r", Contract: c, Side: "HOLD", Quantity: 1, Type: Market},
		{Ref: "r", Contract: c, Side: Sell, Quantity: 0, Type: Market},
		{Ref: "r", Contract: c, Side: Sell, Quantity: 1, Type: "STP"},
		{Ref: "r", Contract: c, Side: Sell, Quantity: 1, Type: Limit},
		{Ref: "r", Contract: c, Side: Sell, Quantity: 1, Type: Market, LimitPrice: dec("1")},
	}
	for i, r := range bad {
		if err := r.Validate(); !errors.Is(err, ErrInvalidOrder) {
			t.Errorf("bad order %d: err = %v, want ErrInvalidOrder", i, err)
		}
	}
}

func TestIsPaper(t *testing.T) {
	for id, want := range map[string]bool{"DU1234567": true, "U1234567": false, "DU": false, "": false, "DF123": false} {
		if got := IsPaper(id); got != want {
			t.Errorf("IsPaper(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestErrorUnwrapsToKind(t *testing.T) {
	err := error(&Error{Code: 201, Message: "Order rejected", Ref: "abc", Kind: ErrRejected})
	if !errors.Is(err, ErrRejected) {
		t.Fatal("errors.Is(ErrRejected) = false")
	}
	if got, want := err.Error(), "broker: order rejected: code 201: Order rejected (order ref abc)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
