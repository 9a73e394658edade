package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/evalgate/evalgate/configs"
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

// metricDoc describes one metric path for --list-metrics.
type metricDoc struct {
	path, doc string
}

// MetricPaths lists every metric path a gate rule may use under cfg, with a
// one-line description each. Paths with <task> accept any task name.
func MetricPaths(cfg *configs.Config) []string {
	docs := metricDocs(cfg)
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = fmt.Sprintf("%-44s %s", d.path, d.doc)
	}
	return out
}

func metricDocs(cfg *configs.Config) []metricDoc {
	docs := []metricDoc{
		{"accuracy", "share of candidate results correct under scoring.method"},
		{"accuracy.ci_low", "lower bound of accuracy's Wilson interval"},
		{"accuracy.ci_high", "upper bound of accuracy's Wilson interval"},
	}
	for _, m := range configs.Methods() {
		docs = append(docs, metricDoc{"accuracy." + m, "share correct under method " + m})
	}
	docs = append(docs,
		metricDoc{"accuracy.f1.mean", "mean token F1, 0 to 1"},
		metricDoc{"accuracy.task.<task>", "accuracy on one task slice"},
		metricDoc{"errors.rate", "share of candidate calls that failed"},
		metricDoc{"errors.count", "number of candidate calls that failed"},
		metricDoc{"tokens.total", "candidate prompt + completion tokens"},
		metricDoc{"fairness.accuracy.gap", "largest accuracy gap between groups, over all group columns"},
		metricDoc{"fairness.accuracy.ratio", "smallest min/max accuracy ratio, over all group columns"},
	)
	for _, g := range cfg.Fairness.Groups {
		docs = append(docs,
			metricDoc{"fairness." + g + ".accuracy.gap", "accuracy gap between " + g + " groups"},
			metricDoc{"fairness." + g + ".accuracy.ratio", "min/max accuracy ratio between " + g + " groups"},
		)
	}
	docs = append(docs,
		metricDoc{"production.accuracy", "production model's accuracy (needs production)"},
		metricDoc{"regression.accuracy.delta", "candidate − production accuracy on paired items (needs production)"},
		metricDoc{"regression.right_to_wrong", "items production got right and the candidate wrong (needs production)"},
		metricDoc{"regression.wrong_to_right", "items production got wrong and the candidate right (needs production)"},
	)
	return docs
}

// CheckRules returns an error naming every gate rule whose metric path is
// not one MetricPaths lists, so that a typo fails at load time, not after
// the run.
func CheckRules(cfg *configs.Config) error {
	known := map[string]bool{}
	for _, d := range metricDocs(cfg) {
		known[d.path] = true
	}
	var bad []string
	for i, r := range cfg.Gate {
		if known[r.Metric] {
			continue
		}
		if task, ok := strings.CutPrefix(r.Metric, "accuracy.task."); ok && task != "" {
			continue
		}
		hint := ""
		if rest, ok := strings.CutPrefix(r.Metric, "fairness."); ok {
			col, _, _ := strings.Cut(rest, ".")
			if col != "accuracy" && !contains(cfg.Fairness.Groups, col) {
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Values returns every metric of r by path. Metrics that could not be
// computed are absent or NaN.
func Values(r *Report) map[string]Value {
	v := map[string]Value{}
	acc := r.Metrics.Accuracy
	if acc.Overall.N > 0 {
		v["accuracy"] = prop(acc.Overall)
		v["accuracy.ci_low"] = point(acc.Overall.Low)
		v["accuracy.ci_high"] = point(acc.Overall.High)
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
	gap, ratio := math.NaN(), math.NaN()
	for _, g := range r.Metrics.Fairness {
		v["fairness."+g.Column+".accuracy.gap"] = point(g.Gap)
		v["fairness."+g.Column+".accuracy.ratio"] = point(g.Ratio)
		if !math.IsNaN(g.Gap) && (math.IsNaN(gap) || g.Gap > gap) {
			gap = g.Gap
		}
		if !math.IsNaN(g.Ratio) && (math.IsNaN(ratio) || g.Ratio < ratio) {
			ratio = g.Ratio
		}
	}
	v["fairness.accuracy.gap"] = point(gap)
	v["fairness.accuracy.ratio"] = point(ratio)
	if p := r.Production; p != nil && p.Accuracy.Overall.N > 0 {
		v["production.accuracy"] = prop(p.Accuracy.Overall)
	}
	if reg := r.Metrics.Regression; reg != nil && reg.Pairs > 0 {
		v["regression.accuracy.delta"] = point(reg.Delta)
		v["regression.right_to_wrong"] = point(float64(len(reg.RightToWrong)))
		v["regression.wrong_to_right"] = point(float64(len(reg.WrongToRight)))
	}
	return v
}

// ApplyGate checks every rule against the report's metrics, fills r.Gate,
// and sets r.Verdict: ALLOW when the run is complete and no rule failed or
// went unevaluated without being optional, BLOCK otherwise.
func ApplyGate(r *Report, rules []configs.Rule) {
	values := Values(r)
	g := Gate{Rules: make([]RuleResult, 0, len(rules))}
	for _, rule := range rules {
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
