package backtest

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteReport(t *testing.T) {
	r := mustRun(t, episodeConfig(t))
	var a, b bytes.Buffer
	if err := WriteReport(&a, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(&b, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two reports of the same result differ")
	}
	html := a.String()
	if got, want := strings.Count(html, "<svg "), 3; got != want {
		t.Errorf("%d SVG charts, want %d (equity, drawdown, price)", got, want)
	}
	for _, want := range []string{"<style>", `class="line b0"`, `class="line b1"`, `class="line b2"`, `class="leadership"`, `class="lagging"`, "strategy", "buy_and_hold", "no_signal"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "src=", "<link", "<script", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q: want it self-contained", bad)
		}
	}
	if err := WriteReport(&a, Result{}); err == nil {
		t.Error("an empty result: no error")
	}
}
