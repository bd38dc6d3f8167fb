package ibsim

import (
	"sync"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

// Catalog holds the paper broker's listings day by day, so that an engine
// resolving contract after contract (every order, every contract-details
// request) builds them once instead of on every call. Engines may share
// one (EngineConfig.Catalog): a backtest sweep runs a hundred engines over
// the same days, and each would otherwise build the same listings. The
// zero Catalog is ready to use, and it is safe for concurrent use.
//
// Why it answers as Lookup does: a day's catalog is a function of the
// quarterly expiries listed on the day alone (futureListings and
// allListings take nothing else from it), so the listings built for one
// day's expiries serve every day that lists the same ones, compared with
// == (instant and location, so that even the listings' Expiry fields are
// the same values). Each root's listings are built under the lock when
// first asked for and never changed after, and lookup copies out what
// matches and never returns or appends to the slices it reads, so they
// are read without the lock.
//
// A Catalog grows by a map entry per day asked about and by the listings
// of each set of expiries, that is of each quarter.
type Catalog struct {
	mu     sync.Mutex
	days   map[time.Time]*listed              // by day, as Engine.Today gives it
	listed map[[listedCount]time.Time]*listed // by listedExpiries
}

// listed is the catalog of the days that list the same expiries. The
// Catalog's lock guards it.
type listed struct {
	expiries []time.Time
	futures  map[string][]Listing // by root, as futureListings gives them
	all      []Listing            // allListings, nil until asked for
}

// lookup is Lookup(q, day) from the catalog.
func (c *Catalog) lookup(q ContractQuery, day time.Time) []Listing {
	l := c.of(day)
	return lookup(q, func(in broker.Instrument) []Listing {
		c.mu.Lock()
		defer c.mu.Unlock()
		ls, ok := l.futures[in.Root]
		if !ok {
			ls = futureListings(in, l.expiries)
			l.futures[in.Root] = ls
		}
		return ls
	}, func() []Listing {
		c.mu.Lock()
		defer c.mu.Unlock()
		if l.all == nil {
			l.all = allListings(l.expiries)
		}
		return l.all
	})
}

// of returns the catalog of day, a new one when no day asked about before
// lists the same expiries.
func (c *Catalog) of(day time.Time) *listed {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.days[day]; ok {
		return l
	}
	if c.days == nil {
		c.days, c.listed = make(map[time.Time]*listed), make(map[[listedCount]time.Time]*listed)
	}
	exps := listedExpiries(day)
	key := [listedCount]time.Time(exps)
	l, ok := c.listed[key]
	if !ok {
		l = &listed{expiries: exps, futures: make(map[string][]Listing)}
		c.listed[key] = l
	}
	c.days[day] = l
	return l
}
