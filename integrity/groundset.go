package integrity

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/metrics"
)

// GroundedAnswer is one answer's groundedness check with what identifies
// it: the input of ComputeGroundedness.
type GroundedAnswer struct {
	// ID is the item's id and Sample its 0-based repeat index.
	ID     string
	Sample int
	// Row is the item's 0-based row in the eval set (records.Item.Row). It
	// is not reported; it orders answers that would otherwise tie (the
	// same id and sample) and picks the first error reported, so that
	// tallies of parts of a set merge into the tally of the whole.
	Row int64
	// Task is the item's task; empty when it has none.
	Task string
	// Groups maps each fairness group column to the item's value; a
	// missing or empty value is counted under MissingGroup.
	Groups map[string]string
	// Grounding is the result of Grounder.Ground or GroundingFromVerdicts.
	Grounding Grounding
	// Error, when not empty, says why the answer could not be checked (for
	// example "judge error: …" or a failed model call). Such an answer is
	// left out of every rate and counted in Groundedness.Errors.
	Error string
}

// GroundednessSlice is the groundedness of one subset of answers: a task,
// or one value of a group column.
type GroundednessSlice struct {
	// Name is the task or group value ("(none)" for no task, MissingGroup
	// for no group value).
	Name string `json:"name"`
	// Rate is the share of checked answers that are grounded (no
	// unsupported claim; abstentions included), with its Wilson interval.
	Rate metrics.Proportion `json:"rate"`
	// Abstained counts the grounded answers that abstained; Hallucinated
	// the checked answers with at least one unsupported claim.
	Abstained    int `json:"abstained"`
	Hallucinated int `json:"hallucinated"`
}

// GroundednessColumn breaks groundedness down by the values of one group
// column, sorted by value.
type GroundednessColumn struct {
	// Column is the group column's name.
	Column string `json:"column"`
	// Groups holds one slice per value of the column.
	Groups []GroundednessSlice `json:"groups"`
}

// HallucinatedAnswer is the evidence for one answer found hallucinated.
type HallucinatedAnswer struct {
	// ID, Sample and Task identify the answer, as in GroundedAnswer.
	ID     string `json:"id"`
	Sample int    `json:"sample"`
	Task   string `json:"task"`
	// Score is the answer's hallucination score in [0, 1].
	Score float64 `json:"hallucination_score"`
	// SupportedFraction is the share of its claims that are supported, in
	// [0, 1].
	SupportedFraction float64 `json:"supported_fraction"`
	// Unsupported are its unsupported claims, with their evidence.
	Unsupported []Claim `json:"unsupported"`
}

// Groundedness summarises how often answers stayed within their context.
type Groundedness struct {
	// Method is the method of the checks (GroundLexical or GroundJudge,
	// GroundHybrid for method hybrid); "mixed" when answers were checked with more than one, and empty when
	// none was checked.
	Method string `json:"method"`
	// Rate is grounded answers over checked answers, in [0, 1], with its
	// Wilson interval; NaN (null) when no answer was checked. An answer is
	// grounded when none of its claims is unsupported; an answer that
	// abstains, or has no checkable claim, is grounded.
	Rate metrics.Proportion `json:"rate"`
	// Abstained counts the checked answers that abstained (they are in
	// Rate.K); NoClaims the checked answers with no checkable claim (also
	// in Rate.K); Errors the answers that could not be checked (left out
	// of Rate).
	Abstained int `json:"abstained"`
	NoClaims  int `json:"no_claims"`
	Errors    int `json:"errors"`
	// ByTask breaks Rate down by task, sorted by task name; answers with
	// no task are under "(none)".
	ByTask []GroundednessSlice `json:"by_task"`
	// ByGroup breaks Rate down by each group column, in the order asked
	// for.
	ByGroup []GroundednessColumn `json:"by_group"`
	// Hallucinated lists the hallucinated answers, highest Score first
	// (ties by ID, then Sample).
	Hallucinated []HallucinatedAnswer `json:"hallucinated"`
	// Warnings are caveats about these numbers.
	Warnings metrics.Warnings `json:"warnings"`
	// Judge is what the judge did (methods judge and hybrid): the answers
	// escalated, the calls, errors, tokens and cost; nil for lexical.
	Judge *JudgeUse `json:"judge,omitempty"`
	// Calibration is, for each task of ByTask that has one, what the
	// lexical detector's verdicts are expected to mean: its calibrated
	// threshold, precision and recall on a labelled benchmark, and where
	// they come from. Nil for method judge.
	Calibration []TaskCalibration `json:"calibration,omitempty"`
}

// groundTally counts one subset.
type groundTally struct{ grounded, checked, abstained, hallucinated int }

func (t *groundTally) add(g Grounding) {
	t.checked++
	if g.Hallucinated {
		t.hallucinated++
		return
	}
	t.grounded++
	if g.Abstained {
		t.abstained++
	}
}

func (t groundTally) slice(name string, level float64) GroundednessSlice {
	return GroundednessSlice{Name: name, Rate: metrics.NewProportion(t.grounded, t.checked, level), Abstained: t.abstained, Hallucinated: t.hallucinated}
}

// ComputeGroundedness summarises per-answer groundedness checks: the
// groundedness rate with its Wilson interval at level (for example 0.95),
// overall, per task and per value of each of groups, the abstentions, and
// the hallucinated answers with their unsupported claims.
func ComputeGroundedness(answers []GroundedAnswer, groups []string, level float64) Groundedness {
	t := NewGroundednessTally(groups, level)
	for _, a := range answers {
		t.Add(a)
	}
	return t.Result()
}

// GroundednessTally is ComputeGroundedness one answer at a time: it keeps
// counts per task and group value and the hallucinated answers only, so
// its memory does not grow with the grounded answers. Its Result does not
// depend on the order answers are added in, and Merge combines tallies of
// parts of a set into the tally of the whole.
type GroundednessTally struct {
	groups     []string
	level      float64
	all        groundTally
	byTask     map[string]*groundTally
	byGroup    []map[string]*groundTally
	methods    map[string]bool
	samples    int
	answers    int
	errors     int
	noClaims   int
	firstError groundError
	halluc     []keptHalluc
}

// groundError is the error a Groundedness warning quotes: the one of the
// answer with the lowest (row, sample), then the lowest message.
type groundError struct {
	row    int64
	sample int
	err    string
}

// before reports whether e comes before f.
func (e groundError) before(f groundError) bool {
	return cmp.Or(cmp.Compare(e.row, f.row), cmp.Compare(e.sample, f.sample), strings.Compare(e.err, f.err)) < 0
}

// keptHalluc is a hallucinated answer with its eval-set row, which
// orders answers with the same score, id and sample.
type keptHalluc struct {
	row int64
	HallucinatedAnswer
}

// NewGroundednessTally returns an empty tally over the group columns
// groups, with intervals at level.
func NewGroundednessTally(groups []string, level float64) *GroundednessTally {
	t := &GroundednessTally{groups: groups, level: level, byTask: map[string]*groundTally{},
		byGroup: make([]map[string]*groundTally, len(groups)), methods: map[string]bool{}}
	for i := range t.byGroup {
		t.byGroup[i] = map[string]*groundTally{}
	}
	return t
}

// Add counts one answer; a is not kept unless it is hallucinated.
func (t *GroundednessTally) Add(a GroundedAnswer) {
	t.answers++
	if a.Error != "" {
		if e := (groundError{a.Row, a.Sample, a.Error}); t.errors == 0 || e.before(t.firstError) {
			t.firstError = e
		}
		t.errors++
		return
	}
	g := a.Grounding
	t.methods[g.Method] = true
	t.samples = max(t.samples, a.Sample+1)
	t.all.add(g)
	if len(g.Claims) == 0 {
		t.noClaims++
	}
	task := a.Task
	if task == "" {
		task = "(none)"
	}
	groundTallyOf(t.byTask, task).add(g)
	for i, col := range t.groups {
		v := a.Groups[col]
		if v == "" {
			v = metrics.MissingGroup
		}
		groundTallyOf(t.byGroup[i], v).add(g)
	}
	if g.Hallucinated {
		t.halluc = append(t.halluc, keptHalluc{a.Row, HallucinatedAnswer{
			ID: a.ID, Sample: a.Sample, Task: a.Task, Score: g.Score,
			SupportedFraction: g.SupportedFraction, Unsupported: g.Unsupported(),
		}})
	}
}

// Result summarises the answers added so far.
func (t *GroundednessTally) Result() Groundedness {
	level := t.level
	out := Groundedness{Warnings: metrics.Warnings{}, ByTask: []GroundednessSlice{}, ByGroup: []GroundednessColumn{},
		Hallucinated: make([]HallucinatedAnswer, 0, len(t.halluc)), Errors: t.errors, NoClaims: t.noClaims}
	all := t.all
	out.Rate = metrics.NewProportion(all.grounded, all.checked, level)
	out.Abstained = all.abstained
	for _, name := range slices.Sorted(maps.Keys(t.byTask)) {
		out.ByTask = append(out.ByTask, t.byTask[name].slice(name, level))
	}
	for i, col := range t.groups {
		c := GroundednessColumn{Column: col, Groups: []GroundednessSlice{}}
		for _, v := range slices.Sorted(maps.Keys(t.byGroup[i])) {
			c.Groups = append(c.Groups, t.byGroup[i][v].slice(v, level))
		}
		out.ByGroup = append(out.ByGroup, c)
	}
	kept := slices.Clone(t.halluc)
	slices.SortStableFunc(kept, func(a, b keptHalluc) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.ID, b.ID), cmp.Compare(a.Sample, b.Sample), cmp.Compare(a.row, b.row))
	})
	for _, k := range kept {
		out.Hallucinated = append(out.Hallucinated, k.HallucinatedAnswer)
	}
	switch names := slices.Sorted(maps.Keys(t.methods)); len(names) {
	case 0:
	case 1:
		out.Method = names[0]
	default:
		out.Method = "mixed"
		out.Warnings = append(out.Warnings, fmt.Errorf("answers were checked with different methods (%v): the rates mix them", names))
	}

	if all.checked == 0 {
		out.Warnings = append(out.Warnings, fmt.Errorf("no answer could be checked: groundedness is undefined"))
	}
	if out.Errors > 0 {
		out.Warnings = append(out.Warnings, fmt.Errorf("%d of %d answers could not be checked and are left out of the rates (first: %s)", out.Errors, t.answers, t.firstError.err))
	}
	if out.Abstained > 0 {
		out.Warnings = append(out.Warnings, fmt.Errorf("%d of %d grounded answers abstained: abstaining is grounded, so read this rate beside accuracy", out.Abstained, all.grounded))
	}
	if out.NoClaims > 0 {
		out.Warnings = append(out.Warnings, fmt.Errorf("%d answers had no checkable claim (empty or no content words) and count as grounded", out.NoClaims))
	}
	if t.samples > 1 {
		out.Warnings = append(out.Warnings, fmt.Errorf("%d samples per item: intervals treat samples as independent, so they are too narrow", t.samples))
	}
	return out
}

// Merge adds to t every answer o has counted; o is not changed.
// Afterwards t's Result equals, bit for bit, that of one tally given the
// answers of both in any order, provided each answer's Row is set (as
// Checker sets it): rows order the hallucinated answers that share a
// score, id and sample, and pick the error the warning quotes. The parts
// may be split any way, by item id or otherwise.
//
// Both tallies must have been made by NewGroundednessTally with the same
// groups and level; otherwise Merge changes nothing and returns an error
// wrapping metrics.ErrMergeMismatch. Merging a tally into itself is an
// error too.
func (t *GroundednessTally) Merge(o *GroundednessTally) error {
	switch {
	case o == t:
		return errors.New("merge groundedness tally: a tally cannot be merged into itself")
	case t.level != o.level || !slices.Equal(t.groups, o.groups):
		return fmt.Errorf("merge groundedness tally: %w: groups %q at level %v and %q at level %v", metrics.ErrMergeMismatch, t.groups, t.level, o.groups, o.level)
	}
	t.all.merge(o.all)
	for task, c := range o.byTask {
		groundTallyOf(t.byTask, task).merge(*c)
	}
	for i, groups := range o.byGroup {
		for v, c := range groups {
			groundTallyOf(t.byGroup[i], v).merge(*c)
		}
	}
	for m := range o.methods {
		t.methods[m] = true
	}
	t.samples = max(t.samples, o.samples)
	t.answers += o.answers
	if o.errors > 0 && (t.errors == 0 || o.firstError.before(t.firstError)) {
		t.firstError = o.firstError
	}
	t.errors += o.errors
	t.noClaims += o.noClaims
	t.halluc = append(t.halluc, o.halluc...)
	return nil
}

func (t *groundTally) merge(o groundTally) {
	t.grounded += o.grounded
	t.checked += o.checked
	t.abstained += o.abstained
	t.hallucinated += o.hallucinated
}

func groundTallyOf(m map[string]*groundTally, key string) *groundTally {
	t := m[key]
	if t == nil {
		t = &groundTally{}
		m[key] = t
	}
	return t
}
