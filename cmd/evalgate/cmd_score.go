package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/render"
)

const scoreUsage = "score -c CONFIG --results results.parquet [--baseline production-results.parquet] [--judge-results judge-results.parquet] [--out DIR] [--no-gate] [--reviews DIR --reviews-key PUB...]"

// cmdScore re-scores recorded results with the config's scoring, fairness,
// integrity checks and gate, so that a changed scoring method or gate costs
// no model call (pipeline.Score).
func cmdScore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "score", scoreUsage)
	cfgPath := fs.String("c", "", "the config `file` (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	var in pipeline.ScoreInput
	fs.StringVar(&in.Results, "results", "", "the candidate's results `file` (required)")
	fs.StringVar(&in.Baseline, "baseline", "", "the production model's results `file`, for the regression")
	fs.StringVar(&in.JudgeResults, "judge-results", "", "the groundedness judge's replies (`file`; default: judge-results.parquet beside --results, when present)")
	out := fs.String("out", "", "write report.json to `dir` (default run.out)")
	noGate := fs.Bool("no-gate", false, "accept a config with no gate rules: the report's verdict is NONE")
	var rf reviewFlags
	rf.add(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *cfgPath == "" || in.Results == "" {
		return usageErr("score: usage: evalgate %s", scoreUsage)
	}
	if err := rf.check("score"); err != nil {
		return err
	}
	cfg, err := pipeline.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *out != "" {
		cfg.Run.Out = *out
	}
	count, _, err := rf.load("score", cfg)
	if err != nil {
		return err
	}
	if path := e.getenv("EVALGATE_CPUPROFILE"); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			return runErr(err)
		}
		defer stop()
	}
	rep, err := pipeline.Score(ctx, cfg, in, pipeline.Options{Getenv: e.getenv, Log: e.stderr, NoGate: *noGate, Reviews: count})
	if err != nil {
		return err
	}
	path, err := pipeline.WriteScoreReport(cfg.Run.Out, rep, []string{in.Results, in.Baseline, in.JudgeResults, cfg.DatasetPath(), cfg.Path}, pipeline.Options{Log: e.stderr})
	if err != nil {
		return err
	}
	if err := render.WriteSummary(e.stdout, rep); err != nil {
		return runErr(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (re-scored, no model called)\n", path)
	return verdictErr(rep, nil)
}

// startCPUProfile writes a CPU profile of the rest of the command to
// path (for go tool pprof); the caller calls stop when done. It is set
// with the EVALGATE_CPUPROFILE environment variable, for benchmarks.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
