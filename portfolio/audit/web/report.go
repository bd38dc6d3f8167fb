package web

import (
	"context"
	"fmt"
	"io"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

// reportPage is the report's own content.
type reportPage struct {
	Stories        []storyPage
	StoriesLeftOut int
	Rows           []rowView
	RowsLeftOut    int64
}

// WriteReport writes the pages as one self-contained HTML file: the charts,
// the stories of the latest Options.ReportStories decisions and the timeline
// of the latest Options.ReportRows rows, with inline CSS and SVG, no script
// and no reference to anything outside the file. Links between the parts are
// anchors within it. It only reads l.
func WriteReport(ctx context.Context, w io.Writer, l *audit.Log, opts Options) error {
	opts = opts.withDefaults()
	head, err := headOf(ctx, l, opts.Now())
	if err != nil {
		return fmt.Errorf("web: report: %w", err)
	}
	p := page{Title: "Audit report", Site: opts.Title, Path: l.Path(), Head: head, Report: true}
	if p.Charts, err = overviewCharts(ctx, l, opts); err != nil {
		return fmt.Errorf("web: report: charts: %w", err)
	}
	// The latest decisions: the newest signal events, told newest first.
	var ids []string
	seen := map[string]bool{}
	var events int
	err = l.Each(ctx, audit.Filter{Kinds: []string{audit.KindSignalReceived, audit.KindSignalRejected, audit.KindPreview}, Desc: true}, func(r audit.Record) error {
		if r.EventID == "" || seen[r.EventID] {
			return nil
		}
		seen[r.EventID] = true
		events++
		if len(ids) < opts.ReportStories {
			ids = append(ids, r.EventID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("web: report: %w", err)
	}
	p.StoriesLeftOut = events - len(ids)
	inReport := map[string]string{}
	for _, id := range ids {
		prefix := anchor("e", id) + "-"
		st, err := story(ctx, l, id, prefix, opts.ChartPoints)
		if err != nil {
			return fmt.Errorf("web: report: event %s: %w", id, err)
		}
		st.Timeline = "#timeline"
		p.Stories = append(p.Stories, st)
		inReport[id] = "#" + prefix + "story"
	}
	recs, err := allRows(ctx, l, opts.ReportRows)
	if err != nil {
		return fmt.Errorf("web: report: %w", err)
	}
	p.RowsLeftOut = head.Seq - int64(len(recs))
	if p.Rows, err = rowViews(ctx, l, recs, func(id string) string { return inReport[id] }); err != nil {
		return fmt.Errorf("web: report: %w", err)
	}
	if err := pages["report"].ExecuteTemplate(w, "base", p); err != nil {
		return fmt.Errorf("web: report: %w", err)
	}
	return nil
}
