package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/reports"
)

// exampleSet is the committed quickstart eval set, from this package's
// directory.
var exampleSet, _ = filepath.Abs(filepath.Join("..", "..", "datasets", "examples", "support-qa.parquet"))

// interop is the shared folder of eval sets written by DuckDB.
var interop = filepath.Join("..", "..", "..", "shared", "data", "interop")

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, ctx context.Context, environ map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return environ[k] }
	code := run(ctx, args, &out, &errb, getenv)
	return result{code, out.String(), errb.String()}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "eval.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readReport(t *testing.T, dir string) *reports.Report {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := reports.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestQuickstart(t *testing.T) {
	out := t.TempDir()
	res := runCLI(t, context.Background(), nil, "run", "-c", filepath.Join("..", "..", "configs", "quickstart.yaml"), "--out", out)
	if res.code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"accuracy (", "group region", "regression vs production", "verdict: ALLOW"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.stdout)
		}
	}
	rep := readReport(t, out)
	if rep.Status != reports.Complete || rep.Verdict != reports.Allow || rep.Dataset.Name != "support-qa" {
		t.Errorf("report status %s verdict %s dataset %q", rep.Status, rep.Verdict, rep.Dataset.Name)
	}
	results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(results)) != rep.Dataset.Rows || rep.Candidate.Errors != 0 {
		t.Errorf("%d results with %d errors for %d rows", len(results), rep.Candidate.Errors, rep.Dataset.Rows)
	}
	if rep.Metrics.Regression == nil || rep.Metrics.Regression.Delta <= 0 {
		t.Errorf("regression %+v: want the candidate better than production", rep.Metrics.Regression)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no arguments", nil, exitUsage, "usage: evalgate"},
		{"help", []string{"help"}, exitOK, "commands:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"run without config", []string{"run"}, exitUsage, "-c CONFIG is required"},
		{"unknown flag", []string{"run", "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{"missing config file", []string{"run", "-c", "/nonexistent/eval.yaml"}, exitUsage, "/nonexistent/eval.yaml"},
		{"dataset without subcommand", []string{"dataset"}, exitUsage, "missing subcommand"},
		{"dataset unknown subcommand", []string{"dataset", "shred", "x"}, exitUsage, `unknown subcommand "shred"`},
		{"freeze without name", []string{"dataset", "freeze", "x.parquet"}, exitUsage, "--name and --version are required"},
		{"version", []string{"version"}, exitOK, "harness " + reports.Version},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, tt.args...)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", res.code, tt.code, res.stderr)
			}
			if !strings.Contains(res.stdout+res.stderr, tt.want) {
				t.Errorf("output lacks %q:\nstdout %q\nstderr %q", tt.want, res.stdout, res.stderr)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		env  map[string]string
		want []string
		not  []string
	}{
		{
			name: "misspelled key",
			body: "dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\nrun:\n  concurency: 8\n",
			want: []string{"eval.yaml:4:", `unknown key "run.concurency"`, `did you mean "concurrency"`},
		},
		{
			name: "missing API key variable",
			body: "dataset: {path: %s}\ncandidate: {provider: openai, model: gpt-4o-mini, api_key_env: MY_EVAL_KEY}\n",
			env:  map[string]string{"OTHER": "sk-should-not-appear-123456"},
			want: []string{"MY_EVAL_KEY is not set"},
			not:  []string{"sk-should-not-appear"},
		},
		{
			name: "unknown builtin",
			body: "dataset: {path: %s}\ncandidate: {provider: \"builtin:oracle\"}\n",
			want: []string{"oracle", "extractive-v1"},
		},
		{
			name: "pinned digest mismatch",
			body: "dataset: {path: %s, sha256: " + strings.Repeat("0", 64) + "}\ncandidate: {provider: \"builtin:extractive\"}\n",
			want: []string{"dataset.sha256 pins " + strings.Repeat("0", 64)},
		},
		{
			name: "unknown group column",
			body: "dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\nfairness: {groups: [shoe_size]}\n",
			want: []string{`column "shoe_size"`},
		},
		{
			name: "unknown gate metric",
			body: "dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\ngate:\n  - {metric: acuracy, min: 0.9}\n",
			want: []string{`unknown metric "acuracy"`},
		},
		{
			name: "misspelled template field",
			body: "dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\nprompt: {template: \"{{.Inptu}}\"}\n",
			want: []string{"prompt.template", "Inptu"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf(tt.body, exampleSet)
			if !strings.Contains(body, "gate:") {
				body += "gate: [{metric: accuracy, min: 0.5}]\n"
			}
			cfg := writeConfig(t, body)
			res := runCLI(t, context.Background(), tt.env, "run", "-c", cfg, "--out", t.TempDir())
			if res.code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", res.code, exitUsage, res.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr %q lacks %q", res.stderr, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(res.stdout+res.stderr, n) {
					t.Errorf("output contains %q", n)
				}
			}
		})
	}
}

// fakeOpenAI is an httptest server that speaks the chat completions wire
// format; fail decides, per request number, whether to answer with an error
// status instead.
func fakeOpenAI(t *testing.T, fail func(n int64) int, onRequest func(n int64)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := count.Add(1)
		if onRequest != nil {
			onRequest(n)
		}
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if status := fail(n); status != 0 {
			w.WriteHeader(status)
			// Real servers echo part of the key back on 401; ours echoes all of it.
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","code":"invalid_api_key"}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			return
		}
		var req struct {
			Model    string                     `json:"model"`
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"<script>alert(1)</script> 30 days"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}`, req.Model)
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

const secretKey = "sk-test-SECRET-abcdefghijklmnop"

// openaiConfig is a config for the fake server at url, with extra
// appended; without a gate in extra it gates on the error rate.
func openaiConfig(t *testing.T, url string, extra string) string {
	if !strings.Contains(extra, "gate:") {
		extra += "gate: [{metric: errors.rate, max: 0.5}]\n"
	}
	return writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: test-model, base_url: %s/v1, api_key_env: TEST_KEY}\nrun: {concurrency: 4}\n%s", exampleSet, url, extra))
}

func TestOpenAIEndpoint(t *testing.T) {
	srv, count := fakeOpenAI(t, func(n int64) int {
		if n%10 == 0 {
			return http.StatusBadRequest // permanent; every tenth call fails
		}
		return 0
	}, nil)
	out := t.TempDir()
	res := runCLI(t, context.Background(), map[string]string{"TEST_KEY": secretKey}, "run", "-c", openaiConfig(t, srv.URL, "gate: [{metric: errors.rate, max: 0.5}]\n"), "--out", out)
	if res.code != exitOK {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	if int64(rep.Candidate.Calls) != count.Load() || rep.Candidate.Errors == 0 || rep.Candidate.ErrorKinds["http_400"] != rep.Candidate.Errors {
		t.Errorf("calls %d (server saw %d), errors %d %v", rep.Candidate.Calls, count.Load(), rep.Candidate.Errors, rep.Candidate.ErrorKinds)
	}
	if rep.Candidate.PromptTokens != 12*(rep.Candidate.Calls-rep.Candidate.Errors) {
		t.Errorf("prompt tokens %d, want 12 per successful call", rep.Candidate.PromptTokens)
	}
	assertNoSecret(t, out, res)
}

func TestInterruptWritesIncompleteReport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, _ := fakeOpenAI(t, func(int64) int { return 0 }, func(n int64) {
		if n == 20 {
			cancel() // as SIGINT would
		}
	})
	out := t.TempDir()
	res := runCLI(t, ctx, map[string]string{"TEST_KEY": secretKey}, "run", "-c", openaiConfig(t, srv.URL, ""), "--out", out)
	if res.code != exitRunFail {
		t.Fatalf("exit %d, want %d; stderr %s", res.code, exitRunFail, res.stderr)
	}
	rep := readReport(t, out)
	if rep.Status != reports.Incomplete || !strings.Contains(rep.StatusReason, "interrupted") {
		t.Errorf("status %s (%s), want INCOMPLETE after an interrupt", rep.Status, rep.StatusReason)
	}
	if rep.Candidate.Calls == 0 || int64(rep.Candidate.Calls) >= rep.Dataset.Rows {
		t.Errorf("%d calls recorded of %d rows, want the finished part only", rep.Candidate.Calls, rep.Dataset.Rows)
	}
}

// assertNoSecret checks that the API key reached no output and no file.
func assertNoSecret(t *testing.T, dir string, res result) {
	t.Helper()
	if strings.Contains(res.stdout+res.stderr, secretKey) {
		t.Error("the API key reached stdout or stderr")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte(secretKey)) || bytes.Contains(b, []byte("SECRET-abcdef")) {
			t.Errorf("the API key reached %s", e.Name())
		}
	}
}

func TestDatasetCommands(t *testing.T) {
	if _, err := os.Stat(interop); err != nil {
		t.Skipf("shared interop data not found at %s: %v", interop, err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"inspect", []string{"dataset", "inspect", filepath.Join(interop, "qa-duckdb-zstd.parquet")}, exitOK, []string{"5000", "context", "list<string>", "gender"}},
		{"validate good", []string{"dataset", "validate", filepath.Join(interop, "qa-duckdb-snappy.parquet")}, exitOK, []string{"valid eval set"}},
		{"duplicate id", []string{"dataset", "validate", filepath.Join(interop, "bad-duplicate-id.parquet")}, exitUsage, []string{"bad-duplicate-id.parquet", "q-00000", "duplicate"}},
		{"missing input", []string{"dataset", "validate", filepath.Join(interop, "bad-missing-input.parquet")}, exitUsage, []string{"bad-missing-input.parquet", `"input"`}},
		{"null id", []string{"dataset", "validate", filepath.Join(interop, "bad-null-id.parquet")}, exitUsage, []string{"bad-null-id.parquet", "42", "null"}},
		{"integer input", []string{"dataset", "validate", filepath.Join(interop, "bad-input-is-integer.parquet")}, exitUsage, []string{"bad-input-is-integer.parquet", "input", "int64"}},
		{"truncated", []string{"dataset", "validate", filepath.Join(interop, "bad-truncated.parquet")}, exitUsage, []string{"bad-truncated.parquet"}},
		{"inspect truncated", []string{"dataset", "inspect", filepath.Join(interop, "bad-truncated.parquet")}, exitUsage, []string{"bad-truncated.parquet"}},
		{"missing file", []string{"dataset", "inspect", "/nonexistent.parquet"}, exitUsage, []string{"/nonexistent.parquet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, tt.args...)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", res.code, tt.code, res.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stdout+res.stderr, w) {
					t.Errorf("output lacks %q:\nstdout %s\nstderr %s", w, res.stdout, res.stderr)
				}
			}
		})
	}
}

func TestFreezeThenPin(t *testing.T) {
	if _, err := os.Stat(interop); err != nil {
		t.Skipf("shared interop data not found at %s: %v", interop, err)
	}
	frozen := filepath.Join(t.TempDir(), "qa.parquet")
	res := runCLI(t, context.Background(), nil, "dataset", "freeze", filepath.Join(interop, "qa-duckdb-nulls-stringcontext.parquet"), "--name", "qa", "--version", "2.1.0", "--out", frozen)
	if res.code != exitOK {
		t.Fatalf("freeze: exit %d: %s", res.code, res.stderr)
	}
	res = runCLI(t, context.Background(), nil, "dataset", "inspect", frozen)
	if res.code != exitOK || !strings.Contains(res.stdout, "qa") || !strings.Contains(res.stdout, "2.1.0") {
		t.Errorf("inspect after freeze: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestListMetrics(t *testing.T) {
	res := runCLI(t, context.Background(), nil, "gate", "--list-metrics", "-c", filepath.Join("..", "..", "configs", "quickstart.yaml"))
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{"accuracy.ci_low", "fairness.region.accuracy.gap", "regression.accuracy.delta", "errors.rate"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("list lacks %s", want)
		}
	}
}

func TestReplayWithoutOutputs(t *testing.T) {
	// The example set has an output column, but every value in it is null.
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: replay}\ngate: [{metric: accuracy, min: 0.5}]\n", exampleSet))
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", t.TempDir())
	if res.code != exitRunFail || !strings.Contains(res.stderr, "has no recorded output to replay") {
		t.Errorf("exit %d, stderr %q: want exit 3 saying there is nothing to replay", res.code, res.stderr)
	}
}

func TestReplayWithoutOutputColumn(t *testing.T) {
	set, _ := filepath.Abs(filepath.Join(interop, "qa-duckdb-gzip.parquet"))
	if _, err := os.Stat(set); err != nil {
		t.Skipf("shared interop data not found: %v", err)
	}
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: replay}\ngate: [{metric: accuracy, min: 0.5}]\n", set))
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", t.TempDir())
	if res.code != exitUsage || !strings.Contains(res.stderr, "no output column") {
		t.Errorf("exit %d, stderr %q: want exit 2 naming the missing output column", res.code, res.stderr)
	}
}

func TestRegressionDemoBlocks(t *testing.T) {
	out := t.TempDir()
	res := runCLI(t, context.Background(), nil, "run", "-c", filepath.Join("..", "..", "configs", "regression-demo.yaml"), "--out", out)
	if res.code != exitBlock {
		t.Fatalf("exit %d, want %d (BLOCK)\n%s%s", res.code, exitBlock, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	failed := map[string]bool{}
	for _, r := range rep.Gate.Rules {
		if r.Outcome == reports.Fail {
			failed[r.Metric] = true
		}
	}
	if !failed["regression.accuracy.delta.ci_low"] || !failed["accuracy"] {
		t.Errorf("failed rules %v, want accuracy and regression.accuracy.delta.ci_low among them", failed)
	}
}

func TestDryRunMakesNoCall(t *testing.T) {
	srv, count := fakeOpenAI(t, func(int64) int { return 0 }, nil)
	res := runCLI(t, context.Background(), map[string]string{"TEST_KEY": secretKey}, "run", "--dry-run", "-c", openaiConfig(t, srv.URL, ""))
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if count.Load() != 0 {
		t.Errorf("dry run made %d calls", count.Load())
	}
	if !strings.Contains(res.stdout, "first prompt") || !strings.Contains(res.stdout, "candidate: openai test-model: 400 calls, about") {
		t.Errorf("dry run output:\n%s", res.stdout)
	}
}

func TestCacheAndJSONProgress(t *testing.T) {
	srv, count := fakeOpenAI(t, func(int64) int { return 0 }, nil)
	env := map[string]string{"TEST_KEY": secretKey, "XDG_CACHE_HOME": t.TempDir()}
	cfg := openaiConfig(t, srv.URL, "")
	res := runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", t.TempDir(), "--json-progress")
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var last struct {
		Done  int  `json:"done"`
		Total int  `json:"total"`
		Final bool `json:"final"`
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || !last.Final || last.Done != 400 || last.Total != 400 {
		t.Errorf("last progress line %q (%v): want final JSON with 400/400", lines[len(lines)-1], err)
	}
	made := count.Load()
	// A fresh output directory: nothing to resume, everything in the cache.
	out := t.TempDir()
	res = runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitOK || count.Load() != made {
		t.Errorf("re-run: exit %d, %d more calls; want 0 and none", res.code, count.Load()-made)
	}
	if rep := readReport(t, out); rep.Cache == nil || rep.Cache.Hits != 400 || rep.Candidate.Cached != 400 {
		t.Errorf("report cache %+v, candidate cached %d; want 400 hits", rep.Cache, rep.Candidate.Cached)
	}
	// --no-cache calls for every item, even those whose prompt repeats an
	// earlier item's (the cache answered those in the first run).
	res = runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", t.TempDir(), "--quiet", "--no-cache")
	if res.code != exitOK || count.Load()-made != 400 {
		t.Errorf("--no-cache: exit %d, %d calls; want 400", res.code, count.Load()-made)
	}
	assertNoSecret(t, out, res)
	if b, _ := exec.Command("grep", "-rl", secretKey, env["XDG_CACHE_HOME"]).Output(); len(b) > 0 {
		t.Errorf("the API key is in the cache: %s", b)
	}
}
