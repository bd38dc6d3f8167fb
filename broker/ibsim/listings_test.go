package ibsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rotor-trading/rotor/signals/marketdata"
)

// TestCatalogMatchesLookup asks one catalog about days on both sides of
// RTY's December 2026 expiry (18 December), in the order a clock moving
// forward, then back, then forward again gives them, and checks every
// answer against a catalog built afresh for the day.
func TestCatalogMatchesLookup(t *testing.T) {
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	days := []time.Time{d(12, 16), d(12, 17), d(12, 18), d(12, 18), d(12, 19), d(12, 21), d(12, 17), d(12, 22), d(9, 18)}
	var c Catalog
	for _, day := range days {
		front := Lookup(ContractQuery{Symbol: "RTY", SecType: "FUT"}, day)
		if len(front) == 0 {
			t.Fatalf("Lookup(RTY, %s) lists nothing", day.Format(time.DateOnly))
		}
		queries := []ContractQuery{
			{Symbol: "RTY", SecType: "FUT"},
			{Symbol: "rty", SecType: "FUT", Exchange: "CME", Currency: "USD", Month: "202612"},
			{Symbol: "RTY", SecType: "FUT", Month: "20270319"},
			{LocalSymbol: front[0].LocalSymbol},
			{ConID: front[0].ConID},
			{ConID: front[len(front)-1].ConID, SecType: "FUT"},
			{Symbol: "M2K"},
			{Symbol: "XAK", SecType: "FUT"},
			{Symbol: "IWM"},
			{Symbol: "IWM", Exchange: "ARCA"},
			{Symbol: "SPX", SecType: "IND"},
			{ConID: etfListing("XLK").ConID},
			{Symbol: "NOPE"},
			{ConID: 42},
		}
		for _, q := range queries {
			got, want := c.lookup(q, day), Lookup(q, day)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("catalog.lookup(%+v, %s) = %v, want %v", q, day.Format(time.DateOnly), got, want)
			}
		}
	}
}

// TestCatalogAnswersAreTheCallers checks that changing what the catalog
// returned does not change its next answer.
func TestCatalogAnswersAreTheCallers(t *testing.T) {
	var c Catalog
	q := ContractQuery{Symbol: "RTY", SecType: "FUT"}
	first := c.lookup(q, testDay)
	want := Lookup(q, testDay)
	for i := range first {
		first[i].LocalSymbol, first[i].Tick = "XXX", decimal.NewFromInt(7)
	}
	_ = append(first[:1], Listing{Name: "appended"})
	if got := c.lookup(q, testDay); !reflect.DeepEqual(got, want) {
		t.Fatalf("catalog.lookup after the caller changed its answer = %v, want %v", got, want)
	}
}

// TestSharedCatalogMatchesLookup runs engines sharing one catalog, as a
// sweep's do, concurrently (run with -race) over every day of two years,
// each in its own order (forward, backward, shuffled), and checks what
// they resolve against a catalog built afresh for the day. It also checks
// that the catalog was shared: days listing the same expiries get one
// catalog, built once.
func TestSharedCatalogMatchesLookup(t *testing.T) {
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var days []time.Time
	for d := first; d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	orders := make([][]time.Time, 4)
	for k := range orders {
		orders[k] = slices.Clone(days)
	}
	slices.Reverse(orders[1])
	for k, r := range []*rand.Rand{rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(3, 4))} {
		r.Shuffle(len(days), func(i, j int) { orders[2+k][i], orders[2+k][j] = orders[2+k][j], orders[2+k][i] })
	}
	queries := func(day time.Time) []ContractQuery {
		front := Lookup(ContractQuery{Symbol: "M2K", SecType: "FUT"}, day)[0]
		return []ContractQuery{
			{Symbol: "RTY", SecType: "FUT"},
			{Symbol: "M2K", SecType: "FUT", Month: front.Expiry.Format("20060102")},
			{Symbol: "XAF", SecType: "FUT", Month: front.Expiry.AddDate(0, 3, 0).Format("200601")},
			{LocalSymbol: front.LocalSymbol},
			{ConID: front.ConID},
			{Symbol: "IWM"},
		}
	}
	var shared Catalog
	errs := make([]error, len(orders))
	var wg sync.WaitGroup
	for k, order := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var now time.Time
			e := NewEngine(EngineConfig{Account: "DU1", Now: func() time.Time { return now }, Catalog: &shared})
			for _, day := range order {
				now = day.Add(21 * time.Hour)
				for _, q := range queries(day) {
					if got, want := e.Resolve(q), Lookup(q, day); !reflect.DeepEqual(got, want) {
						errs[k] = fmt.Errorf("engine %d: Resolve(%+v) on %s = %v, want %v", k, q, day.Format(time.DateOnly), got, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	sets := map[[listedCount]time.Time]bool{}
	for _, d := range days {
		sets[[listedCount]time.Time(listedExpiries(d))] = true
		if shared.of(d) != shared.listed[[listedCount]time.Time(listedExpiries(d))] {
			t.Fatalf("the catalog of %s is not the one of its expiries", d.Format(time.DateOnly))
		}
	}
	if len(shared.listed) != len(sets) || len(shared.days) != len(days) {
		t.Fatalf("the catalog holds %d sets of listings for %d days, want %d for %d", len(shared.listed), len(shared.days), len(sets), len(days))
	}
}

// TestEngineResolvesTheDayItIsOn moves an engine's clock across an expiry
// and back and checks that Resolve and Place see the catalog of the day,
// with sessions resolving concurrently (run with -race).
func TestEngineResolvesTheDayItIsOn(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 17, 21, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	e := newTestEngine(t, 1_000_000, func(c *EngineConfig) { c.Now = clock })
	q := ContractQuery{Symbol: "RTY", SecType: "FUT"}
	id := int64(0)
	for _, at := range []time.Time{now, now.AddDate(0, 0, 2), now, now.AddDate(0, 0, 5)} {
		set(at)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.Resolve(q)
			}()
		}
		wg.Wait()
		got, want := e.Resolve(q), Lookup(q, civilDay(at))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Resolve on %s = %v, want %v", at.Format(time.DateOnly), got, want)
		}
		id++
		o, _, err := e.Place(spec(id, ContractQuery{Symbol: "RTY", SecType: "FUT", Month: want[0].Expiry.Format("200601")}, "BUY", 1, "MKT", ""))
		if err != nil {
			t.Fatalf("Place front month on %s: %v", at.Format(time.DateOnly), err)
		}
		if got, want := o.Listing.LocalSymbol, want[0].LocalSymbol; got != want {
			t.Fatalf("Place on %s filled %s, want %s", at.Format(time.DateOnly), got, want)
		}
	}
}

// TestMarksFollowTheDayAndTheOverrides checks the engine's cached marks
// against marks worked out afresh as the day moves and a price is set.
func TestMarksFollowTheDayAndTheOverrides(t *testing.T) {
	series := map[string]marketdata.Series{"RUT": {Symbol: "RUT", Bars: []marketdata.Bar{
		{Date: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Close: 2400.13},
		{Date: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), Close: 2411.37},
	}}}
	p := newPrices(series)
	l := Lookup(ContractQuery{Symbol: "RTY", SecType: "FUT"}, testDay)[0]
	m2k := Lookup(ContractQuery{Symbol: "M2K", SecType: "FUT"}, testDay)[0]
	check := func(day time.Time) {
		t.Helper()
		for _, l := range []Listing{l, m2k} {
			fresh := &prices{series: series, overrides: p.overrides}
			want, werr := fresh.mark(l, day)
			got, err := p.mark(l, day)
			if !got.Equal(want) || got.Exponent() != want.Exponent() || (err == nil) != (werr == nil) {
				t.Fatalf("mark(%s, %s) = %s, %v, want %s, %v", l.LocalSymbol, day.Format(time.DateOnly), got, err, want, werr)
			}
		}
	}
	fri, mon := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	check(fri)
	check(mon)
	check(fri)
	p.set("RUT", 2390.5)
	check(fri)
	p.set("RUT", 2395.25)
	check(mon)
}
