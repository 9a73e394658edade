package pipeline

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/objstore"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// Options are how a run or a re-score is carried out, beyond the config.
// The zero Options run with the cache under the user's cache directory,
// no signing, no history and no progress.
type Options struct {
	// Resume requires the journals of an earlier run in the output
	// directory (run --resume); without it a run still resumes from
	// journals it finds.
	Resume bool
	// NoCache neither reads nor writes the response cache.
	NoCache bool
	// Provenance, when not nil, is written into the signed statement, with
	// the policy digest of the config's gate filled in.
	Provenance *reports.Provenance
	// NoGate accepts a config with no gate rules on the report's metrics
	// (run --no-gate): the report's verdict is then NONE. Without it such
	// a config is refused (see CheckGate).
	NoGate bool
	// Inputs are files the run reads besides the config, the eval set and
	// the JSON Schema the config names (which Prepare knows): a signing
	// key, a history key. The output directory may hold none of them.
	Inputs []string
	// Signer, when not nil, signs the report as report.dsse.json.
	Signer *signing.Signer
	// History, when not nil, holds the control charts the report is
	// placed on (see LoadHistory).
	History *history.History
	// Reviews, when not nil, counts the verified review records on
	// earlier reports of the eval set with the given digest (see
	// reviews.Loaded.Count); the report carries the counts as
	// ReviewDecisions, and the gate sees them.
	Reviews func(datasetSHA256 string) *reports.ReviewDecisions
	// Getenv reads the environment: API key variables, HOME and
	// XDG_CACHE_HOME. Nil reads nothing.
	Getenv func(string) string
	// Log receives notes a person should see (a journal resumed, results
	// held in memory, a check left out); nil discards them.
	Log io.Writer
	// NewProgress, when not nil, is called once per model run with a label
	// and the number of calls, and told how the calls go.
	NewProgress func(label string, total int) Progress
	// Shard, when not nil, runs only the shard's items (run --shard), into
	// the folder ShardDir names under run.out, with Plan.RunShard: results,
	// journals and shard.json, and no report. Signer, History and Reviews
	// belong to the merge and must then be nil.
	Shard *Shard
}

// Progress is told how one model's calls go; the CLI draws a bar with it.
// Update is called from several goroutines.
type Progress interface {
	Update(records.RunStats)
	Finish()
}

// logf writes a note to Log; the note quotes paths and ids from configs
// and eval sets, so its control characters are escaped (a terminal must
// not act on them).
func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprint(o.Log, render.TermSafeLines(fmt.Sprintf(format, args...)))
	}
}

func (o *Options) getenv(k string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(k)
}

type noProgress struct{}

func (noProgress) Update(records.RunStats) {}
func (noProgress) Finish()                 {}

func (o *Options) progress(label string, total int) Progress {
	if o.NewProgress == nil {
		return noProgress{}
	}
	return o.NewProgress(label, total)
}

// LoadConfig reads the config at path and checks its gate rules.
func LoadConfig(path string) (*configs.Config, error) {
	cfg, err := configs.Load(path)
	if err != nil {
		return nil, inputErr(err)
	}
	if err := reports.CheckRules(cfg); err != nil {
		return nil, inputErr(err)
	}
	return cfg, nil
}

// CheckGate refuses a config whose gate has no rule on the report's
// metrics (no gate, an empty one, or only drift.* rules), whose report
// would otherwise ALLOW on no evidence; noGate (run --no-gate) accepts it,
// and the report's verdict is then NONE. With noGate, a config that does
// have such rules is refused too, so that the flag never hides a gate.
func CheckGate(cfg *configs.Config, noGate bool) error {
	mine, _ := reports.RulesFor(reports.DocReport, cfg.Gate)
	switch {
	case len(mine) == 0 && !noGate:
		return inputErr(fmt.Errorf("%s: the gate has no rules on the report's metrics, so its verdict would mean nothing: add gate rules (`evalgate gate --list-metrics -c %s` lists the metrics) or pass --no-gate for a report with verdict NONE", cfg.Path, cfg.Path))
	case len(mine) > 0 && noGate:
		return inputErr(fmt.Errorf("--no-gate: %s has %d gate rules on the report's metrics; drop --no-gate or the rules", cfg.Path, len(mine)))
	}
	return nil
}

// Plan is a run whose inputs have all been checked; Prepare makes one.
// Close it when done.
type Plan struct {
	cfg  *configs.Config
	opts Options
	// secrets are every endpoint's key and URL secrets, which every
	// runner scrubs from what any endpoint returns.
	secrets *eval.RunSecrets
	// set is the eval set, opened and hashed once; every read goes through
	// it and is checked against that digest.
	set        *datasets.Set
	info       datasets.Info
	prompt     *eval.Prompt
	candidate  eval.Provider
	production eval.Provider
	// judge is the groundedness judge's provider, when the method is judge.
	judge eval.Provider
	// integrity holds the compiled groundedness, boundary, review and PII
	// settings.
	integrity integrity.Options
	cache     *eval.Cache
	// values are the set's task, label and group values, read at most
	// once for the checks, the dry-run's notes and the power warnings.
	values *setValuesOnce
	// items counts the items the run calls the models on: the set's rows,
	// or with a shard the shard's items.
	items int64
}

// Prepare checks everything that can be checked before the first model
// call, so that a mistake costs nothing: the dataset (validity, pinned
// digest, group columns, replayable outputs), the prompt templates, the
// boundary rules and the providers (API key variables); and it opens the
// response cache unless opts.NoCache.
func Prepare(cfg *configs.Config, opts Options) (*Plan, error) {
	if err := CheckGate(cfg, opts.NoGate); err != nil {
		return nil, err
	}
	if err := checkOut(cfg, opts.Inputs); err != nil {
		return nil, err
	}
	if err := checkShardOptions(opts); err != nil {
		return nil, err
	}
	set, info, prompt, ig, vals, err := checkData(cfg, opts.Shard, opts.getenv)
	if err != nil {
		return nil, err
	}
	p := &Plan{cfg: cfg, opts: opts, set: set, info: info, prompt: prompt, integrity: ig, values: vals, items: info.Rows}
	if opts.Shard != nil {
		// The shard's items are counted in the one pass over the set's
		// ids that the checks make (or make now), before any call.
		v, err := vals.get(false)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.items = int64(v.shardRows)
	}
	if p.candidate, err = eval.NewProvider("candidate", cfg.Candidate, opts.getenv); err != nil {
		p.Close()
		return nil, inputErr(err)
	}
	if j := cfg.Groundedness.Judge; j != nil && cfg.Groundedness.Judged() {
		if p.judge, err = eval.NewProvider("groundedness.judge", *j, opts.getenv); err != nil {
			p.Close()
			return nil, inputErr(err)
		}
	}
	if cfg.Production != nil {
		if p.production, err = eval.NewProvider("production", *cfg.Production, opts.getenv); err != nil {
			p.Close()
			return nil, inputErr(err)
		}
	}
	if !opts.NoCache {
		if p.cache, err = OpenCache(cfg.Run, opts.getenv, opts.Log); err != nil {
			p.Close()
			return nil, inputErr(err)
		}
	}
	var urls, keys []string
	for _, m := range []*configs.Model{&cfg.Candidate, cfg.Production, cfg.Groundedness.Judge} {
		if m == nil || m.Provider != "openai" {
			continue
		}
		key := ""
		if m.APIKeyEnv != "none" {
			key = opts.getenv(m.APIKeyEnv)
		}
		urls, keys = append(urls, m.BaseURL), append(keys, key)
	}
	p.secrets = eval.NewRunSecrets(urls, keys)
	return p, nil
}

// Check runs the checks Prepare makes of the config against its eval set
// (the set valid and pinned, the group columns, the replay outputs, the
// prompt templates on the first item, the integrity settings), without
// the keys, the output directory or the gate's presence: evalgate gate
// --list-metrics -c runs it, so that it fails where run would. getenv
// reads the environment, for an eval set in object storage.
func Check(cfg *configs.Config, getenv func(string) string) error {
	set, _, _, _, _, err := checkData(cfg, nil, getenv)
	if err != nil {
		return err
	}
	set.Close()
	return nil
}

// checkData opens cfg's eval set and checks the config against it; the
// caller closes the set. With shard, the set's values count its items.
// getenv reads the environment, for an eval set in object storage.
func checkData(cfg *configs.Config, shard *Shard, getenv func(string) string) (set *datasets.Set, info datasets.Info, prompt *eval.Prompt, ig integrity.Options, vals *setValuesOnce, err error) {
	path := cfg.DatasetPath()
	opened, info, err := openSet(cfg, getenv)
	if err != nil {
		return nil, info, nil, ig, nil, err
	}
	defer func() {
		if err != nil {
			opened.Close()
		}
	}()
	set = opened
	problems, err := set.Validate()
	if err == nil && len(problems) > 0 {
		err = fmt.Errorf("dataset %s is not a valid eval set:\n%s", path, Bulleted(problems))
	}
	if err != nil {
		return nil, info, nil, ig, nil, inputErr(err)
	}
	columns := map[string]bool{}
	for _, c := range info.Columns {
		columns[c.Name] = c.Type == "string"
	}
	for _, g := range cfg.Fairness.Groups {
		if err = datasets.CheckGroupColumn(g); err != nil {
			return nil, info, nil, ig, nil, inputErr(fmt.Errorf("%s: fairness.groups: %w", cfg.Path, err))
		}
		isString, ok := columns[g]
		switch {
		case !ok:
			err = inputErr(fmt.Errorf("%s: fairness.groups names column %q, which %s does not have", cfg.Path, g, path))
		case !isString:
			err = inputErr(fmt.Errorf("%s: fairness.groups names column %q, which is not a string column in %s", cfg.Path, g, path))
		}
		if err != nil {
			return nil, info, nil, ig, nil, err
		}
	}
	for _, m := range models(cfg) {
		if m.cfg.Provider == "replay" && !columns["output"] {
			err = inputErr(fmt.Errorf("%s: %s.provider is replay, but %s has no output column to replay", cfg.Path, m.role, path))
			return nil, info, nil, ig, nil, err
		}
	}
	prompt, err = eval.NewPrompt(cfg.Prompt.System, cfg.Prompt.Template)
	if err != nil {
		// A field no row has fails every item: name the first, and the
		// columns a template reads as .Extra.<column>.
		if item, ok := firstItem(set); ok {
			err = fmt.Errorf("%w (so every item would fail, the first being %q)%s", err, item.ID, extraHint(err, item))
		}
	} else {
		err = renderFirst(set, prompt)
	}
	if err != nil {
		err = inputErr(fmt.Errorf("%s: %w", cfg.Path, err))
		return nil, info, nil, ig, nil, err
	}
	if ig, err = IntegrityOptions(cfg); err != nil {
		return nil, info, nil, ig, nil, err
	}
	vals = &setValuesOnce{cfg: cfg, set: set, shard: shard}
	if err = checkDataRules(cfg, vals, ig); err != nil {
		return nil, info, nil, ig, nil, err
	}
	return set, info, prompt, ig, vals, nil
}

// checkDataRules refuses what names a part of the data the run can never
// have: a positive label no item expects (scoring.positive_label), and a
// gate rule on a boundary rule the config does not set
// (boundaries.rule.<rule>), a task no item has (accuracy.task.<task>,
// groundedness.task.<task>) or a label no item expects (labels.f1.<class>).
// Such a rule would only ever be "not evaluated"; an optional one is let
// through. The set is read (its task and expected columns, once) only
// when something needs it.
func checkDataRules(cfg *configs.Config, vals *setValuesOnce, ig integrity.Options) error {
	values := func() (*setValues, error) { return vals.get(false) }
	if pos := cfg.Scoring.PositiveLabel; pos != "" {
		v, err := values()
		if err != nil {
			return err
		}
		if v.labels != nil && !v.labels[metrics.Normalize(pos)] {
			list := sortedSet(v.labels)
			if len(list) > 20 {
				list = append(list[:20], fmt.Sprintf("… %d more", len(list)-20))
			}
			return inputErr(fmt.Errorf("%s: scoring.positive_label %q is the expected answer of no item of %s, so every selection rate, TPR and FPR would be 0 or undefined; the expected values (normalized) are: %s", cfg.Path, pos, cfg.DatasetPath(), orNone(list)))
		}
	}
	for i, rule := range cfg.Gate {
		if rule.Optional {
			continue
		}
		if err := dataRuleProblem(cfg, i, rule, values, ig); err != nil {
			return err
		}
	}
	return nil
}

// dataRuleProblem is why gate rule i (rule) can never be evaluated on
// cfg's eval set, as checkDataRules words it, or nil when it can (or
// when the set has too many tasks, labels or groups to tell).
func dataRuleProblem(cfg *configs.Config, i int, rule configs.Rule, values func() (*setValues, error), ig integrity.Options) error {
	m := strings.TrimSuffix(strings.TrimSuffix(rule.Metric, ".ci_low"), ".ci_high")
	if col, metric, ok := fairnessRule(cfg, m); ok {
		v, err := values()
		if err != nil {
			return err
		}
		if why := v.neverCompared(cfg, col, metric); why != "" {
			return &ruleProblem{why, inputErr(fmt.Errorf("%s: gate rule %d (%s) can never be evaluated on %s: %s; add items, lower fairness.min_group_size or fairness.min_rate_denominator, or mark the rule optional: true", cfg.Path, i+1, rule.Metric, cfg.DatasetPath(), why))}
		}
		return nil
	}
	if name, ok := strings.CutPrefix(m, "boundaries.rule."); ok {
		if rules := ig.Boundaries.Rules(); !slices.Contains(rules, name) {
			why := fmt.Sprintf("the config sets no boundary rule %q (it sets: %s)", name, orNone(rules))
			return &ruleProblem{why, inputErr(fmt.Errorf("%s: gate rule %s: %s", cfg.Path, rule.Metric, why))}
		}
		return nil
	}
	var known map[string]bool
	var what string
	name, isLabel := strings.CutPrefix(m, "labels.f1.")
	if !isLabel {
		var ok bool
		if name, ok = strings.CutPrefix(m, "accuracy.task."); !ok {
			if name, ok = strings.CutPrefix(m, "groundedness.task."); !ok {
				return nil
			}
		}
	}
	v, err := values()
	if err != nil {
		return err
	}
	if known, what = v.tasks, "task"; isLabel {
		known, what = v.labels, "expected label"
	}
	if known != nil && !known[name] {
		why := fmt.Sprintf("no item of %s has the %s %q (it has: %s)", cfg.DatasetPath(), what, name, orNone(sortedSet(known)))
		return &ruleProblem{why, inputErr(fmt.Errorf("%s: gate rule %s: %s", cfg.Path, rule.Metric, why))}
	}
	return nil
}

// ruleProblem is a gate rule that can never be evaluated: why, as a
// phrase, and the error that refuses a required rule.
type ruleProblem struct {
	why string
	err error
}

func (p *ruleProblem) Error() string { return p.err.Error() }
func (p *ruleProblem) Unwrap() error { return p.err }

// RuleNote is a gate rule a run of the plan would report not_evaluated.
type RuleNote struct {
	// Index is the rule's 1-based position in the gate.
	Index int
	// Rule is the gate rule.
	Rule configs.Rule
	// Why says what the config or the eval set lacks for it.
	Why string
}

// NotEvaluable lists the optional gate rules that the run would report
// not_evaluated, and why, as far as the config and the eval set tell
// before any call (required rules of that kind are refused by Prepare):
// no production model to compare with, no group column, groups too
// small, a boundary rule, task or label the config or set lacks.
func (p *Plan) NotEvaluable() ([]RuleNote, error) {
	values := func() (*setValues, error) { return p.values.get(false) }
	var notes []RuleNote
	for i, rule := range p.cfg.Gate {
		if !rule.Optional || reports.IsDriftMetric(rule.Metric) {
			continue
		}
		if why := reports.NeverEvaluated(p.cfg, rule.Metric); why != "" {
			notes = append(notes, RuleNote{i + 1, rule, why})
			continue
		}
		err := dataRuleProblem(p.cfg, i, rule, values, p.integrity)
		var rp *ruleProblem
		switch {
		case errors.As(err, &rp):
			notes = append(notes, RuleNote{i + 1, rule, rp.why})
		case err != nil:
			return nil, err
		}
	}
	return notes, nil
}

// SmallGroups lists, for each fairness column and intersection, the groups
// with fewer scored results than fairness.min_group_size, which every
// fairness figure leaves out, as "region: west has 12, east has 9 (of 30)";
// nil when there are none.
func (p *Plan) SmallGroups() ([]string, error) {
	if len(p.cfg.Fairness.Groups) == 0 {
		return nil, nil
	}
	v, err := p.values.get(true)
	if err != nil {
		return nil, err
	}
	reps := max(1, p.cfg.Run.Repeats)
	var out []string
	for _, col := range reports.FairnessColumns(p.cfg) {
		counts := v.groups[col]
		if counts == nil || v.overflow[col] {
			continue
		}
		var small []string
		for _, val := range slices.Sorted(maps.Keys(counts)) {
			if n := counts[val].n * reps; n < p.cfg.Fairness.MinGroupSize {
				small = append(small, fmt.Sprintf("%s has %d", val, n))
			}
		}
		if len(small) > 8 {
			small = append(small[:8], fmt.Sprintf("… %d more", len(small)-8))
		}
		if len(small) > 0 {
			out = append(out, fmt.Sprintf("%s: %s (of the %d scored results fairness.min_group_size asks for)", col, strings.Join(small, ", "), p.cfg.Fairness.MinGroupSize))
		}
	}
	return out, nil
}

// setValues are the task names of a set's items as the report names them
// ("(none)" for an item without one) and their expected answers
// normalized, as the label metrics name classes. Either is nil when it
// passed maxTasks distinct values: its checks are then left to the gate.
// groups counts, for each fairness column and intersection as the report
// names it, each group's scored items and their actual positives: the
// denominators of its rates, known before any call.
type setValues struct {
	tasks, labels map[string]bool
	groups        map[string]map[string]*groupCount
	overflow      map[string]bool
	// rows counts the set's items; shardRows those of the shard the
	// values were read for (0 without one).
	rows, shardRows int
}

// groupCount is one group's scored items (with a reference) and how many
// of them expect the positive label.
type groupCount struct{ n, positives int }

// fairnessRule reports whether metric is a rule on one fairness column or
// intersection of cfg (fairness.<column>.<name>…), and names both.
func fairnessRule(cfg *configs.Config, metric string) (column, name string, ok bool) {
	rest, ok := strings.CutPrefix(metric, "fairness.")
	if !ok {
		return "", "", false
	}
	for _, col := range reports.FairnessColumns(cfg) {
		if after, found := strings.CutPrefix(rest, col+"."); found {
			name, _, _ = strings.Cut(after, ".")
			return col, name, true
		}
	}
	return "", "", false
}

// neverCompared says why rule metric name of fairness column col can never
// compare two groups on this set, or "" when it can: fewer than two groups
// have min_group_size scored items and, for TPR, FNR and FPR, as many
// actual positives or negatives as fairness.min_rate_denominator. Failed
// calls count as wrong answers, so every item with a reference is scored.
func (v *setValues) neverCompared(cfg *configs.Config, col, name string) string {
	if v.groups == nil || v.overflow[col] {
		return ""
	}
	counts := v.groups[col]
	type need struct {
		what  string
		count func(groupCount) int
	}
	rows := need{"", func(g groupCount) int { return g.n }}
	positives := need{"actual positives", func(g groupCount) int { return g.positives }}
	negatives := need{"actual negatives", func(g groupCount) int { return g.n - g.positives }}
	var needs []need
	switch name {
	case "tpr", "fnr":
		needs = []need{positives}
	case "fpr":
		needs = []need{negatives}
	case "equalized_odds_difference":
		needs = []need{positives, negatives}
	default:
		needs = []need{rows}
	}
	reps := max(1, cfg.Run.Repeats)
	values := slices.Sorted(maps.Keys(counts))
	for _, nd := range needs {
		qualify := 0
		var shown []string
		for _, val := range values {
			g := *counts[val]
			g.n, g.positives = g.n*reps, g.positives*reps
			if g.n >= cfg.Fairness.MinGroupSize && (nd.what == "" || nd.count(g) >= cfg.Fairness.MinRateDenominator) {
				qualify++
			}
			if len(shown) < 8 {
				if nd.what == "" {
					shown = append(shown, fmt.Sprintf("%s has %d", val, g.n))
				} else {
					shown = append(shown, fmt.Sprintf("%s has %d of %d", val, nd.count(g), g.n))
				}
			}
		}
		if len(values) > len(shown) {
			shown = append(shown, fmt.Sprintf("… %d more", len(values)-len(shown)))
		}
		if qualify >= 2 {
			continue
		}
		if nd.what == "" {
			return fmt.Sprintf("%d of the %d groups of %s have at least %d scored results (fairness.min_group_size), and a gap needs two: %s",
				qualify, len(values), col, cfg.Fairness.MinGroupSize, strings.Join(shown, ", "))
		}
		return fmt.Sprintf("%d of the %d groups of %s have at least %d %s (label %q; fairness.min_rate_denominator) among at least %d scored results, and a gap needs two: %s",
			qualify, len(values), col, cfg.Fairness.MinRateDenominator, nd.what, cfg.Scoring.PositiveLabel, cfg.Fairness.MinGroupSize, strings.Join(shown, ", "))
	}
	return ""
}

// setValuesOnce reads a set's values (readSetValues) at most once for
// each need: a read that gathered the group columns serves every later
// call, one that did not serves later calls that do not want them.
type setValuesOnce struct {
	cfg    *configs.Config
	set    *datasets.Set
	shard  *Shard // counted in setValues.shardRows when not nil
	v      *setValues
	groups bool // v holds every fairness column's groups
}

// get returns the set's values, with every fairness column's group counts
// when groups is set. Errors are input errors.
func (o *setValuesOnce) get(groups bool) (*setValues, error) {
	if o.v == nil || (groups && !o.groups) {
		v, err := readSetValues(o.set, o.cfg, groups, o.shard)
		if err != nil {
			return nil, inputErr(err)
		}
		o.v, o.groups = v, groups || v.groups != nil
	}
	return o.v, nil
}

// readSetValues reads set's task and expected columns once, and the
// fairness group columns when a gate rule names one or allGroups is set;
// with shard, it counts the shard's items too.
func readSetValues(set *datasets.Set, cfg *configs.Config, allGroups bool, shard *Shard) (*setValues, error) {
	r, err := set.ItemColumns()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	v := &setValues{tasks: map[string]bool{}, labels: map[string]bool{}, overflow: map[string]bool{}}
	needGroups := allGroups || slices.ContainsFunc(cfg.Gate, func(rule configs.Rule) bool {
		_, _, ok := fairnessRule(cfg, rule.Metric)
		return ok
	})
	var specs [][]int // each fairness column's indexes into r.Extra
	if needGroups {
		r.Extra = cfg.Fairness.Groups
		v.groups = map[string]map[string]*groupCount{}
		for i := range cfg.Fairness.Groups {
			specs = append(specs, []int{i})
		}
		for _, combo := range cfg.Fairness.Intersections {
			var idx []int
			for _, c := range combo {
				idx = append(idx, slices.Index(cfg.Fairness.Groups, c))
			}
			specs = append(specs, idx)
		}
	}
	names := reports.FairnessColumns(cfg)
	positive := metrics.Normalize(cfg.Scoring.PositiveLabel)
	parts := make([]string, 0, 4)
	for r.Next() {
		cols := r.Columns()
		v.rows += cols.Len()
		if shard != nil {
			for _, id := range cols.ID {
				if shard.Has(id) {
					v.shardRows++
				}
			}
		}
		for i, t := range cols.Task {
			if v.tasks != nil {
				v.tasks[cmp.Or(t, "(none)")] = true
			}
			if e := cols.Expected[i]; e != "" && v.labels != nil {
				v.labels[metrics.Normalize(e)] = true
			}
			if v.groups == nil || (cols.Expected[i] == "" && len(cols.ExpectedAny[i]) == 0) {
				continue
			}
			isPositive := positive != "" && metrics.Normalize(cols.Expected[i]) == positive
			for s, idx := range specs {
				parts = parts[:0]
				for _, j := range idx {
					parts = append(parts, cmp.Or(cols.Extra[j][i], metrics.MissingGroup))
				}
				byValue := v.groups[names[s]]
				if byValue == nil {
					byValue = map[string]*groupCount{}
					v.groups[names[s]] = byValue
				}
				key := strings.Join(parts, metrics.IntersectionSep)
				g := byValue[key]
				if g == nil {
					if len(byValue) >= maxTasks {
						// Too many groups to keep: leave this
						// column's check to the gate.
						v.overflow[names[s]] = true
						continue
					}
					g = &groupCount{}
					byValue[key] = g
				}
				g.n++
				if isPositive {
					g.positives++
				}
			}
		}
		if len(v.tasks) > maxTasks {
			v.tasks = nil
		}
		if len(v.labels) > maxTasks {
			v.labels = nil
		}
	}
	return v, r.Err()
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// maxTasks bounds the task names (and labels) checkDataRules gathers.
const maxTasks = 10000

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// firstItem is set's first item; false when it has none or cannot be
// read.
func firstItem(set *datasets.Set) (records.Item, bool) {
	r, err := set.Reader()
	if err != nil {
		return records.Item{}, false
	}
	defer r.Close()
	if r.Scan() {
		return r.Item(), true
	}
	return records.Item{}, false
}

// extraHint lists, for a template that reads a field no row has, the
// item's other string columns (.Extra.<column>), suggesting the one that
// matches the field's name; "" for another error.
func extraHint(err error, item records.Item) string {
	var fe *eval.FieldError
	if !errors.As(err, &fe) {
		return ""
	}
	cols := slices.Sorted(maps.Keys(item.Extra))
	if len(cols) == 0 {
		return "; this set has no other string column"
	}
	hint := fmt.Sprintf("; this set's other string columns are %s", strings.Join(cols, ", "))
	for _, c := range cols {
		if strings.EqualFold(c, fe.Field) {
			hint += fmt.Sprintf(": did you mean {{.Extra.%s}}?", c)
			break
		}
	}
	return hint
}

// renderFirst checks the prompts on the set's first item (eval.Prompt.Check),
// so that a template that fails on real data (an .Extra column the set
// lacks, an index past a short context) fails now, naming the item,
// rather than on every call. --dry-run renders them all (Estimate).
func renderFirst(set *datasets.Set, prompt *eval.Prompt) error {
	r, err := set.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	if r.Scan() {
		item := r.Item()
		if err := prompt.Check(&item); err != nil {
			return err
		}
	}
	return r.Err()
}

// checkOut refuses an output directory (run.out or --out) that holds an
// input of the run, which a run would overwrite or mix its files with:
// by path (the input lies under it, symbolic links resolved), by
// identity (a directory on the input's path is the output directory, or
// a file in it is the input, as a hard or symbolic link).
func checkOut(cfg *configs.Config, extra []string) error {
	type input struct{ role, path string }
	inputs := []input{{"the eval set", cfg.DatasetPath()}, {"the config", cfg.Path}}
	if s := cfg.JSONSchemaPath(); s != "" {
		inputs = append(inputs, input{"boundaries.json_schema", s})
	}
	for _, p := range extra {
		inputs = append(inputs, input{"an input file", p})
	}
	out := cfg.Run.Out
	outAbs := resolvePath(out)
	outInfo, outErr := os.Stat(out)
	var entries []os.FileInfo
	if outErr == nil && outInfo.IsDir() {
		des, err := os.ReadDir(out)
		if err != nil {
			return inputErr(fmt.Errorf("read output directory %s: %w", out, err))
		}
		for _, de := range des {
			if fi, err := os.Stat(filepath.Join(out, de.Name())); err == nil && fi.Mode().IsRegular() {
				entries = append(entries, fi)
			}
		}
	}
	refuse := func(in input, why string) error {
		return inputErr(fmt.Errorf("output directory %s (run.out or --out) %s %s, %s of this run, which the run would overwrite or mix with its files; choose another output directory", out, why, in.path, in.role))
	}
	for _, in := range inputs {
		if in.path == "" || objstore.IsURL(in.path) {
			continue
		}
		inAbs := resolvePath(in.path)
		if rel, err := filepath.Rel(outAbs, inAbs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return refuse(in, "holds")
		}
		if outErr != nil {
			continue
		}
		for d := filepath.Dir(inAbs); ; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && os.SameFile(fi, outInfo) {
				return refuse(in, "holds")
			}
			if d == filepath.Dir(d) {
				break
			}
		}
		inInfo, err := os.Stat(in.path)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if os.SameFile(e, inInfo) {
				return refuse(in, fmt.Sprintf("has %s, the same file as", e.Name()))
			}
		}
	}
	return nil
}

// resolvePath is path made absolute, with symbolic links resolved as far
// as the path exists.
func resolvePath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	rest := ""
	for d := abs; ; d = filepath.Dir(d) {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			return filepath.Join(r, rest)
		}
		if d == filepath.Dir(d) {
			return abs
		}
		rest = filepath.Join(filepath.Base(d), rest)
	}
}

// Close releases the providers and the eval set.
func (p *Plan) Close() {
	p.set.Close()
	for _, pr := range []eval.Provider{p.candidate, p.production, p.judge} {
		if pr != nil {
			pr.Close()
		}
	}
}

// Dataset is the eval set the plan runs, as checked.
func (p *Plan) Dataset() datasets.Info { return p.info }

type roleModel struct {
	role string
	cfg  configs.Model
}

func models(cfg *configs.Config) []roleModel {
	ms := []roleModel{{"candidate", cfg.Candidate}}
	if cfg.Production != nil {
		ms = append(ms, roleModel{"production", *cfg.Production})
	}
	return ms
}

// openSet opens cfg's eval set once, hashing it, and checks the digest
// the config pins. An s3:// eval set is read through the object store
// configured by getenv's environment.
func openSet(cfg *configs.Config, getenv func(string) string) (*datasets.Set, datasets.Info, error) {
	var set *datasets.Set
	var err error
	if objstore.IsURL(cfg.Dataset.Path) {
		set, err = openObjectSet(cfg, getenv)
	} else {
		set, err = datasets.OpenSetColumns(cfg.DatasetPath(), cfg.Dataset.Columns)
	}
	if err != nil {
		return nil, datasets.Info{}, inputErr(err)
	}
	info := set.Info()
	if err := cfg.CheckDigest(info.SHA256); err != nil {
		set.Close()
		return nil, info, inputErr(err)
	}
	return set, info, nil
}

// Bulleted lists errs one per line, as "  - err".
func Bulleted(errs []error) string {
	var b bytes.Buffer
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %v\n", e)
	}
	return b.String()
}

// ModelEstimate is what one model's part of a run would send.
type ModelEstimate struct {
	Role  string
	Model configs.Model
	eval.Estimate
	// Cost is the most the calls would cost, in Model.Prices.Currency;
	// nil without prices.
	Cost *float64
	// Note says how the calls were counted when that is not items ×
	// repeats (the groundedness judge's); "" otherwise.
	Note string
}

// Estimate renders every prompt for every model (so that a template that
// fails on some row fails now, naming the row) and counts the calls and
// tokens, making no model call: run --dry-run. With a shard it renders and
// counts the shard's items only.
func (p *Plan) Estimate() ([]ModelEstimate, error) {
	var out []ModelEstimate
	for _, m := range models(p.cfg) {
		r, err := p.set.Reader()
		if err != nil {
			return nil, inputErr(err)
		}
		est, err := eval.EstimateRun(p.source(r), p.prompt, p.cfg.Run.Repeats, max(m.cfg.MaxTokens, m.cfg.MaxCompletionTokens))
		r.Close()
		if err != nil {
			return nil, inputErr(fmt.Errorf("%s: %w", p.cfg.Path, err))
		}
		me := ModelEstimate{Role: m.role, Model: m.cfg, Estimate: est}
		if pr := m.cfg.Prices; pr != nil {
			cost := float64(est.PromptTokens)*pr.InputPerMTok/1e6 + float64(est.CompletionTokens)*pr.OutputPerMTok/1e6
			me.Cost = &cost
		}
		out = append(out, me)
	}
	if judging(p.integrity) {
		me, err := p.estimateJudge()
		if err != nil {
			return nil, err
		}
		out = append(out, me)
	}
	return out, nil
}

// OpenCache opens the response cache as run.cache and run.cache_dir say:
// none for mode "off"; else in the directory CacheDir names, in the mode
// run.cache names. Without a directory it runs uncached, with a note to
// log. Entries it writes record this evalgate's version.
func OpenCache(run configs.Run, getenv func(string) string, log io.Writer) (*eval.Cache, error) {
	mode := run.Cache
	dir, err := CacheDir(run, getenv)
	switch {
	case err != nil:
		return nil, err
	case mode == configs.CacheOff:
		return nil, nil
	case dir == "":
		if log != nil {
			fmt.Fprintln(log, "no HOME or XDG_CACHE_HOME: running without the response cache")
		}
		return nil, nil
	}
	c, err := eval.NewCache(dir)
	if err != nil {
		return nil, err
	}
	if mode != "" {
		c.Mode = mode
	}
	c.Version = reports.Version
	return c, nil
}

// CacheDir is the response cache directory of run: run.cache_dir (with ~
// for the home directory), or by default evalgate under the user cache
// directory ($XDG_CACHE_HOME, else $HOME/.cache). It is "" when run.cache
// is "off" or no directory can be named (neither HOME nor XDG_CACHE_HOME
// set). getenv may be nil.
func CacheDir(run configs.Run, getenv func(string) string) (string, error) {
	dir := run.CacheDir
	if run.Cache == configs.CacheOff {
		return "", nil
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	home := getenv("HOME")
	if rest, ok := strings.CutPrefix(dir, "~/"); ok {
		if home == "" {
			return "", fmt.Errorf("run.cache_dir %q: HOME is not set", dir)
		}
		dir = filepath.Join(home, rest)
	}
	if dir == "" {
		switch {
		case getenv("XDG_CACHE_HOME") != "":
			dir = filepath.Join(getenv("XDG_CACHE_HOME"), "evalgate")
		case home != "":
			dir = filepath.Join(home, ".cache", "evalgate")
		}
	}
	return dir, nil
}
