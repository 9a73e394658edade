// Package reportstest holds the inputs the tests of the report, history
// and render packages build their documents from: a twelve-item run with a
// production model (Input), and the same run with the integrity checks and
// a history of eight weekly reports (IntegrityInput, IntegrityReport).
// The golden files of those packages are made from them.
package reportstest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// Config is the config of Input: accuracy, fairness and a regression
// against production, with six gate rules.
const Config = `dataset: {path: set.parquet}
candidate: {provider: "builtin:extractive-v2"}
production: {provider: "builtin:extractive-v1"}
scoring: {method: contains}
fairness: {groups: [region], min_group_size: 3}
gate:
  - {metric: accuracy, min: 0.5, description: "half right at least"}
  - {metric: accuracy.ci_low, min: 0.9}
  - {metric: fairness.accuracy.gap, max: 0.5}
  - {metric: regression.accuracy.delta, min: -0.05}
  - {metric: accuracy.task.refunds, min: 0.1, optional: true}
  - {metric: errors.rate, max: 0.2}
`

// Input is a run of twelve items by candidate v2 (9 right, one failed
// call) and production v1 (7 right), with fixed digests and timing.
func Input(t testing.TB) reports.Input {
	t.Helper()
	cfg, err := configs.Parse("eval.yaml", []byte(Config))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(model string, correct []bool) []records.Result {
		var out []records.Result
		for i, ok := range correct {
			s := 0.0
			if ok {
				s = 1
			}
			r := records.Result{
				ID: fmt.Sprintf("q-%02d", i), Model: model, Output: "<b>answer</b>",
				Task:         []string{"billing", "shipping"}[i%2],
				Groups:       map[string]string{"region": []string{"eu", "us", "apac"}[i%3]},
				Scores:       map[string]float64{"exact": 0, "normalized": s, "contains": s, "f1": s},
				PromptTokens: 10, CompletionTokens: 3, Attempts: 1, LatencyMS: float64(40 + 7*i),
			}
			if i == 8 && model == "v2" {
				r.Error, r.ErrorKind, r.Scores["contains"] = "status 500", "http_500", 0
			}
			out = append(out, r)
		}
		return out
	}
	cand := mk("v2", []bool{true, true, true, false, true, true, true, false, true, true, true, true})
	prod := mk("v1", []bool{true, false, true, false, true, true, false, false, true, true, false, true})
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	return reports.Input{
		Config:     cfg,
		Dataset:    reports.DatasetInfo{Path: "set.parquet", Name: "support-qa", Version: "1.0.0", SHA256: strings.Repeat("ab", 32), Rows: 12},
		Candidate:  reports.ModelResults{Results: cand, ResultsFile: "results.parquet", ResultsSHA256: strings.Repeat("cd", 32)},
		Production: &reports.ModelResults{Results: prod, ResultsFile: "production-results.parquet", ResultsSHA256: strings.Repeat("ef", 32)},
		Timing:     reports.Timing{StartedAt: start, FinishedAt: start.Add(1500 * time.Millisecond), Seconds: 1.5},
	}
}

// IntegrityConfig adds groundedness, boundaries (one rule named with
// Markdown and HTML syntax, as a config may), PII redaction and review
// routing to Config, with gate rules on each.
const IntegrityConfig = `dataset: {path: set.parquet}
candidate: {provider: "builtin:extractive-v2", logprobs: true}
production: {provider: "builtin:extractive-v1"}
scoring: {method: contains}
fairness: {groups: [region], min_group_size: 3}
groundedness: {method: lexical}
boundaries:
  must_not_match:
    - {name: "no-script|` + "`<b>`" + `", pattern: "(?i)<script"}
  max_chars: 120
pii: {redact: true}
review: {confidence_below: 0.5}
gate:
  - {metric: accuracy, min: 0.5}
  - {metric: groundedness, min: 0.9}
  - {metric: groundedness.hallucinated, max: 3}
  - {metric: boundaries.violations, max: 0}
  - {metric: boundaries.rule.max_chars, max: 1}
  - {metric: pii.output, max: 0}
  - {metric: review.routed, max: 10}
`

// IntegrityOutputs are the candidate's answers to the twelve items of
// Input (item 8's call failed). Some are hostile: HTML that would end
// a table cell or run a script, Markdown pipes and backticks, and ANSI
// escapes (colour, OSC 8 hyperlink, a carriage return that would overwrite
// the line, a right-to-left override).
var IntegrityOutputs = []string{
	"Refunds are issued within 5 business days.",
	"Shipping to the EU takes 3 to 7 days.",
	"Refunds take 45 days and Acme Corp pays them.",
	"Shipping takes 3 to 7 days. <script>alert(1)</script> Express costs 99 EUR | `rm -rf /` </td>.",
	"The context does not say.",
	"\x1b[31mRefunds\x1b[0m are approved by Zorg Industries within 2 hours.\r\x1b]8;;https://evil.example\x07Click\x1b]8;;\x07 \u202eseton\u202c",
	"Refunds are issued within 5 business days to the original card, and you can write to billing@example.com for help with a refund today.",
	"Express shipping takes 2 days.",
	"",
	"Shipping to the EU takes 3 to 7 days.",
	"Refunds are issued within 5 business days.",
	"Shipping to the EU takes 3 to 7 days; ask @evalgate/security or call +1 415 555 0100.",
}

// IntegrityContext is every item's retrieved context; the second passage
// carries markup, as scraped pages do.
var IntegrityContext = []string{
	"Refunds are issued within 5 business days to the original card. Write to billing@example.com for help.",
	"Shipping to the EU takes 3 to 7 days | express `2 days` </td><script>alert('ctx')</script>.",
}

// IntegrityInput is Input with the integrity checks run on the
// candidate's answers (through integrity.Checker, as evalgate run
// does, with pii.redact on), and a history of eight earlier weekly
// reports to place the run on.
func IntegrityInput(t testing.TB) (reports.Input, *history.History) {
	t.Helper()
	in := Input(t)
	cfg, err := configs.Parse("eval.yaml", []byte(IntegrityConfig))
	if err != nil {
		t.Fatal(err)
	}
	in.Config = cfg
	bounds, err := integrity.CompileBoundaries(cfg.Boundaries, nil)
	if err != nil {
		t.Fatal(err)
	}
	checker := integrity.NewChecker(integrity.Options{
		Grounder: integrity.NewGrounder(integrity.GroundOptions{}), Boundaries: bounds,
		DetectPII: true, Redact: true, ConfidenceBelow: cfg.Review.ConfidenceBelow,
		Groups: cfg.Fairness.Groups, Level: cfg.Scoring.Confidence,
	})
	cand := in.Candidate.Results
	for i := range cand {
		res := &cand[i]
		res.Output = integrity.RedactPII(IntegrityOutputs[i])
		res.Confidence = 0.92
		item := records.Item{ID: res.ID, Input: "How long do refunds and shipping take?", Context: IntegrityContext,
			Expected: "5 business days", Task: res.Task, Extra: res.Groups}
		switch i {
		case 5:
			res.Confidence = 0.31
			item.MustNotContain = []string{"zorg", "acme"}
		case 9:
			res.Confidence = 0.45
		case 11:
			item.Input = "My number is +44 20 7946 0958; when does my parcel arrive?"
		}
		checker.Add(&item, cand[i:i+1], nil)
	}
	ig := checker.Result()
	in.Integrity, in.Redacted = &ig, true

	set := &history.SignedSet{KeyID: "SHA256:integrity-test"}
	for w, week := range []struct{ right, grounded, violations, errs int }{
		{322, 381, 0, 4}, {318, 379, 1, 3}, {325, 383, 0, 5}, {320, 380, 0, 4},
		{317, 378, 1, 3}, {323, 382, 0, 4}, {321, 380, 0, 6}, {319, 381, 1, 4},
	} {
		r := HistoryReport(w, week.right, week.grounded, week.violations, week.errs)
		set.Reports = append(set.Reports, history.SignedReport{Path: fmt.Sprintf("w%02d/report.dsse.json", w+1), Time: r.Timing.FinishedAt, Report: r})
	}
	h, err := history.New(set, history.Options{Metrics: []string{"accuracy", "groundedness", "boundaries.violations", "errors.rate"}})
	if err != nil {
		t.Fatal(err)
	}
	return in, h
}

// IntegrityReport is the report of IntegrityInput, placed on its history
// as evalgate run --history places it.
func IntegrityReport(t testing.TB) *reports.Report {
	t.Helper()
	in, h := IntegrityInput(t)
	r := reports.Build(in)
	r.History = history.Position(h, r)
	r.Controls = reports.ReportControls(r)
	return r
}

// HistoryReport is an earlier week's report (weekly from
// 2026-10-01) over 400 items: right answers, grounded answers, boundary
// violations and failed calls.
func HistoryReport(w, right, grounded, violations, errs int) *reports.Report {
	const n = 400
	finished := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w)
	acc := metrics.Accuracy{Method: "contains", Overall: metrics.NewProportion(right, n, 0.95), ByMethod: map[string]metrics.Proportion{}, Warnings: metrics.Warnings{}}
	r := &reports.Report{
		SchemaVersion: reports.SchemaVersion, Status: reports.Complete, Harness: reports.Harness{Name: "evalgate", Version: reports.Version},
		Dataset:   reports.DatasetInfo{Name: "support-qa", Version: "1.0.0", Rows: n},
		Candidate: reports.ModelRun{Provider: "builtin:extractive-v1", Model: "extractive-v1", Version: "extractive-v1", ResultsSHA256: fmt.Sprintf("%064x", w+1), Calls: n, Errors: errs, ErrorKinds: map[string]int{}, ErrorRate: metrics.NewProportion(errs, n, 0.95), Accuracy: acc},
		Metrics: reports.Metrics{Accuracy: acc,
			Groundedness: &integrity.Groundedness{Method: integrity.GroundLexical, Rate: metrics.NewProportion(grounded, n, 0.95)},
			Boundaries:   &integrity.BoundaryReport{Checked: n, Violations: violations, ViolatingItems: violations}},
		Timing: reports.Timing{StartedAt: finished.Add(-time.Minute), FinishedAt: finished, Seconds: 60},
	}
	reports.ApplyGate(r, nil)
	return r
}

// WeekAccuracy and WeekErrors are twelve weeks of accuracy and error
// counts, of 400 items each; week 9 (index 8) is a drop.
var (
	WeekAccuracy = []int{361, 356, 366, 359, 362, 358, 364, 360, 290, 363, 357, 361}
	WeekErrors   = []int{3, 4, 2, 5, 4, 3, 4, 2, 3, 4, 5, 3}
)

// WeekReport is week w's report (0-based, weekly from 2026-01-05) with k
// of n right and errs failed calls.
func WeekReport(w, k, n, errs int, model string) *reports.Report {
	finished := time.Date(2026, 1, 5, 6, 30, 0, 0, time.UTC).AddDate(0, 0, 7*w)
	acc := metrics.Accuracy{Method: "normalized", Overall: metrics.NewProportion(k, n, 0.95), ByMethod: map[string]metrics.Proportion{}, Warnings: metrics.Warnings{}}
	r := &reports.Report{
		SchemaVersion: reports.SchemaVersion, Status: reports.Complete, Harness: reports.Harness{Name: "evalgate", Version: reports.Version},
		Dataset:   reports.DatasetInfo{Name: "prod-sample", Version: fmt.Sprintf("w%02d", w+2), Rows: int64(n)},
		Candidate: reports.ModelRun{Provider: "replay", Model: model, Version: "v1", ResultsSHA256: fmt.Sprintf("%064x", w+1), Calls: n, Errors: errs, ErrorKinds: map[string]int{}, ErrorRate: metrics.NewProportion(errs, n, 0.95), Accuracy: acc},
		Metrics:   reports.Metrics{Accuracy: acc},
		Timing:    reports.Timing{StartedAt: finished.Add(-time.Minute), FinishedAt: finished, Seconds: 60},
	}
	reports.ApplyGate(r, nil)
	return r
}

// WeekSet is the first weeks of the series as a SignedSet.
func WeekSet(weeks int) *history.SignedSet {
	set := &history.SignedSet{KeyID: "SHA256:test"}
	for w := range weeks {
		r := WeekReport(w, WeekAccuracy[w], 400, WeekErrors[w], "bot")
		set.Reports = append(set.Reports, history.SignedReport{Path: fmt.Sprintf("w%02d/report.dsse.json", w+1), Time: r.Timing.FinishedAt, Report: r})
	}
	return set
}

// HybridReport is IntegrityReport as method hybrid would have it: 3 of
// its answers escalated to a judge with prices, and the calibration of
// its tasks (fixed figures, so that goldens do not follow the shipped
// calibration).
func HybridReport(t testing.TB) *reports.Report {
	t.Helper()
	r := IntegrityReport(t)
	g := *r.Metrics.Groundedness
	cost := 0.0123
	g.Method = integrity.GroundHybrid
	g.Judge = &integrity.JudgeUse{Escalated: 3, EscalatedRate: 3 / float64(g.Rate.N+g.Errors), Calls: 3, Errors: 1,
		PromptTokens: 4100, CompletionTokens: 230, Cost: &cost, Currency: "USD"}
	var tasks []string
	for _, s := range g.ByTask {
		tasks = append(tasks, s.Name)
	}
	g.Calibration = []integrity.TaskCalibration{{Tasks: tasks, Calibration: integrity.Calibration{
		Task: "summary", Threshold: 0.42, Precision: 0.61, Recall: 0.55, F1: 0.58, BaselineF1: 0.38, AUROC: 0.81, N: 97, Hallucinated: 18,
		Source: "RAGTruth development split, 5-fold cross-validation"}}}
	r.Metrics.Groundedness = &g
	r.Judge = &reports.JudgeRun{Provider: "openai", Model: "judge-1", Version: "judge-1-2026", Calls: 3, Errors: 1}
	return r
}
