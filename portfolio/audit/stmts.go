package audit

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds a statementCache. The log's queries come from
// a few fixed texts and from Filter, whose texts vary only with which
// fields are set (the limit is an argument), so a cache this size holds
// every one a process uses; anything past it is prepared for one use.
const maxCachedStatements = 128

// statementCache keeps one database's prepared statements by query text.
// Preparing is a good part of a small query's cost (SQLite compiles the
// text each time), and the portfolio service makes the same few queries
// for every event. A cached *sql.Stmt is prepared on each pooled
// connection the first time it runs there and reused after that
// (database/sql keeps the per-connection copies), also inside a
// transaction through Tx.StmtContext.
type statementCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStatementCache(db *sql.DB) *statementCache {
	return &statementCache{db: db, stmts: make(map[string]*sql.Stmt)}
}

// get returns the prepared statement for q and the function to call when
// done with it: a no-op for a cached statement, Close for one prepared
// past the cache's bound.
//
// Preparing takes one of the database's connections, so it is done
// without holding the cache's lock (the writer has a single connection,
// which an open transaction holds), and never from inside a transaction of
// the same database: get the statement first, then begin.
func (c *statementCache) get(ctx context.Context, q string) (*sql.Stmt, func(), error) {
	c.mu.Lock()
	s, ok := c.stmts[q]
	c.mu.Unlock()
	if ok {
		return s, func() {}, nil
	}
	s, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached, ok := c.stmts[q]; ok { // prepared meanwhile by another caller
		s.Close()
		return cached, func() {}, nil
	}
	if len(c.stmts) >= maxCachedStatements {
		return s, func() { s.Close() }, nil
	}
	c.stmts[q] = s
	return s, func() {}, nil
}

// close closes every cached statement.
func (c *statementCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.stmts {
		s.Close()
		delete(c.stmts, q)
	}
}
