package backtest

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"

	"github.com/rotor-trading/rotor/signals"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" },
	"num": func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
}).Parse(reportTemplate))

// reportData is what the template shows.
type reportData struct {
	R        Result
	Equity   chart
	Drawdown chart
	Price    chart
}

// WriteReport writes r as one self-contained HTML page: the three books'
// stats, their equity curves, their drawdowns, and the small-cap index with
// the signal's regime shaded behind it. Everything is inline (SVG and CSS,
// no script, no external asset or link), so the file can be mailed or
// archived as it is. The same Result gives the same bytes.
func WriteReport(w io.Writer, r Result) error {
	if len(r.Books) == 0 || len(r.Books[0].Days) == 0 {
		return fmt.Errorf("backtest: report: the result has no days")
	}
	days := r.Books[0].Days
	n := len(days)
	dates := make([]string, n)
	regimes := make([]signals.Regime, n)
	price := make([]float64, n)
	for i, d := range days {
		dates[i], regimes[i], price[i] = d.Date, d.Regime, d.SmallCap
	}
	var nlvs, dds [][]float64
	for _, b := range r.Books {
		nlv := make([]float64, len(b.Days))
		dd := make([]float64, len(b.Days))
		peak := 0.0
		for i, d := range b.Days {
			nlv[i], _ = d.NLV.Float64()
			if nlv[i] > peak {
				peak = nlv[i]
			}
			if peak > 0 {
				dd[i] = nlv[i]/peak - 1
			}
		}
		nlvs, dds = append(nlvs, nlv), append(dds, dd)
	}
	money := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	pct := func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

	es := newScale(n, nlvs...)
	data := reportData{R: r, Equity: newChart(es, dates, money)}
	ds := newScale(n, append(dds, []float64{0})...)
	data.Drawdown = newChart(ds, dates, pct)
	for k, b := range r.Books {
		data.Equity.Lines = append(data.Equity.Lines, line{Name: b.Name, Class: "b" + strconv.Itoa(k), D: es.path(nlvs[k])})
		data.Drawdown.Lines = append(data.Drawdown.Lines, line{Name: b.Name, Class: "b" + strconv.Itoa(k), D: ds.path(dds[k])})
	}
	ps := newScale(n, price)
	data.Price = newChart(ps, dates, func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })
	data.Price.Bands = regimeBands(ps, regimes)
	data.Price.Lines = []line{{Name: "small-cap index", Class: "price", D: ps.path(price)}}
	return reportTmpl.Execute(w, data)
}
