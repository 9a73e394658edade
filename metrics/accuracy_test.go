package metrics

import (
	"math"
	"slices"
	"testing"

	"github.com/evalgate/evalgate/records"
)

var testOpts = Options{Method: "contains", F1Threshold: 0.5, Level: 0.95, MinGroupSize: 2}

// res builds a scored result: correct under "contains" when ok.
func res(id, task string, ok bool, groups map[string]string) records.Result {
	s := 0.0
	if ok {
		s = 1
	}
	return records.Result{ID: id, Task: task, Groups: groups, Scores: map[string]float64{"exact": 0, "normalized": 0, "contains": s, "f1": s}}
}

func TestComputeAccuracy(t *testing.T) {
	results := []records.Result{
		res("1", "billing", true, nil),
		res("2", "billing", false, nil),
		res("3", "shipping", true, nil),
		res("4", "", true, nil),
		{ID: "5", Task: "shipping"}, // no reference: unscored
		{ID: "6", Task: "billing", Error: "boom", Scores: map[string]float64{"exact": 0, "normalized": 0, "contains": 0, "f1": 0}},
	}
	a := ComputeAccuracy(results, testOpts)
	if a.Overall.K != 3 || a.Overall.N != 5 {
		t.Errorf("overall = %d/%d, want 3/5 (the failed call counts as wrong, the unscored item is left out)", a.Overall.K, a.Overall.N)
	}
	if a.Unscored != 1 {
		t.Errorf("unscored = %d, want 1", a.Unscored)
	}
	var names []string
	for _, s := range a.ByTask {
		names = append(names, s.Name)
	}
	if want := []string{"(none)", "billing", "shipping"}; !slices.Equal(names, want) {
		t.Errorf("tasks = %v, want %v", names, want)
	}
	if got := a.ByTask[1].Accuracy; got.K != 1 || got.N != 3 {
		t.Errorf("billing = %d/%d, want 1/3", got.K, got.N)
	}
	if math.Abs(a.MeanF1-0.6) > 1e-12 {
		t.Errorf("mean F1 = %v, want 0.6", a.MeanF1)
	}
	if got := a.ByMethod["exact"]; got.K != 0 || got.N != 5 {
		t.Errorf("exact = %d/%d, want 0/5", got.K, got.N)
	}
}

func TestComputeFairness(t *testing.T) {
	g := func(v string) map[string]string { return map[string]string{"region": v} }
	results := []records.Result{
		res("1", "", true, g("eu")), res("2", "", true, g("eu")), res("3", "", true, g("eu")), res("4", "", false, g("eu")),
		res("5", "", true, g("us")), res("6", "", false, g("us")),
		res("7", "", false, g("")), res("8", "", false, g("")),
		res("9", "", true, g("apac")), // a group of one: too small to gate
	}
	cols := ComputeFairness(results, []string{"region"}, testOpts)
	if len(cols) != 1 {
		t.Fatalf("got %d columns, want 1", len(cols))
	}
	c := cols[0]
	var values []string
	for _, grp := range c.Groups {
		values = append(values, grp.Value)
	}
	if want := []string{"(missing)", "apac", "eu", "us"}; !slices.Equal(values, want) {
		t.Errorf("groups = %v, want %v", values, want)
	}
	// Eligible: (missing) 0/2, eu 3/4, us 1/2. apac (1/1) is small.
	if math.Abs(c.Gap-0.75) > 1e-12 || c.Highest != "eu" || c.Lowest != "(missing)" {
		t.Errorf("gap = %v (%s − %s), want 0.75 (eu − (missing))", c.Gap, c.Highest, c.Lowest)
	}
	if c.Ratio != 0 {
		t.Errorf("ratio = %v, want 0", c.Ratio)
	}
	if !c.Groups[1].Small || len(c.Warnings) != 1 {
		t.Errorf("apac small = %v with warnings %v, want small with one warning", c.Groups[1].Small, c.Warnings)
	}
}

func TestComputeFairnessTooFewGroups(t *testing.T) {
	results := []records.Result{res("1", "", true, map[string]string{"g": "a"}), res("2", "", true, map[string]string{"g": "a"})}
	c := ComputeFairness(results, []string{"g"}, testOpts)[0]
	if !math.IsNaN(c.Gap) || !math.IsNaN(c.Ratio) || len(c.Warnings) == 0 {
		t.Errorf("gap %v ratio %v warnings %v: want NaN, NaN and a warning", c.Gap, c.Ratio, c.Warnings)
	}
}

func TestCompare(t *testing.T) {
	base := []records.Result{res("a", "", true, nil), res("b", "", true, nil), res("c", "", false, nil), res("d", "", false, nil), res("only-base", "", true, nil)}
	cand := []records.Result{res("a", "", true, nil), res("b", "", false, nil), res("c", "", true, nil), res("d", "", true, nil), res("only-cand", "", true, nil)}
	reg := Compare(cand, base, testOpts)
	if reg.Pairs != 4 || reg.Unpaired != 2 {
		t.Errorf("pairs %d unpaired %d, want 4 and 2", reg.Pairs, reg.Unpaired)
	}
	if math.Abs(reg.Delta-0.25) > 1e-12 {
		t.Errorf("delta = %v, want 0.25 (3/4 − 2/4)", reg.Delta)
	}
	if !slices.Equal(reg.RightToWrong, []string{"b"}) || !slices.Equal(reg.WrongToRight, []string{"c", "d"}) {
		t.Errorf("flips %v / %v, want [b] / [c d]", reg.RightToWrong, reg.WrongToRight)
	}
}
