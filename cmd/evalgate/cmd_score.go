package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

const scoreUsage = "score -c CONFIG --results results.parquet [--baseline production-results.parquet] [--out DIR]"

// cmdScore re-scores recorded results with the config's scoring, fairness
// and gate, so that a changed scoring method or gate costs no model call.
func cmdScore(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "score", scoreUsage)
	cfgPath := fs.String("c", "", "the config `file` (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	resultsPath := fs.String("results", "", "the candidate's results `file` (required)")
	baselinePath := fs.String("baseline", "", "the production model's results `file`, for the regression")
	out := fs.String("out", "", "write report.json to `dir` (default run.out)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *cfgPath == "" || *resultsPath == "" {
		return usageErr("score: usage: evalgate %s", scoreUsage)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *out != "" {
		cfg.Run.Out = *out
	}
	refs, info, err := readRefs(cfg.DatasetPath())
	if err != nil {
		return inputErr(err)
	}
	if err := cfg.CheckDigest(info.SHA256); err != nil {
		return inputErr(err)
	}
	started := time.Now().UTC()
	load := func(path string) (reports.ModelResults, error) {
		results, meta, err := datasets.ReadResults(path)
		if err != nil {
			return reports.ModelResults{}, inputErr(err)
		}
		if d := meta["evalgate.dataset_sha256"]; d != "" && d != info.SHA256 {
			return reports.ModelResults{}, inputErr(fmt.Errorf("%s was made from dataset %s, but %s is %s", path, d, cfg.DatasetPath(), info.SHA256))
		}
		for i := range results {
			r := &results[i]
			item, ok := refs[r.ID]
			if !ok {
				return reports.ModelResults{}, inputErr(fmt.Errorf("%s: result %q has no item in %s", path, r.ID, cfg.DatasetPath()))
			}
			r.Task, r.Expected = item.task, item.expected
			r.Scores = metrics.ScoreAll(r.Output, item.refs)
		}
		sum, err := fileSHA256(path)
		if err != nil {
			return reports.ModelResults{}, inputErr(err)
		}
		return reports.ModelResults{Results: results, ResultsFile: filepath.Base(path), ResultsSHA256: sum}, nil
	}
	in := reports.Input{Config: cfg, Dataset: reports.DatasetInfo{Path: cfg.DatasetPath(), Name: info.Name, Version: info.Version, SHA256: info.SHA256, Rows: info.Rows}}
	if in.Candidate, err = load(*resultsPath); err != nil {
		return err
	}
	if *baselinePath != "" {
		if cfg.Production == nil {
			return usageErr("score: --baseline needs a production model in %s", cfg.Path)
		}
		base, err := load(*baselinePath)
		if err != nil {
			return err
		}
		in.Production = &base
	}
	finished := time.Now().UTC()
	in.Timing = reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}
	rep := reports.Build(in)
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, rep); err != nil {
		return runErr(err)
	}
	if err := mkdirAll(cfg.Run.Out); err != nil {
		return runErr(err)
	}
	path := filepath.Join(cfg.Run.Out, "report.json")
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return runErr(err)
	}
	if err := reports.WriteSummary(e.stdout, rep); err != nil {
		return runErr(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (re-scored, no model called)\n", path)
	if rep.Verdict != reports.Allow {
		return &exitError{exitBlock, fmt.Errorf("")}
	}
	return nil
}

// itemRefs is what scoring needs of an eval-set item.
type itemRefs struct {
	refs           []string
	task, expected string
}

// readRefs reads the reference answers of every item of the set at path,
// by id. It holds one entry per item.
func readRefs(path string) (map[string]itemRefs, datasets.Info, error) {
	r, err := datasets.Open(path)
	if err != nil {
		return nil, datasets.Info{}, err
	}
	defer r.Close()
	out := make(map[string]itemRefs, r.Info().Rows)
	for r.Scan() {
		it := r.Item()
		out[it.ID] = itemRefs{refs: metrics.Refs(it.Expected, it.ExpectedAny), task: it.Task, expected: it.Expected}
	}
	return out, r.Info(), r.Err()
}
