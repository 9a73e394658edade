package render

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// threshold spells a rule's bounds: "≥ 0.8", "≤ 0.2", "≥ 0 and ≤ 1".
func threshold(rr reports.RuleResult) string {
	var b []string
	if rr.Min != nil {
		b = append(b, "≥ "+reports.FormatNumber(*rr.Min))
	}
	if rr.Max != nil {
		b = append(b, "≤ "+reports.FormatNumber(*rr.Max))
	}
	if len(b) == 0 {
		return "-"
	}
	return strings.Join(b, " and ")
}

// interval formats [low, high], or "-" without one.
func interval(low, high float64) string {
	if math.IsNaN(low) || math.IsNaN(high) {
		return "-"
	}
	return "[" + reports.FormatNumber(low) + ", " + reports.FormatNumber(high) + "]"
}

// outcomeMark is a rule outcome for people.
func outcomeMark(rr reports.RuleResult) string {
	switch {
	case rr.Outcome == reports.Pass:
		return "pass"
	case rr.Outcome == reports.Fail && rr.Finding == reports.FindingEvidence:
		return "FAIL: evidence"
	case rr.Outcome == reports.Fail && rr.Finding == reports.FindingTooLittleData:
		return "FAIL: too little data"
	case rr.Outcome == reports.Fail:
		return "FAIL"
	case rr.Optional:
		return "not evaluated (optional)"
	}
	return "NOT EVALUATED"
}

// blocks reports whether a rule counts against the verdict.
func blocks(rr reports.RuleResult) bool {
	return rr.Outcome == reports.Fail || (rr.Outcome == reports.NotEvaluated && !rr.Optional)
}

// pct formats a rate in [0, 1] as a percentage with one decimal.
func pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// headline is the one-sentence verdict.
func headline(r *reports.Report) string {
	n := len(r.Gate.Rules)
	switch {
	case r.Status != reports.Complete:
		return fmt.Sprintf("The run did not finish (%s), so the candidate may not be promoted.", r.StatusReason)
	case r.Verdict == reports.None:
		return "The config has no gate rules (run with --no-gate), so this report gives no verdict: it neither clears nor blocks promotion."
	case r.Verdict == reports.Allow:
		return fmt.Sprintf("The candidate passed all %d gate rules and may be promoted.", n)
	}
	return fmt.Sprintf("%d of %d gate rules did not pass, so the candidate may not be promoted.", r.Gate.Failed, n)
}

// modelLine names a model for people: "extractive-v2 (builtin:extractive-v2)",
// with the version when it differs from the model name.
func modelLine(m reports.ModelRun) string {
	s := m.Model
	if m.Version != "" && m.Version != m.Model {
		s += " version " + m.Version
	}
	return s + " (" + m.Provider + ")"
}

// clip shortens s to at most n code points, ending with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n-1; k++ {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return s[:i] + "…"
}

// anySample reports whether an answer with a repeat index above 0 is
// among n answers, whose indices sample returns: only then do references
// to answers name their sample.
func anySample(n int, sample func(i int) int) bool {
	for i := range n {
		if sample(i) > 0 {
			return true
		}
	}
	return false
}

// sampleText is " sample k" when show, else "".
func sampleText(sample int, show bool) string {
	if !show {
		return ""
	}
	return fmt.Sprintf(" sample %d", sample)
}

// claimWhy lists what gave an unsupported claim away, for people: the
// hard evidence (numbers and names the context lacks, attributes it
// contradicts), else the words its closest passage lacks, and the judge's
// reason. The claim's words are untrusted text.
func claimWhy(c integrity.Claim) []string {
	var why []string
	if len(c.Missing) > 0 {
		why = append(why, "not in the context: "+strings.Join(c.Missing, ", "))
	}
	if len(c.Contradicted) > 0 {
		why = append(why, "contradicted by the context: "+strings.Join(c.Contradicted, ", "))
	}
	if len(c.Uncovered) > 0 && len(why) == 0 {
		why = append(why, "words the closest passage lacks: "+strings.Join(c.Uncovered, ", "))
	}
	if c.Reason != "" {
		why = append(why, "judge: "+c.Reason)
	}
	return why
}

// passageText names a claim's closest passage, counting from 1 as people
// do (report.json counts from 0), or "" when there is none.
func passageText(c integrity.Claim) string {
	if c.Passage < 0 {
		return ""
	}
	return fmt.Sprintf("closest context passage %d", c.Passage+1)
}

// judgeLine names the judge model for people, as modelLine does.
func judgeLine(j *reports.JudgeRun) string {
	return modelLine(reports.ModelRun{Provider: j.Provider, Model: j.Model, Version: j.Version})
}

// judgeCalls counts a judge's calls: "40 calls, 1 error, 3 cached".
func judgeCalls(j *reports.JudgeRun) string {
	return fmt.Sprintf("%s, %s, %d cached", plural(j.Calls, "call", "calls"), plural(j.Errors, "error", "errors"), j.Cached)
}

// plural formats "1 call" or "2 calls".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// chartKind names a control chart kind for people.
func chartKind(kind string) string {
	switch kind {
	case metrics.ChartP:
		return "p-chart"
	case metrics.ChartXmR:
		return "X-mR"
	}
	return kind
}

// outOfControl returns the positions on which a rule fires.
func outOfControl(ps []reports.ControlPosition) []reports.ControlPosition {
	var out []reports.ControlPosition
	for _, p := range ps {
		if p.OutOfControl() {
			out = append(out, p)
		}
	}
	return out
}

// historyReferences lists the distinct reference periods of positions, in
// order of first appearance.
func historyReferences(ps []reports.ControlPosition) []string {
	var out []string
	for _, p := range ps {
		if p.Reference != "" && !slices.Contains(out, p.Reference) {
			out = append(out, p.Reference)
		}
	}
	return out
}

// piiKinds returns the kinds of personal data found at least once, in kind
// order.
func piiKinds(p *integrity.PIISummary) []integrity.PIIKind {
	var out []integrity.PIIKind
	for k := range integrity.NumPIIKinds {
		if p.Counts[k] > 0 {
			out = append(out, k)
		}
	}
	return out
}

// reviewLead says why answers were routed and where the rows are.
func reviewLead(rv *integrity.Review) string {
	why := "hallucinated answers, judge errors and boundary violations are routed"
	if rv.ConfidenceBelow > 0 {
		why = fmt.Sprintf("hallucinated answers, judge errors, boundary violations and answers with confidence below %s are routed", reports.FormatNumber(rv.ConfidenceBelow))
	}
	return fmt.Sprintf("%s to a person (%s). review.parquet, written beside this report, holds each one with its question, reference answer, the model's answer and the evidence.",
		plural(rv.Routed, "answer was routed", "answers were routed"), why)
}

// groundLead summarises groundedness in a sentence.
func groundLead(g *integrity.Groundedness) string {
	if g.Rate.N == 0 {
		return fmt.Sprintf("No answer could be checked (%d could not be checked), so groundedness is undefined.", g.Errors)
	}
	s := fmt.Sprintf("%s of %d checked answers are grounded (every claim supported by the item's context), %.0f%% interval %s to %s: %d hallucinated, %d abstained (counted as grounded)",
		pct(g.Rate.Rate), g.Rate.N, 100*g.Rate.Level, pct(g.Rate.Low), pct(g.Rate.High), len(g.Hallucinated), g.Abstained)
	if g.NoClaims > 0 {
		s += fmt.Sprintf(", %d had no checkable claim (counted as grounded)", g.NoClaims)
	}
	if g.Errors > 0 {
		s += fmt.Sprintf(", and %d could not be checked (left out of the rate)", g.Errors)
	}
	return s + "."
}

// signalsList joins signals as "rule 1 (one point beyond 3σ, below); …".
func signalsList(s []metrics.Signal) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, "; ")
}

// termSafe makes text from a config, a dataset or a model inert on a
// terminal: C0 and C1 control characters (which start ANSI escape
// sequences, and include tab, newline and carriage return, which would
// break the columns or overwrite a line), DEL, the Unicode bidirectional
// controls and line separators are written as Go escapes (\x1b,
// \u009b, \u202e), and so are bytes that are not UTF-8. Other text is
// unchanged.
func termSafe(s string) string { return escapeControls(s, false) }

// TermSafe is termSafe, for commands that print text from a config, a
// dataset, a model or a signed document themselves.
func TermSafe(s string) string { return termSafe(s) }

// TermSafeLines is TermSafe for a multi-line message (an error listing
// problems): newlines and tabs stay, every other control is escaped.
func TermSafeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = termSafe(p)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}

// visible is termSafe for renderers in which a tab, newline or carriage
// return is only white space (Markdown table cells, HTML): those become
// spaces, and every other control is written as an escape, so that the
// reader sees it instead of a terminal or a bidirectional algorithm
// acting on it.
func visible(s string) string { return escapeControls(s, true) }

func escapeControls(s string, spaces bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || termUnsafe(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case spaces && (r == '\t' || r == '\n' || r == '\r'):
			b.WriteByte(' ')
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && termUnsafe(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case termUnsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// termUnsafe reports whether a terminal could act on r rather than show it.
func termUnsafe(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// cacheLines says, for each model of r that had answers from the response
// cache, how many and where they were recorded; a model all of whose
// answers came from the cache is said first and plainly, since no call of
// the run reached its endpoint. The text is made of report strings: the
// callers escape it for their format.
// shardsLine says, for a merged report (evalgate merge), how many shards
// it was merged from and where their files are listed; "" for a report of
// one run.
func shardsLine(r *reports.Report) string {
	n := len(r.Shards)
	if n == 0 {
		return ""
	}
	complete := 0
	var items int64
	for _, s := range r.Shards {
		if s.Status == reports.Complete {
			complete++
		}
		items += s.Items
	}
	return fmt.Sprintf("merged from %d of %d shards (%d complete, %d items): shard-0-of-%d … shard-%d-of-%d; report.json lists each shard's files with their SHA-256, and the signed statement names them as subjects",
		n, r.Shards[0].Count, complete, items, r.Shards[0].Count, r.Shards[0].Count-1, r.Shards[0].Count)
}

func cacheLines(r *reports.Report) []string {
	var out []string
	for _, m := range []struct {
		role string
		run  *reports.ModelRun
	}{{"candidate", &r.Candidate}, {"production", r.Production}} {
		if m.run == nil || m.run.Cached == 0 {
			continue
		}
		line := fmt.Sprintf("%s: %d of %d answers came from the response cache", m.role, m.run.Cached, m.run.Calls)
		for _, o := range m.run.CacheOrigins {
			line += fmt.Sprintf("; %d recorded %s – %s from %s (model %s, evalgate %s)", o.Answers,
				o.Oldest.UTC().Format("2006-01-02 15:04"), o.Newest.UTC().Format("2006-01-02 15:04 MST"), o.Endpoint, o.Model, o.Evalgate)
		}
		if m.run.Cached == m.run.Calls {
			line = fmt.Sprintf("every %s answer came from the response cache: no call of this run reached its endpoint (%s)", m.role, line)
		}
		out = append(out, line)
	}
	return out
}

// windowText describes a data window as ", drawn from 2026-10-05 to
// 2026-10-12" (until exclusive); "" without one.
func windowText(w *reports.DataWindow) string {
	if w == nil {
		return ""
	}
	day := func(t *time.Time, open string) string {
		if t == nil {
			return open
		}
		if t.Equal(t.Truncate(24 * time.Hour)) {
			return t.UTC().Format("2006-01-02")
		}
		return t.UTC().Format(time.RFC3339)
	}
	return ", drawn from " + day(w.Since, "the start") + " to " + day(w.Until, "the end") + " (exclusive)"
}
