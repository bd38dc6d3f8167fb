package audit

import "strings"

// GenesisHash is the prev_hash of row 1: 64 zeros.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// schemaMigrationsSQL creates the table that records which migrations ran.
// It is created outside the numbered migrations so that their versions can
// be read before any of them is applied.
const schemaMigrationsSQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,  -- migration number, 1, 2, ...
    name       TEXT    NOT NULL,     -- what the migration did
    applied_at TEXT    NOT NULL      -- RFC 3339 UTC, from the log's clock
);`

// schemaV1 is migration 1: the events table, and the triggers that keep it
// append-only and chained.
//
// Ids that a row does not carry are NULL, never ” or 0, so the hash
// encoding (where NULL is the empty string) has one form per value; the
// CHECK constraints hold the table to that.
const schemaV1 = `CREATE TABLE events (
    seq             INTEGER PRIMARY KEY CHECK (seq >= 1),  -- 1, 2, 3, ... without gaps
    time            TEXT    NOT NULL CHECK (typeof(time) = 'text' AND length(time) = 30),  -- 2006-01-02T15:04:05.000000000Z
    kind            TEXT    NOT NULL CHECK (typeof(kind) = 'text' AND kind <> ''),  -- signal_received, plan, order_intent, ...
    event_id        TEXT    CHECK (event_id IS NULL OR (typeof(event_id) = 'text' AND event_id <> '')),  -- the signal event
    plan_id         TEXT    CHECK (plan_id IS NULL OR (typeof(plan_id) = 'text' AND plan_id <> '')),  -- the plan made for it
    order_ref       TEXT    CHECK (order_ref IS NULL OR (typeof(order_ref) = 'text' AND order_ref <> '')),  -- IB orderRef
    broker_order_id INTEGER CHECK (broker_order_id IS NULL OR (typeof(broker_order_id) = 'integer' AND broker_order_id <> 0)),  -- IB orderId
    perm_id         INTEGER CHECK (perm_id IS NULL OR (typeof(perm_id) = 'integer' AND perm_id <> 0)),  -- IB permId
    instrument      TEXT    CHECK (instrument IS NULL OR (typeof(instrument) = 'text' AND instrument <> '')),  -- e.g. RTY, M2K
    account         TEXT    CHECK (account IS NULL OR (typeof(account) = 'text' AND account <> '')),  -- e.g. DU1234567
    payload         TEXT    NOT NULL CHECK (typeof(payload) = 'text' AND json_valid(payload)),  -- compact JSON
    prev_hash       TEXT    NOT NULL CHECK (typeof(prev_hash) = 'text' AND length(prev_hash) = 64),  -- hash of row seq-1
    hash            TEXT    NOT NULL CHECK (typeof(hash) = 'text' AND length(hash) = 64)  -- see package doc
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'audit: events is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'audit: events is append-only: DELETE is not allowed');
END;

CREATE TRIGGER events_insert_at_head BEFORE INSERT ON events
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM events)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM events WHERE seq = NEW.seq - 1),
                                   '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
    SELECT RAISE(ABORT, 'audit: events is append-only: a row goes at seq max+1 with prev_hash = the hash of the row before it');
END;`

// schemaV2 is migration 2: indexes for the review commands' filters.
// Partial indexes skip the rows that do not carry the id.
const schemaV2 = `CREATE INDEX events_time ON events (time);
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_event_id ON events (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX events_plan_id ON events (plan_id) WHERE plan_id IS NOT NULL;
CREATE INDEX events_order_ref ON events (order_ref) WHERE order_ref IS NOT NULL;
CREATE INDEX events_instrument ON events (instrument) WHERE instrument IS NOT NULL;`

// Schema is the complete schema of an audit database at the newest version,
// exactly as the migrations create it (and as `sqlite3 audit.db .schema`
// prints it, apart from "IF NOT EXISTS"). It is documentation: Open runs the
// migrations, not this text.
//
// Reading it with the stock shell:
//
//	sqlite3 -readonly -box audit.db \
//	  "SELECT seq, time, kind, event_id, order_ref, payload FROM events ORDER BY seq DESC LIMIT 20"
//	sqlite3 -readonly audit.db \
//	  "SELECT seq, time, json_extract(payload, '$.status') FROM events WHERE order_ref = 'p1-RTY-1' ORDER BY seq"
var Schema = strings.Join([]string{schemaMigrationsSQL, schemaV1, schemaV2}, "\n\n") + "\n"

// migration is one numbered, forward-only schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists every schema change in order. Append only: a released
// migration is never edited, since databases in the field already ran it.
var migrations = []migration{
	{1, "events table with hash chain and append-only triggers", schemaV1},
	{2, "indexes for review filters", schemaV2},
}

// SchemaVersion is the schema version this binary creates and upgrades to:
// the version of the last entry in migrations.
const SchemaVersion = 2
