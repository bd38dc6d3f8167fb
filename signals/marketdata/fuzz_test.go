package marketdata

import (
	"math"
	"strings"
	"testing"
)

// FuzzReadCSV feeds arbitrary bytes to the CSV reader: it must never panic,
// and whatever it accepts must hold the invariants every caller relies on
// (sorted unique dates, positive finite prices consistent within the day).
func FuzzReadCSV(f *testing.F) {
	f.Add("date,open,high,low,close,adj_close,volume\n2026-11-20,10,11,9,10.5,10.4,100\n2026-11-23,10.5,11,10,10.8,10.7,\n")
	f.Add("Date,Open,High,Low,Close,Adj Close,Volume\r\n2026-11-20,10,11,9,10.5,10.4,100\r\n")
	f.Add("\uFEFFDate,Close,Low,High,Open\n2026-11-20,10,9,11,10\n")
	f.Add("date,open,high,low,close\n2026-02-30,1,1,1,1\n")
	f.Add("date,open,high,low,close\n2026-11-20,1,1,1,NaN\n")
	f.Add("date,open,high,low,close\n2026-11-21,1,1,1,1\n2026-11-20,1,1,1,1\n")
	f.Add("date,open,high,low,close\n\"2026-11-20,1,1,1,1\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Options{}.Read(strings.NewReader(in), "fuzz.csv", "FUZZ")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "marketdata: fuzz.csv") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(s.Bars) == 0 {
			t.Fatal("accepted a file with no bars")
		}
		for i, b := range s.Bars {
			for _, v := range []float64{b.Open, b.High, b.Low, b.Close, b.AdjClose} {
				if !(v > 0) || math.IsInf(v, 0) {
					t.Fatalf("bar %d has price %v", i, v)
				}
			}
			if b.Volume < 0 || math.IsNaN(b.Volume) {
				t.Fatalf("bar %d has volume %v", i, b.Volume)
			}
			if i > 0 && !b.Date.After(s.Bars[i-1].Date) {
				t.Fatalf("bar %d date %s is not after %s", i, b.Date, s.Bars[i-1].Date)
			}
		}
	})
}
