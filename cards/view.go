package cards

// The card's layout, once: sections of plain-text blocks that the
// Markdown and HTML writers escape and lay out. No text in a view is
// markup, so no string from a config, a dataset or a model can become
// markup in either format.

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/reports"
)

type view struct {
	Title    string
	Intro    string
	Sections []section
	Controls table
}

type section struct {
	ID, Title string
	// Controls are the ids of the controls the section evidences.
	Controls []reports.Control
	Blocks   []block
}

// block is one of: a sub-heading, a paragraph, a list or a table.
type block struct {
	Heading string
	Text    string
	List    []string
	Table   *table
}

type table struct {
	Header []string
	Rows   [][]string
}

func (s *section) heading(h string)         { s.Blocks = append(s.Blocks, block{Heading: h}) }
func (s *section) text(t string)            { s.Blocks = append(s.Blocks, block{Text: t}) }
func (s *section) list(l []string)          { s.Blocks = append(s.Blocks, block{List: l}) }
func (s *section) table(t table)            { s.Blocks = append(s.Blocks, block{Table: &t}) }
func (s *section) textf(f string, a ...any) { s.text(fmt.Sprintf(f, a...)) }

func newView(c *Card) view {
	v := view{
		Title: "Model card: " + c.Model.Identity,
		Intro: fmt.Sprintf("Written by %s %s from %s and the config's card block. Every number on this card is copied from a signed report that was verified when the card was made; the Sources section lists their envelopes' SHA-256.",
			c.Harness.Name, c.Harness.Version, plural(len(c.Evaluations), "signed report")),
	}
	add := func(s section, controls string) {
		if controls != "" {
			s.Controls = c.Controls[controls]
		}
		v.Sections = append(v.Sections, s)
	}
	add(modelDetails(c), reports.SectionRun)
	add(intendedUse(c), "")
	add(evaluationData(c), reports.SectionRun)
	add(metricsSection(c), reports.SectionAccuracy)
	if _, ok := c.Controls[reports.SectionFairness]; ok {
		add(fairness(c), reports.SectionFairness)
	}
	if _, ok := c.Controls[reports.SectionGroundedness]; ok {
		add(groundedness(c), reports.SectionGroundedness)
	}
	if _, ok := c.Controls[reports.SectionBoundaries]; ok {
		add(boundaries(c), reports.SectionBoundaries)
	}
	add(pii(c), reports.SectionPII)
	if _, ok := c.Controls[reports.SectionRegression]; ok {
		add(regression(c), reports.SectionRegression)
	}
	if _, ok := c.Controls[reports.SectionReview]; ok {
		add(review(c), reports.SectionReview)
	}
	add(driftSection(c), reports.SectionDrift)
	add(gate(c), reports.SectionSignature)
	add(limitations(c), "")
	add(approvalTrail(c), reports.SectionApproval)
	add(sources(c), reports.SectionSignature)
	v.Controls = controlsTable(c)
	return v
}

// evalName names an evaluation in headings: its dataset and report.
func evalName(c *Card, i int) string {
	e := c.Evaluations[i]
	name := e.Dataset.Name
	if name == "" {
		name = "eval set"
	}
	if e.Dataset.Version != "" {
		name += " " + e.Dataset.Version
	}
	return fmt.Sprintf("%s (report %s)", name, sourceName(c, e.Source))
}

func sourceName(c *Card, sum string) string {
	for _, s := range c.Sources {
		if s.SHA256 == sum {
			return s.Name
		}
	}
	return short(sum)
}

func modelDetails(c *Card) section {
	s := section{ID: "model-details", Title: "Model details"}
	m := c.Model
	rows := [][]string{
		{"name", m.Name}, {"version", m.Version}, {"identity", m.Identity}, {"provider", m.Provider},
		{"artifact SHA-256", orText(m.ArtifactSHA256, "not recorded (set candidate.artifact_sha256 in the config)")},
		{"owners", orText(strings.Join(c.Use.Owners, ", "), "not stated")},
		{"contact", orText(c.Use.Contact, "not stated")},
	}
	s.table(table{Header: []string{"field", "value"}, Rows: rows})
	return s
}

func intendedUse(c *Card) section {
	s := section{ID: "intended-use", Title: "Intended use"}
	s.text(orText(c.Use.IntendedUse, "Not stated: the config has no card.intended_use."))
	s.heading("Out-of-scope use")
	if len(c.Use.OutOfScope) == 0 {
		s.text("Not stated: the config has no card.out_of_scope.")
	} else {
		s.list(c.Use.OutOfScope)
	}
	if c.Config != nil {
		same := "the same config file the reports were run with"
		if !c.Config.SameAsReports {
			same = "not the config file every report was run with (its SHA-256 differs)"
		}
		s.textf("From %s (SHA-256 %s), %s.", c.Config.Path, c.Config.SHA256, same)
	}
	return s
}

func evaluationData(c *Card) section {
	s := section{ID: "evaluation-data", Title: "Evaluation data"}
	t := table{Header: []string{"report", "dataset", "version", "SHA-256", "rows", "evaluated", "commit"}}
	for _, e := range c.Evaluations {
		commit := "-"
		if p := e.Provenance; p != nil && p.Commit != "" {
			commit = p.Commit
		}
		t.Rows = append(t.Rows, []string{sourceName(c, e.Source), orText(e.Dataset.Name, "-"), orText(e.Dataset.Version, "-"), e.Dataset.SHA256, strconv.FormatInt(e.Dataset.Rows, 10), e.Evaluated, commit})
	}
	s.table(t)
	return s
}

func metricsSection(c *Card) section {
	s := section{ID: "metrics", Title: "Metrics"}
	for i, e := range c.Evaluations {
		a := e.Accuracy
		s.heading(evalName(c, i))
		s.textf("Scoring method %s; each rate with its %s Wilson interval and k/n.", a.Method, level(a.Overall.Level))
		t := table{Header: []string{"metric", "value"}, Rows: [][]string{{"accuracy", prop(a.Overall)}}}
		for _, sl := range a.ByTask {
			t.Rows = append(t.Rows, []string{"accuracy, task " + sl.Name, prop(sl.Accuracy)})
		}
		t.Rows = append(t.Rows, []string{"error rate", prop(e.ErrorRate)})
		if a.Unscored > 0 {
			t.Rows = append(t.Rows, []string{"unscored (no reference answer)", strconv.Itoa(a.Unscored)})
		}
		s.table(t)
	}
	return s
}

func fairness(c *Card) section {
	s := section{ID: "fairness", Title: "Fairness by group"}
	s.text("Rates per group with simultaneous intervals; small groups are shown but take no part in gaps, ratios and tests. A small p-value is evidence that the groups differ.")
	for i, e := range c.Evaluations {
		for _, col := range e.Fairness {
			s.heading(fmt.Sprintf("%s: %s", evalName(c, i), col.Column))
			t := table{Header: []string{"group", "n", "accuracy", "small"}}
			for _, g := range col.Groups {
				t.Rows = append(t.Rows, []string{g.Value, strconv.Itoa(g.N), prop(g.Accuracy.Proportion), yesNo(g.Small)})
			}
			s.table(t)
			d := table{Header: []string{"metric", "gap", "ratio", "lowest", "highest", "groups", "test", "p"}}
			for _, x := range col.Disparities {
				d.Rows = append(d.Rows, []string{x.Metric, est(x.Gap), est(x.Ratio), orText(x.Lowest, "-"), orText(x.Highest, "-"), strconv.Itoa(x.Groups), orText(x.Test.Method, "not evaluated"), render.FormatP(x.Test.P)})
			}
			s.table(d)
			s.textf("Intervals: %s at %s.", col.Intervals, level(col.Level))
		}
	}
	return s
}

func groundedness(c *Card) section {
	s := section{ID: "groundedness", Title: "Groundedness"}
	for i, e := range c.Evaluations {
		g := e.Groundedness
		if g == nil {
			continue
		}
		s.heading(evalName(c, i))
		s.textf("Method %s: %s of checked answers grounded in their context; %d hallucinated, %d abstained, %d could not be checked.", orText(g.Method, "-"), prop(g.Rate), g.Hallucinated, g.Abstained, g.Errors)
		t := table{Header: []string{"task", "grounded", "hallucinated"}}
		for _, sl := range g.ByTask {
			t.Rows = append(t.Rows, []string{sl.Name, prop(sl.Rate), strconv.Itoa(sl.Hallucinated)})
		}
		if len(t.Rows) > 0 {
			s.table(t)
		}
	}
	return s
}

func boundaries(c *Card) section {
	s := section{ID: "boundaries", Title: "Boundaries"}
	for i, e := range c.Evaluations {
		b := e.Boundaries
		if b == nil {
			continue
		}
		s.heading(evalName(c, i))
		s.textf("%d of %d outputs broke at least one rule; %d violations in all.", b.ViolatingItems, b.Checked, b.Violations)
		t := table{Header: []string{"rule", "violations"}}
		for _, r := range b.Rules {
			t.Rows = append(t.Rows, []string{r.Rule, strconv.Itoa(r.Violations)})
		}
		if len(t.Rows) > 0 {
			s.table(t)
		}
	}
	return s
}

func pii(c *Card) section {
	s := section{ID: "pii", Title: "Personal data (PII) handling"}
	for i, e := range c.Evaluations {
		s.heading(evalName(c, i))
		p := e.PII
		if p == nil {
			s.text("Not checked: pii.detect was off for this run.")
			continue
		}
		red := "Not redacted: the run's files hold the values as found."
		if p.Redacted {
			red = "Redacted: every file the run wrote has typed placeholders in place of the values."
		}
		s.textf("%d values found. %s", p.Summary.Total, red)
		t := table{Header: []string{"location", "items", "items with PII", "values"}}
		for _, l := range p.Summary.Locations {
			t.Rows = append(t.Rows, []string{l.Location, strconv.Itoa(l.Items), strconv.Itoa(l.ItemsWithPII), strconv.Itoa(l.Total)})
		}
		s.table(t)
		var kinds []string
		for k, n := range p.Summary.Counts {
			if n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", integrity.PIIKind(k), n))
			}
		}
		if len(kinds) > 0 {
			s.textf("By kind: %s.", strings.Join(kinds, ", "))
		}
	}
	return s
}

func regression(c *Card) section {
	s := section{ID: "regression", Title: "Regression against production"}
	for i, e := range c.Evaluations {
		g := e.Regression
		if g == nil {
			continue
		}
		s.heading(evalName(c, i))
		p := math.NaN()
		if g.McNemarP != nil {
			p = *g.McNemarP
		}
		s.textf("Against %s on %d paired items: candidate %s, production %s; change %s (paired bootstrap interval), McNemar exact p = %s.", g.Production, g.Pairs, prop(g.Candidate), prop(g.Baseline), signedEst(g.Delta), render.FormatP(p))
		s.table(table{Header: []string{"", "candidate right", "candidate wrong"}, Rows: [][]string{
			{"production right", strconv.Itoa(g.Counts.BothRight), strconv.Itoa(g.Counts.RightToWrong) + " (regressions)"},
			{"production wrong", strconv.Itoa(g.Counts.WrongToRight) + " (fixes)", strconv.Itoa(g.Counts.BothWrong)},
		}})
	}
	return s
}

func review(c *Card) section {
	s := section{ID: "review", Title: "Human review"}
	for i, e := range c.Evaluations {
		r := e.Review
		if r == nil {
			continue
		}
		s.heading(evalName(c, i))
		var why []string
		for _, x := range r.ByReason {
			why = append(why, fmt.Sprintf("%s %d", x.Reason, x.Count))
		}
		s.textf("%d answers routed to people (%s).", r.Routed, orText(strings.Join(why, ", "), "no reason recorded"))
	}
	return s
}

func driftSection(c *Card) section {
	s := section{ID: "drift", Title: "Drift status"}
	if len(c.Drift) == 0 {
		s.text("No signed drift report was given: drift was not assessed for this card.")
		return s
	}
	for _, d := range c.Drift {
		s.heading(fmt.Sprintf("drift report %s", sourceName(c, d.Source)))
		s.textf("Status %s, verdict %s, compared %s: reference %s (%d rows, SHA-256 %s) against current %s (%d rows, SHA-256 %s).",
			d.Status, d.Verdict, d.Compared, d.Reference.Path, d.Reference.Rows, d.Reference.SHA256, d.Current.Path, d.Current.Rows, d.Current.SHA256)
		t := table{Header: []string{"feature", "status", "PSI"}}
		for _, f := range d.Features {
			t.Rows = append(t.Rows, []string{f.Name, f.Status, fmt.Sprintf("%.4f", f.PSI)})
		}
		s.table(t)
	}
	return s
}

func gate(c *Card) section {
	s := section{ID: "gate", Title: "Gate verdicts"}
	for i, e := range c.Evaluations {
		s.heading(evalName(c, i))
		s.textf("Verdict %s (%s): %d of %d rules passed.", e.Verdict, e.Status, e.Gate.Passed, len(e.Gate.Rules))
		t := table{Header: []string{"metric", "threshold", "observed", "outcome", "reason"}}
		for _, r := range e.Gate.Rules {
			t.Rows = append(t.Rows, []string{r.Metric, threshold(r), observed(r), r.Outcome, r.Reason})
		}
		s.table(t)
	}
	return s
}

func limitations(c *Card) section {
	s := section{ID: "limitations", Title: "Known limitations and warnings"}
	if len(c.Limitations) == 0 {
		s.text("None stated in the config, and the reports carry no statistical warning.")
		return s
	}
	var l []string
	for _, x := range c.Limitations {
		l = append(l, x.Origin+": "+x.Text)
	}
	s.list(l)
	return s
}

func approvalTrail(c *Card) section {
	s := section{ID: "approvals", Title: "Approval trail"}
	if len(c.Approvals) == 0 {
		s.text("No signed approval was given: the card records no promotion decision.")
		return s
	}
	s.text("Each decision is signed by its approver's own key, verified, checked against the report it names, and signed by a key other than the report's (separation of duties).")
	t := table{Header: []string{"report", "verdict", "decision", "approver", "time", "reference", "justification", "approval", "approver key SHA-256"}}
	for _, a := range c.Approvals {
		t.Rows = append(t.Rows, []string{sourceName(c, a.Report), a.Verdict, a.Decision, a.Approver, a.Time, orText(a.Reference, "-"), orText(a.Justification, "-"), sourceName(c, a.Source), a.ApproverFingerprint})
	}
	s.table(t)
	return s
}

func sources(c *Card) section {
	s := section{ID: "sources", Title: "Sources"}
	s.text("The signed documents this card was built from, each verified with the key whose PKIX SHA-256 is given. A signed card (card.dsse.json) names each as a subject.")
	t := table{Header: []string{"kind", "file", "envelope SHA-256", "key SHA-256"}}
	for _, x := range c.Sources {
		t.Rows = append(t.Rows, []string{x.Kind, x.Name, x.SHA256, x.KeyFingerprint})
	}
	s.table(t)
	return s
}

func controlsTable(c *Card) table {
	t := table{Header: []string{"framework", "control", "name", "sections"}}
	type key struct{ fw, id string }
	idx := map[key]int{}
	for _, sec := range reports.Sections() {
		for _, ctl := range c.Controls[sec] {
			k := key{ctl.Framework, ctl.ID}
			if i, ok := idx[k]; ok {
				t.Rows[i][3] += ", " + sec
				continue
			}
			idx[k] = len(t.Rows)
			t.Rows = append(t.Rows, []string{ctl.Framework, ctl.ID, ctl.Name, sec})
		}
	}
	order := map[string]int{reports.FrameworkSOC2: 0, reports.FrameworkISO42001: 1, reports.FrameworkEUAIAct: 2, reports.FrameworkNISTRMF: 3}
	slices.SortStableFunc(t.Rows, func(a, b []string) int { return cmp.Compare(order[a[0]], order[b[0]]) })
	return t
}

// controlIDs is "SOC 2 PI1.3, ISO/IEC 42001 A.6.2.4, …".
func controlIDs(cs []reports.Control) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Framework+" "+c.ID)
	}
	return strings.Join(out, ", ")
}

func prop(p metrics.Proportion) string {
	if p.N == 0 || math.IsNaN(p.Rate) {
		return fmt.Sprintf("n/a (%d/%d)", p.K, p.N)
	}
	if math.IsNaN(p.Low) {
		return fmt.Sprintf("%s (%d/%d)", pct(p.Rate), p.K, p.N)
	}
	return fmt.Sprintf("%s [%s, %s] (%d/%d)", pct(p.Rate), pct(p.Low), pct(p.High), p.K, p.N)
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func est(e metrics.Estimate) string {
	switch {
	case math.IsNaN(e.Value):
		return "n/a"
	case math.IsNaN(e.Low):
		return fmt.Sprintf("%.3f", e.Value)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", e.Value, e.Low, e.High)
}

func signedEst(e metrics.Estimate) string {
	switch {
	case math.IsNaN(e.Value):
		return "n/a"
	case math.IsNaN(e.Low):
		return fmt.Sprintf("%+.3f", e.Value)
	}
	return fmt.Sprintf("%+.3f [%+.3f, %+.3f]", e.Value, e.Low, e.High)
}

func level(l float64) string { return strconv.FormatFloat(100*l, 'f', -1, 64) + "%" }

func threshold(r reports.RuleResult) string {
	var parts []string
	if r.Min != nil {
		parts = append(parts, "≥ "+strconv.FormatFloat(*r.Min, 'g', -1, 64))
	}
	if r.Max != nil {
		parts = append(parts, "≤ "+strconv.FormatFloat(*r.Max, 'g', -1, 64))
	}
	return strings.Join(parts, " and ")
}

func observed(r reports.RuleResult) string {
	switch {
	case math.IsNaN(r.Observed):
		return "not evaluated"
	case math.IsNaN(r.Low):
		return strconv.FormatFloat(r.Observed, 'g', 6, 64)
	}
	return fmt.Sprintf("%s [%s, %s]", strconv.FormatFloat(r.Observed, 'g', 6, 64), strconv.FormatFloat(r.Low, 'g', 6, 64), strconv.FormatFloat(r.High, 'g', 6, 64))
}

func orText(s, alt string) string {
	if strings.TrimSpace(s) == "" {
		return alt
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
