package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/evalgate/evalgate/pipeline"
)

const compareUsage = "compare --baseline A.parquet --candidate B.parquet [--method contains] [--allow-dataset-change]"

// cmdCompare pairs two results files by item and reports the change: the
// paired delta with its bootstrap interval, McNemar's exact test, the flips
// and the per-group deltas. It uses the scores stored in the files.
func cmdCompare(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "compare", compareUsage)
	basePath := fs.String("baseline", "", "the production model's results `file` (required)")
	candPath := fs.String("candidate", "", "the candidate's results `file` (required)")
	method := fs.String("method", "", "scoring `method` deciding correct (default: the one the candidate was run with)")
	allow := fs.Bool("allow-dataset-change", false, "compare results made from different datasets, on the ids they share")
	level := fs.Float64("confidence", 0.95, "confidence `level` of the intervals")
	resamples := fs.Int("resamples", 2000, "bootstrap `resamples`")
	seed := fs.Uint64("seed", 1, "bootstrap `seed`")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *basePath == "" || *candPath == "" {
		return usageErr("compare: usage: evalgate %s", compareUsage)
	}
	if !(*level > 0 && *level < 1) || *resamples < 100 {
		return usageErr("compare: --confidence must be in (0, 1) and --resamples at least 100")
	}
	c, err := pipeline.Compare(pipeline.CompareInput{Baseline: *basePath, Candidate: *candPath, Method: *method, AllowDatasetChange: *allow,
		Level: *level, Resamples: *resamples, Seed: *seed})
	if err != nil {
		return err
	}
	reg, m, changed := c.Regression, c.Method, c.DatasetsDiffer
	w := e.stdout
	fmt.Fprintf(w, "baseline   %s (%s)\ncandidate  %s (%s)\n", safe(*basePath), safe(orDash(c.BaselineModel)), safe(*candPath), safe(orDash(c.CandidateModel)))
	if changed {
		fmt.Fprintf(w, "datasets differ: compared on the %d (id, sample) pairs the two share\n", reg.Pairs)
	}
	fmt.Fprintf(w, "method     %s\n\n", m)
	fmt.Fprintf(w, "accuracy   baseline %s\n           candidate %s\n", reg.Baseline, reg.Candidate)
	fmt.Fprintf(w, "delta      %+.3f [%+.3f, %+.3f] (%.0f%% paired bootstrap, %d resamples, seed %d)\n", reg.Delta, reg.DeltaLow, reg.DeltaHigh, *level*100, reg.Resamples, reg.Seed)
	fmt.Fprintf(w, "McNemar    p = %.4g on %d discordant pairs (%d right→wrong, %d wrong→right)\n", reg.McNemarP, reg.Discordant, len(reg.RightToWrong), len(reg.WrongToRight))
	for _, g := range reg.ByGroup {
		flag := ""
		if g.Small {
			flag = " (small)"
		}
		fmt.Fprintf(w, "  %s=%s: %+.3f [%+.3f, %+.3f] on %d pairs%s\n", safe(g.Column), safe(g.Value), g.Delta.Value, g.Delta.Low, g.Delta.High, g.Pairs, flag)
	}
	printList(w, "right → wrong", reg.RightToWrong)
	printList(w, "wrong → right", reg.WrongToRight)
	for _, warn := range reg.Warnings {
		fmt.Fprintf(w, "warning: %s\n", safe(warn.Error()))
	}
	return nil
}

func printList(w io.Writer, title string, ids []string) {
	const show = 20
	if len(ids) == 0 {
		return
	}
	fmt.Fprintf(w, "%s (%d):", title, len(ids))
	for _, id := range ids[:min(show, len(ids))] {
		fmt.Fprintf(w, " %s", safe(id))
	}
	if len(ids) > show {
		fmt.Fprintf(w, " … and %d more", len(ids)-show)
	}
	fmt.Fprintln(w)
}

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }
