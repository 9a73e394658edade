package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/reports"
)

// sampleProdLogs is the production-log file that DuckDB wrote.
func sampleProdLogs(t *testing.T) string {
	t.Helper()
	path, _ := filepath.Abs(filepath.Join(interop, "prod-logs-duckdb.parquet"))
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared interop data not found: %v", err)
	}
	return path
}

// TestSampleThenReplay is the weekly production job: sample a window of
// the logs, stratified by locale, then replay the recorded outputs with
// `evalgate run`. The logs have no expected column, so accuracy cannot be
// scored; the gate uses a rule that needs no label.
func TestSampleThenReplay(t *testing.T) {
	logs := sampleProdLogs(t)
	dir := t.TempDir()
	set := filepath.Join(dir, "week40.parquet")
	res := runCLI(t, context.Background(), nil, "sample", "--from", logs, "--n", "300", "--seed", "40",
		"--stratify", "locale", "--since", "2026-10-05", "--until", "2026-10-12", "--out", set,
		"--name", "prod-weekly", "--version", "2026-w40")
	if res.code != exitOK {
		t.Fatalf("sample: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"sampled 300 of 16346 eligible rows (100000 in the log)", "stratified-reservoir, seed 40",
		"de                   75 / 4087", "wrote " + set + " as prod-weekly 2026-w40: 300 rows, sha256 "} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("sample output lacks %q:\n%s", want, res.stdout)
		}
	}
	if res.stderr != "" {
		t.Errorf("sample wrote to stderr: %s", res.stderr)
	}

	// dataset inspect shows the identity and the sampling metadata.
	res = runCLI(t, context.Background(), nil, "dataset", "inspect", set)
	for _, want := range []string{"prod-weekly", "2026-w40", "latency_ms", "timestamp(us)",
		"evalgate.sample.method           stratified-reservoir", "evalgate.sample.rows_eligible    16346",
		"evalgate.sample.since            2026-10-05T00:00:00Z", "evalgate.sample.source           prod-logs-duckdb.parquet"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, res.stdout)
		}
	}

	cfg := writeConfig(t, fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: replay, version: support-bot@2026-10-20}
fairness: {groups: [locale, gender]}
gate:
  - {metric: errors.rate, max: 0}
`, set))
	out := filepath.Join(dir, "out")
	res = runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitOK {
		t.Fatalf("run: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	if rep.Verdict != reports.Allow || rep.Dataset.Name != "prod-weekly" || rep.Dataset.Version != "2026-w40" || rep.Dataset.Rows != 300 {
		t.Errorf("report: verdict %s, dataset %q %q with %d rows", rep.Verdict, rep.Dataset.Name, rep.Dataset.Version, rep.Dataset.Rows)
	}
	if rep.Candidate.Calls != 300 || rep.Candidate.Errors != 0 {
		t.Errorf("%d replayed calls with %d errors, want 300 and 0", rep.Candidate.Calls, rep.Candidate.Errors)
	}
	if !strings.Contains(res.stdout, "no item has an expected answer") {
		t.Errorf("run does not warn that nothing could be scored:\n%s", res.stdout)
	}
	results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Output == "" || r.Groups["locale"] == "" {
			t.Fatalf("result %+v lacks the replayed output or its locale", r)
		}
	}
}

func TestSampleReproducible(t *testing.T) {
	logs := sampleProdLogs(t)
	dir := t.TempDir()
	var files [3][]byte
	for i, seed := range []string{"9", "9", "10"} {
		out := filepath.Join(dir, fmt.Sprintf("s%d.parquet", i))
		res := runCLI(t, context.Background(), nil, "sample", "--from", logs, "--n", "50", "--seed", seed, "--out", out)
		if res.code != exitOK {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		var err error
		if files[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two samples with the same seed differ")
	}
	if bytes.Equal(files[0], files[2]) {
		t.Error("samples with seeds 9 and 10 are the same")
	}
}

func TestSampleUsage(t *testing.T) {
	logs := sampleProdLogs(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "s.parquet")
	truncated := filepath.Join(interop, "bad-truncated.parquet")
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr
		out  []string // in stdout
	}{
		{"no flags", nil, exitUsage, []string{"--from, --n, --seed, --out are required"}, nil},
		{"no --from", []string{"--n", "5", "--seed", "1", "--out", out}, exitUsage, []string{"--from is required"}, nil},
		{"no --n", []string{"--from", logs, "--seed", "1", "--out", out}, exitUsage, []string{"--n is required"}, nil},
		{"no --out", []string{"--from", logs, "--n", "5", "--seed", "1"}, exitUsage, []string{"--out is required"}, nil},
		{"no --seed", []string{"--from", logs, "--n", "5", "--out", out}, exitUsage, []string{"--seed is required"}, nil},
		{"zero rows", []string{"--from", logs, "--n", "0", "--seed", "1", "--out", out}, exitUsage, []string{"--n is 0; want at least 1"}, nil},
		{"negative seed", []string{"--from", logs, "--n", "5", "--seed", "-1", "--out", out}, exitUsage, []string{`invalid value "-1" for flag -seed`}, nil},
		{"bad --since", []string{"--from", logs, "--n", "5", "--seed", "1", "--out", out, "--since", "last week"}, exitUsage, []string{"--since", `"last week"`}, nil},
		{"empty window", []string{"--from", logs, "--n", "5", "--seed", "1", "--out", out, "--since", "2026-10-05", "--until", "2026-10-05"}, exitUsage, []string{"--since 2026-10-05 is not before --until 2026-10-05"}, nil},
		{"positional argument", []string{"--from", logs, "--n", "5", "--seed", "1", "--out", out, "extra"}, exitUsage, []string{`unexpected argument "extra"`}, nil},
		{"absent stratify column", []string{"--from", logs, "--n", "5", "--seed", "1", "--out", out, "--stratify", "region"}, exitUsage,
			[]string{`column "region"`, "id, timestamp, input, context, output, model_version, gender, locale, latency_ms"}, nil},
		{"malformed parquet", []string{"--from", truncated, "--n", "5", "--seed", "1", "--out", out}, exitUsage, []string{"bad-truncated.parquet", "corrupt Parquet file"}, nil},
		{"missing log file", []string{"--from", "/nonexistent/logs.parquet", "--n", "5", "--seed", "1", "--out", out}, exitUsage, []string{"/nonexistent/logs.parquet"}, nil},
		{"window before the logs", []string{"--from", logs, "--n", "5", "--seed", "1", "--out", out, "--until", "2026-01-01"}, exitUsage, []string{"no row is eligible", "timestamp runs from 2026-10-01T00:00:00Z"}, nil},
		{"out is the log", []string{"--from", logs, "--n", "5", "--seed", "1", "--out", logs}, exitUsage, []string{"is the log file itself"}, nil},
		{"output directory missing", []string{"--from", logs, "--n", "5", "--seed", "1", "--out", filepath.Join(dir, "no", "s.parquet")}, exitUsage, []string{"--out " + filepath.Join(dir, "no", "s.parquet") + ": cannot create a file in", "no such file or directory"}, nil},
		{"n above the eligible rows", []string{"--from", logs, "--n", "500", "--seed", "1", "--out", out, "--since", "2026-10-01T00:00:00Z", "--until", "2026-10-01T01:00:00Z"}, exitOK,
			[]string{"evalgate: warning: asked for 500 rows but only 98 are eligible: the sample holds all of them"}, []string{"sampled 98 of 98 eligible rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, append([]string{"sample"}, tt.args...)...)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", res.code, tt.code, res.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr %q lacks %q", res.stderr, w)
				}
			}
			for _, w := range tt.out {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("stdout %q lacks %q", res.stdout, w)
				}
			}
		})
	}
	// The last case wrote a sample whose metadata records the warning.
	f, err := datasets.OpenLogs(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var warnings []string
	if err := json.Unmarshal([]byte(f.Info().Metadata[datasets.MetaSampleWarnings]), &warnings); err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "only 98 are eligible") {
		t.Errorf("metadata warnings %q (%v)", f.Info().Metadata[datasets.MetaSampleWarnings], err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the output directory, want only the sample (no temporary file left behind)", len(entries))
	}
}
