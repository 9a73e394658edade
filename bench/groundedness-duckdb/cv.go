package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
)

// labelled is one answer: its task, label and hallucination score.
type labelled struct {
	id    string
	task  string
	label bool
	score float64
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
		l.id, l.score = res.ID, res.Groundedness.Score
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

// crossValidate computes one task's Figures with integrity.CrossValidate,
// the procedure evalgate's shipped calibration comes from, so that the
// DuckDB computation is checked against the very code that sets the
// thresholds.
func crossValidate(task string, items []labelled) Figures {
	ids := make([]string, len(items))
	scores := make([]float64, len(items))
	labels := make([]bool, len(items))
	for i, l := range items {
		ids[i], scores[i], labels[i] = l.id, l.score, l.label
	}
	c := integrity.CrossValidate(ids, scores, labels)
	f := Figures{Task: task, N: c.N, Hallucinated: c.Hallucinated, Threshold: c.Threshold,
		Precision: c.Precision, Recall: c.Recall, F1: c.F1, BaselineF1: c.BaselineF1, AUROC: c.AUROC}
	if c.Hallucinated == 0 || c.Hallucinated == c.N {
		f.AUROC = nan // undefined with one class
	}
	return f
}

// nan marks an undefined figure.
var nan = math.NaN()
