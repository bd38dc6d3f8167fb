package marketdata_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/broker"
	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/signals/marketdata"
)

// TestReadBrokerFromPaperBroker reads history through the real IB adapter
// from the paper broker over loopback and checks it against the series the
// paper broker serves.
func TestReadBrokerFromPaperBroker(t *testing.T) {
	now := time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	series := marketdata.Generate(marketdata.GenConfig{Seed: 7, Start: now.AddDate(-1, 0, 0), End: now})
	sim := ibsim.New(ibsim.Config{Now: func() time.Time { return now }, Series: series})
	if err := sim.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := ib.New(ib.Config{Addr: sim.Addr(), ClientID: 9, Now: func() time.Time { return now }})
	if err := c.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		for range c.Events() {
		}
	}()
	var calls int
	got, err := marketdata.Options{}.ReadBroker(context.Background(), c, []string{"IWM", "XLK"}, now, 100,
		func(done, total int, sym string) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("progress called %d times, want 2", calls)
	}
	for _, sym := range []string{"IWM", "XLK"} {
		want := series[sym].Bars
		want = want[len(want)-100:]
		have := got[sym].Bars
		if len(have) != 100 {
			t.Fatalf("%s: %d bars, want 100", sym, len(have))
		}
		for i := range want {
			if !have[i].Date.Equal(want[i].Date) || have[i].Close != want[i].Close {
				t.Fatalf("%s bar %d = %s %g, want %s %g", sym, i, have[i].Date.Format(time.DateOnly), have[i].Close,
					want[i].Date.Format(time.DateOnly), want[i].Close)
			}
		}
	}
	_, err = marketdata.Options{}.ReadBroker(context.Background(), c, []string{"IWM", "NOPE"}, now, 10, nil)
	var be *marketdata.BrokerError
	if !errors.As(err, &be) || be.Symbol != "NOPE" || !errors.Is(err, broker.ErrNoSecurityDefinition) {
		t.Fatalf("unknown symbol: err = %v, want a BrokerError for NOPE wrapping ErrNoSecurityDefinition", err)
	}
}

// badHistory stands in for a broker that sends malformed bars, which the
// paper broker never does.
type badHistory struct{ bars []broker.Bar }

func (h badHistory) ResolveStock(ctx context.Context, sym string) (broker.Contract, error) {
	return broker.Contract{Symbol: sym}, nil
}

func (h badHistory) DailyBars(ctx context.Context, c broker.Contract, end time.Time, days int) ([]broker.Bar, error) {
	return h.bars, nil
}

func TestReadBrokerRejectsBadBars(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	ok := func(day string, c float64) broker.Bar {
		return broker.Bar{Date: d(day), Open: c, High: c, Low: c, Close: c}
	}
	tests := []struct {
		name string
		bars []broker.Bar
		want error
		date string
	}{
		{"duplicate", []broker.Bar{ok("2026-11-20", 10), ok("2026-11-20", 10)}, marketdata.ErrDuplicateDate, "2026-11-20"},
		{"unsorted", []broker.Bar{ok("2026-11-20", 10), ok("2026-11-19", 10)}, marketdata.ErrUnsorted, "2026-11-19"},
		{"zero price", []broker.Bar{ok("2026-11-20", 0)}, marketdata.ErrBadPrice, "2026-11-20"},
		{"close above high", []broker.Bar{{Date: d("2026-11-20"), Open: 10, High: 10, Low: 9, Close: 11}}, marketdata.ErrBadPrice, "2026-11-20"},
		{"absurd move", []broker.Bar{ok("2026-11-19", 10), ok("2026-11-20", 100)}, marketdata.ErrAbsurdMove, "2026-11-20"},
		{"empty", nil, marketdata.ErrEmpty, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := marketdata.Options{}.ReadBroker(context.Background(), badHistory{tt.bars}, []string{"IWM"}, d("2026-11-20"), 10, nil)
			if got != nil || !errors.Is(err, tt.want) {
				t.Fatalf("ReadBroker = %v, %v; want nil and %v", got, err, tt.want)
			}
			if !strings.Contains(err.Error(), "IWM") || !strings.Contains(err.Error(), tt.date) {
				t.Fatalf("error %q does not name the symbol and the bar %s", err, tt.date)
			}
		})
	}
}
