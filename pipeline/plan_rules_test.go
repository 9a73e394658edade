package pipeline

import (
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

func planTestConfig(rules ...configs.Rule) *configs.Config {
	seed := uint64(1)
	cfg := &configs.Config{Gate: rules, Production: &configs.Model{}}
	cfg.Scoring.Confidence, cfg.Scoring.Resamples, cfg.Scoring.Seed = 0.95, 200, &seed
	cfg.Fairness.MinGroupSize = 30
	return cfg
}

func f(v float64) *float64 { return &v }

// TestAddPowerWarnings checks the run-time warnings: they use what the
// run observed, go with the metric they are about, and appear only above
// WarnAbove.
func TestAddPowerWarnings(t *testing.T) {
	ni := configs.Rule{Metric: "regression.accuracy.delta.ci_low", Min: f(-0.02)}
	gap := configs.Rule{Metric: "fairness.region.accuracy.gap", Max: f(0.1)}
	floor := configs.Rule{Metric: "accuracy.ci_low", Min: f(0.78)}
	cases := []struct {
		name     string
		pairs    int
		groups   []int
		wantReg  string
		wantFair string
		wantAcc  string
	}{
		{"small", 400, []int{60, 60, 60, 60, 60, 60}, "gate rule 1 (regression.accuracy.delta.ci_low >= -0.02): at n = 400 and 24% discordance (observed), identical models fail this rule 87.4% of the time",
			"gate rule 2 (fairness.region.accuracy.gap <= 0.1): at group sizes = 60, 60, 60, 60, 60, 60 and every group's accuracy 0.8 (observed), 1000 simulations, a truly fair model fails this rule",
			"gate rule 3 (accuracy.ci_low >= 0.78): at n = 400 and true accuracy 0.8 (observed), a model of that accuracy fails this rule"},
		{"large", 20000, []int{2000, 2000}, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := &reports.Report{}
			rep.Metrics.Accuracy.Overall = metrics.NewProportion(c.pairs*8/10, c.pairs, 0.95)
			rep.Metrics.Regression = &metrics.Regression{Pairs: c.pairs, Discordant: c.pairs * 24 / 100}
			var groups []metrics.FairnessGroup
			for i, n := range c.groups {
				groups = append(groups, metrics.FairnessGroup{Value: string(rune('a' + i)), N: n,
					Accuracy: metrics.GroupRate{Proportion: metrics.NewProportion(n*8/10, n, 0.95)}})
			}
			rep.Metrics.Fairness = []metrics.FairnessColumn{{Column: "region", Columns: []string{"region"}, Groups: groups}}
			addPowerWarnings(planTestConfig(ni, gap, floor), rep)
			check := func(where string, ws metrics.Warnings, want string) {
				switch {
				case want == "" && len(ws) > 0:
					t.Errorf("%s: unexpected warning %v", where, ws)
				case want != "" && (len(ws) != 1 || !strings.HasPrefix(ws[0].Error(), want)):
					t.Errorf("%s: got %v, want one starting %q", where, ws, want)
				}
			}
			check("regression", rep.Metrics.Regression.Warnings, c.wantReg)
			check("fairness", rep.Metrics.Fairness[0].Warnings, c.wantFair)
			check("accuracy", rep.Metrics.Accuracy.Warnings, c.wantAcc)
		})
	}
}

func TestPlanRulesNotPlanned(t *testing.T) {
	cfg := planTestConfig(
		configs.Rule{Metric: "errors.rate", Max: f(0.01)},
		configs.Rule{Metric: "fairness.region×tier.accuracy.gap", Max: f(0.1)},
		configs.Rule{Metric: "regression.mcnemar_p", Max: f(0.5)},
	)
	for _, p := range PlanRules(cfg, Sizes{Results: 100, Groups: map[string][]int{"region": {50, 50}}}, Assumptions{}) {
		if p.Planned || p.Why == "" {
			t.Errorf("rule %s: planned %v, why %q; want not planned, with a reason", p.Rule.Metric, p.Planned, p.Why)
		}
	}
	cfg.Production = nil
	cfg.Gate = []configs.Rule{{Metric: "regression.accuracy.delta", Min: f(0)}}
	if p := PlanRules(cfg, Sizes{Results: 100}, Assumptions{})[0]; p.Planned || !strings.Contains(p.Why, "production") {
		t.Errorf("regression rule without production: planned %v, why %q", p.Planned, p.Why)
	}
}

// TestPlanFairnessTooSmall checks that groups below min_group_size make a
// rule not evaluated, which blocks unless the rule is optional, as the
// gate does.
func TestPlanFairnessTooSmall(t *testing.T) {
	sizes := Sizes{Results: 40, Groups: map[string][]int{"region": {20, 20}}}
	for _, optional := range []bool{false, true} {
		cfg := planTestConfig(configs.Rule{Metric: "fairness.region.accuracy.gap", Max: f(0.5), Optional: optional})
		p := PlanRules(cfg, sizes, Assumptions{Sims: 20})[0]
		want := 1.0
		if optional {
			want = 0
		}
		if !p.Planned || p.Blocked != want {
			t.Errorf("optional %v: planned %v, blocked %g, want %g", optional, p.Planned, p.Blocked, want)
		}
	}
}

// TestPlanWarnsOnlyWhenMet checks that an accuracy below the rule's
// minimum is no warning: blocking it is the rule working, not a set too
// small.
func TestPlanWarnsOnlyWhenMet(t *testing.T) {
	cfg := planTestConfig(configs.Rule{Metric: "accuracy", Min: f(0.8)}, configs.Rule{Metric: "accuracy.ci_low", Min: f(0.75)})
	for _, c := range []struct {
		acc  float64
		want []bool
	}{{0.69, []bool{false, false}}, {0.77, []bool{false, true}}, {0.802, []bool{true, true}}} {
		for i, p := range PlanRules(cfg, Sizes{Results: 400}, Assumptions{Accuracy: c.acc}) {
			if _, got := p.Warning(); got != c.want[i] {
				t.Errorf("accuracy %g, rule %s (blocks %.3f): warning %v, want %v", c.acc, RuleText(p.Rule), p.Blocked, got, c.want[i])
			}
		}
	}
}
