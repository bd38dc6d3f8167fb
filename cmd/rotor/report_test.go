package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runReportCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := newReportCmd(&globalFlags{logLevel: "error"})
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestReport writes a demo's report beside its log, prints the path, and the
// file stands alone: charts, the traded decision's story, the timeline, and
// nothing fetched from anywhere. The log is left as it was.
func TestReport(t *testing.T) {
	path, traded, head := webDemoLog(t, "8")
	out, err := runReportCmd(t, "--audit", path)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(filepath.Dir(path), "report.html")
	if got := strings.TrimSpace(out); got != want {
		t.Fatalf("report printed %q, want %q", got, want)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if m := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:|//)`).FindString(html); m != "" {
		t.Fatalf("the report refers outside itself: %s", m)
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "<link") {
		t.Fatal("the report has a script or a linked resource")
	}
	for _, want := range []string{`<svg id="nlv"`, `<svg id="price"`, `<circle class="fill `, `id="e-` + traded + `-story"`, `<rect class="bar `, `data-kind="order_intent"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %s", want)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".report.html") {
			t.Errorf("a temporary file is left behind: %s", e.Name())
		}
	}
	checkUnchanged(t, path, head)

	// --out - writes the same to standard output; --out FILE there.
	stdout, err := runReportCmd(t, "--audit", path, "--out", "-", "--stories", "1")
	if err != nil || !strings.HasPrefix(stdout, "<!DOCTYPE html>") || strings.Count(stdout, `<section class="story"`) != 1 {
		t.Fatalf("report --out - --stories 1: %v, %d stories", err, strings.Count(stdout, `<section class="story"`))
	}
	other := filepath.Join(t.TempDir(), "r.html")
	if out, err := runReportCmd(t, "--audit", path, "--out", other); err != nil || strings.TrimSpace(out) != other {
		t.Fatalf("report --out %s: %q, %v", other, out, err)
	}
}

// TestReportBadFlags name the flag.
func TestReportBadFlags(t *testing.T) {
	if _, err := runReportCmd(t, "--data-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no audit log") {
		t.Errorf("report without a log: %v", err)
	}
	if _, err := runReportCmd(t, "--stories", "0"); err == nil || !strings.Contains(err.Error(), "--stories") {
		t.Errorf("report --stories 0: %v", err)
	}
	if _, err := runReportCmd(t, "--rows", "-1"); err == nil || !strings.Contains(err.Error(), "--rows") {
		t.Errorf("report --rows -1: %v", err)
	}
}
