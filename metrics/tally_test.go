package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// tallyResults draws n results with scores, errors, tasks, groups (some
// missing) and labels, from a seeded source.
func tallyResults(n int, seed uint64) []records.Result {
	rng := rand.New(rand.NewPCG(seed, 1))
	labels := []string{"yes", "no", "maybe", "Yes."}
	out := make([]records.Result, n)
	for i := range out {
		r := records.Result{
			ID:       fmt.Sprintf("i%d", i/2),
			Sample:   i % 2,
			Output:   labels[rng.IntN(len(labels))],
			Expected: labels[rng.IntN(2)],
			Task:     []string{"", "a", "b"}[rng.IntN(3)],
			Groups: map[string]string{
				"g1": []string{"", "x", "y"}[rng.IntN(3)],
				"g2": []string{"p", "q", "r", "s"}[rng.IntN(4)],
			},
		}
		if rng.IntN(10) == 0 {
			r.Error, r.ErrorKind = "boom", "http_500"
		}
		if rng.IntN(20) != 0 {
			r.Scores = ScoreAll(r.Output, []string{r.Expected})
		}
		out[i] = r
	}
	return out
}

func TestTallyMatchesReference(t *testing.T) {
	base := Options{Level: 0.95, MinGroupSize: 10, Seed: 7, Resamples: 200, F1Threshold: 0.5}
	for _, tc := range []struct {
		name    string
		n       int
		method  string
		columns []string
		opts    FairnessOptions
		wide    bool // many distinct tasks and group values
		odd     bool // some score maps with other methods
	}{
		{name: "empty", n: 0, method: "exact", columns: []string{"g1"}},
		{name: "one", n: 1, method: "normalized", columns: []string{"g1"}},
		{name: "contains", n: 500, method: "contains", columns: []string{"g1", "g2"}},
		{name: "f1 with intersection", n: 800, method: "f1", columns: []string{"g1", "g2"}, opts: FairnessOptions{Intersections: [][]string{{"g1", "g2"}}}},
		{name: "label with positive class", n: 1000, method: "label", columns: []string{"g1", "g2"}, opts: FairnessOptions{PositiveLabel: "yes"}},
		{name: "no columns", n: 300, method: "exact"},
		{name: "many groups and tasks", n: 3000, method: "contains", columns: []string{"g1", "g3"}, wide: true},
		{name: "unusual score names", n: 600, method: "label", columns: []string{"g2"}, odd: true},
		{name: "f1 threshold, unusual scores", n: 600, method: "f1", columns: []string{"g2"}, odd: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := tallyResults(tc.n, 42)
			// More tasks and group values than Tally caches, and score
			// maps with other methods (a "label" score, no f1), as a
			// results file may hold.
			for i := range results {
				r := &results[i]
				if tc.wide {
					r.Task = fmt.Sprintf("task%02d", i%37)
					r.Groups["g3"] = fmt.Sprintf("v%02d", (i*7)%41)
				}
				if tc.odd && r.Scores != nil && i%3 == 0 {
					r.Scores = map[string]float64{"label": r.Scores["exact"], "normalized": r.Scores["normalized"], "custom": 0.75}
				}
			}
			opts := tc.opts
			opts.Options = base
			opts.Method = tc.method
			tally := NewTally(tc.columns, opts, true)
			for i := range results {
				tally.Add(&results[i])
			}
			if got, want := tally.Results(), len(results); got != want {
				t.Errorf("Results() = %d, want %d", got, want)
			}
			check := func(what string, got, want any) {
				t.Helper()
				g, err := json.Marshal(got)
				if err != nil {
					t.Fatal(err)
				}
				w, err := json.Marshal(want)
				if err != nil {
					t.Fatal(err)
				}
				if string(g) != string(w) {
					t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
				}
			}
			check("accuracy", tally.Accuracy(), referenceAccuracy(results, opts.Options))
			check("fairness", tally.Fairness(), referenceGroupFairness(results, tc.columns, opts))
			check("labels", tally.Labels(), ComputeLabels(LabelPairs(results), opts.Level))
		})
	}
}

func TestLabelsFromCountsIgnoresZero(t *testing.T) {
	got := LabelsFromCounts(map[LabelPair]int{{"a", "a"}: 2, {"b", "c"}: 0}, 0.95)
	want := ComputeLabels([]LabelPair{{"a", "a"}, {"a", "a"}}, 0.95)
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("got %s, want %s", g, w)
	}
}

func BenchmarkTallyAdd(b *testing.B) {
	results := tallyResults(4096, 1)
	tally := NewTally([]string{"g1", "g2"}, FairnessOptions{Options: Options{Method: "contains", Level: 0.95}}, false)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tally.Add(&results[i%len(results)])
	}
}

// The reference implementations below are the slice loops the tallies
// replaced, kept as oracles that share no code with Tally but the
// read-out (FairnessFromCounts) and the scoring; the F1 mean is summed
// exactly with math/big.

// referenceAccuracy is ComputeAccuracy before it became a Tally.
func referenceAccuracy(results []records.Result, opts Options) Accuracy {
	a := Accuracy{Method: opts.Method, ByMethod: map[string]Proportion{}, MeanF1: math.NaN(), Warnings: Warnings{}}
	type tally struct{ k, n int }
	var overall tally
	byMethod := map[string]*tally{}
	byTask := map[string]*tally{}
	var f1s []float64
	samples := 0
	for _, r := range results {
		scored, correct := opts.judge(r)
		if !scored {
			a.Unscored++
			continue
		}
		samples = max(samples, r.Sample+1)
		overall.n++
		task := r.Task
		if task == "" {
			task = "(none)"
		}
		t := byTask[task]
		if t == nil {
			t = &tally{}
			byTask[task] = t
		}
		t.n++
		if correct {
			overall.k++
			t.k++
		}
		for m := range r.Scores {
			bm := byMethod[m]
			if bm == nil {
				bm = &tally{}
				byMethod[m] = bm
			}
			bm.n++
			if Correct(r.Scores, m, opts.F1Threshold) {
				bm.k++
			}
		}
		f1s = append(f1s, r.Scores["f1"])
	}
	a.Overall = NewProportion(overall.k, overall.n, opts.Level)
	for m, t := range byMethod {
		a.ByMethod[m] = NewProportion(t.k, t.n, opts.Level)
	}
	if overall.n > 0 {
		a.MeanF1 = bigSum(f1s) / float64(overall.n)
	} else {
		a.Warnings = append(a.Warnings, fmt.Errorf("no result could be scored: no item has an expected answer"))
	}
	for _, name := range sortedKeys(byTask) {
		t := byTask[name]
		a.ByTask = append(a.ByTask, Slice{Name: name, Accuracy: NewProportion(t.k, t.n, opts.Level)})
	}
	if samples > 1 {
		a.Warnings = append(a.Warnings, fmt.Errorf("%d samples per item: intervals treat samples as independent, so they are too narrow", samples))
	}
	return a
}

// referenceGroupFairness is ComputeGroupFairness before it became a Tally.
func referenceGroupFairness(results []records.Result, columns []string, opts FairnessOptions) []FairnessColumn {
	specs := make([][]string, 0, len(columns)+len(opts.Intersections))
	for _, c := range columns {
		specs = append(specs, []string{c})
	}
	specs = append(specs, opts.Intersections...)
	tallies := make([]map[string]*GroupCounts, len(specs))
	for i := range tallies {
		tallies[i] = map[string]*GroupCounts{}
	}
	positive := Normalize(opts.PositiveLabel)
	hasPositive := opts.PositiveLabel != ""
	// Labels repeat, so remember whether a string normalizes to the
	// positive label; the memo is capped so that free text cannot grow it.
	memo := map[string]bool{}
	isPositive := func(s string) bool {
		if v, ok := memo[s]; ok {
			return v
		}
		v := Normalize(s) == positive
		if len(memo) < 4096 {
			memo[s] = v
		}
		return v
	}
	var parts []string
	for _, r := range results {
		scored, correct := opts.judge(r)
		if !scored {
			continue
		}
		var predicted, actual bool
		if hasPositive {
			predicted = r.Error == "" && isPositive(r.Output)
			actual = isPositive(r.Expected)
		}
		cell := CellIndex(correct, predicted, actual)
		for i, spec := range specs {
			var v string
			if len(spec) == 1 {
				v = groupValue(r, spec[0])
			} else {
				parts = parts[:0]
				for _, c := range spec {
					parts = append(parts, groupValue(r, c))
				}
				v = strings.Join(parts, IntersectionSep)
			}
			g := tallies[i][v]
			if g == nil {
				g = &GroupCounts{Value: v}
				tallies[i][v] = g
			}
			g.Cells[cell]++
		}
	}
	out := make([]FairnessColumn, 0, len(specs))
	for i, spec := range specs {
		groups := make([]GroupCounts, 0, len(tallies[i]))
		for _, g := range tallies[i] {
			groups = append(groups, *g)
		}
		out = append(out, FairnessFromCounts(spec, groups, opts))
	}
	return out
}
