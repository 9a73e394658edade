package reports

import (
	"fmt"
	"strconv"

	"github.com/evalgate/evalgate/configs"
)

// GateDiff compares the gate rules in force (got) with a policy's (want),
// rule by rule in order, and returns one line for each difference: a rule
// the policy has and got lacks, a rule got adds, or a bound or optional
// flag that differs. Descriptions are not compared. No lines means the
// same gate. A pull request's config that loosens its own gate differs
// from the base branch's policy, which is how run --policy and verify
// --policy catch it.
func GateDiff(want, got []configs.Rule) []string {
	var out []string
	n := max(len(want), len(got))
	for i := range n {
		switch {
		case i >= len(got):
			out = append(out, fmt.Sprintf("rule %d: the policy has %s; the gate in force lacks it", i+1, ruleText(want[i])))
		case i >= len(want):
			out = append(out, fmt.Sprintf("rule %d: the gate in force adds %s, which the policy lacks", i+1, ruleText(got[i])))
		case !sameRule(want[i], got[i]):
			out = append(out, fmt.Sprintf("rule %d: the policy has %s; the gate in force has %s", i+1, ruleText(want[i]), ruleText(got[i])))
		}
	}
	return out
}

// RulesOf returns the rules of gate results, for GateDiff.
func RulesOf(g Gate) []configs.Rule {
	out := make([]configs.Rule, len(g.Rules))
	for i, r := range g.Rules {
		out[i] = configs.Rule{Metric: r.Metric, Min: r.Min, Max: r.Max, Optional: r.Optional, Description: r.Description}
	}
	return out
}

func sameRule(a, b configs.Rule) bool {
	return a.Metric == b.Metric && a.Optional == b.Optional && sameBound(a.Min, b.Min) && sameBound(a.Max, b.Max)
}

func sameBound(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func ruleText(r configs.Rule) string {
	s := r.Metric
	if r.Min != nil {
		s += " >= " + strconv.FormatFloat(*r.Min, 'g', -1, 64)
	}
	if r.Max != nil {
		s += " <= " + strconv.FormatFloat(*r.Max, 'g', -1, 64)
	}
	if r.Optional {
		s += " (optional)"
	}
	return s
}
