package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// lab builds a scored classification result: correct when pred equals actual.
func lab(id, sex, age, pred, actual string) records.Result {
	r := res(id, "", pred == actual, map[string]string{"sex": sex, "age": age})
	r.Output, r.Expected = pred, actual
	return r
}

func fairnessFixture() []records.Result {
	return []records.Result{
		// f: acc 4/6, selection 3/6, TPR 2/3, FPR 1/3, FNR 1/3.
		lab("f1", "f", "old", "yes", "yes"), lab("f2", "f", "old", "yes", "yes"), lab("f3", "f", "young", "no", "yes"),
		lab("f4", "f", "young", "no", "no"), lab("f5", "f", "young", "yes", "no"), lab("f6", "f", "old", "no", "no"),
		// m: acc 2/4, selection 3/4, TPR 1/1, FPR 2/3, FNR 0/1.
		lab("m1", "m", "old", "yes", "yes"), lab("m2", "m", "old", "yes", "no"), lab("m3", "m", "young", "yes", "no"), lab("m4", "m", "young", "no", "no"),
		// (missing): acc 2/3, selection 0/3, TPR 0/1, FPR 0/2, FNR 1/1.
		lab("u1", "", "old", "no", "yes"), lab("u2", "", "old", "no", "no"), lab("u3", "", "young", "no", "no"),
		// x: a group of one, too small for the gaps.
		lab("x1", "x", "old", "yes", "yes"),
		// unscored: left out everywhere.
		{ID: "z", Groups: map[string]string{"sex": "f"}},
	}
}

func TestComputeGroupFairness(t *testing.T) {
	opts := FairnessOptions{Options: testOpts, PositiveLabel: "Yes", Intersections: [][]string{{"sex", "age"}}}
	opts.Resamples, opts.Seed = 500, 7
	cols := ComputeGroupFairness(fairnessFixture(), []string{"sex"}, opts)
	if len(cols) != 2 {
		t.Fatalf("got %d columns, want sex and sex×age", len(cols))
	}
	c := cols[0]
	var values []string
	for _, g := range c.Groups {
		values = append(values, g.Value)
	}
	if want := []string{"(missing)", "f", "m", "x"}; !slices.Equal(values, want) {
		t.Fatalf("groups = %v, want %v", values, want)
	}
	f := c.Groups[1]
	if f.N != 6 || f.Accuracy.K != 4 || f.SelectionRate.K != 3 || f.TPR.K != 2 || f.TPR.N != 3 || f.FPR.K != 1 || f.FPR.N != 3 || f.FNR.K != 1 {
		t.Errorf("group f = %+v, want n 6, accuracy 4/6, selection 3/6, TPR 2/3, FPR 1/3, FNR 1/3", f)
	}
	if !c.Groups[3].Small || c.Groups[0].Small {
		t.Errorf("small flags: %v %v, want (missing) eligible and x small", c.Groups[0].Small, c.Groups[3].Small)
	}
	tests := []struct {
		metric          string
		gap, ratio      float64
		lowest, highest string
	}{
		{"accuracy", 2.0/3 - 0.5, 0.5 / (2.0 / 3), "m", "(missing)"},
		{"selection_rate", 0.75, 0, "(missing)", "m"},
		{"tpr", 1, 0, "(missing)", "m"},
		{"fpr", 2.0 / 3, 0, "(missing)", "m"},
		{"fnr", 1, 0, "m", "(missing)"},
	}
	if len(c.Disparities) != len(tests) {
		t.Fatalf("got %d disparities, want %d", len(c.Disparities), len(tests))
	}
	for i, tt := range tests {
		d := c.Disparities[i]
		if d.Metric != tt.metric || math.Abs(d.Gap.Value-tt.gap) > 1e-12 || math.Abs(d.Ratio.Value-tt.ratio) > 1e-12 || d.Lowest != tt.lowest || d.Highest != tt.highest || d.Groups != 3 {
			t.Errorf("%s: gap %v ratio %v (%s..%s over %d), want %v %v (%s..%s over 3)", d.Metric, d.Gap.Value, d.Ratio.Value, d.Lowest, d.Highest, d.Groups, tt.gap, tt.ratio, tt.lowest, tt.highest)
		}
		if !(d.Gap.Low <= d.Gap.High) {
			t.Errorf("%s: gap interval [%v, %v] undefined or inverted", d.Metric, d.Gap.Low, d.Gap.High)
		}
	}
	if c.DemographicParityDifference.Value != 0.75 || c.DisparateImpact.Value != 0 || c.MeetsFourFifths == nil || *c.MeetsFourFifths {
		t.Errorf("DP difference %v, disparate impact %v, four-fifths %v; want 0.75, 0, false", c.DemographicParityDifference.Value, c.DisparateImpact.Value, c.MeetsFourFifths)
	}
	if c.EqualizedOddsDifference.Value != 1 {
		t.Errorf("equalized odds difference = %v, want max(1, 2/3) = 1", c.EqualizedOddsDifference.Value)
	}
	if c.Seed != 7 || c.Resamples != 500 || c.Level != 0.95 {
		t.Errorf("bootstrap recorded as seed %d, %d resamples, level %v", c.Seed, c.Resamples, c.Level)
	}
	inter := cols[1]
	if inter.Column != "sex×age" || inter.Groups[0].Value != "(missing)×old" || inter.Groups[0].N != 2 {
		t.Errorf("intersection %s, first group %+v; want sex×age with (missing)×old of 2", inter.Column, inter.Groups[0])
	}
	if _, err := json.Marshal(cols); err != nil {
		t.Error(err)
	}
	again := ComputeGroupFairness(fairnessFixture(), []string{"sex"}, opts)
	a, _ := json.Marshal(cols)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("the same inputs and seed gave different results")
	}
	opts.Seed = 8
	other, _ := json.Marshal(ComputeGroupFairness(fairnessFixture(), []string{"sex"}, opts))
	if string(a) == string(other) {
		t.Error("another seed gave identical intervals")
	}
}

func TestComputeGroupFairnessEdges(t *testing.T) {
	opts := FairnessOptions{Options: testOpts}
	opts.Resamples = 100
	tests := []struct {
		name    string
		results []records.Result
		groups  int
	}{
		{"no results", nil, 0},
		{"one group", []records.Result{res("1", "", true, map[string]string{"g": "a"}), res("2", "", false, map[string]string{"g": "a"})}, 1},
		{"all correct, n of n", []records.Result{res("1", "", true, map[string]string{"g": "a"}), res("2", "", true, map[string]string{"g": "a"}), res("3", "", true, map[string]string{"g": "b"}), res("4", "", true, map[string]string{"g": "b"})}, 2},
		{"all wrong, 0 of n", []records.Result{res("1", "", false, map[string]string{"g": "a"}), res("2", "", false, map[string]string{"g": "a"}), res("3", "", false, map[string]string{"g": "b"}), res("4", "", false, map[string]string{"g": "b"})}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ComputeGroupFairness(tt.results, []string{"g"}, opts)[0]
			if len(c.Groups) != tt.groups {
				t.Errorf("%d groups, want %d", len(c.Groups), tt.groups)
			}
			if _, err := json.Marshal(c); err != nil {
				t.Error(err)
			}
			if c.MeetsFourFifths != nil || !math.IsNaN(c.DisparateImpact.Value) {
				t.Errorf("no positive label, yet disparate impact %v", c.DisparateImpact.Value)
			}
			if tt.groups < 2 && (len(c.Warnings) == 0 || !math.IsNaN(c.AccuracyGap.Value)) {
				t.Errorf("fewer than two groups: gap %v, warnings %v", c.AccuracyGap.Value, c.Warnings)
			}
		})
	}
	// 0 of n: the accuracy ratio is 0/0, undefined; the gap is 0 with a
	// point interval.
	c := ComputeGroupFairness(tests[3].results, []string{"g"}, opts)[0]
	if c.AccuracyGap != (Estimate{0, 0, 0}) || !math.IsNaN(c.Disparities[0].Ratio.Value) {
		t.Errorf("all wrong: gap %+v ratio %+v, want a zero gap and an undefined ratio", c.AccuracyGap, c.Disparities[0].Ratio)
	}
}

// TestFairnessBootstrapMatchesRowBootstrap checks the multinomial bootstrap
// over sufficient statistics against the textbook bootstrap that resamples
// rows, written independently here: with 4,000 resamples each, the interval
// ends agree within Monte Carlo error (about 0.0015 here; tolerance 0.006).
func TestFairnessBootstrapMatchesRowBootstrap(t *testing.T) {
	const R = 4000
	a := GroupCounts{Value: "a"}
	a.Cells[CellIndex(true, false, false)], a.Cells[CellIndex(false, false, false)] = 320, 80 // 0.8 of 400
	b := GroupCounts{Value: "b"}
	b.Cells[CellIndex(true, false, false)], b.Cells[CellIndex(false, false, false)] = 210, 90 // 0.7 of 300
	opts := FairnessOptions{Options: Options{Level: 0.95, Resamples: R, Seed: 1}}
	got := FairnessFromCounts([]string{"g"}, []GroupCounts{a, b}, opts).AccuracyGap

	rng := rand.New(rand.NewPCG(99, 99))
	rowsA, rowsB := rowsOf(320, 400), rowsOf(210, 300)
	gaps := make([]float64, R)
	for r := range gaps {
		gaps[r] = math.Abs(resampleMean(rng, rowsA) - resampleMean(rng, rowsB))
	}
	slices.Sort(gaps)
	low, high := quantile7(gaps, 0.025), quantile7(gaps, 0.975)
	if math.Abs(got.Value-0.1) > 1e-12 || math.Abs(got.Low-low) > 0.006 || math.Abs(got.High-high) > 0.006 {
		t.Errorf("multinomial bootstrap %+v, row bootstrap [%v, %v]", got, low, high)
	}
}

func rowsOf(k, n int) []bool {
	rows := make([]bool, n)
	for i := range k {
		rows[i] = true
	}
	return rows
}

func resampleMean(rng *rand.Rand, rows []bool) float64 {
	k := 0
	for range rows {
		if rows[rng.IntN(len(rows))] {
			k++
		}
	}
	return float64(k) / float64(len(rows))
}

// TestMultinomialMoments checks the conditional-binomial sampler's first two
// moments against the multinomial's: E = n·p, Var = n·p(1−p),
// Cov = −n·p_i·p_j.
func TestMultinomialMoments(t *testing.T) {
	const draws, n = 20000, 1000
	probs := []float64{0.1, 0.2, 0.3, 0.4}
	src := newSource(3, "test")
	sum := make([]float64, 4)
	sq := make([]float64, 4)
	cross := 0.0
	out := make([]int, 4)
	for range draws {
		multinomial(src, n, probs, out)
		total := 0
		for j, x := range out {
			sum[j] += float64(x)
			sq[j] += float64(x * x)
			total += x
		}
		if total != n {
			t.Fatalf("draw %v sums to %d, want %d", out, total, n)
		}
		cross += float64(out[0] * out[3])
	}
	for j, p := range probs {
		mean := sum[j] / draws
		variance := sq[j]/draws - mean*mean
		wantVar := n * p * (1 - p)
		if math.Abs(mean-n*p) > 4*math.Sqrt(wantVar/draws) || math.Abs(variance/wantVar-1) > 0.05 {
			t.Errorf("cell %d: mean %v var %v, want %v and %v", j, mean, variance, n*p, wantVar)
		}
	}
	cov := cross/draws - sum[0]/draws*sum[3]/draws
	if want := -n * probs[0] * probs[3]; math.Abs(cov/want-1) > 0.1 {
		t.Errorf("cov(cell 0, cell 3) = %v, want %v", cov, want)
	}
}
