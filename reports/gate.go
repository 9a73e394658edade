package reports

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
)

// Rule outcomes.
const (
	Pass         = "pass"
	Fail         = "fail"
	NotEvaluated = "not_evaluated"
)

// Gate is the outcome of every gate rule.
type Gate struct {
	// Rules are in config order.
	Rules []RuleResult `json:"rules"`
	// Passed counts rules that passed, Failed those that failed or were not
	// evaluated and are not optional.
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// RuleResult is one gate rule and what happened to it.
type RuleResult struct {
	Metric      string   `json:"metric"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Optional    bool     `json:"optional"`
	Description string   `json:"description,omitempty"`
	// Observed is the metric's value; NaN (null) when not evaluated.
	Observed float64 `json:"-"`
	// Low and High bound Observed's interval where it has one; NaN (null)
	// otherwise.
	Low  float64 `json:"-"`
	High float64 `json:"-"`
	// Outcome is pass, fail or not_evaluated.
	Outcome string `json:"outcome"`
	// Reason is a one-line human explanation of the outcome.
	Reason string `json:"reason"`
}

type ruleResultJSON struct {
	Metric      string   `json:"metric"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Optional    bool     `json:"optional"`
	Description string   `json:"description,omitempty"`
	Observed    *float64 `json:"observed"`
	Low         *float64 `json:"ci_low"`
	High        *float64 `json:"ci_high"`
	Outcome     string   `json:"outcome"`
	Reason      string   `json:"reason"`
}

// MarshalJSON writes undefined values as null.
func (r RuleResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(ruleResultJSON{r.Metric, r.Min, r.Max, r.Optional, r.Description, metrics.Finite(r.Observed), metrics.Finite(r.Low), metrics.Finite(r.High), r.Outcome, r.Reason})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *RuleResult) UnmarshalJSON(b []byte) error {
	var w ruleResultJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = RuleResult{w.Metric, w.Min, w.Max, w.Optional, w.Description, metrics.OrNaN(w.Observed), metrics.OrNaN(w.Low), metrics.OrNaN(w.High), w.Outcome, w.Reason}
	return nil
}

// Value is a metric's value and, where it has one, its interval. An
// undefined value is NaN.
type Value struct {
	V, Low, High float64
}

func point(v float64) Value { return Value{v, math.NaN(), math.NaN()} }

func prop(p metrics.Proportion) Value { return Value{p.Rate, p.Low, p.High} }

// metricDoc describes one metric path for --list-metrics. Paths with an
// interval also answer with the suffixes .ci_low and .ci_high.
type metricDoc struct {
	path, doc string
	interval  bool
}

// MetricPaths lists every metric path a gate rule may use under cfg, with a
// one-line description each. Paths with <task> accept any task name, and
// <k> any number of samples up to run.repeats.
func MetricPaths(cfg *configs.Config) []string {
	var out []string
	for _, d := range metricDocs(cfg) {
		out = append(out, fmt.Sprintf("%-52s %s", d.path, d.doc))
		if d.interval {
			out = append(out, fmt.Sprintf("%-52s %s", d.path+".ci_low", "lower bound of its interval"), fmt.Sprintf("%-52s %s", d.path+".ci_high", "upper bound of its interval"))
		}
	}
	return append(out, DriftMetricPaths()...)
}

// fairnessColumns names the fairness columns a config produces: each group
// column, then each intersection joined with ×.
func fairnessColumns(cfg *configs.Config) []string {
	cols := slices.Clone(cfg.Fairness.Groups)
	for _, combo := range cfg.Fairness.Intersections {
		cols = append(cols, strings.Join(combo, metrics.IntersectionSep))
	}
	return cols
}

func metricDocs(cfg *configs.Config) []metricDoc {
	docs := []metricDoc{{"accuracy", "share of candidate results correct under scoring.method", true}}
	for _, m := range configs.Methods() {
		docs = append(docs, metricDoc{"accuracy." + m, "share correct under method " + m, true})
	}
	docs = append(docs,
		metricDoc{"accuracy.f1.mean", "mean token F1, 0 to 1", false},
		metricDoc{"accuracy.task.<task>", "accuracy on one task slice", true},
		metricDoc{"errors.rate", "share of candidate calls that failed", true},
		metricDoc{"errors.count", "number of candidate calls that failed", false},
		metricDoc{"tokens.total", "candidate prompt + completion tokens", false},
		metricDoc{"fairness.accuracy.gap", "largest accuracy gap (max − min) between groups, over all group columns", true},
		metricDoc{"fairness.accuracy.ratio", "smallest accuracy ratio (min / max) between groups, over all group columns", true},
	)
	positive := cfg.Scoring.PositiveLabel != ""
	if positive {
		docs = append(docs,
			metricDoc{"fairness.demographic_parity_difference", "largest selection-rate gap, over all group columns", true},
			metricDoc{"fairness.disparate_impact", "smallest selection-rate ratio, over all group columns (four-fifths rule: ≥ 0.8)", true},
			metricDoc{"fairness.equalized_odds_difference", "largest of the TPR and FPR gaps, over all group columns", true},
		)
	}
	for _, c := range fairnessColumns(cfg) {
		docs = append(docs,
			metricDoc{"fairness." + c + ".accuracy.gap", "accuracy gap between " + c + " groups", true},
			metricDoc{"fairness." + c + ".accuracy.ratio", "accuracy ratio between " + c + " groups", true},
		)
		if positive {
			docs = append(docs,
				metricDoc{"fairness." + c + ".demographic_parity_difference", "selection-rate gap between " + c + " groups", true},
				metricDoc{"fairness." + c + ".disparate_impact", "selection-rate ratio between " + c + " groups", true},
				metricDoc{"fairness." + c + ".equalized_odds_difference", "larger of the TPR and FPR gaps between " + c + " groups", true},
			)
		}
	}
	docs = append(docs,
		metricDoc{"production.accuracy", "production model's accuracy (needs production)", true},
		metricDoc{"regression.accuracy.delta", "candidate − production accuracy on paired items, paired bootstrap interval (needs production)", true},
		metricDoc{"regression.mcnemar_p", "two-sided exact McNemar p-value on the discordant pairs (needs production)", false},
		metricDoc{"regression.right_to_wrong", "items production got right and the candidate wrong (needs production)", false},
		metricDoc{"regression.wrong_to_right", "items production got wrong and the candidate right (needs production)", false},
		metricDoc{"regression.group.min_delta", "the most negative accuracy delta of any group of min_group_size or more (needs production)", true},
	)
	if cfg.Scoring.Method == configs.MethodLabel {
		docs = append(docs,
			metricDoc{"labels.accuracy", "share of predicted labels equal to the true label", true},
			metricDoc{"labels.macro_f1", "unweighted mean of the per-class F1", false},
			metricDoc{"labels.f1.<class>", "one class's F1", false},
		)
	}
	if cfg.Groundedness.Method != configs.GroundOff {
		docs = append(docs,
			metricDoc{"groundedness", "share of answers (with context) whose every claim the context supports; abstentions count as grounded", true},
			metricDoc{"groundedness.hallucinated", "number of answers with an unsupported claim", false},
			metricDoc{"groundedness.task.<task>", "groundedness on one task slice", true},
		)
		if cfg.Groundedness.Method == configs.GroundJudge {
			docs = append(docs, metricDoc{"groundedness.judge_errors", "answers the judge could not verify (failed call or unparseable reply)", false})
		}
	}
	docs = append(docs,
		metricDoc{"boundaries.violations", "boundary rules broken, summed over outputs", false},
		metricDoc{"boundaries.violating_items", "outputs that broke at least one boundary rule", false},
		metricDoc{"boundaries.rule.<rule>", "violations of one rule (for example boundaries.rule.max_chars)", false},
		metricDoc{"review.routed", "answers routed to human review", false},
	)
	if cfg.PII.DetectPII() {
		docs = append(docs,
			metricDoc{"pii.total", "personal data values found in prompts, contexts and outputs", false},
			metricDoc{"pii.output", "personal data values found in model outputs", false},
		)
	}
	if cfg.Run.Repeats > 1 {
		docs = append(docs,
			metricDoc{"repeats.mean_accuracy", "accuracy averaged over samples (items as the unit)", true},
			metricDoc{"repeats.majority_accuracy", "accuracy of each item's majority answer", true},
			metricDoc{"repeats.consistency", "mean share of samples agreeing with their item's majority answer", false},
			metricDoc{"repeats.pass_at_<k>", "unbiased pass@k (Chen et al. 2021), k = 1 to run.repeats", false},
		)
	}
	return docs
}

// CheckRules returns an error naming every gate rule whose metric path is
// not one MetricPaths lists, so that a typo fails at load time, not after
// the run.
func CheckRules(cfg *configs.Config) error {
	known := map[string]bool{}
	var patterns []string
	for _, d := range metricDocs(cfg) {
		paths := []string{d.path}
		if d.interval {
			paths = append(paths, d.path+".ci_low", d.path+".ci_high")
		}
		for _, p := range paths {
			if strings.Contains(p, "<") {
				patterns = append(patterns, p)
			} else {
				known[p] = true
			}
		}
	}
	if err := CheckDriftRules(cfg); err != nil {
		return err
	}
	var bad []string
	for i, r := range cfg.Gate {
		if IsDriftMetric(r.Metric) || known[r.Metric] || slices.ContainsFunc(patterns, func(p string) bool { return matchPattern(p, r.Metric) }) {
			continue
		}
		hint := ""
		if rest, ok := strings.CutPrefix(r.Metric, "fairness."); ok {
			col, _, _ := strings.Cut(rest, ".")
			if !slices.Contains(fairnessColumns(cfg), col) && !known["fairness."+col+".accuracy.gap"] && col != "accuracy" {
				hint = fmt.Sprintf(" (%q is not in fairness.groups)", col)
			}
		}
		bad = append(bad, fmt.Sprintf("gate rule %d: unknown metric %q%s", i+1, r.Metric, hint))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %s; `evalgate gate --list-metrics -c %s` lists them", cfg.Path, strings.Join(bad, "; "), cfg.Path)
	}
	return nil
}

// matchPattern reports whether path matches a documented pattern, where one
// <placeholder> stands for any non-empty text.
func matchPattern(pattern, path string) bool {
	open := strings.Index(pattern, "<")
	end := strings.Index(pattern, ">")
	if open < 0 || end < open {
		return pattern == path
	}
	prefix, suffix := pattern[:open], pattern[end+1:]
	return len(path) > len(prefix)+len(suffix) && strings.HasPrefix(path, prefix) && strings.HasSuffix(path, suffix)
}

// Values returns every metric of r by path. Metrics that could not be
// computed are absent or NaN. A value with an interval also appears under
// path.ci_low and path.ci_high.
func Values(r *Report) map[string]Value {
	v := map[string]Value{}
	acc := r.Metrics.Accuracy
	if acc.Overall.N > 0 {
		v["accuracy"] = prop(acc.Overall)
		for m, p := range acc.ByMethod {
			v["accuracy."+m] = prop(p)
		}
		v["accuracy.f1.mean"] = point(acc.MeanF1)
		for _, s := range acc.ByTask {
			v["accuracy.task."+s.Name] = prop(s.Accuracy)
		}
	}
	c := r.Candidate
	if c.Calls > 0 {
		v["errors.rate"] = prop(c.ErrorRate)
	}
	v["errors.count"] = point(float64(c.Errors))
	v["tokens.total"] = point(float64(c.PromptTokens + c.CompletionTokens))

	// Across columns, a gap takes the largest and a ratio the smallest,
	// with that column's interval.
	worst := map[string]Value{}
	keep := func(name string, e metrics.Estimate, larger bool) {
		if math.IsNaN(e.Value) {
			return
		}
		cur, ok := worst[name]
		if !ok || (larger && e.Value > cur.V) || (!larger && e.Value < cur.V) {
			worst[name] = est(e)
		}
	}
	for _, col := range r.Metrics.Fairness {
		for _, d := range col.Disparities {
			if d.Metric == "accuracy" {
				v["fairness."+col.Column+".accuracy.gap"] = est(d.Gap)
				v["fairness."+col.Column+".accuracy.ratio"] = est(d.Ratio)
				keep("fairness.accuracy.gap", d.Gap, true)
				keep("fairness.accuracy.ratio", d.Ratio, false)
			}
		}
		if col.PositiveLabel != "" {
			v["fairness."+col.Column+".demographic_parity_difference"] = est(col.DemographicParityDifference)
			v["fairness."+col.Column+".disparate_impact"] = est(col.DisparateImpact)
			v["fairness."+col.Column+".equalized_odds_difference"] = est(col.EqualizedOddsDifference)
			keep("fairness.demographic_parity_difference", col.DemographicParityDifference, true)
			keep("fairness.disparate_impact", col.DisparateImpact, false)
			keep("fairness.equalized_odds_difference", col.EqualizedOddsDifference, true)
		}
	}
	maps.Copy(v, worst)

	if p := r.Production; p != nil && p.Accuracy.Overall.N > 0 {
		v["production.accuracy"] = prop(p.Accuracy.Overall)
	}
	if reg := r.Metrics.Regression; reg != nil && reg.Pairs > 0 {
		v["regression.accuracy.delta"] = Value{reg.Delta, reg.DeltaLow, reg.DeltaHigh}
		v["regression.mcnemar_p"] = point(reg.McNemarP)
		v["regression.right_to_wrong"] = point(float64(len(reg.RightToWrong)))
		v["regression.wrong_to_right"] = point(float64(len(reg.WrongToRight)))
		for _, g := range reg.ByGroup {
			if g.Small || math.IsNaN(g.Delta.Value) {
				continue
			}
			if cur, ok := v["regression.group.min_delta"]; !ok || g.Delta.Value < cur.V {
				v["regression.group.min_delta"] = est(g.Delta)
			}
		}
	}
	if l := r.Metrics.Labels; l != nil {
		v["labels.accuracy"] = prop(l.Accuracy)
		v["labels.macro_f1"] = point(l.MacroF1)
		for _, cm := range l.PerClass {
			v["labels.f1."+cm.Class] = point(cm.F1)
		}
	}
	if rp := r.Metrics.Repeats; rp != nil {
		v["repeats.mean_accuracy"] = prop(rp.MeanAccuracy)
		v["repeats.majority_accuracy"] = prop(rp.MajorityAccuracy)
		v["repeats.consistency"] = point(rp.MeanConsistency)
		for _, pk := range rp.PassAtK {
			v[fmt.Sprintf("repeats.pass_at_%d", pk.K)] = point(pk.Value)
		}
	}
	integrityValues(r, v)
	for path, val := range maps.Clone(v) {
		if !math.IsNaN(val.Low) {
			v[path+".ci_low"] = point(val.Low)
			v[path+".ci_high"] = point(val.High)
		}
	}
	return v
}

func est(e metrics.Estimate) Value { return Value{e.Value, e.Low, e.High} }

// integrityValues adds the groundedness, boundary, review and PII metrics.
func integrityValues(r *Report, v map[string]Value) {
	if g := r.Metrics.Groundedness; g != nil {
		// The counts exist even when no answer could be checked: that is
		// when judge_errors matters most.
		v["groundedness.hallucinated"] = point(float64(len(g.Hallucinated)))
		v["groundedness.judge_errors"] = point(float64(g.Errors))
		if g.Rate.N > 0 {
			v["groundedness"] = prop(g.Rate)
			for _, s := range g.ByTask {
				v["groundedness.task."+s.Name] = prop(s.Rate)
			}
		}
	}
	if b := r.Metrics.Boundaries; b != nil {
		v["boundaries.violations"] = point(float64(b.Violations))
		v["boundaries.violating_items"] = point(float64(b.ViolatingItems))
		for _, rc := range b.Rules {
			v["boundaries.rule."+rc.Rule] = point(float64(rc.Violations))
		}
	}
	if rv := r.Review; rv != nil {
		v["review.routed"] = point(float64(rv.Routed))
	}
	if p := r.Metrics.PII; p != nil {
		v["pii.total"] = point(float64(p.Total))
		for _, l := range p.Locations {
			if l.Location == integrity.PIIOutput.String() {
				v["pii.output"] = point(float64(l.Total))
			}
		}
	}
}

// ApplyGate checks every rule against the report's metrics, fills r.Gate,
// and sets r.Verdict: ALLOW when the run is complete and no rule failed or
// went unevaluated without being optional, BLOCK otherwise.
func ApplyGate(r *Report, rules []configs.Rule) {
	values := Values(r)
	g := Gate{Rules: make([]RuleResult, 0, len(rules))}
	for _, rule := range rules {
		if IsDriftMetric(rule.Metric) {
			continue // evalgate drift applies these
		}
		rr := RuleResult{Metric: rule.Metric, Min: rule.Min, Max: rule.Max, Optional: rule.Optional, Description: rule.Description,
			Observed: math.NaN(), Low: math.NaN(), High: math.NaN()}
		val, ok := values[rule.Metric]
		switch {
		case !ok || math.IsNaN(val.V):
			rr.Outcome = NotEvaluated
			rr.Reason = "metric could not be computed" + notEvaluatedHint(rule.Metric, r)
			if rule.Optional {
				rr.Reason += "; optional, so it does not block"
			}
		default:
			rr.Observed, rr.Low, rr.High = val.V, val.Low, val.High
			rr.Outcome, rr.Reason = judge(rule, val.V)
		}
		if rr.Outcome == Pass || (rr.Outcome == NotEvaluated && rule.Optional) {
			g.Passed++
		} else {
			g.Failed++
		}
		g.Rules = append(g.Rules, rr)
	}
	r.Gate = g
	r.Verdict = Allow
	if g.Failed > 0 || r.Status != Complete {
		r.Verdict = Block
	}
}

func notEvaluatedHint(metric string, r *Report) string {
	switch {
	case strings.HasPrefix(metric, "regression.") || strings.HasPrefix(metric, "production."):
		if r.Production == nil {
			return " (no production model in the config)"
		}
	case strings.HasPrefix(metric, "fairness."):
		return " (fewer than two groups of at least min_group_size)"
	case strings.HasPrefix(metric, "accuracy.task."):
		return " (no scored results in that task)"
	}
	return ""
}

func judge(rule configs.Rule, v float64) (outcome, reason string) {
	if rule.Min != nil && v < *rule.Min {
		return Fail, fmt.Sprintf("%s = %s is below the minimum %s", rule.Metric, fmtNum(v), fmtNum(*rule.Min))
	}
	if rule.Max != nil && v > *rule.Max {
		return Fail, fmt.Sprintf("%s = %s is above the maximum %s", rule.Metric, fmtNum(v), fmtNum(*rule.Max))
	}
	var bounds []string
	if rule.Min != nil {
		bounds = append(bounds, "≥ "+fmtNum(*rule.Min))
	}
	if rule.Max != nil {
		bounds = append(bounds, "≤ "+fmtNum(*rule.Max))
	}
	return Pass, fmt.Sprintf("%s = %s is %s", rule.Metric, fmtNum(v), strings.Join(bounds, " and "))
}

// fmtNum formats a metric value compactly: integers without decimals,
// others with up to four significant decimals.
func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}
