package metrics

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// equalNaN is reflect.DeepEqual, except that NaN equals NaN (undefined
// gaps and means are NaN) and it reads unexported fields too.
func equalNaN(a, b any) bool {
	return equalValues(reflect.ValueOf(a), reflect.ValueOf(b))
}

func equalValues(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValues(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalValues(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return false
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValues(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !equalValues(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	default:
		panic("equalNaN: cannot compare " + a.Kind().String())
	}
}

// splits are the named ways to cut n units (with ids) into k parts; each
// part lists unit indexes in order.
func splits(ids []string, k int) []struct {
	name  string
	parts [][]int
} {
	n := len(ids)
	cut := func(part func(i int) int) [][]int {
		parts := make([][]int, k)
		for i := range n {
			p := part(i)
			parts[p] = append(parts[p], i)
		}
		return parts
	}
	return []struct {
		name  string
		parts [][]int
	}{
		// By a hash of the id, as shards are made: the rows of the parts
		// interleave, and every sample of an item is in one part.
		{"hash of id", cut(func(i int) int {
			h := fnv.New32a()
			h.Write([]byte(ids[i]))
			return int(h.Sum32() % uint32(k))
		})},
		// Round robin: every part sees every group and task, and an
		// item's samples are spread over the parts.
		{"round robin", cut(func(i int) int { return i % k })},
		// Skewed by a hash of the id: one part holds most of the rows, so
		// its sums are of the whole's magnitude, where a rounded partial
		// sum shows.
		{"skewed hash of id", cut(func(i int) int {
			h := fnv.New32a()
			h.Write([]byte(ids[i]))
			if v := h.Sum32(); k > 1 && v%8 == 0 {
				return 1 + int(v/8)%(k-1)
			}
			return 0
		})},
		// Adversarial: contiguous blocks in reverse, the first part empty,
		// so a fold in part order meets the last rows first.
		{"reversed blocks", cut(func(i int) int {
			if k == 1 {
				return 0
			}
			return k - 1 - i*(k-1)/n
		})},
	}
}

// mergeMismatches tallies units in one pass and in k = 1..5 parts under
// every split, merges the parts in three orders and groupings, and
// returns a line for every merge whose outputs (read) differ from the
// one pass's, or that failed.
func mergeMismatches[T any](ids []string, build func(units []int) T, merge func(a, b T) error, read func(T) any) []string {
	want := read(build(allIndexes(len(ids))))
	var bad []string
	for k := 1; k <= 5; k++ {
		for _, sp := range splits(ids, k) {
			parts := func() []T {
				ts := make([]T, k)
				for i, p := range sp.parts {
					ts[i] = build(p)
				}
				return ts
			}
			groupings := []struct {
				name string
				fold func(ts []T) (T, error)
			}{
				{"into an empty tally, in part order", func(ts []T) (T, error) {
					acc := build(nil)
					for _, p := range ts {
						if err := merge(acc, p); err != nil {
							return acc, err
						}
					}
					return acc, nil
				}},
				{"into the last part, in reverse order", func(ts []T) (T, error) {
					acc := ts[len(ts)-1]
					for i := len(ts) - 2; i >= 0; i-- {
						if err := merge(acc, ts[i]); err != nil {
							return acc, err
						}
					}
					return acc, nil
				}},
				{"as a tree", func(ts []T) (T, error) {
					for len(ts) > 1 {
						var next []T
						for i := 0; i < len(ts); i += 2 {
							if i+1 < len(ts) {
								if err := merge(ts[i+1], ts[i]); err != nil {
									return ts[i+1], err
								}
								next = append(next, ts[i+1])
							} else {
								next = append(next, ts[i])
							}
						}
						ts = next
					}
					return ts[0], nil
				}},
			}
			for _, g := range groupings {
				got, err := g.fold(parts())
				where := fmt.Sprintf("k=%d, %s, %s", k, sp.name, g.name)
				if err != nil {
					bad = append(bad, where+": "+err.Error())
				} else if r := read(got); !equalNaN(r, want) {
					bad = append(bad, fmt.Sprintf("%s:\ngot  %+v\nwant %+v", where, clip(r), clip(want)))
				}
			}
		}
	}
	return bad
}

func clip(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

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
			for _, bad := range mergeMismatches(resultIDs(results), build, (*Tally).Merge, read) {
				t.Error(bad)
			}
			// The batch functions are the one pass.
			want := read(build(allIndexes(len(results)))).(tallyOutputs)
			if got := ComputeAccuracy(results, opts.Options); !equalNaN(got, want.Accuracy) {
				t.Errorf("ComputeAccuracy = %+v, want %+v", got, want.Accuracy)
			}
			if got := ComputeGroupFairness(results, tc.columns, opts); !equalNaN(got, want.Fairness) {
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
			return mergeMismatches(resultIDs(results), build, func(a, b *Tally) error {
				u := a.unscored
				err := a.Merge(b)
				a.unscored = u
				return err
			}, read)
		}},
		{"tally: f1 summed as a float", func() []string {
			return mergeMismatches(resultIDs(results), build, func(a, b *Tally) error {
				s := a.f1Sum.Sum() + b.f1Sum.Sum()
				err := a.Merge(b)
				a.f1Sum = exactSum{partials: []float64{s}}
				return err
			}, read)
		}},
		{"tally: samples summed", func() []string {
			return mergeMismatches(resultIDs(results), build, func(a, b *Tally) error {
				s := a.samples + b.samples
				err := a.Merge(b)
				a.samples = s
				return err
			}, read)
		}},
		{"tally: label pairs dropped", func() []string {
			return mergeMismatches(resultIDs(results), build, func(a, b *Tally) error {
				b2 := *b
				b2.pairs = nil
				return a.Merge(&b2)
			}, read)
		}},
		{"tally: one fairness cell dropped", func() []string {
			return mergeMismatches(resultIDs(results), build, func(a, b *Tally) error {
				err := a.Merge(b)
				for _, g := range a.groups[1] {
					g.Cells[7] = 0
				}
				return err
			}, read)
		}},
		{"pairs: flips dropped", func() []string {
			return mergeMismatches(pairIDs(pairs), pairBuild, func(a, b *PairTally) error {
				b2 := *b
				b2.r2w = nil
				return a.Merge(&b2)
			}, pairRead)
		}},
		{"pairs: unpaired dropped", func() []string {
			return mergeMismatches(pairIDs(pairs), pairBuild, func(a, b *PairTally) error {
				b2 := *b
				b2.unpaired = 0
				return a.Merge(&b2)
			}, pairRead)
		}},
		{"repeats: answers of a split item dropped", func() []string {
			return mergeMismatches(resultIDs(reps), repBuild, func(a, b *RepeatsTally) error {
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
			return mergeMismatches(resultIDs(reps), repBuild, func(a, b *RepeatsTally) error {
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
			for _, bad := range mergeMismatches(pairIDs(units), build, (*PairTally).Merge, read) {
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
			if got, want := CompareByGroup(cand, base, tc.columns, tc.opts), build(allIndexes(len(units))).Regression(); !equalNaN(got, want) {
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
			for _, bad := range mergeMismatches(resultIDs(results), build, (*RepeatsTally).Merge, read) {
				t.Error(bad)
			}
			if got, want := ComputeRepeats(results, tc.opts), read(build(allIndexes(len(results)))); !equalNaN(got, want) {
				t.Errorf("ComputeRepeats = %+v, want %+v", got, want)
			}
		})
	}
}

func allIndexes(n int) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// TestRepeatsReadTwice checks that reading a tally leaves it as it was.
func TestRepeatsReadTwice(t *testing.T) {
	results := repeatResults(200, 5)
	tally := NewRepeatsTally(Options{Method: "normalized", Level: 0.95})
	for i := range results {
		tally.Add(&results[i])
	}
	first := tally.Repeats()
	if second := tally.Repeats(); !equalNaN(second, first) {
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
	if got := a.Accuracy(); !equalNaN(got, want) {
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
