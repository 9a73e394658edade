package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/records"
)

// Tally accumulates scored results one at a time and yields the
// Accuracy, fairness columns and Labels of ComputeAccuracy,
// ComputeGroupFairness and ComputeLabels(LabelPairs(…)), which are thin
// wrappers over it. Its state, and so every value it reports, does not
// depend on the order results are added in (the sum of token F1 is exact,
// see exactSum), and Merge combines tallies of disjoint parts of a set
// into the tally of the whole. It keeps only counts: per task, per scoring
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
	f1Sum             exactSum

	groups []map[string]*GroupCounts
	pairs  map[LabelPair]int

	// Caches in front of byMethod, byTask and groups: the counts of
	// ScoreAll's methods, and a linear scan of a few entries, whose keys
	// are usually the very strings (same pointer) the reader interned,
	// which costs less than hashing.
	methods    [len(scoreMethods)]*count
	taskCache  []countSlot
	groupCache [][]groupSlot

	positive string
	memo     map[string]bool
	parts    []string
}

// count is k correct out of n.
type count struct{ k, n int }

// countSlot and groupSlot are entries of Tally's caches.
type countSlot struct {
	key string
	c   *count
}

type groupSlot struct {
	value string
	g     *GroupCounts
}

// maxCached is the number of entries of each of Tally's caches; further
// keys are looked up in the maps alone.
const maxCached = 16

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
	t.groupCache = make([][]groupSlot, len(t.specs))
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
func (t *Tally) Add(r *records.Result) {
	t.results++
	if t.labels && r.Expected != "" {
		p := LabelPair{Predicted: Normalize(r.Output), Actual: Normalize(r.Expected)}
		if r.Error != "" {
			p.Predicted = ErrorLabel
		}
		t.pairs[p]++
	}
	if r.Scores == nil {
		t.unscored++
		return
	}
	// Correctness under each method (as Correct decides it) and under the
	// configured one (as judge does). The methods ScoreAll writes are
	// looked up by name, which costs less than ranging over the map; any
	// other score name is found by ranging.
	method := t.opts.Method
	if method == "label" {
		method = "normalized"
	}
	correct, found, f1 := false, 0, 0.0
	for i, m := range scoreMethods {
		s, ok := r.Scores[m]
		if !ok {
			continue
		}
		found++
		if m == "f1" {
			ok, f1 = s >= t.opts.F1Threshold, s
		} else {
			ok = s == 1
		}
		if m == method {
			correct = ok
		}
		t.countMethod(i, m, ok)
	}
	if found < len(r.Scores) {
		for m := range r.Scores {
			if slices.Contains(scoreMethods[:], m) {
				continue
			}
			ok := Correct(r.Scores, m, t.opts.F1Threshold)
			if m == method {
				correct = ok
			}
			t.countMethod(-1, m, ok)
		}
	}
	// Accuracy, as ComputeAccuracy.
	t.samples = max(t.samples, r.Sample+1)
	t.overall.n++
	task := r.Task
	if task == "" {
		task = "(none)"
	}
	tc := t.taskCount(task)
	tc.n++
	if correct {
		t.overall.k++
		tc.k++
	}
	t.f1Sum.Add(f1)

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
		t.groupCounts(i, v).Cells[cell]++
	}
}

// scoreMethods are the methods ScoreAll scores, in a fixed order.
var scoreMethods = [...]string{"exact", "normalized", "contains", "f1"}

// countMethod counts one result under method m (scoreMethods[i], or
// another name when i is -1), correct or not.
func (t *Tally) countMethod(i int, m string, ok bool) {
	var c *count
	if i >= 0 {
		if c = t.methods[i]; c == nil {
			c = t.methodCount(m)
			t.methods[i] = c
		}
	} else {
		c = t.methodCount(m)
	}
	c.n++
	if ok {
		c.k++
	}
}

// methodCount returns the count of scoring method m, creating it.
func (t *Tally) methodCount(m string) *count {
	c := t.byMethod[m]
	if c == nil {
		c = &count{}
		t.byMethod[m] = c
	}
	return c
}

// taskCount returns the count of task, creating it.
func (t *Tally) taskCount(task string) *count {
	for _, s := range t.taskCache {
		if s.key == task {
			return s.c
		}
	}
	c := t.byTask[task]
	if c == nil {
		c = &count{}
		t.byTask[task] = c
	}
	if len(t.taskCache) < maxCached {
		t.taskCache = append(t.taskCache, countSlot{task, c})
	}
	return c
}

// groupCounts returns the counts of group value v of spec i, creating them.
func (t *Tally) groupCounts(i int, v string) *GroupCounts {
	cache := t.groupCache[i]
	for _, s := range cache {
		if s.value == v {
			return s.g
		}
	}
	g := t.groups[i][v]
	if g == nil {
		g = &GroupCounts{Value: v}
		t.groups[i][v] = g
	}
	if len(cache) < maxCached {
		t.groupCache[i] = append(cache, groupSlot{v, g})
	}
	return g
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

// ErrMergeMismatch is wrapped by the error of a Merge of two tallies
// made with different options: their sum would mean nothing.
var ErrMergeMismatch = errors.New("tallies were made with different options")

// Merge adds to t everything o has counted, as if every result added to o
// had been added to t; o is not changed. Afterwards t's Accuracy, Fairness
// and Labels equal, bit for bit and bootstrap intervals included, those of
// one tally given the results of both in any order, so a set split into
// shards (by item id, or any other way: every count is per result) can be
// tallied apart and merged in any order and grouping.
//
// Both tallies must have been made by NewTally with the same columns,
// options (FairnessOptions, seed and resamples included; Resamples 0 and
// DefaultResamples are the same) and labels flag; otherwise Merge changes
// nothing and returns an error wrapping ErrMergeMismatch. Merging a tally
// into itself is an error too.
func (t *Tally) Merge(o *Tally) error {
	if err := t.mergeable(o); err != nil {
		return fmt.Errorf("merge tally: %w", err)
	}
	t.results += o.results
	t.unscored += o.unscored
	t.samples = max(t.samples, o.samples)
	t.overall.k += o.overall.k
	t.overall.n += o.overall.n
	for m, c := range o.byMethod {
		d := t.methodCount(m)
		d.k, d.n = d.k+c.k, d.n+c.n
	}
	for task, c := range o.byTask {
		d := t.taskCount(task)
		d.k, d.n = d.k+c.k, d.n+c.n
	}
	t.f1Sum.Merge(&o.f1Sum)
	for i, groups := range o.groups {
		for v, g := range groups {
			d := t.groupCounts(i, v)
			for j, n := range g.Cells {
				d.Cells[j] += n
			}
		}
	}
	for p, n := range o.pairs {
		t.pairs[p] += n
	}
	return nil
}

// mergeable returns why o cannot be merged into t, or nil.
func (t *Tally) mergeable(o *Tally) error {
	switch {
	case o == t:
		return errors.New("a tally cannot be merged into itself")
	case t.opts.Options.normal() != o.opts.Options.normal():
		return fmt.Errorf("%w: options %+v and %+v", ErrMergeMismatch, t.opts.Options, o.opts.Options)
	case t.opts.PositiveLabel != o.opts.PositiveLabel:
		return fmt.Errorf("%w: positive label %q and %q", ErrMergeMismatch, t.opts.PositiveLabel, o.opts.PositiveLabel)
	case !slices.EqualFunc(t.specs, o.specs, slices.Equal[[]string]):
		return fmt.Errorf("%w: group columns and intersections %q and %q", ErrMergeMismatch, t.specs, o.specs)
	case t.labels != o.labels:
		return fmt.Errorf("%w: one counts label pairs and the other does not", ErrMergeMismatch)
	}
	return nil
}

// normal is o with Resamples 0 read as the number it means, so that two
// options that compute the same compare equal.
func (o Options) normal() Options {
	o.Resamples = o.resamples()
	return o
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
		a.MeanF1 = t.f1Sum.Sum() / float64(t.overall.n)
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
