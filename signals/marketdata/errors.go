package marketdata

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors, always wrapped in a *CSVError that says where the problem
// is, so callers branch with errors.Is and people read file and line. Their
// text has no "marketdata:" prefix because the *CSVError around them adds it.
var (
	// ErrEmpty: the file has no header, or a header and no rows; or a
	// directory has no symbol files.
	ErrEmpty = errors.New("no data")
	// ErrMissingColumn: a required column (date, open, high, low, close) is
	// not in the header.
	ErrMissingColumn = errors.New("missing required column")
	// ErrBadHeader: the header names a column twice.
	ErrBadHeader = errors.New("bad header")
	// ErrBadDate: a date is not a valid YYYY-MM-DD calendar date.
	ErrBadDate = errors.New("bad date")
	// ErrUnsorted: a date comes before the previous row's date.
	ErrUnsorted = errors.New("dates out of order")
	// ErrDuplicateDate: a date repeats the previous row's date.
	ErrDuplicateDate = errors.New("duplicate date")
	// ErrBadPrice: a price is blank, not a number, not finite or not
	// positive, or the bar is inconsistent (high below low, open or close
	// outside the day's range) by more than the tolerance.
	ErrBadPrice = errors.New("bad price")
	// ErrBadVolume: a volume is not a number, not finite or negative.
	ErrBadVolume = errors.New("bad volume")
	// ErrAbsurdMove: a close moved by more than the allowed factor from the
	// previous close, which in daily data means a bad print or an
	// unadjusted split, not a market move.
	ErrAbsurdMove = errors.New("absurd move")
	// ErrDuplicateSymbol: two files in a directory map to the same symbol
	// (RUT.csv and ^RUT.csv).
	ErrDuplicateSymbol = errors.New("duplicate symbol")
)

// CSVError says which file, line and column a reading problem is in. Err
// wraps one of the sentinel errors above (with detail), or is the
// *os.PathError of a file that cannot be read, or an encoding/csv error
// (csv.ErrFieldCount, csv.ErrQuote, ...) for malformed CSV.
type CSVError struct {
	// File is the path as given to ReadCSV (or the name given to Read).
	File string
	// Line is the 1-based line in the file; 0 when the problem is not on a
	// line (the file cannot be opened, or is empty).
	Line int
	// Column is the column as spelled in the file's header, or "".
	Column string
	// Err is what is wrong.
	Err error
}

// Error returns "marketdata: FILE:LINE: column X: message", leaving out the
// line and the column when they are not known.
func (e *CSVError) Error() string {
	var b strings.Builder
	b.WriteString("marketdata: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Column != "" {
		b.WriteString("column ")
		b.WriteString(e.Column)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err, so errors.Is(err, ErrBadDate) and friends work.
func (e *CSVError) Unwrap() error { return e.Err }
