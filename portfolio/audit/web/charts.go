package web

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/rotor-trading/rotor/signals"
)

// The charts. Each draws its data points as elements with a class and data-*
// attributes (rect.bar[data-sector], circle.fill, ...), so a reader can hover
// them (each has a <title>) and a test can count them.

func pct(v float64) string   { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }
func price(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// spreadsChart draws the benchmark's spread over each sector as a bar:
// above the line the benchmark beat the sector, below it trailed.
func spreadsChart(id string, ev signals.Event) Chart {
	rs := ev.RelativeStrength
	c := Chart{ID: id, Title: fmt.Sprintf("%s's %d-day return minus each sector's, as of %s", rs.Benchmark, rs.LookbackDays, ev.AsOf),
		Note: fmt.Sprintf("%d of %d sectors beaten (a bar above zero); leadership needs all of them.", rs.SectorsBeaten, rs.SectorsTotal)}
	sectors := slices.Sorted(maps.Keys(rs.Sectors))
	if len(sectors) == 0 {
		c.SVG = emptySVG(c.ID, c.Title, "The event has no sector with data.")
		return c
	}
	lo, hi := 0.0, 0.0
	for _, s := range sectors {
		lo, hi = math.Min(lo, rs.Sectors[s].Spread), math.Max(hi, rs.Sectors[s].Spread)
	}
	f := newFrame(640, 260).withY(lo, hi)
	var s svgBuilder
	startSVG(&s, f, c.ID, c.Title, c.Note)
	yAxis(&s, f, pct)
	slot := (f.w - f.left - f.right) / float64(len(sectors))
	zero := f.y(0)
	for i, sec := range sectors {
		sp := rs.Sectors[sec]
		x := f.left + slot*float64(i) + slot*0.15
		y0, y1 := zero, f.y(sp.Spread)
		class := "bar trailed"
		if sp.Spread > 0 {
			class = "bar beaten"
		}
		s.open("rect", "class", class, "data-sector", sec, "data-spread", strconv.FormatFloat(sp.Spread, 'g', -1, 64),
			"x", num(x), "y", num(math.Min(y0, y1)), "width", num(slot*0.7), "height", num(math.Max(math.Abs(y1-y0), 0.5)))
		s.text("title", fmt.Sprintf("%s: %s return %s, %s %s, spread %s", sec, sec, pct(sp.Return), rs.Benchmark, pct(rs.BenchmarkReturn), pct(sp.Spread)))
		s.close("rect")
		s.text("text", sec, "class", "label", "x", num(x+slot*0.35), "y", num(f.h-f.bottom+16), "text-anchor", "middle")
	}
	s.elem("line", "class", "zero", "x1", num(f.left), "x2", num(f.w-f.right), "y1", num(zero), "y2", num(zero))
	s.close("svg")
	c.SVG = s.HTML()
	if len(rs.Missing) > 0 {
		c.Note += fmt.Sprintf(" No data yet for %v.", rs.Missing)
	}
	return c
}

// microcapChart draws the micro-cap fund's close over the events against
// the low of its window and the thrust level (the low plus the threshold).
// current, if not zero, is the seq of the event the page is about.
func microcapChart(id string, pts []signalPoint, current int64) Chart {
	c := Chart{ID: id, Title: "Micro-cap close against its low and the thrust level"}
	var use []signalPoint
	for _, p := range pts {
		if !p.Event.Microcap.Missing && p.Event.Microcap.Close > 0 {
			use = append(use, p)
		}
	}
	if len(use) == 0 {
		c.SVG = emptySVG(c.ID, c.Title, "No event has micro-cap data.")
		return c
	}
	last := use[len(use)-1].Event.Microcap
	c.Title = fmt.Sprintf("%s close against its %d-day low and the thrust level", last.Symbol, last.WindowDays)
	c.Note = fmt.Sprintf("Last: %s is %s off its low of %s (%s); a thrust needs %s.", price(last.Close), pct(last.PctOffLow), price(last.Low), last.LowDate, pct(last.Threshold))
	times := make([]time.Time, len(use))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range use {
		m := p.Event.Microcap
		times[i] = p.Time
		lo, hi = math.Min(lo, m.Low), math.Max(hi, math.Max(m.Close, m.Low*(1+m.Threshold)))
	}
	f := newFrame(640, 260).withTime(times).withY(lo, hi)
	var s svgBuilder
	startSVG(&s, f, c.ID, c.Title, c.Note)
	yAxis(&s, f, price)
	timeAxis(&s, f)
	xs, closes, lows, levels := make([]float64, len(use)), make([]float64, len(use)), make([]float64, len(use)), make([]float64, len(use))
	for i, p := range use {
		m := p.Event.Microcap
		xs[i], closes[i], lows[i], levels[i] = f.tx(p.Time), f.y(m.Close), f.y(m.Low), f.y(m.Low*(1+m.Threshold))
	}
	s.elem("polyline", "class", "low", "points", polyline(xs, lows))
	s.elem("polyline", "class", "level", "points", polyline(xs, levels))
	s.elem("polyline", "class", "line", "points", polyline(xs, closes))
	for i, p := range use {
		m := p.Event.Microcap
		class := "point"
		if p.Seq == current {
			class = "point current"
		}
		s.open("circle", "class", class, "data-as-of", p.Event.AsOf, "cx", num(xs[i]), "cy", num(closes[i]), "r", "3.5")
		s.text("title", fmt.Sprintf("%s: close %s, low %s, %s off the low", p.Event.AsOf, price(m.Close), price(m.Low), pct(m.PctOffLow)))
		s.close("circle")
	}
	s.close("svg")
	c.SVG = s.HTML()
	return c
}

// resistanceChart draws the benchmark's close over the events against its
// resistance zone.
func resistanceChart(id string, pts []signalPoint, current int64) Chart {
	c := Chart{ID: id, Title: "Benchmark close against the resistance zone"}
	if len(pts) == 0 {
		c.SVG = emptySVG(c.ID, c.Title, "No signal event yet.")
		return c
	}
	last := pts[len(pts)-1].Event
	c.Title = fmt.Sprintf("%s close against the resistance zone (top %d closes of %s to %s)", last.RelativeStrength.Benchmark,
		last.Resistance.TopK, last.Resistance.Window.From, last.Resistance.Window.To)
	c.Note = fmt.Sprintf("Last: %s is %s the zone %s–%s (band ±%s).", price(last.Resistance.Close), last.Resistance.Status,
		price(last.Resistance.ZoneLow), price(last.Resistance.ZoneHigh), pct(last.Resistance.Band))
	times := make([]time.Time, len(pts))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range pts {
		r := p.Event.Resistance
		times[i] = p.Time
		lo, hi = math.Min(lo, r.Close), math.Max(hi, r.Close)
		if r.Status != signals.Unavailable && r.ZoneHigh > 0 {
			lo, hi = math.Min(lo, r.ZoneLow), math.Max(hi, r.ZoneHigh)
		}
	}
	f := newFrame(640, 260).withTime(times).withY(lo, hi)
	var s svgBuilder
	startSVG(&s, f, c.ID, c.Title, c.Note)
	yAxis(&s, f, price)
	timeAxis(&s, f)
	// The zone as a band through each event's zone (constant for a dates
	// window, moving for a rolling one).
	var top, bottom, zx []float64
	for _, p := range pts {
		if r := p.Event.Resistance; r.Status != signals.Unavailable && r.ZoneHigh > 0 {
			zx, top, bottom = append(zx, f.tx(p.Time)), append(top, f.y(r.ZoneHigh)), append(bottom, f.y(r.ZoneLow))
		}
	}
	if len(zx) == 1 { // a band needs a width
		zx = []float64{zx[0] - 6, zx[0] + 6}
		top, bottom = []float64{top[0], top[0]}, []float64{bottom[0], bottom[0]}
	}
	if len(zx) > 0 {
		rx, rb := slices.Clone(zx), slices.Clone(bottom)
		slices.Reverse(rx)
		slices.Reverse(rb)
		s.open("polygon", "class", "zone", "points", polyline(append(zx, rx...), append(top, rb...)))
		s.text("title", "resistance zone")
		s.close("polygon")
	}
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = f.tx(p.Time), f.y(p.Event.Resistance.Close)
	}
	s.elem("polyline", "class", "line", "points", polyline(xs, ys))
	for i, p := range pts {
		r := p.Event.Resistance
		class := "point"
		if p.Seq == current {
			class = "point current"
		}
		s.open("circle", "class", class, "data-as-of", p.Event.AsOf, "data-status", string(r.Status), "cx", num(xs[i]), "cy", num(ys[i]), "r", "3.5")
		s.text("title", fmt.Sprintf("%s: close %s, %s the zone", p.Event.AsOf, price(r.Close), r.Status))
		s.close("circle")
	}
	s.close("svg")
	c.SVG = s.HTML()
	return c
}

// scoreChart draws each event's score as a bar coloured by its regime.
func scoreChart(id string, pts []signalPoint) Chart {
	c := Chart{ID: id, Title: "Score and regime by day",
		Note: "Each bar is a day's score in [0, 1]; its colour is the confirmed regime."}
	if len(pts) == 0 {
		c.SVG = emptySVG(c.ID, c.Title, "No signal event yet.")
		return c
	}
	f := newFrame(640, 200)
	f.y0, f.y1 = 0, 1
	var s svgBuilder
	startSVG(&s, f, c.ID, c.Title, c.Note)
	yAxis(&s, f, func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) })
	slot := (f.w - f.left - f.right) / float64(len(pts))
	for i, p := range pts {
		x := f.left + slot*float64(i)
		y := f.y(p.Event.Score)
		s.open("rect", "class", "score "+string(p.Event.Regime), "data-regime", string(p.Event.Regime), "data-as-of", p.Event.AsOf,
			"x", num(x+slot*0.1), "y", num(y), "width", num(math.Max(slot*0.8, 0.5)), "height", num(f.y(0)-y))
		s.text("title", fmt.Sprintf("%s: %s, score %.2f", p.Event.AsOf, p.Event.Regime, p.Event.Score))
		s.close("rect")
	}
	s.text("text", pts[0].Event.AsOf, "x", num(f.left), "y", num(f.h-f.bottom+16))
	s.text("text", pts[len(pts)-1].Event.AsOf, "x", num(f.w-f.right), "y", num(f.h-f.bottom+16), "text-anchor", "end")
	s.close("svg")
	c.SVG = s.HTML()
	return c
}

// nlvChart draws the account's net liquidation as each plan read it.
func nlvChart(id string, pts []accountPoint) Chart {
	c := Chart{ID: id, Title: "Net liquidation over time", Note: "As the broker reported it when each plan was made."}
	if len(pts) == 0 {
		c.SVG = emptySVG(c.ID, c.Title, "No plan yet.")
		return c
	}
	times := make([]time.Time, len(pts))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range pts {
		times[i] = p.Time
		lo, hi = math.Min(lo, p.NLV), math.Max(hi, p.NLV)
	}
	f := newFrame(640, 240).withTime(times).withY(lo, hi)
	f.left = 84
	var s svgBuilder
	startSVG(&s, f, c.ID, c.Title, c.Note)
	yAxis(&s, f, money)
	timeAxis(&s, f)
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = f.tx(p.Time), f.y(p.NLV)
	}
	s.elem("polyline", "class", "line", "points", polyline(xs, ys))
	for i, p := range pts {
		s.open("circle", "class", "nlv", "data-nlv", strconv.FormatFloat(p.NLV, 'f', 2, 64), "cx", num(xs[i]), "cy", num(ys[i]), "r", "3")
		s.text("title", fmt.Sprintf("%s: %s", day(p.Time), money(p.NLV)))
		s.close("circle")
	}
	s.close("svg")
	c.SVG = s.HTML()
	return c
}

// positionsChart draws each plan's positions by root as stacked bars: long
// above the line, short below.
func positionsChart(id string, pts []accountPoint) Chart {
	c := Chart{ID: id, Title: "Positions by root over time (contracts)", Note: "Long above the line, short below; one column per plan."}
	if len(pts) == 0 {
		c.SVG = emptySVG(c.ID, c.Title, "No plan yet.")
		return c
	}
	roots := map[string]bool{}
	lo, hi := 0.0, 1.0
	for _, p := range pts {
		var up, down float64
		for r, q := range p.Positions {
			roots[r] = true
			if q > 0 {
				up += float64(q)
			} else {
				down += float64(q)
			}
		}
		lo, hi = math.Min(lo, down), math.Max(hi, up)
	}
	order := slices.Sorted(maps.Keys(roots))
	f := newFrame(640, 240).withY(lo, hi)
	var s svgBuilder
	startSVG(&s, f, c.ID, c.Title, c.Note)
	yAxis(&s, f, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
	slot := (f.w - f.left - f.right) / float64(len(pts))
	for i, p := range pts {
		x := f.left + slot*float64(i) + slot*0.1
		up, down := 0.0, 0.0
		for k, r := range order {
			q := float64(p.Positions[r])
			if q == 0 {
				continue
			}
			var from, to float64
			if q > 0 {
				from, to = up, up+q
				up = to
			} else {
				from, to = down, down+q
				down = to
			}
			y0, y1 := f.y(from), f.y(to)
			s.open("rect", "class", fmt.Sprintf("position c%d", k%8), "data-root", r, "data-qty", strconv.FormatInt(p.Positions[r], 10),
				"data-date", day(p.Time), "x", num(x), "y", num(math.Min(y0, y1)), "width", num(math.Max(slot*0.8, 0.5)), "height", num(math.Abs(y1-y0)))
			s.text("title", fmt.Sprintf("%s: %s %+d", day(p.Time), r, p.Positions[r]))
			s.close("rect")
		}
	}
	zero := f.y(0)
	s.elem("line", "class", "zero", "x1", num(f.left), "x2", num(f.w-f.right), "y1", num(zero), "y2", num(zero))
	s.text("text", day(pts[0].Time), "x", num(f.left), "y", num(f.h-f.bottom+16))
	s.text("text", day(pts[len(pts)-1].Time), "x", num(f.w-f.right), "y", num(f.h-f.bottom+16), "text-anchor", "end")
	for k, r := range order { // legend
		x := f.left + float64(k)*70
		s.elem("rect", "class", fmt.Sprintf("legend c%d", k%8), "x", num(x), "y", num(f.h-14), "width", "10", "height", "10")
		s.text("text", r, "x", num(x+14), "y", num(f.h-5))
	}
	s.close("svg")
	c.SVG = s.HTML()
	return c
}

// priceChart draws the reference price of root as the plans read it, with
// each order (at its intent's reference price) and each fill (at its price)
// of the roots that follow the same index.
func priceChart(id string, root string, h history) Chart {
	c := Chart{ID: id, Title: root + " reference price with orders and fills",
		Note: "Line: the price each plan used. Triangles: orders (up buy, down sell). Dots: fills."}
	if len(h.Prices) == 0 && len(h.Fills) == 0 {
		c.SVG = emptySVG(c.ID, c.Title, "No price for "+root+" in any plan yet.")
		return c
	}
	var times []time.Time
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range h.Prices {
		times = append(times, p.Time)
		lo, hi = math.Min(lo, p.Price), math.Max(hi, p.Price)
	}
	for _, m := range slices.Concat(h.Orders, h.Fills) {
		if m.Price > 0 {
			times = append(times, m.Time)
			lo, hi = math.Min(lo, m.Price), math.Max(hi, m.Price)
		}
	}
	f := newFrame(640, 260).withTime(times).withY(lo, hi)
	var s svgBuilder
	startSVG(&s, f, c.ID, c.Title, c.Note)
	yAxis(&s, f, price)
	timeAxis(&s, f)
	xs, ys := make([]float64, len(h.Prices)), make([]float64, len(h.Prices))
	for i, p := range h.Prices {
		xs[i], ys[i] = f.tx(p.Time), f.y(p.Price)
	}
	s.elem("polyline", "class", "line", "points", polyline(xs, ys))
	for i, p := range h.Prices {
		s.open("circle", "class", "price", "cx", num(xs[i]), "cy", num(ys[i]), "r", "2")
		s.text("title", fmt.Sprintf("%s: %s", day(p.Time), price(p.Price)))
		s.close("circle")
	}
	for _, o := range h.Orders {
		if o.Price <= 0 {
			continue
		}
		x, y := f.tx(o.Time), f.y(o.Price)
		d := fmt.Sprintf("M%s,%s l6,10 h-12 z", num(x), num(y)) // tip at the price, pointing up
		if o.Side == "SELL" {
			d = fmt.Sprintf("M%s,%s l6,-10 h-12 z", num(x), num(y))
		}
		s.open("path", "class", "order "+sideClass(o.Side), "data-ref", o.Ref, "data-side", o.Side, "d", d)
		s.text("title", fmt.Sprintf("order %s: %s %d %s at reference %s", o.Ref, o.Side, o.Quantity, o.Root, price(o.Price)))
		s.close("path")
	}
	for _, fl := range h.Fills {
		if fl.Price <= 0 {
			continue
		}
		s.open("circle", "class", "fill "+sideClass(fl.Side), "data-ref", fl.Ref, "data-side", fl.Side, "data-qty", strconv.FormatInt(fl.Quantity, 10),
			"data-price", strconv.FormatFloat(fl.Price, 'f', -1, 64), "cx", num(f.tx(fl.Time)), "cy", num(f.y(fl.Price)), "r", "5")
		s.text("title", fmt.Sprintf("fill %s: %s %d %s @ %s", fl.Time.UTC().Format(time.DateTime), fl.Side, fl.Quantity, fl.Root, price(fl.Price)))
		s.close("circle")
	}
	s.close("svg")
	c.SVG = s.HTML()
	return c
}

func sideClass(side string) string {
	if side == "SELL" {
		return "sell"
	}
	return "buy"
}
