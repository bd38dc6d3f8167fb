package marketdata

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for Options.
const (
	// DefaultMaxDailyMove is the largest factor a close may move by from one
	// bar to the next: 5 means up to 5x and down to 1/5. The worst real
	// daily moves of the universe (March 2020) are under 1.5x, so anything
	// near 5x is a bad print or an unadjusted split.
	DefaultMaxDailyMove = 5.0
	// DefaultPriceTolerance is how far, as a fraction, a bar's open and close
	// may sit outside its [low, high] range (and high below low) before the
	// bar is rejected. Vendor files round OHLC independently and splice
	// sources, so exact consistency is too strict; 0.5% still catches a
	// swapped or mistyped column.
	DefaultPriceTolerance = 0.005
)

// Options tunes the validation of ReadCSV and ReadDir. The zero value uses
// the defaults.
type Options struct {
	// MaxDailyMove is the largest allowed factor between consecutive closes
	// (and adjusted closes); 0 or less means DefaultMaxDailyMove, and
	// math.Inf(1) turns the check off.
	MaxDailyMove float64
	// PriceTolerance is the relative slack of the OHLC consistency checks;
	// 0 or less means DefaultPriceTolerance.
	PriceTolerance float64
}

func (o Options) withDefaults() Options {
	if !(o.MaxDailyMove > 0) {
		o.MaxDailyMove = DefaultMaxDailyMove
	}
	if !(o.PriceTolerance > 0) {
		o.PriceTolerance = DefaultPriceTolerance
	}
	return o
}

// ReadCSV reads one symbol's daily bars from a CSV file with the default
// Options. See Options.Read for the format and the checks.
func ReadCSV(path, symbol string) (Series, error) {
	return Options{}.ReadCSV(path, symbol)
}

// ReadDir reads every symbol file in dir with the default Options. See
// Options.ReadDir.
func ReadDir(dir string) (map[string]Series, error) {
	return Options{}.ReadDir(dir)
}

// ReadCSV reads one symbol's daily bars from the CSV file at path. Errors
// are *CSVError values naming path.
func (o Options) ReadCSV(path, symbol string) (Series, error) {
	f, err := os.Open(path)
	if err != nil {
		return Series{}, &CSVError{File: path, Err: err}
	}
	defer f.Close()
	hint := 0
	if fi, err := f.Stat(); err == nil {
		hint = int(fi.Size()/48) + 1 // rows are 50-70 bytes: rather too much room than a regrowth
	}
	return o.read(f, path, symbol, hint)
}

// Read reads one symbol's daily bars as CSV from r; name is what errors call
// the source (usually its path).
//
// The header row names the columns, in any order and any case, with or
// without spaces or underscores: both yfinance's
// "Date,Open,High,Low,Close,Adj Close,Volume" and
// "date,open,high,low,close,adj_close,volume" work. Date, open, high, low
// and close are required; without an adjusted close AdjClose is Close,
// without a volume (or with a blank one) Volume is 0. Other columns are
// ignored. Dates are YYYY-MM-DD.
//
// Every row is checked: dates valid and strictly ascending, prices positive
// and finite, open and close inside [low, high] (within PriceTolerance), no
// close more than MaxDailyMove times (or less than 1/MaxDailyMove of) the
// one before. The first problem found is returned as a *CSVError with the
// line and column; no partial Series is returned with an error.
func (o Options) Read(r io.Reader, name, symbol string) (Series, error) {
	return o.read(r, name, symbol, 0)
}

// Column keys: the header names after lowercasing and dropping ' ', '_', '-'.
const (
	colDate     = "date"
	colOpen     = "open"
	colHigh     = "high"
	colLow      = "low"
	colClose    = "close"
	colAdjClose = "adjclose"
	colVolume   = "volume"
)

var requiredColumns = []string{colDate, colOpen, colHigh, colLow, colClose}

func normalizeColumn(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' || r == '-' {
			return -1
		}
		return r
	}, h)
}

// rowReader holds what the checks of one row need to name a problem.
type rowReader struct {
	name   string
	header []string // as spelled in the file
	line   int
}

func (rr *rowReader) fail(col int, err error) error {
	c := ""
	if col >= 0 {
		c = rr.header[col]
	}
	return &CSVError{File: rr.name, Line: rr.line, Column: c, Err: err}
}

func (o Options) read(r io.Reader, name, symbol string, hint int) (Series, error) {
	o = o.withDefaults()
	cr := csv.NewReader(r)
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return Series{}, &CSVError{File: name, Err: fmt.Errorf("%w: the file is empty (no header)", ErrEmpty)}
	}
	if err != nil {
		return Series{}, csvReadError(name, err)
	}
	header = slices.Clone(header)
	header[0] = strings.TrimPrefix(header[0], "\uFEFF") // Excel's byte order mark
	rr := &rowReader{name: name, header: header, line: 1}

	idx := map[string]int{colAdjClose: -1, colVolume: -1}
	seen := make(map[string]int, len(header))
	for i, h := range header {
		k := normalizeColumn(h)
		if j, dup := seen[k]; dup {
			return Series{}, rr.fail(i, fmt.Errorf("%w: column %d and column %d are both %q", ErrBadHeader, j+1, i+1, k))
		}
		seen[k] = i
		switch k {
		case colDate, colOpen, colHigh, colLow, colClose, colAdjClose, colVolume:
			idx[k] = i
		}
	}
	var missing []string
	for _, k := range requiredColumns {
		if _, ok := idx[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return Series{}, &CSVError{File: name, Line: 1, Column: strings.Join(missing, ", "),
			Err: fmt.Errorf("%w (header found: %q)", ErrMissingColumn, strings.Join(header, ","))}
	}
	iDate, iOpen, iHigh, iLow, iClose := idx[colDate], idx[colOpen], idx[colHigh], idx[colLow], idx[colClose]
	iAdj, iVol := idx[colAdjClose], idx[colVolume]

	bars := make([]Bar, 0, hint)
	prevLine := 0
	tol := o.PriceTolerance
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Series{}, csvReadError(name, err)
		}
		rr.line, _ = cr.FieldPos(0)

		var b Bar
		ds := strings.TrimSpace(rec[iDate])
		d, ok := parseDate(ds)
		if !ok {
			return Series{}, rr.fail(iDate, fmt.Errorf("%w: %q is not a YYYY-MM-DD date", ErrBadDate, rec[iDate]))
		}
		b.Date = d
		if n := len(bars); n > 0 {
			prev := bars[n-1].Date
			switch c := d.Compare(prev); {
			case c == 0:
				return Series{}, rr.fail(iDate, fmt.Errorf("%w: %s on line %d repeats line %d",
					ErrDuplicateDate, ds, rr.line, prevLine))
			case c < 0:
				return Series{}, rr.fail(iDate, fmt.Errorf("%w: %s on line %d comes before %s on line %d",
					ErrUnsorted, ds, rr.line, prev.Format(time.DateOnly), prevLine))
			}
		}
		for _, p := range [...]struct {
			i   int
			dst *float64
		}{{iOpen, &b.Open}, {iHigh, &b.High}, {iLow, &b.Low}, {iClose, &b.Close}, {iAdj, &b.AdjClose}} {
			if p.i < 0 {
				continue
			}
			v, err := parsePrice(rec[p.i])
			if err != nil {
				return Series{}, rr.fail(p.i, err)
			}
			*p.dst = v
		}
		if iAdj < 0 {
			b.AdjClose = b.Close
		}
		if iVol >= 0 {
			v, err := parseVolume(rec[iVol])
			if err != nil {
				return Series{}, rr.fail(iVol, err)
			}
			b.Volume = v
		}

		if col, err := checkRange(b, tol); err != nil {
			return Series{}, rr.fail(idx[col], err)
		}
		if n := len(bars); n > 0 {
			prev := bars[n-1]
			if err := checkMove("close", b.Close, prev.Close, "line "+strconv.Itoa(prevLine), o.MaxDailyMove); err != nil {
				return Series{}, rr.fail(iClose, err)
			}
			if iAdj >= 0 {
				if err := checkMove("adjusted close", b.AdjClose, prev.AdjClose, "line "+strconv.Itoa(prevLine), o.MaxDailyMove); err != nil {
					return Series{}, rr.fail(iAdj, err)
				}
			}
		}
		bars = append(bars, b)
		prevLine = rr.line
	}
	if len(bars) == 0 {
		return Series{}, &CSVError{File: name, Line: 1, Err: fmt.Errorf("%w: a header but no rows", ErrEmpty)}
	}
	return Series{Symbol: symbol, Bars: slices.Clip(bars)}, nil
}

// checkRange checks a bar's prices against each other, with slack tol for
// vendor rounding, and names the column at fault.
func checkRange(b Bar, tol float64) (column string, err error) {
	if b.High < b.Low*(1-tol) {
		return colHigh, fmt.Errorf("%w: high %g is below low %g by more than %g%%", ErrBadPrice, b.High, b.Low, tol*100)
	}
	for _, p := range [...]struct {
		col string
		v   float64
	}{{colOpen, b.Open}, {colClose, b.Close}} {
		if p.v < b.Low*(1-tol) || p.v > b.High*(1+tol) {
			return p.col, fmt.Errorf("%w: %s %g is outside the day's range [low %g, high %g] by more than %g%%",
				ErrBadPrice, p.col, p.v, b.Low, b.High, tol*100)
		}
	}
	return "", nil
}

func csvReadError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &CSVError{File: name, Line: pe.StartLine, Err: pe.Err} // the line the broken record starts on
	}
	return &CSVError{File: name, Err: err}
}

// checkMove refuses a move from prev to v beyond limit either way; where
// names the previous value ("line 12", "2026-11-20").
func checkMove(what string, v, prev float64, where string, limit float64) error {
	ratio := v / prev
	if ratio > limit || ratio < 1/limit {
		return fmt.Errorf("%w: %s %g is %.3gx the previous %s %g on %s (the limit is %gx either way)",
			ErrAbsurdMove, what, v, ratio, what, prev, where, limit)
	}
	return nil
}

// parseDate parses exactly YYYY-MM-DD, rejecting dates that do not exist.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, m, d := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	if y < 0 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // time.Date normalized an impossible day (Feb 30)
		return time.Time{}, false
	}
	return t, true
}

// atoi parses a short string of ASCII digits, or returns -1.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func parsePrice(field string) (float64, error) {
	s := strings.TrimSpace(field)
	if s == "" {
		return 0, fmt.Errorf("%w: blank", ErrBadPrice)
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%w: %q is not a number", ErrBadPrice, field)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%w: %q is not a finite number", ErrBadPrice, field)
	case v <= 0:
		return 0, fmt.Errorf("%w: %q is not positive", ErrBadPrice, field)
	}
	return v, nil
}

func parseVolume(field string) (float64, error) {
	s := strings.TrimSpace(field)
	if s == "" {
		return 0, nil // indices (^RUT) have no meaningful volume
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%w: %q is not a number", ErrBadVolume, field)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%w: %q is not a finite number", ErrBadVolume, field)
	case v < 0:
		return 0, fmt.Errorf("%w: %q is negative", ErrBadVolume, field)
	}
	return v, nil
}

// ReadDir reads every symbol file in dir, keyed by symbol. A symbol file is
// a regular file named SYMBOL.csv (any case of ".csv"): IWM.csv is "IWM".
// Yahoo index symbols may keep or drop their caret: ^RUT.csv and RUT.csv
// are both "RUT" (having both is an error). Everything else is ignored:
// other extensions, directories, hidden files, and names with anything but
// letters, digits, '.', '-' and '=' in the symbol, in particular any '_',
// which marks derived or partial files (_panel_close.csv,
// IWC_adjclose_only_2015_2026-08.csv).
//
// It reads all the files and, if any is bad, returns nil and every file's
// error joined (errors.Join), so one run shows everything to fix. A
// directory without symbol files is an error (ErrEmpty).
func (o Options) ReadDir(dir string) (map[string]Series, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("marketdata: %w", err)
	}
	out := make(map[string]Series)
	from := make(map[string]string) // symbol -> path that holds it
	var errs []error
	for _, e := range entries {
		sym, ok := symbolOf(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if prev, dup := from[sym]; dup {
			errs = append(errs, &CSVError{File: path, Err: fmt.Errorf("%w: %s is also in %s", ErrDuplicateSymbol, sym, prev)})
			continue
		}
		from[sym] = path
		s, err := o.ReadCSV(path, sym)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[sym] = s
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, &CSVError{File: dir, Err: fmt.Errorf("%w: no symbol files (SYMBOL.csv) in the directory", ErrEmpty)}
	}
	return out, nil
}

// symbolOf returns the symbol a file name holds, if it is a symbol file.
func symbolOf(name string) (string, bool) {
	ext := filepath.Ext(name)
	if !strings.EqualFold(ext, ".csv") {
		return "", false
	}
	sym := strings.TrimPrefix(strings.TrimSuffix(name, ext), "^")
	if sym == "" || sym[0] == '.' {
		return "", false
	}
	for _, c := range sym {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '='
		if !ok {
			return "", false
		}
	}
	return sym, true
}

// WriteCSV writes s as "date,open,high,low,close,adj_close,volume" with
// every float in its shortest exact form, so ReadCSV reads back the same
// bars. It is how generated data becomes files for the demo.
func WriteCSV(w io.Writer, s Series) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("date,open,high,low,close,adj_close,volume\n")
	var buf []byte
	for _, b := range s.Bars {
		buf = b.Date.AppendFormat(buf[:0], time.DateOnly)
		for _, v := range [...]float64{b.Open, b.High, b.Low, b.Close, b.AdjClose, b.Volume} {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("marketdata: write %s: %w", s.Symbol, err)
	}
	return nil
}
