package state_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/shopspring/decimal"
)

func TestUpdateMarks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	l := mustOpen(t, path)
	if _, ok, err := state.LoadMarks(ctx, l, acct); err != nil || ok {
		t.Fatalf("LoadMarks(new log) = ok %v, %v; want none", ok, err)
	}
	steps := []struct {
		name        string
		nlv, day    string
		start, hwm  string
		wantWritten bool
	}{
		{"first call: both marks", "1000000", "2026-03-02", "1000000", "1000000", true},
		{"lower, same day: nothing", "990000", "2026-03-02", "1000000", "1000000", false},
		{"equal to the mark: nothing", "1000000", "2026-03-02", "1000000", "1000000", false},
		{"above the mark: new high", "1010000", "2026-03-02", "1000000", "1010000", true},
		{"new day, below the high", "1005000", "2026-03-03", "1005000", "1010000", true},
		{"same day again: nothing", "1001000", "2026-03-03", "1005000", "1010000", false},
		{"new day and new high", "1020000", "2026-03-04", "1020000", "1020000", true},
		{"an earlier day is not a new day", "1000000", "2026-03-03", "1020000", "1020000", false},
		{"an earlier day still raises the high", "1030000", "2026-03-03", "1020000", "1030000", true},
	}
	for _, s := range steps {
		before := head(t, l)
		m, err := state.UpdateMarks(ctx, l, acct, decimal.RequireFromString(s.nlv), s.day)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !m.DayStartNLV.Equal(decimal.RequireFromString(s.start)) || !m.HighWaterMark.Equal(decimal.RequireFromString(s.hwm)) {
			t.Fatalf("%s: UpdateMarks(%s, %s) = start %s, hwm %s; want %s, %s", s.name, s.nlv, s.day, m.DayStartNLV, m.HighWaterMark, s.start, s.hwm)
		}
		if got := head(t, l) - before; got != map[bool]int64{true: 1, false: 0}[s.wantWritten] {
			t.Fatalf("%s: wrote %d rows, want written=%v", s.name, got, s.wantWritten)
		}
		loaded, ok, err := state.LoadMarks(ctx, l, acct)
		if err != nil || !ok || loaded.Day != m.Day || !loaded.DayStartNLV.Equal(m.DayStartNLV) || !loaded.HighWaterMark.Equal(m.HighWaterMark) {
			t.Fatalf("%s: LoadMarks() = %+v, %v, %v; want %+v", s.name, loaded, ok, err, m)
		}
	}
	l.Close()
	l = mustOpen(t, path)
	m, ok, err := state.LoadMarks(ctx, l, acct)
	if err != nil || !ok || m.Day != "2026-03-04" || m.HighWaterMark.String() != "1030000" {
		t.Fatalf("after reopening: LoadMarks() = %+v, %v, %v", m, ok, err)
	}
	rec, err := l.Last(ctx, state.KindRiskMarks)
	if err != nil || rec.Account != acct || !strings.Contains(string(rec.Payload), `"high_water_mark":"1030000"`) {
		t.Fatalf("last risk_marks row = %+v, %v", rec, err)
	}
	if _, ok, _ := state.LoadMarks(ctx, l, "DU7654321"); ok {
		t.Fatal("another account has this account's marks")
	}
}

func TestUpdateMarksRefuses(t *testing.T) {
	l := mustOpenLog(t)
	for _, tt := range []struct{ nlv, day, want string }{
		{"0", "2026-03-02", "not positive"},
		{"-5", "2026-03-02", "not positive"},
		{"100", "2026-3-2", "YYYY-MM-DD"},
		{"100", "", "YYYY-MM-DD"},
	} {
		if _, err := state.UpdateMarks(ctx, l, acct, decimal.RequireFromString(tt.nlv), tt.day); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("UpdateMarks(%s, %q) err=%v, want %q", tt.nlv, tt.day, err, tt.want)
		}
	}
	if head(t, l) != 0 {
		t.Fatal("a refused update wrote a row")
	}
}

func TestTradeDate(t *testing.T) {
	chi, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	ct := func(s string) time.Time {
		t.Helper()
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, chi)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	utc := func(s string) time.Time {
		t.Helper()
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"Tuesday morning", ct("2026-03-03 09:00"), "2026-03-03"},
		{"Tuesday 16:59", ct("2026-03-03 16:59"), "2026-03-03"},
		{"Tuesday 17:00 opens Wednesday", ct("2026-03-03 17:00"), "2026-03-04"},
		{"Thursday evening is Friday", ct("2026-03-05 20:00"), "2026-03-06"},
		{"Friday afternoon", ct("2026-03-06 15:00"), "2026-03-06"},
		{"Friday 17:00 is Monday", ct("2026-03-06 17:00"), "2026-03-09"},
		{"Saturday is Monday", ct("2026-03-07 12:00"), "2026-03-09"},
		{"Sunday before the open is Monday", ct("2026-03-08 16:59"), "2026-03-09"},
		{"Sunday open is Monday", ct("2026-03-08 17:00"), "2026-03-09"},
		{"Monday 23:59 is Tuesday", ct("2026-03-09 23:59"), "2026-03-10"},
		// 2026-03-08 02:00 CST→CDT: 17:00 is 23:00 UTC before, 22:00 UTC after.
		{"winter 22:30 UTC is 16:30 CST", utc("2026-03-03 22:30"), "2026-03-03"},
		{"summer 22:30 UTC is 17:30 CDT", utc("2026-03-10 22:30"), "2026-03-11"},
		{"winter 23:00 UTC is the 17:00 CST open", utc("2026-03-03 23:00"), "2026-03-04"},
		{"summer 21:59 UTC is 16:59 CDT", utc("2026-03-10 21:59"), "2026-03-10"},
		// 2026-11-01 02:00 CDT→CST.
		{"last CDT Friday 21:30 UTC", utc("2026-10-30 21:30"), "2026-10-30"},
		{"last CDT Friday 22:00 UTC is Monday", utc("2026-10-30 22:00"), "2026-11-02"},
		{"first CST Monday 22:30 UTC is 16:30", utc("2026-11-02 22:30"), "2026-11-02"},
		{"first CST Monday 23:00 UTC is 17:00", utc("2026-11-02 23:00"), "2026-11-03"},
		{"New Year's Eve evening", ct("2026-12-31 18:00"), "2027-01-01"},
	}
	for _, tt := range tests {
		if got := state.TradeDate(tt.at); got != tt.want {
			t.Errorf("%s: TradeDate(%s) = %s, want %s", tt.name, tt.at.Format(time.RFC3339), got, tt.want)
		}
	}
}
