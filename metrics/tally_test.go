package metrics

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
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

func TestTallyMatchesBatch(t *testing.T) {
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
			check("accuracy", tally.Accuracy(), ComputeAccuracy(results, opts.Options))
			check("fairness", tally.Fairness(), ComputeGroupFairness(results, tc.columns, opts))
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
