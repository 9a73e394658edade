package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/evalgate/evalgate/reports"
)

// TestRunAndScoreSameReport checks that run and score build a report with
// one engine: score on a run's results gives report.json byte for byte,
// apart from timing and the statistics only a run has (calls retried,
// cached, resumed; the response cache; adaptive concurrency; judge calls
// answered from the cache).
func TestRunAndScoreSameReport(t *testing.T) {
	srv, _ := judgeServer(t)
	repeats := `dataset: {path: ` + exampleSet + `}
candidate: {provider: "builtin:extractive-v2"}
production: {provider: "builtin:extractive-v1"}
prompt:
  template: |
    Context:
    {{range .Context}}- {{.}}
    {{end}}
    Question: {{.Input}}
run: {concurrency: 8, repeats: 3}
scoring: {method: contains}
fairness: {groups: [channel, region], min_group_size: 30}
gate:
  - {metric: accuracy, min: 0.5}
`
	judged := judgedConfig(exampleSet, srv.URL, "")
	tests := []struct {
		name     string
		config   string // a path, or a config body to write
		baseline bool
	}{
		{"quickstart", quickstart, true},
		{"regression demo", filepath.Join("..", "..", "configs", "regression-demo.yaml"), true},
		{"repeats", repeats, true},
		{"judge", judged, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, env, out, res := runToCompare(t, tt.config)
			scoreOut := t.TempDir()
			args := []string{"score", "-c", cfg, "--results", filepath.Join(out, "results.parquet"), "--out", scoreOut}
			if tt.baseline {
				args = append(args, "--baseline", filepath.Join(out, "production-results.parquet"))
			}
			sres := runCLI(t, context.Background(), env, args...)
			if sres.code != res.code {
				t.Fatalf("score: exit %d, run exited %d\n%s", sres.code, res.code, sres.stderr)
			}
			got, want := runOnly(t, readReport(t, scoreOut)), runOnly(t, readReport(t, out))
			raw, _ := os.ReadFile(filepath.Join(scoreOut, "report.json"))
			if !bytes.Equal(runOnlyFields.ReplaceAll(raw, nil), runOnlyFields.ReplaceAll(got, nil)) {
				t.Fatal("score's report.json does not round-trip through reports.Report: the comparison below would miss fields")
			}
			if !bytes.Equal(got, want) {
				t.Errorf("score's report differs from run's beyond timing and run statistics:\n%s", firstDiff(got, want))
			}
		})
	}
}

// runOnlyFields matches the lines of the statistics only a run has, once
// runOnly has zeroed them.
var runOnlyFields = regexp.MustCompile(`(?m)^\s*"(retries|cached|resumed|started_at|finished_at|seconds)": .*\n`)

// runOnly returns r's report.json with timing and the run-only statistics
// zeroed and their lines removed.
func runOnly(t *testing.T, r *reports.Report) []byte {
	t.Helper()
	r.Timing = reports.Timing{}
	r.Cache = nil
	for _, m := range []*reports.ModelRun{&r.Candidate, r.Production} {
		if m != nil {
			m.Retries, m.Cached, m.Resumed, m.Adaptive, m.CacheOrigins = 0, 0, 0, nil, nil
		}
	}
	if r.Judge != nil {
		r.Judge.Cached = 0
	}
	var b bytes.Buffer
	if err := reports.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return runOnlyFields.ReplaceAll(b.Bytes(), nil)
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range min(len(g), len(w)) {
		if !bytes.Equal(g[i], w[i]) {
			return fmt.Sprintf("line %d:\ngot  %s\nwant %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

func fileExistsT(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// runToCompare runs config (a path, or a config body to write) into a new
// folder with a cache of its own, as the tests that compare a run's
// report with score's or merge's do, and fails unless the run gives a
// verdict (exit 0 or 1). It returns the config's path, the environment,
// the folder and the run's result.
func runToCompare(t *testing.T, config string) (cfg string, env map[string]string, out string, res result) {
	t.Helper()
	cfg = config
	if !fileExistsT(cfg) {
		cfg = writeConfig(t, cfg)
	}
	env = map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	out = t.TempDir()
	res = runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	return cfg, env, out, res
}
