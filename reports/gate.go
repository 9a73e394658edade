package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
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

// What a failed rule's interval says about the failure.
const (
	// FindingEvidence: the metric's whole interval is beyond the
	// threshold (or a test of equality rejected): evidence that the true
	// value breaks the rule, not only the observed one.
	FindingEvidence = "evidence"
	// FindingTooLittleData: the observed value breaks the rule but its
	// interval reaches the passing side: the data are too few to show the
	// true value keeps to the rule, and too few to show it does not.
	FindingTooLittleData = "too_little_data"
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
	// Finding, for a failed rule on a metric with an interval or on a
	// test's p-value, is FindingEvidence or FindingTooLittleData; empty
	// otherwise. Both block.
	Finding string `json:"finding,omitempty"`
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
	Finding     string   `json:"finding,omitempty"`
}

// MarshalJSON writes undefined values as null.
func (r RuleResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(ruleResultJSON{r.Metric, r.Min, r.Max, r.Optional, r.Description, metrics.Finite(r.Observed), metrics.Finite(r.Low), metrics.Finite(r.High), r.Outcome, r.Reason, r.Finding})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *RuleResult) UnmarshalJSON(b []byte) error {
	var w ruleResultJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = RuleResult{w.Metric, w.Min, w.Max, w.Optional, w.Description, metrics.OrNaN(w.Observed), metrics.OrNaN(w.Low), metrics.OrNaN(w.High), w.Outcome, w.Reason, w.Finding}
	return nil
}

// Evaluate is the gate engine of every document: it checks each rule
// against values (a missing or NaN value is not evaluated; hint, when not
// nil, says why in a parenthesis such as " (no production model in the
// config)") and returns the outcomes in rule order.
func Evaluate(rules []configs.Rule, values map[string]Value, hint func(metric string) string) Gate {
	g := Gate{Rules: make([]RuleResult, 0, len(rules))}
	for _, rule := range rules {
		rr := RuleResult{Metric: rule.Metric, Min: rule.Min, Max: rule.Max, Optional: rule.Optional, Description: rule.Description,
			Observed: math.NaN(), Low: math.NaN(), High: math.NaN()}
		val, ok := values[rule.Metric]
		switch {
		case !ok || math.IsNaN(val.V):
			rr.Outcome = NotEvaluated
			rr.Reason = "metric could not be computed"
			if hint != nil {
				rr.Reason += hint(rule.Metric)
			}
			if rule.Optional {
				rr.Reason += "; optional, so it does not block"
			}
		default:
			rr.Observed, rr.Low, rr.High = val.V, val.Low, val.High
			rr.Outcome, rr.Reason = judge(rule, val.V)
			if rr.Outcome == Fail {
				rr.Finding, rr.Reason = finding(rule, val.V, values, rr.Reason)
			}
		}
		if rr.Outcome == Pass || (rr.Outcome == NotEvaluated && rule.Optional) {
			g.Passed++
		} else {
			g.Failed++
		}
		g.Rules = append(g.Rules, rr)
	}
	return g
}

// Verdict is ALLOW when no rule failed or went unevaluated without being
// optional, BLOCK otherwise.
func (g Gate) Verdict() string {
	if g.Failed > 0 {
		return Block
	}
	return Allow
}

// RulesFor returns the rules whose metrics doc gates (see DocumentOf), in
// order, and how many rules belong to other documents.
func RulesFor(doc Document, rules []configs.Rule) (mine []configs.Rule, others int) {
	for _, rule := range rules {
		if DocumentOf(rule.Metric) == doc {
			mine = append(mine, rule)
		} else {
			others++
		}
	}
	return mine, others
}

// ApplyGate checks the rules on the report's metrics (rules on other
// documents' metrics, such as drift.*, are left to them) against r, fills
// r.Gate, and sets r.Verdict: BLOCK when the run is incomplete or a rule
// failed or went unevaluated without being optional; NONE when no rule
// is on the report's metrics, since an empty gate is no evidence; ALLOW
// otherwise.
func ApplyGate(r *Report, rules []configs.Rule) {
	mine, _ := RulesFor(DocReport, rules)
	r.Gate = Evaluate(mine, Values(r), func(metric string) string { return notEvaluatedHint(metric, r) })
	r.Verdict = r.Gate.Verdict()
	if len(mine) == 0 {
		r.Verdict = None
	}
	if r.Status != Complete {
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
		return fairnessHint(metric, r)
	case strings.HasPrefix(metric, "accuracy.task."):
		return " (no scored results in that task)"
	}
	return ""
}

// finding says what a failed rule's interval shows (see FindingEvidence),
// and extends reason with it: a rule on path, path.ci_low or path.ci_high
// reads path's interval; a minimum on a p-value that failed is a test
// that rejected. It returns "" and reason unchanged when there is nothing
// to read.
func finding(rule configs.Rule, v float64, values map[string]Value, reason string) (string, string) {
	base := rule.Metric
	for _, suffix := range []string{".ci_low", ".ci_high"} {
		if b, ok := strings.CutSuffix(base, suffix); ok {
			if _, has := values[b]; has {
				base = b
			}
		}
	}
	m, _ := Lookup(base)
	above := rule.Max != nil && v > *rule.Max
	if m.Unit == UnitPValue && !above {
		return FindingEvidence, reason + ": the test rejects at that level, evidence of a difference"
	}
	bv, ok := values[base]
	if !ok || math.IsNaN(bv.Low) || math.IsNaN(bv.High) {
		return "", reason
	}
	noun := "the true value"
	if strings.HasPrefix(base, "fairness.") {
		switch m.Unit {
		case UnitDifference:
			noun = "the gap"
		case UnitRatio:
			noun = "the ratio"
		}
	}
	interval := fmt.Sprintf("[%s, %s]", FormatNumber(bv.Low), FormatNumber(bv.High))
	if above {
		if bv.Low > *rule.Max {
			return FindingEvidence, fmt.Sprintf("%s, and so is all of %s's interval %s: evidence that %s is above %s", reason, base, interval, noun, FormatNumber(*rule.Max))
		}
		return FindingTooLittleData, fmt.Sprintf("%s, but %s's interval %s reaches down to it: too little data to show %s is at most %s", reason, base, interval, noun, FormatNumber(*rule.Max))
	}
	if bv.High < *rule.Min {
		return FindingEvidence, fmt.Sprintf("%s, and so is all of %s's interval %s: evidence that %s is below %s", reason, base, interval, noun, FormatNumber(*rule.Min))
	}
	return FindingTooLittleData, fmt.Sprintf("%s, but %s's interval %s reaches up to it: too little data to show %s is at least %s", reason, base, interval, noun, FormatNumber(*rule.Min))
}

// fairnessHint says why a fairness metric could not be computed, from the
// reasons its columns' disparities give.
func fairnessHint(metric string, r *Report) string {
	// A per-column path names one column; a path over all columns
	// (fairness.accuracy.gap) reads every column.
	perColumn := slices.ContainsFunc(r.Metrics.Fairness, func(c metrics.FairnessColumn) bool {
		return strings.HasPrefix(metric, "fairness."+c.Column+".")
	})
	var whys []string
	for _, c := range r.Metrics.Fairness {
		rest, ok := strings.CutPrefix(metric, "fairness."+c.Column+".")
		if !perColumn {
			rest, ok = strings.TrimPrefix(metric, "fairness."), true
		}
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, ".")
		var wanted []string
		switch name {
		case "demographic_parity_difference", "disparate_impact":
			wanted = []string{"selection_rate"}
		case "equalized_odds_difference":
			wanted = []string{"tpr", "fpr"}
		default:
			wanted = []string{name}
		}
		for _, d := range c.Disparities {
			if slices.Contains(wanted, d.Metric) && d.Why != "" {
				whys = append(whys, d.Metric+" of "+c.Column+": "+d.Why)
			}
		}
		if len(c.Disparities) == 1 && name != "accuracy" {
			whys = append(whys, c.Column+" has no positive label to compute "+name+" with")
		}
	}
	if len(whys) == 0 {
		return " (no fairness column computed it)"
	}
	return " (" + strings.Join(whys, "; ") + ")"
}

func judge(rule configs.Rule, v float64) (outcome, reason string) {
	if rule.Min != nil && v < *rule.Min {
		return Fail, fmt.Sprintf("%s = %s is below the minimum %s", rule.Metric, FormatNumber(v), FormatNumber(*rule.Min))
	}
	if rule.Max != nil && v > *rule.Max {
		return Fail, fmt.Sprintf("%s = %s is above the maximum %s", rule.Metric, FormatNumber(v), FormatNumber(*rule.Max))
	}
	var bounds []string
	if rule.Min != nil {
		bounds = append(bounds, "≥ "+FormatNumber(*rule.Min))
	}
	if rule.Max != nil {
		bounds = append(bounds, "≤ "+FormatNumber(*rule.Max))
	}
	return Pass, fmt.Sprintf("%s = %s is %s", rule.Metric, FormatNumber(v), strings.Join(bounds, " and "))
}

// FormatNumber formats a metric value compactly, as gate reasons and
// every rendering write it: integers without decimals, others with up to
// four significant decimals, NaN as n/a.
func FormatNumber(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// CheckVerdict checks that r's verdict follows from its own gate, as
// ApplyGate would set it: the pass and fail counts are those of the rules'
// outcomes, and ALLOW needs a complete run with no failed rule. A signed
// report that contradicts itself ("ALLOW; 1 of 5 rules passed") is
// refused by VerifyReport.
func CheckVerdict(r *Report) error {
	passed, failed := 0, 0
	for _, rule := range r.Gate.Rules {
		switch {
		case rule.Outcome == Pass, rule.Outcome == NotEvaluated && rule.Optional:
			passed++
		case rule.Outcome == Fail, rule.Outcome == NotEvaluated:
			failed++
		default:
			return fmt.Errorf("gate rule %s has outcome %q, not %s, %s or %s", rule.Metric, rule.Outcome, Pass, Fail, NotEvaluated)
		}
		switch {
		case rule.Finding != "" && rule.Outcome != Fail:
			return fmt.Errorf("gate rule %s has finding %q but outcome %s", rule.Metric, rule.Finding, rule.Outcome)
		case rule.Finding != "" && rule.Finding != FindingEvidence && rule.Finding != FindingTooLittleData:
			return fmt.Errorf("gate rule %s has finding %q, not %s or %s", rule.Metric, rule.Finding, FindingEvidence, FindingTooLittleData)
		}
	}
	switch {
	case passed != r.Gate.Passed || failed != r.Gate.Failed:
		return fmt.Errorf("the gate counts %d passed and %d failed, but its rules say %d and %d", r.Gate.Passed, r.Gate.Failed, passed, failed)
	case r.Verdict == Allow && (failed > 0 || r.Status != Complete):
		return fmt.Errorf("the verdict ALLOW contradicts the report (%s; %d of %d gate rules passed)", r.Status, passed, len(r.Gate.Rules))
	case r.Verdict == None && (len(r.Gate.Rules) > 0 || r.Status != Complete):
		return fmt.Errorf("the verdict NONE contradicts the report (%s; %d gate rules)", r.Status, len(r.Gate.Rules))
	case r.Verdict != Allow && r.Verdict != Block && r.Verdict != None:
		return fmt.Errorf("verdict %q is none of %s, %s and %s", r.Verdict, Allow, Block, None)
	}
	return nil
}

// checkGateStrict decodes the verdict part of a signed report's payload —
// predicate.report's verdict, status and gate, and the shards of a merged
// report, whose digests are subjects — refusing any field this evalgate
// does not know there, so that a signer cannot add a field one reader
// honours and another ignores.
func checkGateStrict(payload []byte) error {
	var st struct {
		Predicate struct {
			Report struct {
				Gate   json.RawMessage   `json:"gate"`
				Shards []json.RawMessage `json:"shards"`
			} `json:"report"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return err
	}
	strict := func(raw []byte, v any) error {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	var g struct {
		Rules  []json.RawMessage `json:"rules"`
		Passed int               `json:"passed"`
		Failed int               `json:"failed"`
	}
	if err := strict(st.Predicate.Report.Gate, &g); err != nil {
		return fmt.Errorf("the gate: %w", err)
	}
	for i, raw := range g.Rules {
		var r ruleResultJSON
		if err := strict(raw, &r); err != nil {
			return fmt.Errorf("gate rule %d: %w", i+1, err)
		}
	}
	for i, raw := range st.Predicate.Report.Shards {
		var sh ShardRun
		if err := strict(raw, &sh); err != nil {
			return fmt.Errorf("shard %d: %w", i+1, err)
		}
		for j := range sh.Files {
			if sh.Files[j].Name == "" || sh.Files[j].SHA256 == "" {
				return fmt.Errorf("shard %d: file %d: a name and a sha256 are required", i+1, j+1)
			}
		}
	}
	return nil
}
