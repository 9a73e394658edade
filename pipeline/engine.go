package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
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
	// Shard, when not nil, says the results are one shard's: the items
	// of other shards are not checked (their prompts' personal data is
	// counted by their own shard), so that the shards' Tallies merge to
	// the whole run's.
	Shard *Shard
}

// Shard is one of Count parts of an eval set, split by a stable hash of
// the item id: an item's shard does not change when other items are added
// or removed (ShardOf).
type Shard struct {
	Index, Count int
}

// Has reports whether the item with id is in the shard.
func (s Shard) Has(id string) bool {
	return ShardOf(id, s.Count) == s.Index
}

// ShardOf is the index of the shard, of count, that holds the item with
// id: h·count / 2⁶⁴ rounded down, where h is the first 8 bytes of the
// SHA-256 of the id's bytes as a big-endian integer. Any tool can compute
// it (in Python: int.from_bytes(hashlib.sha256(id).digest()[:8], "big") *
// count >> 64). A cheaper hash does not spread structured ids: FNV-1a's
// low bits depend only on the low bits of each byte and its high bits
// barely on the last bytes, so "item-0000001"-style ids fell 1,700 and
// 100 to a shard of 4,096 over 4 and 7 shards (TestShardOfBalances). The
// hash costs about 0.2 µs an id, nothing beside a model call.
func ShardOf(id string, count int) int {
	sum := sha256.Sum256([]byte(id))
	hi, _ := bits.Mul64(binary.BigEndian.Uint64(sum[:8]), uint64(count))
	return int(hi)
}

// Score re-scores recorded results under cfg's scoring, fairness, integrity
// checks and gate, making no model call, and returns the report; it writes
// nothing. It is the engine Run builds its report with, so that on the
// same results both give the same report apart from timing and the
// run-only statistics (calls retried, cached, resumed; the response cache;
// adaptive concurrency).
func Score(ctx context.Context, cfg *configs.Config, in ScoreInput, opts Options) (*reports.Report, error) {
	started := time.Now().UTC()
	t, err := ScoreTallies(ctx, cfg, in, opts)
	if err != nil {
		return nil, err
	}
	finished := time.Now().UTC()
	rep := t.Report(reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()})
	countReviews(cfg, rep, opts.Reviews)
	return rep, nil
}

// countReviews sets rep's ReviewDecisions from the review records counted
// by count (nil: none given) and, since the gate may have rules on the
// review.* metrics, applies the gate again with them. Run and Score both
// call it, so they count the same records the same way.
func countReviews(cfg *configs.Config, rep *reports.Report, count func(datasetSHA256 string) *reports.ReviewDecisions) {
	if count == nil {
		return
	}
	rep.ReviewDecisions = count(rep.Dataset.SHA256)
	reports.ApplyGate(rep, cfg.Gate)
}

// ScoreTallies is Score up to the tallies, which merge with the tallies of
// other shards (Tallies.Merge) before the report is built.
func ScoreTallies(ctx context.Context, cfg *configs.Config, in ScoreInput, opts Options) (*Tallies, error) {
	if err := CheckGate(cfg, opts.NoGate); err != nil {
		return nil, err
	}
	set, info, err := openSet(cfg, opts.getenv)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	return scoreTallies(ctx, cfg, set, info, in, opts)
}

// scoreTallies is ScoreTallies over an eval set already opened (and its
// digest checked), so that merging shards opens and hashes the set once.
func scoreTallies(ctx context.Context, cfg *configs.Config, set *datasets.Set, info datasets.Info, in ScoreInput, opts Options) (*Tallies, error) {
	if in.Baseline != "" && cfg.Production == nil {
		return nil, inputErr(fmt.Errorf("--baseline needs a production model in %s", cfg.Path))
	}
	if s := in.Shard; s != nil && (s.Count < 1 || s.Index < 0 || s.Index >= s.Count) {
		return nil, inputErr(fmt.Errorf("shard %d/%d: want 0 <= index < count", s.Index, s.Count))
	}
	ig, err := IntegrityOptions(cfg)
	if err != nil {
		return nil, err
	}
	sc := &scoring{cfg: cfg, src: set, set: info, opts: opts, ig: ig, igOn: checksOn(ig), shard: in.Shard}
	var judge *reports.JudgeRun
	if judging(ig) {
		path := in.JudgeResults
		if path == "" {
			if p := filepath.Join(filepath.Dir(in.Results), JudgeResultsFile); fileExists(p) {
				path = p
			}
		}
		switch {
		case path == "" && sc.ig.Escalation != nil:
			sc.ig.Escalation = nil
			opts.logf("evalgate: note: groundedness.method is hybrid and no %s lies beside %s, so score gives every answer its lexical verdict\n", JudgeResultsFile, in.Results)
		case path == "":
			sc.ig.Judge = false
			sc.igOn = checksOn(sc.ig)
			opts.logf("evalgate: note: groundedness.method is judge and no %s lies beside %s, so score leaves groundedness out\n", JudgeResultsFile, in.Results)
		default:
			if sc.verdicts, err = readVerdicts(path, redactor(cfg)); err != nil {
				return nil, err
			}
			m := cfg.Groundedness.Judge
			judge = &reports.JudgeRun{Provider: m.Provider, Model: m.Model, Version: m.Version, BaseURL: configs.RedactURL(m.BaseURL)}
		}
	}
	t, err := sc.score(ctx, in.Results, in.Baseline)
	if err != nil {
		return nil, err
	}
	if judge != nil {
		judge.Calls, judge.Errors = sc.verdicts.counts()
		t.judge = judge
	}
	if err := set.Check(); err != nil {
		return nil, inputErr(err)
	}
	return t, nil
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
	// shard, when not nil, limits the items checked to one shard's.
	shard *Shard
}

// Tallies is the report engine's state after scoring results files: the
// tallies every number of a report is read from. The tallies of shards,
// results split by item id and scored apart (ScoreInput.Shard), merge
// exactly: the merged Tallies give the report one pass over all the
// results gives, bootstrap intervals included.
type Tallies struct {
	cfg        *configs.Config
	dataset    reports.DatasetInfo
	candidate  *reports.ModelTally
	production *reports.ModelTally   // nil without a baseline
	pairs      *metrics.PairTally    // nil without a baseline
	repeats    *metrics.RepeatsTally // nil unless run.repeats > 1
	checker    *integrity.Checker    // nil when the integrity checks are off
	// judge identifies the groundedness judge and counts its calls and
	// errors; nil without one.
	judge *reports.JudgeRun
	// examples holds the texts of the answers the report shows as
	// examples.
	examples *examplePool
}

// Merge adds o's tallies to t's; both must come from the same config and
// eval set, over disjoint shards of the items. t's results file names
// and run statistics are kept.
func (t *Tallies) Merge(o *Tallies) error {
	switch {
	case t.cfg.SHA256 != o.cfg.SHA256:
		return inputErr(fmt.Errorf("merge: the tallies were scored under different configs (%s, %s)", t.cfg.SHA256, o.cfg.SHA256))
	case t.dataset.SHA256 != o.dataset.SHA256:
		return inputErr(fmt.Errorf("merge: the tallies were scored against different eval sets (%s, %s)", t.dataset.SHA256, o.dataset.SHA256))
	case (t.production == nil) != (o.production == nil), (t.repeats == nil) != (o.repeats == nil),
		(t.checker == nil) != (o.checker == nil), (t.judge == nil) != (o.judge == nil):
		return inputErr(fmt.Errorf("merge: one tally has a baseline, repeats, integrity checks or a judge that the other lacks"))
	}
	if err := t.candidate.Merge(o.candidate); err != nil {
		return inputErr(fmt.Errorf("merge: %w", err))
	}
	if t.production != nil {
		if err := t.production.Merge(o.production); err != nil {
			return inputErr(fmt.Errorf("merge: %w", err))
		}
		if err := t.pairs.Merge(o.pairs); err != nil {
			return inputErr(fmt.Errorf("merge: %w", err))
		}
	}
	if t.repeats != nil {
		if err := t.repeats.Merge(o.repeats); err != nil {
			return inputErr(fmt.Errorf("merge: %w", err))
		}
	}
	if t.checker != nil {
		if err := t.checker.Merge(o.checker); err != nil {
			return inputErr(fmt.Errorf("merge: %w", err))
		}
	}
	if t.examples != nil {
		t.examples.merge(o.examples)
	}
	if t.judge != nil {
		t.judge.Calls += o.judge.Calls
		t.judge.Errors += o.judge.Errors
		t.judge.Cached += o.judge.Cached
	}
	return nil
}

// input is the report's input, read from the tallies.
func (t *Tallies) input() reports.StreamInput {
	in := reports.StreamInput{Config: t.cfg, Dataset: t.dataset, Candidate: t.candidate, Production: t.production,
		Redacted: t.cfg.PII.Redact, Judge: t.judge}
	if t.pairs != nil {
		reg := t.pairs.Regression()
		in.Regression = &reg
	}
	if t.repeats != nil {
		rep := t.repeats.Repeats()
		in.Repeats = &rep
	}
	if t.checker != nil {
		ig := t.checker.Result()
		in.Integrity = &ig
	}
	return in
}

// Report builds the report from the tallies, with timing; it applies the
// config's gate.
func (t *Tallies) Report(timing reports.Timing) *reports.Report {
	in := t.input()
	in.Timing = timing
	rep := reports.BuildFromTallies(in)
	rep.Examples = t.examples.pick(rep)
	addPowerWarnings(t.cfg, rep)
	return rep
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
func (sc *scoring) score(ctx context.Context, resultsPath, baselinePath string) (*Tallies, error) {
	cfg := sc.cfg
	newChecks := func() *scoreChecks {
		if sc.igOn {
			return newScoreChecks(sc.ig, sc.verdicts)
		}
		return nil
	}
	var checks *scoreChecks
	t := &Tallies{cfg: cfg, dataset: reports.DatasetInfo{Path: cfg.DatasetPath(), Name: sc.set.Name, Version: sc.set.Version, SHA256: sc.set.SHA256, Rows: sc.set.Rows,
		Window: dataWindow(sc.set.Metadata)}}
	opts := reports.MetricOptions(cfg)
	newRepeats := func() *metrics.RepeatsTally {
		if cfg.Run.Repeats > 1 {
			return metrics.NewRepeatsTally(opts)
		}
		return nil
	}
	switch {
	case baselinePath != "":
		// The two files are scored side by side and paired as they
		// stream, which needs them to list the same results in the same
		// order (as evalgate run writes them); otherwise they are paired
		// in memory, below.
		t.repeats, checks = newRepeats(), newChecks()
		cand, base, pairs, err := sc.scorePaired(ctx, resultsPath, baselinePath, t.repeats, checks)
		if err == nil {
			t.candidate, t.production, t.pairs = cand, base, pairs
			break
		}
		if !errors.Is(err, errNotAligned) {
			return nil, err
		}
		sc.opts.logf("evalgate: note: %s and %s do not list the same results in the same order, so their results were held in memory to pair them\n", resultsPath, baselinePath)
		fallthrough
	default:
		t.repeats, checks = newRepeats(), newChecks()
		var candKept []records.Result
		sink := releaseBatch
		if baselinePath != "" {
			sink = keepSlim(&candKept)
		}
		cand, err := sc.scoreResults(ctx, resultsPath, true, checks, tallyRepeats(t.repeats, sink))
		if err != nil {
			return nil, err
		}
		t.candidate = cand
		if baselinePath != "" {
			var baseKept []records.Result
			base, err := sc.scoreResults(ctx, baselinePath, false, nil, keepSlim(&baseKept))
			if err != nil {
				return nil, err
			}
			t.production = base
			t.pairs = metrics.PairResults(candKept, baseKept, cfg.Fairness.Groups, opts)
		}
	}
	if checks != nil {
		checker, err := checks.result(sc, resultsPath)
		if err != nil {
			return nil, err
		}
		t.checker = checker
	}
	pool, err := sc.examples(t, resultsPath, baselinePath)
	if err != nil {
		return nil, err
	}
	t.examples = pool
	return t, nil
}

// dataWindow is the data window a sampled set's metadata records, nil
// when it records none (or one that does not parse, which the set's own
// validation reports).
func dataWindow(meta map[string]string) *reports.DataWindow {
	since, until, column, ok, err := datasets.SampleWindow(meta)
	if !ok || err != nil {
		return nil
	}
	w := &reports.DataWindow{Column: column}
	if !since.IsZero() {
		w.Since = &since
	}
	if !until.IsZero() {
		w.Until = &until
	}
	return w
}
