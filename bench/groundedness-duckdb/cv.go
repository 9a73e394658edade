package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/pipeline"
)

// folds is the number of cross-validation folds.
const folds = 5

// labelled is one answer: its task, label and hallucination score.
type labelled struct {
	task  string
	label bool
	score float64
	fold  int
}

// goFigures computes the Figures in Go, reading results.parquet with
// evalgate's results reader and the labels with its eval-set reader.
func goFigures(resultsPath, dataPath string) ([]Figures, error) {
	labels := map[string]labelled{}
	set, err := datasets.Open(dataPath)
	if err != nil {
		return nil, err
	}
	for set.Scan() {
		it := set.Item()
		switch it.Extra["hallucinated"] {
		case "yes":
			labels[it.ID] = labelled{task: it.Task, label: true}
		case "no":
			labels[it.ID] = labelled{task: it.Task}
		}
	}
	err = set.Err()
	set.Close()
	if err != nil {
		return nil, err
	}
	rr, err := datasets.OpenResults(resultsPath)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	byTask := map[string][]labelled{}
	for rr.Scan() {
		res := rr.Result()
		l, ok := labels[res.ID]
		if !ok || res.Sample != 0 || res.Groundedness == nil {
			continue
		}
		l.score, l.fold = res.Groundedness.Score, pipeline.ShardOf(res.ID, folds)
		byTask[l.task] = append(byTask[l.task], l)
		byTask["all"] = append(byTask["all"], l)
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	if len(byTask) == 0 {
		return nil, fmt.Errorf("no labelled answer of %s has a groundedness check in %s", dataPath, resultsPath)
	}
	var out []Figures
	for task, items := range byTask {
		out = append(out, crossValidate(task, items))
	}
	slices.SortFunc(out, func(a, b Figures) int {
		return cmp.Or(cmp.Compare(b2i(a.Task == "all"), b2i(b.Task == "all")), cmp.Compare(a.Task, b.Task))
	})
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// counts are a confusion matrix's cells that F1 needs.
type counts struct{ tp, fp, fn int }

func (c counts) f1() float64 {
	if 2*c.tp+c.fp+c.fn == 0 {
		return 0
	}
	return float64(2*c.tp) / float64(2*c.tp+c.fp+c.fn)
}

// tally adds the prediction "hallucinated iff score ≥ t" for l.
func (c *counts) tally(l labelled, t float64) {
	p := l.score >= t
	switch {
	case l.label && p:
		c.tp++
	case !l.label && p:
		c.fp++
	case l.label && !p:
		c.fn++
	}
}

// pickThreshold returns the threshold, among the distinct scores of the
// items with fold ≠ skip, that maximises F1 on them, ties to the
// smallest; +Inf (nothing flagged) when there is no such item.
func pickThreshold(items []labelled, skip int) (float64, bool) {
	var cands []float64
	for _, l := range items {
		if l.fold != skip {
			cands = append(cands, l.score)
		}
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	best, bestF1, found := 0.0, -1.0, false
	for _, t := range cands { // ascending: a tie keeps the smaller
		var c counts
		for _, l := range items {
			if l.fold != skip {
				c.tally(l, t)
			}
		}
		if f := c.f1(); f > bestF1 {
			best, bestF1, found = t, f, true
		}
	}
	return best, found
}

// crossValidate computes one task's Figures.
func crossValidate(task string, items []labelled) Figures {
	f := Figures{Task: task, N: len(items), Threshold: nan, AUROC: nan}
	var thresholds [folds]float64
	for k := range folds {
		t, ok := pickThreshold(items, k)
		if !ok {
			t = inf
		}
		thresholds[k] = t
	}
	if t, ok := pickThreshold(items, -1); ok {
		f.Threshold = t
	}
	var c counts
	var pos, neg []float64
	for _, l := range items {
		c.tally(l, thresholds[l.fold])
		if l.label {
			pos = append(pos, l.score)
		} else {
			neg = append(neg, l.score)
		}
	}
	f.Hallucinated = len(pos)
	if c.tp+c.fp > 0 {
		f.Precision = float64(c.tp) / float64(c.tp+c.fp)
	}
	if c.tp+c.fn > 0 {
		f.Recall = float64(c.tp) / float64(c.tp+c.fn)
	}
	f.F1 = c.f1()
	p := float64(len(pos)) / float64(len(items))
	f.BaselineF1 = 2 * p / (1 + p)
	if len(pos) > 0 && len(neg) > 0 {
		twice := 0 // 2 × (pairs ranked right + ½ the ties)
		for _, a := range pos {
			for _, b := range neg {
				switch {
				case a > b:
					twice += 2
				case a == b:
					twice++
				}
			}
		}
		f.AUROC = float64(twice) / float64(2*len(pos)*len(neg))
	}
	return f
}

// nan marks an undefined figure, inf a threshold that flags nothing.
var nan, inf = math.NaN(), math.Inf(1)
