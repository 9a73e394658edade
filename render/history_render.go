package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// historyMethod explains the charts and the rules, for the Markdown and
// HTML renderings.
const historyMethod = "Rates with a count behind them get p-charts: the center is p̄ = successes / trials over the reference reports, " +
	"and each report's limits are p̄ ± 3·√(p̄(1−p̄)/n) for its own n, clipped to [0, 1]. " +
	"Other metrics get individuals (X-mR) charts: the center is the mean over the reference reports and the limits mean ± 2.66 × the mean moving range. " +
	"A flag names the Western Electric rule that fired on the point completing its pattern: " +
	"rule 1, one point beyond 3σ; rule 2, 2 of 3 beyond 2σ on one side; rule 3, 4 of 5 beyond 1σ on one side; rule 4, 8 in a row on one side of the center."

// historyLimits describes a chart's center line and where it comes from.
func historyLimits(m history.Metric) string {
	c := m.Chart
	if c.Kind == metrics.ChartP {
		return fmt.Sprintf("p-chart, center p̄ = %s (%d of %d over %d reference reports)", reports.FormatNumber(c.Center), c.Successes, c.Trials, c.Reference)
	}
	return fmt.Sprintf("individuals chart, center %s, mean moving range %s (over %d reference reports)", reports.FormatNumber(c.Center), reports.FormatNumber(c.MovingRange), c.Reference)
}

// signalsText joins signals as "rule 1 (one point beyond 3σ, below); …".
func signalsText(s []metrics.Signal) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, "; ")
}

// latestText says whether the newest report is in control, naming every
// metric and rule that is not.
func latestText(h *history.History) (text string, ok bool) {
	newest := h.Reports[len(h.Reports)-1]
	var bad []string
	for _, p := range h.Latest() {
		if p.OutOfControl() {
			bad = append(bad, p.Metric+" "+reports.FormatNumber(p.Value)+": "+signalsText(p.Signals))
		}
	}
	who := fmt.Sprintf("%s, %s, %s", newest.Time.Format(time.DateOnly), newest.Model, newest.Path)
	if len(bad) == 0 {
		return "The newest report (" + who + ") is in control on every metric.", true
	}
	return "The newest report (" + who + ") is out of control: " + strings.Join(bad, "; ") + ".", false
}

// WriteHistorySummary writes a few lines for the terminal: the reports
// read, the files left out, the newest report's position on each chart and
// the earlier points out of control.
func WriteHistorySummary(w io.Writer, h *history.History) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d signed reports verified with key %s, %s to %s\n", len(h.Reports), h.KeyID,
		h.Reports[0].Time.Format(time.DateOnly), h.Reports[len(h.Reports)-1].Time.Format(time.DateOnly))
	if len(h.Excluded) > 0 {
		fmt.Fprintf(&b, "%d files left out:\n", len(h.Excluded))
		for _, e := range h.Excluded {
			fmt.Fprintf(&b, "  %s: %s: %s\n", e.Path, e.Reason, e.Detail)
		}
	}
	fmt.Fprintf(&b, "limits from %s\n", h.Reference)
	latest := map[string]reports.ControlPosition{}
	for _, p := range h.Latest() {
		latest[p.Metric] = p
	}
	var earlier []string
	newest := len(h.Reports) - 1
	for _, m := range h.Metrics {
		kind := "p-chart"
		if m.Chart.Kind != metrics.ChartP {
			kind = "X-mR"
		}
		line := fmt.Sprintf("  %-36s %-8s", m.Metric, kind)
		if p, ok := latest[m.Metric]; ok {
			state := "in control"
			if p.OutOfControl() {
				state = "OUT OF CONTROL: " + signalsText(p.Signals)
			}
			n := ""
			if p.N > 0 {
				n = fmt.Sprintf(" (n %d)", p.N)
			}
			line += fmt.Sprintf(" newest %s%s, limits [%s, %s], center %s: %s", reports.FormatNumber(p.Value), n, reports.FormatNumber(p.LCL), reports.FormatNumber(p.UCL), reports.FormatNumber(p.Center), state)
		} else {
			line += " no value in the newest report"
		}
		b.WriteString(line + "\n")
		for j, pt := range m.Chart.Points {
			if r := m.Reports[j]; r != newest && pt.OutOfControl() {
				hr := h.Reports[r]
				earlier = append(earlier, fmt.Sprintf("  %s %s %s: %s %s", hr.Time.Format(time.DateOnly), hr.Path, m.Metric, reports.FormatNumber(pt.Value), signalsText(pt.Signals)))
			}
		}
	}
	if len(earlier) > 0 {
		fmt.Fprintf(&b, "earlier points out of control:\n%s\n", strings.Join(earlier, "\n"))
	}
	text, _ := latestText(h)
	b.WriteString(text + "\n")
	// Model versions and paths come from signed reports and the folder:
	// nothing in them may act on the terminal.
	_, err := io.WriteString(w, TermSafeLines(b.String()))
	return err
}

// WriteHistoryMarkdown writes h as GitHub-flavoured Markdown: the reports
// read and the reference period, a table per metric (date, model version,
// value, n, LCL, center, UCL, flags), and the files left out. Every string
// from a report or a path is escaped.
func WriteHistoryMarkdown(w io.Writer, h *history.History) error {
	var b strings.Builder
	first, last := h.Reports[0], h.Reports[len(h.Reports)-1]
	fmt.Fprintf(&b, "# evalgate history: control charts over %d signed reports\n\n", len(h.Reports))
	fmt.Fprintf(&b, "%d reports from %s to %s verified with key `%s`", len(h.Reports), first.Time.Format(time.DateOnly), last.Time.Format(time.DateOnly), mdCode(h.KeyID))
	if len(h.Excluded) > 0 {
		fmt.Fprintf(&b, "; %d files left out (listed at the end)", len(h.Excluded))
	}
	fmt.Fprintf(&b, ". Limits from %s.\n\n", h.Reference)
	text, ok := latestText(h)
	mark := "✅"
	if !ok {
		mark = "❌"
	}
	fmt.Fprintf(&b, "%s **%s**\n\n%s\n", mark, md(text), historyMethod)
	for _, m := range h.Metrics {
		fmt.Fprintf(&b, "\n## %s\n\n%s.", md(m.Metric), historyLimits(m))
		if m.Chart.Reference < len(m.Chart.Points) {
			fmt.Fprintf(&b, " The first %d rows are the reference period.", m.Chart.Reference)
		}
		b.WriteString("\n\n| date | model version | value | n | LCL | center | UCL | flags |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for j, p := range m.Chart.Points {
			hr := h.Reports[m.Reports[j]]
			value, flags := reports.FormatNumber(p.Value), ""
			if p.OutOfControl() {
				value, flags = "**"+value+"**", "⚠ "+signalsText(p.Signals)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", hr.Time.Format(time.DateOnly), md(hr.Model), value, countText(p.N),
				reports.FormatNumber(p.LCL), reports.FormatNumber(m.Chart.Center), reports.FormatNumber(p.UCL), flags)
		}
		for _, wn := range m.Chart.Warnings {
			fmt.Fprintf(&b, "\n- %s", md(wn.Error()))
		}
		if len(m.Chart.Warnings) > 0 {
			b.WriteString("\n")
		}
	}
	if len(h.Excluded) > 0 {
		b.WriteString("\n## Files left out\n\nThese files are not in any chart: nothing in them was trusted.\n\n| file | reason | detail |\n| --- | --- | --- |\n")
		for _, e := range h.Excluded {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", mdCode(e.Path), e.Reason, md(e.Detail))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func countText(n int) string {
	if n <= 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

// WriteHistoryJSON writes h as history.json (history.WriteJSON), undefined
// numbers as null. The same history always gives the same bytes.
func WriteHistoryJSON(w io.Writer, h *history.History) error {
	return history.WriteJSON(w, h)
}

//go:embed history.html.tmpl
var historyTemplateText string

var historyTemplate = template.Must(template.New("history").Funcs(template.FuncMap{
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a - b },
}).Parse(historyTemplateText))

// WriteHistoryHTML writes h as one self-contained HTML page that opens
// offline: the newest report's state, then for each metric an inline SVG
// trend chart (the values, the center line, the band between the control
// limits, the end of the reference period, flagged points in red) and its
// table, then the files left out. Every string is escaped by
// html/template, and a Content-Security-Policy forbids scripts.
func WriteHistoryHTML(w io.Writer, h *history.History) error {
	if err := historyTemplate.Execute(w, newHistoryView(h)); err != nil {
		return fmt.Errorf("render history html: %w", err)
	}
	return nil
}

type historyView struct {
	Title, Intro, Reference, Method string
	Latest                          string
	InControl                       bool
	Metrics                         []historyMetricView
	Excluded                        []history.Exclusion
}

type historyMetricView struct {
	Metric, Limits string
	Chart          historyChart
	Rows           []historyRow
	Warnings       []string
}

type historyRow struct {
	Date, Model, Path, Value, N, LCL, Center, UCL, Flags string
	Flagged, Reference                                   bool
}

// historyChart is a trend chart in pixels: Band is the SVG path of the
// stepped band between the limits, Line the polyline through the values.
type historyChart struct {
	Width, Height, PlotX, PlotW, PlotY, PlotH float64
	Band, Line                                string
	HasBand                                   bool
	CenterY                                   float64
	RefX                                      float64
	HasRef                                    bool
	YTicks, XTicks                            []historyTick
	Points                                    []historyDot
}

type historyTick struct {
	Pos   float64
	Label string
}

type historyDot struct {
	X, Y    float64
	Flagged bool
	Tip     string
}

// Trend chart geometry, in pixels.
const (
	trendW     = 940.0
	trendH     = 250.0
	trendLeft  = 64.0
	trendRight = 24.0
	trendTop   = 12.0
	trendBot   = 40.0
)

func newHistoryView(h *history.History) historyView {
	latest, ok := latestText(h)
	v := historyView{
		Title:     fmt.Sprintf("evalgate history: %d signed reports", len(h.Reports)),
		Intro:     fmt.Sprintf("%d reports from %s to %s, each verified with key %s.", len(h.Reports), h.Reports[0].Time.Format(time.DateOnly), h.Reports[len(h.Reports)-1].Time.Format(time.DateOnly), h.KeyID),
		Reference: "Limits from " + h.Reference.String() + ".",
		Method:    historyMethod,
		Latest:    latest,
		InControl: ok,
		Excluded:  h.Excluded,
	}
	for _, m := range h.Metrics {
		mv := historyMetricView{Metric: m.Metric, Limits: historyLimits(m), Chart: trendChart(h, m)}
		for j, p := range m.Chart.Points {
			hr := h.Reports[m.Reports[j]]
			mv.Rows = append(mv.Rows, historyRow{Date: hr.Time.Format(time.DateOnly), Model: hr.Model, Path: hr.Path, Value: reports.FormatNumber(p.Value), N: countText(p.N),
				LCL: reports.FormatNumber(p.LCL), Center: reports.FormatNumber(m.Chart.Center), UCL: reports.FormatNumber(p.UCL), Flags: signalsText(p.Signals), Flagged: p.OutOfControl(), Reference: j < m.Chart.Reference})
		}
		for _, wn := range m.Chart.Warnings {
			mv.Warnings = append(mv.Warnings, wn.Error())
		}
		v.Metrics = append(v.Metrics, mv)
	}
	return v
}

// trendChart lays out one metric's chart: points evenly spaced in time
// order, the y axis spanning the values and the limits.
func trendChart(h *history.History, m history.Metric) historyChart {
	c := historyChart{Width: trendW, Height: trendH, PlotX: trendLeft, PlotW: trendW - trendLeft - trendRight, PlotY: trendTop, PlotH: trendH - trendTop - trendBot}
	pts := m.Chart.Points
	lo, hi := m.Chart.Center, m.Chart.Center
	for _, p := range pts {
		for _, v := range []float64{p.Value, p.LCL, p.UCL} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	pad := (hi - lo) * 0.08
	if pad == 0 {
		pad = math.Max(math.Abs(hi)*0.05, 0.01)
	}
	lo, hi = lo-pad, hi+pad
	if m.Chart.Kind == metrics.ChartP {
		lo, hi = math.Max(0, lo), math.Min(1, hi)
	}
	y := func(v float64) float64 { return c.PlotY + (hi-math.Max(lo, math.Min(hi, v)))/(hi-lo)*c.PlotH }
	step := c.PlotW / float64(len(pts))
	x := func(i int) float64 { return c.PlotX + (float64(i)+0.5)*step }
	c.CenterY = y(m.Chart.Center)
	if m.Chart.Reference < len(pts) {
		c.HasRef, c.RefX = true, c.PlotX+float64(m.Chart.Reference)*step
	}
	var upper, lower, line []string
	c.HasBand = true
	for i, p := range pts {
		if math.IsNaN(p.LCL) || math.IsNaN(p.UCL) {
			c.HasBand = false
		}
		x0, x1 := x(i)-step/2, x(i)+step/2
		upper = append(upper, fmt.Sprintf("%.1f %.1f L %.1f %.1f", x0, y(p.UCL), x1, y(p.UCL)))
		lower = append([]string{fmt.Sprintf("%.1f %.1f L %.1f %.1f", x1, y(p.LCL), x0, y(p.LCL))}, lower...)
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Value)))
		hr := h.Reports[m.Reports[i]]
		tip := fmt.Sprintf("%s · %s · %s %s", hr.Time.Format(time.DateOnly), hr.Model, m.Metric, reports.FormatNumber(p.Value))
		if p.N > 0 {
			tip += fmt.Sprintf(" (n %d)", p.N)
		}
		tip += fmt.Sprintf(" · limits %s to %s", reports.FormatNumber(p.LCL), reports.FormatNumber(p.UCL))
		if p.OutOfControl() {
			tip += " · " + signalsText(p.Signals)
		}
		c.Points = append(c.Points, historyDot{X: x(i), Y: y(p.Value), Flagged: p.OutOfControl(), Tip: tip})
	}
	if c.HasBand {
		c.Band = "M " + strings.Join(upper, " L ") + " L " + strings.Join(lower, " L ") + " Z"
	}
	c.Line = strings.Join(line, " ")
	ts := niceStep((hi - lo) / 4)
	for v := math.Ceil(lo/ts-1e-9) * ts; v <= hi+1e-9; v += ts {
		label := math.Round(v/ts)*ts + 0 // + 0 turns −0 into 0
		c.YTicks = append(c.YTicks, historyTick{y(v), reports.FormatNumber(label)})
	}
	every := int(math.Ceil(80 / step))
	for i := 0; i < len(pts); i += max(1, every) {
		c.XTicks = append(c.XTicks, historyTick{x(i), h.Reports[m.Reports[i]].Time.Format(time.DateOnly)})
	}
	return c
}

// niceStep rounds a tick step up to 1, 2 or 5 times a power of ten.
func niceStep(rough float64) float64 {
	if rough <= 0 || math.IsNaN(rough) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(rough)))
	for _, f := range []float64{1, 2, 5, 10} {
		if f*mag >= rough {
			return f * mag
		}
	}
	return 10 * mag
}
