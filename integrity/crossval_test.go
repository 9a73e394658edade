package integrity_test

import (
	"math"
	"testing"

	"github.com/evalgate/evalgate/integrity"
)

// TestCVFold pins folds computed independently (Python:
// int.from_bytes(hashlib.sha256(id).digest()[:8], "big") * 5 >> 64), the
// formula the DuckDB script implements too.
func TestCVFold(t *testing.T) {
	for _, c := range []struct {
		id   string
		want int
	}{{"a", 3}, {"item-1", 1}, {"ragtruth-0001", 2}, {"", 4}} {
		if got := integrity.CVFold(c.id, 5); got != c.want {
			t.Errorf("CVFold(%q, 5) = %d, want %d", c.id, got, c.want)
		}
	}
}

func TestBestThreshold(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"separable", []float64{0.1, 0.2, 0.7, 0.9}, []bool{false, false, true, true}, 0.7},
		// t = 0.5 gives F1 2/3 (one of two positives, no false
		// positive); t = 0.2 gives F1 2·2/(3+2) = 0.8.
		{"one negative above a positive", []float64{0.1, 0.2, 0.4, 0.5}, []bool{false, true, false, true}, 0.2},
		// Every t ≥ 0.3 ties at F1 1: the smallest wins.
		{"tie goes to the smallest", []float64{0.1, 0.3, 0.3}, []bool{false, true, true}, 0.3},
		{"no positives: flag everything", []float64{0.2, 0.6}, []bool{false, false}, 0.2},
		{"empty", nil, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := integrity.BestThreshold(c.scores, c.labels); got != c.want {
				t.Errorf("BestThreshold = %v, want %v", got, c.want)
			}
		})
	}
}

// TestCrossValidate checks the held-out figures on a separable set: no
// threshold a fold can pick (the lowest positive score of the other folds)
// flags a negative, so precision is 1; a held-out positive below the
// other folds' lowest can be missed, at most one per fold; the baseline is
// 2p/(1+p) and the shipped threshold the lowest positive score.
func TestCrossValidate(t *testing.T) {
	var ids []string
	var scores []float64
	var labels []bool
	for i := range 40 {
		ids = append(ids, string(rune('a'+i%26))+string(rune('0'+i/26)))
		pos := i%3 == 0
		labels = append(labels, pos)
		s := 0.1 + float64(i)/1000
		if pos {
			s += 0.5
		}
		scores = append(scores, s)
	}
	c := integrity.CrossValidate(ids, scores, labels)
	p := 14.0 / 40
	if c.N != 40 || c.Hallucinated != 14 || c.Precision != 1 || c.AUROC != 1 || math.Abs(c.BaselineF1-2*p/(1+p)) > 1e-12 {
		t.Errorf("CrossValidate = %+v, want n 40, 14 positive, precision 1, AUROC 1, baseline %.4f", c, 2*p/(1+p))
	}
	if c.Recall < 9.0/14 || math.Abs(c.F1-2*c.Precision*c.Recall/(c.Precision+c.Recall)) > 1e-12 {
		t.Errorf("recall %v, F1 %v: want recall at least 9/14 and F1 their harmonic mean", c.Recall, c.F1)
	}
	if c.Threshold != 0.6 {
		t.Errorf("threshold %v, want 0.6, the lowest positive score", c.Threshold)
	}
}

// TestGroundThreshold checks that the verdict is Score ≥ the threshold:
// the one given, or else the calibrated one of the task (the pooled one
// for an unknown or empty task).
func TestGroundThreshold(t *testing.T) {
	const answer = "The tower was finished in 1889. It is 450 metres tall and was designed by Gustave Eiffel."
	ctx := []string{"The Eiffel Tower was completed in 1889. It is 330 metres tall."}
	score := integrity.NewGrounder(integrity.GroundOptions{}).Ground(answer, ctx).Score
	pooled, _ := integrity.CalibrationFor("")
	summary, _ := integrity.CalibrationFor("summary")
	data2txt, _ := integrity.CalibrationFor("data2txt")
	cases := []struct {
		name      string
		opts      integrity.GroundOptions
		threshold float64
	}{
		{"default: pooled", integrity.GroundOptions{}, pooled.Threshold},
		{"summary", integrity.GroundOptions{Task: "Summary"}, summary.Threshold},
		{"data2txt", integrity.GroundOptions{Task: "data2txt"}, data2txt.Threshold},
		{"unknown task: pooled", integrity.GroundOptions{Task: "qa"}, pooled.Threshold},
		{"just below the score", integrity.GroundOptions{Threshold: score - 1e-9}, score - 1e-9},
		{"at the score", integrity.GroundOptions{Threshold: score}, score},
		{"just above the score", integrity.GroundOptions{Threshold: score + 1e-9}, score + 1e-9},
		{"above 1", integrity.GroundOptions{Threshold: 1.5}, 1.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := integrity.NewGrounder(c.opts).Ground(answer, ctx)
			if want := r.Score >= c.threshold; r.Hallucinated != want || r.Score != score {
				t.Errorf("score %v, hallucinated %v; want score %v, hallucinated %v (threshold %v)", r.Score, r.Hallucinated, score, want, c.threshold)
			}
		})
	}
}
