package backtest

import (
	"math"
	"strconv"
	"strings"

	"github.com/rotor-trading/rotor/signals"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH   = 960.0, 260.0
	padL, padR       = 70.0, 10.0
	padT, padB       = 10.0, 24.0
	plotW, plotH     = chartW - padL - padR, chartH - padT - padB
	maxChartTicks    = 5
	regimeOpacityCSS = "0.18"
)

// chart is one SVG chart of the report, worked out in Go so the template
// only places numbers.
type chart struct {
	W, H   float64
	Lines  []line
	Bands  []band
	YTicks []tick
	XTicks []tick
	// PlotX..PlotH frame the plot area.
	PlotX, PlotY, PlotW, PlotH float64
}

type line struct {
	Name, Class, D string
}

type band struct {
	X, W  float64
	Class string
}

type tick struct {
	Pos    float64
	Label  string
	Anchor string // text-anchor of an x label: the end labels stay inside
}

// scale maps day indices and values into the plot area.
type scale struct {
	n        int
	min, max float64
}

func newScale(n int, series ...[]float64) scale {
	s := scale{n: n, min: math.Inf(1), max: math.Inf(-1)}
	for _, xs := range series {
		for _, v := range xs {
			s.min, s.max = math.Min(s.min, v), math.Max(s.max, v)
		}
	}
	if math.IsInf(s.min, 0) {
		s.min, s.max = 0, 1
	}
	if s.max == s.min {
		s.min, s.max = s.min-1, s.max+1
	}
	return s
}

func (s scale) x(i int) float64 {
	if s.n <= 1 {
		return padL
	}
	return padL + plotW*float64(i)/float64(s.n-1)
}

func (s scale) y(v float64) float64 { return padT + plotH*(1-(v-s.min)/(s.max-s.min)) }

// path is the SVG path of xs, with coordinates to 0.1 unit (the bytes of a
// report are as deterministic as the result).
func (s scale) path(xs []float64) string {
	var b strings.Builder
	for i, v := range xs {
		if i == 0 {
			b.WriteByte('M')
		} else {
			b.WriteByte('L')
		}
		b.WriteString(strconv.FormatFloat(s.x(i), 'f', 1, 64))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(s.y(v), 'f', 1, 64))
	}
	return b.String()
}

func newChart(s scale, dates []string, format func(float64) string) chart {
	c := chart{W: chartW, H: chartH, PlotX: padL, PlotY: padT, PlotW: plotW, PlotH: plotH}
	for k := 0; k <= maxChartTicks; k++ {
		v := s.min + (s.max-s.min)*float64(k)/maxChartTicks
		c.YTicks = append(c.YTicks, tick{Pos: round1(s.y(v)), Label: format(v)})
	}
	if n := len(dates); n > 0 {
		for k := 0; k <= maxChartTicks; k++ {
			i := (n - 1) * k / maxChartTicks
			anchor := "middle"
			switch k {
			case 0:
				anchor = "start"
			case maxChartTicks:
				anchor = "end"
			}
			c.XTicks = append(c.XTicks, tick{Pos: round1(s.x(i)), Label: dates[i], Anchor: anchor})
		}
	}
	return c
}

// regimeBands are the spans of days in leadership or lagging, as shaded
// columns behind a chart.
func regimeBands(s scale, regimes []signals.Regime) []band {
	var out []band
	half := 0.0
	if s.n > 1 {
		half = plotW / float64(s.n-1) / 2
	}
	for i := 0; i < len(regimes); {
		j := i
		for j+1 < len(regimes) && regimes[j+1] == regimes[i] {
			j++
		}
		if r := regimes[i]; r == signals.Leadership || r == signals.Lagging {
			x0, x1 := math.Max(padL, s.x(i)-half), math.Min(padL+plotW, s.x(j)+half)
			out = append(out, band{X: round1(x0), W: round1(math.Max(x1-x0, 0.5)), Class: string(r)})
		}
		i = j + 1
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
