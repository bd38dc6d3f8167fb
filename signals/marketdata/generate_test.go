package marketdata

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"testing"
	"time"
)

var sectors = []string{"XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"}

func TestGenerate_Deterministic(t *testing.T) {
	cfg := GenConfig{Seed: 42, Start: day(2020, 1, 1), End: day(2026, 6, 30)}
	a, b := Generate(cfg), Generate(cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Generate() twice with the same config differs")
	}
	cfg.Seed = 43
	c := Generate(cfg)
	for _, sym := range Universe() {
		if reflect.DeepEqual(a[sym].Bars, c[sym].Bars) {
			t.Fatalf("Generate() with seeds 42 and 43 gives the same %s", sym)
		}
	}
}

// TestGenerate_Golden pins the output bit for bit: it must not change with
// the platform (FMA, math library) or by accident. A deliberate change to
// the generator updates the checksum.
func TestGenerate_Golden(t *testing.T) {
	m := Generate(GenConfig{Seed: 1, Leadership: &Episode{Start: day(2025, 6, 2), End: day(2025, 11, 28)}})
	h := fnv.New64a()
	for _, sym := range Universe() {
		if err := WriteCSV(h, m[sym]); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fmt.Sprintf("%016x", h.Sum64()), "8e92e1750f075c6c"; got != want {
		t.Fatalf("Generate() checksum=%s, want %s", got, want)
	}
}

func TestGenerate_SymbolsIndependent(t *testing.T) {
	cfg := GenConfig{Seed: 5, Start: day(2024, 1, 1), End: day(2025, 12, 31)}
	all := Generate(cfg)
	cfg.Symbols = []string{"XLK", "IWM", "SPY"} // funds without their indices
	some := Generate(cfg)
	if got, want := len(some), 3; got != want {
		t.Fatalf("len(Generate(3 symbols))=%d, want %d", got, want)
	}
	for _, sym := range cfg.Symbols {
		if !reflect.DeepEqual(some[sym], all[sym]) {
			t.Fatalf("%s differs when generated alone", sym)
		}
	}
}

func TestGenerate_Bars(t *testing.T) {
	start, end := day(2015, 1, 1), day(2027, 12, 31)
	m := Generate(GenConfig{Seed: 3, Start: start, End: end})
	if got, want := len(m), len(Universe()); got != want {
		t.Fatalf("len(Generate())=%d, want %d", got, want)
	}
	days := TradingDays(start, end)
	for _, sym := range Universe() {
		s := m[sym]
		if got, want := s.Symbol, sym; got != want {
			t.Fatalf("Symbol=%q, want %q", got, want)
		}
		if got, want := len(s.Bars), len(days); got != want {
			t.Fatalf("%s: %d bars, want %d", sym, got, want)
		}
		for i, b := range s.Bars {
			if b.Date != days[i] {
				t.Fatalf("%s bar %d: date %v, want %v", sym, i, b.Date, days[i])
			}
			if wd := b.Date.Weekday(); wd == time.Saturday || wd == time.Sunday || IsNYSEHoliday(b.Date) {
				t.Fatalf("%s: a bar on %s, a %v", sym, b.Date.Format(time.DateOnly), wd)
			}
			if !(b.Low > 0 && b.Low <= b.Open && b.Low <= b.Close && b.Open <= b.High && b.Close <= b.High) {
				t.Fatalf("%s %s: inconsistent bar %+v", sym, b.Date.Format(time.DateOnly), b)
			}
			if b.AdjClose != b.Close {
				t.Fatalf("%s %s: AdjClose %v != Close %v", sym, b.Date.Format(time.DateOnly), b.AdjClose, b.Close)
			}
			if !(b.Volume >= 1 && b.Volume == math.Round(b.Volume)) {
				t.Fatalf("%s %s: volume %v, want a positive whole number", sym, b.Date.Format(time.DateOnly), b.Volume)
			}
			for _, p := range []float64{b.Open, b.High, b.Low, b.Close} {
				if p != math.Round(p*100)/100 {
					t.Fatalf("%s %s: price %v is not in cents", sym, b.Date.Format(time.DateOnly), p)
				}
			}
		}
		// And the strict reader agrees, with no rounding slack at all.
		var buf bytes.Buffer
		if err := WriteCSV(&buf, s); err != nil {
			t.Fatal(err)
		}
		if _, err := (Options{PriceTolerance: 1e-12, MaxDailyMove: 1.3}).Read(&buf, sym+".csv", sym); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []time.Time{day(2026, 11, 26), day(2026, 4, 3), day(2027, 12, 24), day(2022, 6, 20), day(2018, 12, 5), day(2025, 1, 9)} {
		if _, ok := m["IWM"].At(d); ok {
			t.Fatalf("a bar on %s, a day the NYSE is closed", d.Format(time.DateOnly))
		}
	}
	for _, d := range []time.Time{day(2021, 12, 31), day(2027, 12, 31), day(2026, 11, 27)} {
		if _, ok := m["IWM"].At(d); !ok {
			t.Fatalf("no bar on %s, a trading day", d.Format(time.DateOnly))
		}
	}
}

func TestGenerate_Realistic(t *testing.T) {
	m := Generate(GenConfig{Seed: 11}) // 2015-01-02 to 2026-06-30
	anchor := day(2026, 1, 2)
	for _, tc := range []struct {
		sym    string
		lo, hi float64
	}{
		{"RUT", 2399.99, 2400.01}, {"GSPC", 6499.99, 6500.01},
		{"IWM", 230, 250}, {"SPY", 630, 670}, {"IWC", 149.99, 150.01},
	} {
		b, _ := m[tc.sym].At(anchor)
		if b.Close < tc.lo || b.Close > tc.hi {
			t.Fatalf("%s close on %s=%v, want in [%v, %v]", tc.sym, anchor.Format(time.DateOnly), b.Close, tc.lo, tc.hi)
		}
	}
	for _, sym := range sectors {
		if b, _ := m[sym].At(anchor); b.Close < 40 || b.Close > 250 {
			t.Fatalf("%s close on %s=%v, want a sector fund's 40-250", sym, anchor.Format(time.DateOnly), b.Close)
		}
	}
	// The tracking funds stay at a tenth of their index.
	for _, pair := range [][2]string{{"IWM", "RUT"}, {"SPY", "GSPC"}} {
		fund, index := m[pair[0]].Bars, m[pair[1]].Bars
		for i := range fund {
			if r := fund[i].Close / index[i].Close; r < 0.097 || r > 0.101 {
				t.Fatalf("%s/%s on %s=%v, want about 0.099", pair[0], pair[1], fund[i].Date.Format(time.DateOnly), r)
			}
		}
	}
	// Daily volatility 1-2%, a little less for the broad market and the
	// defensive sectors.
	for _, sym := range Universe() {
		c := m[sym].Closes(true)
		var sum, sq float64
		for i := 1; i < len(c); i++ {
			r := c[i]/c[i-1] - 1
			sum += r
			sq += r * r
		}
		n := float64(len(c) - 1)
		if sd := math.Sqrt(sq/n - sum/n*sum/n); sd < 0.008 || sd > 0.02 {
			t.Fatalf("%s daily sd=%.4f, want 0.008-0.02", sym, sd)
		}
	}
	// One market: SPY and every sector move together.
	for _, sym := range append([]string{"IWM", "IWC"}, sectors...) {
		if rho := correlation(m["SPY"].Closes(true), m[sym].Closes(true)); rho < 0.4 || rho > 0.99 {
			t.Fatalf("correlation(SPY, %s)=%.2f, want 0.4-0.99", sym, rho)
		}
	}
}

// correlation is the correlation of the daily returns of two close series.
func correlation(a, b []float64) float64 {
	var sa, sb, saa, sbb, sab float64
	n := float64(len(a) - 1)
	for i := 1; i < len(a); i++ {
		x, y := a[i]/a[i-1]-1, b[i]/b[i-1]-1
		sa, sb, saa, sbb, sab = sa+x, sb+y, saa+x*x, sbb+y*y, sab+x*y
	}
	cov := sab/n - sa/n*sb/n
	return cov / math.Sqrt((saa/n-sa/n*sa/n)*(sbb/n-sb/n*sb/n))
}

// ret63 is a series' 63-day adjusted-close return ending on day.
func ret63(t *testing.T, s Series, on time.Time) float64 {
	t.Helper()
	i, ok := s.search(on)
	if !ok || i < 63 {
		t.Fatalf("%s: no bar on %s with 63 days before it", s.Symbol, on.Format(time.DateOnly))
	}
	return s.Bars[i].AdjClose/s.Bars[i-63].AdjClose - 1
}

// offLow is how far a series' adjusted close on day is above its lowest
// adjusted close of the 252 trading days to day.
func offLow(t *testing.T, s Series, on time.Time) float64 {
	t.Helper()
	i, ok := s.search(on)
	if !ok || i < 251 {
		t.Fatalf("%s: no bar on %s with 251 days before it", s.Symbol, on.Format(time.DateOnly))
	}
	low := math.Inf(1)
	for _, b := range s.Bars[i-251 : i+1] {
		low = min(low, b.AdjClose)
	}
	return s.Bars[i].AdjClose/low - 1
}

func TestGenerate_Leadership(t *testing.T) {
	ep := &Episode{Start: day(2025, 6, 2), End: day(2025, 11, 28)} // 126 trading days
	for seed := int64(1); seed <= 10; seed++ {
		m := Generate(GenConfig{Seed: seed, Leadership: ep})
		iwm := ret63(t, m["IWM"], ep.End)
		for _, sym := range sectors {
			if r := ret63(t, m[sym], ep.End); iwm <= r {
				t.Fatalf("seed %d: IWM 63-day return %.3f does not beat %s's %.3f at the end of the episode", seed, iwm, sym, r)
			}
		}
		if got := offLow(t, m["IWC"], ep.End); got < 0.5 {
			t.Fatalf("seed %d: IWC is %.3f off its 252-day low at the end of the episode, want 0.5 or more", seed, got)
		}
	}
}

func TestGenerate_LeadershipOnlyMovesTheEpisode(t *testing.T) {
	// Before the episode, returns are the same with and without it (up to
	// rounding to cents); only the anchoring scale differs.
	cfg := GenConfig{Seed: 9, Start: day(2024, 1, 1), End: day(2025, 12, 31)}
	plain := Generate(cfg)
	cfg.Leadership = &Episode{Start: day(2025, 6, 2), End: day(2025, 11, 28), Strength: 0.5}
	led := Generate(cfg)
	a, b := plain["IWM"].Closes(false), led["IWM"].Closes(false)
	i, _ := plain["IWM"].search(day(2025, 5, 30))
	for j := 1; j <= i; j++ {
		if d := (b[j]/b[j-1] - a[j]/a[j-1]); math.Abs(d) > 2e-4 {
			t.Fatalf("IWM return on bar %d differs by %.5f before the episode", j, d)
		}
	}
	if !reflect.DeepEqual(plain["XLK"], led["XLK"]) {
		t.Fatal("the episode changed XLK")
	}
	end := day(2025, 11, 28)
	if ret63(t, led["IWM"], end)-ret63(t, plain["IWM"], end) < 0.3 {
		t.Fatalf("IWM with the episode returned %.3f over 63 days, without %.3f: want a clear difference",
			ret63(t, led["IWM"], end), ret63(t, plain["IWM"], end))
	}
}

func TestGenerate_EdgeCases(t *testing.T) {
	m := Generate(GenConfig{Seed: 1, Start: day(2026, 1, 5), End: day(2026, 1, 2), Symbols: []string{"IWM"}})
	if s, ok := m["IWM"]; !ok || len(s.Bars) != 0 {
		t.Fatalf("Generate(empty range)=%v, want IWM with no bars", m)
	}
	m = Generate(GenConfig{Seed: 1, Start: day(2025, 1, 1), End: day(2026, 6, 30), Symbols: []string{"FOO"}})
	if b, _ := m["FOO"].At(day(2026, 1, 2)); b.Close < 99.99 || b.Close > 100.01 {
		t.Fatalf("FOO close on 2026-01-02=%v, want 100", b.Close)
	}
	// Outside 2026 the levels are extrapolated at the expected drift:
	// GSPC's 6,500 on 2026-01-02 is discounted 0.03% a trading day back to
	// the last bar.
	m = Generate(GenConfig{Seed: 1, Start: day(2016, 1, 1), End: day(2016, 12, 31), Symbols: []string{"GSPC"}})
	want := 6500.0
	for range len(TradingDays(day(2016, 12, 30), day(2026, 1, 2))) - 1 {
		want /= 1 + marketDrift
	}
	if got := m["GSPC"].Last().Close; math.Abs(got-want) > 0.006 {
		t.Fatalf("GSPC close on 2016-12-30=%v, want %.2f", got, want)
	}
}
