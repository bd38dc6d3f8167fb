package signals

import (
	"testing"
	"time"
)

func TestMicrocapThrust(t *testing.T) {
	// IWC is flat at 100 but for a low on one day and its close on T.
	tests := []struct {
		name      string
		lowAt     int // days before T of the low (0 = T itself)
		low       float64
		close     float64
		wantLow   float64
		wantAt    int // days before T of the reported low
		wantPct   float64
		wantTrust bool
	}{
		{"low on the window's first day", 251, 50, 80, 50, 251, 80.0 / 50, true},
		{"low a day too old is outside", 252, 50, 80, 80, 0, 0, false},
		{"exactly at the threshold", 100, 50, 75, 50, 100, 75.0 / 50, true},
		{"a cent under the threshold", 100, 50, 74.99, 50, 100, 74.99 / 50, false},
		{"close is the low", 0, 100, 60, 60, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dates, series := universe()
			T := len(dates) - 1
			series["IWC"] = mkSeries("IWC", dates, func(i int) float64 {
				switch i {
				case T - tt.lowAt:
					return tt.low
				case T:
					return tt.close
				}
				return 100
			})
			if tt.lowAt == 0 { // the close is the low
				series["IWC"] = mkSeries("IWC", dates, func(i int) float64 {
					if i == T {
						return tt.close
					}
					return 100
				})
			}
			mc := evalLast(t, series, DefaultConfig(), dates[T]).Microcap
			wantPct := 0.0
			if tt.wantPct != 0 {
				c, l := tt.close, tt.wantLow
				wantPct = c/l - 1
			}
			if got, want := mc.Low, tt.wantLow; got != want {
				t.Fatalf("low=%v, want %v", got, want)
			}
			if got, want := mc.LowDate, dates[T-tt.wantAt].Format(time.DateOnly); got != want {
				t.Fatalf("low_date=%v, want %v", got, want)
			}
			if got, want := mc.Close, tt.close; got != want {
				t.Fatalf("close=%v, want %v", got, want)
			}
			if got, want := mc.PctOffLow, wantPct; got != want {
				t.Fatalf("pct_off_low=%v, want %v", got, want)
			}
			if got, want := mc.Thrust, tt.wantTrust; got != want {
				t.Fatalf("thrust=%v, want %v", got, want)
			}
			if got, want := mc.WindowDays, 252; got != want {
				t.Fatalf("window_days=%v, want %v", got, want)
			}
			if got, want := mc.Threshold, 0.5; got != want {
				t.Fatalf("threshold=%v, want %v", got, want)
			}
		})
	}
}

func TestPctOffLowFirstOfEqualLows(t *testing.T) {
	low, at, pct := PctOffLow([]float64{9, 5, 7, 5, 10}, 4, 4)
	if low != 5 || at != 1 || pct != 1 {
		t.Fatalf("PctOffLow=%v, %v, %v; want 5, 1, 1 (the earliest of equal lows)", low, at, pct)
	}
}
