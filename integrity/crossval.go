package integrity

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"sort"

	"github.com/evalgate/evalgate/metrics"
)

// CVFolds is the number of folds CrossValidate uses.
const CVFolds = 5

// CVFold returns the fold, in [0, folds), of the item id: h·folds / 2⁶⁴
// rounded down, h the first 8 bytes of the SHA-256 of id as a big-endian
// integer — the formula of pipeline.ShardOf, so that any tool (the DuckDB
// script under bench/) assigns the same folds.
func CVFold(id string, folds int) int {
	sum := sha256.Sum256([]byte(id))
	hi, _ := bits.Mul64(binary.BigEndian.Uint64(sum[:8]), uint64(folds))
	return int(hi)
}

// BestThreshold returns the threshold t, among the distinct scores, that
// maximises the F1 of the rule "hallucinated iff score ≥ t" against
// labels; ties go to the smallest t. It returns 0 when there are no
// scores.
func BestThreshold(scores []float64, labels []bool) float64 {
	if len(scores) == 0 {
		return 0
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	// Descending scores: lowering t past each distinct score flags its
	// items as well.
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	pos := 0
	for _, l := range labels {
		if l {
			pos++
		}
	}
	best, bestF1 := scores[idx[0]], -1.0
	tp, flagged := 0, 0
	for i := 0; i < len(idx); {
		t := scores[idx[i]]
		for ; i < len(idx) && scores[idx[i]] == t; i++ {
			flagged++
			if labels[idx[i]] {
				tp++
			}
		}
		f1 := 0.0
		if tp > 0 {
			f1 = 2 * float64(tp) / float64(flagged+pos)
		}
		if f1 >= bestF1 { // ≥: a tie goes to the smaller t, met later
			best, bestF1 = t, f1
		}
	}
	return best
}

// CrossValidate estimates how the rule "hallucinated iff score ≥ t"
// performs on items it was not tuned on, by CVFolds-fold cross-validation
// with folds by CVFold(id): for each fold, t is BestThreshold on the other
// folds' items and is applied to the fold's items. Precision, Recall and F1
// are those of the pooled held-out verdicts; AUROC ranks all items by
// score; BaselineF1 is that of flagging every item, 2p/(1+p) at
// prevalence p. Threshold is BestThreshold on all the items: the threshold
// to ship, whose expected precision and recall are the cross-validated
// ones. Task and Source are left empty.
func CrossValidate(ids []string, scores []float64, labels []bool) Calibration {
	n := len(ids)
	fold := make([]int, n)
	for i, id := range ids {
		fold[i] = CVFold(id, CVFolds)
	}
	flagged := make([]bool, n)
	var trS []float64
	var trL []bool
	for k := 0; k < CVFolds; k++ {
		trS, trL = trS[:0], trL[:0]
		for i := range ids {
			if fold[i] != k {
				trS = append(trS, scores[i])
				trL = append(trL, labels[i])
			}
		}
		t := BestThreshold(trS, trL)
		for i := range ids {
			if fold[i] == k {
				flagged[i] = scores[i] >= t
			}
		}
	}
	d := metrics.EvaluateDetection(flagged, scores, labels)
	c := Calibration{
		Threshold: BestThreshold(scores, labels),
		Precision: d.Precision, Recall: d.Recall, F1: d.F1, AUROC: d.AUROC,
		N: d.N, Hallucinated: d.Positives,
	}
	if n > 0 {
		p := float64(d.Positives) / float64(n)
		c.BaselineF1 = 2 * p / (1 + p)
	}
	return c
}
