package signals

import (
	"math"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

func TestZone(t *testing.T) {
	tests := []struct {
		closes    []float64
		k         int
		low, high float64
	}{
		{[]float64{1, 5, 3, 4, 2}, 1, 5, 5},
		{[]float64{1, 5, 3, 4, 2}, 3, 3, 5},
		{[]float64{5, 5, 5, 1}, 2, 5, 5},
		{[]float64{2, 1}, 5, 1, 2}, // fewer than k: the lowest
	}
	for _, tt := range tests {
		low, high := Zone(tt.closes, tt.k)
		if low != tt.low || high != tt.high {
			t.Fatalf("Zone(%v, %d)=%v, %v; want %v, %v", tt.closes, tt.k, low, high, tt.low, tt.high)
		}
	}
	big := make([]float64, 100)
	for i := range big {
		big[i] = float64((i * 37) % 100)
	}
	if low, high := Zone(big, 20); low != 80 || high != 99 {
		t.Fatalf("Zone(0..99, 20)=%v, %v; want 80, 99", low, high)
	}
}

// resistanceUniverse puts IWM's 2021–2022 highs at 150, 149, 148, 147, 146
// (zone [146, 150] with k = 5), a higher close before and after the window
// that must not count, and IWM's close on T at close.
func resistanceUniverse(close float64) ([]time.Time, map[string]marketdata.Series) {
	dates, series := universe()
	T := len(dates) - 1
	highs := map[string]float64{"2021-03-15": 150, "2021-11-08": 149, "2022-01-03": 148, "2022-06-01": 147,
		"2022-12-30": 146, "2020-12-31": 200, "2023-01-03": 210}
	series["IWM"] = mkSeries("IWM", dates, func(i int) float64 {
		if i == T {
			return close
		}
		if v, ok := highs[dates[i].Format(time.DateOnly)]; ok {
			return v
		}
		return 100
	})
	return dates, series
}

func TestResistance(t *testing.T) {
	lo, hi := 146.0*(1-0.03), 150.0*(1+0.03)
	tests := []struct {
		name  string
		close float64
		want  Status
	}{
		{"far below", 100, Below},
		{"just below the band", math.Nextafter(lo, 0), Below},
		{"on the band's low edge", lo, Inside},
		{"in the zone", 148, Inside},
		{"on the band's high edge", hi, Inside},
		{"just above the band", math.Nextafter(hi, 1000), Above},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dates, series := resistanceUniverse(tt.close)
			r := evalLast(t, series, DefaultConfig(), dates[len(dates)-1]).Resistance
			if r.ZoneLow != 146 || r.ZoneHigh != 150 {
				t.Fatalf("zone=[%v, %v], want [146, 150]", r.ZoneLow, r.ZoneHigh)
			}
			if got, want := r.Window, (Window{From: "2021-01-04", To: "2022-12-30"}); got != want {
				t.Fatalf("window=%+v, want %+v", got, want)
			}
			if got, want := r.Status, tt.want; got != want {
				t.Fatalf("status=%q for close %v, want %q", got, tt.close, want)
			}
			if got, want := r.Close, tt.close; got != want {
				t.Fatalf("close=%v, want %v", got, want)
			}
		})
	}
}

func TestResistanceUnavailableBeforeWindowEnds(t *testing.T) {
	_, series := resistanceUniverse(148)
	asOf := date(2022, 12, 30) // the window's last trading day: not yet closed
	r := evalLast(t, series, DefaultConfig(), asOf).Resistance
	if got, want := r.Status, Unavailable; got != want {
		t.Fatalf("status=%q as of %s, want %q", got, asOf.Format(time.DateOnly), want)
	}
	if r.ZoneLow != 0 || r.ZoneHigh != 0 {
		t.Fatalf("zone=[%v, %v], want zeros", r.ZoneLow, r.ZoneHigh)
	}
}

func TestResistanceRolling(t *testing.T) {
	dates, series := universe()
	T := len(dates) - 1
	cfg := DefaultConfig()
	cfg.Resistance = ResistanceConfig{Mode: ResistanceRolling, RollingDays: 100, TopK: 2}
	// Highs at the window's two ends, and one just after it (inside the
	// lookback) that must not count.
	a, b := T-63-100, T-63-1
	series["IWM"] = mkSeries("IWM", dates, func(i int) float64 {
		switch i {
		case a:
			return 130
		case b:
			return 125
		case b + 1:
			return 99 // the lookback's base, so IWM still returns 20%
		case T:
			return 118.8
		}
		if i > b+1 {
			return 110
		}
		return 100
	})
	r := evalLast(t, series, cfg, dates[T]).Resistance
	if r.ZoneLow != 125 || r.ZoneHigh != 130 {
		t.Fatalf("zone=[%v, %v], want [125, 130]", r.ZoneLow, r.ZoneHigh)
	}
	if got, want := r.Window, (Window{From: dates[a].Format(time.DateOnly), To: dates[b].Format(time.DateOnly)}); got != want {
		t.Fatalf("window=%+v, want %+v", got, want)
	}
	if got, want := r.Status, Below; got != want { // 118.8 < 125·0.97 = 121.25
		t.Fatalf("status=%q, want %q", got, want)
	}
}
