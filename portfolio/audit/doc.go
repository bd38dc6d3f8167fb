// Package audit is rotor's audit log: an append-only, hash-chained record of
// every signal received, plan, risk decision, order intent, broker event,
// fill, error and operator action, in one SQLite file. The portfolio service
// writes it (an order intent is committed and fsync'd before the order is
// sent); the review commands (`rotor audit list/show/verify/export/serve`)
// read it; nothing ever updates or deletes a row.
//
// # Storage
//
// One SQLite database (github.com/mattn/go-sqlite3) in WAL mode with
// synchronous=FULL, foreign keys on and a busy timeout. Schema changes are
// numbered migrations recorded in schema_migrations, each applied in its own
// transaction; Open refuses a database from a newer rotor (ErrSchemaTooNew)
// without touching it. Schema holds the full schema text.
//
// The table events has one row per fact:
//
//	seq             INTEGER PRIMARY KEY  1, 2, 3, ... with no gaps
//	time            TEXT     RFC 3339 UTC, nine fraction digits: 2026-03-02T14:30:00.123456789Z
//	kind            TEXT     signal_received, plan, risk_decision, order_intent, order_status, fill, ...
//	event_id        TEXT     the signal event          } NULL when the row
//	plan_id         TEXT     the plan                   } does not carry it
//	order_ref       TEXT     the order reference (IB orderRef)
//	broker_order_id INTEGER  IB orderId
//	perm_id         INTEGER  IB permId
//	instrument      TEXT     e.g. RTY
//	account         TEXT     e.g. DU1234567
//	payload         TEXT     compact JSON, the numbers behind the row
//	prev_hash       TEXT     hash of row seq-1; 64 zeros for row 1
//	hash            TEXT     see below
//
// Triggers abort every UPDATE and DELETE on events, and every INSERT that is
// not at seq max+1 with prev_hash equal to the previous row's hash. The
// triggers stop accidents and casual edits; they are not the proof. Someone
// who drops them (anyone who can write the file can) is still caught by
// Verify, which needs nothing but the rows.
//
// # The hash
//
// hash = lower-case hex of sha256 over the concatenation of these fields,
// each as a netstring — its length in bytes in decimal, ':', its bytes, ',':
//
//	"rotor.audit.v1", seq, time, kind, event_id, plan_id, order_ref,
//	broker_order_id, perm_id, instrument, account, payload, prev_hash
//
// Integers are written in decimal (seq 12 is "2:12,"); a NULL column is the
// empty string ("0:,"); text is its UTF-8 bytes as stored. For example row 1
// of kind "plan" at 2026-01-02T15:04:05.000000000Z with plan_id "p1", no
// other ids, payload {} is the sha256 of
//
//	14:rotor.audit.v1,1:1,30:2026-01-02T15:04:05.000000000Z,4:plan,0:,2:p1,0:,0:,0:,0:,0:,2:{},64:0000...0000,
//
// HashSQL is the same encoding as an SQL expression, and VerifyScript (the
// file verify.sh) recomputes the whole chain with the sqlite3 shell, xxd and
// sha256sum. Its core, which checks each row's own hash (the script also
// checks that each prev_hash is the previous row's hash and that no seq is
// missing):
//
//	sqlite3 -readonly -noheader -separator ' ' audit.db \
//	  "SELECT seq, hash, hex(<HashSQL>) FROM events ORDER BY seq" |
//	while read -r seq hash enc; do
//	  [ "$(printf %s "$enc" | xxd -r -p | sha256sum | cut -c1-64)" = "$hash" ] || echo "row $seq changed"
//	done
//
// # What verification can and cannot see
//
// Verify names the first row that was changed, removed, reordered or
// inserted. A chain without a secret cannot show that rows were cut off the
// end, or that the whole file was rewritten with a fresh chain: for that,
// remember Head somewhere else (a log line, another system) and use
// VerifyAgainst.
//
// # Reading a decision's story
//
// Rows are tied together by their ids: Story(eventID) returns the rows with
// that event id, the rows with any plan id those carry, and the rows with
// any order reference either carries. Rows the portfolio service writes
// about an order (intent, sent, broker events, status, fills) must therefore
// carry its order_ref. An order_status row whose payload has "final": true
// ends an order's story for IntentsWithoutFinalState.
//
// # Writers
//
// Every append takes the database's write lock (BEGIN IMMEDIATE), so rows
// from several handles and processes interleave whole. A writer that
// decided on rows it read earlier passes guards to AppendBatch (NoNewer:
// no row of these kinds since the one it read; NoRow: no row of this event
// yet), checked under that lock: if one fails nothing is written and the
// error is a *ConflictError. Claim gives a process an exclusive, named
// claim on the log for as long as it lives (a file lock on
// <database>.claim-<name>); the portfolio service claims its account and
// mode, so only one service routes an account.
package audit
