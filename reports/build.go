package reports

import (
	"sort"

	"gonum.org/v1/gonum/stat"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/metrics"
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
	Cache *eval.CacheStats
	// Incomplete, when not empty, marks the run INCOMPLETE with this reason.
	Incomplete string
	Timing     Timing
}

// ModelResults are one model's results, how they were obtained and where
// they were written.
type ModelResults struct {
	Results       []datasets.Result
	ResultsFile   string
	ResultsSHA256 string
	// Stats are the runner's final counters.
	Stats eval.Stats
	// Adaptive, when not nil, is how adaptive concurrency moved.
	Adaptive *eval.AdaptiveStats
}

// Build computes the metrics of in, applies the config's gate and returns
// the report. It does no I/O.
func Build(in Input) *Report {
	cfg := in.Config
	opts := metrics.Options{
		Method:       cfg.Scoring.Method,
		F1Threshold:  cfg.Scoring.F1Threshold,
		Level:        cfg.Scoring.Confidence,
		MinGroupSize: cfg.Fairness.MinGroupSize,
		Resamples:    cfg.Scoring.Resamples,
		Seed:         *cfg.Scoring.Seed,
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Status:        Complete,
		Harness:       Harness{Name: "evalgate", Version: Version},
		Config:        ConfigInfo{Path: cfg.Path, SHA256: cfg.SHA256},
		Dataset:       in.Dataset,
		Candidate:     modelRun(cfg.Candidate, in.Candidate, opts),
		Timing:        in.Timing,
		Cache:         in.Cache,
	}
	if in.Incomplete != "" {
		r.Status, r.StatusReason = Incomplete, in.Incomplete
	}
	r.Metrics.Accuracy = r.Candidate.Accuracy
	r.Metrics.Fairness = metrics.ComputeGroupFairness(in.Candidate.Results, cfg.Fairness.Groups, metrics.FairnessOptions{
		Options: opts, PositiveLabel: cfg.Scoring.PositiveLabel, Intersections: cfg.Fairness.Intersections,
	})
	if in.Production != nil && cfg.Production != nil {
		p := modelRun(*cfg.Production, *in.Production, opts)
		r.Production = &p
		reg := metrics.CompareByGroup(in.Candidate.Results, in.Production.Results, cfg.Fairness.Groups, opts)
		r.Metrics.Regression = &reg
	}
	if cfg.Scoring.Method == configs.MethodLabel {
		l := metrics.ComputeLabels(metrics.LabelPairs(in.Candidate.Results), opts.Level)
		r.Metrics.Labels = &l
	}
	if cfg.Run.Repeats > 1 {
		rep := metrics.ComputeRepeats(in.Candidate.Results, opts)
		r.Metrics.Repeats = &rep
	}
	ApplyGate(r, cfg.Gate)
	return r
}

func modelRun(m configs.Model, mr ModelResults, opts metrics.Options) ModelRun {
	run := ModelRun{
		Provider:      m.Provider,
		Model:         m.Model,
		Version:       m.Version,
		Temperature:   m.Temperature,
		MaxTokens:     m.MaxTokens,
		Seed:          m.Seed,
		ResultsFile:   mr.ResultsFile,
		ResultsSHA256: mr.ResultsSHA256,
		Calls:         len(mr.Results),
		ErrorKinds:    map[string]int{},
	}
	if m.Provider == "openai" {
		run.BaseURL = m.BaseURL
	}
	for _, res := range mr.Results {
		if res.Error != "" {
			run.Errors++
			run.ErrorKinds[res.ErrorKind]++
		}
		run.PromptTokens += res.PromptTokens
		run.CompletionTokens += res.CompletionTokens
	}
	run.ErrorRate = metrics.NewProportion(run.Errors, run.Calls, opts.Level)
	run.Retries, run.Cached, run.Resumed = mr.Stats.Retries, mr.Stats.Cached, mr.Stats.Resumed
	run.Adaptive = mr.Adaptive
	run.Latency = latency(mr.Results)
	if p := m.Prices; p != nil {
		in := float64(run.PromptTokens) * p.InputPerMTok / 1e6
		out := float64(run.CompletionTokens) * p.OutputPerMTok / 1e6
		run.Cost = &Cost{Currency: p.Currency, Input: in, Output: out, Total: in + out}
	}
	run.Accuracy = metrics.ComputeAccuracy(mr.Results, opts)
	return run
}

// latency summarises the latency of results whose call reached the model.
func latency(results []datasets.Result) Latency {
	var ms []float64
	for _, r := range results {
		if r.Attempts > 0 {
			ms = append(ms, r.LatencyMS)
		}
	}
	l := Latency{Calls: len(ms)}
	if len(ms) == 0 {
		return l
	}
	sort.Float64s(ms)
	q := func(p float64) *float64 { return metrics.Finite(stat.Quantile(p, stat.Empirical, ms, nil)) }
	l.P50, l.P95, l.P99, l.Max = q(0.50), q(0.95), q(0.99), metrics.Finite(ms[len(ms)-1])
	return l
}
