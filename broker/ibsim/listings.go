package ibsim

import (
	"sync"
	"time"

	"github.com/rotor-trading/rotor/broker"
)

// listingCache holds the catalog of one calendar day, so that an engine
// resolving contract after contract (every order, every contract-details
// request) builds each root's listings once a day instead of on every call.
// The catalog is a function of the day alone (the quarterly expiries listed
// on it), so the cache is dropped whenever it is asked about another day,
// whichever way the clock moved. It has its own lock: Resolve runs outside
// the engine's lock, and Place inside it (the order is always engine, then
// cache).
type listingCache struct {
	mu      sync.Mutex
	day     time.Time
	futures map[string][]Listing // by root, as futureListings gives them
	all     []Listing            // allListings, nil until asked for
}

// lookup is Lookup(q, day) from the cache.
func (c *listingCache) lookup(q ContractQuery, day time.Time) []Listing {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.futures == nil || !c.day.Equal(day) {
		c.day, c.futures, c.all = day, map[string][]Listing{}, nil
	}
	return lookup(q, func(in broker.Instrument) []Listing {
		ls, ok := c.futures[in.Root]
		if !ok {
			ls = futureListings(in, day)
			c.futures[in.Root] = ls
		}
		return ls
	}, func() []Listing {
		if c.all == nil {
			c.all = allListings(day)
		}
		return c.all
	})
}
