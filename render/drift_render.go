package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// driftHeadline is the one-sentence summary of r.
func driftHeadline(r *drift.Report) string {
	alerts, warns := 0, 0
	for _, f := range r.Features {
		switch f.Status {
		case drift.Alert:
			alerts++
		case drift.Warn:
			warns++
		}
	}
	s := fmt.Sprintf("%d features compared: %d alert (PSI ≥ %s), %d warn (PSI ≥ %s), %d ok.",
		len(r.Features), alerts, reports.FormatNumber(r.Thresholds.PSIAlert), warns, reports.FormatNumber(r.Thresholds.PSIWarn), len(r.Features)-alerts-warns)
	if len(r.Skipped) > 0 {
		s += fmt.Sprintf(" %d skipped.", len(r.Skipped))
	}
	return s
}

// driftGateLine says what the gate decided and why.
func driftGateLine(r *drift.Report) string {
	switch {
	case len(r.Gate.Rules) == 0:
		return r.Verdict + ": the config has no drift.* gate rules, so drift alone does not block"
	case r.Verdict == reports.Allow:
		return fmt.Sprintf("%s: all %d drift gate rules passed", r.Verdict, len(r.Gate.Rules))
	}
	return fmt.Sprintf("%s: %d of %d drift gate rules did not pass", r.Verdict, r.Gate.Failed, len(r.Gate.Rules))
}

// featureTest summarises a feature's test: "KS D 0.041, p 0.0012".
func featureTest(f drift.FeatureDrift) (name, stat, p string) {
	if n := f.Numeric; n != nil {
		return "KS (" + n.KS.Method + ")", "D = " + reports.FormatNumber(n.KS.Statistic), FormatP(n.KS.PValue)
	}
	c := f.Categorical
	return "chi-square", fmt.Sprintf("χ² = %s, dof %d", reports.FormatNumber(c.ChiSquare.Statistic), c.ChiSquare.DOF), FormatP(c.ChiSquare.PValue)
}

// WriteDriftSummary writes the terminal summary of r: the files, one line
// per feature with its PSI, test and status, the skipped features, the
// gate rules and the verdict. No value read from the files appears in it,
// only feature and column names.
func WriteDriftSummary(w io.Writer, r *drift.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "evalgate %s drift\n", r.Harness.Version)
	fmt.Fprintf(tw, "reference\t%s\t%d rows\tsha256 %s\n", r.Reference.Path, r.Reference.Rows, short(r.Reference.SHA256))
	fmt.Fprintf(tw, "current\t%s\t%d rows\tsha256 %s\n", r.Current.Path, r.Current.Rows, short(r.Current.SHA256))
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "feature\tkind\tPSI\ttest\tstatistic\tp-value\tstatus")
	for _, f := range r.Features {
		test, stat, p := featureTest(f)
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%s\t%s\t%s\t%s\n", f.Name, f.Kind, f.PSI, test, stat, p, strings.ToUpper(f.Status))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", s.Name, s.Reason)
	}
	for _, rr := range r.Gate.Rules {
		fmt.Fprintf(w, "rule %s: %s (%s)\n", rr.Metric, outcomeMark(rr), rr.Reason)
	}
	fmt.Fprintf(w, "drift: %s — %s\n", strings.ToUpper(r.Status), driftHeadline(r))
	fmt.Fprintf(w, "verdict: %s\n", driftGateLine(r))
	return nil
}

// maxShownBins is how many bins or categories per feature the Markdown
// and HTML show; drift.json has them all.
const maxShownBins = 30

// binLabels names the bins of a feature: "≤ 12", "(12, 15]", "> 40" for
// numeric bins, the category otherwise.
func binLabels(f drift.FeatureDrift) []string {
	if c := f.Categorical; c != nil {
		return c.Categories
	}
	e := f.Numeric.Edges
	out := make([]string, len(e)+1)
	for i := range out {
		switch {
		case len(e) == 0:
			out[i] = "all"
		case i == 0:
			out[i] = "≤ " + reports.FormatNumber(e[0])
		case i == len(e):
			out[i] = "> " + reports.FormatNumber(e[i-1])
		default:
			out[i] = "(" + reports.FormatNumber(e[i-1]) + ", " + reports.FormatNumber(e[i]) + "]"
		}
	}
	return out
}

// shownBins returns the labels and counts to display, at most
// maxShownBins: past that, the least frequent categories are summed into
// one "other" bin named after how many it holds.
func shownBins(f drift.FeatureDrift) (labels []string, ref, cur []int64, other bool) {
	labels = binLabels(f)
	if n := f.Numeric; n != nil {
		ref, cur = n.Reference, n.Current
	} else {
		ref, cur = f.Categorical.Reference, f.Categorical.Current
	}
	if len(labels) <= maxShownBins {
		return labels, ref, cur, false
	}
	k := maxShownBins - 1
	var ro, co int64
	for i := k; i < len(labels); i++ {
		ro += ref[i]
		co += cur[i]
	}
	labels = append(labels[:k:k], fmt.Sprintf("%d others", len(f.Categorical.Categories)-k))
	return labels, append(ref[:k:k], ro), append(cur[:k:k], co), true
}

func share(c, n int64) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(c) / float64(n)
}

func sum64(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// WriteDriftMarkdown writes r as GitHub-flavoured Markdown for pull-request
// comments and $GITHUB_STEP_SUMMARY: the status and verdict, the gate
// rules, a table of every feature, then per feature its bins or categories
// (at most 30) in <details> blocks, and the method. Every string read
// from the files or the config is escaped.
func WriteDriftMarkdown(w io.Writer, r *drift.Report) error {
	var b strings.Builder
	icon := map[string]string{drift.OK: "✅", drift.Warn: "⚠️", drift.Alert: "🚨"}[r.Status]
	fmt.Fprintf(&b, "## %s evalgate drift: %s\n\n**%s** Gate: %s.\n\n", icon, strings.ToUpper(r.Status), md(driftHeadline(r)), md(driftGateLine(r)))
	b.WriteString("| | file | rows | sha256 |\n| --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| reference | %s | %d | `%s` |\n", md(r.Reference.Path), r.Reference.Rows, short(r.Reference.SHA256))
	fmt.Fprintf(&b, "| current | %s | %d | `%s` |\n", md(r.Current.Path), r.Current.Rows, short(r.Current.SHA256))
	if c := r.Config; c != nil {
		fmt.Fprintf(&b, "| config | %s | | `%s` |\n", md(c.Path), short(c.SHA256))
	}
	fmt.Fprintf(&b, "\nThresholds: PSI warn %s, alert %s; %d numeric bins. evalgate %s, drift schema %s.\n",
		reports.FormatNumber(r.Thresholds.PSIWarn), reports.FormatNumber(r.Thresholds.PSIAlert), r.Thresholds.Bins, md(r.Harness.Version), r.SchemaVersion)

	if len(r.Gate.Rules) > 0 {
		fmt.Fprintf(&b, "\n### Gate rules: %d of %d passed\n\n| outcome | rule | observed | threshold | why |\n| --- | --- | --- | --- | --- |\n", r.Gate.Passed, len(r.Gate.Rules))
		for _, rr := range r.Gate.Rules {
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", outcomeMark(rr), mdCode(rr.Metric), reports.FormatNumber(rr.Observed), threshold(rr), md(rr.Reason))
		}
	}
	if r.OtherRules > 0 {
		fmt.Fprintf(&b, "\n%d gate rules on other metrics belong to `evalgate run` and were not checked here.\n", r.OtherRules)
	}

	b.WriteString("\n### Features — evidence for SOC 2 CC7 system monitoring\n\n| status | feature | kind | reference n | current n | PSI | test | statistic | p-value |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, f := range r.Features {
		test, stat, p := featureTest(f)
		fmt.Fprintf(&b, "| %s | `%s` | %s | %d | %d | %.4f | %s | %s | %s |\n", strings.ToUpper(f.Status), mdCode(f.Name), md(f.Kind+", "+f.Measure), f.ReferenceN, f.CurrentN, f.PSI, test, md(stat), p)
	}
	if len(r.Skipped) > 0 {
		b.WriteString("\nSkipped:\n\n")
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "- `%s`: %s\n", mdCode(s.Name), md(s.Reason))
		}
	}
	// Per-feature details go while they fit GitHub's limit; the rest are
	// named in a note.
	var dropped []string
	for _, f := range r.Features {
		var d strings.Builder
		mdFeatureDetails(&d, f)
		if b.Len()+d.Len()+mdReserve > MarkdownLimit {
			dropped = append(dropped, f.Name)
			continue
		}
		b.WriteString(d.String())
	}
	if len(dropped) > 0 {
		names := strings.Join(dropped[:min(len(dropped), 10)], ", ")
		if len(dropped) > 10 {
			names += fmt.Sprintf(" and %d more", len(dropped)-10)
		}
		fmt.Fprintf(&b, "\n> [!WARNING]\n> The details of %s were left out to stay within GitHub's %d-character limit; drift.html and drift.json hold them.\n", md(names), MarkdownLimit)
	}
	m := r.Method
	fmt.Fprintf(&b, "\n<details><summary><b>Method</b></summary>\n\n- PSI: %s\n- Bins: %s\n- KS: %s\n- Chi-square: %s\n- Status: %s\n\n</details>\n",
		md(m.PSI), md(m.Bins), md(m.KS), md(m.ChiSquare), md(m.Status))
	b.WriteString("\n<sub>Rendered by evalgate from drift.json; verify the signed copy (drift.dsse.json) with `evalgate verify`.</sub>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// mdReserve is the room WriteDriftMarkdown keeps, after the feature
// details, for the note on what was left out, the method and the footer.
const mdReserve = 4096

// mdFeatureDetails writes one feature's <details> block: columns, summary,
// bins or categories (at most maxShownBins) and warnings.
func mdFeatureDetails(b *strings.Builder, f drift.FeatureDrift) {
	labels, ref, cur, _ := shownBins(f)
	nr, nc := sum64(ref), sum64(cur)
	head := "bin"
	if f.Kind == drift.FeatureCategorical {
		head = "category"
	}
	fmt.Fprintf(b, "\n<details><summary><b>%s</b>: PSI %.4f, %s</summary>\n\n", md(f.Name), f.PSI, strings.ToUpper(f.Status))
	fmt.Fprintf(b, "Columns: reference %s, current %s; missing values left out: %d and %d.\n\n", md(f.ReferenceColumn), md(f.CurrentColumn), f.ReferenceMissing, f.CurrentMissing)
	if n := f.Numeric; n != nil {
		fmt.Fprintf(b, "| | min | median | max | mean |\n| --- | --- | --- | --- | --- |\n| reference | %s | %s | %s | %s |\n| current | %s | %s | %s | %s |\n\n",
			reports.FormatNumber(n.RefSummary.Min), reports.FormatNumber(n.RefSummary.Median), reports.FormatNumber(n.RefSummary.Max), reports.FormatNumber(n.RefSummary.Mean),
			reports.FormatNumber(n.CurSummary.Min), reports.FormatNumber(n.CurSummary.Median), reports.FormatNumber(n.CurSummary.Max), reports.FormatNumber(n.CurSummary.Mean))
	}
	fmt.Fprintf(b, "| %s | reference | current |\n| --- | --- | --- |\n", head)
	for i := range labels {
		fmt.Fprintf(b, "| %s | %s (%d) | %s (%d) |\n", md(labels[i]), pct(share(ref[i], nr)), ref[i], pct(share(cur[i], nc)), cur[i])
	}
	for _, w := range featureWarnings(f) {
		fmt.Fprintf(b, "\n> %s\n", md(w.Error()))
	}
	b.WriteString("\n</details>\n")
}

func featureWarnings(f drift.FeatureDrift) metrics.Warnings {
	if f.Numeric != nil {
		return f.Numeric.Warnings
	}
	return f.Categorical.Warnings
}

//go:embed drift.html.tmpl
var driftTemplateText string

var driftTemplate = template.Must(template.New("drift").Funcs(template.FuncMap{
	"f1": func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).Parse(driftTemplateText))

// WriteDriftHTML writes r as one self-contained HTML page that opens
// offline: the status banner, the gate rules, a table of every feature,
// and per feature a bar chart (inline SVG) of the reference's and the
// current file's shares in each bin or category, with its numbers. Every
// string is escaped by html/template, and a Content-Security-Policy
// forbids scripts, so text from a file or a config cannot run in a
// reader's browser.
func WriteDriftHTML(w io.Writer, r *drift.Report) error {
	if err := driftTemplate.Execute(w, newDriftView(r)); err != nil {
		return fmt.Errorf("render drift html: %w", err)
	}
	return nil
}

// driftView is what the HTML template shows; every string in it is plain
// text that the template escapes.
type driftView struct {
	Title, Status, StatusClass, Headline, GateLine string
	Files                                          []htmlKV
	Rules                                          []htmlRule
	OtherRules                                     int
	Features                                       []driftFeatureView
	Skipped                                        []drift.SkippedFeature
	Method                                         []htmlKV
	Harness                                        string
}

type driftFeatureView struct {
	Name, Kind, Measure, Columns, Missing string
	PSI, Test, Stat, P, Status            string
	Summary                               []htmlKV3
	Chart                                 barChart
	Rows                                  []htmlKV3
	Warnings                              []string
}

// barChart is a grouped bar chart of two shares per bin; coordinates are
// pixels.
type barChart struct {
	Width, Height, PlotX, PlotW, Base float64
	Ticks                             []barTick
	Groups                            []barGroup
	Note                              string
}

type barTick struct {
	Y     float64
	Label string
}

type barGroup struct {
	Label, Title           string
	LabelX, RefX, CurX, W  float64
	RefY, RefH, CurY, CurH float64
	ShowLabel              bool
}

func newDriftView(r *drift.Report) driftView {
	v := driftView{
		Title:       "evalgate drift: " + strings.ToUpper(r.Status),
		Status:      strings.ToUpper(r.Status),
		StatusClass: r.Status,
		Headline:    driftHeadline(r),
		GateLine:    driftGateLine(r),
		OtherRules:  r.OtherRules,
		Skipped:     r.Skipped,
		Harness:     fmt.Sprintf("%s %s, drift schema %s", r.Harness.Name, r.Harness.Version, r.SchemaVersion),
	}
	v.Files = []htmlKV{
		{"Reference", fmt.Sprintf("%s, %d rows, %d bytes, sha256 %s", r.Reference.Path, r.Reference.Rows, r.Reference.Size, r.Reference.SHA256)},
		{"Current", fmt.Sprintf("%s, %d rows, %d bytes, sha256 %s", r.Current.Path, r.Current.Rows, r.Current.Size, r.Current.SHA256)},
	}
	if c := r.Config; c != nil {
		v.Files = append(v.Files, htmlKV{"Config", fmt.Sprintf("%s, sha256 %s", c.Path, c.SHA256)})
	}
	v.Files = append(v.Files, htmlKV{"Thresholds", fmt.Sprintf("PSI warn %s, alert %s; %d numeric bins", reports.FormatNumber(r.Thresholds.PSIWarn), reports.FormatNumber(r.Thresholds.PSIAlert), r.Thresholds.Bins)})
	for _, rr := range r.Gate.Rules {
		hr := htmlRule{Metric: rr.Metric, Description: rr.Description, Observed: reports.FormatNumber(rr.Observed), Threshold: threshold(rr), Reason: rr.Reason, Outcome: outcomeMark(rr), Class: "pass"}
		if blocks(rr) {
			hr.Class = "fail"
		} else if rr.Outcome != reports.Pass {
			hr.Class = "skip"
		}
		v.Rules = append(v.Rules, hr)
	}
	for _, f := range r.Features {
		test, stat, p := featureTest(f)
		fv := driftFeatureView{
			Name: f.Name, Kind: f.Kind, Measure: f.Measure,
			Columns: fmt.Sprintf("reference column %s, current column %s", f.ReferenceColumn, f.CurrentColumn),
			Missing: fmt.Sprintf("%d and %d missing values left out", f.ReferenceMissing, f.CurrentMissing),
			PSI:     fmt.Sprintf("%.4f", f.PSI), Test: test, Stat: stat, P: p, Status: f.Status,
		}
		if n := f.Numeric; n != nil {
			fv.Summary = []htmlKV3{
				{"n", fmt.Sprint(n.RefSummary.N), fmt.Sprint(n.CurSummary.N)},
				{"min", reports.FormatNumber(n.RefSummary.Min), reports.FormatNumber(n.CurSummary.Min)},
				{"median", reports.FormatNumber(n.RefSummary.Median), reports.FormatNumber(n.CurSummary.Median)},
				{"max", reports.FormatNumber(n.RefSummary.Max), reports.FormatNumber(n.CurSummary.Max)},
				{"mean", reports.FormatNumber(n.RefSummary.Mean), reports.FormatNumber(n.CurSummary.Mean)},
			}
		}
		labels, ref, cur, other := shownBins(f)
		nr, nc := sum64(ref), sum64(cur)
		for i := range labels {
			fv.Rows = append(fv.Rows, htmlKV3{labels[i], fmt.Sprintf("%s (%d)", pct(share(ref[i], nr)), ref[i]), fmt.Sprintf("%s (%d)", pct(share(cur[i], nc)), cur[i])})
		}
		fv.Chart = newBarChart(labels, ref, cur)
		if other {
			fv.Chart.Note = fmt.Sprintf("The %d most frequent of %d categories; the rest are summed in the last bar. drift.json lists them all.", maxShownBins-1, len(f.Categorical.Categories))
		}
		for _, w := range featureWarnings(f) {
			fv.Warnings = append(fv.Warnings, w.Error())
		}
		v.Features = append(v.Features, fv)
	}
	m := r.Method
	v.Method = []htmlKV{{"PSI", m.PSI}, {"Bins", m.Bins}, {"KS test", m.KS}, {"Chi-square test", m.ChiSquare}, {"Status", m.Status}}
	return v
}

// newBarChart lays out two bars (reference, current) per bin on a shared
// share axis from 0 to the largest share.
func newBarChart(labels []string, ref, cur []int64) barChart {
	const width, height, plotX, top, bottom = 760.0, 240.0, 52.0, 12.0, 48.0
	c := barChart{Width: width, Height: height, PlotX: plotX, PlotW: width - plotX - 12, Base: height - bottom}
	nr, nc := sum64(ref), sum64(cur)
	peak := 0.0
	for i := range labels {
		peak = max(peak, share(ref[i], nr), share(cur[i], nc))
	}
	if !(peak > 0) {
		peak = 1
	}
	plotH := c.Base - top
	for _, t := range []float64{0, 0.5, 1} {
		c.Ticks = append(c.Ticks, barTick{Y: c.Base - t*plotH, Label: pct(t * peak)})
	}
	n := max(len(labels), 1)
	gw := c.PlotW / float64(n)
	every := (n + 11) / 12 // at most a dozen axis labels
	for i, l := range labels {
		x := c.PlotX + float64(i)*gw
		rs, cs := share(ref[i], nr), share(cur[i], nc)
		if math.IsNaN(rs) {
			rs = 0
		}
		if math.IsNaN(cs) {
			cs = 0
		}
		rh, ch := rs/peak*plotH, cs/peak*plotH
		c.Groups = append(c.Groups, barGroup{
			Label: clipLabel(l, 16), Title: fmt.Sprintf("%s: reference %s, current %s", l, pct(rs), pct(cs)),
			LabelX: x + gw/2, RefX: x + gw*0.1, CurX: x + gw*0.5, W: gw * 0.4,
			RefY: c.Base - rh, RefH: rh, CurY: c.Base - ch, CurH: ch,
			ShowLabel: i%every == 0,
		})
	}
	return c
}

// clipLabel shortens s to at most n characters, marking the cut with "…".
func clipLabel(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
