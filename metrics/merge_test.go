package metrics

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/internal/mergetest"
	"github.com/evalgate/evalgate/records"
)

// mergeResults are tallyResults with token F1s that are arbitrary floats,
// so that a float sum that depends on the order of its terms shows, and
// with a few score maps carrying other methods.
func mergeResults(n int, seed uint64) []records.Result {
	results := tallyResults(n, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for i := range results {
		r := &results[i]
		if r.Scores == nil {
			continue
		}
		r.Scores["f1"] = rng.Float64()
		if i%11 == 0 {
			r.Scores["custom"] = 1
		}
		if i%13 == 0 {
			r.Task = fmt.Sprintf("t%d", i%29) // more tasks than Tally caches
		}
	}
	return results
}

func resultIDs(results []records.Result) []string {
	ids := make([]string, len(results))
	for i, r := range results {
		ids[i] = r.ID
	}
	return ids
}

// tallyOutputs are everything a Tally reports.
type tallyOutputs struct {
	Accuracy Accuracy
	Fairness []FairnessColumn
	Labels   Labels
	Results  int
}

func TestTallyMerge(t *testing.T) {
	base := Options{Level: 0.95, MinGroupSize: 10, Seed: 7, Resamples: 100, F1Threshold: 0.5}
	for _, tc := range []struct {
		name    string
		n       int
		method  string
		columns []string
		opts    FairnessOptions
	}{
		{name: "empty", n: 0, method: "exact", columns: []string{"g1"}},
		{name: "one result", n: 1, method: "normalized", columns: []string{"g1"}},
		{name: "f1 with intersection", n: 700, method: "f1", columns: []string{"g1", "g2"}, opts: FairnessOptions{Intersections: [][]string{{"g1", "g2"}}}},
		{name: "label with positive class", n: 900, method: "label", columns: []string{"g1", "g2"}, opts: FairnessOptions{PositiveLabel: "yes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := mergeResults(tc.n, 42)
			opts := tc.opts
			opts.Options = base
			opts.Method = tc.method
			build := func(units []int) *Tally {
				tally := NewTally(tc.columns, opts, true)
				for _, i := range units {
					tally.Add(&results[i])
				}
				return tally
			}
			read := func(t *Tally) any {
				return tallyOutputs{t.Accuracy(), t.Fairness(), t.Labels(), t.Results()}
			}
			for _, bad := range mergetest.Mismatches(resultIDs(results), build, (*Tally).Merge, read) {
				t.Error(bad)
			}
			// The batch functions are the one pass.
			want := read(build(mergetest.All(len(results)))).(tallyOutputs)
			if got := ComputeAccuracy(results, opts.Options); !mergetest.EqualNaN(got, want.Accuracy) {
				t.Errorf("ComputeAccuracy = %+v, want %+v", got, want.Accuracy)
			}
			if got := ComputeGroupFairness(results, tc.columns, opts); !mergetest.EqualNaN(got, want.Fairness) {
				t.Errorf("ComputeGroupFairness = %+v, want %+v", got, want.Fairness)
			}
		})
	}
}

// TestMergeCanFail checks that the merge tests notice a Merge that loses
// something: each broken merge drops one part of the state.
func TestMergeCanFail(t *testing.T) {
	results := mergeResults(600, 3)
	opts := FairnessOptions{Options: Options{Method: "label", Level: 0.95, MinGroupSize: 5, Seed: 1, Resamples: 50, F1Threshold: 0.5}, PositiveLabel: "yes"}
	build := func(units []int) *Tally {
		tally := NewTally([]string{"g1", "g2"}, opts, true)
		for _, i := range units {
			tally.Add(&results[i])
		}
		return tally
	}
	read := func(t *Tally) any { return tallyOutputs{t.Accuracy(), t.Fairness(), t.Labels(), t.Results()} }
	pairs := mergePairs(400, 5)
	pairBuild := func(units []int) *PairTally { return pairTally(pairs, []string{"g1"}, opts.Options, units) }
	pairRead := func(t *PairTally) any { return pairOutputs{t.Regression(), t.Pairs()} }
	reps := repeatResults(200, 4)
	repBuild := func(units []int) *RepeatsTally {
		t := NewRepeatsTally(opts.Options)
		for _, i := range units {
			t.Add(&reps[i])
		}
		return t
	}
	repRead := func(t *RepeatsTally) any { return t.Repeats() }
	for _, tc := range []struct {
		name string
		bad  func() []string
	}{
		{"tally: unscored dropped", func() []string {
			return mergetest.Mismatches(resultIDs(results), build, func(a, b *Tally) error {
				u := a.unscored
				err := a.Merge(b)
				a.unscored = u
				return err
			}, read)
		}},
		{"tally: f1 summed as a float", func() []string {
			return mergetest.Mismatches(resultIDs(results), build, func(a, b *Tally) error {
				s := a.f1Sum.Sum() + b.f1Sum.Sum()
				err := a.Merge(b)
				a.f1Sum = exactSum{partials: []float64{s}}
				return err
			}, read)
		}},
		{"tally: samples summed", func() []string {
			return mergetest.Mismatches(resultIDs(results), build, func(a, b *Tally) error {
				s := a.samples + b.samples
				err := a.Merge(b)
				a.samples = s
				return err
			}, read)
		}},
		{"tally: label pairs dropped", func() []string {
			return mergetest.Mismatches(resultIDs(results), build, func(a, b *Tally) error {
				b2 := *b
				b2.pairs = nil
				return a.Merge(&b2)
			}, read)
		}},
		{"tally: one fairness cell dropped", func() []string {
			return mergetest.Mismatches(resultIDs(results), build, func(a, b *Tally) error {
				err := a.Merge(b)
				for _, g := range a.groups[1] {
					g.Cells[7] = 0
				}
				return err
			}, read)
		}},
		{"pairs: flips dropped", func() []string {
			return mergetest.Mismatches(pairIDs(pairs), pairBuild, func(a, b *PairTally) error {
				b2 := *b
				b2.r2w = nil
				return a.Merge(&b2)
			}, pairRead)
		}},
		{"pairs: unpaired dropped", func() []string {
			return mergetest.Mismatches(pairIDs(pairs), pairBuild, func(a, b *PairTally) error {
				b2 := *b
				b2.unpaired = 0
				return a.Merge(&b2)
			}, pairRead)
		}},
		{"repeats: answers of a split item dropped", func() []string {
			return mergetest.Mismatches(resultIDs(reps), repBuild, func(a, b *RepeatsTally) error {
				b2 := &RepeatsTally{opts: b.opts, items: map[string]*repeatItem{}, unscored: b.unscored}
				for id, it := range b.items {
					if ai := a.items[id]; ai != nil {
						ai.n, ai.correct = ai.n+it.n, ai.correct+it.correct
						continue
					}
					b2.items[id] = it
				}
				return a.Merge(b2)
			}, repRead)
		}},
		{"repeats: unscored dropped", func() []string {
			return mergetest.Mismatches(resultIDs(reps), repBuild, func(a, b *RepeatsTally) error {
				u := a.unscored
				err := a.Merge(b)
				a.unscored = u
				return err
			}, repRead)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.bad()) == 0 {
				t.Error("a broken merge passed the merge test")
			}
		})
	}
}

// pairUnit is one candidate result and its baseline partner; either is nil
// for a result without a partner.
type pairUnit struct{ c, b *records.Result }

// mergePairs draws a candidate's and a baseline's results on the same
// items, with some results missing on either side.
func mergePairs(n int, seed uint64) []pairUnit {
	cand, base := tallyResults(n, seed), tallyResults(n, seed+100)
	var units []pairUnit
	for i := range cand {
		u := pairUnit{&cand[i], &base[i]}
		switch i % 17 {
		case 3:
			u.b = nil
		case 9:
			u.c = nil
		}
		if i%5 == 0 && u.c != nil {
			u.c.Groups["g1"] = "" // the baseline's value is used
		}
		units = append(units, u)
	}
	return units
}

func pairIDs(units []pairUnit) []string {
	ids := make([]string, len(units))
	for i, u := range units {
		if u.c != nil {
			ids[i] = u.c.ID
		} else {
			ids[i] = u.b.ID
		}
	}
	return ids
}

func pairTally(units []pairUnit, columns []string, opts Options, idx []int) *PairTally {
	t := NewPairTally(columns, opts)
	for _, i := range idx {
		if u := units[i]; u.c != nil && u.b != nil {
			t.Add(u.c, u.b)
		} else {
			t.AddUnpaired(1)
		}
	}
	return t
}

// pairOutputs are everything a PairTally reports.
type pairOutputs struct {
	Regression Regression
	Pairs      int
}

func TestPairTallyMerge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		columns []string
		opts    Options
	}{
		{"empty", 0, []string{"g1"}, Options{Method: "exact", Level: 0.95, Seed: 1, Resamples: 100}},
		{"no groups", 300, nil, Options{Method: "normalized", Level: 0.9, Seed: 2, Resamples: 100}},
		{"two group columns", 800, []string{"g1", "g2"}, Options{Method: "contains", Level: 0.95, MinGroupSize: 30, Seed: 3, Resamples: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			units := mergePairs(tc.n, 9)
			build := func(idx []int) *PairTally { return pairTally(units, tc.columns, tc.opts, idx) }
			read := func(t *PairTally) any { return pairOutputs{t.Regression(), t.Pairs()} }
			for _, bad := range mergetest.Mismatches(pairIDs(units), build, (*PairTally).Merge, read) {
				t.Error(bad)
			}
			// CompareByGroup is the one pass.
			var cand, base []records.Result
			for _, u := range units {
				if u.c != nil {
					cand = append(cand, *u.c)
				}
				if u.b != nil {
					base = append(base, *u.b)
				}
			}
			if got, want := CompareByGroup(cand, base, tc.columns, tc.opts), build(mergetest.All(len(units))).Regression(); !mergetest.EqualNaN(got, want) {
				t.Errorf("CompareByGroup = %+v, want %+v", got, want)
			}
		})
	}
}

// repeatResults draws items with 1 to 5 samples each, answers that agree
// more or less, failed calls and unscored results, in item order.
func repeatResults(items int, seed uint64) []records.Result {
	rng := rand.New(rand.NewPCG(seed, 3))
	answers := []string{"Paris", "paris.", "Lyon", "the Paris", "Nice"}
	var out []records.Result
	for i := range items {
		k := 1 + rng.IntN(5)
		for s := range k {
			r := records.Result{ID: fmt.Sprintf("item-%03d", i), Sample: s, Output: answers[rng.IntN(1+i%len(answers))]}
			switch rng.IntN(15) {
			case 0:
				r.Output, r.Error = "", "timeout"
			case 1:
				out = append(out, r) // unscored
				continue
			}
			r.Scores = ScoreAll(r.Output, []string{"Paris"})
			out = append(out, r)
		}
	}
	return out
}

func TestRepeatsTallyMerge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items int
		opts  Options
	}{
		{"empty", 0, Options{Method: "exact", Level: 0.95}},
		{"one item", 1, Options{Method: "normalized", Level: 0.95}},
		{"many items", 400, Options{Method: "normalized", Level: 0.95}},
		{"contains", 300, Options{Method: "contains", Level: 0.9}},
		// Under exact, "Paris" is right and "paris." wrong though both
		// normalize to one answer: its lowest sample decides.
		{"exact", 400, Options{Method: "exact", Level: 0.95}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := repeatResults(tc.items, 11)
			build := func(idx []int) *RepeatsTally {
				t := NewRepeatsTally(tc.opts)
				for _, i := range idx {
					t.Add(&results[i])
				}
				return t
			}
			read := func(t *RepeatsTally) any { return t.Repeats() }
			for _, bad := range mergetest.Mismatches(resultIDs(results), build, (*RepeatsTally).Merge, read) {
				t.Error(bad)
			}
			if got, want := ComputeRepeats(results, tc.opts), read(build(mergetest.All(len(results)))); !mergetest.EqualNaN(got, want) {
				t.Errorf("ComputeRepeats = %+v, want %+v", got, want)
			}
		})
	}
}

// TestRepeatsReadTwice checks that reading a tally leaves it as it was.
func TestRepeatsReadTwice(t *testing.T) {
	results := repeatResults(200, 5)
	tally := NewRepeatsTally(Options{Method: "normalized", Level: 0.95})
	for i := range results {
		tally.Add(&results[i])
	}
	first := tally.Repeats()
	if second := tally.Repeats(); !mergetest.EqualNaN(second, first) {
		t.Errorf("second read = %+v, want %+v", second, first)
	}
}

func TestMergeMismatch(t *testing.T) {
	o := Options{Method: "exact", Level: 0.95, Seed: 1}
	fo := FairnessOptions{Options: o}
	other := func(f func(*Options)) Options { c := o; f(&c); return c }
	self := NewTally(nil, fo, false)
	selfPairs := NewPairTally(nil, o)
	selfReps := NewRepeatsTally(o)
	for _, tc := range []struct {
		name string
		err  error
		want string // in the message; "" for no error
	}{
		{"tally: same options", NewTally([]string{"g"}, fo, true).Merge(NewTally([]string{"g"}, fo, true)), ""},
		{"tally: resamples 0 is the default", NewTally(nil, fo, false).Merge(NewTally(nil, FairnessOptions{Options: other(func(c *Options) { c.Resamples = DefaultResamples })}, false)), ""},
		{"tally: seed", NewTally(nil, fo, false).Merge(NewTally(nil, FairnessOptions{Options: other(func(c *Options) { c.Seed = 2 })}, false)), "options"},
		{"tally: method", NewTally(nil, fo, false).Merge(NewTally(nil, FairnessOptions{Options: other(func(c *Options) { c.Method = "f1" })}, false)), "options"},
		{"tally: columns", NewTally([]string{"a"}, fo, false).Merge(NewTally([]string{"b"}, fo, false)), "group columns"},
		{"tally: intersections", NewTally(nil, fo, false).Merge(NewTally(nil, FairnessOptions{Options: o, Intersections: [][]string{{"a", "b"}}}, false)), "group columns"},
		{"tally: positive label", NewTally(nil, fo, false).Merge(NewTally(nil, FairnessOptions{Options: o, PositiveLabel: "yes"}, false)), "positive label"},
		{"tally: labels", NewTally(nil, fo, true).Merge(NewTally(nil, fo, false)), "label pairs"},
		{"tally: itself", self.Merge(self), "itself"},
		{"pairs: same options", NewPairTally([]string{"g"}, o).Merge(NewPairTally([]string{"g"}, o)), ""},
		{"pairs: level", NewPairTally(nil, o).Merge(NewPairTally(nil, other(func(c *Options) { c.Level = 0.9 }))), "options"},
		{"pairs: columns", NewPairTally([]string{"g"}, o).Merge(NewPairTally(nil, o)), "group columns"},
		{"pairs: itself", selfPairs.Merge(selfPairs), "itself"},
		{"repeats: same options", NewRepeatsTally(o).Merge(NewRepeatsTally(o)), ""},
		{"repeats: threshold", NewRepeatsTally(o).Merge(NewRepeatsTally(other(func(c *Options) { c.F1Threshold = 0.5 }))), "options"},
		{"repeats: itself", selfReps.Merge(selfReps), "itself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.want == "" && tc.err != nil:
				t.Errorf("got error %v, want none", tc.err)
			case tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)):
				t.Errorf("got error %v, want one mentioning %q", tc.err, tc.want)
			}
		})
	}
}

// TestMergeMismatchLeavesTally checks that a refused Merge changes nothing.
func TestMergeMismatchLeavesTally(t *testing.T) {
	results := mergeResults(200, 8)
	o := FairnessOptions{Options: Options{Method: "f1", Level: 0.95, Seed: 1, Resamples: 50, F1Threshold: 0.5}}
	a, b := NewTally([]string{"g1"}, o, false), NewTally([]string{"g2"}, o, false)
	for i := range results {
		a.Add(&results[i])
		b.Add(&results[i])
	}
	want := a.Accuracy()
	if err := a.Merge(b); err == nil {
		t.Fatal("merged tallies of different columns")
	}
	if got := a.Accuracy(); !mergetest.EqualNaN(got, want) {
		t.Errorf("after a refused merge: %+v, want %+v", got, want)
	}
}

func BenchmarkTallyMerge(b *testing.B) {
	results := mergeResults(20000, 1)
	opts := FairnessOptions{Options: Options{Method: "contains", Level: 0.95, Resamples: 100}, PositiveLabel: "yes", Intersections: [][]string{{"g1", "g2"}}}
	const k = 8
	parts := make([]*Tally, k)
	for i := range parts {
		parts[i] = NewTally([]string{"g1", "g2"}, opts, true)
	}
	for i := range results {
		parts[i%k].Add(&results[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		acc := NewTally([]string{"g1", "g2"}, opts, true)
		for _, p := range parts {
			if err := acc.Merge(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
