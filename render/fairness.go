package render

import (
	"fmt"
	"math"
	"strings"

	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// fairnessTables are one fairness column's numbers as plain-text cells,
// which every format renders with its own escaping: the rates of each
// group, and each metric's comparison across groups.
type fairnessTables struct {
	RatesHeader []string
	Rates       [][]string
	// Small marks the rows of Rates whose group is below min_group_size.
	Small              []bool
	DisparitiesHeader  []string
	Disparities        [][]string
	SmallRates, Levels string
}

// newFairnessTables lays out col: per group n, accuracy and, with a
// positive label, selection rate, TPR, FPR and FNR, each with its
// interval and counts (a rate kept out of its comparison is marked
// "small"); then per metric the gap and ratio with their intervals, the
// test of equality, and the groups at the ends, or why there is no gap.
func newFairnessTables(col metrics.FairnessColumn) fairnessTables {
	t := fairnessTables{RatesHeader: []string{"group", "n", "accuracy"}}
	if col.PositiveLabel != "" {
		t.RatesHeader = append(t.RatesHeader, "selection rate", "TPR", "FPR", "FNR")
	}
	smallRates := 0
	for _, g := range col.Groups {
		row := []string{g.Value, fmt.Sprint(g.N)}
		rates := []*metrics.GroupRate{&g.Accuracy}
		if col.PositiveLabel != "" {
			rates = append(rates, g.SelectionRate, g.TPR, g.FPR, g.FNR)
		}
		for _, r := range rates {
			if r == nil {
				row = append(row, "-")
				continue
			}
			cell := rateCell(r.Proportion)
			if r.Small {
				cell += " (small)"
				smallRates++
			}
			row = append(row, cell)
		}
		t.Rates = append(t.Rates, row)
		t.Small = append(t.Small, g.Small)
	}
	t.DisparitiesHeader = []string{"metric", "gap", "ratio", "equal across groups?", "groups", "lowest → highest"}
	for _, d := range col.Disparities {
		ends := endsText(d, " → ")
		if math.IsNaN(d.Gap.Value) {
			ends = d.Why
		}
		t.Disparities = append(t.Disparities, []string{metricLabel(d.Metric), estText(d.Gap), estText(d.Ratio), testText(d.Test), fmt.Sprint(d.Groups), ends})
	}
	if smallRates > 0 {
		t.SmallRates = "A rate marked small has fewer results in its denominator (the group's results for accuracy and selection rate, its actual positives for TPR and FNR, its actual negatives for FPR) than the configured minimum: it is shown, with an interval at the plain level, but kept out of its metric's gap, ratio and test."
	}
	t.Levels = fmt.Sprintf("Each compared group's interval is at the Šidák level %s^(1/k) for k groups compared, so that all of them hold together %.0f%% of the time; a gap's interval runs from the largest lower bound minus the smallest upper bound (at least 0) to the largest upper bound minus the smallest lower bound, and so covers the true gap at least %.0f%% of the time, 0 included. \"Equal across groups?\" is the p-value of a test that the groups share one rate (Pearson's chi-square, or the exact test's mid-p where an expected count is below 5): a small p-value is evidence of a difference.",
		reports.FormatNumber(col.Level), col.Level*100, col.Level*100)
	return t
}

// endsText names the groups at the ends of a gap, lowest first, joined by
// sep; "all equal" when the gap is 0.
func endsText(d metrics.Disparity, sep string) string {
	if d.Gap.Value == 0 {
		return "all equal"
	}
	return d.Lowest + sep + d.Highest
}

// metricLabel names a fairness metric for readers.
func metricLabel(m string) string {
	switch m {
	case "selection_rate":
		return "selection rate"
	case "tpr", "fpr", "fnr":
		return strings.ToUpper(m)
	}
	return m
}

// rateCell formats a group's rate as "0.750 [0.240, 0.966] 3/4".
func rateCell(p metrics.Proportion) string {
	if p.N == 0 || math.IsNaN(p.Rate) {
		return fmt.Sprintf("n/a (%d/%d)", p.K, p.N)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f] %d/%d", p.Rate, p.Low, p.High, p.K, p.N)
}

// testText formats a test of equality as "p = 0.0123 (chi-square)".
func testText(h metrics.Homogeneity) string {
	if h.Method == "" || math.IsNaN(h.P) {
		return "n/a"
	}
	return "p = " + FormatP(h.P) + " (" + h.Method + ")"
}

// ruleWhere says, for a rule on a fairness metric, which column and which
// groups gave the value it was judged on: "column gender: lowest F →
// highest M". It is empty for other rules, and when the report has no
// such column. The text is untrusted (column and group names come from
// the eval set).
func ruleWhere(r *reports.Report, rr reports.RuleResult) string {
	rest, ok := strings.CutPrefix(rr.Metric, "fairness.")
	if !ok || len(r.Metrics.Fairness) == 0 {
		return ""
	}
	for _, suffix := range []string{".ci_low", ".ci_high"} {
		rest = strings.TrimSuffix(rest, suffix)
	}
	// A rule on one column names it; a rule over all columns was judged
	// on the worst one, the column whose value is the rule's.
	var cols []metrics.FairnessColumn
	name := rest
	for _, c := range r.Metrics.Fairness {
		if after, ok := strings.CutPrefix(rest, c.Column+"."); ok {
			cols, name = []metrics.FairnessColumn{c}, after
			break
		}
	}
	if cols == nil {
		cols = r.Metrics.Fairness
	}
	var metricNames []string
	switch {
	case strings.HasPrefix(name, "accuracy."):
		metricNames = []string{"accuracy"}
	case name == "demographic_parity_difference", name == "disparate_impact", strings.HasPrefix(name, "selection_rate."):
		metricNames = []string{"selection_rate"}
	case name == "equalized_odds_difference":
		metricNames = []string{"tpr", "fpr"}
	default:
		m, _, _ := strings.Cut(name, ".")
		metricNames = []string{m}
	}
	best, found := "", false
	bestGap := math.Inf(-1)
	for _, c := range cols {
		for _, d := range c.Disparities {
			if !slicesContains(metricNames, d.Metric) || math.IsNaN(d.Gap.Value) {
				continue
			}
			if len(cols) > 1 && !math.IsNaN(rr.Observed) && !near(rr.Observed, d.Gap.Value) && !near(rr.Observed, d.Ratio.Value) {
				continue
			}
			if d.Gap.Value > bestGap {
				bestGap, found = d.Gap.Value, true
				best = fmt.Sprintf("column %s: %s lowest %s → highest %s", c.Column, metricLabel(d.Metric), d.Lowest, d.Highest)
			}
		}
	}
	if !found {
		return ""
	}
	return best
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// near reports whether a and b agree to 1e-9.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9 }

// ruleReason is a rule's reason with, for a failing fairness rule, the
// column and groups behind it.
func ruleReason(r *reports.Report, rr reports.RuleResult) string {
	if rr.Outcome != reports.Fail {
		return rr.Reason
	}
	if w := ruleWhere(r, rr); w != "" {
		return rr.Reason + " (" + w + ")"
	}
	return rr.Reason
}
