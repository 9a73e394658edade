package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
)

// quickstartRun runs the quickstart once into a temporary directory and
// returns it.
func quickstartRun(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	res := runCLI(t, context.Background(), nil, "run", "-c", filepath.Join("..", "..", "configs", "quickstart.yaml"), "--out", out, "--quiet")
	if res.code != exitOK {
		t.Fatalf("quickstart: exit %d: %s", res.code, res.stderr)
	}
	return out
}

func TestScoreRescoresWithoutCalls(t *testing.T) {
	out := quickstartRun(t)
	before := readReport(t, out)
	// The same config re-scores to the same metrics and verdict.
	rescored := t.TempDir()
	res := runCLI(t, context.Background(), nil, "score", "-c", filepath.Join("..", "..", "configs", "quickstart.yaml"),
		"--results", filepath.Join(out, "results.parquet"), "--baseline", filepath.Join(out, "production-results.parquet"), "--out", rescored)
	if res.code != exitOK || !strings.Contains(res.stdout, "no model called") {
		t.Fatalf("score: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	after := readReport(t, rescored)
	if after.Metrics.Accuracy.Overall != before.Metrics.Accuracy.Overall || after.Verdict != before.Verdict ||
		after.Metrics.Regression.Delta != before.Metrics.Regression.Delta {
		t.Errorf("re-scored accuracy %v verdict %s, want %v %s", after.Metrics.Accuracy.Overall, after.Verdict, before.Metrics.Accuracy.Overall, before.Verdict)
	}
	// A stricter method re-scores to a lower accuracy and blocks.
	strict := filepath.Join(t.TempDir(), "strict.yaml")
	b, _ := os.ReadFile(filepath.Join("..", "..", "configs", "quickstart.yaml"))
	abs, _ := filepath.Abs(filepath.Join("..", "..", "datasets", "examples", "support-qa.parquet"))
	body := strings.Replace(strings.Replace(string(b), "method: contains", "method: exact", 1), "../datasets/examples/support-qa.parquet", abs, 1)
	os.WriteFile(strict, []byte(body), 0o644)
	res = runCLI(t, context.Background(), nil, "score", "-c", strict, "--results", filepath.Join(out, "results.parquet"), "--out", t.TempDir())
	if res.code != exitBlock {
		t.Errorf("exact re-score: exit %d, want BLOCK\n%s", res.code, res.stdout)
	}
}

func TestCompare(t *testing.T) {
	out := quickstartRun(t)
	res := runCLI(t, context.Background(), nil, "compare", "--baseline", filepath.Join(out, "production-results.parquet"), "--candidate", filepath.Join(out, "results.parquet"))
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{"delta      +0.182", "McNemar    p = 1.043e-14 on 97 discordant pairs (12 right→wrong, 85 wrong→right)", "channel=social", "right → wrong (12): sqa-061"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	// Results from another dataset are refused unless allowed.
	other := filepath.Join(t.TempDir(), "other.parquet")
	results, meta, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	meta["evalgate.dataset_sha256"] = strings.Repeat("0", 64)
	f, _ := os.Create(other)
	if err := datasets.WriteResults(f, results[:300], []string{"channel", "customer_tier", "region"}, []string{"exact", "normalized", "contains", "f1"}, meta); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res = runCLI(t, context.Background(), nil, "compare", "--baseline", filepath.Join(out, "production-results.parquet"), "--candidate", other)
	if res.code != exitUsage || !strings.Contains(res.stderr, "--allow-dataset-change") {
		t.Errorf("different datasets: exit %d, stderr %q", res.code, res.stderr)
	}
	res = runCLI(t, context.Background(), nil, "compare", "--baseline", filepath.Join(out, "production-results.parquet"), "--candidate", other, "--allow-dataset-change")
	if res.code != exitOK || !strings.Contains(res.stdout, "datasets differ: compared on the 300") {
		t.Errorf("allowed: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
