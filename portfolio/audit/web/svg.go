package web

import (
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Chart is one picture on a page: an inline <svg> with an id and a <title>,
// whose data points are elements a reader (or a browser test) can count.
type Chart struct {
	// ID is the svg element's id, unique on a page.
	ID string
	// Title says what the chart shows; it is the svg's <title> and the
	// figure's caption.
	Title string
	// Note is a sentence under the chart: how to read it, or why it is empty.
	Note string
	// SVG is the drawn chart, escaped by the builder.
	SVG template.HTML
}

// svgBuilder writes SVG markup. Element and attribute names come from this
// package's code; every attribute value and text node goes through
// html.EscapeString, so strings from the log cannot break out of the markup.
// It is a builder rather than an html/template because charts are loops over
// computed coordinates, which read better as Go than as template actions.
type svgBuilder struct {
	b strings.Builder
}

func (s *svgBuilder) attrs(kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		s.b.WriteByte(' ')
		s.b.WriteString(kv[i])
		s.b.WriteString(`="`)
		s.b.WriteString(html.EscapeString(kv[i+1]))
		s.b.WriteByte('"')
	}
}

// open writes a start tag; kv are attribute name, value pairs.
func (s *svgBuilder) open(tag string, kv ...string) {
	s.b.WriteByte('<')
	s.b.WriteString(tag)
	s.attrs(kv)
	s.b.WriteByte('>')
}

func (s *svgBuilder) close(tag string) {
	s.b.WriteString("</" + tag + ">")
}

// elem writes an empty element.
func (s *svgBuilder) elem(tag string, kv ...string) {
	s.b.WriteByte('<')
	s.b.WriteString(tag)
	s.attrs(kv)
	s.b.WriteString("/>")
}

// text writes an element holding escaped text.
func (s *svgBuilder) text(tag, text string, kv ...string) {
	s.open(tag, kv...)
	s.b.WriteString(html.EscapeString(text))
	s.close(tag)
}

// HTML returns the markup; safe because every piece of it was escaped.
func (s *svgBuilder) HTML() template.HTML {
	return template.HTML(s.b.String()) //nolint:gosec // built from escaped parts only
}

// num formats a coordinate: one decimal is finer than a pixel.
func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "0"
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// frame maps data to the drawing area of a chart: a rectangle inside
// margins, a domain on each axis.
type frame struct {
	w, h                     float64 // the whole svg
	left, right, top, bottom float64 // margins
	x0, x1, y0, y1           float64 // the domain
}

func newFrame(w, h float64) frame {
	return frame{w: w, h: h, left: 64, right: 16, top: 16, bottom: 40, x0: 0, x1: 1, y0: 0, y1: 1}
}

func (f frame) x(v float64) float64 {
	if f.x1 == f.x0 {
		return f.left + (f.w-f.left-f.right)/2
	}
	return f.left + (v-f.x0)/(f.x1-f.x0)*(f.w-f.left-f.right)
}

func (f frame) y(v float64) float64 {
	if f.y1 == f.y0 {
		return f.top + (f.h-f.top-f.bottom)/2
	}
	return f.h - f.bottom - (v-f.y0)/(f.y1-f.y0)*(f.h-f.top-f.bottom)
}

// withY sets the y domain to nice round bounds around lo..hi.
func (f frame) withY(lo, hi float64) frame {
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		pad := math.Max(math.Abs(lo)*0.01, 1e-9)
		lo, hi = lo-pad, hi+pad
	}
	ticks := niceTicks(lo, hi, 5)
	f.y0, f.y1 = math.Min(lo, ticks[0]), math.Max(hi, ticks[len(ticks)-1])
	return f
}

// withTime sets the x domain to the times' span.
func (f frame) withTime(ts []time.Time) frame {
	if len(ts) == 0 {
		return f
	}
	lo, hi := ts[0], ts[0]
	for _, t := range ts {
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	f.x0, f.x1 = float64(lo.Unix()), float64(hi.Unix())
	if f.x0 == f.x1 { // one day: widen by half a day each side
		f.x0, f.x1 = f.x0-43200, f.x1+43200
	}
	return f
}

func (f frame) tx(t time.Time) float64 { return f.x(float64(t.Unix())) }

// niceTicks returns about n round values (steps of 1, 2 or 5 times a power
// of ten) covering lo..hi.
func niceTicks(lo, hi float64, n int) []float64 {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return []float64{lo}
	}
	raw := span / float64(max(n, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Floor(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
		if len(out) > 50 {
			break
		}
	}
	if out[len(out)-1] < hi {
		out = append(out, out[len(out)-1]+step)
	}
	return out
}

// startSVG opens the svg element with its id, title and description.
func startSVG(s *svgBuilder, f frame, id, title, desc string) {
	s.open("svg", "id", id, "class", "chart", "xmlns", "http://www.w3.org/2000/svg",
		"viewBox", "0 0 "+num(f.w)+" "+num(f.h), "width", num(f.w), "height", num(f.h),
		"role", "img", "aria-labelledby", id+"-title "+id+"-desc")
	s.text("title", title, "id", id+"-title")
	s.text("desc", desc, "id", id+"-desc")
}

// yAxis draws horizontal grid lines with labels at nice values.
func yAxis(s *svgBuilder, f frame, format func(float64) string) {
	s.open("g", "class", "axis y")
	for _, v := range niceTicks(f.y0, f.y1, 5) {
		if v < f.y0-1e-9 || v > f.y1+1e-9 {
			continue
		}
		y := f.y(v)
		s.elem("line", "class", "grid", "x1", num(f.left), "x2", num(f.w-f.right), "y1", num(y), "y2", num(y))
		s.text("text", format(v), "x", num(f.left-6), "y", num(y+4), "text-anchor", "end")
	}
	s.close("g")
}

// timeAxis labels up to five dates along the bottom.
func timeAxis(s *svgBuilder, f frame) {
	s.open("g", "class", "axis x")
	s.elem("line", "class", "base", "x1", num(f.left), "x2", num(f.w-f.right), "y1", num(f.h-f.bottom), "y2", num(f.h-f.bottom))
	const n = 5
	last := ""
	for i := 0; i < n; i++ {
		v := f.x0 + (f.x1-f.x0)*float64(i)/float64(n-1)
		label := time.Unix(int64(v), 0).UTC().Format(time.DateOnly)
		if label == last {
			continue
		}
		last = label
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case n - 1:
			anchor = "end"
		}
		s.text("text", label, "x", num(f.x(v)), "y", num(f.h-f.bottom+16), "text-anchor", anchor)
	}
	s.close("g")
}

// polyline returns the points attribute of a line through xs, ys.
func polyline(xs, ys []float64) string {
	var b strings.Builder
	for i := range xs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(xs[i]) + "," + num(ys[i]))
	}
	return b.String()
}

// emptySVG is a chart with nothing to draw: still an svg with its id and
// title, and a sentence saying why.
func emptySVG(id, title, why string) template.HTML {
	var s svgBuilder
	f := newFrame(640, 80)
	startSVG(&s, f, id, title, why)
	s.text("text", why, "class", "empty", "x", num(f.w/2), "y", "44", "text-anchor", "middle")
	s.close("svg")
	return s.HTML()
}
