package metrics

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// sample builds one scored sample of item id: correct under "contains" when ok.
func sample(id string, s int, output string, ok bool) records.Result {
	r := res(id, "", ok, nil)
	r.Sample, r.Output = s, output
	return r
}

func TestComputeRepeats(t *testing.T) {
	results := []records.Result{
		sample("A", 0, "Paris", true), sample("A", 1, "paris.", true), sample("A", 2, "London", false),
		sample("B", 0, "x", false), sample("B", 1, "y", false), sample("B", 2, "z", false), // three-way tie
		sample("C", 0, "yes", true), sample("C", 1, "Yes", true), sample("C", 2, "YES!", true),
		sample("D", 2, "b", false), sample("D", 1, "b", false), sample("D", 0, "a", true),
		{ID: "E", Output: "no reference"}, // unscored
	}
	rep := ComputeRepeats(results, testOpts)
	if rep.Items != 4 || rep.Samples != 12 || rep.MaxSamples != 3 || rep.Unscored != 1 {
		t.Errorf("items %d samples %d max %d unscored %d, want 4, 12, 3, 1", rep.Items, rep.Samples, rep.MaxSamples, rep.Unscored)
	}
	if rep.MeanAccuracy.K != 6 || rep.MeanAccuracy.N != 12 {
		t.Errorf("mean accuracy %v, want 6/12", rep.MeanAccuracy)
	}
	// Majority answers: A "paris" (right), B tie (wrong), C "yes" (right), D "b" (wrong).
	if rep.MajorityAccuracy.K != 2 || rep.MajorityAccuracy.N != 4 {
		t.Errorf("majority accuracy %v, want 2/4", rep.MajorityAccuracy)
	}
	if math.Abs(rep.MeanConsistency-2.0/3) > 1e-12 {
		t.Errorf("mean consistency %v, want 2/3 = mean(2/3, 1/3, 1, 2/3)", rep.MeanConsistency)
	}
	// pass@k per item from PassAtK(3, c, k) with c = 2, 0, 3, 1:
	// k=1: mean(2/3, 0, 1, 1/3); k=2: mean(1, 0, 1, 2/3); k=3: mean(1, 0, 1, 1).
	wantPass := []float64{0.5, (1 + 0 + 1 + 2.0/3) / 4, 0.75}
	if len(rep.PassAtK) != 3 {
		t.Fatalf("pass@k has %d entries, want 3", len(rep.PassAtK))
	}
	for i, pk := range rep.PassAtK {
		if pk.K != i+1 || pk.Items != 4 || math.Abs(pk.Value-wantPass[i]) > 1e-12 {
			t.Errorf("pass@%d = %v over %d items, want %v over 4", pk.K, pk.Value, pk.Items, wantPass[i])
		}
	}
	want := []ItemConsistency{{"B", 1.0 / 3, 3, 3, 0}, {"A", 2.0 / 3, 2, 3, 2}, {"D", 2.0 / 3, 2, 3, 1}}
	if len(rep.LeastConsistent) != len(want) || rep.Inconsistent != 3 {
		t.Fatalf("least consistent %v (inconsistent %d), want %v", rep.LeastConsistent, rep.Inconsistent, want)
	}
	for i, w := range want {
		g := rep.LeastConsistent[i]
		if g.ID != w.ID || math.Abs(g.Consistency-w.Consistency) > 1e-12 || g.Distinct != w.Distinct || g.Samples != w.Samples || g.Correct != w.Correct {
			t.Errorf("least consistent[%d] = %+v, want %+v", i, g, w)
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Error(err)
	}
}

// TestRepeatsInterval checks the cluster-aware interval at its two ends,
// against Wilson values that TestWilsonAgainstR checks against R's
// prop.test(7, 10, correct = FALSE)$conf.int.
func TestRepeatsInterval(t *testing.T) {
	tests := []struct {
		name    string
		repeats int
	}{
		{"one sample per item: the plain Wilson interval over samples", 1},
		{"samples always agree: the Wilson interval over items", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var results []records.Result
			for i := range 10 {
				for s := range tt.repeats {
					results = append(results, sample(string(rune('a'+i)), s, "x", i < 7))
				}
			}
			rep := ComputeRepeats(results, testOpts)
			low, high := 0.396778147461145, 0.892208732593699 // prop.test(7, 10, correct = FALSE)$conf.int
			if math.Abs(rep.MeanAccuracy.Low-low) > 1e-12 || math.Abs(rep.MeanAccuracy.High-high) > 1e-12 || rep.EffectiveN != 10 {
				t.Errorf("interval [%.15f, %.15f] at n* = %v, want [%.15f, %.15f] at 10", rep.MeanAccuracy.Low, rep.MeanAccuracy.High, rep.EffectiveN, low, high)
			}
		})
	}
}

func TestComputeRepeatsEdges(t *testing.T) {
	tests := []struct {
		name     string
		results  []records.Result
		items    int
		warnings int
	}{
		{"nothing scored", []records.Result{{ID: "a"}}, 0, 1},
		{"one item, one sample", []records.Result{sample("a", 0, "x", true)}, 1, 2},
		{"all wrong", []records.Result{sample("a", 0, "x", false), sample("a", 1, "x", false), sample("b", 0, "y", false), sample("b", 1, "z", false)}, 2, 0},
		{"failed calls agree with each other only", []records.Result{
			{ID: "a", Error: "timeout", Scores: map[string]float64{"contains": 0}},
			{ID: "a", Sample: 1, Error: "timeout", Scores: map[string]float64{"contains": 0}},
			sample("a", 2, "", false),
		}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := ComputeRepeats(tt.results, testOpts)
			if rep.Items != tt.items || len(rep.Warnings) != tt.warnings {
				t.Errorf("items %d warnings %v, want %d items and %d warnings", rep.Items, rep.Warnings, tt.items, tt.warnings)
			}
			if _, err := json.Marshal(rep); err != nil {
				t.Error(err)
			}
		})
	}
	failed := ComputeRepeats(tests[3].results, testOpts)
	if len(failed.LeastConsistent) != 1 || failed.LeastConsistent[0].Distinct != 2 {
		t.Errorf("two failures and one empty answer: %+v, want 2 distinct answers", failed.LeastConsistent)
	}
	rep := ComputeRepeats([]records.Result{sample("a", 0, "x", false), sample("a", 1, "x", false)}, testOpts)
	if rep.MeanAccuracy.Low != 0 || rep.PassAtK[1].Value != 0 {
		t.Errorf("0 of n: interval low %v, pass@2 %v, want 0 and 0", rep.MeanAccuracy.Low, rep.PassAtK[1].Value)
	}
}
