package pipeline

import (
	"fmt"
	"maps"
	"slices"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/metrics"
)

// CompareInput names two results files and how to compare them
// (evalgate compare).
type CompareInput struct {
	// Baseline and Candidate are the results files.
	Baseline, Candidate string
	// Method decides correct; empty takes the candidate's scoring method,
	// else normalized.
	Method string
	// AllowDatasetChange compares results made from different eval sets,
	// on the (id, sample) pairs they share.
	AllowDatasetChange bool
	// Level, Resamples and Seed set the bootstrap.
	Level     float64
	Resamples int
	Seed      uint64
}

// Comparison is two results files paired by item.
type Comparison struct {
	Regression metrics.Regression
	// Method is the scoring method used; BaselineModel and CandidateModel
	// the models the files name; DatasetsDiffer is set when the files were
	// made from different (or unnamed) eval sets.
	Method                        string
	BaselineModel, CandidateModel string
	DatasetsDiffer                bool
}

// Compare pairs two results files by item and computes the change with
// the scores stored in them: the paired delta and its bootstrap interval,
// McNemar's exact test, the flips and the per-group deltas. Results made
// from different eval sets (their metadata names each set's SHA-256) are
// bad input unless in.AllowDatasetChange.
func Compare(in CompareInput) (*Comparison, error) {
	base, baseMeta, err := datasets.ReadResults(in.Baseline)
	if err != nil {
		return nil, inputErr(err)
	}
	cand, candMeta, err := datasets.ReadResults(in.Candidate)
	if err != nil {
		return nil, inputErr(err)
	}
	bd, cd := baseMeta["evalgate.dataset_sha256"], candMeta["evalgate.dataset_sha256"]
	c := &Comparison{DatasetsDiffer: bd != cd || bd == "", BaselineModel: baseMeta["evalgate.model"], CandidateModel: candMeta["evalgate.model"]}
	if c.DatasetsDiffer && !in.AllowDatasetChange {
		return nil, inputErr(fmt.Errorf("the results were made from different datasets (baseline %s, candidate %s); pass --allow-dataset-change to compare the ids they share", dash(bd), dash(cd)))
	}
	c.Method = in.Method
	if c.Method == "" {
		c.Method = candMeta["evalgate.scoring_method"]
	}
	if c.Method == "" {
		c.Method = "normalized"
	}
	// Every result carries the same group columns; read their names off
	// the first.
	var groups []string
	if len(cand) > 0 {
		groups = slices.Sorted(maps.Keys(cand[0].Groups))
	}
	opts := metrics.Options{Method: c.Method, F1Threshold: 0.5, Level: in.Level, MinGroupSize: 30, Resamples: in.Resamples, Seed: in.Seed}
	c.Regression = metrics.CompareByGroup(cand, base, groups, opts)
	return c, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
