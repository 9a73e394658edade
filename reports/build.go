package reports

import (
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
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
	// Incomplete, when not empty, marks the run INCOMPLETE with this reason.
	Incomplete string
	Timing     Timing
}

// ModelResults are one model's results and where they were written.
type ModelResults struct {
	Results       []datasets.Result
	ResultsFile   string
	ResultsSHA256 string
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
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Status:        Complete,
		Harness:       Harness{Name: "evalgate", Version: Version},
		Config:        ConfigInfo{Path: cfg.Path, SHA256: cfg.SHA256},
		Dataset:       in.Dataset,
		Candidate:     modelRun(cfg.Candidate, in.Candidate, opts),
		Timing:        in.Timing,
	}
	if in.Incomplete != "" {
		r.Status, r.StatusReason = Incomplete, in.Incomplete
	}
	r.Metrics.Accuracy = r.Candidate.Accuracy
	r.Metrics.Fairness = metrics.ComputeFairness(in.Candidate.Results, cfg.Fairness.Groups, opts)
	if in.Production != nil && cfg.Production != nil {
		p := modelRun(*cfg.Production, *in.Production, opts)
		r.Production = &p
		reg := metrics.Compare(in.Candidate.Results, in.Production.Results, opts)
		r.Metrics.Regression = &reg
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
	run.Accuracy = metrics.ComputeAccuracy(mr.Results, opts)
	return run
}
