package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/audit/web"
)

// mustOpen opens the fixture's log read-only, as `rotor audit serve` does.
func mustOpen(tb testing.TB, path string) *audit.Log {
	tb.Helper()
	l, err := audit.Open(context.Background(), path, audit.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// get serves one request and returns the status and body.
func get(tb testing.TB, h http.Handler, method, target string) (int, string) {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	b, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		tb.Fatal(err)
	}
	return rec.Code, string(b)
}

var (
	rowRE  = regexp.MustCompile(`<tr class="row[^"]*" id="row-(\d+)" data-seq="\d+" data-kind="([a-z_]+)"`)
	linkRE = regexp.MustCompile(`class="story-link" href="(/event/[0-9a-f]+)"`)
)

// rows returns the kinds of the timeline rows on a page, in order.
func rows(body string) (kinds []string, seqs []string) {
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		seqs, kinds = append(seqs, m[1]), append(kinds, m[2])
	}
	return kinds, seqs
}

func newServer(tb testing.TB, days int) (fixture, http.Handler) {
	tb.Helper()
	fx := writeFixture(tb, days)
	return fx, web.NewHandler(mustOpen(tb, fx.Path), web.Options{})
}

// TestTimeline lists the rows newest first, one table row each, and links
// rows to their decision's story, fills included (which carry only the
// plan id).
func TestTimeline(t *testing.T) {
	fx, h := newServer(t, 6)
	code, body := get(t, h, http.MethodGet, "/")
	if code != http.StatusOK {
		t.Fatalf("GET / = %d\n%s", code, body)
	}
	l := mustOpen(t, fx.Path)
	head, err := l.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds, seqs := rows(body)
	if got, want := len(kinds), int(head.Seq); got != want {
		t.Fatalf("timeline has %d rows, the log %d", got, want)
	}
	if first, last := seqs[0], seqs[len(seqs)-1]; first != strconv.FormatInt(head.Seq, 10) || last != "1" {
		t.Fatalf("rows %s..%s: want newest first, %d..1", first, last, head.Seq)
	}
	if !strings.Contains(body, `<title>Timeline · rotor audit</title>`) || !strings.Contains(body, `<form class="filters" method="get"`) {
		t.Fatal("timeline lacks its title or its filter form")
	}
	if !strings.Contains(body, `href="/event/`+fx.Traded+`"`) {
		t.Fatalf("no link to the traded event's story")
	}
	// A fill row links to the story through its plan.
	fill := regexp.MustCompile(`data-kind="fill"[\s\S]*?</tr>`).FindString(body)
	if !strings.Contains(fill, `href="/event/`) {
		t.Fatalf("a fill row does not link to its decision:\n%s", fill)
	}
}

// TestTimelineFilterByKind narrows the rows to the kind asked for, and the
// form shows the kind selected.
func TestTimelineFilterByKind(t *testing.T) {
	fx, h := newServer(t, 6)
	_, all := get(t, h, http.MethodGet, "/")
	code, body := get(t, h, http.MethodGet, "/?kind=fill&instrument=&event=")
	if code != http.StatusOK {
		t.Fatalf("GET /?kind=fill = %d\n%s", code, body)
	}
	kinds, _ := rows(body)
	allKinds, _ := rows(all)
	if len(kinds) != fx.Fills || len(kinds) >= len(allKinds) {
		t.Fatalf("kind=fill shows %d rows of %d; the log has %d fills", len(kinds), len(allKinds), fx.Fills)
	}
	for _, k := range kinds {
		if k != "fill" {
			t.Fatalf("kind=fill shows a %s row", k)
		}
	}
	if !strings.Contains(body, `<option value="fill" selected>`) {
		t.Fatal("the kind select does not show fill selected")
	}
	// Two kinds, and an instrument.
	_, body = get(t, h, http.MethodGet, "/?kind=fill&kind=order_intent&instrument=RTY")
	kinds, _ = rows(body)
	if len(kinds) == 0 {
		t.Fatal("kind=fill&kind=order_intent&instrument=RTY shows nothing")
	}
	for _, k := range kinds {
		if k != "fill" && k != "order_intent" {
			t.Fatalf("kind=fill&kind=order_intent shows a %s row", k)
		}
	}
	// A date range of the first day only.
	day := fx.Days[0].Format("2006-01-02")
	_, body = get(t, h, http.MethodGet, "/?from="+day+"&to="+day)
	kinds, _ = rows(body)
	if len(kinds) == 0 || len(kinds) >= len(allKinds) {
		t.Fatalf("from=to=%s shows %d of %d rows", day, len(kinds), len(allKinds))
	}
}

// TestTimelinePaging pages by seq: n rows a page, an older link that
// continues where the page ended, and a newer link back.
func TestTimelinePaging(t *testing.T) {
	_, h := newServer(t, 6)
	_, body := get(t, h, http.MethodGet, "/?n=5")
	_, first := rows(body)
	older := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(body)
	if len(first) != 5 || older == nil {
		t.Fatalf("n=5: %d rows, older link %v", len(first), older)
	}
	_, body = get(t, h, http.MethodGet, strings.ReplaceAll(older[1], "&amp;", "&"))
	_, second := rows(body)
	if n, _ := strconv.Atoi(first[4]); len(second) != 5 || second[0] != strconv.Itoa(n-1) {
		t.Fatalf("older page %v after %v", second, first)
	}
	newer := regexp.MustCompile(`rel="prev" href="([^"]+)"`).FindStringSubmatch(body)
	if newer == nil {
		t.Fatal("the older page has no newer link")
	}
	_, body = get(t, h, http.MethodGet, strings.ReplaceAll(newer[1], "&amp;", "&"))
	if _, back := rows(body); strings.Join(back, ",") != strings.Join(first, ",") {
		t.Fatalf("newer from the second page = %v, want %v", back, first)
	}
}

// TestEventStory shows the signal's numbers, the spreads chart with a bar
// per sector, the micro-cap and resistance charts, the plan's orders with
// risk's verdicts, and each order's rows down to its fills.
func TestEventStory(t *testing.T) {
	fx, h := newServer(t, 6)
	code, body := get(t, h, http.MethodGet, "/event/"+fx.Traded)
	if code != http.StatusOK {
		t.Fatalf("GET /event/%s = %d\n%s", fx.Traded, code, body)
	}
	for _, want := range []string{`<svg id="spreads"`, `<svg id="microcap"`, `<svg id="resistance"`, `<title id="spreads-title">`,
		"GROSS_LEVERAGE", "scaled to 1", `data-kind="order_intent"`, `data-kind="order_sent"`, `data-kind="fill"`, `data-kind="commission"`,
		"BUY 3 M2KM5", "What happened to each order"} {
		if !strings.Contains(body, want) {
			t.Errorf("event page lacks %q", want)
		}
	}
	bars := regexp.MustCompile(`<rect class="bar (beaten|trailed)" data-sector="([A-Z]+)"`).FindAllStringSubmatch(body, -1)
	if got, want := len(bars), 11; got != want {
		t.Fatalf("spreads chart has %d bars, want %d (one per sector)", got, want)
	}
	seen := map[string]bool{}
	for _, b := range bars {
		seen[b[2]] = true
	}
	for _, s := range sectors {
		if !seen[s] {
			t.Errorf("no bar for %s", s)
		}
	}
	// The micro-cap line has a point for this event and the ones before it,
	// this one marked.
	if got := strings.Count(body, `<circle class="point current"`); got != 2 {
		t.Errorf("%d current points, want one on each of the micro-cap and resistance charts", got)
	}
}

// TestUnknownEvent is a 404 page with a way back.
func TestUnknownEvent(t *testing.T) {
	_, h := newServer(t, 2)
	code, body := get(t, h, http.MethodGet, "/event/0123456789abcdef0123456789abcdef")
	if code != http.StatusNotFound || !strings.Contains(body, `<a href="/">Back to the timeline</a>`) || !strings.Contains(body, "0123456789abcdef0123456789abcdef") {
		t.Fatalf("unknown event: %d\n%s", code, body)
	}
	if code, _ := get(t, h, http.MethodGet, "/nowhere"); code != http.StatusNotFound {
		t.Fatalf("GET /nowhere = %d, want 404", code)
	}
}

// TestBadParams are 400 pages that name the parameter and what it accepts.
func TestBadParams(t *testing.T) {
	_, h := newServer(t, 2)
	for _, tc := range []struct{ query, param, allowed string }{
		{"kind=bogus", "kind", "signal_received"},
		{"kind=%3Cscript%3E", "kind", "order_intent"},
		{"from=yesterday", "from", "YYYY-MM-DD"},
		{"from=2025-03-05&to=2025-03-01", "to", "on or after"},
		{"before=-1", "before", "row number"},
		{"before=3&after=1", "after", "either before or after"},
		{"n=0", "n", "1 to 1000"},
		{"instrument=RTY%20OR%201", "instrument", "letters, digits"},
		{"colour=red", "colour", "kind, instrument, event"},
	} {
		code, body := get(t, h, http.MethodGet, "/?"+tc.query)
		if code != http.StatusBadRequest || !strings.Contains(body, "&#34;"+tc.param+"&#34;") || !strings.Contains(body, tc.allowed) {
			t.Errorf("?%s: %d, want 400 naming %q and %q\n%s", tc.query, code, tc.param, tc.allowed, body)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("?%s: the error page echoes markup", tc.query)
		}
	}
	if code, _ := get(t, h, http.MethodGet, "/charts?x=1"); code != http.StatusBadRequest {
		t.Errorf("/charts?x=1 = %d, want 400", code)
	}
}

// TestOnlyGet refuses every method that could change something, with 405
// and an Allow header; HEAD works.
func TestOnlyGet(t *testing.T) {
	fx, h := newServer(t, 2)
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		for _, path := range []string{"/", "/event/" + fx.Events[0], "/charts"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(m, path, strings.NewReader("kind=fill")))
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s = %d, Allow %q; want 405 with Allow: GET, HEAD", m, path, rec.Code, rec.Header().Get("Allow"))
			}
		}
	}
	if code, body := get(t, h, http.MethodHead, "/"); code != http.StatusOK || body != "" {
		t.Errorf("HEAD / = %d with %d bytes", code, len(body))
	}
}

// TestHostilePayloadEscaped shows a rejected message's excerpt, which comes
// from outside rotor, as text: on the timeline and on every error page.
func TestHostilePayloadEscaped(t *testing.T) {
	_, h := newServer(t, 3)
	_, body := get(t, h, http.MethodGet, "/?kind=signal_rejected")
	if kinds, _ := rows(body); len(kinds) != 1 {
		t.Fatalf("want the one rejected row, got %v", kinds)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatal("the timeline contains the excerpt's markup unescaped")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(") {
		t.Fatal("the timeline does not show the excerpt as text")
	}
	// Through the URL too.
	_, body = get(t, h, http.MethodGet, "/event/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
	if strings.Contains(body, "<script>") {
		t.Fatal("the 404 page echoes the path's markup")
	}
	// And no page carries a script or anything from elsewhere.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("Content-Security-Policy %q", csp)
	}
}

// TestCharts draws net liquidation and positions over time, and the orders
// and fills on the RTY price line.
func TestCharts(t *testing.T) {
	fx, h := newServer(t, 6)
	code, body := get(t, h, http.MethodGet, "/charts")
	if code != http.StatusOK {
		t.Fatalf("GET /charts = %d\n%s", code, body)
	}
	for id, want := range map[string]int{`<circle class="nlv"`: 6, `<circle class="fill `: fx.Fills, `<path class="order `: fx.Fills,
		`<circle class="price"`: 6, `<rect class="score `: 6, `<rect class="position `: 6} {
		if got := strings.Count(body, id); got != want && !(id == `<rect class="position ` && got >= 3) {
			t.Errorf("%d × %s, want %d", got, id, want)
		}
	}
	for _, id := range []string{"nlv", "positions", "price", "score", "microcap", "resistance"} {
		if !strings.Contains(body, `<svg id="`+id+`"`) || !strings.Contains(body, `<title id="`+id+`-title">`) {
			t.Errorf("no chart %s with a title", id)
		}
	}
}

// TestEmptyLog serves an empty log without failing: no rows, empty charts.
func TestEmptyLog(t *testing.T) {
	path := t.TempDir() + "/audit.db"
	l, err := audit.Open(context.Background(), path, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	h := web.NewHandler(mustOpen(t, path), web.Options{})
	for _, p := range []string{"/", "/charts"} {
		if code, body := get(t, h, http.MethodGet, p); code != http.StatusOK || !strings.Contains(body, "</html>") {
			t.Errorf("GET %s on an empty log = %d\n%s", p, code, body)
		}
	}
}
