package render

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// MarkdownLimit is the largest report.md WriteMarkdown writes, in bytes:
// GitHub's limit on a comment or step summary (65,536 characters, and a
// character is at least a byte).
const MarkdownLimit = 65536

// maxFlips is how many flipped item ids the Markdown lists per direction.
const maxFlips = 50

// Caps on the lists report.md shows; report.html and report.json have
// more, and review.parquet has every routed answer.
const (
	// maxMDHallucinated answers are listed, and at most maxMDClaims of
	// each one's unsupported claims.
	maxMDHallucinated = 10
	maxMDClaims       = 2
	// maxMDViolations outputs that broke a boundary rule are listed.
	maxMDViolations = 20
	// maxMDReview routed answers are listed.
	maxMDReview = 20
	// mdClip is the longest claim, passage snippet or detail shown, in
	// code points.
	mdClip = 160
)

// WriteMarkdown writes r as GitHub-flavoured Markdown for pull-request
// comments and $GITHUB_STEP_SUMMARY: the verdict and the failing rules
// first, then every rule, then the details in <details> blocks (accuracy,
// fairness, regression, groundedness and the hallucinated answers,
// boundaries, the answers routed to review, personal data, the position on
// earlier reports' control charts, the run), long lists capped with a
// count of the rest. The output
// stays under MarkdownLimit; when something has to go, a note at the end
// says what was cut. Every string from the config, the dataset or a model
// is escaped.
func WriteMarkdown(w io.Writer, r *reports.Report) error {
	_, err := io.WriteString(w, markdown(r, MarkdownLimit))
	return err
}

// mdSection is a block of Markdown lines; open and close are kept whole
// when lines are cut.
type mdSection struct {
	title string
	// required sections (the verdict and the rules) come first and get
	// all the room they need.
	required    bool
	open, close string
	lines       []string
}

// size is the section's length in bytes when written whole.
func (s mdSection) size() int {
	n := len(s.open) + len(s.close)
	for _, l := range s.lines {
		n += len(l) + 1
	}
	return n
}

// markdown renders r within limit bytes.
func markdown(r *reports.Report, limit int) string {
	const reserve = 1024 // room for the truncation note
	var b strings.Builder
	var cut []string
	sections := mdSections(r)
	// Later sections keep up to laterShare bytes each, so that one huge
	// table does not crowd out the sections after it.
	const laterShare = 4096
	later := make([]int, len(sections)+1)
	for i := len(sections) - 1; i >= 0; i-- {
		later[i] = later[i+1] + min(sections[i].size(), laterShare)
	}
	for i, s := range sections {
		room := limit - reserve - b.Len() - len(s.open) - len(s.close)
		if !s.required {
			room -= later[i+1]
		}
		n, size := 0, 0
		for _, l := range s.lines {
			if size+len(l)+1 > room {
				break
			}
			size += len(l) + 1
			n++
		}
		switch {
		case n == 0 && len(s.lines) > 0:
			cut = append(cut, fmt.Sprintf("%s (left out, %d lines)", s.title, len(s.lines)))
			continue
		case n < len(s.lines):
			cut = append(cut, fmt.Sprintf("%s (cut after %d of %d lines)", s.title, n, len(s.lines)))
		}
		b.WriteString(s.open)
		for _, l := range s.lines[:n] {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		b.WriteString(s.close)
	}
	if len(cut) > 0 {
		note := fmt.Sprintf("\n> [!WARNING]\n> This summary was truncated to %d characters (GitHub's limit is %d). Cut: %s. report.html and report.json hold the full report.\n", limit, MarkdownLimit, strings.Join(cut, "; "))
		if b.Len()+len(note) > limit {
			note = "\n> [!WARNING]\n> This summary was truncated to fit GitHub's limit; report.html and report.json hold the full report.\n"
		}
		b.WriteString(note)
	}
	return b.String()
}

func mdSections(r *reports.Report) []mdSection {
	var out []mdSection
	icon := "✅"
	switch r.Verdict {
	case reports.Allow:
	case reports.None:
		icon = "➖"
	default:
		icon = "❌"
	}
	head := mdSection{title: "summary", required: true, open: fmt.Sprintf("## %s evalgate: %s\n\n**%s**\n\n", icon, r.Verdict, md(headline(r)))}
	head.lines = append(head.lines, "| | |", "| --- | --- |", "| candidate | "+md(modelLine(r.Candidate))+" |")
	if p := r.Production; p != nil {
		head.lines = append(head.lines, "| production | "+md(modelLine(*p))+" |")
	}
	head.lines = append(head.lines,
		fmt.Sprintf("| dataset | %s %s, %d rows%s, sha256 `%s` |", md(orDash(r.Dataset.Name)), md(orDash(r.Dataset.Version)), r.Dataset.Rows, md(windowText(r.Dataset.Window)), short(r.Dataset.SHA256)),
		fmt.Sprintf("| config | %s, sha256 `%s` |", md(r.Config.Path), short(r.Config.SHA256)),
		fmt.Sprintf("| evalgate | %s, report schema %s |", md(r.Harness.Version), r.SchemaVersion),
	)
	if j := r.Judge; j != nil {
		head.lines = append(head.lines, "| groundedness judge | "+mdText(judgeLine(j))+" |")
	}
	if r.Redacted {
		head.lines = append(head.lines, "| personal data | redacted (pii.redact): typed placeholders replace every value in the files this run wrote |")
	}
	for _, line := range cacheLines(r) {
		head.lines = append(head.lines, "| cache | "+mdText(line)+" |")
	}
	if line := shardsLine(r); line != "" {
		head.lines = append(head.lines, "| shards | "+mdText(line)+" |")
	}
	out = append(out, head)

	var failing []reports.RuleResult
	for _, rr := range r.Gate.Rules {
		if blocks(rr) {
			failing = append(failing, rr)
		}
	}
	if len(failing) > 0 {
		s := mdSection{title: "failing rules", required: true, open: "\n### Failing rules\n\n"}
		s.lines = append(s.lines, "| rule | observed | interval | threshold | why |", "| --- | --- | --- | --- | --- |")
		for _, rr := range failing {
			s.lines = append(s.lines, fmt.Sprintf("| `%s` | %s | %s | %s | %s |", mdCode(rr.Metric), reports.FormatNumber(rr.Observed), interval(rr.Low, rr.High), threshold(rr), md(ruleReason(r, rr))))
		}
		out = append(out, s)
	}

	gate := mdSection{title: "gate rules", required: true, open: fmt.Sprintf("\n### Gate rules: %d of %d passed\n\n", r.Gate.Passed, len(r.Gate.Rules))}
	if len(r.Gate.Rules) == 0 {
		gate.lines = append(gate.lines, "The config has no gate rules: the gate allows everything.")
	} else {
		gate.lines = append(gate.lines, "| outcome | rule | observed | interval | threshold | SOC 2 | description |", "| --- | --- | --- | --- | --- | --- | --- |")
	}
	for _, rr := range r.Gate.Rules {
		gate.lines = append(gate.lines, fmt.Sprintf("| %s | `%s` | %s | %s | %s | %s | %s |", outcomeMark(rr), mdCode(rr.Metric), reports.FormatNumber(rr.Observed), interval(rr.Low, rr.High), threshold(rr), reports.Criterion(rr.Metric), md(rr.Description)))
	}
	if r.Status != reports.Complete {
		gate.lines = append(gate.lines, "", "**The run is "+r.Status+":** "+md(r.StatusReason))
	}
	out = append(out, gate)
	if failuresFirst(r) {
		out = append(out, mdExamples(r, true)...)
	}

	out = append(out, mdAccuracy(r))
	if len(r.Metrics.Fairness) > 0 {
		out = append(out, mdFairness(r))
	}
	if r.Metrics.Regression != nil {
		out = append(out, mdRegression(r))
	}
	if l := r.Metrics.Labels; l != nil {
		s := details("Labels", reports.SOC2ProcessingIntegrity)
		s.lines = append(s.lines, fmt.Sprintf("macro-F1 %.3f, accuracy %s", l.MacroF1, l.Accuracy), "", "| class | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |")
		for _, cm := range l.PerClass {
			s.lines = append(s.lines, fmt.Sprintf("| %s | %.3f | %.3f | %.3f | %d |", md(cm.Class), cm.Precision, cm.Recall, cm.F1, cm.Support))
		}
		out = append(out, s)
	}
	if rp := r.Metrics.Repeats; rp != nil {
		s := details("Repeats (non-determinism)", reports.SOC2ProcessingIntegrity)
		s.lines = append(s.lines, "| measure | value |", "| --- | --- |",
			fmt.Sprintf("| mean accuracy over %d samples | %s |", rp.MaxSamples, rp.MeanAccuracy),
			fmt.Sprintf("| majority-vote accuracy | %s |", rp.MajorityAccuracy),
			fmt.Sprintf("| consistency | %.3f (%d items not unanimous) |", rp.MeanConsistency, rp.Inconsistent))
		for _, pk := range rp.PassAtK {
			s.lines = append(s.lines, fmt.Sprintf("| pass@%d | %.3f |", pk.K, pk.Value))
		}
		out = append(out, s)
	}
	if r.Metrics.Groundedness != nil {
		out = append(out, mdGroundedness(r))
		if len(r.Metrics.Groundedness.Hallucinated) > 0 {
			out = append(out, mdHallucinated(r.Metrics.Groundedness))
		}
	}
	if !failuresFirst(r) {
		out = append(out, mdExamples(r, false)...)
	}
	if b := r.Metrics.Boundaries; b != nil {
		out = append(out, mdBoundaries(b))
	}
	if rv := r.Review; rv != nil {
		out = append(out, mdReview(rv))
	}
	if d := r.ReviewDecisions; d != nil {
		out = append(out, mdReviewDecisions(d))
	}
	if p := r.Metrics.PII; p != nil {
		out = append(out, mdPII(p, r.Redacted))
	}
	if len(r.History) > 0 {
		out = append(out, mdHistory(r.History))
	}
	out = append(out, mdRun(r))
	if ws := collectWarnings(r); len(ws) > 0 {
		s := mdSection{title: "warnings", open: fmt.Sprintf("\n<details><summary><b>Statistical warnings</b> (%d)</summary>\n\n", len(ws)), close: "\n</details>\n"}
		for _, w := range ws {
			s.lines = append(s.lines, "- "+md(w))
		}
		out = append(out, s)
	}
	if header, rows := controlTable(r.Controls); len(rows) > 0 {
		s := mdSection{title: "controls", open: "\n<details><summary><b>Audit controls</b>: each section mapped to SOC 2, ISO/IEC 42001, EU AI Act and NIST AI RMF</summary>\n\n", close: "\n</details>\n"}
		s.lines = mdTable(header, rows, nil)
		out = append(out, s)
	}
	out = append(out, mdSection{title: "evidence map", open: "\n", lines: []string{
		"<sub>SOC 2 evidence: accuracy, fairness, groundedness, boundaries, review routing and errors → PI1 processing integrity; regression against production → CC8.1 change management; " +
			"drift and control limits over earlier reports → CC7 monitoring; PII → C1 confidentiality / P privacy. " + notMeasured(r) +
			"Rendered by evalgate from report.json; verify the signed copy with `evalgate verify`.</sub>",
	}})
	return out
}

// notMeasured says which evidence this report lacks, as a sentence
// followed by a space.
func notMeasured(r *reports.Report) string {
	var not []string
	if r.Metrics.Groundedness == nil {
		not = append(not, "groundedness")
	}
	if r.Metrics.Boundaries == nil {
		not = append(not, "boundaries")
	}
	if r.Metrics.PII == nil {
		not = append(not, "PII")
	}
	if len(r.History) == 0 {
		not = append(not, "control limits")
	}
	not = append(not, "drift (evalgate drift)")
	return "Not measured in this report: " + strings.Join(not, ", ") + ". "
}

func details(title, criterion string) mdSection {
	return detailsNote(title, "", criterion)
}

// detailsNote is details with a note after the title, which the collapsed
// section shows: the headline numbers. note is trusted text.
func detailsNote(title, note, criterion string) mdSection {
	if note != "" {
		note = ": " + note
	}
	return mdSection{
		title: strings.ToLower(title),
		open:  fmt.Sprintf("\n<details><summary><b>%s</b>%s — evidence for %s</summary>\n\n", title, note, reports.CriterionName(criterion)),
		close: "\n</details>\n",
	}
}

func mdAccuracy(r *reports.Report) mdSection {
	acc := r.Metrics.Accuracy
	s := details("Accuracy", reports.SOC2ProcessingIntegrity)
	var prod metrics.Accuracy
	hasProd := r.Production != nil
	if hasProd {
		prod = r.Production.Accuracy
	}
	row := func(name string, c, p string) string {
		if hasProd {
			return fmt.Sprintf("| %s | %s | %s |", name, c, p)
		}
		return fmt.Sprintf("| %s | %s |", name, c)
	}
	level := fmt.Sprintf("%.0f%%", 100*acc.Overall.Level)
	s.lines = append(s.lines, fmt.Sprintf("Scoring method `%s`; each rate with its %s Wilson interval.", mdCode(acc.Method), level), "")
	if hasProd {
		s.lines = append(s.lines, "| slice | candidate | production |", "| --- | --- | --- |")
	} else {
		s.lines = append(s.lines, "| slice | candidate |", "| --- | --- |")
	}
	s.lines = append(s.lines, row("**overall**", propText(acc.Overall), propText(prod.Overall)))
	for _, t := range acc.ByTask {
		s.lines = append(s.lines, row("task "+md(t.Name), propText(t.Accuracy), taskProp(prod.ByTask, t.Name)))
	}
	if acc.Unscored > 0 {
		s.lines = append(s.lines, "", fmt.Sprintf("%d results had no reference and were not scored.", acc.Unscored))
	}
	return s
}

func mdFairness(r *reports.Report) mdSection {
	s := details("Fairness by group", reports.SOC2ProcessingIntegrity)
	s.lines = append(s.lines, "Rates per group; groups smaller than the configured minimum are shown but do not decide the gate.")
	var levels, smallRates string
	for _, col := range r.Metrics.Fairness {
		t := newFairnessTables(col)
		levels = t.Levels
		if t.SmallRates != "" {
			smallRates = t.SmallRates
		}
		s.lines = append(s.lines, "", fmt.Sprintf("**%s**", md(col.Column)), "")
		s.lines = append(s.lines, mdTable(t.RatesHeader, t.Rates, func(i int) string {
			if t.Small[i] {
				return " (small group: not gated)"
			}
			return ""
		})...)
		s.lines = append(s.lines, "")
		s.lines = append(s.lines, mdTable(t.DisparitiesHeader, t.Disparities, nil)...)
		if col.PositiveLabel != "" {
			s.lines = append(s.lines, "", fmt.Sprintf("Positive label %s: demographic parity difference %s, disparate impact %s, equalized odds difference %s.",
				md(col.PositiveLabel), estText(col.DemographicParityDifference), estText(col.DisparateImpact), estText(col.EqualizedOddsDifference)))
		}
	}
	if smallRates != "" {
		s.lines = append(s.lines, "", smallRates)
	}
	s.lines = append(s.lines, "", md(levels))
	return s
}

// mdTable lays out a table of plain-text cells, escaped; suffix, when not
// nil, adds a note to the first cell of a row.
func mdTable(header []string, rows [][]string, suffix func(int) string) []string {
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	lines := []string{"| " + strings.Join(header, " | ") + " |", "| " + strings.Join(sep, " | ") + " |"}
	for i, row := range rows {
		cells := make([]string, len(row))
		for j, c := range row {
			cells[j] = md(c)
		}
		if suffix != nil {
			cells[0] += suffix(i)
		}
		lines = append(lines, "| "+strings.Join(cells, " | ")+" |")
	}
	return lines
}

func mdRegression(r *reports.Report) mdSection {
	reg := r.Metrics.Regression
	s := details("Regression against production", reports.SOC2ChangeManagement)
	s.lines = append(s.lines,
		fmt.Sprintf("On %d items answered by both models, accuracy changed by %s (paired bootstrap interval), McNemar p = %s.",
			reg.Pairs, estText(metrics.Estimate{Value: reg.Delta, Low: reg.DeltaLow, High: reg.DeltaHigh}), FormatP(reg.McNemarP)),
		"", "| | candidate right | candidate wrong |", "| --- | --- | --- |",
		fmt.Sprintf("| **production right** | %d | %d (regressions) |", reg.Counts.BothRight, reg.Counts.RightToWrong),
		fmt.Sprintf("| **production wrong** | %d (fixes) | %d |", reg.Counts.WrongToRight, reg.Counts.BothWrong),
	)
	flips := func(name string, ids []string) {
		s.lines = append(s.lines, "", fmt.Sprintf("%s (%d): %s", name, len(ids), idList(ids, maxFlips)))
	}
	flips("Right → wrong", reg.RightToWrong)
	flips("Wrong → right", reg.WrongToRight)
	if len(reg.ByGroup) > 0 {
		s.lines = append(s.lines, "", "| group | pairs | production | candidate | change |", "| --- | --- | --- | --- | --- |")
		for _, g := range reg.ByGroup {
			flag := ""
			if g.Small {
				flag = " (small)"
			}
			s.lines = append(s.lines, fmt.Sprintf("| %s = %s%s | %d | %s | %s | %s |", md(g.Column), md(g.Value), flag, g.Pairs, propText(g.Baseline), propText(g.Candidate), estText(g.Delta)))
		}
	}
	return s
}

func mdGroundedness(r *reports.Report) mdSection {
	g := r.Metrics.Groundedness
	note := "no answer checked"
	if g.Rate.N > 0 {
		note = fmt.Sprintf("%s grounded, %d hallucinated", pct(g.Rate.Rate), len(g.Hallucinated))
	}
	s := detailsNote("Groundedness", note, reports.SOC2ProcessingIntegrity)
	s.lines = append(s.lines, fmt.Sprintf("Method `%s`. %s", mdCode(orDash(g.Method)), groundLead(g)))
	if j := r.Judge; j != nil {
		s.lines = append(s.lines, "", fmt.Sprintf("Claims verified by the judge %s: %s.", mdText(judgeLine(j)), judgeCalls(j)))
	}
	if line := judgeUseLine(g.Method, g.Judge); line != "" {
		s.lines = append(s.lines, "", mdText(line))
	}
	if len(g.Calibration) > 0 {
		s.lines = append(s.lines, "", "What a lexical verdict means (the detector's calibration on labelled data):", "")
		for _, c := range g.Calibration {
			s.lines = append(s.lines, "- "+mdText(calibrationLine(c)))
		}
	}
	s.lines = append(s.lines, "", "| slice | grounded | hallucinated | abstained |", "| --- | --- | --- | --- |",
		fmt.Sprintf("| **overall** | %s | %d | %d |", propText(g.Rate), len(g.Hallucinated), g.Abstained))
	for _, t := range g.ByTask {
		s.lines = append(s.lines, fmt.Sprintf("| task %s | %s | %d | %d |", mdText(t.Name), propText(t.Rate), t.Hallucinated, t.Abstained))
	}
	for _, col := range g.ByGroup {
		for _, v := range col.Groups {
			s.lines = append(s.lines, fmt.Sprintf("| %s = %s | %s | %d | %d |", mdText(col.Column), mdText(v.Name), propText(v.Rate), v.Hallucinated, v.Abstained))
		}
	}
	return s
}

// mdHallucinated lists the hallucinated answers, worst first, with their
// unsupported claims and the evidence against each.
func mdHallucinated(g *integrity.Groundedness) mdSection {
	hs := g.Hallucinated
	s := detailsNote("Hallucinated answers", fmt.Sprint(len(hs)), reports.SOC2ProcessingIntegrity)
	s.lines = append(s.lines, "Highest hallucination score first (the score runs "+hallucinationScoreMeaning+"); each unsupported claim with what gave it away and the closest passage of the context.", "",
		"| answer | score | unsupported claim | evidence |", "| --- | --- | --- | --- |")
	show := anySample(len(hs), func(i int) int { return hs[i].Sample })
	for i, h := range hs {
		if i == maxMDHallucinated {
			s.lines = append(s.lines, "", fmt.Sprintf("… and %s (see report.html, report.json and review.parquet).", plural(len(hs)-i, "more hallucinated answer", "more hallucinated answers")))
			break
		}
		ref := "`" + mdCode(h.ID) + "`" + sampleText(h.Sample, show)
		score := fmt.Sprintf("%.2f", h.Score)
		for k, c := range h.Unsupported {
			if k == maxMDClaims {
				s.lines = append(s.lines, fmt.Sprintf("| | | … and %s | |", plural(len(h.Unsupported)-k, "more unsupported claim", "more unsupported claims")))
				break
			}
			s.lines = append(s.lines, fmt.Sprintf("| %s | %s | “%s” | %s |", ref, score, mdText(clip(c.Text, mdClip)), mdEvidence(c)))
			ref, score = "", ""
		}
	}
	return s
}

// mdEvidence is the evidence against one unsupported claim.
func mdEvidence(c integrity.Claim) string {
	var parts []string
	for _, w := range claimWhy(c) {
		parts = append(parts, mdText(clip(w, mdClip)))
	}
	if p := passageText(c); p != "" && c.Snippet != "" {
		parts = append(parts, p+": “"+mdText(clip(c.Snippet, mdClip))+"”")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "<br>")
}

func mdBoundaries(b *integrity.BoundaryReport) mdSection {
	s := detailsNote("Boundaries", fmt.Sprintf("%s in %d of %d outputs", plural(b.Violations, "violation", "violations"), b.ViolatingItems, b.Checked), reports.SOC2ProcessingIntegrity)
	s.lines = append(s.lines, fmt.Sprintf("Output rules from the config that no answer may break: %s in %d of %d checked outputs.", plural(b.Violations, "violation", "violations"), b.ViolatingItems, b.Checked))
	if len(b.Rules) > 0 {
		s.lines = append(s.lines, "", "| rule | violations |", "| --- | --- |")
		for _, rc := range b.Rules {
			s.lines = append(s.lines, fmt.Sprintf("| `%s` | %d |", mdCode(rc.Rule), rc.Violations))
		}
	}
	for _, col := range b.Groups {
		s.lines = append(s.lines, "", fmt.Sprintf("| %s | checked | violating outputs | violations |", mdText(col.Column)), "| --- | --- | --- | --- |")
		for _, v := range col.Values {
			s.lines = append(s.lines, fmt.Sprintf("| %s | %d | %d | %d |", mdText(v.Value), v.Checked, v.ViolatingItems, v.Violations))
		}
	}
	if len(b.Items) > 0 {
		s.lines = append(s.lines, "", "| output | rule | detail |", "| --- | --- | --- |")
		show := anySample(len(b.Items), func(i int) int { return b.Items[i].Sample })
		for i, it := range b.Items {
			if i == maxMDViolations {
				s.lines = append(s.lines, "", fmt.Sprintf("… and %s (see report.html, report.json and review.parquet).", plural(len(b.Items)-i, "more output", "more outputs")))
				break
			}
			ref := "`" + mdCode(it.ID) + "`" + sampleText(it.Sample, show)
			for _, v := range it.Violations {
				s.lines = append(s.lines, fmt.Sprintf("| %s | `%s` | %s |", ref, mdCode(v.Rule), mdText(clip(v.Detail, mdClip))))
				ref = ""
			}
		}
	}
	return s
}

func mdReview(rv *integrity.Review) mdSection {
	s := detailsNote("Routed to human review", plural(rv.Routed, "answer", "answers"), reports.SOC2ProcessingIntegrity)
	s.lines = append(s.lines, reviewLead(rv))
	if len(rv.ByReason) > 0 {
		s.lines = append(s.lines, "", "| reason | answers |", "| --- | --- |")
		for _, rc := range rv.ByReason {
			s.lines = append(s.lines, fmt.Sprintf("| `%s` | %d |", mdCode(rc.Reason), rc.Count))
		}
	}
	if len(rv.Items) > 0 {
		s.lines = append(s.lines, "", "| answer | task | reasons | confidence |", "| --- | --- | --- | --- |")
		show := anySample(len(rv.Items), func(i int) int { return rv.Items[i].Sample })
		for i, it := range rv.Items {
			if i == maxMDReview {
				s.lines = append(s.lines, "", fmt.Sprintf("… and %d more (see review.parquet and report.json).", len(rv.Items)-i))
				break
			}
			reasons := make([]string, len(it.Reasons))
			for k, x := range it.Reasons {
				reasons[k] = "`" + mdCode(x) + "`"
			}
			s.lines = append(s.lines, fmt.Sprintf("| `%s`%s | %s | %s | %s |", mdCode(it.ID), sampleText(it.Sample, show), mdText(orDash(it.Task)), strings.Join(reasons, " "), confidenceText(it.Confidence)))
		}
	}
	return s
}

// confidenceText formats a measured confidence, "-" when there is none.
func confidenceText(c *float64) string {
	if c == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *c)
}

func mdPII(p *integrity.PIISummary, redacted bool) mdSection {
	s := detailsNote("Personal data (PII)", plural(p.Total, "value found", "values found"), reports.SOC2Privacy)
	kinds := piiKinds(p)
	if p.Total == 0 {
		var where []string
		for _, l := range p.Locations {
			where = append(where, fmt.Sprintf("%d %ss", l.Items, mdText(l.Location)))
		}
		s.lines = append(s.lines, "No email address, phone number, US SSN, payment card, IBAN or IP address found in "+strings.Join(where, ", ")+".")
	} else {
		head, rule := "| where | items | items with PII |", "| --- | --- | --- |"
		for _, k := range kinds {
			head, rule = head+" "+k.String()+" |", rule+" --- |"
		}
		s.lines = append(s.lines, "Values found by kind and by where they were, in every item counted.", "", head+" total |", rule+" --- |")
		for _, l := range p.Locations {
			row := fmt.Sprintf("| %s | %d | %d |", mdText(l.Location), l.Items, l.ItemsWithPII)
			for _, k := range kinds {
				row += fmt.Sprintf(" %d |", l.Counts[k])
			}
			s.lines = append(s.lines, row+fmt.Sprintf(" %d |", l.Total))
		}
		row := "| **all** | | |"
		for _, k := range kinds {
			row += fmt.Sprintf(" %d |", p.Counts[k])
		}
		s.lines = append(s.lines, row+fmt.Sprintf(" **%d** |", p.Total))
	}
	s.lines = append(s.lines, "", piiRedactionNote(redacted))
	return s
}

// piiRedactionNote says whether the values reached the files the run
// wrote.
func piiRedactionNote(redacted bool) string {
	if redacted {
		return "pii.redact was on: every value was replaced with a typed placeholder ([EMAIL], [PHONE], …) in the files this run wrote (results, journal, cache, review file and this report); placeholders count as values."
	}
	return "pii.redact was off: values the model wrote are stored as written in results.parquet and review.parquet."
}

func mdHistory(ps []reports.ControlPosition) mdSection {
	bad := outOfControl(ps)
	note := fmt.Sprintf("in control on %s", plural(len(ps), "metric", "metrics"))
	if len(bad) > 0 {
		note = fmt.Sprintf("⚠ %d of %d metrics out of control", len(bad), len(ps))
	}
	s := detailsNote("Control charts", note, reports.SOC2Monitoring)
	lead := "Where this report falls on control charts of earlier signed reports"
	if refs := historyReferences(ps); len(refs) > 0 {
		lead += " (limits from " + mdText(strings.Join(refs, "; ")) + ")"
	}
	s.lines = append(s.lines, lead+". Rates with a count behind them are on p-charts, other metrics on individuals (X-mR) charts; a signal names the Western Electric rule that fired.", "",
		"| metric | chart | value | n | LCL | center | UCL | signals |", "| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, p := range ps {
		value, flags := reports.FormatNumber(p.Value), "in control"
		if p.OutOfControl() {
			value, flags = "**"+value+"**", "⚠ "+mdText(signalsList(p.Signals))
		}
		n := "-"
		if p.N > 0 {
			n = fmt.Sprint(p.N)
		}
		s.lines = append(s.lines, fmt.Sprintf("| `%s` | %s | %s | %s | %s | %s | %s | %s |", mdCode(p.Metric), mdText(chartKind(p.Chart)), value, n, reports.FormatNumber(p.LCL), reports.FormatNumber(p.Center), reports.FormatNumber(p.UCL), flags))
	}
	return s
}

func mdRun(r *reports.Report) mdSection {
	s := mdSection{title: "run", open: "\n<details><summary><b>Run</b>: calls, errors, tokens, latency</summary>\n\n", close: "\n</details>\n"}
	models := []reports.ModelRun{r.Candidate}
	names := []string{"candidate"}
	if r.Production != nil {
		models, names = append(models, *r.Production), append(names, "production")
	}
	s.lines = append(s.lines, "| model | calls | errors | tokens | retries / cached / resumed | latency p50 / p95 / p99 ms | cost |", "| --- | --- | --- | --- | --- | --- | --- |")
	for i, m := range models {
		s.lines = append(s.lines, fmt.Sprintf("| %s | %d | %d | %d | %s | %s | %s |", names[i], m.Calls, m.Errors, m.PromptTokens+m.CompletionTokens, callCounts(m), latencyText(m.Latency), costText(m.Cost)))
	}
	if j := r.Judge; j != nil {
		s.lines = append(s.lines, fmt.Sprintf("| groundedness judge | %d | %d | - | - / %d / - | - | - |", j.Calls, j.Errors, j.Cached))
	}
	s.lines = append(s.lines, "", fmt.Sprintf("Started %s, finished %s (%.1f s).", r.Timing.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), r.Timing.FinishedAt.UTC().Format("2006-01-02 15:04:05 UTC"), r.Timing.Seconds))
	return s
}

// idList formats up to max ids as code spans, saying how many more exist.
func idList(ids []string, max int) string {
	if len(ids) == 0 {
		return "none"
	}
	var parts []string
	for i, id := range ids {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more (see report.json)", len(ids)-max))
			break
		}
		parts = append(parts, "`"+mdCode(id)+"`")
	}
	return strings.Join(parts, ", ")
}

// propText formats a proportion as "87.8% [84.2%, 90.6%] (351/400)".
func propText(p metrics.Proportion) string {
	if p.N == 0 || math.IsNaN(p.Rate) {
		return "n/a"
	}
	return fmt.Sprintf("%s [%s, %s] (%d/%d)", pct(p.Rate), pct(p.Low), pct(p.High), p.K, p.N)
}

// mdEscaper makes text inert in GitHub Markdown: HTML and table syntax are
// escaped, and emphasis, links and code marks are backslash-escaped.
var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "\\|",
	"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
	"#", "\\#", "!", "\\!", "~", "\\~", "\r", " ", "\n", " ",
)

// md escapes text from the report for Markdown. Control characters are
// written as visible escapes first (see visible): a raw ESC would reach
// the terminal of whoever prints report.md. Text from a config or a
// dataset cannot mention anyone or link anywhere either: an @ that would
// start a mention (at the start or after a non-word character) and the
// "://" or "www." of a bare URL get a zero-width space, which GitHub
// shows as nothing and does not autolink. (An @ inside a word, as in
// model@version, mentions no one and is left alone.)
func md(s string) string { return inert(mdEscaper.Replace(visible(s))) }

// mdText is md for text a model or a dataset wrote, where every @ is
// broken, inside words too.
func mdText(s string) string {
	return inert(strings.ReplaceAll(mdEscaper.Replace(visible(s)), "@", "@&#8203;"))
}

// inert breaks mentions and bare URLs in escaped Markdown text (see md).
func inert(s string) string {
	if !strings.ContainsAny(s, "@:w") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch {
		case c == '@' && (i == 0 || !isWordByte(s[i-1])) && !strings.HasPrefix(s[i+1:], "&#8203;"):
			b.WriteString("&#8203;")
		case c == ':' && strings.HasPrefix(s[i+1:], "//"):
			b.WriteString("&#8203;")
		case (c == 'w' || c == 'W') && (i == 0 || !isWordByte(s[i-1])) && len(s) >= i+4 && strings.EqualFold(s[i:i+4], "www."):
			b.WriteString(s[i+1 : i+3])
			b.WriteString("&#8203;")
			i += 2
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// mdCodeEscaper makes text safe inside a single-backtick code span in a
// table: backticks, pipes and newlines would end it.
var mdCodeEscaper = strings.NewReplacer("`", "'", "|", "\\|", "\r", " ", "\n", " ")

func mdCode(s string) string { return mdCodeEscaper.Replace(visible(s)) }

// taskProp formats one task's accuracy from slices, "-" when absent.
func taskProp(slices []metrics.Slice, name string) string {
	for _, s := range slices {
		if s.Name == name {
			return propText(s.Accuracy)
		}
	}
	return "-"
}
