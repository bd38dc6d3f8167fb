package web_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/portfolio/audit/web"
)

// TestReportSelfContained writes the report and checks it stands alone: no
// script, stylesheet link or reference to any host, every in-page link lands
// on an element, and it holds the charts, the stories and the timeline.
func TestReportSelfContained(t *testing.T) {
	fx := writeFixture(t, 6)
	l := mustOpen(t, fx.Path)
	var b bytes.Buffer
	if err := web.WriteReport(context.Background(), &b, l, web.Options{ReportStories: 4}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	external := regexp.MustCompile(`(?i)(src|href|action|srcset|poster)\s*=\s*["']?\s*(https?:|//|file:|data:text)`)
	if m := external.FindString(html); m != "" {
		t.Fatalf("the report refers outside itself: %s", m)
	}
	for _, bad := range []string{"<script", "<link", "@import", "url(", "<iframe", "<img"} {
		if strings.Contains(strings.ToLower(html), bad) {
			t.Errorf("the report contains %s", bad)
		}
	}
	if !strings.Contains(html, "<style>") {
		t.Error("the report has no inline CSS")
	}
	for _, id := range []string{"nlv", "positions", "price", "score", "microcap", "resistance"} {
		if !strings.Contains(html, `<svg id="`+id+`"`) {
			t.Errorf("the report lacks the %s chart", id)
		}
	}
	// The four latest decisions, each with its own spreads chart of 11 bars.
	if got := strings.Count(html, `<section class="story"`); got != 4 {
		t.Errorf("%d stories, want 4", got)
	}
	if got, want := strings.Count(html, `<rect class="bar `), 4*11; got != want {
		t.Errorf("%d spread bars, want %d", got, want)
	}
	if !strings.Contains(html, "2 older ones left out") {
		t.Error("the report does not say that older decisions were left out")
	}
	if got, want := len(rowRE.FindAllString(html, -1)), 0; got == want {
		t.Error("the report has no timeline rows")
	}
	// Ids are unique, and every in-page link has a target.
	ids := map[string]int{}
	for _, m := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		ids[m[1]]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q appears %d times", id, n)
		}
	}
	for _, m := range regexp.MustCompile(`href="#([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if ids[m[1]] == 0 {
			t.Errorf("link #%s has no target", m[1])
		}
	}
	if strings.Contains(html, `href="/`) {
		t.Error("the report links to server paths, which a file cannot follow")
	}
	if strings.Contains(html, "<script>alert") {
		t.Error("the hostile excerpt is in the report unescaped")
	}
}
