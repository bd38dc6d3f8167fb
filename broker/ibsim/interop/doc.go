// Package interop proves the paper broker's claim that any conforming TWS
// API client can trade with it, not only the Go library rotor's adapter is
// built on. Its tests drive broker/ibsim with independent clients written by
// other people (the npm package @stoqey/ib, under testdata/node) over a real
// loopback socket, and check what each client understood against the
// paper broker's own book.
//
// The package has no code of its own; the Node project must be installed
// first: cd broker/ibsim/interop/testdata/node && npm ci
package interop
