package web_test

import (
	"bytes"
	"context"
	"html"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit/web"
)

// chromium finds a Chromium to drive. Without one the test fails rather
// than skips: the browser test is the only check that the pages work in a
// browser, and a silent skip would hide its absence on CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on PATH (looked for chromium, chromium-browser, google-chrome): install it, e.g. `apt-get install -y chromium` on Debian (.ci/run does)")
	return ""
}

// chromeArgs are the flags every run gets: headless, no sandbox (CI runs as
// root in a container), a profile of its own, nothing in the background.
func chromeArgs(t *testing.T, scripts bool) []string {
	args := []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	if !scripts {
		args = append(args, "--blink-settings=scriptEnabled=false")
	}
	return args
}

// dumpDOM loads url in headless Chromium and returns the DOM after load.
// With scripts, it is Chromium's --dump-dom. Without, --dump-dom prints
// nothing (it serializes the page with a script), so the DOM is read over
// the DevTools protocol instead (see devtoolsDOM).
func dumpDOM(t *testing.T, bin, url string, scripts bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if !scripts {
		dom, err := devtoolsDOM(ctx, bin, chromeArgs(t, false), url)
		if err != nil {
			t.Fatalf("chromium (scripts disabled) %s: %v", url, err)
		}
		return dom
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(chromeArgs(t, true), "--dump-dom", url)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom %s: %v\n%s", url, err, errb.String())
	}
	if out.Len() == 0 {
		t.Fatalf("chromium dumped nothing for %s\n%s", url, errb.String())
	}
	return out.String()
}

// TestBrowser loads the pages in a real headless Chromium, with JavaScript
// on and off: the timeline loads, the charts are in the DOM, a filter URL
// shows only the rows asked for, and a decision's story opens from a link
// on the timeline.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	fx := writeFixture(t, 6)
	srv := httptest.NewServer(web.NewHandler(mustOpen(t, fx.Path), web.Options{}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name    string
		scripts bool
	}{{"javascript", true}, {"no-javascript", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dom := dumpDOM(t, bin, srv.URL+"/", tc.scripts)
			if !strings.Contains(dom, "<title>Timeline · rotor audit</title>") {
				t.Fatalf("the timeline did not load:\n%.2000s", dom)
			}
			all, _ := rows(dom)
			if len(all) == 0 {
				t.Fatal("the timeline shows no rows")
			}

			dom = dumpDOM(t, bin, srv.URL+"/charts", tc.scripts)
			for sel, want := range map[string]int{`<svg id="nlv"`: 1, `<svg id="price"`: 1, `<circle class="nlv"`: 6,
				`<circle class="fill `: fx.Fills, `<path class="order `: fx.Fills, `<rect class="score `: 6} {
				if got := strings.Count(dom, sel); got != want {
					t.Errorf("charts: %d × %s in the DOM, want %d", got, sel, want)
				}
			}

			dom = dumpDOM(t, bin, srv.URL+"/?kind=fill", tc.scripts)
			kinds, _ := rows(dom)
			if len(kinds) != fx.Fills {
				t.Errorf("?kind=fill shows %d rows, want the %d fills", len(kinds), fx.Fills)
			}
			for _, k := range kinds {
				if k != "fill" {
					t.Errorf("?kind=fill shows a %s row", k)
				}
			}

			// Open a story from a link on the filtered timeline: a fill's
			// link leads to the decision that traded.
			m := linkRE.FindStringSubmatch(dom)
			if m == nil {
				t.Fatal("no story link on the timeline")
			}
			dom = dumpDOM(t, bin, srv.URL+html.UnescapeString(m[1]), tc.scripts)
			if !strings.Contains(dom, "<title>Decision ") || !strings.Contains(dom, `<svg id="spreads"`) {
				t.Fatalf("the story did not open from %s:\n%.2000s", m[1], dom)
			}
			if got := len(regexp.MustCompile(`<rect class="bar (beaten|trailed)" data-sector=`).FindAllString(dom, -1)); got != 11 {
				t.Errorf("the story's spreads chart has %d bars, want 11", got)
			}
			if !strings.Contains(dom, `data-kind="fill"`) {
				t.Error("the story from a fill's link does not show the fill")
			}
		})
	}
}
