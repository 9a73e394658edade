package metrics

import (
	"fmt"
	"math"
	"strings"

	"github.com/evalgate/evalgate/datasets"
)

// Tally accumulates scored results one at a time and yields the same
// Accuracy, fairness columns and Labels as ComputeAccuracy,
// ComputeGroupFairness and ComputeLabels(LabelPairs(…)) over the same
// results in the same order. It keeps only counts: per task, per scoring
// method, per group value (GroupCounts) and, when Labels is enabled, per
// (predicted, actual) label pair. Its memory grows with the number of
// distinct tasks, group values and label pairs, not with the number of
// results. (Free-text outputs under method label make every output its
// own predicted label; that is the one way the label counts can grow with
// the rows.)
//
// The zero Tally is not usable; call NewTally.
type Tally struct {
	opts    FairnessOptions
	specs   [][]string
	labels  bool
	results int

	unscored, samples int
	overall           count
	byMethod          map[string]*count
	byTask            map[string]*count
	f1Sum             float64

	groups []map[string]*GroupCounts
	pairs  map[LabelPair]int

	positive string
	memo     map[string]bool
	parts    []string
}

// count is k correct out of n.
type count struct{ k, n int }

// NewTally returns an empty tally that analyses fairness over each of
// columns and each of opts.Intersections, as ComputeGroupFairness does.
// With labels, it also counts label pairs for Labels.
func NewTally(columns []string, opts FairnessOptions, labels bool) *Tally {
	t := &Tally{
		opts: opts, labels: labels,
		byMethod: map[string]*count{}, byTask: map[string]*count{},
		positive: Normalize(opts.PositiveLabel), memo: map[string]bool{},
	}
	for _, c := range columns {
		t.specs = append(t.specs, []string{c})
	}
	t.specs = append(t.specs, opts.Intersections...)
	t.groups = make([]map[string]*GroupCounts, len(t.specs))
	for i := range t.groups {
		t.groups[i] = map[string]*GroupCounts{}
	}
	if labels {
		t.pairs = map[LabelPair]int{}
	}
	return t
}

// Results is the number of results added, scored or not.
func (t *Tally) Results() int { return t.results }

// Add counts one result. r is read, not kept.
func (t *Tally) Add(r *datasets.Result) {
	t.results++
	if t.labels && r.Expected != "" {
		p := LabelPair{Predicted: Normalize(r.Output), Actual: Normalize(r.Expected)}
		if r.Error != "" {
			p.Predicted = ErrorLabel
		}
		t.pairs[p]++
	}
	scored, correct := t.opts.judge(*r)
	if !scored {
		t.unscored++
		return
	}
	// Accuracy, as ComputeAccuracy.
	t.samples = max(t.samples, r.Sample+1)
	t.overall.n++
	task := r.Task
	if task == "" {
		task = "(none)"
	}
	tc := t.byTask[task]
	if tc == nil {
		tc = &count{}
		t.byTask[task] = tc
	}
	tc.n++
	if correct {
		t.overall.k++
		tc.k++
	}
	for m := range r.Scores {
		bm := t.byMethod[m]
		if bm == nil {
			bm = &count{}
			t.byMethod[m] = bm
		}
		bm.n++
		if Correct(r.Scores, m, t.opts.F1Threshold) {
			bm.k++
		}
	}
	t.f1Sum += r.Scores["f1"]

	// Fairness cells, as ComputeGroupFairness.
	if len(t.specs) == 0 {
		return
	}
	var predicted, actual bool
	if t.opts.PositiveLabel != "" {
		predicted = r.Error == "" && t.isPositive(r.Output)
		actual = t.isPositive(r.Expected)
	}
	cell := CellIndex(correct, predicted, actual)
	for i, spec := range t.specs {
		var v string
		if len(spec) == 1 {
			v = groupValue(*r, spec[0])
		} else {
			t.parts = t.parts[:0]
			for _, c := range spec {
				t.parts = append(t.parts, groupValue(*r, c))
			}
			v = strings.Join(t.parts, IntersectionSep)
		}
		g := t.groups[i][v]
		if g == nil {
			g = &GroupCounts{Value: v}
			t.groups[i][v] = g
		}
		g.Cells[cell]++
	}
}

// isPositive reports whether s normalizes to the positive label, with the
// same capped memo as ComputeGroupFairness.
func (t *Tally) isPositive(s string) bool {
	if v, ok := t.memo[s]; ok {
		return v
	}
	v := Normalize(s) == t.positive
	if len(t.memo) < 4096 {
		t.memo[s] = v
	}
	return v
}

// Accuracy is ComputeAccuracy over the results added.
func (t *Tally) Accuracy() Accuracy {
	opts := t.opts.Options
	a := Accuracy{Method: opts.Method, ByMethod: map[string]Proportion{}, MeanF1: math.NaN(), Warnings: Warnings{}, Unscored: t.unscored}
	a.Overall = NewProportion(t.overall.k, t.overall.n, opts.Level)
	for m, c := range t.byMethod {
		a.ByMethod[m] = NewProportion(c.k, c.n, opts.Level)
	}
	if t.overall.n > 0 {
		a.MeanF1 = t.f1Sum / float64(t.overall.n)
	} else {
		a.Warnings = append(a.Warnings, fmt.Errorf("no result could be scored: no item has an expected answer"))
	}
	for _, name := range sortedKeys(t.byTask) {
		c := t.byTask[name]
		a.ByTask = append(a.ByTask, Slice{Name: name, Accuracy: NewProportion(c.k, c.n, opts.Level)})
	}
	if t.samples > 1 {
		a.Warnings = append(a.Warnings, fmt.Errorf("%d samples per item: intervals treat samples as independent, so they are too narrow", t.samples))
	}
	return a
}

// Fairness is ComputeGroupFairness over the results added: one column per
// group column, then one per intersection. Its cost is that of
// FairnessFromCounts, independent of the number of results.
func (t *Tally) Fairness() []FairnessColumn {
	out := make([]FairnessColumn, 0, len(t.specs))
	for i, spec := range t.specs {
		groups := make([]GroupCounts, 0, len(t.groups[i]))
		for _, g := range t.groups[i] {
			groups = append(groups, *g)
		}
		out = append(out, FairnessFromCounts(spec, groups, t.opts))
	}
	return out
}

// Labels is ComputeLabels(LabelPairs(results), level) over the results
// added. It panics unless the tally was made with labels.
func (t *Tally) Labels() Labels {
	if t.pairs == nil {
		panic("metrics: Tally.Labels on a tally made without labels")
	}
	return LabelsFromCounts(t.pairs, t.opts.Level)
}
