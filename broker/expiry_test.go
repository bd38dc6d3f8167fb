package broker

import (
	"errors"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestThirdFriday(t *testing.T) {
	tests := []struct {
		year  int
		month time.Month
		want  string
	}{
		{2026, time.December, "2026-12-18"},
		{2027, time.March, "2027-03-19"},
		{2026, time.May, "2026-05-15"}, // the 1st is a Friday
		{2025, time.March, "2025-03-21"},
		{2026, time.September, "2026-09-18"},
	}
	for _, tt := range tests {
		if got := ThirdFriday(tt.year, tt.month).Format(time.DateOnly); got != tt.want {
			t.Errorf("ThirdFriday(%d, %s) = %s, want %s", tt.year, tt.month, got, tt.want)
		}
	}
}

func TestQuarterlyExpiries(t *testing.T) {
	tests := []struct {
		from string
		want []string
	}{
		{"2026-11-23", []string{"2026-12-18", "2027-03-19", "2027-06-18"}},
		{"2026-12-18", []string{"2026-12-18", "2027-03-19", "2027-06-18"}}, // expiry day still lists it
		{"2026-12-19", []string{"2027-03-19", "2027-06-18", "2027-09-17"}},
		{"2026-01-02", []string{"2026-03-20", "2026-06-19", "2026-09-18"}},
	}
	for _, tt := range tests {
		got := QuarterlyExpiries(day(tt.from), 3)
		for i, w := range tt.want {
			if g := got[i].Format(time.DateOnly); g != w {
				t.Errorf("QuarterlyExpiries(%s)[%d] = %s, want %s", tt.from, i, g, w)
			}
		}
	}
}

func TestLocalSymbol(t *testing.T) {
	if got, want := LocalSymbol("RTY", day("2026-12-18")), "RTYZ6"; got != want {
		t.Fatalf("LocalSymbol = %s, want %s", got, want)
	}
	if got, want := LocalSymbol("M2K", day("2027-03-19")), "M2KH7"; got != want {
		t.Fatalf("LocalSymbol = %s, want %s", got, want)
	}
}

func TestAddBusinessDays(t *testing.T) {
	if got, want := AddBusinessDays(day("2026-12-18"), -5).Format(time.DateOnly), "2026-12-11"; got != want {
		t.Fatalf("5 business days before Fri 2026-12-18 = %s, want %s", got, want)
	}
	if got, want := AddBusinessDays(day("2026-11-20"), 1).Format(time.DateOnly), "2026-11-23"; got != want {
		t.Fatalf("1 business day after Fri 2026-11-20 = %s, want %s", got, want)
	}
}

func TestSelectFuture(t *testing.T) {
	listed := []Contract{
		{LocalSymbol: "RTYH7", Expiry: day("2027-03-19")},
		{LocalSymbol: "RTYZ6", Expiry: day("2026-12-18")},
		{LocalSymbol: "RTYM7", Expiry: day("2027-06-18")},
	}
	tests := []struct {
		asOf     string
		rollDays int
		want     string
	}{
		{"2026-11-23", 5, "RTYZ6"},
		{"2026-12-10", 5, "RTYZ6"}, // roll date is 12-11: not yet
		{"2026-12-11", 5, "RTYH7"}, // on the roll date it has rolled
		{"2026-12-17", 0, "RTYZ6"},
		{"2026-12-18", 0, "RTYH7"}, // never hold into the last trade date
		{"2027-06-17", 0, "RTYM7"},
	}
	for _, tt := range tests {
		got, err := SelectFuture(listed, day(tt.asOf), tt.rollDays)
		if err != nil {
			t.Fatalf("SelectFuture(%s, %d): %v", tt.asOf, tt.rollDays, err)
		}
		if got.LocalSymbol != tt.want {
			t.Errorf("SelectFuture(%s, %d) = %s, want %s", tt.asOf, tt.rollDays, got.LocalSymbol, tt.want)
		}
	}
	if _, err := SelectFuture(listed, day("2027-06-18"), 0); !errors.Is(err, ErrNoSecurityDefinition) {
		t.Fatalf("past every expiry: err = %v, want ErrNoSecurityDefinition", err)
	}
	if _, err := SelectFuture(listed, day("2026-11-23"), -1); err == nil {
		t.Fatal("negative roll days accepted")
	}
}
