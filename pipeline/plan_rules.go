package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
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
	Size string
	Unit string
	// PerGroup, for a fairness rule, names what PassN and CatchN count
	// per group (results, actual positives or actual negatives).
	PerGroup string
	Given    string // the assumptions used, spelled out
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
	unit := cmp.Or(p.PerGroup, p.Unit)
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
	// Groups holds, for each fairness group column and intersection (as
	// reports name it), its groups' sizes in scored results, in the order
	// of their values.
	Groups map[string][]int
	// Positives holds, aligned with Groups, how many of each group's
	// results expect the positive label: the denominators of TPR and FNR
	// (and, subtracted from the size, of FPR). Nil without a positive
	// label.
	Positives map[string][]int
}

// fairnessTarget is what a rule on one fairness column compares: the
// column, the metric whose rates it compares (accuracy, selection_rate,
// tpr, fpr or fnr), and the rule rewritten onto accuracy, which the
// planner simulates: FairnessFromCounts treats every metric's rates alike,
// so a column whose groups' accuracy has the metric's denominators and
// rates decides the rewritten rule as the report decides the rule.
type fairnessTarget struct {
	column, metric string
	rule           configs.Rule
}

// parseFairnessRule reads a rule on fairness.<column>.<metric>.… for one
// of columns (the longest that matches); ok is false for other paths, and
// for the equalized odds difference, which compares two metrics at once.
func parseFairnessRule(rule configs.Rule, columns []string) (t fairnessTarget, ok bool) {
	for _, c := range columns {
		if strings.HasPrefix(rule.Metric, "fairness."+c+".") && len(c) > len(t.column) {
			t.column = c
		}
	}
	if t.column == "" {
		return t, false
	}
	rest := strings.TrimPrefix(rule.Metric, "fairness."+t.column+".")
	name, stat, _ := strings.Cut(rest, ".")
	switch name {
	case "demographic_parity_difference":
		name, stat = "selection_rate", strings.TrimSuffix("gap."+stat, ".")
	case "disparate_impact":
		name, stat = "selection_rate", strings.TrimSuffix("ratio."+stat, ".")
	case "accuracy", "selection_rate", "tpr", "fpr", "fnr":
	default:
		return t, false
	}
	t.metric, t.rule = name, rule
	t.rule.Metric = "fairness." + t.column + ".accuracy." + stat
	return t, true
}

// denominators are the sizes of a fairness metric's rates in each group
// of column, from the groups' sizes and actual positives; nil when the
// sizes lack what the metric needs.
func (s Sizes) denominators(column, metric string) []int {
	n := s.Groups[column]
	if metric == "accuracy" || metric == "selection_rate" {
		return n
	}
	pos := s.Positives[column]
	if len(pos) != len(n) {
		return nil
	}
	out := make([]int, len(n))
	for i := range n {
		out[i] = pos[i]
		if metric == "fpr" {
			out[i] = n[i] - pos[i]
		}
	}
	return out
}

// minN and maxN bound the sample sizes a plan searches (items or
// results): below 30 neither the normal approximations nor a rate's
// trend in n mean much.
const minN, maxN = 30, 1_000_000

// MinPlanN is the smallest n a plan searches: an n found equal to it means
// "this many or fewer".
const MinPlanN = minN

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
	var designSizes [][]int
	rule := p.Rule
	metric := "accuracy"
	opts := metrics.FairnessOptions{Options: reports.MetricOptions(cfg)}
	worst := strings.HasPrefix(p.Rule.Metric, "fairness.accuracy.")
	if worst {
		for c, g := range sizes.Groups {
			if len(g) >= 2 {
				columns = append(columns, c)
			}
		}
		slices.Sort(columns)
		for _, c := range columns {
			designSizes = append(designSizes, sizes.Groups[c])
		}
	} else {
		t, ok := parseFairnessRule(p.Rule, slices.Collect(maps.Keys(sizes.Groups)))
		if !ok {
			p.Why = "the planner models the gap, ratio and p_value rules (and their bounds) of accuracy, selection rate, TPR, FPR and FNR on a fairness column or intersection, and fairness.accuracy.…; not the equalized odds difference, which compares two rates at once"
			return
		}
		denominators := sizes.denominators(t.column, t.metric)
		if denominators == nil {
			p.Why = fmt.Sprintf("%s needs scoring.positive_label, to count each group's actual positives and negatives", t.metric)
			return
		}
		if t.metric == "tpr" || t.metric == "fpr" || t.metric == "fnr" {
			opts.MinGroupSize = cfg.Fairness.MinRateDenominator
		}
		// The simulation compares the groups whose denominator reaches
		// opts.MinGroupSize; a group below min_group_size takes no part
		// whatever its denominator, so it is simulated with one just
		// below that minimum.
		kept := slices.Clone(denominators)
		for i, n := range sizes.Groups[t.column] {
			if n < cfg.Fairness.MinGroupSize {
				kept[i] = min(kept[i], max(1, opts.MinGroupSize-1))
			}
		}
		columns, designSizes, rule, metric = []string{t.column}, [][]int{kept}, t.rule, t.metric
	}
	if len(columns) == 0 {
		p.Why = "no fairness column of the eval set has two groups"
		return
	}
	if g := designSizes[0]; len(g) < 2 {
		p.Why = fmt.Sprintf("column %s has %d groups of at least %d results in the eval set", columns[0], len(g), cfg.Fairness.MinGroupSize)
		return
	}
	blocked := func(fcs []metrics.FairnessColumn) bool {
		rep := &reports.Report{}
		rep.Metrics.Fairness = fcs
		// Failed counts what blocks: a failed rule, or one not evaluated
		// (too few groups of min_group_size) that is not optional.
		return reports.Evaluate([]configs.Rule{rule}, reports.Values(rep), nil).Failed > 0
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
	for i := range columns {
		g := designSizes[i]
		fair[i] = metrics.FairnessDesign{Sizes: g, Rates: slices.Repeat([]float64{a.BaseRate}, len(g))}
		sizeText = append(sizeText, sizeList(g))
	}
	p.Planned, p.Meets = true, true
	p.Unit, p.Size, p.PerGroup = "group sizes", strings.Join(sizeText, "; "), "results per group"
	if what := denominatorText(metric); what != "" {
		p.Unit, p.PerGroup = "group "+what, what+" per group"
	}
	p.Given = fmt.Sprintf("every group's %s %s (%s), %d simulations", metricText(metric), reports.FormatNumber(a.BaseRate), source, a.Sims)
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
		hi := max(1, opts.MinGroupSize)
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

// groupRate is a group's rate of a fairness metric, nil when the column
// has none.
func groupRate(g metrics.FairnessGroup, metric string) *metrics.GroupRate {
	switch metric {
	case "accuracy":
		return &g.Accuracy
	case "selection_rate":
		return g.SelectionRate
	case "tpr":
		return g.TPR
	case "fpr":
		return g.FPR
	case "fnr":
		return g.FNR
	}
	return nil
}

// denominatorText names what a fairness metric's rates are out of, ""
// for results.
func denominatorText(metric string) string {
	switch metric {
	case "tpr", "fnr":
		return "actual positives"
	case "fpr":
		return "actual negatives"
	}
	return ""
}

// metricText names a fairness metric for the plan's lines.
func metricText(metric string) string {
	switch metric {
	case "selection_rate":
		return "selection rate"
	case "tpr", "fpr", "fnr":
		return strings.ToUpper(metric)
	}
	return metric
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
	return readSizes(p.cfg, p.values)
}

func readSizes(cfg *configs.Config, vals *setValuesOnce) (Sizes, error) {
	v, err := vals.get(true)
	if err != nil {
		return Sizes{}, err
	}
	reps := max(1, cfg.Run.Repeats)
	s := Sizes{Results: v.rows * reps, Groups: map[string][]int{}}
	if cfg.Scoring.PositiveLabel != "" {
		s.Positives = map[string][]int{}
	}
	for col, byValue := range v.groups {
		if v.overflow[col] {
			continue
		}
		for _, val := range slices.Sorted(maps.Keys(byValue)) {
			g := byValue[val]
			s.Groups[col] = append(s.Groups[col], g.n*reps)
			if s.Positives != nil {
				s.Positives[col] = append(s.Positives[col], g.positives*reps)
			}
		}
	}
	return s, nil
}

// PlanConfig checks cfg against its eval set as run would (no key, no
// model call), reads the set's sizes and plans every gate rule. getenv
// reads the environment, for an eval set in object storage.
func PlanConfig(cfg *configs.Config, a Assumptions, getenv func(string) string) ([]RulePlan, datasets.Info, error) {
	set, info, _, _, vals, err := checkData(cfg, nil, getenv)
	if err != nil {
		return nil, info, err
	}
	defer set.Close()
	sizes, err := readSizes(cfg, vals)
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
			// Each group's size and actual positives as the run counted
			// them, and the metric's pooled rate as every group's rate.
			var names []string
			for _, fc := range m.Fairness {
				names = append(names, fc.Column)
			}
			t, ok := parseFairnessRule(rule, names)
			if !ok {
				continue
			}
			fc := &m.Fairness[slices.Index(names, t.column)]
			k, n := 0, 0
			for _, g := range fc.Groups {
				sizes.Groups[fc.Column] = append(sizes.Groups[fc.Column], g.N)
				if g.TPR != nil {
					if sizes.Positives == nil {
						sizes.Positives = map[string][]int{}
					}
					sizes.Positives[fc.Column] = append(sizes.Positives[fc.Column], g.TPR.N)
				}
				if r := groupRate(g, t.metric); r != nil && !r.Small {
					k, n = k+r.K, n+r.N
				}
			}
			if n == 0 {
				continue
			}
			if a.BaseRate = float64(k) / float64(n); !(a.BaseRate > 0 && a.BaseRate < 1) {
				continue
			}
			warnings = &fc.Warnings
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
