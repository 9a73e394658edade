package metrics

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
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
	// MinRateDenominator 1 lets the groups with one actual positive take
	// part in TPR; TestRateDenominators checks the default.
	opts := FairnessOptions{Options: testOpts, PositiveLabel: "Yes", Intersections: [][]string{{"sex", "age"}}, MinRateDenominator: 1}
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
	if c.Level != 0.95 || c.Intervals != IntervalsSimultaneous || c.Disparities[0].GroupLevel != math.Pow(0.95, 1.0/3) {
		t.Errorf("intervals recorded as %s at level %v, group level %v", c.Intervals, c.Level, c.Disparities[0].GroupLevel)
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
		t.Error("the same inputs gave different results")
	}
}

func TestComputeGroupFairnessEdges(t *testing.T) {
	opts := FairnessOptions{Options: testOpts}
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
	// 0 of n: the accuracy ratio is 0/0, undefined; the gap is 0, and two
	// results per group cannot rule out a large true gap.
	c := ComputeGroupFairness(tests[3].results, []string{"g"}, opts)[0]
	if g := c.AccuracyGap; g.Value != 0 || g.Low != 0 || !(g.High > 0.5) || !math.IsNaN(c.Disparities[0].Ratio.Value) || c.Disparities[0].Why == "" {
		t.Errorf("all wrong: gap %+v ratio %+v (%q), want a zero gap with a wide interval and an undefined ratio with a reason", c.AccuracyGap, c.Disparities[0].Ratio, c.Disparities[0].Why)
	}
}

// TestFairnessIntervalsMatchR checks the simultaneous intervals against
// R (4.2): each group's Wilson interval at the Šidák level 0.95^(1/3), and
// the gap and ratio intervals built from them.
//
//	k <- c(320, 210, 45); n <- c(400, 300, 60); L <- 0.95^(1/3)
//	ci <- sapply(1:3, function(i) prop.test(k[i], n[i], conf.level = L, correct = FALSE)$conf.int)
//	lo <- ci[1,]; hi <- ci[2,]
//	c(max(0, max(lo) - min(hi)), max(hi) - min(lo))       # gap
//	c(min(lo) / max(hi), min(1, min(hi) / max(lo)))       # ratio
func TestFairnessIntervalsMatchR(t *testing.T) {
	groups := []GroupCounts{countsOf("a", 320, 400), countsOf("b", 210, 300), countsOf("c", 45, 60)}
	c := FairnessFromCounts([]string{"g"}, groups, FairnessOptions{Options: Options{Level: 0.95, MinGroupSize: 30}})
	want := [][2]float64{
		{0.74817905190168610, 0.84338918957046738},
		{0.63357722243977477, 0.75896282581975316},
		{0.59891853089874225, 0.85769349281540053},
	}
	for i, g := range c.Groups {
		if math.Abs(g.Accuracy.Low-want[i][0]) > 1e-9 || math.Abs(g.Accuracy.High-want[i][1]) > 1e-9 || g.Accuracy.Small {
			t.Errorf("group %s: [%.17g, %.17g], want R's [%.17g, %.17g]", g.Value, g.Accuracy.Low, g.Accuracy.High, want[i][0], want[i][1])
		}
	}
	d := c.Disparities[0]
	check := func(name string, got Estimate, value, low, high float64) {
		t.Helper()
		if math.Abs(got.Value-value) > 1e-12 || math.Abs(got.Low-low) > 1e-9 || math.Abs(got.High-high) > 1e-9 {
			t.Errorf("%s = %+v, want %v [%v, %v]", name, got, value, low, high)
		}
	}
	check("gap", d.Gap, 0.8-0.7, 0, 0.25877496191665827)
	check("ratio", d.Ratio, 0.7/0.8, 0.69828969896084558, 1)
	if d.Lowest != "b" || d.Highest != "a" || d.Groups != 3 {
		t.Errorf("gap between %s and %s over %d groups, want b..a over 3", d.Lowest, d.Highest, d.Groups)
	}
}

func countsOf(value string, correct, n int) GroupCounts {
	g := GroupCounts{Value: value}
	g.Cells[CellIndex(true, false, false)] = correct
	g.Cells[CellIndex(false, false, false)] = n - correct
	return g
}

// TestRateDenominators checks that each rate's own denominator decides
// whether it takes part in its gap: with min_group_size 30, a group of 200
// with 8 actual positives has a TPR that is shown, flagged and kept out,
// and the reason the TPR gap is undefined names the groups' positives.
func TestRateDenominators(t *testing.T) {
	group := func(value string, tp, fn, fp, tn int) GroupCounts {
		g := GroupCounts{Value: value}
		g.Cells[CellIndex(true, true, true)] = tp
		g.Cells[CellIndex(false, false, true)] = fn
		g.Cells[CellIndex(false, true, false)] = fp
		g.Cells[CellIndex(true, false, false)] = tn
		return g
	}
	groups := []GroupCounts{group("a", 6, 2, 38, 152), group("b", 30, 20, 30, 170)}
	c := FairnessFromCounts([]string{"g"}, groups, FairnessOptions{Options: Options{Level: 0.95, MinGroupSize: 30}, PositiveLabel: "yes"})
	a := c.Groups[0]
	if !a.TPR.Small || a.TPR.N != 8 || !a.FNR.Small || a.FPR.Small || a.Accuracy.Small || a.Small {
		t.Errorf("group a: TPR small %v (n %d), FNR small %v, FPR small %v, accuracy small %v; want only TPR and FNR small", a.TPR.Small, a.TPR.N, a.FNR.Small, a.FPR.Small, a.Accuracy.Small)
	}
	if a.TPR.Level != 0.95 || a.FPR.Level != math.Sqrt(0.95) {
		t.Errorf("levels: small TPR %v, compared FPR %v; want 0.95 and 0.95^(1/2)", a.TPR.Level, a.FPR.Level)
	}
	tpr := c.Disparities[mTPR]
	if !math.IsNaN(tpr.Gap.Value) || !strings.Contains(tpr.Why, "a has 8") || !strings.Contains(tpr.Why, "actual positives") {
		t.Errorf("TPR gap %v, why %q; want undefined, naming a's 8 actual positives", tpr.Gap.Value, tpr.Why)
	}
	if fpr := c.Disparities[mFPR]; fpr.Groups != 2 || math.Abs(fpr.Gap.Value-0.05) > 1e-12 {
		t.Errorf("FPR gap %v over %d groups, want 0.2 − 0.15 = 0.05 over 2", fpr.Gap.Value, fpr.Groups)
	}
	if !math.IsNaN(c.EqualizedOddsDifference.Value) {
		t.Errorf("equalized odds %v without a TPR gap, want undefined", c.EqualizedOddsDifference.Value)
	}
	// With the minimum lowered to 5, a's TPR is compared.
	c = FairnessFromCounts([]string{"g"}, groups, FairnessOptions{Options: Options{Level: 0.95, MinGroupSize: 30}, PositiveLabel: "yes", MinRateDenominator: 5})
	if tpr := c.Disparities[mTPR]; tpr.Groups != 2 || math.Abs(tpr.Gap.Value-(0.75-0.6)) > 1e-12 || tpr.Why != "" {
		t.Errorf("TPR gap %v over %d groups (why %q), want 0.15 over 2", tpr.Gap.Value, tpr.Groups, tpr.Why)
	}
	if e := c.EqualizedOddsDifference; math.Abs(e.Value-0.15) > 1e-12 || !(e.Low <= e.Value && e.Value <= e.High) {
		t.Errorf("equalized odds %+v, want 0.15 inside its interval", e)
	}
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
