package pipeline

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// Assumptions are the figures a power plan needs that neither the config
// nor the eval set can give; the zero value takes every default.
type Assumptions struct {
	// Discordance is the share of items the candidate and production
	// answer differently (one right, one wrong), in (0, 1]. Default 0.10.
	Discordance float64
	// BaseRate is each group's true accuracy for fairness rules, in
	// (0, 1). Default 0.8.
	BaseRate float64
	// Accuracy is the candidate's true accuracy for accuracy rules, in
	// (0, 1); 0 means 0.02 above the rule's minimum.
	Accuracy float64
	// Drop is the accuracy drop (regression rules) or group gap (fairness
	// rules) a rule should catch, in (0, 1). Default 0.03 for regression
	// and accuracy rules; for fairness rules 0 means the rule's threshold
	// plus 0.05.
	Drop float64
	// Power is the target chance, in (0, 1), that a rule passes a model
	// that meets the assumption and blocks one that misses it by Drop.
	// Default 0.8.
	Power float64
	// Sims is the number of simulated analyses behind each fairness
	// figure. Default 1,000 (a standard error of at most 1.6 points).
	Sims int
	// Observed says Discordance and BaseRate were measured on a run's
	// results rather than assumed; it changes only how plans word them.
	Observed bool
	// SearchN asks for PassN and CatchN. A fairness search costs about ten
	// times Sims analyses per rule; run-time warnings leave it out.
	SearchN bool
}

// Assumption defaults.
const (
	DefaultDiscordance = 0.10
	DefaultBaseRate    = 0.8
	DefaultDrop        = 0.03
	DefaultPower       = 0.8
	DefaultSims        = 1000
	// WarnAbove is the chance of blocking a model that meets the
	// assumption above which run, --dry-run and plan warn.
	WarnAbove = 0.20
)

func (a Assumptions) normal() Assumptions {
	if a.Discordance == 0 {
		a.Discordance = DefaultDiscordance
	}
	if a.BaseRate == 0 {
		a.BaseRate = DefaultBaseRate
	}
	if a.Power == 0 {
		a.Power = DefaultPower
	}
	if a.Sims == 0 {
		a.Sims = DefaultSims
	}
	return a
}

// RulePlan is what a power plan says of one gate rule.
type RulePlan struct {
	// Index is the rule's 1-based position in the gate.
	Index int
	Rule  configs.Rule
	// Planned is false for a rule the planner cannot model; Why says why.
	Planned bool
	Why     string
	// Size is the n the rule is decided on: paired items, scored results,
	// or (fairness) the column's group sizes; Unit names it.
	Size  string
	Unit  string
	Given string // the assumptions used, spelled out
	// Blocked is the chance, in [0, 1], that a model meeting the
	// assumption (identical to production; at the assumed accuracy;
	// truly fair) is blocked; StdErr is its Monte Carlo standard error
	// (0 when computed).
	Blocked, StdErr float64
	// Caught is the chance a model missing it by Drop is blocked (NaN
	// when not planned for the rule), with Drop and its Monte Carlo
	// standard error.
	Caught, Drop, CaughtStdErr float64
	// PassN is the smallest n (items, results, or results per group) at
	// which a model meeting the assumption passes with at least Target
	// probability, 0 when no n up to the search limit does; CatchN the same
	// for blocking a model Drop worse.
	PassN, CatchN int
	Target        float64
	// Searched says PassN and CatchN were searched for (Assumptions.SearchN).
	Searched bool
	// Meets says the assumed truth satisfies the rule (an accuracy
	// between its bounds): only then is blocking it a sign of too few
	// items rather than of a bad model.
	Meets bool
}

// Warning is the plan as one line, when it is worth one: a model meeting
// the assumption is blocked more than WarnAbove of the time.
func (p RulePlan) Warning() (string, bool) {
	if !p.Planned || !p.Meets || !(p.Blocked > WarnAbove) {
		return "", false
	}
	what := "a model of that accuracy fails"
	switch {
	case strings.HasPrefix(p.Rule.Metric, "regression."):
		what = "identical models fail"
	case strings.HasPrefix(p.Rule.Metric, "fairness."):
		what = "a truly fair model fails"
	}
	s := fmt.Sprintf("gate rule %d (%s): at %s = %s and %s, %s this rule %s of the time", p.Index, RuleText(p.Rule), p.Unit, p.Size, p.Given, what, pct(p.Blocked))
	unit := p.Unit
	if strings.HasPrefix(p.Rule.Metric, "fairness.") {
		unit = "results per group"
	}
	if p.PassN > 0 {
		s += fmt.Sprintf(" (%s = %d passes it %s of the time)", unit, p.PassN, pctRound(p.Target))
	} else if p.Searched {
		s += " at any size up to the search limit"
	}
	return s, true
}

// RuleText writes a rule as "metric >= min", "metric <= max" or both.
func RuleText(r configs.Rule) string {
	var parts []string
	if r.Min != nil {
		parts = append(parts, r.Metric+" >= "+reports.FormatNumber(*r.Min))
	}
	if r.Max != nil {
		parts = append(parts, r.Metric+" <= "+reports.FormatNumber(*r.Max))
	}
	if len(parts) == 0 {
		return r.Metric
	}
	return strings.Join(parts, ", ")
}

func pct(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v > 0 && v < 0.001:
		return "<0.1%"
	case v < 1 && v > 0.999:
		return ">99.9%"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func pctRound(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }

// Sizes are what a plan reads of the eval set.
type Sizes struct {
	// Results is the number of results a run scores: rows × run.repeats.
	// It is also the number of paired items of a regression.
	Results int
	// Groups holds, for each fairness group column, its groups' sizes in
	// results, in the order of their values.
	Groups map[string][]int
}

// minN and maxN bound the sample sizes a plan searches (items or
// results): below 30 neither the normal approximations nor a rate's
// trend in n mean much.
const minN, maxN = 30, 1_000_000

// PlanRules plans every rule of cfg's gate on a set of the given sizes
// under assumptions a: how often a model meeting the assumption is
// blocked, how often one that misses it by a.Drop is, and (with
// a.SearchN) the n each needs. Rules the planner cannot model are
// returned with Planned false and the reason.
func PlanRules(cfg *configs.Config, sizes Sizes, a Assumptions) []RulePlan {
	a = a.normal()
	out := make([]RulePlan, 0, len(cfg.Gate))
	for i, rule := range cfg.Gate {
		p := RulePlan{Index: i + 1, Rule: rule, Target: a.Power, Caught: math.NaN(), Blocked: math.NaN()}
		planRule(cfg, sizes, a, &p)
		p.Searched = a.SearchN && p.Planned && !strings.HasPrefix(rule.Metric, "fairness.accuracy.")
		out = append(out, p)
	}
	return out
}

func planRule(cfg *configs.Config, sizes Sizes, a Assumptions, p *RulePlan) {
	rule := p.Rule
	level := cfg.Scoring.Confidence
	if sizes.Results < 1 {
		p.Why = "the eval set has no rows"
		return
	}
	limits := metrics.Passing{Min: math.Inf(-1), Max: math.Inf(1)}
	if rule.Min != nil {
		limits.Min = *rule.Min
	}
	if rule.Max != nil {
		limits.Max = *rule.Max
	}
	base, bound := rule.Metric, metrics.BoundValue
	if b, ok := strings.CutSuffix(base, ".ci_low"); ok {
		base, bound = b, metrics.BoundLow
	} else if b, ok := strings.CutSuffix(base, ".ci_high"); ok {
		base, bound = b, metrics.BoundHigh
	}
	source := "assumed"
	if a.Observed {
		source = "observed"
	}
	// rate is the chance of blocking at n when the true figure is v.
	var rate func(n int, v float64) float64
	var meets, misses float64
	switch {
	case base == "regression.accuracy.delta" || (base == "regression.mcnemar_p" && bound == metrics.BoundValue && rule.Min != nil && rule.Max == nil):
		if cfg.Production == nil {
			p.Why = "needs a production model"
			return
		}
		p.Unit, p.Size = "n", fmt.Sprint(sizes.Results)
		p.Given = fmt.Sprintf("%s discordance (%s)", pctRound(a.Discordance), source)
		if base == "regression.mcnemar_p" {
			rate = func(n int, v float64) float64 {
				return metrics.McNemarPower(metrics.PairedDesign{N: n, Discordance: a.Discordance, Delta: v}, *rule.Min)
			}
		} else {
			rate = func(n int, v float64) float64 {
				return metrics.DeltaBlockRate(metrics.PairedDesign{N: n, Discordance: a.Discordance, Delta: v}, bound, limits, level)
			}
		}
		p.Drop = cmpOr(a.Drop, DefaultDrop)
		meets, misses = 0, -p.Drop
		p.Meets = true
		if p.Drop > a.Discordance {
			p.Drop, misses = math.NaN(), math.NaN()
		}
	case base == "accuracy":
		acc := a.Accuracy
		if acc == 0 {
			if rule.Min == nil {
				p.Why = "give the true accuracy to assume (--accuracy)"
				return
			}
			acc = min(*rule.Min+0.02, 0.999)
		}
		given := "assumed: the minimum + 0.02"
		if a.Accuracy != 0 {
			given = source
		}
		p.Unit, p.Size = "n", fmt.Sprint(sizes.Results)
		p.Given = fmt.Sprintf("true accuracy %s (%s)", reports.FormatNumber(acc), given)
		rate = func(n int, v float64) float64 { return metrics.ProportionBlockRate(n, v, bound, limits, level) }
		meets, misses = acc, math.NaN()
		p.Meets = acc >= limits.Min && acc <= limits.Max
		if rule.Min != nil {
			p.Drop = cmpOr(a.Drop, DefaultDrop)
			if misses = *rule.Min - p.Drop; misses <= 0 {
				misses = math.NaN()
			}
		}
	case strings.HasPrefix(base, "fairness."):
		planFairness(cfg, sizes, a, p, source)
		return
	default:
		p.Why = "the planner models regression.accuracy.delta (and its bounds), a minimum on regression.mcnemar_p, accuracy (and its bounds) and the accuracy rules of fairness group columns"
		return
	}
	p.Planned = true
	p.Blocked = rate(sizes.Results, meets)
	if !math.IsNaN(misses) {
		p.Caught = rate(sizes.Results, misses)
	}
	if !a.SearchN {
		return
	}
	if n, ok := metrics.SmallestN(func(n int) bool { return rate(n, meets) <= 1-a.Power }, minN, maxN); ok {
		p.PassN = n
	}
	if !math.IsNaN(misses) {
		if n, ok := metrics.SmallestN(func(n int) bool { return rate(n, misses) >= a.Power }, minN, maxN); ok {
			p.CatchN = n
		}
	}
}

// planFairness plans a rule on fairness.<column>.accuracy… or on the
// worst column, fairness.accuracy…: it simulates the column's groups, all
// at the base rate (truly fair) or one of them Drop behind, through
// metrics.FairnessFromCounts and the gate itself.
func planFairness(cfg *configs.Config, sizes Sizes, a Assumptions, p *RulePlan, source string) {
	var columns []string
	worst := strings.HasPrefix(p.Rule.Metric, "fairness.accuracy.")
	if worst {
		for c, g := range sizes.Groups {
			if len(g) >= 2 {
				columns = append(columns, c)
			}
		}
		slices.Sort(columns)
	} else {
		column := ""
		for c := range sizes.Groups {
			if strings.HasPrefix(p.Rule.Metric, "fairness."+c+".accuracy.") && len(c) > len(column) {
				column = c
			}
		}
		if column != "" {
			columns = []string{column}
		}
	}
	if len(columns) == 0 {
		p.Why = "the planner models the accuracy rules (gap, ratio, p_value and their bounds) of fairness group columns with two groups or more (fairness.<column>.accuracy.… and fairness.accuracy.…), not intersections or the selection rate, TPR, FPR and FNR a positive label adds"
		return
	}
	if g := sizes.Groups[columns[0]]; len(g) < 2 {
		p.Why = fmt.Sprintf("column %s has %d groups in the eval set", columns[0], len(g))
		return
	}
	opts := metrics.FairnessOptions{Options: reports.MetricOptions(cfg)}
	blocked := func(fcs []metrics.FairnessColumn) bool {
		rep := &reports.Report{}
		rep.Metrics.Fairness = fcs
		// Failed counts what blocks: a failed rule, or one not evaluated
		// (too few groups of min_group_size) that is not optional.
		return reports.Evaluate([]configs.Rule{p.Rule}, reports.Values(rep), nil).Failed > 0
	}
	sim := func(designs []metrics.FairnessDesign) (float64, float64) {
		r, se, err := metrics.FairnessBlockRate(columns, designs, opts, a.Sims, 1, blocked)
		if err != nil {
			return math.NaN(), math.NaN()
		}
		return r, se
	}
	fair := make([]metrics.FairnessDesign, len(columns))
	var sizeText []string
	for i, c := range columns {
		g := sizes.Groups[c]
		fair[i] = metrics.FairnessDesign{Sizes: g, Rates: slices.Repeat([]float64{a.BaseRate}, len(g))}
		sizeText = append(sizeText, sizeList(g))
	}
	p.Planned, p.Meets = true, true
	p.Unit, p.Size = "group sizes", strings.Join(sizeText, "; ")
	p.Given = fmt.Sprintf("every group's accuracy %s (%s), %d simulations", reports.FormatNumber(a.BaseRate), source, a.Sims)
	if worst {
		p.Unit = "group sizes of " + strings.Join(columns, "; ")
		p.Given += ", columns independent"
	}
	p.Blocked, p.StdErr = sim(fair)
	if worst || !a.SearchN {
		// The worst-column rules are planned at the set's sizes only; the
		// warnings need no more than Blocked.
		return
	}
	p.Drop = a.Drop
	if p.Drop == 0 {
		p.Drop = 0.1
		if p.Rule.Max != nil && strings.Contains(p.Rule.Metric, ".gap") {
			p.Drop = *p.Rule.Max + 0.05
		}
	}
	groups := fair[0].Sizes
	if p.Drop < a.BaseRate {
		behind := slices.Clone(fair[0].Rates)
		behind[len(behind)-1] -= p.Drop
		p.Caught, p.CaughtStdErr = sim([]metrics.FairnessDesign{{Sizes: groups, Rates: behind}})
	}
	k := len(groups)
	search := func(ok func(size int) bool) int {
		// Doubling from min_group_size, then bisection to within 10%: each
		// step is a.Sims analyses.
		hi := max(1, cfg.Fairness.MinGroupSize)
		lo := hi - 1
		for !ok(hi) {
			if hi >= maxN/k {
				return 0
			}
			lo, hi = hi, 2*hi
		}
		for hi-lo > max(1, hi/10) {
			mid := (lo + hi) / 2
			if ok(mid) {
				hi = mid
			} else {
				lo = mid
			}
		}
		return hi
	}
	p.PassN = search(func(s int) bool {
		r, _ := sim([]metrics.FairnessDesign{metrics.OneGroupBehind(k, s, a.BaseRate, 0)})
		return r <= 1-a.Power
	})
	if !math.IsNaN(p.Caught) {
		p.CatchN = search(func(s int) bool {
			r, _ := sim([]metrics.FairnessDesign{metrics.OneGroupBehind(k, s, a.BaseRate, p.Drop)})
			return r >= a.Power
		})
	}
}

func sizeList(sizes []int) string {
	if len(sizes) > 6 {
		lo, hi := slices.Min(sizes), slices.Max(sizes)
		if lo == hi {
			return fmt.Sprintf("%d groups of %d", len(sizes), lo)
		}
		return fmt.Sprintf("%d groups of %d to %d", len(sizes), lo, hi)
	}
	parts := make([]string, len(sizes))
	for i, s := range sizes {
		parts[i] = fmt.Sprint(s)
	}
	return strings.Join(parts, ", ")
}

func cmpOr(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// Sizes reads the eval set's sizes: its results (rows × run.repeats) and
// the size of each group of each fairness group column ("" counts as
// metrics.MissingGroup).
func (p *Plan) Sizes() (Sizes, error) {
	return readSizes(p.cfg, p.set)
}

func readSizes(cfg *configs.Config, set *datasets.Set) (Sizes, error) {
	r, err := set.ItemColumns()
	if err != nil {
		return Sizes{}, inputErr(err)
	}
	defer r.Close()
	r.Extra = cfg.Fairness.Groups
	counts := make([]map[string]int, len(r.Extra))
	for i := range counts {
		counts[i] = map[string]int{}
	}
	rows := 0
	for r.Next() {
		c := r.Columns()
		rows += c.Len()
		for i, vals := range c.Extra {
			for _, v := range vals {
				if v == "" {
					v = metrics.MissingGroup
				}
				counts[i][v]++
			}
		}
	}
	if err := r.Err(); err != nil {
		return Sizes{}, inputErr(err)
	}
	reps := max(1, cfg.Run.Repeats)
	s := Sizes{Results: rows * reps, Groups: map[string][]int{}}
	for i, col := range r.Extra {
		for _, v := range sortedKeys(counts[i]) {
			s.Groups[col] = append(s.Groups[col], counts[i][v]*reps)
		}
	}
	return s, nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// PlanConfig checks cfg against its eval set as run would (no key, no
// model call), reads the set's sizes and plans every gate rule.
func PlanConfig(cfg *configs.Config, a Assumptions) ([]RulePlan, datasets.Info, error) {
	set, info, _, _, err := checkData(cfg)
	if err != nil {
		return nil, info, err
	}
	defer set.Close()
	sizes, err := readSizes(cfg, set)
	if err != nil {
		return nil, info, err
	}
	return PlanRules(cfg, sizes, a), info, nil
}

// PowerWarnings are the plan's warnings for the rules of cfg's gate that
// block a model meeting assumption a more than WarnAbove of the time, on
// a set of the given sizes: what --dry-run prints.
func PowerWarnings(cfg *configs.Config, sizes Sizes, a Assumptions) []string {
	var out []string
	for _, p := range PlanRules(cfg, sizes, a) {
		if w, ok := p.Warning(); ok {
			out = append(out, w)
		}
	}
	return out
}

// addPowerWarnings adds to rep the warnings of a plan made with what the
// run observed: the regression's discordance and pairs, the accuracy's
// scored results and rate, each fairness column's group sizes and the
// overall accuracy as every group's base rate. Each goes with the metric it is
// about (regression, accuracy, the fairness column).
func addPowerWarnings(cfg *configs.Config, rep *reports.Report) {
	m := &rep.Metrics
	for idx, rule := range cfg.Gate {
		one := *cfg
		one.Gate = []configs.Rule{rule}
		a := Assumptions{Observed: true, Sims: DefaultSims}
		sizes := Sizes{Results: m.Accuracy.Overall.N, Groups: map[string][]int{}}
		var warnings *metrics.Warnings
		switch {
		case strings.HasPrefix(rule.Metric, "regression."):
			reg := m.Regression
			if reg == nil || reg.Pairs == 0 || reg.Discordant == 0 {
				continue
			}
			sizes.Results, a.Discordance = reg.Pairs, float64(reg.Discordant)/float64(reg.Pairs)
			warnings = &reg.Warnings
		case rule.Metric == "accuracy" || strings.HasPrefix(rule.Metric, "accuracy.ci_"):
			// How often a model as accurate as this one measured fails:
			// how fragile the verdict is.
			if a.Accuracy = m.Accuracy.Overall.Rate; !(a.Accuracy > 0 && a.Accuracy < 1) {
				continue
			}
			warnings = &m.Accuracy.Warnings
		case strings.HasPrefix(rule.Metric, "fairness."):
			a.BaseRate = m.Accuracy.Overall.Rate
			if !(a.BaseRate > 0 && a.BaseRate < 1) {
				continue
			}
			for i := range m.Fairness {
				fc := &m.Fairness[i]
				if len(fc.Columns) != 1 || !strings.HasPrefix(rule.Metric, "fairness."+fc.Column+".") {
					continue
				}
				for _, g := range fc.Groups {
					sizes.Groups[fc.Column] = append(sizes.Groups[fc.Column], g.N)
				}
				warnings = &fc.Warnings
			}
		}
		if warnings == nil {
			continue
		}
		for _, p := range PlanRules(&one, sizes, a) {
			p.Index = idx + 1
			if w, ok := p.Warning(); ok {
				*warnings = append(*warnings, errors.New(w))
			}
		}
	}
}

// PowerWarnings are the warnings of PowerWarnings for the plan's config
// and eval set under assumptions a: what run --dry-run prints.
func (p *Plan) PowerWarnings(a Assumptions) ([]string, error) {
	sizes, err := p.Sizes()
	if err != nil {
		return nil, err
	}
	return PowerWarnings(p.cfg, sizes, a), nil
}
