package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/pipeline"
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
