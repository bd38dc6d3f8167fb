package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// webDemoLog runs the demo for days and returns its audit log, the event
// whose plan first traded, and the log's head.
func webDemoLog(t *testing.T, days string) (path, traded string, head audit.Head) {
	t.Helper()
	rep := playDemo(t, days)
	l, err := audit.Open(context.Background(), rep.AuditLog, audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	intents, err := l.Query(context.Background(), audit.Filter{Kinds: []string{audit.KindOrderIntent}, Limit: 1})
	if err != nil || len(intents) == 0 {
		t.Fatalf("the demo traded nothing in %s days (%v)", days, err)
	}
	if head, err = l.Head(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rep.AuditLog, intents[0].EventID, head
}

// checkUnchanged verifies the log still ends at head and its chain holds:
// serving and reporting only read.
func checkUnchanged(t *testing.T, path string, head audit.Head) {
	t.Helper()
	l, err := audit.Open(context.Background(), path, audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep, err := l.VerifyAgainst(context.Background(), head, nil)
	if err != nil || rep.Head != head {
		t.Fatalf("the log changed: head %+v, was %+v (%v)", rep.Head, head, err)
	}
}

func httpGet(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestAuditServe serves a demo's audit log on a free loopback port, prints
// its URL, answers the timeline, a filter, a decision's story and the
// charts, refuses a POST, stops on cancel, and leaves the log as it was.
func TestAuditServe(t *testing.T) {
	path, traded, head := webDemoLog(t, "8")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	cmd := newAuditServeCmd(&globalFlags{logLevel: "error"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"--audit", path, "--addr", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	urlRE := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/) `)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no URL: %q\n%s", stdout.String(), stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), path) {
		t.Errorf("serve does not say which log it serves: %q", stdout.String())
	}

	code, body := httpGet(t, http.MethodGet, base)
	if code != http.StatusOK || strings.Count(body, `<tr class="row`) < 20 {
		t.Fatalf("GET / = %d with %d rows", code, strings.Count(body, `<tr class="row`))
	}
	_, body = httpGet(t, http.MethodGet, base+"?kind=fill")
	kinds := regexp.MustCompile(`data-kind="([a-z_]+)"`).FindAllStringSubmatch(body, -1)
	if len(kinds) == 0 {
		t.Fatal("?kind=fill shows no fill of the demo's trades")
	}
	for _, k := range kinds {
		if k[1] != "fill" {
			t.Fatalf("?kind=fill shows a %s row", k[1])
		}
	}
	code, body = httpGet(t, http.MethodGet, base+"event/"+traded)
	if bars := strings.Count(body, `<rect class="bar `); code != http.StatusOK || bars != 11 {
		t.Fatalf("GET /event/%s = %d with %d spread bars, want 200 with 11", traded, code, bars)
	}
	for _, want := range []string{`data-kind="order_intent"`, `data-kind="fill"`, `<svg id="microcap"`, "approve"} {
		if !strings.Contains(body, want) {
			t.Errorf("the traded event's story lacks %q", want)
		}
	}
	code, body = httpGet(t, http.MethodGet, base+"charts")
	if code != http.StatusOK || !strings.Contains(body, `<circle class="fill `) || !strings.Contains(body, `<circle class="nlv"`) {
		t.Fatalf("GET /charts = %d, without fills or net liquidation", code)
	}
	if code, _ := httpGet(t, http.MethodPost, base); code != http.StatusMethodNotAllowed {
		t.Fatalf("POST / = %d, want 405", code)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	checkUnchanged(t, path, head)
}

// TestAuditServeAddr keeps the pages on loopback unless --public says
// otherwise, and says so.
func TestAuditServeAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
		want   string // "" = allowed
	}{
		{"127.0.0.1:8080", false, ""},
		{"127.0.0.2:0", false, ""},
		{"[::1]:8080", false, ""},
		{"localhost:8080", false, ""},
		{"0.0.0.0:8080", false, "--public"},
		{":8080", false, "every interface"},
		{"192.168.1.5:8080", false, "not a loopback address"},
		{"example.com:8080", false, "--public"},
		{"0.0.0.0:8080", true, ""},
		{"8080", false, "HOST:PORT"},
	} {
		err := checkServeAddr(tc.addr, tc.public)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("checkServeAddr(%q, public %v) = %v, want %q", tc.addr, tc.public, err, tc.want)
		}
	}
	// The command refuses before it opens anything.
	cmd := newAuditServeCmd(&globalFlags{logLevel: "error"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"--addr", "0.0.0.0:0", "--data-dir", t.TempDir()})
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "--public") {
		t.Fatalf("serve --addr 0.0.0.0:0: %v", err)
	}
	// A missing log is named, not created.
	dir := t.TempDir()
	cmd = newAuditServeCmd(&globalFlags{logLevel: "error"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"--addr", "127.0.0.1:0", "--data-dir", dir})
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "audit.db")) {
		t.Fatalf("serve without a log: %v", err)
	}
}
