package main

import (
	"cmp"
	"context"
	"fmt"
	"github.com/evalgate/evalgate/metrics"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/reports"
)

const planUsage = `plan -c CONFIG [assumptions]
       evalgate plan regression --n N --margin M [--discordance D] [--drop X]
       evalgate plan accuracy --n N --floor F [--accuracy P] [--drop X]
       evalgate plan fairness --groups K --group-size S --threshold T [--metric M] [--base-rate P] [--gap G]
common flags: --level L (0.95) --power P (0.8) --sims S (fairness, 1000)`

// planFlags are the assumptions every form of plan takes.
type planFlags struct {
	a     pipeline.Assumptions
	level float64
}

func cmdPlan(_ context.Context, e *env, args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	name := strings.TrimSpace("plan " + sub)
	fs := newFlags(e, name, planUsage)
	var pf planFlags
	fs.Float64Var(&pf.a.Discordance, "discordance", pipeline.DefaultDiscordance, "assumed share of items the candidate and production answer differently, in (0, 1]")
	fs.Float64Var(&pf.a.BaseRate, "base-rate", pipeline.DefaultBaseRate, "assumed accuracy of every group (fairness), in (0, 1)")
	fs.Float64Var(&pf.a.Accuracy, "accuracy", 0, "assumed true accuracy (accuracy rules); default the rule's minimum + 0.02")
	fs.Float64Var(&pf.a.Drop, "drop", 0, "the accuracy drop a rule should catch (default 0.03)")
	fs.Float64Var(&pf.a.Power, "power", pipeline.DefaultPower, "target chance to pass a model that meets the assumption and to block one that misses it")
	fs.IntVar(&pf.a.Sims, "sims", pipeline.DefaultSims, "simulations per fairness figure")
	fs.Float64Var(&pf.level, "level", 0.95, "confidence level of the intervals (scoring.confidence); -c takes the config's")
	cfgPath := fs.String("c", "", "plan every gate rule of the config `file` on its eval set")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	n := fs.Int("n", 0, "items (regression: paired items; accuracy: scored results)")
	margin := fs.Float64("margin", 0, "non-inferiority margin: the rule regression.accuracy.delta.ci_low >= -margin")
	floor := fs.Float64("floor", 0, "the accuracy rule's `minimum`, in (0, 1) (required)")
	groups := fs.Int("groups", 0, "number of groups in the column")
	size := fs.Int("group-size", 0, "results per group")
	threshold := fs.Float64("threshold", 0, "the gap rule's maximum: fairness.<column>.<metric>.gap <= `threshold`, in (0, 1) (required)")
	metric := fs.String("metric", "accuracy", "the rate compared: accuracy, selection_rate, tpr, fpr or fnr (--group-size and --base-rate are then that rate's denominator and value per group)")
	gap := fs.Float64("gap", 0, "the true gap between groups a fairness rule should catch (default threshold + 0.05)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("%s: unexpected argument %q (usage: evalgate %s)", name, pos[0], planUsage)
	}
	if err := pf.check(name); err != nil {
		return err
	}
	pf.a.SearchN = true
	if sub == "fairness" {
		pf.a.Drop = *gap
	}
	switch sub {
	case "":
		if *cfgPath == "" {
			return usageErr("plan: give -c CONFIG, or a question: plan regression|accuracy|fairness (usage: evalgate %s)", planUsage)
		}
		cfg, err := pipeline.LoadConfig(*cfgPath)
		if err != nil {
			return err
		}
		plans, info, err := pipeline.PlanConfig(cfg, pf.a, e.getenv)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s on %s (%d rows × %d repeats), level %s\n", safe(cfg.Path), safe(cfg.DatasetPath()), info.Rows, cfg.Run.Repeats, reports.FormatNumber(cfg.Scoring.Confidence))
		pf.level = cfg.Scoring.Confidence
		pf.writeAssumptions(e.stdout, "regression", "accuracy", "fairness")
		writePlans(e.stdout, plans)
		return nil
	case "regression":
		if *n < 1 || !(*margin >= 0 && *margin < 1) {
			return usageErr("plan regression: give --n (paired items, at least 1) and --margin (for example 0.02, in [0, 1)); got --n %d --margin %g", *n, *margin)
		}
		cfg := planConfig(pf.level, true)
		cfg.Gate = []configs.Rule{
			{Metric: "regression.accuracy.delta.ci_low", Min: ptr(-*margin)},
			{Metric: "regression.accuracy.delta.ci_high", Min: ptr(0)},
			{Metric: "regression.mcnemar_p", Min: ptr(1 - pf.level)},
		}
		pf.writeAssumptions(e.stdout, "regression")
		writePlans(e.stdout, pipeline.PlanRules(cfg, pipeline.Sizes{Results: *n}, pf.a))
		return nil
	case "accuracy":
		if *n < 1 || !(*floor > 0 && *floor < 1) {
			return usageErr("plan accuracy: give --n (scored results, at least 1) and --floor (the rule's minimum, in (0, 1)); got --n %d --floor %g", *n, *floor)
		}
		if pf.a.Accuracy != 0 && !(pf.a.Accuracy > 0 && pf.a.Accuracy < 1) {
			return usageErr("plan accuracy: --accuracy %g: want the assumed true accuracy in (0, 1)", pf.a.Accuracy)
		}
		cfg := planConfig(pf.level, false)
		cfg.Gate = []configs.Rule{{Metric: "accuracy", Min: floor}, {Metric: "accuracy.ci_low", Min: floor}}
		pf.writeAssumptions(e.stdout, "accuracy")
		writePlans(e.stdout, pipeline.PlanRules(cfg, pipeline.Sizes{Results: *n}, pf.a))
		return nil
	case "fairness":
		if *groups < 2 || *size < 1 || !(*threshold > 0 && *threshold < 1) {
			return usageErr("plan fairness: give --groups (at least 2), --group-size (results per group, at least 1) and --threshold (the largest gap allowed, in (0, 1)); got --groups %d --group-size %d --threshold %g", *groups, *size, *threshold)
		}
		if *gap < 0 || *gap >= pf.a.BaseRate {
			return usageErr("plan fairness: --gap %g: want a true gap in [0, --base-rate %g)", *gap, pf.a.BaseRate)
		}
		if !slices.Contains(metrics.FairnessMetrics[:], *metric) {
			return usageErr("plan fairness: --metric %q: want one of %s", *metric, strings.Join(metrics.FairnessMetrics[:], ", "))
		}
		cfg := planConfig(pf.level, false)
		cfg.Fairness.Groups = []string{"group"}
		cfg.Fairness.MinGroupSize = min(30, *size)
		cfg.Fairness.MinRateDenominator = cfg.Fairness.MinGroupSize
		path := "fairness.group." + *metric
		cfg.Gate = []configs.Rule{
			{Metric: path + ".gap", Max: threshold},
			{Metric: path + ".gap.ci_high", Max: threshold},
			{Metric: path + ".p_value", Min: ptr(1 - pf.level)},
		}
		// Every group has --group-size in the rate's denominator: as many
		// actual positives for TPR and FNR, none (all negatives) for FPR.
		sizes, positives := make([]int, *groups), make([]int, *groups)
		for i := range sizes {
			sizes[i] = *size
			if *metric == "tpr" || *metric == "fnr" {
				positives[i] = *size
			}
		}
		pf.a.Drop = *gap
		pf.writeAssumptions(e.stdout, "fairness")
		writePlans(e.stdout, pipeline.PlanRules(cfg, pipeline.Sizes{Results: *groups * *size, Groups: map[string][]int{"group": sizes}, Positives: map[string][]int{"group": positives}}, pf.a))
		return nil
	}
	return usageErr("plan: unknown question %q: want regression, accuracy or fairness, or -c CONFIG (usage: evalgate %s)", sub, planUsage)
}

// check refuses assumptions out of range, naming the flag.
func (pf planFlags) check(name string) error {
	a := pf.a
	switch {
	case !(a.Discordance > 0 && a.Discordance <= 1):
		return usageErr("%s: --discordance %g: want the share of items the models disagree on, in (0, 1], for example 0.1", name, a.Discordance)
	case !(a.BaseRate > 0 && a.BaseRate < 1):
		return usageErr("%s: --base-rate %g: want each group's accuracy, in (0, 1), for example 0.8", name, a.BaseRate)
	case a.Accuracy < 0 || a.Accuracy >= 1:
		return usageErr("%s: --accuracy %g: want the assumed true accuracy, in (0, 1)", name, a.Accuracy)
	case a.Drop < 0 || a.Drop >= 1:
		return usageErr("%s: --drop %g: want an accuracy drop in (0, 1), for example 0.03", name, a.Drop)
	case !(a.Power > 0 && a.Power < 1):
		return usageErr("%s: --power %g: want a chance in (0, 1), for example 0.8", name, a.Power)
	case a.Sims < 10 || a.Sims > 100_000:
		return usageErr("%s: --sims %d: want 10 to 100000 simulations", name, a.Sims)
	case !(pf.level > 0 && pf.level < 1):
		return usageErr("%s: --level %g: want a confidence level in (0, 1), for example 0.95", name, pf.level)
	}
	return nil
}

// writeAssumptions prints the assumptions of the kinds of rule named
// (regression, accuracy, fairness) and the flags that change them.
func (pf planFlags) writeAssumptions(w io.Writer, kinds ...string) {
	var parts []string
	for _, k := range kinds {
		switch k {
		case "regression":
			parts = append(parts, "--discordance "+reports.FormatNumber(pf.a.Discordance))
		case "accuracy":
			acc := "(the rule's minimum + 0.02)"
			if pf.a.Accuracy != 0 {
				acc = reports.FormatNumber(pf.a.Accuracy)
			}
			parts = append(parts, "--accuracy "+acc)
		case "fairness":
			parts = append(parts, "--base-rate "+reports.FormatNumber(pf.a.BaseRate))
		}
	}
	drop := "0.03"
	switch {
	case pf.a.Drop != 0:
		drop = reports.FormatNumber(pf.a.Drop)
	case slices.Equal(kinds, []string{"fairness"}):
		drop = "(threshold + 0.05)"
	case slices.Contains(kinds, "fairness"):
		drop = "0.03 (fairness: threshold + 0.05)"
	}
	dropFlag := "--drop "
	if slices.Equal(kinds, []string{"fairness"}) {
		dropFlag = "--gap "
	}
	parts = append(parts, dropFlag+drop, "--power "+reports.FormatNumber(pf.a.Power), "--level "+reports.FormatNumber(pf.level))
	fmt.Fprintf(w, "assumed: %s\n\n", strings.Join(parts, ", "))
}

// planConfig is the config a question is planned under: the defaults of
// scoring and fairness, at level.
func planConfig(level float64, production bool) *configs.Config {
	seed := uint64(1)
	cfg := &configs.Config{}
	cfg.Scoring.Confidence, cfg.Scoring.Resamples, cfg.Scoring.Seed = level, 2000, &seed
	cfg.Fairness.MinGroupSize = 30
	if production {
		cfg.Production = &configs.Model{}
	}
	return cfg
}

func ptr(v float64) *float64 { return &v }

// writePlans prints each rule's plan: the n it is decided on and the
// assumptions, then how often it blocks a model that meets them and one
// that misses them, then the n each needs.
func writePlans(w io.Writer, plans []pipeline.RulePlan) {
	for i, p := range plans {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "rule %d: %s\n", p.Index, safe(pipeline.RuleText(p.Rule)))
		if !p.Planned {
			fmt.Fprintf(w, "  not planned: %s\n", p.Why)
			continue
		}
		meets, misses := "a model that meets it", fmt.Sprintf("one %s worse", reports.FormatNumber(p.Drop))
		switch {
		case strings.HasPrefix(p.Rule.Metric, "regression."):
			meets, misses = "identical models", fmt.Sprintf("a %s-point drop", reports.FormatNumber(100*p.Drop))
		case strings.HasPrefix(p.Rule.Metric, "fairness."):
			meets, misses = "a truly fair model", fmt.Sprintf("one group %s behind", reports.FormatNumber(p.Drop))
		case strings.HasPrefix(p.Rule.Metric, "accuracy"):
			meets, misses = "a model at that accuracy", fmt.Sprintf("one %s below the minimum", reports.FormatNumber(p.Drop))
		}
		se := func(v float64) string {
			if v > 0 {
				return fmt.Sprintf(" ±%.1f", 100*v)
			}
			return ""
		}
		fmt.Fprintf(w, "  at %s = %s, %s:\n", p.Unit, safe(p.Size), p.Given)
		mark := ""
		if _, warn := p.Warning(); warn {
			mark = fmt.Sprintf("  <- above %.0f%%: too few items for this rule", 100*pipeline.WarnAbove)
		}
		fmt.Fprintf(w, "    blocks %-28s %6.1f%%%s%s\n", meets, 100*p.Blocked, se(p.StdErr), mark)
		if !math.IsNaN(p.Caught) {
			fmt.Fprintf(w, "    blocks %-28s %6.1f%%%s\n", misses, 100*p.Caught, se(p.CaughtStdErr))
		}
		if !p.Searched {
			continue
		}
		unit := cmp.Or(p.PerGroup, p.Unit)
		need := func(n int) string {
			switch {
			case n == 0:
				return "none up to the search limit"
			case n <= pipeline.MinPlanN:
				return fmt.Sprintf("%s = %d or fewer (the smallest searched)", unit, n)
			}
			return fmt.Sprintf("%s = %d", unit, n)
		}
		fmt.Fprintf(w, "    to pass %s %.0f%% of the time: %s\n", meets, 100*p.Target, need(p.PassN))
		if !math.IsNaN(p.Caught) {
			fmt.Fprintf(w, "    to block %s %.0f%% of the time: %s\n", misses, 100*p.Target, need(p.CatchN))
		}
	}
}
