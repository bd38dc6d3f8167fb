// Package marketdata holds the daily bars rotor's signal worker reads and
// its paper broker marks positions with.
//
// It reads them from CSV files (one file per symbol, see ReadDir), checks
// them hard enough that a bad download fails loudly instead of skewing a
// signal, and can generate a deterministic, realistic synthetic universe
// (Generate) for tests and demos. The NYSE trading calendar the generator
// follows is exported too (TradingDays, IsNYSEHoliday).
//
// Every date in this package is a calendar day: midnight UTC.
package marketdata
