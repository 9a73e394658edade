package reports

import (
	"sort"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
)

// Input is everything a report is built from.
type Input struct {
	Config  *configs.Config
	Dataset DatasetInfo
	// Candidate holds the candidate's results; Production the production
	// model's, nil when the config names none.
	Candidate  ModelResults
	Production *ModelResults
	// Cache, when not nil, counts response-cache lookups.
	Cache *records.CacheStats
	// Integrity, when not nil, is what the groundedness, boundary and PII
	// checks found, and the answers routed to review.
	Integrity *integrity.Summary
	// Judge, when not nil, identifies the groundedness judge.
	Judge *JudgeRun
	// Redacted marks a run with pii.redact.
	Redacted bool
	// Incomplete, when not empty, marks the run INCOMPLETE with this reason.
	Incomplete string
	Timing     Timing
}

// ModelResults are one model's results, how they were obtained and where
// they were written.
type ModelResults struct {
	Results       []records.Result
	ResultsFile   string
	ResultsSHA256 string
	// Stats are the runner's final counters.
	Stats records.RunStats
	// Adaptive, when not nil, is how adaptive concurrency moved.
	Adaptive *records.AdaptiveStats
	// CacheOrigins are where the answers taken from the response cache
	// were recorded; nil when none were.
	CacheOrigins []records.CacheOrigin
}

// Build computes the metrics of in, applies the config's gate and returns
// the report. It does no I/O. It is BuildFromTallies over results held in
// memory: the results are added, in order, to the same tallies a streamed
// run or evalgate score fills, so there is one engine. It leaves
// Report.History empty: the history package places a report on earlier
// reports' control charts (history.Position) once it is built; the gate
// reads no position.
func Build(in Input) *Report {
	cfg := in.Config
	opts := MetricOptions(cfg)
	tally := func(mr ModelResults, fairness bool) *ModelTally {
		t := NewModelTally(cfg, fairness)
		t.Info = mr
		t.Info.Results = nil
		for i := range mr.Results {
			t.Add(&mr.Results[i])
		}
		return t
	}
	s := StreamInput{Config: cfg, Dataset: in.Dataset, Candidate: tally(in.Candidate, true),
		Integrity: in.Integrity, Cache: in.Cache, Judge: in.Judge, Redacted: in.Redacted, Incomplete: in.Incomplete, Timing: in.Timing}
	if in.Production != nil && cfg.Production != nil {
		s.Production = tally(*in.Production, false)
		reg := metrics.PairResults(in.Candidate.Results, in.Production.Results, cfg.Fairness.Groups, opts).Regression()
		s.Regression = &reg
	}
	if cfg.Run.Repeats > 1 {
		rt := metrics.NewRepeatsTally(opts)
		for i := range in.Candidate.Results {
			rt.Add(&in.Candidate.Results[i])
		}
		rep := rt.Repeats()
		s.Repeats = &rep
	}
	return BuildFromTallies(s)
}

// finish adds what both builders share — the integrity checks and the
// judge — and applies the gate.
func finish(r *Report, in Input) {
	if ig := in.Integrity; ig != nil {
		r.Metrics.Groundedness, r.Metrics.Boundaries, r.Metrics.PII = ig.Groundedness, ig.Boundaries, ig.PII
		review := ig.Review
		r.Review = &review
	}
	r.Judge, r.Redacted = in.Judge, in.Redacted
	ApplyGate(r, in.Config.Gate)
}

// newReport starts a complete report of the candidate's run; the builders
// add the rest of the metrics and apply the gate.
func newReport(cfg *configs.Config, ds DatasetInfo, candidate ModelRun, timing Timing) *Report {
	r := &Report{
		SchemaVersion: SchemaVersion,
		Status:        Complete,
		Harness:       Harness{Name: "evalgate", Version: Version},
		Config:        ConfigInfo{Path: cfg.Path, SHA256: cfg.SHA256},
		Dataset:       ds,
		Candidate:     candidate,
		Timing:        timing,
	}
	r.Metrics.Accuracy = candidate.Accuracy
	return r
}

// MetricOptions are the metrics options the config sets: scoring method and
// threshold, confidence level, minimum group size and the bootstrap's
// resamples and seed.
func MetricOptions(cfg *configs.Config) metrics.Options {
	return metrics.Options{
		Method:       cfg.Scoring.Method,
		F1Threshold:  cfg.Scoring.F1Threshold,
		Level:        cfg.Scoring.Confidence,
		MinGroupSize: cfg.Fairness.MinGroupSize,
		Resamples:    cfg.Scoring.Resamples,
		Seed:         *cfg.Scoring.Seed,
	}
}

// runCounts are the totals of a model's results that ModelRun reports.
type runCounts struct {
	Calls, Errors                  int
	ErrorKinds                     map[string]int
	PromptTokens, CompletionTokens int
	// Truncated counts the answers cut to run.max_output_bytes.
	Truncated int
	// Models counts the answered results by the model identity they
	// record (for replay, the log's model_version); nil until one is
	// counted. It holds one entry per distinct identity.
	Models map[string]int
}

// add counts one result's error and tokens; Calls is counted by the caller.
func (c *runCounts) add(res *records.Result) {
	if res.Error != "" {
		c.Errors++
		c.ErrorKinds[res.ErrorKind]++
	}
	c.PromptTokens += res.PromptTokens
	c.CompletionTokens += res.CompletionTokens
	if res.Truncated {
		c.Truncated++
	}
	if res.Error == "" {
		if c.Models == nil {
			c.Models = map[string]int{}
		}
		c.Models[res.Model]++
	}
}

// merge adds o's totals to c.
func (c *runCounts) merge(o *runCounts) {
	c.Calls += o.Calls
	c.Errors += o.Errors
	for k, n := range o.ErrorKinds {
		c.ErrorKinds[k] += n
	}
	c.PromptTokens += o.PromptTokens
	c.CompletionTokens += o.CompletionTokens
	c.Truncated += o.Truncated
	for k, n := range o.Models {
		if c.Models == nil {
			c.Models = map[string]int{}
		}
		c.Models[k] += n
	}
}

// recordedIdentity is the model and version a replay run reports: those of
// the identity most of its answered results record (the log's
// model_version; ties go to the identity first in byte order), split at
// its last '@' ("support-bot@2026-09-14" is model support-bot, version
// 2026-09-14; without '@' the identity is both). When the results record
// no identity but the config's version, the config's model and version
// stand. When they record more than one, every one is listed with its
// count, most common first, so that a report over a log that changed
// model says so.
func recordedIdentity(m configs.Model, counts map[string]int) (model, version string, all []RecordedModel) {
	model, version = m.Model, m.Version
	for id, n := range counts {
		all = append(all, RecordedModel{Identity: id, Results: n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Results != all[j].Results {
			return all[i].Results > all[j].Results
		}
		return all[i].Identity < all[j].Identity
	})
	if len(all) > 0 && all[0].Identity != m.Version && all[0].Identity != "" {
		id := all[0].Identity
		model, version = id, id
		if i := strings.LastIndex(id, "@"); i > 0 && i < len(id)-1 {
			model, version = id[:i], id[i+1:]
		}
	}
	if len(all) < 2 {
		all = nil
	}
	return model, version, all
}

// describeRun is the ModelRun of model m from its totals; mr gives the
// file, stats and adaptive history (its Results are not read).
func describeRun(m configs.Model, mr ModelResults, c runCounts, lat Latency, acc metrics.Accuracy, opts metrics.Options) ModelRun {
	run := ModelRun{
		Provider:            m.Provider,
		Model:               m.Model,
		Version:             m.Version,
		Temperature:         m.Temperature,
		MaxTokens:           m.MaxTokens,
		MaxCompletionTokens: m.MaxCompletionTokens,
		ReasoningEffort:     m.ReasoningEffort,
		Verbosity:           m.Verbosity,
		Seed:                m.Seed,
		ResultsFile:         mr.ResultsFile,
		ResultsSHA256:       mr.ResultsSHA256,
		Calls:               c.Calls,
		Errors:              c.Errors,
		ErrorKinds:          c.ErrorKinds,
		PromptTokens:        c.PromptTokens,
		CompletionTokens:    c.CompletionTokens,
		Truncated:           c.Truncated,
	}
	if m.Provider == "openai" {
		run.BaseURL = configs.RedactURL(m.BaseURL)
	}
	if m.Provider == "replay" {
		run.Model, run.Version, run.RecordedModels = recordedIdentity(m, c.Models)
	}
	run.ErrorRate = metrics.NewProportion(run.Errors, run.Calls, opts.Level)
	run.Retries, run.Cached, run.Resumed = mr.Stats.Retries, mr.Stats.Cached, mr.Stats.Resumed
	run.Adaptive = mr.Adaptive
	run.CacheOrigins = mr.CacheOrigins
	run.Latency = lat
	if p := m.Prices; p != nil {
		in := float64(run.PromptTokens) * p.InputPerMTok / 1e6
		out := float64(run.CompletionTokens) * p.OutputPerMTok / 1e6
		run.Cost = &Cost{Currency: p.Currency, Input: in, Output: out, Total: in + out}
	}
	run.Accuracy = acc
	return run
}
