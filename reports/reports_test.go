package reports_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/internal/golden"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestReportGolden(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	var js bytes.Buffer
	if err := reports.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report.json", js.Bytes())
}

func TestReportDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	reports.WriteJSON(&a, reports.Build(reportstest.Input(t)))
	reports.WriteJSON(&b, reports.Build(reportstest.Input(t)))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same input gave different report bytes")
	}
	back, err := reports.ReadJSON(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	reports.WriteJSON(&c, back)
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Errorf("decode → encode changed the report:\n%s", c.String())
	}
}

func TestGate(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	want := []struct {
		metric, outcome string
	}{
		{"accuracy", reports.Pass},                  // 9/12
		{"accuracy.ci_low", reports.Fail},           // Wilson low of 9/12 is 0.47
		{"fairness.accuracy.gap", reports.Pass},     // groups of 4
		{"regression.accuracy.delta", reports.Pass}, // 9/12 − 7/12
		{"accuracy.task.refunds", reports.NotEvaluated},
		{"errors.rate", reports.Pass}, // 1/12
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
	if r.Verdict != reports.Block || r.Gate.Failed != 1 || r.Gate.Passed != 5 {
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
		{"all pass", "[{metric: accuracy, min: 0.5}]", true, "", reports.Allow},
		{"empty gate gives no verdict", "[]", true, "", reports.None},
		{"only drift rules give no verdict", "[{metric: drift.psi.max, max: 0.2}]", true, "", reports.None},
		{"incomplete run with an empty gate blocks", "[]", true, "interrupted", reports.Block},
		{"one fails", "[{metric: accuracy, min: 0.5}, {metric: errors.rate, max: 0}]", true, "", reports.Block},
		{"not evaluated blocks", "[{metric: regression.accuracy.delta, min: -0.02}]", false, "", reports.Block},
		{"optional not evaluated allows", "[{metric: regression.accuracy.delta, min: -0.02, optional: true}]", false, "", reports.Allow},
		{"incomplete run blocks", "[{metric: accuracy, min: 0.5}]", true, "interrupted", reports.Block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := reportstest.Input(t)
			cfg, err := configs.Parse("eval.yaml", []byte(strings.Replace(reportstest.Config, reportstest.Config[strings.Index(reportstest.Config, "gate:"):], "gate: "+tt.rules+"\n", 1)))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.production {
				cfg.Production, in.Production = nil, nil
			}
			in.Config, in.Incomplete = cfg, tt.incomplete
			if got := reports.Build(in).Verdict; got != tt.want {
				t.Errorf("verdict %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckRules(t *testing.T) {
	cfg, err := configs.Parse("eval.yaml", []byte(reportstest.Config+"  - {metric: acuracy, min: 1}\n  - {metric: fairness.gender.accuracy.gap, max: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = reports.CheckRules(cfg)
	for _, want := range []string{`gate rule 7: unknown metric "acuracy"`, `gate rule 8: unknown metric "fairness.gender.accuracy.gap" ("gender" is not in fairness.groups;`, "--list-metrics"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckRules error %v does not contain %q", err, want)
		}
	}
	cfg.Gate = cfg.Gate[:6]
	if err := reports.CheckRules(cfg); err != nil {
		t.Errorf("known metrics rejected: %v", err)
	}
}

// TestCheckRulesNeverEvaluated checks that a rule whose metric can never
// have a value under the config is refused at load, not left to block
// (or, optional, to pass) after every call is paid.
func TestCheckRulesNeverEvaluated(t *testing.T) {
	base := "dataset: {path: s.parquet}\ncandidate: {provider: \"builtin:extractive\"}\n"
	prod := "production: {provider: \"builtin:extractive-v1\"}\n"
	groups := "fairness: {groups: [region]}\n"
	tests := []struct {
		name, config, rule string
		want               string // "" for no error
	}{
		{"regression without production", base, "{metric: regression.accuracy.delta.ci_low, min: -0.02}", "gate rule 1: regression.accuracy.delta.ci_low can never be evaluated: the config has no production model"},
		{"production accuracy without production", base, "{metric: production.accuracy, min: 0.5}", "no production model"},
		{"regression with production", base + prod, "{metric: regression.accuracy.delta.ci_low, min: -0.02}", ""},
		{"optional regression without production", base, "{metric: regression.mcnemar_p, min: 0.05, optional: true}", ""},
		{"fairness gap without groups", base, "{metric: fairness.accuracy.gap, max: 0.1}", "fairness.groups names no group column"},
		{"fairness gap with groups", base + groups, "{metric: fairness.accuracy.gap, max: 0.1}", ""},
		{"group delta without groups", base + prod, "{metric: regression.group.min_delta, min: -0.1}", "fairness.groups names no group column"},
		{"fairness column not in groups", base + groups, "{metric: fairness.gender.accuracy.gap, max: 0.1}", `"gender" is not in fairness.groups`},
		{"groundedness off", base + "groundedness: {method: off}\n", "{metric: groundedness, min: 0.9}", "exists only with groundedness.method other than off"},
		{"labels without label method", base, "{metric: labels.macro_f1, min: 0.5}", "exists only with scoring.method: label"},
		{"pass@k beyond repeats", base + "run: {repeats: 3}\n", "{metric: repeats.pass_at_5, min: 0.5}", "k must be 1 to run.repeats (3)"},
		{"pass@k within repeats", base + "run: {repeats: 3}\n", "{metric: repeats.pass_at_3, min: 0.5}", ""},
		{"repeats without repeats", base, "{metric: repeats.pass_at_1, min: 0.5}", "exists only with run.repeats above 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := configs.Parse("eval.yaml", []byte(tt.config+"gate:\n  - "+tt.rule+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			err = reports.CheckRules(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestIntegrityGolden(t *testing.T) {
	r := reportstest.IntegrityReport(t)
	var js bytes.Buffer
	if err := reports.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report-integrity.json", js.Bytes())
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t).Validate(inst); err != nil {
		t.Errorf("report-integrity.json does not match report.schema.json: %v", err)
	}
	back, err := reports.ReadJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := reports.WriteJSON(&again, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js.Bytes(), again.Bytes()) {
		t.Error("report-integrity.json changes when read and written again")
	}
}

func TestCriterion(t *testing.T) {
	tests := []struct{ metric, want string }{
		{"accuracy.ci_low", reports.SOC2ProcessingIntegrity},
		{"fairness.accuracy.gap", reports.SOC2ProcessingIntegrity},
		{"groundedness", reports.SOC2ProcessingIntegrity},
		{"groundedness.ci_low", reports.SOC2ProcessingIntegrity},
		{"groundedness.task.billing", reports.SOC2ProcessingIntegrity},
		{"groundedness.hallucinated", reports.SOC2ProcessingIntegrity},
		{"groundedness.judge_errors", reports.SOC2ProcessingIntegrity},
		{"boundaries.violations", reports.SOC2ProcessingIntegrity},
		{"boundaries.rule.max_chars", reports.SOC2ProcessingIntegrity},
		{"review.routed", reports.SOC2ProcessingIntegrity},
		{"errors.rate", reports.SOC2ProcessingIntegrity},
		{"pii.total", reports.SOC2Privacy},
		{"pii.output", reports.SOC2Privacy},
		{"regression.accuracy.delta.ci_low", reports.SOC2ChangeManagement},
		{"production.accuracy", reports.SOC2ChangeManagement},
		{"drift.psi", reports.SOC2Monitoring},
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			if got := reports.Criterion(tt.metric); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestBuildFromTallies checks that a report built from streamed tallies
// is byte for byte the report Build makes from the same results.
func TestBuildFromTallies(t *testing.T) {
	in := reportstest.Input(t)
	want := reports.Build(in)
	opts := reports.MetricOptions(in.Config)
	reg := metrics.CompareByGroup(in.Candidate.Results, in.Production.Results, in.Config.Fairness.Groups, opts)
	cand, prod := reports.NewModelTally(in.Config, true), reports.NewModelTally(in.Config, false)
	cand.Info, prod.Info = in.Candidate, *in.Production
	for i := range in.Candidate.Results {
		cand.Add(&in.Candidate.Results[i])
	}
	for i := range in.Production.Results {
		prod.Add(&in.Production.Results[i])
	}
	got := reports.BuildFromTallies(reports.StreamInput{Config: in.Config, Dataset: in.Dataset, Candidate: cand, Production: prod, Regression: &reg, Timing: in.Timing})
	var g, w bytes.Buffer
	if err := reports.WriteJSON(&g, got); err != nil {
		t.Fatal(err)
	}
	if err := reports.WriteJSON(&w, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Bytes(), w.Bytes()) {
		t.Errorf("BuildFromTallies:\n%s\nBuild:\n%s", g.Bytes(), w.Bytes())
	}
}
