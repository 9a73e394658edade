package metrics

import (
	"math"
	"sort"
)

// AUROC returns the area under the ROC curve of scores as a detector of
// positive, in [0, 1]: the probability that a randomly chosen positive
// scores higher than a randomly chosen negative, ties counting one half.
// It is the Mann–Whitney U statistic over n₊·n₋, computed from ranks with
// ties given their average rank, and equals scikit-learn's roc_auc_score.
//
// It returns NaN when the AUROC is undefined: there are no positives or no
// negatives, the slices differ in length, or a score is NaN.
func AUROC(scores []float64, positive []bool) float64 {
	n := len(scores)
	if n != len(positive) {
		return math.NaN()
	}
	pos := 0
	for i, s := range scores {
		if math.IsNaN(s) {
			return math.NaN()
		}
		if positive[i] {
			pos++
		}
	}
	neg := n - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// Sum of the positives' ranks (1-based), ties averaged.
	rankSum := 0.0
	for i := 0; i < n; {
		j := i + 1
		for j < n && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+1+j) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if positive[idx[k]] {
				rankSum += avg
			}
		}
		i = j
	}
	u := rankSum - float64(pos)*float64(pos+1)/2
	return u / (float64(pos) * float64(neg))
}

// Detection is how well a binary detector, with a continuous score for
// ranking, finds the positives of a labelled set: for example the
// hallucination flag and score of Grounding against human labels.
type Detection struct {
	// N is the number of items and Positives how many are labelled positive.
	N, Positives int
	// TP, FP and FN count flagged positives, flagged negatives and missed
	// positives.
	TP, FP, FN int
	// Precision is TP/(TP+FP), Recall TP/(TP+FN) and F1 their harmonic
	// mean, each in [0, 1]; as scikit-learn's default, a ratio with a zero
	// denominator is 0.
	Precision, Recall, F1 float64
	// AUROC is the area under the ROC curve of the scores (see AUROC); NaN
	// when undefined.
	AUROC float64
}

// EvaluateDetection compares a detector's flags and scores with the labels
// positive, item by item. The three slices must have the same length;
// otherwise every field but N is zero and AUROC is NaN.
func EvaluateDetection(flagged []bool, scores []float64, positive []bool) Detection {
	d := Detection{N: len(positive), AUROC: math.NaN()}
	if len(flagged) != len(positive) || len(scores) != len(positive) {
		return d
	}
	for i, p := range positive {
		switch {
		case p && flagged[i]:
			d.TP++
		case flagged[i]:
			d.FP++
		case p:
			d.FN++
		}
		if p {
			d.Positives++
		}
	}
	d.Precision = detectionRatio(d.TP, d.TP+d.FP)
	d.Recall = detectionRatio(d.TP, d.TP+d.FN)
	if d.Precision+d.Recall > 0 {
		d.F1 = 2 * d.Precision * d.Recall / (d.Precision + d.Recall)
	}
	d.AUROC = AUROC(scores, positive)
	return d
}

func detectionRatio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
