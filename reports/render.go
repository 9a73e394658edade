package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Formats that Render writes.
const (
	FormatMarkdown = "md"
	FormatHTML     = "html"
	FormatJUnit    = "junit"
)

// Formats lists the formats Render accepts.
func Formats() []string { return []string{FormatMarkdown, FormatHTML, FormatJUnit} }

// Render writes r in format (FormatMarkdown, FormatHTML or FormatJUnit). An
// unknown format is an error, never a fallback.
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	case FormatHTML:
		return WriteHTML(w, r)
	case FormatJUnit:
		return WriteJUnit(w, r)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// SOC 2 trust services criteria that sections of a report give evidence for.
const (
	SOC2ProcessingIntegrity = "PI1"
	SOC2ChangeManagement    = "CC8.1"
	SOC2Monitoring          = "CC7"
	SOC2Privacy             = "C1/P"
)

// Criterion returns the SOC 2 criterion a gate metric path gives evidence
// for: CC8.1 for the regression against production, CC7 for drift, C1/P
// for privacy (PII), and PI1 processing integrity for everything else
// (accuracy, fairness, groundedness, boundaries, errors).
func Criterion(metric string) string {
	head, _, _ := strings.Cut(metric, ".")
	switch head {
	case "regression", "production":
		return SOC2ChangeManagement
	case "drift":
		return SOC2Monitoring
	case "pii", "privacy":
		return SOC2Privacy
	}
	return SOC2ProcessingIntegrity
}

// criterionName spells a criterion out for readers.
func criterionName(c string) string {
	switch c {
	case SOC2ProcessingIntegrity:
		return "SOC 2 PI1 processing integrity"
	case SOC2ChangeManagement:
		return "SOC 2 CC8.1 change management"
	case SOC2Monitoring:
		return "SOC 2 CC7 system monitoring"
	case SOC2Privacy:
		return "SOC 2 C1 confidentiality / P privacy"
	}
	return "SOC 2 " + c
}

// threshold spells a rule's bounds: "≥ 0.8", "≤ 0.2", "≥ 0 and ≤ 1".
func threshold(rr RuleResult) string {
	var b []string
	if rr.Min != nil {
		b = append(b, "≥ "+fmtNum(*rr.Min))
	}
	if rr.Max != nil {
		b = append(b, "≤ "+fmtNum(*rr.Max))
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
	return "[" + fmtNum(low) + ", " + fmtNum(high) + "]"
}

// outcomeMark is a rule outcome for people.
func outcomeMark(rr RuleResult) string {
	switch {
	case rr.Outcome == Pass:
		return "pass"
	case rr.Outcome == Fail:
		return "FAIL"
	case rr.Optional:
		return "not evaluated (optional)"
	}
	return "NOT EVALUATED"
}

// blocks reports whether a rule counts against the verdict.
func blocks(rr RuleResult) bool {
	return rr.Outcome == Fail || (rr.Outcome == NotEvaluated && !rr.Optional)
}

// pct formats a rate in [0, 1] as a percentage with one decimal.
func pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// headline is the one-sentence verdict.
func headline(r *Report) string {
	n := len(r.Gate.Rules)
	switch {
	case r.Status != Complete:
		return fmt.Sprintf("The run did not finish (%s), so the candidate may not be promoted.", r.StatusReason)
	case r.Verdict == Allow && n == 0:
		return "The config has no gate rules, so nothing blocks promotion."
	case r.Verdict == Allow:
		return fmt.Sprintf("The candidate passed all %d gate rules and may be promoted.", n)
	}
	return fmt.Sprintf("%d of %d gate rules did not pass, so the candidate may not be promoted.", r.Gate.Failed, n)
}

// modelLine names a model for people: "extractive-v2 (builtin:extractive-v2)",
// with the version when it differs from the model name.
func modelLine(m ModelRun) string {
	s := m.Model
	if m.Version != "" && m.Version != m.Model {
		s += " version " + m.Version
	}
	return s + " (" + m.Provider + ")"
}
