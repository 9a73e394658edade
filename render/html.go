package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

//go:embed report.html.tmpl
var htmlTemplateText string

// maxHTMLFlips is how many flipped item ids report.html lists per
// direction; report.json has them all.
const maxHTMLFlips = 500

// Caps on the lists report.html shows; report.json has them all, and
// review.parquet every routed answer.
const (
	// maxHTMLHallucinated answers are listed, with at most maxHTMLClaims
	// unsupported claims each.
	maxHTMLHallucinated = 200
	maxHTMLClaims       = 20
	// maxHTMLViolations outputs that broke a boundary rule are listed.
	maxHTMLViolations = 500
	// maxHTMLReview routed answers are listed.
	maxHTMLReview = 500
	// htmlClip is the longest claim shown, in code points.
	htmlClip = 1000
)

// WriteHTML writes r as one self-contained HTML page that opens offline:
// the verdict banner, every gate rule with a picture of its value,
// interval and threshold, per-task and per-group charts with interval
// whiskers (inline SVG), the regression against production with the items
// that flipped, groundedness with the hallucinated answers and the
// evidence against each claim, boundary violations, personal data by kind
// and location, the answers routed to human review, this report's
// position on the control charts of earlier reports, and the run's
// details. Every string is escaped by html/template, and a
// Content-Security-Policy forbids scripts, so text from a config, a
// dataset or a model cannot run in a reader's browser; control characters
// in the integrity sections' text are shown as escapes (\x1b, \u202e).
func WriteHTML(w io.Writer, r *reports.Report) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
		"add": func(a, b float64) float64 { return a + b },
		"sub": func(a, b float64) float64 { return a - b },
		"examples": func(e *htmlExamples, first bool) any {
			return struct {
				E     *htmlExamples
				First bool
			}{e, first}
		},
	}).Parse(htmlTemplateText)
	if err != nil {
		return fmt.Errorf("parse html template: %w", err)
	}
	if err := t.Execute(w, newHTMLView(r)); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}

// htmlView is what the template shows; every string in it is plain text
// that the template escapes.
type htmlView struct {
	Title, Verdict, Headline string
	Allow, None, Incomplete  bool
	StatusReason             string
	Intro                    string
	Identity                 []htmlKV
	Rules                    []htmlRule
	Passed, Total            int
	Accuracy                 htmlSection
	Fairness                 []htmlChart
	FairnessNotes            []string
	FairnessTables           []htmlFairness
	FairnessSmallRates       string
	FairnessLevels           string
	HasProduction            bool
	Regression               *htmlRegression
	Groundedness             *htmlGround
	Boundaries               *htmlBounds
	Review                   *htmlReview
	PII                      *htmlPII
	History                  *htmlHistory
	Run                      []htmlRunRow
	Timing                   string
	Warnings                 []string
	Evidence                 []htmlKV3
	ControlsHeader           []string
	Controls                 [][]string
	Harness                  string

	// Examples are the regressions and hallucinations with their text;
	// ExamplesFirst shows them expanded right after the gate rules (on a
	// BLOCK) instead of after the groundedness section.
	Examples        *htmlExamples
	ExamplesFirst   bool
	ReviewDecisions *htmlDecisions
}

type htmlKV struct{ Key, Value string }

type htmlKV3 struct{ A, B, C string }

type htmlRule struct {
	Metric, Description, Observed, Interval, Threshold, Reason, Criterion, Outcome, Class string
	Chart                                                                                 *ruleChart
}

// ruleChart pictures one rule on a 240×28 strip: the allowed zone, the
// threshold and the observed value with its interval, all in pixels.
type ruleChart struct {
	ZoneX, ZoneW, ThrX1, ThrX2 float64
	HasThr2                    bool
	X, Lo, Hi                  float64
	HasCI                      bool
	LoLabel, HiLabel           string
	Class                      string
}

type htmlSection struct {
	Summary string
	Chart   *htmlChart
}

// htmlChart is a dot-and-whisker chart: one row per slice, up to two marks
// per row (candidate, production), on a shared axis; coordinates are
// pixels.
type htmlChart struct {
	Title, Caption string
	Width, Height  float64
	PlotX, PlotW   float64
	Ticks          []htmlTick
	Ref            *float64
	Rows           []htmlRow
	Legend         bool
}

type htmlTick struct {
	X     float64
	Label string
}

type htmlRow struct {
	Y            float64
	Label, Value string
	Muted        bool
	Marks        []htmlMark
}

type htmlMark struct {
	X, Lo, Hi, Y float64
	HasCI        bool
	Class        string
}

type htmlRegression struct {
	Summary                                          string
	BothRight, RightToWrong, WrongToRight, BothWrong int
	Flips                                            []htmlFlips
	Chart                                            *htmlChart
}

type htmlFlips struct {
	// Open shows the list expanded.
	Open           bool
	Title, Explain string
	Count          int
	IDs            []string
	More           int
}

type htmlRunRow struct {
	Model, Calls, Errors, Tokens, Counts, Latency, Cost string
}

// htmlGround is the groundedness section.
type htmlGround struct {
	Method, Summary, Judge string
	// JudgeUse is what the judge did (judgeUseLine); Calibration what
	// the lexical verdicts mean, a line per task.
	JudgeUse    string
	Calibration []string
	// Level is the intervals' confidence level, "95%".
	Level        string
	Chart        *htmlChart
	Slices       []htmlGroundSlice
	Hallucinated []htmlHallucinated
	More, Total  int
}

type htmlGroundSlice struct {
	Name, Rate, Interval             string
	Checked, Hallucinated, Abstained int
	Overall                          bool
}

// htmlHallucinated is one hallucinated answer with its unsupported claims.
type htmlHallucinated struct {
	ID, Sample, Task, Score, Supported string
	Claims                             []htmlClaim
	MoreClaims                         int
}

// htmlClaim is one unsupported claim with the evidence against it.
type htmlClaim struct {
	Text                             string
	Missing, Contradicted, Uncovered []string
	Passage, Snippet, Reason         string
}

// htmlBounds is the boundaries section.
type htmlBounds struct {
	Summary     string
	Rules       []htmlCount
	Groups      []htmlBoundGroup
	Items       []htmlViolating
	More, Total int
}

type htmlCount struct {
	Name  string
	Count int
}

type htmlViolating struct {
	ID, Sample, Task string
	Violations       []htmlKV
}

type htmlBoundGroup struct {
	Column string
	Values []integrity.BoundaryGroupValue
}

// htmlReview is the section of answers routed to human review.
type htmlReview struct {
	Summary     string
	Reasons     []htmlCount
	Items       []htmlReviewItem
	More, Total int
}

type htmlReviewItem struct {
	ID, Sample, Task, Confidence string
	Reasons                      []string
}

// htmlPII is the personal-data section: a kind × location table.
type htmlPII struct {
	Summary, Note string
	Redacted      bool
	Locations     []string
	Rows          []htmlPIIRow
	Items         []string
}

type htmlPIIRow struct {
	Kind   string
	Counts []int
	Total  int
	All    bool
}

// htmlHistory is this report's position on earlier reports' control
// charts.
type htmlHistory struct {
	Summary string
	Rows    []htmlControl
}

type htmlControl struct {
	Metric, Chart, Value, N, LCL, Center, UCL string
	Signals                                   []string
	Class                                     string
	Strip                                     *controlStrip
}

// controlStrip pictures one control-chart position on a 240×28 strip: the
// zone between the limits, the center line and the value, in pixels.
type controlStrip struct {
	HasZone      bool
	ZoneX, ZoneW float64
	HasCenter    bool
	CenterX, X   float64
	Class        string
}

func newHTMLView(r *reports.Report) htmlView {
	v := htmlView{
		Title:         fmt.Sprintf("evalgate %s: %s", r.Verdict, reports.ModelIdentity(r.Candidate)),
		Verdict:       r.Verdict,
		Headline:      headline(r),
		Allow:         r.Verdict == reports.Allow,
		None:          r.Verdict == reports.None,
		Incomplete:    r.Status != reports.Complete,
		StatusReason:  r.StatusReason,
		Passed:        r.Gate.Passed,
		Total:         len(r.Gate.Rules),
		HasProduction: r.Production != nil,
		Harness:       fmt.Sprintf("%s %s, report schema %s", r.Harness.Name, r.Harness.Version, r.SchemaVersion),
		Warnings:      collectWarnings(r),
	}
	v.Intro = fmt.Sprintf("evalgate sent each of the %d test items in the eval set %s %s to the candidate model", r.Dataset.Rows, orDash(r.Dataset.Name), orDash(r.Dataset.Version))
	if r.Production != nil {
		v.Intro += " and to the model now in production"
	}
	v.Intro += ", scored every answer"
	var checks []string
	if r.Metrics.Groundedness != nil {
		checks = append(checks, "against its item's retrieved context (groundedness)")
	}
	if r.Metrics.Boundaries != nil {
		checks = append(checks, "against the config's output rules (boundaries)")
	}
	if r.Metrics.PII != nil {
		checks = append(checks, "for personal data")
	}
	switch n := len(checks); {
	case n == 1:
		v.Intro += ", checked each answer " + checks[0]
	case n > 1:
		v.Intro += ", checked each answer " + strings.Join(checks[:n-1], ", ") + " and " + checks[n-1]
	}
	v.Intro += ", and checked the results against the gate rules in the config. " +
		"ALLOW means every rule passed and the candidate may be promoted; BLOCK means at least one did not. " +
		"Each measured rate comes with a 95% interval (the range the true value is likely in, given how many items were tested): in the charts, a dot is the measurement and the line through it is its interval."
	v.Identity = []htmlKV{{"Candidate", modelLine(r.Candidate)}}
	if p := r.Production; p != nil {
		v.Identity = append(v.Identity, htmlKV{"Production", modelLine(*p)})
	}
	v.Identity = append(v.Identity,
		htmlKV{"Eval set", fmt.Sprintf("%s %s, %d items%s, sha256 %s", orDash(r.Dataset.Name), orDash(r.Dataset.Version), r.Dataset.Rows, windowText(r.Dataset.Window), r.Dataset.SHA256)},
		htmlKV{"Config", fmt.Sprintf("%s, sha256 %s", r.Config.Path, r.Config.SHA256)},
		htmlKV{"Results", fmt.Sprintf("%s, sha256 %s", r.Candidate.ResultsFile, r.Candidate.ResultsSHA256)},
	)
	if line := shardsLine(r); line != "" {
		v.Identity = append(v.Identity, htmlKV{"Shards", visible(line)})
	}
	if j := r.Judge; j != nil {
		v.Identity = append(v.Identity, htmlKV{"Groundedness judge", visible(judgeLine(j))})
	}
	if r.Redacted {
		v.Identity = append(v.Identity, htmlKV{"Personal data", "redacted (pii.redact): typed placeholders replace every value in the files this run wrote"})
	}
	for _, rr := range r.Gate.Rules {
		hr := htmlRule{Metric: rr.Metric, Description: rr.Description, Observed: reports.FormatNumber(rr.Observed), Interval: interval(rr.Low, rr.High),
			Threshold: threshold(rr), Reason: visible(ruleReason(r, rr)), Criterion: reports.Criterion(rr.Metric), Outcome: outcomeMark(rr), Class: "pass"}
		if blocks(rr) {
			hr.Class = "fail"
		} else if rr.Outcome != reports.Pass {
			hr.Class = "skip"
		}
		hr.Chart = newRuleChart(rr, hr.Class)
		v.Rules = append(v.Rules, hr)
	}
	v.Accuracy = htmlAccuracy(r)
	for _, col := range r.Metrics.Fairness {
		v.Fairness = append(v.Fairness, fairnessChart(r, col))
		t := newFairnessTables(col)
		v.FairnessTables = append(v.FairnessTables, htmlFairness{Column: col.Column, T: t})
		v.FairnessLevels = t.Levels
		if t.SmallRates != "" {
			v.FairnessSmallRates = t.SmallRates
		}
		for _, d := range col.Disparities {
			if d.Metric == "accuracy" && !math.IsNaN(d.Gap.Value) {
				v.FairnessNotes = append(v.FairnessNotes, fmt.Sprintf("%s: the accuracy gap between %s (highest) and %s (lowest) is %s points, 95%% interval %s to %s points; ratio %s.",
					col.Column, d.Highest, d.Lowest, points(d.Gap.Value), points(d.Gap.Low), points(d.Gap.High), reports.FormatNumber(d.Ratio.Value)))
			}
		}
		if col.PositiveLabel != "" {
			v.FairnessNotes = append(v.FairnessNotes, fmt.Sprintf("%s, positive label %s: demographic parity difference %s, disparate impact %s, equalized odds difference %s.",
				col.Column, col.PositiveLabel, estText(col.DemographicParityDifference), estText(col.DisparateImpact), estText(col.EqualizedOddsDifference)))
		}
	}
	if reg := r.Metrics.Regression; reg != nil {
		v.Regression = htmlRegress(reg, failuresFirst(r))
	}
	if g := r.Metrics.Groundedness; g != nil {
		v.Groundedness = htmlGroundedness(g, r.Judge)
	}
	if b := r.Metrics.Boundaries; b != nil {
		v.Boundaries = htmlBoundaries(b)
	}
	if rv := r.Review; rv != nil {
		v.Review = htmlReviewSection(rv)
	}
	v.Examples, v.ExamplesFirst = htmlExamplesSection(r), failuresFirst(r)
	if d := r.ReviewDecisions; d != nil {
		v.ReviewDecisions = htmlDecisionsSection(d)
	}
	if p := r.Metrics.PII; p != nil {
		v.PII = htmlPIISection(p, r.Redacted)
	}
	if len(r.History) > 0 {
		v.History = htmlHistorySection(r.History)
	}
	models := []reports.ModelRun{r.Candidate}
	names := []string{"candidate"}
	if r.Production != nil {
		models, names = append(models, *r.Production), append(names, "production")
	}
	for i, m := range models {
		v.Run = append(v.Run, htmlRunRow{names[i] + ": " + reports.ModelIdentity(m), fmt.Sprint(m.Calls), fmt.Sprint(m.Errors), fmt.Sprint(m.PromptTokens + m.CompletionTokens), callCounts(m), latencyText(m.Latency), costText(m.Cost)})
	}
	if j := r.Judge; j != nil {
		v.Run = append(v.Run, htmlRunRow{visible("groundedness judge: " + j.Model + "@" + j.Version), fmt.Sprint(j.Calls), fmt.Sprint(j.Errors), "-", fmt.Sprintf("- / %d / -", j.Cached), "-", "-"})
	}
	v.Timing = fmt.Sprintf("Started %s, finished %s (%.1f s).", r.Timing.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), r.Timing.FinishedAt.UTC().Format("2006-01-02 15:04:05 UTC"), r.Timing.Seconds)
	measured := func(ok bool, where string) string {
		if ok {
			return where
		}
		return "not measured in this run"
	}
	notCC7 := ""
	if len(r.History) == 0 {
		notCC7 = " (evalgate drift; evalgate run --history DIR)"
	}
	pi1 := "Accuracy and fairness sections; gate rules marked PI1; error rate under Run"
	var pi1More []string
	if r.Metrics.Groundedness != nil {
		pi1More = append(pi1More, "Groundedness")
	}
	if r.Metrics.Boundaries != nil {
		pi1More = append(pi1More, "Boundaries")
	}
	if r.Review != nil {
		pi1More = append(pi1More, "Routed to human review")
	}
	if len(pi1More) > 0 {
		pi1 += "; " + strings.Join(pi1More, ", ") + " sections"
	}
	v.ControlsHeader, v.Controls = controlTable(r.Controls)
	v.Evidence = []htmlKV3{
		{"PI1 processing integrity", "Does the model process inputs completely and accurately, for every group of users, without making things up or breaking the output rules?", pi1},
		{"CC8.1 change management", "Was the change tested against what runs in production before release?", measured(r.Metrics.Regression != nil, "Regression against production section; gate rules marked CC8.1")},
		{"CC7 system monitoring", "Are the model's results drifting from what was measured before?", measured(len(r.History) > 0, "Control charts section (this report against earlier signed reports); drift: evalgate drift") + notCC7},
		{"C1 / P confidentiality and privacy", "Does the model leak personal or confidential data?", measured(r.Metrics.PII != nil, "Personal data section; gate rules marked C1/P")},
	}
	return v
}

// points formats a rate difference as percentage points.
func points(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", 100*v)
}

// axis maps values in [lo, hi] onto pixels [x0, x0+w].
type axis struct{ lo, hi, x0, w float64 }

func (a axis) px(v float64) float64 {
	if a.hi == a.lo {
		return a.x0 + a.w/2
	}
	return a.x0 + (math.Max(a.lo, math.Min(a.hi, v))-a.lo)/(a.hi-a.lo)*a.w
}

func newRuleChart(rr reports.RuleResult, class string) *ruleChart {
	if math.IsNaN(rr.Observed) {
		return nil
	}
	vals := []float64{rr.Observed}
	for _, x := range []float64{rr.Low, rr.High} {
		if !math.IsNaN(x) {
			vals = append(vals, x)
		}
	}
	for _, b := range []*float64{rr.Min, rr.Max} {
		if b != nil {
			vals = append(vals, *b)
		}
	}
	lo, hi := slicesMin(vals), slicesMax(vals)
	pad := (hi - lo) * 0.15
	if pad == 0 {
		pad = math.Max(math.Abs(hi)*0.1, 0.05)
	}
	a := axis{lo - pad, hi + pad, 8, 224}
	c := &ruleChart{X: a.px(rr.Observed), Class: class}
	if !math.IsNaN(rr.Low) {
		c.HasCI, c.Lo, c.Hi = true, a.px(rr.Low), a.px(rr.High)
	}
	zl, zh := a.x0, a.x0+a.w
	switch {
	case rr.Min != nil && rr.Max != nil:
		zl, zh, c.ThrX1, c.ThrX2, c.HasThr2 = a.px(*rr.Min), a.px(*rr.Max), a.px(*rr.Min), a.px(*rr.Max), true
	case rr.Min != nil:
		zl, c.ThrX1 = a.px(*rr.Min), a.px(*rr.Min)
	case rr.Max != nil:
		zh, c.ThrX1 = a.px(*rr.Max), a.px(*rr.Max)
	default:
		return nil
	}
	c.ZoneX, c.ZoneW = zl, zh-zl
	return c
}

func slicesMin(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func slicesMax(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// chart geometry, in pixels.
const (
	chartW     = 940.0
	chartPlotX = 220.0
	chartPlotW = 440.0
	chartRowH  = 30.0
	chartTop   = 12.0
)

// rateAxis picks an axis for rates: from the lowest interval bound rounded
// down to a tenth, up to 1.
func rateAxis(props ...metrics.Proportion) axis {
	lo := 1.0
	for _, p := range props {
		if p.N > 0 && !math.IsNaN(p.Low) {
			lo = math.Min(lo, p.Low)
		}
	}
	lo = math.Max(0, math.Floor(lo*10-1e-9)/10)
	if lo >= 1 {
		lo = 0
	}
	return axis{lo, 1, chartPlotX, chartPlotW}
}

func ticks(a axis, step float64, label func(float64) string) []htmlTick {
	var out []htmlTick
	start := math.Ceil(a.lo/step-1e-9) * step
	for v := start; v <= a.hi+1e-9; v += step {
		out = append(out, htmlTick{a.px(v), label(v)})
	}
	return out
}

func pctTick(v float64) string {
	if math.Abs(v) < 1e-9 {
		v = 0 // not "-0%"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}

func propMark(a axis, p metrics.Proportion, y float64, class string) (htmlMark, bool) {
	if p.N == 0 || math.IsNaN(p.Rate) {
		return htmlMark{}, false
	}
	m := htmlMark{X: a.px(p.Rate), Y: y, Class: class}
	if !math.IsNaN(p.Low) {
		m.HasCI, m.Lo, m.Hi = true, a.px(p.Low), a.px(p.High)
	}
	return m, true
}

// newChart sizes a chart of n rows.
func newChart(title, caption string, n int) *htmlChart {
	return &htmlChart{Title: title, Caption: caption, Width: chartW, PlotX: chartPlotX, PlotW: chartPlotW,
		Height: chartTop + chartRowH*float64(n) + 28}
}

// addRateRow adds a row with the candidate's rate and, when given, the
// production model's.
func addRateRow(c *htmlChart, a axis, label string, cand metrics.Proportion, prod *metrics.Proportion, muted bool) {
	y := chartTop + chartRowH*float64(len(c.Rows)) + chartRowH/2
	row := htmlRow{Y: y, Label: label, Value: propText(cand), Muted: muted}
	candY := y
	if prod != nil {
		candY = y - 5
		if m, ok := propMark(a, *prod, y+5, "prod"); ok {
			row.Marks = append(row.Marks, m)
		}
	}
	if m, ok := propMark(a, cand, candY, "cand"); ok {
		if muted {
			m.Class = "muted"
		}
		row.Marks = append(row.Marks, m)
	}
	c.Rows = append(c.Rows, row)
}

func htmlAccuracy(r *reports.Report) htmlSection {
	acc := r.Metrics.Accuracy
	s := htmlSection{Summary: fmt.Sprintf("The candidate answered %s of %d items correctly (scoring method %s), 95%% interval %s to %s.",
		pct(acc.Overall.Rate), acc.Overall.N, acc.Method, pct(acc.Overall.Low), pct(acc.Overall.High))}
	if r.Production != nil {
		p := r.Production.Accuracy.Overall
		s.Summary += fmt.Sprintf(" The production model answered %s correctly.", pct(p.Rate))
	}
	props := []metrics.Proportion{acc.Overall}
	for _, t := range acc.ByTask {
		props = append(props, t.Accuracy)
	}
	var prodBy map[string]metrics.Proportion
	if r.Production != nil {
		props = append(props, r.Production.Accuracy.Overall)
		prodBy = map[string]metrics.Proportion{}
		for _, t := range r.Production.Accuracy.ByTask {
			prodBy[t.Name] = t.Accuracy
			props = append(props, t.Accuracy)
		}
	}
	a := rateAxis(props...)
	c := newChart("Accuracy overall and per task", "", 1+len(acc.ByTask))
	c.Legend = r.Production != nil
	var prodOverall *metrics.Proportion
	if r.Production != nil {
		prodOverall = &r.Production.Accuracy.Overall
	}
	addRateRow(c, a, "overall", acc.Overall, prodOverall, false)
	for _, t := range acc.ByTask {
		var pp *metrics.Proportion
		if p, ok := prodBy[t.Name]; ok {
			pp = &p
		}
		addRateRow(c, a, "task "+t.Name, t.Accuracy, pp, false)
	}
	c.Ticks = ticks(a, 0.1, pctTick)
	s.Chart = c
	return s
}

// htmlFairness is one fairness column's tables.
type htmlFairness struct {
	Column string
	T      fairnessTables
}

func fairnessChart(r *reports.Report, col metrics.FairnessColumn) htmlChart {
	var props []metrics.Proportion
	for _, g := range col.Groups {
		props = append(props, g.Accuracy.Proportion)
	}
	base := map[string]metrics.Proportion{}
	if reg := r.Metrics.Regression; reg != nil {
		for _, gd := range reg.ByGroup {
			if gd.Column == col.Column {
				base[gd.Value] = gd.Baseline
				props = append(props, gd.Baseline)
			}
		}
	}
	a := rateAxis(props...)
	c := newChart("Accuracy by "+col.Column, "", len(col.Groups))
	c.Legend = len(base) > 0
	for _, g := range col.Groups {
		var pp *metrics.Proportion
		if p, ok := base[g.Value]; ok {
			pp = &p
		}
		label := g.Value
		if g.Small {
			label += " (small, not gated)"
		}
		addRateRow(c, a, label, g.Accuracy.Proportion, pp, g.Small)
	}
	c.Ticks = ticks(a, 0.1, pctTick)
	return *c
}

func htmlRegress(reg *metrics.Regression, block bool) *htmlRegression {
	h := &htmlRegression{
		Summary: fmt.Sprintf("On the %d items both models answered, the candidate's accuracy is %s points %s the production model's (95%% interval %s to %s points). "+
			"McNemar's exact test on the %d items where the two disagree gives p = %s.",
			reg.Pairs, points(math.Abs(reg.Delta)), map[bool]string{true: "above", false: "below"}[reg.Delta >= 0], points(reg.DeltaLow), points(reg.DeltaHigh), reg.Discordant, FormatP(reg.McNemarP)),
		BothRight: reg.Counts.BothRight, RightToWrong: reg.Counts.RightToWrong, WrongToRight: reg.Counts.WrongToRight, BothWrong: reg.Counts.BothWrong,
	}
	flips := func(title, explain string, ids []string) htmlFlips {
		f := htmlFlips{Title: title, Explain: explain, Count: len(ids), IDs: ids}
		if len(ids) > maxHTMLFlips {
			f.IDs, f.More = ids[:maxHTMLFlips], len(ids)-maxHTMLFlips
		}
		return f
	}
	h.Flips = []htmlFlips{
		flips("Regressions: right → wrong", "items production answered correctly and the candidate does not; review these first", reg.RightToWrong),
		flips("Fixes: wrong → right", "items production got wrong and the candidate gets right", reg.WrongToRight),
	}
	// A short list opens; on a BLOCK the regressions always open and the
	// fixes stay closed, so that the failures come first.
	for i := range h.Flips {
		f := &h.Flips[i]
		f.Open = f.Count > 0 && f.Count < 60
		if block {
			f.Open = i == 0 && f.Count > 0
		}
	}
	if len(reg.ByGroup) == 0 {
		return h
	}
	lo, hi := 0.0, 0.0
	for _, g := range reg.ByGroup {
		for _, x := range []float64{g.Delta.Value, g.Delta.Low, g.Delta.High} {
			if !math.IsNaN(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	lim := math.Max(math.Ceil(math.Max(-lo, hi)*10-1e-9)/10, 0.1)
	a := axis{-lim, lim, chartPlotX, chartPlotW}
	c := newChart("Change in accuracy per group (candidate − production)", "", len(reg.ByGroup))
	zero := a.px(0)
	c.Ref = &zero
	for _, g := range reg.ByGroup {
		y := chartTop + chartRowH*float64(len(c.Rows)) + chartRowH/2
		label := g.Column + " = " + g.Value
		if g.Small {
			label += " (small)"
		}
		row := htmlRow{Y: y, Label: label, Value: signedPoints(g.Delta), Muted: g.Small}
		if !math.IsNaN(g.Delta.Value) {
			m := htmlMark{X: a.px(g.Delta.Value), Y: y, Class: "cand"}
			if g.Small {
				m.Class = "muted"
			}
			if !math.IsNaN(g.Delta.Low) {
				m.HasCI, m.Lo, m.Hi = true, a.px(g.Delta.Low), a.px(g.Delta.High)
			}
			row.Marks = append(row.Marks, m)
		}
		c.Rows = append(c.Rows, row)
	}
	step := 0.1
	if lim > 0.5 {
		step = 0.25
	}
	c.Ticks = ticks(a, step, func(v float64) string {
		if math.Abs(v) < 1e-9 {
			return "0"
		}
		return fmt.Sprintf("%+.0f", 100*v)
	})
	h.Chart = c
	return h
}

// signedPoints formats a delta and its interval in percentage points.
func signedPoints(e metrics.Estimate) string {
	if math.IsNaN(e.Value) {
		return "n/a"
	}
	s := fmt.Sprintf("%+.1f pts", 100*e.Value)
	if !math.IsNaN(e.Low) {
		s += fmt.Sprintf(" [%+.1f, %+.1f]", 100*e.Low, 100*e.High)
	}
	return strings.TrimSpace(s)
}

func htmlGroundedness(g *integrity.Groundedness, j *reports.JudgeRun) *htmlGround {
	h := &htmlGround{Method: visible(orDash(g.Method)), Summary: groundLead(g), Level: fmt.Sprintf("%.0f%%", 100*g.Rate.Level), Total: len(g.Hallucinated)}
	if j != nil {
		h.Judge = visible(fmt.Sprintf("Each claim was verified by the judge %s: %s.", judgeLine(j), judgeCalls(j)))
	}
	h.JudgeUse = visible(judgeUseLine(g.Method, g.Judge))
	for _, c := range g.Calibration {
		h.Calibration = append(h.Calibration, visible(calibrationLine(c)))
	}
	slice := func(name string, p metrics.Proportion, hall, abst int, overall bool) {
		h.Slices = append(h.Slices, htmlGroundSlice{Name: visible(name), Rate: pct(p.Rate), Interval: pctInterval(p), Checked: p.N, Hallucinated: hall, Abstained: abst, Overall: overall})
	}
	props := []metrics.Proportion{g.Rate}
	slice("overall", g.Rate, len(g.Hallucinated), g.Abstained, true)
	for _, t := range g.ByTask {
		slice("task "+t.Name, t.Rate, t.Hallucinated, t.Abstained, false)
		props = append(props, t.Rate)
	}
	for _, col := range g.ByGroup {
		for _, v := range col.Groups {
			slice(col.Column+" = "+v.Name, v.Rate, v.Hallucinated, v.Abstained, false)
			props = append(props, v.Rate)
		}
	}
	if g.Rate.N > 0 {
		a := rateAxis(props...)
		c := newChart("Groundedness overall, per task and per group", "", len(h.Slices))
		addRateRow(c, a, "overall", g.Rate, nil, false)
		for _, t := range g.ByTask {
			addRateRow(c, a, visible("task "+t.Name), t.Rate, nil, false)
		}
		for _, col := range g.ByGroup {
			for _, v := range col.Groups {
				addRateRow(c, a, visible(col.Column+" = "+v.Name), v.Rate, nil, false)
			}
		}
		c.Ticks = ticks(a, 0.1, pctTick)
		h.Chart = c
	}
	hs := g.Hallucinated
	if len(hs) > maxHTMLHallucinated {
		hs, h.More = hs[:maxHTMLHallucinated], len(hs)-maxHTMLHallucinated
	}
	show := anySample(len(hs), func(i int) int { return hs[i].Sample })
	for _, a := range hs {
		ha := htmlHallucinated{ID: visible(a.ID), Sample: strings.TrimSpace(sampleText(a.Sample, show)), Task: visible(orDash(a.Task)),
			Score: fmt.Sprintf("%.2f", a.Score), Supported: pct(a.SupportedFraction)}
		claims := a.Unsupported
		if len(claims) > maxHTMLClaims {
			claims, ha.MoreClaims = claims[:maxHTMLClaims], len(claims)-maxHTMLClaims
		}
		for _, c := range claims {
			hc := htmlClaim{Text: visible(clip(c.Text, htmlClip)), Missing: visibleAll(c.Missing), Contradicted: visibleAll(c.Contradicted), Reason: visible(c.Reason)}
			if len(c.Missing) == 0 && len(c.Contradicted) == 0 {
				hc.Uncovered = visibleAll(c.Uncovered)
			}
			if c.Snippet != "" {
				hc.Passage, hc.Snippet = passageText(c), visible(c.Snippet)
			}
			ha.Claims = append(ha.Claims, hc)
		}
		h.Hallucinated = append(h.Hallucinated, ha)
	}
	return h
}

func htmlBoundaries(b *integrity.BoundaryReport) *htmlBounds {
	h := &htmlBounds{
		Summary: fmt.Sprintf("Output rules from the config that no answer may break. %s in %d of %d checked outputs.",
			plural(b.Violations, "violation", "violations"), b.ViolatingItems, b.Checked),
		Total: len(b.Items),
	}
	for _, col := range b.Groups {
		g := htmlBoundGroup{Column: visible(col.Column)}
		for _, v := range col.Values {
			v.Value = visible(v.Value)
			g.Values = append(g.Values, v)
		}
		h.Groups = append(h.Groups, g)
	}
	for _, rc := range b.Rules {
		h.Rules = append(h.Rules, htmlCount{visible(rc.Rule), rc.Violations})
	}
	items := b.Items
	if len(items) > maxHTMLViolations {
		items, h.More = items[:maxHTMLViolations], len(items)-maxHTMLViolations
	}
	show := anySample(len(items), func(i int) int { return items[i].Sample })
	for _, it := range items {
		hv := htmlViolating{ID: visible(it.ID), Sample: strings.TrimSpace(sampleText(it.Sample, show)), Task: visible(orDash(it.Task))}
		for _, v := range it.Violations {
			hv.Violations = append(hv.Violations, htmlKV{visible(v.Rule), visible(v.Detail)})
		}
		h.Items = append(h.Items, hv)
	}
	return h
}

func htmlReviewSection(rv *integrity.Review) *htmlReview {
	h := &htmlReview{Summary: reviewLead(rv), Total: len(rv.Items)}
	for _, rc := range rv.ByReason {
		h.Reasons = append(h.Reasons, htmlCount{visible(rc.Reason), rc.Count})
	}
	items := rv.Items
	if len(items) > maxHTMLReview {
		items, h.More = items[:maxHTMLReview], len(items)-maxHTMLReview
	}
	show := anySample(len(items), func(i int) int { return items[i].Sample })
	for _, it := range items {
		h.Items = append(h.Items, htmlReviewItem{ID: visible(it.ID), Sample: strings.TrimSpace(sampleText(it.Sample, show)), Task: visible(orDash(it.Task)),
			Confidence: confidenceText(it.Confidence), Reasons: visibleAll(it.Reasons)})
	}
	return h
}

// piiKindNames name the kinds of personal data for people.
var piiKindNames = [integrity.NumPIIKinds]string{
	integrity.PIIEmail: "email address", integrity.PIIPhone: "phone number", integrity.PIISSN: "US social security number",
	integrity.PIICard: "payment card number", integrity.PIIIBAN: "IBAN", integrity.PIIIPv4: "IPv4 address", integrity.PIIIPv6: "IPv6 address",
}

func htmlPIISection(p *integrity.PIISummary, redacted bool) *htmlPII {
	h := &htmlPII{Redacted: redacted, Note: piiRedactionNote(redacted),
		Summary: fmt.Sprintf("evalgate looked for email addresses, phone numbers, US social security numbers, payment card numbers, IBANs and IP addresses in the prompts, the retrieved contexts and the model's outputs, and found %s.",
			plural(p.Total, "value", "values"))}
	for _, l := range p.Locations {
		h.Locations = append(h.Locations, visible(l.Location))
		h.Items = append(h.Items, fmt.Sprintf("%d of %d", l.ItemsWithPII, l.Items))
	}
	for k := range integrity.NumPIIKinds {
		row := htmlPIIRow{Kind: piiKindNames[k], Total: p.Counts[k]}
		for _, l := range p.Locations {
			row.Counts = append(row.Counts, l.Counts[k])
		}
		h.Rows = append(h.Rows, row)
	}
	all := htmlPIIRow{Kind: "all kinds", Total: p.Total, All: true}
	for _, l := range p.Locations {
		all.Counts = append(all.Counts, l.Total)
	}
	h.Rows = append(h.Rows, all)
	return h
}

func htmlHistorySection(ps []reports.ControlPosition) *htmlHistory {
	bad := outOfControl(ps)
	h := &htmlHistory{}
	h.Summary = "Where this report falls on control charts fitted to earlier signed reports"
	if refs := historyReferences(ps); len(refs) > 0 {
		h.Summary += " (limits from " + visible(strings.Join(refs, "; ")) + ")"
	}
	h.Summary += ". Rates with a count behind them are on p-charts (limits p̄ ± 3σ at this report's n), other metrics on individuals (X-mR) charts (mean ± 2.66 × the mean moving range). " +
		"A signal names the Western Electric rule that fired: a change to investigate even when every gate rule passed."
	if len(bad) == 0 {
		h.Summary += " This report is in control on " + plural(len(ps), "metric.", "metrics.")
	} else {
		h.Summary += fmt.Sprintf(" This report is out of control on %d of %d metrics.", len(bad), len(ps))
	}
	for _, p := range ps {
		c := htmlControl{Metric: visible(p.Metric), Chart: visible(chartKind(p.Chart)), Value: reports.FormatNumber(p.Value), N: "-", LCL: reports.FormatNumber(p.LCL), Center: reports.FormatNumber(p.Center), UCL: reports.FormatNumber(p.UCL), Class: "pass"}
		if p.N > 0 {
			c.N = fmt.Sprint(p.N)
		}
		if p.OutOfControl() {
			c.Class = "fail"
			for _, sg := range p.Signals {
				c.Signals = append(c.Signals, sg.String())
			}
		}
		c.Strip = newControlStrip(p, c.Class)
		h.Rows = append(h.Rows, c)
	}
	return h
}

// newControlStrip pictures a position, or returns nil when its value is
// undefined.
func newControlStrip(p reports.ControlPosition, class string) *controlStrip {
	if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
		return nil
	}
	var vals []float64
	for _, x := range []float64{p.Value, p.LCL, p.Center, p.UCL} {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			vals = append(vals, x)
		}
	}
	lo, hi := slicesMin(vals), slicesMax(vals)
	pad := (hi - lo) * 0.15
	if pad == 0 {
		pad = math.Max(math.Abs(hi)*0.1, 0.05)
	}
	a := axis{lo - pad, hi + pad, 8, 224}
	s := &controlStrip{X: a.px(p.Value), Class: class}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	if finite(p.LCL) || finite(p.UCL) {
		zl, zh := a.x0, a.x0+a.w
		if finite(p.LCL) {
			zl = a.px(p.LCL)
		}
		if finite(p.UCL) {
			zh = a.px(p.UCL)
		}
		s.HasZone, s.ZoneX, s.ZoneW = true, zl, zh-zl
	}
	if finite(p.Center) {
		s.HasCenter, s.CenterX = true, a.px(p.Center)
	}
	return s
}

// visibleAll is visible on each string, in a new slice.
func visibleAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, x := range ss {
		out[i] = visible(x)
	}
	return out
}

// pctInterval formats a proportion's interval as "35.4% to 84.8%", or "-"
// without one.
func pctInterval(p metrics.Proportion) string {
	if p.N == 0 || math.IsNaN(p.Low) {
		return "-"
	}
	return pct(p.Low) + " to " + pct(p.High)
}
