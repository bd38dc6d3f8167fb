#!/bin/sh
# Recompute a rotor audit log's hash chain with the stock sqlite3 shell,
# xxd and sha256sum, without trusting rotor.  Usage: sh verify.sh audit.db
#
# Each row's hash is sha256 of netstrings (len:bytes,) of
#   "rotor.audit.v1", seq, time, kind, event_id, plan_id, order_ref,
#   broker_order_id, perm_id, instrument, account, payload, prev_hash
# with NULL as the empty string; row 1's prev_hash is 64 zeros and every
# other row's is the hash of the row before it.
set -eu
db=$1
sqlite3 -readonly -batch -noheader -list -separator ' ' "$db" "
SELECT seq, prev_hash, hash, hex('14:rotor.audit.v1,'
  || length(CAST(seq AS BLOB)) || ':' || seq || ','
  || length(CAST(time AS BLOB)) || ':' || time || ','
  || length(CAST(kind AS BLOB)) || ':' || kind || ','
  || length(CAST(coalesce(event_id, '') AS BLOB)) || ':' || coalesce(event_id, '') || ','
  || length(CAST(coalesce(plan_id, '') AS BLOB)) || ':' || coalesce(plan_id, '') || ','
  || length(CAST(coalesce(order_ref, '') AS BLOB)) || ':' || coalesce(order_ref, '') || ','
  || length(CAST(coalesce(broker_order_id, '') AS BLOB)) || ':' || coalesce(broker_order_id, '') || ','
  || length(CAST(coalesce(perm_id, '') AS BLOB)) || ':' || coalesce(perm_id, '') || ','
  || length(CAST(coalesce(instrument, '') AS BLOB)) || ':' || coalesce(instrument, '') || ','
  || length(CAST(coalesce(account, '') AS BLOB)) || ':' || coalesce(account, '') || ','
  || length(CAST(payload AS BLOB)) || ':' || payload || ','
  || length(CAST(prev_hash AS BLOB)) || ':' || prev_hash || ',')
FROM events ORDER BY seq;" | {
	want=1
	prev=0000000000000000000000000000000000000000000000000000000000000000
	while read -r seq prev_hash hash enc; do
		if [ "$seq" != "$want" ]; then
			echo "row $want is missing"; exit 1
		fi
		got=$(printf '%s' "$enc" | xxd -r -p | sha256sum | cut -c1-64)
		if [ "$got" != "$hash" ]; then
			echo "row $seq's content does not match its hash"; exit 1
		fi
		if [ "$prev_hash" != "$prev" ]; then
			echo "row $seq does not chain to row $((seq - 1))"; exit 1
		fi
		prev=$hash
		want=$((seq + 1))
	done
	echo "ok: rows 1 to $((want - 1)) chain, head hash $prev"
}
