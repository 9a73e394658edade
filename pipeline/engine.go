package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// ScoreInput names the files Score reads.
type ScoreInput struct {
	// Results is the candidate's results file. Required.
	Results string
	// Baseline, when set, is the production model's results file, for the
	// regression; the config must name a production model.
	Baseline string
	// JudgeResults, when set, holds the groundedness judge's replies
	// (judge-results.parquet), so that a judged run's groundedness is
	// rebuilt without calling the judge. When empty and the method is
	// judge, Score looks for judge-results.parquet beside Results, and
	// leaves groundedness out, with a note, when there is none.
	JudgeResults string
}

// Score re-scores recorded results under cfg's scoring, fairness, integrity
// checks and gate, making no model call, and returns the report; it writes
// nothing. It is the engine Run builds its report with, so that on the
// same results both give the same report apart from timing and the
// run-only statistics (calls retried, cached, resumed; the response cache;
// adaptive concurrency).
func Score(ctx context.Context, cfg *configs.Config, in ScoreInput, opts Options) (*reports.Report, error) {
	started := time.Now().UTC()
	set, info, err := openSet(cfg)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	if in.Baseline != "" && cfg.Production == nil {
		return nil, inputErr(fmt.Errorf("--baseline needs a production model in %s", cfg.Path))
	}
	ig, err := IntegrityOptions(cfg)
	if err != nil {
		return nil, err
	}
	sc := &scoring{cfg: cfg, src: set, set: info, opts: opts, ig: ig, igOn: checksOn(ig)}
	var judge *reports.JudgeRun
	if ig.Judge {
		path := in.JudgeResults
		if path == "" {
			if p := filepath.Join(filepath.Dir(in.Results), JudgeResultsFile); fileExists(p) {
				path = p
			}
		}
		if path == "" {
			sc.ig.Judge = false
			sc.igOn = checksOn(sc.ig)
			opts.logf("evalgate: note: groundedness.method is judge and no %s lies beside %s, so score leaves groundedness out\n", JudgeResultsFile, in.Results)
		} else {
			if sc.verdicts, err = readVerdicts(path, redactor(cfg)); err != nil {
				return nil, err
			}
			m := cfg.Groundedness.Judge
			judge = &reports.JudgeRun{Provider: m.Provider, Model: m.Model, Version: m.Version}
			if m.Provider == "openai" {
				judge.BaseURL = m.BaseURL
			}
		}
	}
	s, err := sc.score(ctx, in.Results, in.Baseline)
	if err != nil {
		return nil, err
	}
	if judge != nil {
		judge.Calls, judge.Errors = sc.verdicts.counts()
		s.in.Judge = judge
	}
	if err := set.Check(); err != nil {
		return nil, inputErr(err)
	}
	finished := time.Now().UTC()
	s.in.Timing = reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}
	return reports.BuildFromTallies(s.in), nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// scoring is one pass of the report engine: results files in, tallies out.
type scoring struct {
	cfg *configs.Config
	// src is the eval set, opened once; set is its Info.
	src  *datasets.Set
	set  datasets.Info
	opts Options
	// ig are the integrity checks; igOn turns them on.
	ig   integrity.Options
	igOn bool
	// verdicts, when not nil, are the judge's, for method judge.
	verdicts *verdicts
}

// scored is what the engine computed: the report's input, and the
// integrity checker (nil when the checks were off), whose review rows a
// run writes.
type scored struct {
	in      reports.StreamInput
	checker *integrity.Checker
}

// score streams the candidate's results file (and the baseline's, when
// not empty) through the scoring, fairness, repeat, regression and
// integrity tallies.
//
// Its memory does not grow with the results, with two exceptions: with
// repeats, the repeat statistics keep each item's distinct answers
// (metrics.RepeatsTally); with a baseline, results files that do not list
// the same results in the same order are paired in memory. The integrity
// checks run inside the candidate's scoring (scoreChecks) when its results
// follow the eval set's order, and in a second pass otherwise.
func (sc *scoring) score(ctx context.Context, resultsPath, baselinePath string) (*scored, error) {
	cfg := sc.cfg
	newChecks := func() *scoreChecks {
		if sc.igOn {
			return newScoreChecks(sc.ig, sc.verdicts)
		}
		return nil
	}
	var checks *scoreChecks
	in := reports.StreamInput{Config: cfg, Redacted: cfg.PII.Redact,
		Dataset: reports.DatasetInfo{Path: cfg.DatasetPath(), Name: sc.set.Name, Version: sc.set.Version, SHA256: sc.set.SHA256, Rows: sc.set.Rows}}
	opts := reports.MetricOptions(cfg)
	newRepeats := func() *metrics.RepeatsTally {
		if cfg.Run.Repeats > 1 {
			return metrics.NewRepeatsTally(opts)
		}
		return nil
	}
	var repeats *metrics.RepeatsTally
	switch {
	case baselinePath != "":
		// The two files are scored side by side and paired as they
		// stream, which needs them to list the same results in the same
		// order (as evalgate run writes them); otherwise they are paired
		// in memory, below.
		repeats, checks = newRepeats(), newChecks()
		cand, base, reg, err := sc.scorePaired(ctx, resultsPath, baselinePath, repeats, checks)
		if err == nil {
			in.Candidate, in.Production, in.Regression = cand, base, reg
			break
		}
		if !errors.Is(err, errNotAligned) {
			return nil, err
		}
		sc.opts.logf("evalgate: note: %s and %s do not list the same results in the same order, so their results were held in memory to pair them\n", resultsPath, baselinePath)
		fallthrough
	default:
		repeats, checks = newRepeats(), newChecks()
		var candKept []records.Result
		sink := releaseBatch
		if baselinePath != "" {
			sink = keepSlim(&candKept)
		}
		cand, err := sc.scoreResults(ctx, resultsPath, true, checks, tallyRepeats(repeats, sink))
		if err != nil {
			return nil, err
		}
		in.Candidate = cand
		if baselinePath != "" {
			var baseKept []records.Result
			base, err := sc.scoreResults(ctx, baselinePath, false, nil, keepSlim(&baseKept))
			if err != nil {
				return nil, err
			}
			in.Production = base
			reg := metrics.CompareByGroup(candKept, baseKept, cfg.Fairness.Groups, opts)
			in.Regression = &reg
		}
	}
	if repeats != nil {
		rep := repeats.Repeats()
		in.Repeats = &rep
	}
	out := &scored{}
	if checks != nil {
		checker, err := checks.result(sc, resultsPath)
		if err != nil {
			return nil, err
		}
		ig := checker.Result()
		in.Integrity, out.checker = &ig, checker
	}
	out.in = in
	return out, nil
}
