package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rs/zerolog"
)

// Defaults for Options.
const (
	DefaultTitle         = "rotor audit"
	DefaultPageSize      = 100 // timeline rows per page
	DefaultChartPoints   = 500 // plans and events the charts over time draw
	DefaultReportStories = 20  // decisions the report tells in full
	DefaultReportRows    = 5000
)

// DefaultPriceRoots are the roots whose orders and fills go on the price
// chart: the E-mini Russell 2000, whose reference price draws the line, and
// the micro, which trades at the same index level.
var DefaultPriceRoots = []string{"RTY", "M2K"}

// Options configure the pages. The zero value is usable.
type Options struct {
	// Title names the site in every page's title and header.
	Title string
	// PageSize is the timeline's rows per page when the query has no n.
	PageSize int
	// ChartPoints bounds how many plans and signal events the charts draw
	// (the latest ones).
	ChartPoints int
	// PriceRoots are the roots on the price chart; the first one's reference
	// price is the line.
	PriceRoots []string
	// ReportStories is how many of the latest decisions WriteReport tells in
	// full, and ReportRows how many of the latest rows its timeline lists.
	ReportStories int
	ReportRows    int
	// Now stamps the pages ("read at"). Default time.Now.
	Now func() time.Time
	// Logger receives server errors (a failed query). Default: discarded.
	Logger zerolog.Logger
}

func (o Options) withDefaults() Options {
	if o.Title == "" {
		o.Title = DefaultTitle
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	o.PageSize = min(o.PageSize, MaxPageSize)
	if o.ChartPoints <= 0 {
		o.ChartPoints = DefaultChartPoints
	}
	if len(o.PriceRoots) == 0 {
		o.PriceRoots = DefaultPriceRoots
	}
	if o.ReportStories <= 0 {
		o.ReportStories = DefaultReportStories
	}
	if o.ReportRows <= 0 {
		o.ReportRows = DefaultReportRows
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

//go:embed templates/*.html
var templateFS embed.FS

var funcs = template.FuncMap{
	"pct":    pct,
	"price":  price,
	"dec":    dec,
	"anchor": anchor,
	"short": func(id string) string {
		if len(id) > 12 {
			return id[:12] + "…"
		}
		return id
	},
}

// pages are the templates, one per page, each the base layout with its own
// "content".
var pages = func() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/style.html", "templates/partials.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"timeline", "event", "charts", "error", "report"} {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return out
}()

// page is what the layout renders; one of the page fields is set.
type page struct {
	Title  string
	Site   string
	Nav    string
	Path   string
	Head   headView
	Report bool

	Timeline   *timelinePage
	Story      *storyPage
	Charts     []Chart
	ChartLimit int
	Error      *errorView
	reportPage
}

// errorView is an error page's content.
type errorView struct {
	Status     int
	StatusText string
	Message    string
	Allowed    string
}

// handler serves the pages over one log.
type handler struct {
	log  *audit.Log
	opts Options
	mux  *http.ServeMux
}

// NewHandler returns the read-only web pages over l (see the package
// documentation). It answers GET and HEAD only and never writes to the log;
// open l with audit.Options{ReadOnly: true} so that nothing could.
func NewHandler(l *audit.Log, opts Options) http.Handler {
	h := &handler{log: l, opts: opts.withDefaults(), mux: http.NewServeMux()}
	h.mux.HandleFunc("/{$}", h.timeline)
	h.mux.HandleFunc("/event/{id}", h.event)
	h.mux.HandleFunc("/charts", h.charts)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("There is no page %s.", r.URL.Path), "")
	})
	return h
}

// ServeHTTP refuses every method but GET and HEAD, and sets the headers that
// keep the pages self-contained: nothing may be loaded from anywhere and
// nothing may run.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		h.fail(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed: this site only reads the audit log.", r.Method), "GET, HEAD")
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *handler) page(ctx context.Context, title, nav string) (page, error) {
	head, err := headOf(ctx, h.log, h.opts.Now())
	return page{Title: title, Site: h.opts.Title, Nav: nav, Path: h.log.Path(), Head: head}, err
}

// render executes a page into a buffer first, so a template error is a clean
// 500 rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var b bytes.Buffer
	if err := pages[name].ExecuteTemplate(&b, "base", p); err != nil {
		h.opts.Logger.Error().Err(err).Str("page", name).Msg("render")
		http.Error(w, "rotor: could not render the page; see the server's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes()) //nolint:errcheck // the client went away
	}
}

// fail answers with an error page.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, msg, allowed string) {
	p, err := h.page(r.Context(), http.StatusText(status), "")
	if err != nil {
		h.opts.Logger.Warn().Err(err).Msg("read the head for an error page")
	}
	p.Error = &errorView{Status: status, StatusText: http.StatusText(status), Message: msg, Allowed: allowed}
	h.render(w, r, status, "error", p)
}

// failErr answers for an error from the log.
func (h *handler) failErr(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	h.opts.Logger.Error().Err(err).Str("path", r.URL.Path).Msg("read the audit log")
	h.fail(w, r, http.StatusInternalServerError, "Could not read the audit log: "+err.Error(), "")
}

func (h *handler) timeline(w http.ResponseWriter, r *http.Request) {
	tq, err := parseTimeline(r.URL.Query(), h.opts.PageSize)
	if err != nil {
		var pe *ParamError
		if errors.As(err, &pe) {
			msg := fmt.Sprintf("Bad query parameter %q: %q cannot be used.", pe.Param, pe.Value)
			if pe.Value == "" {
				msg = fmt.Sprintf("Bad query parameter %q.", pe.Param)
			}
			h.fail(w, r, http.StatusBadRequest, msg, pe.Allowed)
			return
		}
		h.failErr(w, r, err)
		return
	}
	p, err := h.page(r.Context(), "Timeline", "timeline")
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	tl, err := timeline(r.Context(), h.log, tq, h.opts.PageSize)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	p.Timeline = &tl
	h.render(w, r, http.StatusOK, "timeline", p)
}

func (h *handler) event(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for k := range r.URL.Query() {
		h.fail(w, r, http.StatusBadRequest, fmt.Sprintf("Bad query parameter %s: the event page takes none.", k), "none")
		return
	}
	if !idRE.MatchString(id) {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("%q is not an event id.", id), "")
		return
	}
	st, err := story(r.Context(), h.log, id, "", h.opts.ChartPoints)
	if errors.Is(err, audit.ErrNotFound) {
		h.fail(w, r, http.StatusNotFound, fmt.Sprintf("No row of the audit log carries the event id %q.", id), "")
		return
	}
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	p, err := h.page(r.Context(), "Decision "+id, "")
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	p.Story = &st
	h.render(w, r, http.StatusOK, "event", p)
}

func (h *handler) charts(w http.ResponseWriter, r *http.Request) {
	for k := range r.URL.Query() {
		h.fail(w, r, http.StatusBadRequest, fmt.Sprintf("Bad query parameter %s: the charts page takes none.", k), "none")
		return
	}
	p, err := h.page(r.Context(), "Charts", "charts")
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	if p.Charts, err = overviewCharts(r.Context(), h.log, h.opts); err != nil {
		h.failErr(w, r, err)
		return
	}
	p.ChartLimit = h.opts.ChartPoints
	h.render(w, r, http.StatusOK, "charts", p)
}

// overviewCharts are the charts over time.
func overviewCharts(ctx context.Context, l *audit.Log, opts Options) ([]Chart, error) {
	hist, err := loadHistory(ctx, l, opts.PriceRoots, opts.ChartPoints)
	if err != nil {
		return nil, err
	}
	return []Chart{
		nlvChart("nlv", hist.Accounts),
		positionsChart("positions", hist.Accounts),
		priceChart("price", strings.ToUpper(opts.PriceRoots[0]), hist),
		scoreChart("score", hist.Signals),
		microcapChart("microcap", hist.Signals, 0),
		resistanceChart("resistance", hist.Signals, 0),
	}, nil
}
