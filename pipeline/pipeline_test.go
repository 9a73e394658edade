package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

var exampleSet = filepath.Join("..", "datasets", "examples", "support-qa.parquet")

// config writes a config running the builtin extractive models over a
// copy of the example set in a temporary directory, and loads it.
func config(t *testing.T, extra string) (*configs.Config, string) {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(exampleSet)
	if err != nil {
		t.Fatal(err)
	}
	set := filepath.Join(dir, "set.parquet")
	if err := os.WriteFile(set, data, 0o644); err != nil {
		t.Fatal(err)
	}
	body := `dataset: {path: set.parquet}
candidate: {provider: "builtin:extractive-v2"}
production: {provider: "builtin:extractive-v1"}
prompt:
  template: |
    Context:
    {{range .Context}}- {{.}}
    {{end}}
    Question: {{.Input}}
run: {concurrency: 4, cache: "off", out: out}
scoring: {method: contains}
fairness: {groups: [channel], min_group_size: 30}
gate:
  - {metric: accuracy, min: 0.5}
` + extra
	path := filepath.Join(dir, "eval.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Run.Out = filepath.Join(dir, "out") // run.out is relative to the working directory
	return cfg, set
}

// TestRunAsALibrary runs an evaluation through the package alone: no CLI.
func TestRunAsALibrary(t *testing.T) {
	cfg, _ := config(t, "")
	p, err := pipeline.Prepare(cfg, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rep := out.Report
	if rep.Status != reports.Complete || rep.Verdict != reports.Allow || rep.Candidate.Calls != 400 || rep.Production == nil {
		t.Fatalf("status %s verdict %s, %d calls, production %v: want COMPLETE ALLOW, 400 calls, a production run", rep.Status, rep.Verdict, rep.Candidate.Calls, rep.Production != nil)
	}
	for _, name := range []string{pipeline.ResultsFile, pipeline.ProductionResultsFile, pipeline.ReportFile, pipeline.ReviewFile, "report.md", "report.html", "report.junit.xml"} {
		if _, err := os.Stat(filepath.Join(cfg.Run.Out, name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
}

// TestEvalSetReplacedMidRun replaces the eval set between Prepare and
// Run: the run fails as bad input, naming the file, and makes no report.
func TestEvalSetReplacedMidRun(t *testing.T) {
	tests := []struct {
		name    string
		replace func(t *testing.T, set string)
	}{
		{"renamed over", func(t *testing.T, set string) {
			other := set + ".new"
			data, _ := os.ReadFile(set)
			if err := os.WriteFile(other, append(data[:len(data):len(data)], 0), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, set); err != nil {
				t.Fatal(err)
			}
		}},
		{"removed", func(t *testing.T, set string) {
			if err := os.Remove(set); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, set := config(t, "")
			p, err := pipeline.Prepare(cfg, pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			tt.replace(t, set)
			out, err := p.Run(context.Background())
			if !errors.Is(err, pipeline.ErrInput) || !strings.Contains(err.Error(), set) || !strings.Contains(err.Error(), "changed") {
				t.Fatalf("got %v, want bad input naming %s as changed", err, set)
			}
			if out != nil {
				t.Errorf("got a report; want none from a changed eval set")
			}
		})
	}
}

// TestErrorKinds checks that errors carry one kind for errors.Is.
func TestErrorKinds(t *testing.T) {
	cfg, _ := config(t, "")
	cfg.Candidate.Provider = "openai"
	cfg.Candidate.APIKeyEnv = "EVALGATE_TEST_UNSET_KEY"
	_, err := pipeline.Prepare(cfg, pipeline.Options{Getenv: func(string) string { return "" }})
	if !errors.Is(err, pipeline.ErrInput) || errors.Is(err, pipeline.ErrIncomplete) {
		t.Errorf("missing key: got %v, want ErrInput alone", err)
	}
	_, err = pipeline.Score(context.Background(), cfg, pipeline.ScoreInput{Results: filepath.Join(t.TempDir(), "missing.parquet")}, pipeline.Options{})
	if !errors.Is(err, pipeline.ErrInput) {
		t.Errorf("missing results file: got %v, want ErrInput", err)
	}
}

// TestShardsMergeExactly splits a run's results into 4 shards by item id,
// scores each shard apart and merges the tallies: the report equals one
// pass over all the results, bootstrap intervals included (same seed),
// apart from the results files' names and digests, which are the first
// shard's.
func TestShardsMergeExactly(t *testing.T) {
	tests := []struct {
		name, extra string
	}{
		{"quickstart", ""},
		{"repeats and PII", "pii: {detect: true, redact: true}\nboundaries: {max_chars: 200}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := config(t, tt.extra)
			if tt.name == "repeats and PII" {
				cfg.Run.Repeats = 2
			}
			p, err := pipeline.Prepare(cfg, pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if _, err := p.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			cand, base := filepath.Join(cfg.Run.Out, pipeline.ResultsFile), filepath.Join(cfg.Run.Out, pipeline.ProductionResultsFile)
			whole, err := pipeline.ScoreTallies(context.Background(), cfg, pipeline.ScoreInput{Results: cand, Baseline: base}, pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			const n = 4
			var merged *pipeline.Tallies
			sizes := map[int]int{}
			for i := range n {
				shard := &pipeline.Shard{Index: i, Count: n}
				dir := t.TempDir()
				sizes[i] = splitResults(t, cand, filepath.Join(dir, pipeline.ResultsFile), shard)
				splitResults(t, base, filepath.Join(dir, pipeline.ProductionResultsFile), shard)
				part, err := pipeline.ScoreTallies(context.Background(), cfg, pipeline.ScoreInput{
					Results: filepath.Join(dir, pipeline.ResultsFile), Baseline: filepath.Join(dir, pipeline.ProductionResultsFile), Shard: shard}, pipeline.Options{})
				if err != nil {
					t.Fatalf("shard %d: %v", i, err)
				}
				if merged == nil {
					merged = part
				} else if err := merged.Merge(part); err != nil {
					t.Fatal(err)
				}
			}
			for i, s := range sizes {
				if s == 0 {
					t.Fatalf("shard %d is empty (%v): the split tests nothing", i, sizes)
				}
			}
			got, want := comparable(t, merged.Report(reports.Timing{})), comparable(t, whole.Report(reports.Timing{}))
			if !bytes.Equal(got, want) {
				t.Errorf("the merged shards' report differs from one pass:\n%s", diffLine(got, want))
			}
		})
	}
}

// splitResults writes the results of src whose item is in shard to dst,
// in src's order, with src's metadata, and returns how many it wrote.
func splitResults(t *testing.T, src, dst string, shard *pipeline.Shard) int {
	t.Helper()
	all, meta, err := datasets.ReadResults(src)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := datasets.OpenResults(src)
	if err != nil {
		t.Fatal(err)
	}
	groups, scores := rr.Groups(), rr.Scores()
	rr.Close()
	var keep []records.Result
	for _, r := range all {
		if shard.Has(r.ID) {
			keep = append(keep, r)
		}
	}
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := datasets.WriteResults(f, keep, groups, scores, meta); err != nil {
		t.Fatal(err)
	}
	return len(keep)
}

// comparable is r as JSON without what differs between shards and a
// whole: the results files' names and digests.
func comparable(t *testing.T, r *reports.Report) []byte {
	t.Helper()
	for _, m := range []*reports.ModelRun{&r.Candidate, r.Production} {
		if m != nil {
			m.ResultsFile, m.ResultsSHA256 = "", ""
		}
	}
	var b bytes.Buffer
	if err := reports.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func diffLine(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range min(len(g), len(w)) {
		if !bytes.Equal(g[i], w[i]) {
			return fmt.Sprintf("line %d:\ngot  %s\nwant %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// TestRulesOnDataTheRunCannotHave checks that a gate rule naming a task no
// item has, or a boundary rule the config does not set, is refused before
// any call, naming what there is; an optional one is let through.
func TestRulesOnDataTheRunCannotHave(t *testing.T) {
	tests := []struct {
		name, rule, want string // want "": accepted
	}{
		{"a task the set has", "  - {metric: accuracy.task.billing, min: 0.1}\n", ""},
		{"a task the set lacks", "  - {metric: accuracy.task.biling, min: 0.1}\n", `no item of`},
		{"its interval too", "  - {metric: groundedness.task.nope.ci_low, min: 0.1}\n", `task "nope"`},
		{"optional", "  - {metric: accuracy.task.nope, min: 0.1, optional: true}\n", ""},
		{"a boundary rule the config lacks", "  - {metric: boundaries.rule.max_chars, max: 0}\n", `sets no boundary rule "max_chars"`},
		{"a label no item expects", "  - {metric: labels.f1.refund, min: 0.5}\n", `has the expected label "refund"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := config(t, "groundedness: {method: lexical}\n")
			rules := append([]configs.Rule(nil), cfg.Gate...)
			extra, err := configs.Parse(cfg.Path, []byte("dataset: {path: x.parquet}\ncandidate: {provider: replay}\ngate:\n"+tt.rule))
			if err != nil {
				t.Fatalf("parse the rule: %v", err)
			}
			cfg.Gate = append(rules, extra.Gate...)
			if strings.HasPrefix(strings.TrimSpace(tt.rule), "- {metric: labels.") {
				cfg.Scoring.Method = configs.MethodLabel
			}
			checkPrepare(t, cfg, tt.want)
		})
	}
}

// TestPositiveLabelNoItemExpects checks that a positive label that is the
// expected answer of no item is refused before any call, naming the label
// and the values the set has; one that some item expects is accepted.
func TestPositiveLabelNoItemExpects(t *testing.T) {
	for _, tt := range []struct{ label, want string }{
		{"yes", `scoring.positive_label "yes" is the expected answer of no item`},
		{"30 days", ""},
	} {
		t.Run(tt.label, func(t *testing.T) {
			cfg, _ := config(t, "")
			cfg.Scoring.PositiveLabel = tt.label
			checkPrepare(t, cfg, tt.want)
			if tt.want != "" {
				checkPrepare(t, cfg, "the expected values (normalized) are: 1 hour")
			}
		})
	}
}

// checkPrepare prepares cfg and checks the outcome: accepted when want is
// empty, else bad input whose message contains want.
func checkPrepare(t *testing.T, cfg *configs.Config, want string) {
	t.Helper()
	p, err := pipeline.Prepare(cfg, pipeline.Options{NoCache: true})
	if p != nil {
		p.Close()
	}
	switch {
	case want == "" && err != nil:
		t.Errorf("got %v, want it accepted", err)
	case want != "" && (!errors.Is(err, pipeline.ErrInput) || !strings.Contains(fmt.Sprint(err), want)):
		t.Errorf("got %v, want bad input containing %q", err, want)
	}
}
