package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// demoAudit runs eight days of the demo, which buys on day six, and returns
// its audit log and every row in it.
func demoAudit(t *testing.T) (string, []audit.Record) {
	t.Helper()
	rep := playDemo(t, "8")
	l, err := audit.Open(context.Background(), rep.AuditLog, audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs, err := l.Query(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return rep.AuditLog, recs
}

// tradedEvent returns the first event whose story has an order intent, and
// that intent.
func tradedEvent(t *testing.T, recs []audit.Record) audit.Record {
	t.Helper()
	for _, r := range recs {
		if r.Kind == audit.KindOrderIntent {
			return r
		}
	}
	t.Fatal("the demo log has no order_intent row")
	return audit.Record{}
}

// listJSON runs audit list --json with args and decodes the rows.
func listJSON(t *testing.T, path string, args ...string) []auditRow {
	t.Helper()
	out := mustRun(t, append([]string{"audit", "list", "--audit", path, "--json"}, args...)...)
	var rows []auditRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("audit list --json %v: %v\n%s", args, err, out)
	}
	return rows
}

func TestAuditList(t *testing.T) {
	path, recs := demoAudit(t)
	intent := tradedEvent(t, recs)
	count := func(keep func(audit.Record) bool) int {
		n := 0
		for _, r := range recs {
			if keep(r) {
				n++
			}
		}
		return n
	}

	// The default: the newest 50 rows, newest first. The demo writes fewer.
	all := listJSON(t, path)
	if got, want := len(all), min(len(recs), 50); got != want {
		t.Fatalf("audit list --json: %d rows, want %d", got, want)
	}
	if all[0].Seq != recs[len(recs)-1].Seq || all[0].Seq <= all[len(all)-1].Seq {
		t.Fatalf("audit list: first row %d, last %d; want newest (%d) first", all[0].Seq, all[len(all)-1].Seq, recs[len(recs)-1].Seq)
	}

	// --json round trip: each row as stored, hash included.
	for _, row := range all {
		r := recs[row.Seq-1]
		got := audit.Record{Seq: row.Seq, Kind: row.Kind, EventID: row.EventID, PlanID: row.PlanID, OrderRef: row.OrderRef,
			BrokerOrderID: row.BrokerOrderID, PermID: row.PermID, Instrument: row.Instrument, Account: row.Account,
			Payload: row.Payload, PrevHash: row.PrevHash, Hash: row.Hash}
		var err error
		if got.Time, err = time.Parse(time.RFC3339Nano, row.Time); err != nil {
			t.Fatalf("row %d time %q: %v", row.Seq, row.Time, err)
		}
		if !got.Time.Equal(r.Time) || !bytes.Equal(got.Payload, r.Payload) || got.Hash != r.Hash || got.OrderRef != r.OrderRef {
			t.Fatalf("row %d round trip: %+v, want %+v", row.Seq, got, r)
		}
		if got.ComputeHash() != r.Hash {
			t.Fatalf("row %d from --json does not hash to %s", row.Seq, r.Hash)
		}
	}

	tests := []struct {
		name string
		args []string
		keep func(audit.Record) bool
	}{
		{"kind", []string{"--kind", "fill", "--kind", "order_intent"}, func(r audit.Record) bool {
			return r.Kind == audit.KindFill || r.Kind == audit.KindOrderIntent
		}},
		{"kind list", []string{"--kind", "signal_received,plan"}, func(r audit.Record) bool {
			return r.Kind == audit.KindSignalReceived || r.Kind == audit.KindPlan
		}},
		{"ref", []string{"--ref", intent.OrderRef}, func(r audit.Record) bool { return r.OrderRef == intent.OrderRef }},
		{"instrument", []string{"--instrument", intent.Instrument, "--kind", "fill"}, func(r audit.Record) bool {
			return r.Instrument == intent.Instrument && r.Kind == audit.KindFill
		}},
		{"event", []string{"--event", intent.EventID}, func(r audit.Record) bool { return r.EventID == intent.EventID }},
		{"since tomorrow", []string{"--since", time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)}, func(audit.Record) bool { return false }},
		{"until today", []string{"--until", time.Now().UTC().Format(time.DateOnly), "--limit", "0"}, func(audit.Record) bool { return true }},
	}
	for _, tt := range tests {
		rows := listJSON(t, path, tt.args...)
		if got, want := len(rows), count(tt.keep); got != want || (tt.name != "since tomorrow" && want == 0) {
			t.Errorf("%s %v: %d rows, want %d (and some)", tt.name, tt.args, got, want)
		}
		for _, row := range rows {
			if !tt.keep(recs[row.Seq-1]) {
				t.Errorf("%s %v: row %d (%s) should not be listed", tt.name, tt.args, row.Seq, row.Kind)
			}
		}
	}

	// --limit and --desc=false: the oldest rows, oldest first.
	rows := listJSON(t, path, "--limit", "3", "--desc=false")
	if len(rows) != 3 || rows[0].Seq != 1 || rows[2].Seq != 3 {
		t.Fatalf("--limit 3 --desc=false: %+v", rows)
	}

	// The table: a header, one line per row, shortened refs, summaries.
	out := mustRun(t, "audit", "list", "--audit", path, "--ref", intent.OrderRef, "--kind", "order_intent,fill,order_status")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if got, want := len(lines), 1+count(func(r audit.Record) bool {
		return r.OrderRef == intent.OrderRef && (r.Kind == audit.KindOrderIntent || r.Kind == audit.KindFill || r.Kind == audit.KindOrderStatus)
	}); got != want {
		t.Fatalf("table has %d lines, want %d:\n%s", got, want, out)
	}
	for _, want := range []string{"SEQ", "SUMMARY", shortRef(intent.OrderRef), "BUY ", " MKT", " @ ", "Filled "} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "rotor-"+intent.PlanID) {
		t.Errorf("table shows the whole ref %s, want it shortened:\n%s", intent.OrderRef, out)
	}
	out = mustRun(t, "audit", "list", "--audit", path, "--kind", "risk_decision", "--event", intent.EventID)
	if !strings.Contains(out, "approved, 0 cut, 0 rejected") {
		t.Errorf("risk_decision summary missing:\n%s", out)
	}
}

func TestAuditListBadFlags(t *testing.T) {
	path, _ := auditWithRows(t, 2)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--since", "last tuesday"}, []string{"--since", "RFC 3339", "2025-03-17"}},
		{[]string{"--until", "2025-13-01"}, []string{"--until", "RFC 3339"}},
		{[]string{"--since", "2025-03-18", "--until", "2025-03-17"}, []string{"--since", "--until"}},
		{[]string{"--kind", "fills"}, []string{`--kind "fills"`, "order_intent", "risk_marks", "commission"}},
		{[]string{"--limit", "-1"}, []string{"--limit"}},
	}
	for _, tt := range tests {
		out, _, err := runRotor(t, context.Background(), append([]string{"audit", "list", "--audit", path}, tt.args...)...)
		if err == nil {
			t.Errorf("audit list %v succeeded:\n%s", tt.args, out)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("audit list %v: err=%v, want it to mention %q", tt.args, err, w)
			}
		}
	}
	// A missing log gets the same hint as verify.
	_, _, err := runRotor(t, context.Background(), "audit", "list", "--data-dir", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("audit list without a log: %v", err)
	}
}

func TestAuditShow(t *testing.T) {
	path, recs := demoAudit(t)
	intent := tradedEvent(t, recs)
	var refs []string
	fills := 0
	for _, r := range recs {
		if r.Kind == audit.KindOrderIntent && r.EventID == intent.EventID {
			refs = append(refs, r.OrderRef)
		}
		if r.Kind == audit.KindFill && r.PlanID == intent.PlanID {
			fills++
		}
	}
	if fills == 0 {
		t.Fatal("the demo's traded plan has no fill")
	}

	full := mustRun(t, "audit", "show", "--audit", path, intent.EventID)
	prefix := mustRun(t, "audit", "show", "--audit", path, intent.EventID[:8])
	if full != prefix {
		t.Errorf("show by prefix differs from show by id:\n%s\n---\n%s", prefix, full)
	}
	for _, want := range append([]string{"event " + intent.EventID, "as of ", "score", "relative strength", "XLK",
		"plan " + intent.PlanID, "risk #", "OK", "order_intent", "order_sent", "order_status", "fill ", "BUY "}, refs...) {
		if !strings.Contains(full, want) {
			t.Errorf("story lacks %q:\n%s", want, full)
		}
	}
	// The orders come in sequence order: the intent before its fill.
	if i, f := strings.Index(full, "order_intent"), strings.Index(full, "fill "); i < 0 || f < i {
		t.Errorf("intent at %d, fill at %d: want the intent first:\n%s", i, f, full)
	}

	var st auditStory
	if err := json.Unmarshal([]byte(mustRun(t, "audit", "show", "--audit", path, intent.EventID[:10], "--json")), &st); err != nil {
		t.Fatal(err)
	}
	gotFills := 0
	for _, r := range st.Rows {
		if r.Kind == audit.KindFill {
			gotFills++
		}
	}
	if st.EventID != intent.EventID || gotFills != fills {
		t.Errorf("show --json: event %s with %d fills, want %s with %d", st.EventID, gotFills, intent.EventID, fills)
	}

	for _, tt := range []struct{ id, want string }{
		{"0123456789abcdef", "rotor audit list --kind signal_received"},
		{intent.EventID[:7], "first 8"},
	} {
		_, _, err := runRotor(t, context.Background(), "audit", "show", "--audit", path, tt.id)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("audit show %s: err=%v, want it to mention %q", tt.id, err, tt.want)
		}
	}
}

// Two events that share their first 8 characters: a prefix of 8 is
// ambiguous and the error lists both.
func TestAuditShowAmbiguousPrefix(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	l, err := audit.Open(ctx, path, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"abcdef0011111111", "abcdef0022222222"}
	for _, id := range ids {
		if _, err := l.Append(ctx, audit.Entry{Kind: audit.KindSignalReceived, EventID: id, Payload: map[string]string{"as_of": "2025-03-17"}}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	_, _, err = runRotor(t, ctx, "audit", "show", "--audit", path, "abcdef00")
	if err == nil || !strings.Contains(err.Error(), "ambiguous") || !strings.Contains(err.Error(), ids[0]) || !strings.Contains(err.Error(), ids[1]) {
		t.Fatalf("audit show abcdef00: err=%v, want it ambiguous, naming both", err)
	}
	if out := mustRun(t, "audit", "show", "--audit", path, "abcdef002"); !strings.Contains(out, ids[1]) {
		t.Fatalf("audit show abcdef002:\n%s", out)
	}
}

func TestAuditExport(t *testing.T) {
	path, recs := demoAudit(t)

	// CSV to a file: a header and one row per record, in seq order, the
	// hash as stored and recomputable from the exported columns.
	file := filepath.Join(t.TempDir(), "audit.csv")
	if out := mustRun(t, "audit", "export", "--audit", path, "--format", "csv", "--out", file); out != "" {
		t.Errorf("export --out printed %q", out)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(table), len(recs)+1; got != want {
		t.Fatalf("export csv: %d lines, want %d", got, want)
	}
	if got, want := strings.Join(table[0], ","), "seq,time,kind,event_id,plan_id,order_ref,broker_order_id,perm_id,instrument,account,payload,prev_hash,hash"; got != want {
		t.Fatalf("header %s, want %s", got, want)
	}
	num := func(s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, c := range table[1:] {
		r := recs[i]
		tm, err := time.Parse(time.RFC3339Nano, c[1])
		if err != nil {
			t.Fatal(err)
		}
		got := audit.Record{Seq: num(c[0]), Time: tm, Kind: c[2], EventID: c[3], PlanID: c[4], OrderRef: c[5], BrokerOrderID: num(c[6]),
			PermID: num(c[7]), Instrument: c[8], Account: c[9], Payload: json.RawMessage(c[10]), PrevHash: c[11], Hash: c[12]}
		if got.Seq != r.Seq || got.Hash != r.Hash || got.PrevHash != r.PrevHash || got.Kind != r.Kind {
			t.Fatalf("csv row %d: %v, want seq %d hash %s", i+1, c, r.Seq, r.Hash)
		}
		if got.ComputeHash() != r.Hash {
			t.Fatalf("csv row %d does not hash to its hash column", r.Seq)
		}
	}

	// CSV with a filter, to stdout.
	out := mustRun(t, "audit", "export", "--audit", path, "--kind", "fill")
	table, err = csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	fills := 0
	for _, r := range recs {
		if r.Kind == audit.KindFill {
			fills++
		}
	}
	if len(table) != fills+1 || fills == 0 {
		t.Fatalf("export --kind fill: %d lines, want %d", len(table), fills+1)
	}

	// JSON: one array, every row, oldest first.
	var rows []auditRow
	if err := json.Unmarshal([]byte(mustRun(t, "audit", "export", "--audit", path, "--format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs) {
		t.Fatalf("export json: %d rows, want %d", len(rows), len(recs))
	}
	for i, row := range rows {
		if row.Seq != recs[i].Seq || row.Hash != recs[i].Hash || !bytes.Equal(row.Payload, recs[i].Payload) {
			t.Fatalf("json row %d: %+v, want %+v", i, row, recs[i])
		}
	}
	// An empty selection is still an array.
	if out := mustRun(t, "audit", "export", "--audit", path, "--format", "json", "--kind", "kill_switch"); strings.TrimSpace(out) != "[\n]" {
		t.Errorf("empty json export = %q", out)
	}

	_, _, err = runRotor(t, context.Background(), "audit", "export", "--audit", path, "--format", "xml")
	if err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("--format xml: %v", err)
	}
}

// A payload with characters encoding/json escapes for HTML by default is
// exported byte for byte, so its hash still checks.
func TestAuditExportKeepsPayloadBytes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	l, err := audit.Open(ctx, path, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := l.Append(ctx, audit.Entry{Kind: audit.KindError, RawPayload: json.RawMessage(`{"error":"<b> & </b>"}`)})
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"audit", "export", "--format", "json"}, {"audit", "list", "--json"}} {
		var rows []auditRow
		if err := json.Unmarshal([]byte(mustRun(t, append(args, "--audit", path)...)), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || !bytes.Equal(rows[0].Payload, rec.Payload) {
			t.Fatalf("%v: %+v, want payload %s", args, rows, rec.Payload)
		}
	}
}
