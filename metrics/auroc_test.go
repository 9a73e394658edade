package metrics_test

import (
	"math"
	"testing"

	"github.com/evalgate/evalgate/metrics"
)

// The wants are scikit-learn 1.2.1's, from
//
//	/usr/bin/python3 -c "from sklearn.metrics import roc_auc_score; print(repr(roc_auc_score(y, s)))"
//
// with y the labels (1 for true) and s the scores of each case; the
// "forty" case drew s and y with
//
//	random.seed(7); s = [round(random.random(), 1) for _ in range(40)]
//	y = [1 if random.random() < 0.3 + 0.4*v else 0 for v in s]
func TestAUROCAgainstSklearn(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		labels []int
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []int{0, 0, 1, 1}, 1.0},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []int{0, 0, 1, 1}, 0.0},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []int{0, 1, 0, 1}, 0.5},
		{"sklearn doc", []float64{0.1, 0.4, 0.35, 0.8}, []int{0, 0, 1, 1}, 0.75},
		{"mixed with ties", []float64{0.1, 0.4, 0.35, 0.8, 0.4, 0.7, 0.2, 0.4}, []int{0, 0, 1, 1, 1, 0, 0, 1}, 0.6875},
		{"binary scores", []float64{1, 0, 1, 1, 0, 0, 1}, []int{1, 0, 0, 1, 0, 1, 1}, 0.7083333333333334},
		{"forty",
			[]float64{0.3, 0.2, 0.7, 0.1, 0.5, 0.4, 0.1, 0.5, 0.0, 0.4, 0.1, 0.1, 0.4, 0.8, 0.1, 0.2, 0.6, 0.9, 0.6, 0.4, 1.0, 0.0, 0.9, 0.3, 0.1, 0.1, 0.3, 0.8, 0.2, 0.6, 0.6, 0.4, 0.5, 0.1, 0.1, 0.2, 0.7, 0.4, 0.3, 0.6},
			[]int{0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1},
			0.5357142857142858},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pos := make([]bool, len(tc.labels))
			for i, l := range tc.labels {
				pos[i] = l == 1
			}
			if got := metrics.AUROC(tc.scores, pos); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("AUROC = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAUROCUndefined(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		pos    []bool
	}{
		{"empty", nil, nil},
		{"only positives", []float64{0.2, 0.3}, []bool{true, true}}, // sklearn raises "Only one class present in y_true"
		{"only negatives", []float64{0.2, 0.3}, []bool{false, false}},
		{"length mismatch", []float64{0.2, 0.3}, []bool{true}},
		{"NaN score", []float64{0.2, math.NaN()}, []bool{true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := metrics.AUROC(tc.scores, tc.pos); !math.IsNaN(got) {
				t.Errorf("AUROC = %v, want NaN", got)
			}
		})
	}
}

// TestAUROCPairs checks the rank formula against the definition: the share
// of (positive, negative) pairs ordered correctly, ties counting one half.
func TestAUROCPairs(t *testing.T) {
	scores := []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4}
	pos := make([]bool, len(scores))
	for i := range pos {
		pos[i] = (i*7)%3 == 0
	}
	var sum, pairs float64
	for i := range scores {
		for j := range scores {
			if pos[i] && !pos[j] {
				pairs++
				switch {
				case scores[i] > scores[j]:
					sum++
				case scores[i] == scores[j]:
					sum += 0.5
				}
			}
		}
	}
	if got, want := metrics.AUROC(scores, pos), sum/pairs; math.Abs(got-want) > 1e-12 {
		t.Errorf("AUROC = %v, want %v", got, want)
	}
}

func TestEvaluateDetection(t *testing.T) {
	// precision_score, recall_score, f1_score of scikit-learn 1.2.1 with
	// y = [1,0,1,1,0,0,1,0] and flags p = [1,1,0,1,0,0,1,1].
	labels := []bool{true, false, true, true, false, false, true, false}
	flags := []bool{true, true, false, true, false, false, true, true}
	scores := []float64{0.9, 0.6, 0.3, 0.8, 0.1, 0.2, 0.7, 0.6}
	d := metrics.EvaluateDetection(flags, scores, labels)
	if d.N != 8 || d.Positives != 4 || d.TP != 3 || d.FP != 2 || d.FN != 1 {
		t.Errorf("counts = %+v", d)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"precision", d.Precision, 0.6}, {"recall", d.Recall, 0.75}, {"F1", d.F1, 0.6666666666666665},
		{"AUROC", d.AUROC, metrics.AUROC(scores, labels)},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	none := metrics.EvaluateDetection([]bool{false, false}, []float64{0, 0}, []bool{true, false})
	if none.Precision != 0 || none.Recall != 0 || none.F1 != 0 || none.AUROC != 0.5 {
		t.Errorf("nothing flagged: %+v, want zero precision, recall and F1, AUROC 0.5", none)
	}
	if bad := metrics.EvaluateDetection([]bool{true}, nil, []bool{true}); bad.TP != 0 || !math.IsNaN(bad.AUROC) {
		t.Errorf("length mismatch: %+v", bad)
	}
}
