package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/eval/builtin"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// writeSmallSet writes a 50-row eval set with a segment column (30 retail,
// 20 business) to dir and returns its path. labels makes the expected
// answers yes/no; context adds a passage; outputs records answers, right
// for all but every fifth item, for replay.
func writeSmallSet(t *testing.T, dir string, labels, context, outputs bool) string {
	t.Helper()
	var items []records.Item
	for i := range 50 {
		it := records.Item{ID: fmt.Sprintf("q%02d", i), Input: fmt.Sprintf("Is order %d eligible for a refund?", i),
			Extra: map[string]string{"segment": "retail", "note": fmt.Sprintf("n%d", i)}}
		if i%5 < 2 {
			it.Extra["segment"] = "business"
		}
		it.Expected = fmt.Sprintf("Order %d ships in %d days.", i, 2+i%4)
		if labels {
			it.Expected = map[bool]string{true: "yes", false: "no"}[i%3 == 0]
		}
		if context {
			it.Context = []string{fmt.Sprintf("Order %d ships in %d days from the warehouse.", i, 2+i%4)}
		}
		if outputs {
			it.Output = it.Expected
			if i%5 == 4 {
				it.Output = "I do not know."
			}
		}
		items = append(items, it)
	}
	path := filepath.Join(dir, "small.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := datasets.WriteItems(f, items, []string{"segment", "note"}, map[string]string{datasets.MetaName: "small", datasets.MetaVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkAllEvaluated runs the config at cfgPath and checks that it ends in a
// verdict with every gate rule evaluated, returning the report.
func checkAllEvaluated(t *testing.T, cfgPath string, environ map[string]string) *reports.Report {
	t.Helper()
	out := filepath.Join(filepath.Dir(cfgPath), "out")
	r := runCLI(t, context.Background(), environ, "run", "-c", cfgPath, "--out", out, "--quiet", "--no-cache")
	if r.code != exitOK && r.code != exitBlock {
		t.Fatalf("run: exit %d, want a verdict (0 or 1)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	rep := readReport(t, out)
	if len(rep.Gate.Rules) < 2 {
		t.Fatalf("the report has %d gate rules", len(rep.Gate.Rules))
	}
	for _, rule := range rep.Gate.Rules {
		if rule.Outcome == reports.NotEvaluated {
			t.Errorf("gate rule %s is not_evaluated: %s", rule.Metric, rule.Reason)
		}
	}
	return rep
}

// TestInitSmallSetEveryRuleEvaluated: init on a 50-row set writes a config
// that runs to a verdict with every gate rule evaluated; the default
// min_group_size (30) would have left the segment rule not evaluated.
func TestInitSmallSetEveryRuleEvaluated(t *testing.T) {
	tests := []struct {
		name                     string
		labels, context, outputs bool
		want, notWant            []string // in the config
	}{
		{"answers with context, replayed", false, true, true,
			[]string{"provider: replay", "min_group_size: 20", `"fairness.segment.accuracy.gap"`, "metric: groundedness", "method: lexical", "sha256: "},
			[]string{"positive_label:", "method: label", `"note"`}},
		{"yes/no labels, replayed", true, false, true,
			[]string{"method: label", `positive_label: "yes"`, "labels.macro_f1", "min_group_size: 20", "method: off"},
			[]string{"metric: groundedness"}},
		{"answers with context, builtin stand-in", false, true, false,
			[]string{"provider: builtin:extractive", "min_group_size: 20"},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			set := writeSmallSet(t, dir, tt.labels, tt.context, tt.outputs)
			cfgPath := filepath.Join(dir, "cfg", "eval.yaml")
			r := runCLI(t, context.Background(), nil, "init", "--dataset", set, "--out", cfgPath)
			if r.code != exitOK {
				t.Fatalf("init: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, want := range []string{"50 rows", "min_group_size: 20", "evalgate run -c " + cfgPath + " --dry-run"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("init's output lacks %q:\n%s", want, r.stdout)
				}
			}
			raw, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if !strings.Contains(string(raw), want) {
					t.Errorf("the config lacks %q:\n%s", want, raw)
				}
			}
			for _, bad := range tt.notWant {
				if strings.Contains(string(raw), bad) {
					t.Errorf("the config has %q:\n%s", bad, raw)
				}
			}
			if !strings.Contains(string(raw), "path: \"../small.parquet\"") {
				t.Errorf("the dataset path is not relative to the config:\n%s", raw)
			}
			rep := checkAllEvaluated(t, cfgPath, nil)
			if tt.labels && rep.Metrics.Labels == nil {
				t.Error("a label config has no label metrics in its report")
			}

			// The default group size would have made the rule never
			// evaluable, which run refuses: the fit is what makes it run.
			cfg, err := configs.Load(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Fairness.MinGroupSize != 20 {
				t.Fatalf("min_group_size %d", cfg.Fairness.MinGroupSize)
			}
			unfitted := strings.Replace(string(raw), "min_group_size: 20", "min_group_size: 30", 1)
			if err := os.WriteFile(cfgPath, []byte(unfitted), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := runCLI(t, context.Background(), nil, "run", "-c", cfgPath, "--dry-run"); r.code != exitUsage || !strings.Contains(r.stderr, "can never be evaluated") {
				t.Errorf("with min_group_size 30: exit %d, stderr %q; want the fairness rule refused", r.code, r.stderr)
			}

			// Not without --force; with it, the config is rewritten.
			if r := runCLI(t, context.Background(), nil, "init", "--dataset", set, "--out", cfgPath); r.code != exitUsage || !strings.Contains(r.stderr, "--force") {
				t.Errorf("init over an existing config: exit %d, stderr %q", r.code, r.stderr)
			}
			if r := runCLI(t, context.Background(), nil, "init", "--dataset", set, "--out", cfgPath, "--force"); r.code != exitOK {
				t.Errorf("init --force: exit %d, stderr %q", r.code, r.stderr)
			}
			if got, _ := os.ReadFile(cfgPath); string(got) != string(raw) {
				t.Error("init --force did not write the same config again")
			}
		})
	}
}

// TestInitProbesModels runs init against a test server that serves
// /v1/models and chat completions like the OpenAI API (the builtin
// models' handler) behind a key: one GET /models with the key, the
// model found or not, the key never printed or written; then the written
// config runs against the server to a verdict with every rule evaluated.
func TestInitProbesModels(t *testing.T) {
	const key = "sk-init-test-0123456789abcdefghij"
	var models, chats atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return
		}
		switch r.URL.Path {
		case "/v1/models":
			models.Add(1)
		case "/v1/chat/completions":
			chats.Add(1)
		}
		builtin.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	environ := map[string]string{"TEST_KEY": key}

	tests := []struct {
		name    string
		model   string
		environ map[string]string
		want    string
	}{
		{"model served", "extractive-v2", environ, "serves extractive-v2"},
		{"model not listed", "gpt-9", environ, `does not list the model "gpt-9"; it lists: extractive, extractive-v1, extractive-v2`},
		{"key refused", "extractive-v2", map[string]string{"TEST_KEY": "sk-wrong-0123456789abcdefghijkl"}, "refused the key in TEST_KEY (HTTP 401)"},
		{"key not set", "extractive-v2", nil, "TEST_KEY is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			models.Store(0)
			dir := t.TempDir()
			set := writeSmallSet(t, dir, false, true, false)
			cfgPath := filepath.Join(dir, "eval.yaml")
			r := runCLI(t, context.Background(), tt.environ, "init", "--dataset", set, "--out", cfgPath,
				"--base-url", srv.URL+"/v1", "--model", tt.model, "--api-key-env", "TEST_KEY")
			if r.code != exitOK {
				t.Fatalf("init: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.want) {
				t.Errorf("init's output lacks %q:\n%s", tt.want, r.stdout)
			}
			if tt.name == "model served" && models.Load() != 1 {
				t.Errorf("%d GET /v1/models with the key, want exactly 1", models.Load())
			}
			raw, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{r.stdout, r.stderr, string(raw)} {
				if strings.Contains(s, "sk-") {
					t.Errorf("a key reached init's output or config:\n%s", s)
				}
			}
			for _, want := range []string{"provider: openai", "base_url: \"" + srv.URL + "/v1\"", "model: \"" + tt.model + "\"", "api_key_env: TEST_KEY"} {
				if !strings.Contains(string(raw), want) {
					t.Errorf("the config lacks %q:\n%s", want, raw)
				}
			}
			if tt.name == "model served" {
				before := chats.Load()
				checkAllEvaluated(t, cfgPath, environ)
				if chats.Load()-before != 50 {
					t.Errorf("the run made %d chat calls, want 50", chats.Load()-before)
				}
			}
		})
	}
}

// TestInitRefusals: flags are checked before anything is read or written,
// and a set that is not Parquet is pointed to evalgate dataset import.
func TestInitRefusals(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "qa.jsonl")
	if err := os.WriteFile(jsonl, []byte(`{"question":"q","answer":"a"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "qa.csv")
	if err := os.WriteFile(csv, []byte("question,answer\nq,a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "eval.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no dataset", []string{"init"}, "--dataset FILE is required"},
		{"base url without model", []string{"init", "--dataset", jsonl, "--base-url", "http://127.0.0.1:1/v1"}, "--base-url needs --model"},
		{"model without base url", []string{"init", "--dataset", jsonl, "--model", "m"}, "--model needs --base-url"},
		{"bad key variable", []string{"init", "--dataset", jsonl, "--base-url", "http://127.0.0.1:1/v1", "--model", "m", "--api-key-env", "sk-abc: x"}, "--api-key-env takes the name of the environment variable"},
		{"jsonl", []string{"init", "--dataset", jsonl, "--out", out}, "this looks like JSON Lines; convert it with `evalgate dataset import " + jsonl},
		{"csv", []string{"init", "--dataset", csv, "--out", out}, "this looks like CSV; convert it with `evalgate dataset import"},
		{"missing file", []string{"init", "--dataset", filepath.Join(dir, "nope.parquet"), "--out", out}, "nope.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, context.Background(), nil, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a config was written")
			}
			if strings.Contains(r.stderr, "sk-") {
				t.Errorf("stderr echoes a key: %q", r.stderr)
			}
		})
	}
}

// TestDryRunListsUnevaluableRules: --dry-run names each optional rule the
// run would report not_evaluated, with why, and the groups too small to
// compare; a required rule of that kind is refused before any call.
func TestDryRunListsUnevaluableRules(t *testing.T) {
	dir := t.TempDir()
	set := writeSmallSet(t, dir, false, true, true)
	base := "dataset: {path: " + set + "}\ncandidate: {provider: replay}\nfairness: {groups: [segment], min_group_size: %d}\ngate:\n  - {metric: accuracy, min: 0.5}\n"
	tests := []struct {
		name     string
		minGroup int
		rules    string
		code     int
		want     []string
		notWant  []string
	}{
		{"every rule evaluable", 20, "  - {metric: fairness.segment.accuracy.gap, max: 0.3}\n", exitOK,
			[]string{"gate: every rule can be evaluated on this set"}, []string{"not_evaluated", "below fairness.min_group_size"}},
		{"optional rules listed with why", 30,
			"  - {metric: regression.accuracy.delta, min: -0.05, optional: true}\n" +
				"  - {metric: fairness.segment.accuracy.gap, max: 0.3, optional: true}\n" +
				"  - {metric: boundaries.rule.no-refunds, max: 0, optional: true}\n" +
				"  - {metric: accuracy.task.billing, min: 0.5, optional: true}\n",
			exitOK,
			[]string{
				"gate: 4 rules cannot be evaluated on this set and will be reported not_evaluated (optional: they do not block):",
				"rule 2, regression.accuracy.delta >= -0.05: the config has no production model to compare with",
				"rule 3, fairness.segment.accuracy.gap <= 0.3: 1 of the 2 groups of segment have at least 30 scored results",
				`rule 4, boundaries.rule.no-refunds <= 0: the config sets no boundary rule "no-refunds"`,
				`rule 5, accuracy.task.billing >= 0.5: no item of ` + set + ` has the task "billing"`,
				"segment: business has 20 (of the 30 scored results fairness.min_group_size asks for)",
			}, nil},
		{"required rule refused", 30, "  - {metric: fairness.segment.accuracy.gap, max: 0.3}\n", exitUsage,
			[]string{"gate rule 2 (fairness.segment.accuracy.gap) can never be evaluated"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, fmt.Sprintf(base, tt.minGroup)+tt.rules)
			r := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--dry-run")
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stdout+r.stderr, want) {
					t.Errorf("the output lacks %q:\n%s%s", want, r.stdout, r.stderr)
				}
			}
			for _, bad := range tt.notWant {
				if strings.Contains(r.stdout, bad) {
					t.Errorf("the output has %q:\n%s", bad, r.stdout)
				}
			}
		})
	}
}

// TestTemplateFieldErrors: a field a row does not have fails before any
// call, naming the first item, the fields and the set's other columns,
// also when it sits in a branch the first item does not take.
func TestTemplateFieldErrors(t *testing.T) {
	dir := t.TempDir()
	set := writeSmallSet(t, dir, false, true, true)
	for _, tmpl := range []string{"{{.Segment}}", "{{if .Extra.nope}}{{.Segment}}{{end}}{{.Input}}"} {
		t.Run(tmpl, func(t *testing.T) {
			cfg := writeConfig(t, "dataset: {path: "+set+"}\ncandidate: {provider: replay}\nprompt: {template: '"+tmpl+"'}\ngate:\n  - {metric: accuracy, min: 0.5}\n")
			r := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--dry-run")
			want := []string{
				"parse prompt.template: {{.Segment}}: an eval-set row has no field Segment; the fields are .Row .ID .Input",
				`the first being "q00"`,
				"this set's other string columns are note, segment: did you mean {{.Extra.segment}}?",
			}
			if r.code != exitUsage {
				t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "records.Item") || strings.Contains(r.stderr, "can't evaluate") {
				t.Errorf("stderr shows Go internals:\n%s", r.stderr)
			}
		})
	}
}
