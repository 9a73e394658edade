package reports

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const testConfig = `dataset: {path: set.parquet}
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

func testInput(t *testing.T) Input {
	t.Helper()
	cfg, err := configs.Parse("eval.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(model string, correct []bool) []datasets.Result {
		var out []datasets.Result
		for i, ok := range correct {
			s := 0.0
			if ok {
				s = 1
			}
			r := datasets.Result{
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
	return Input{
		Config:     cfg,
		Dataset:    DatasetInfo{Path: "set.parquet", Name: "support-qa", Version: "1.0.0", SHA256: strings.Repeat("ab", 32), Rows: 12},
		Candidate:  ModelResults{Results: cand, ResultsFile: "results.parquet", ResultsSHA256: strings.Repeat("cd", 32)},
		Production: &ModelResults{Results: prod, ResultsFile: "production-results.parquet", ResultsSHA256: strings.Repeat("ef", 32)},
		Timing:     Timing{StartedAt: start, FinishedAt: start.Add(1500 * time.Millisecond), Seconds: 1.5},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestReportGolden(t *testing.T) {
	r := Build(testInput(t))
	var js, sum bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", js.Bytes())
	if err := WriteSummary(&sum, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.txt", sum.Bytes())
}

func TestReportDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	WriteJSON(&a, Build(testInput(t)))
	WriteJSON(&b, Build(testInput(t)))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same input gave different report bytes")
	}
	back, err := ReadJSON(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	WriteJSON(&c, back)
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Errorf("decode → encode changed the report:\n%s", c.String())
	}
}

func TestGate(t *testing.T) {
	r := Build(testInput(t))
	want := []struct {
		metric, outcome string
	}{
		{"accuracy", Pass},                  // 9/12
		{"accuracy.ci_low", Fail},           // Wilson low of 9/12 is 0.47
		{"fairness.accuracy.gap", Pass},     // groups of 4
		{"regression.accuracy.delta", Pass}, // 9/12 − 7/12
		{"accuracy.task.refunds", NotEvaluated},
		{"errors.rate", Pass}, // 1/12
	}
	if len(r.Gate.Rules) != len(want) {
		t.Fatalf("got %d rules, want %d", len(r.Gate.Rules), len(want))
	}
	for i, w := range want {
		got := r.Gate.Rules[i]
		if got.Metric != w.metric || got.Outcome != w.outcome {
			t.Errorf("rule %d: got %s %s (%s), want %s %s", i, got.Metric, got.Outcome, got.Reason, w.metric, w.outcome)
		}
	}
	if r.Verdict != Block || r.Gate.Failed != 1 || r.Gate.Passed != 5 {
		t.Errorf("verdict %s with %d passed / %d failed, want BLOCK with 5/1", r.Verdict, r.Gate.Passed, r.Gate.Failed)
	}
	if got := r.Gate.Rules[0]; math.Abs(got.Observed-0.75) > 1e-12 || !(got.Low < 0.75 && got.High > 0.75) {
		t.Errorf("accuracy observed %v [%v, %v], want 0.75 inside its interval", got.Observed, got.Low, got.High)
	}
}

func TestGateVerdicts(t *testing.T) {
	tests := []struct {
		name       string
		rules      string
		production bool
		incomplete string
		want       string
	}{
		{"all pass", "[{metric: accuracy, min: 0.5}]", true, "", Allow},
		{"empty gate", "[]", true, "", Allow},
		{"one fails", "[{metric: accuracy, min: 0.5}, {metric: errors.rate, max: 0}]", true, "", Block},
		{"not evaluated blocks", "[{metric: regression.accuracy.delta, min: -0.02}]", false, "", Block},
		{"optional not evaluated allows", "[{metric: regression.accuracy.delta, min: -0.02, optional: true}]", false, "", Allow},
		{"incomplete run blocks", "[{metric: accuracy, min: 0.5}]", true, "interrupted", Block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(t)
			cfg, err := configs.Parse("eval.yaml", []byte(strings.Replace(testConfig, testConfig[strings.Index(testConfig, "gate:"):], "gate: "+tt.rules+"\n", 1)))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.production {
				cfg.Production, in.Production = nil, nil
			}
			in.Config, in.Incomplete = cfg, tt.incomplete
			if got := Build(in).Verdict; got != tt.want {
				t.Errorf("verdict %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckRules(t *testing.T) {
	cfg, err := configs.Parse("eval.yaml", []byte(testConfig+"  - {metric: acuracy, min: 1}\n  - {metric: fairness.gender.accuracy.gap, max: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = CheckRules(cfg)
	for _, want := range []string{`gate rule 7: unknown metric "acuracy"`, `gate rule 8: unknown metric "fairness.gender.accuracy.gap" ("gender" is not in fairness.groups)`, "--list-metrics"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckRules error %v does not contain %q", err, want)
		}
	}
	cfg.Gate = cfg.Gate[:6]
	if err := CheckRules(cfg); err != nil {
		t.Errorf("known metrics rejected: %v", err)
	}
}

func TestSummaryHasNoModelText(t *testing.T) {
	var sum bytes.Buffer
	WriteSummary(&sum, Build(testInput(t)))
	if strings.Contains(sum.String(), "<b>") {
		t.Error("the terminal summary repeats model output")
	}
}
