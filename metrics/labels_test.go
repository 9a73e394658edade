package metrics

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// TestComputeLabelsAgainstSklearn checks ComputeLabels against scikit-learn
// 1.2.1 (Debian python3-sklearn, run with /usr/bin/python3). For each case,
// with t and p the true and predicted lists below and labels = sorted(set(t) | set(p)):
//
//	precision, recall, f1, support = precision_recall_fscore_support(t, p, labels=labels, zero_division="warn")
//	macro = f1_score(t, p, labels=labels, average="macro")
//	cm = confusion_matrix(t, p, labels=labels)
//	acc = accuracy_score(t, p)
//
// printed with repr(float(x)).
func TestComputeLabelsAgainstSklearn(t *testing.T) {
	tests := []struct {
		name                  string
		actual, predicted     []string
		classes               []string
		precision, recall, f1 []float64
		support               []int
		macro, accuracy       float64
		confusion             [][]int
		warnings              int
	}{
		{
			name:      "three classes",
			actual:    []string{"cat", "dog", "cat", "bird", "dog", "cat"},
			predicted: []string{"cat", "cat", "cat", "bird", "dog", "dog"},
			classes:   []string{"bird", "cat", "dog"},
			precision: []float64{1.0, 0.6666666666666666, 0.5},
			recall:    []float64{1.0, 0.6666666666666666, 0.5},
			f1:        []float64{1.0, 0.6666666666666666, 0.5},
			support:   []int{1, 3, 2},
			macro:     0.7222222222222222, accuracy: 0.6666666666666666,
			confusion: [][]int{{1, 0, 0}, {0, 2, 1}, {0, 1, 1}},
		},
		{
			name:      "class never predicted: precision 0 with a warning",
			actual:    []string{"a", "b", "c", "a"},
			predicted: []string{"a", "a", "a", "a"},
			classes:   []string{"a", "b", "c"},
			precision: []float64{0.5, 0.0, 0.0},
			recall:    []float64{1.0, 0.0, 0.0},
			f1:        []float64{0.6666666666666666, 0.0, 0.0},
			support:   []int{2, 1, 1},
			macro:     0.2222222222222222, accuracy: 0.5,
			confusion: [][]int{{2, 0, 0}, {1, 0, 0}, {1, 0, 0}},
			warnings:  1,
		},
		{
			name:      "class never true: recall 0 with a warning",
			actual:    []string{"a", "a", "b"},
			predicted: []string{"a", "c", "b"},
			classes:   []string{"a", "b", "c"},
			precision: []float64{1.0, 1.0, 0.0},
			recall:    []float64{0.5, 1.0, 0.0},
			f1:        []float64{0.6666666666666666, 1.0, 0.0},
			support:   []int{2, 1, 0},
			macro:     0.5555555555555555, accuracy: 0.6666666666666666,
			confusion: [][]int{{1, 0, 1}, {0, 1, 0}, {0, 0, 0}},
			warnings:  1,
		},
		{
			name:      "one pair (n = 1)",
			actual:    []string{"x"},
			predicted: []string{"x"},
			classes:   []string{"x"},
			precision: []float64{1.0}, recall: []float64{1.0}, f1: []float64{1.0},
			support: []int{1},
			macro:   1.0, accuracy: 1.0,
			confusion: [][]int{{1}},
		},
		{
			name:      "none right (0 of n)",
			actual:    []string{"a", "b"},
			predicted: []string{"b", "a"},
			classes:   []string{"a", "b"},
			precision: []float64{0.0, 0.0}, recall: []float64{0.0, 0.0}, f1: []float64{0.0, 0.0},
			support: []int{1, 1},
			macro:   0.0, accuracy: 0.0,
			confusion: [][]int{{0, 1}, {1, 0}},
		},
		{
			name:      "all right (n of n)",
			actual:    []string{"p", "n", "n", "p"},
			predicted: []string{"p", "n", "n", "p"},
			classes:   []string{"n", "p"},
			precision: []float64{1.0, 1.0}, recall: []float64{1.0, 1.0}, f1: []float64{1.0, 1.0},
			support: []int{2, 2},
			macro:   1.0, accuracy: 1.0,
			confusion: [][]int{{2, 0}, {0, 2}},
		},
		{
			name:      "binary",
			actual:    []string{"pos", "neg", "pos", "pos", "neg", "neg", "pos", "neg", "neg", "neg"},
			predicted: []string{"pos", "pos", "neg", "pos", "neg", "neg", "pos", "neg", "pos", "neg"},
			classes:   []string{"neg", "pos"},
			precision: []float64{0.8, 0.6},
			recall:    []float64{0.6666666666666666, 0.75},
			f1:        []float64{0.7272727272727272, 0.6666666666666665},
			support:   []int{6, 4},
			macro:     0.6969696969696968, accuracy: 0.7,
			confusion: [][]int{{4, 2}, {1, 3}},
		},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pairs := make([]LabelPair, len(tt.actual))
			for i := range pairs {
				pairs[i] = LabelPair{Predicted: tt.predicted[i], Actual: tt.actual[i]}
			}
			l := ComputeLabels(pairs, 0.95)
			if !slices.Equal(l.Classes, tt.classes) {
				t.Fatalf("classes = %v, want %v", l.Classes, tt.classes)
			}
			for i, m := range l.PerClass {
				if !near(m.Precision, tt.precision[i]) || !near(m.Recall, tt.recall[i]) || !near(m.F1, tt.f1[i]) || m.Support != tt.support[i] {
					t.Errorf("class %q: P %v R %v F1 %v support %d, want %v %v %v %d", m.Class, m.Precision, m.Recall, m.F1, m.Support, tt.precision[i], tt.recall[i], tt.f1[i], tt.support[i])
				}
			}
			if !near(l.MacroF1, tt.macro) {
				t.Errorf("macro-F1 = %.17g, want %.17g", l.MacroF1, tt.macro)
			}
			if !near(l.Accuracy.Rate, tt.accuracy) || l.Accuracy.N != len(pairs) {
				t.Errorf("accuracy = %v, want %v of %d", l.Accuracy, tt.accuracy, len(pairs))
			}
			for i := range tt.confusion {
				if !slices.Equal(l.Confusion[i], tt.confusion[i]) {
					t.Errorf("confusion = %v, want %v", l.Confusion, tt.confusion)
					break
				}
			}
			if len(l.Warnings) != tt.warnings {
				t.Errorf("warnings = %v, want %d", l.Warnings, tt.warnings)
			}
		})
	}
}

func TestComputeLabelsEmpty(t *testing.T) {
	l := ComputeLabels(nil, 0.95)
	if len(l.Classes) != 0 || !math.IsNaN(l.MacroF1) || l.Accuracy.N != 0 || len(l.Warnings) != 1 {
		t.Errorf("empty: classes %v macro %v accuracy %v warnings %v", l.Classes, l.MacroF1, l.Accuracy, l.Warnings)
	}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back Labels
	if err := json.Unmarshal(b, &back); err != nil || !math.IsNaN(back.MacroF1) {
		t.Errorf("round trip of %s: %v, macro %v", b, err, back.MacroF1)
	}
}

func TestLabelPairs(t *testing.T) {
	results := []records.Result{
		{ID: "1", Output: "Positive.", Expected: "positive"},
		{ID: "2", Output: "", Error: "timeout", Expected: "negative"},
		{ID: "3", Output: "negative"}, // no expected label: left out
	}
	got := LabelPairs(results)
	want := []LabelPair{{"positive", "positive"}, {ErrorLabel, "negative"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
