package marketdata

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// writeFile writes content to dir/name and returns its path.
func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// MustReadCSV reads content as a CSV file and fails the test on error.
func MustReadCSV(tb testing.TB, content string) Series {
	tb.Helper()
	s, err := ReadCSV(writeFile(tb, tb.TempDir(), "X.csv", content), "X")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestReadCSV_YahooLayout(t *testing.T) {
	s := MustReadCSV(t, "Date,Open,High,Low,Close,Adj Close,Volume\n"+
		"2015-01-02,120.07,120.56,117.89,118.93,102.5432,46133100\n"+
		"2015-01-05,118.23,118.71,116.79,117.34,101.1722,51141900\n")
	if got, want := s.Symbol, "X"; got != want {
		t.Fatalf("Symbol=%q, want %q", got, want)
	}
	want := []Bar{
		{Date: day(2015, 1, 2), Open: 120.07, High: 120.56, Low: 117.89, Close: 118.93, AdjClose: 102.5432, Volume: 46133100},
		{Date: day(2015, 1, 5), Open: 118.23, High: 118.71, Low: 116.79, Close: 117.34, AdjClose: 101.1722, Volume: 51141900},
	}
	if got := s.Bars; !reflect.DeepEqual(got, want) {
		t.Fatalf("Bars=%+v, want %+v", got, want)
	}
}

func TestReadCSV_LowercaseLayout(t *testing.T) {
	// The ^RUT file's shape: adj_close present, volume blank.
	s := MustReadCSV(t, "date,open,high,low,close,adj_close,volume\n"+
		"2015-01-02,1209.98,1212.8,1189.16,1198.8,1198.8,\n"+
		"2015-01-05,1192.36,1194.22,1177.46,1181.35,1181.35,\n")
	want := []Bar{
		{Date: day(2015, 1, 2), Open: 1209.98, High: 1212.8, Low: 1189.16, Close: 1198.8, AdjClose: 1198.8},
		{Date: day(2015, 1, 5), Open: 1192.36, High: 1194.22, Low: 1177.46, Close: 1181.35, AdjClose: 1181.35},
	}
	if got := s.Bars; !reflect.DeepEqual(got, want) {
		t.Fatalf("Bars=%+v, want %+v", got, want)
	}
}

func TestReadCSV_AnyOrderOptionalColumns(t *testing.T) {
	// Columns shuffled and in odd case, no adjusted close and no volume, an
	// extra column, a byte order mark, CRLF line ends and padded fields.
	s := MustReadCSV(t, "\uFEFFCLOSE,Note,date,LOW,High,open\r\n"+
		"10.5,x,2026-01-02,10,11, 10.2 \r\n"+
		"11,y,2026-01-05,10.5,11.5,10.6\r\n")
	want := []Bar{
		{Date: day(2026, 1, 2), Open: 10.2, High: 11, Low: 10, Close: 10.5, AdjClose: 10.5},
		{Date: day(2026, 1, 5), Open: 10.6, High: 11.5, Low: 10.5, Close: 11, AdjClose: 11},
	}
	if got := s.Bars; !reflect.DeepEqual(got, want) {
		t.Fatalf("Bars=%+v, want %+v", got, want)
	}
}

func TestReadCSV_RoundingTolerance(t *testing.T) {
	// Close 0.3% above the high, open 0.3% below the low: vendor rounding,
	// accepted by default, rejected with a tighter tolerance.
	content := "date,open,high,low,close\n2026-01-02,99.7,100,100,100.3\n"
	MustReadCSV(t, content)
	path := writeFile(t, t.TempDir(), "X.csv", content)
	_, err := Options{PriceTolerance: 0.001}.ReadCSV(path, "X")
	if got, want := errors.Is(err, ErrBadPrice), true; got != want {
		t.Fatalf("tolerance 0.1%%: err=%v, want ErrBadPrice", err)
	}
}

func TestReadCSV_MaxDailyMoveOption(t *testing.T) {
	content := "date,open,high,low,close\n2026-01-02,10,10,10,10\n2026-01-05,60,60,60,60\n"
	path := writeFile(t, t.TempDir(), "X.csv", content)
	if _, err := ReadCSV(path, "X"); !errors.Is(err, ErrAbsurdMove) {
		t.Fatalf("6x move with defaults: err=%v, want ErrAbsurdMove", err)
	}
	s, err := Options{MaxDailyMove: 10}.ReadCSV(path, "X")
	if err != nil {
		t.Fatalf("6x move with MaxDailyMove 10: %v", err)
	}
	if got, want := s.Last().Close, 60.0; got != want {
		t.Fatalf("Last().Close=%v, want %v", got, want)
	}
}

// TestReadCSV_Errors checks each validation: the sentinel and the whole
// message, so file, line and column are exactly right. "P" in want stands
// for the file's path.
func TestReadCSV_Errors(t *testing.T) {
	const hdr = "date,open,high,low,close,adj_close,volume\n"
	const row1 = "2026-01-02,10,11,9,10.5,10.4,1000\n" // line 2
	for _, tc := range []struct {
		name    string
		content string
		is      error
		want    string
	}{
		{"empty file", "", ErrEmpty,
			"marketdata: P: no data: the file is empty (no header)"},
		{"header only", hdr, ErrEmpty,
			"marketdata: P:1: no data: a header but no rows"},
		{"missing close", "date,open,high,low,adj_close,volume\n2026-01-02,10,11,9,10.4,1\n", ErrMissingColumn,
			`marketdata: P:1: column close: missing required column (header found: "date,open,high,low,adj_close,volume")`},
		{"adj close only", "date,adj_close\n2026-01-02,10.4\n", ErrMissingColumn,
			`marketdata: P:1: column open, high, low, close: missing required column (header found: "date,adj_close")`},
		{"column twice", "Date,Open,High,Low,Close,close\n", ErrBadHeader,
			`marketdata: P:1: column close: bad header: column 5 and column 6 are both "close"`},
		{"slashed date", hdr + row1 + "2026/01/05,10,11,9,10.5,10.4,1000\n", ErrBadDate,
			`marketdata: P:3: column date: bad date: "2026/01/05" is not a YYYY-MM-DD date`},
		{"impossible date", hdr + "2026-02-30,10,11,9,10.5,10.4,1000\n", ErrBadDate,
			`marketdata: P:2: column date: bad date: "2026-02-30" is not a YYYY-MM-DD date`},
		{"two-digit year", hdr + "26-01-02,10,11,9,10.5,10.4,1000\n", ErrBadDate,
			`marketdata: P:2: column date: bad date: "26-01-02" is not a YYYY-MM-DD date`},
		{"unsorted", hdr + row1 + "2026-01-05,10,11,9,10.5,10.4,1000\n" + "2026-01-03,10,11,9,10.5,10.4,1000\n", ErrUnsorted,
			"marketdata: P:4: column date: dates out of order: 2026-01-03 on line 4 comes before 2026-01-05 on line 3"},
		{"duplicate", hdr + row1 + "2026-01-02,10,11,9,10.5,10.4,1000\n", ErrDuplicateDate,
			"marketdata: P:3: column date: duplicate date: 2026-01-02 on line 3 repeats line 2"},
		{"blank lines still count", hdr + row1 + "\n\n" + "2026-01-02,10,11,9,10.5,10.4,1000\n", ErrDuplicateDate,
			"marketdata: P:5: column date: duplicate date: 2026-01-02 on line 5 repeats line 2"},
		{"negative price", hdr + row1 + "2026-01-05,10,11,-9,10.5,10.4,1000\n", ErrBadPrice,
			`marketdata: P:3: column low: bad price: "-9" is not positive`},
		{"zero price", hdr + "2026-01-02,0,11,9,10.5,10.4,1000\n", ErrBadPrice,
			`marketdata: P:2: column open: bad price: "0" is not positive`},
		{"NaN price", hdr + "2026-01-02,10,11,9,NaN,10.4,1000\n", ErrBadPrice,
			`marketdata: P:2: column close: bad price: "NaN" is not a finite number`},
		{"Inf price", hdr + "2026-01-02,10,+Inf,9,10.5,10.4,1000\n", ErrBadPrice,
			`marketdata: P:2: column high: bad price: "+Inf" is not a finite number`},
		{"overflowing price", hdr + "2026-01-02,10,1e999,9,10.5,10.4,1000\n", ErrBadPrice,
			`marketdata: P:2: column high: bad price: "1e999" is not a finite number`},
		{"text price", hdr + "2026-01-02,10,11,9,10.5,n/a,1000\n", ErrBadPrice,
			`marketdata: P:2: column adj_close: bad price: "n/a" is not a number`},
		{"blank price", hdr + "2026-01-02,10,11,9,,10.4,1000\n", ErrBadPrice,
			"marketdata: P:2: column close: bad price: blank"},
		{"high below low", hdr + row1 + "2026-01-05,10,9,11,10.5,10.4,1000\n", ErrBadPrice,
			"marketdata: P:3: column high: bad price: high 9 is below low 11 by more than 0.5%"},
		{"close above high", hdr + "2026-01-02,10,11,9,11.1,11.1,1000\n", ErrBadPrice,
			"marketdata: P:2: column close: bad price: close 11.1 is outside the day's range [low 9, high 11] by more than 0.5%"},
		{"open below low", hdr + "2026-01-02,8.9,11,9,10,10,1000\n", ErrBadPrice,
			"marketdata: P:2: column open: bad price: open 8.9 is outside the day's range [low 9, high 11] by more than 0.5%"},
		{"yahoo header, close below low", "Date,Open,High,Low,Close,Adj Close,Volume\n2026-01-02,10,11,9,8,8,1\n", ErrBadPrice,
			"marketdata: P:2: column Close: bad price: close 8 is outside the day's range [low 9, high 11] by more than 0.5%"},
		{"absurd jump up", hdr + row1 + "2026-01-05,60,61,59,60,60,1000\n", ErrAbsurdMove,
			"marketdata: P:3: column close: absurd move: close 60 is 5.71x the previous close 10.5 on line 2 (the limit is 5x either way)"},
		{"absurd drop", hdr + row1 + "2026-01-05,2,2.1,1.9,2,10.4,1000\n", ErrAbsurdMove,
			"marketdata: P:3: column close: absurd move: close 2 is 0.19x the previous close 10.5 on line 2 (the limit is 5x either way)"},
		{"absurd adjusted jump", hdr + row1 + "2026-01-05,10,11,9,10.5,1,1000\n", ErrAbsurdMove,
			"marketdata: P:3: column adj_close: absurd move: adjusted close 1 is 0.0962x the previous adjusted close 10.4 on line 2 (the limit is 5x either way)"},
		{"negative volume", hdr + "2026-01-02,10,11,9,10.5,10.4,-5\n", ErrBadVolume,
			`marketdata: P:2: column volume: bad volume: "-5" is negative`},
		{"text volume", hdr + "2026-01-02,10,11,9,10.5,10.4,lots\n", ErrBadVolume,
			`marketdata: P:2: column volume: bad volume: "lots" is not a number`},
		{"short row", hdr + row1 + "2026-01-05,10,11,9,10.5\n", csv.ErrFieldCount,
			"marketdata: P:3: wrong number of fields"},
		{"bad quote", hdr + row1 + "2026-01-05,10,\"11,9,10.5,10.4,1000\n", csv.ErrQuote,
			`marketdata: P:3: extraneous or missing " in quoted-field`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "IWM.csv", tc.content)
			s, err := ReadCSV(path, "IWM")
			if err == nil {
				t.Fatalf("ReadCSV()=%d bars, want an error", len(s.Bars))
			}
			if s.Bars != nil {
				t.Fatalf("ReadCSV() returned %d bars with its error", len(s.Bars))
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("ReadCSV() error %q is not %q", err, tc.is)
			}
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("ReadCSV() error %T is not a *CSVError", err)
			}
			if got, want := ce.File, path; got != want {
				t.Fatalf("CSVError.File=%q, want %q", got, want)
			}
			if got, want := err.Error(), strings.Replace(tc.want, "P", path, 1); got != want {
				t.Fatalf("ReadCSV() error\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestReadCSV_NoFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "IWM.csv")
	_, err := ReadCSV(path, "IWM")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadCSV(missing)=%v, want fs.ErrNotExist", err)
	}
	if got, want := strings.HasPrefix(err.Error(), "marketdata: "+path+": "), true; got != want {
		t.Fatalf("ReadCSV(missing) error %q does not start with the file", err)
	}
}

const goodCSV = "date,open,high,low,close\n2026-01-02,10,11,9,10.5\n2026-01-05,10.5,11,10,10.8\n"

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "IWM.csv", goodCSV)
	writeFile(t, dir, "^RUT.csv", goodCSV) // the caret is dropped
	writeFile(t, dir, "SPY.CSV", goodCSV)
	writeFile(t, dir, "RTY=F.csv", goodCSV)
	// Not symbol files: each would fail if it were read.
	writeFile(t, dir, "_panel_close.csv", "date,IWM,SPY\n")
	writeFile(t, dir, "IWC_adjclose_only_2015_2026-08.csv", "date,adj_close\n2026-01-02,1\n")
	writeFile(t, dir, "RTY_F.csv", "garbage")
	writeFile(t, dir, ".IWM.csv", "garbage")
	writeFile(t, dir, "IWM (1).csv", "garbage")
	writeFile(t, dir, "SOURCES.md", "# notes")
	writeFile(t, dir, "IWM.csv.bak", "garbage")
	if err := os.Mkdir(filepath.Join(dir, "XLK.csv"), 0o755); err != nil {
		t.Fatal(err)
	}

	m, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for sym, s := range m {
		got = append(got, sym)
		if s.Symbol != sym || len(s.Bars) != 2 {
			t.Fatalf("m[%q]=%q with %d bars, want %q with 2", sym, s.Symbol, len(s.Bars), sym)
		}
	}
	slices.Sort(got)
	if want := []string{"IWM", "RTY=F", "RUT", "SPY"}; !slices.Equal(got, want) {
		t.Fatalf("ReadDir() symbols=%v, want %v", got, want)
	}
}

func TestReadDir_JoinsErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "IWM.csv", goodCSV)
	bad1 := writeFile(t, dir, "XLE.csv", "date,open,high,low,close\n2026-01-02,10,11,9,10.5\n2026-01-02,10,11,9,10.5\n")
	bad2 := writeFile(t, dir, "XLK.csv", "date,open,high,low\n2026-01-02,10,11,9\n")
	bad3 := writeFile(t, dir, "XLU.csv", "")

	m, err := ReadDir(dir)
	if m != nil {
		t.Fatalf("ReadDir() returned %d series with its error", len(m))
	}
	for _, want := range []error{ErrDuplicateDate, ErrMissingColumn, ErrEmpty} {
		if !errors.Is(err, want) {
			t.Fatalf("ReadDir() error %q is not %q", err, want)
		}
	}
	want := "marketdata: " + bad1 + ":3: column date: duplicate date: 2026-01-02 on line 3 repeats line 2\n" +
		"marketdata: " + bad2 + `:1: column close: missing required column (header found: "date,open,high,low")` + "\n" +
		"marketdata: " + bad3 + ": no data: the file is empty (no header)"
	if got := err.Error(); got != want {
		t.Fatalf("ReadDir() error\n got %s\nwant %s", got, want)
	}
}

func TestReadDir_DuplicateSymbol(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "RUT.csv", goodCSV)
	writeFile(t, dir, "^RUT.csv", goodCSV)
	m, err := ReadDir(dir)
	if m != nil || !errors.Is(err, ErrDuplicateSymbol) {
		t.Fatalf("ReadDir()=%v, %v, want ErrDuplicateSymbol", m, err)
	}
	if got, want := err.Error(), "marketdata: "+filepath.Join(dir, "^RUT.csv")+": duplicate symbol: RUT is also in "+filepath.Join(dir, "RUT.csv"); got != want {
		t.Fatalf("ReadDir() error\n got %s\nwant %s", got, want)
	}
}

func TestReadDir_NoSymbolFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "_panel_close.csv", goodCSV)
	if m, err := ReadDir(dir); m != nil || !errors.Is(err, ErrEmpty) {
		t.Fatalf("ReadDir()=%v, %v, want ErrEmpty", m, err)
	}
	if _, err := ReadDir(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadDir(missing)=%v, want fs.ErrNotExist", err)
	}
}

func TestWriteCSV_RoundTrip(t *testing.T) {
	gen := Generate(GenConfig{Seed: 7, Start: day(2024, 1, 1), End: day(2025, 12, 31)})
	dir := t.TempDir()
	for _, sym := range Universe() {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, gen[sym]); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, sym+".csv", buf.String())
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, gen) {
		t.Fatal("ReadDir(WriteCSV(Generate())) differs from Generate()")
	}
}

// BenchmarkReadCSV reads ten years of generated daily bars (2,515 rows).
func BenchmarkReadCSV(b *testing.B) {
	s := Generate(GenConfig{Seed: 1, Start: day(2016, 1, 1), End: day(2025, 12, 31), Symbols: []string{"IWM"}})["IWM"]
	var buf bytes.Buffer
	if err := WriteCSV(&buf, s); err != nil {
		b.Fatal(err)
	}
	path := writeFile(b, b.TempDir(), "IWM.csv", buf.String())
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		got, err := ReadCSV(path, "IWM")
		if err != nil {
			b.Fatal(err)
		}
		if len(got.Bars) != len(s.Bars) {
			b.Fatalf("read %d bars, want %d", len(got.Bars), len(s.Bars))
		}
	}
}
