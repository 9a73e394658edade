package reports_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// Counts gives the counts behind exactly the values Values reports.
func TestCountsMatchValues(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	values := reports.Values(r)
	counts := reports.Counts(r)
	if len(counts) < 4 {
		t.Fatalf("only %d counted metrics: %v", len(counts), counts)
	}
	for path, c := range counts {
		v, ok := values[path]
		if !ok || v.V != float64(c.K)/float64(c.N) {
			t.Errorf("%s: counts %d/%d, value %v (present %v)", path, c.K, c.N, v.V, ok)
		}
	}
	for _, path := range []string{"accuracy", "errors.rate", "production.accuracy", "accuracy.task.billing"} {
		if _, ok := counts[path]; !ok {
			t.Errorf("no counts for %s", path)
		}
	}
}

func TestControlPositionJSON(t *testing.T) {
	tests := []struct {
		name string
		p    reports.ControlPosition
		json string
	}{
		{"p-chart, flagged", reports.ControlPosition{"accuracy", metrics.ChartP, 0.725, 400, 0.85, 0.9, 0.95, []metrics.Signal{{Rule: metrics.Rule1, Side: -1}}, "all 12 reports"},
			`{"metric":"accuracy","chart":"p","value":0.725,"n":400,"lcl":0.85,"center":0.9,"ucl":0.95,"signals":[{"rule":1,"side":"below","text":"one point beyond 3σ"}],"reference":"all 12 reports"}`},
		{"no limits", reports.ControlPosition{"tokens.total", metrics.ChartXmR, 1200, 0, math.NaN(), 1100, math.NaN(), nil, "all 1 reports"},
			`{"metric":"tokens.total","chart":"xmr","value":1200,"n":0,"lcl":null,"center":1100,"ucl":null,"signals":[],"reference":"all 1 reports"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.p)
			if err != nil || string(b) != tt.json {
				t.Fatalf("Marshal = %s, %v\nwant %s", b, err, tt.json)
			}
			var back reports.ControlPosition
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			b2, _ := json.Marshal(back)
			if string(b2) != tt.json {
				t.Errorf("round trip gave %s", b2)
			}
		})
	}
}

// The listing of --list-metrics is the catalog spelled out for a config.
// The golden files were written by the code before the catalog, for a
// config that turns every optional metric on and one that turns them
// off: every line of them must still be listed, in the same order. A new
// catalog entry may add lines between them without touching them.
func TestMetricPathsGolden(t *testing.T) {
	for _, name := range []string{"metrics-full", "metrics-off"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := configs.Parse(name+".yaml", src)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			got := reports.MetricPaths(cfg)
			i := 0
			for _, line := range strings.Split(strings.TrimSuffix(string(want), "\n"), "\n") {
				for i < len(got) && got[i] != line {
					i++
				}
				if i == len(got) {
					t.Fatalf("the listing lost %q or moved it; got:\n%s", line, strings.Join(got, "\n"))
				}
				i++
			}
		})
	}
}

// TestCatalogEntries checks what every entry must declare.
func TestCatalogEntries(t *testing.T) {
	defaults := map[int]string{}
	seen := map[string]bool{}
	for _, m := range reports.Catalog() {
		t.Run(m.Path, func(t *testing.T) {
			if seen[m.Path] {
				t.Error("declared twice")
			}
			seen[m.Path] = true
			if m.Doc == "" || m.Unit == "" || m.Criterion == "" {
				t.Errorf("doc %q, unit %q, criterion %q: want all three", m.Doc, m.Unit, m.Criterion)
			}
			if strings.Count(m.Path, "<") != strings.Count(m.Path, ">") || strings.Count(m.Path, "<") > 1 {
				t.Errorf("want at most one <placeholder>")
			}
			switch m.Document {
			case reports.DocReport:
				if m.Read == nil {
					t.Error("a report metric with no Read")
				}
			case reports.DocDrift:
				if m.Read != nil || m.Chart != reports.ChartNone || m.Interval {
					t.Error("a drift metric is read by the drift package, has no interval and is not charted")
				}
			default:
				t.Errorf("document %q", m.Document)
			}
			if m.Chart == reports.ChartRate && (m.Unit != reports.UnitRate || !m.Interval) {
				t.Error("a p-charted metric must be a rate with an interval")
			}
			if m.HistoryDefault > 0 {
				if other, ok := defaults[m.HistoryDefault]; ok {
					t.Errorf("HistoryDefault %d is also %s's", m.HistoryDefault, other)
				}
				defaults[m.HistoryDefault] = m.Path
			}
			if got, ok := reports.Lookup(strings.NewReplacer("<", "", ">", "").Replace(m.Path)); !ok || got.Path != m.Path {
				t.Errorf("Lookup of a path of the entry gives %q, %v", got.Path, ok)
			}
		})
	}
}

// Every value a report holds belongs to the catalog entry of its path.
func TestValuesAreCatalogued(t *testing.T) {
	for name, r := range map[string]*reports.Report{
		"report": reports.Build(reportstest.Input(t)), "integrity": reportstest.IntegrityReport(t), "hybrid": reportstest.HybridReport(t),
	} {
		t.Run(name, func(t *testing.T) {
			values := reports.Values(r)
			if len(values) < 20 {
				t.Fatalf("only %d values", len(values))
			}
			for path, v := range values {
				m, ok := reports.Lookup(path)
				switch {
				case !ok:
					t.Errorf("%s is in no catalog entry", path)
				case m.Document != reports.DocReport:
					t.Errorf("%s belongs to %s", path, m.Document)
				case !strings.HasSuffix(path, ".ci_low") && !strings.HasSuffix(path, ".ci_high") && m.Interval != !math.IsNaN(v.Low) && !math.IsNaN(v.V):
					t.Errorf("%s: interval [%v, %v], catalog says interval %v", path, v.Low, v.High, m.Interval)
				}
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct{ path, want string }{
		{"accuracy", "accuracy"},
		{"accuracy.ci_low", "accuracy"},
		{"accuracy.exact", "accuracy.<method>"},
		{"accuracy.exact.ci_high", "accuracy.<method>"},
		{"accuracy.f1.mean", "accuracy.f1.mean"},
		{"accuracy.task.billing", "accuracy.task.<task>"},
		{"accuracy.task.billing.ci_low", "accuracy.task.<task>"},
		{"fairness.accuracy.gap", "fairness.accuracy.gap"},
		{"fairness.region.accuracy.gap", "fairness.<column>.accuracy.gap"},
		{"regression.group.min_delta.ci_high", "regression.group.min_delta"},
		{"repeats.pass_at_3", "repeats.pass_at_<k>"},
		{"drift.psi.max", "drift.psi.max"},
		{"drift.a.b.ks_pvalue", "drift.<feature>.ks_pvalue"},
		{"errors.count.ci_low", ""}, // no interval
		{"drift.psi", ""},
		{"acuracy", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m, ok := reports.Lookup(tt.path)
			if got := m.Path; got != tt.want || ok != (tt.want != "") {
				t.Errorf("got %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestDocumentOf(t *testing.T) {
	tests := []struct {
		path string
		want reports.Document
	}{
		{"accuracy", reports.DocReport},
		{"drift.psi.max", reports.DocDrift},
		{"drift.anything.else", reports.DocDrift},
		{"drift", reports.DocReport}, // not a drift path: CheckRules names it unknown
		{"unknown.path", reports.DocReport},
	}
	for _, tt := range tests {
		if got := reports.DocumentOf(tt.path); got != tt.want {
			t.Errorf("DocumentOf(%q) = %s, want %s", tt.path, got, tt.want)
		}
	}
}

// HistoryDefaults keeps the order history charted before the catalog.
func TestHistoryDefaults(t *testing.T) {
	want := []string{"accuracy", "labels.accuracy", "repeats.majority_accuracy", "groundedness", "errors.rate",
		"fairness.accuracy.gap", "fairness.demographic_parity_difference", "fairness.equalized_odds_difference"}
	if got := reports.HistoryDefaults(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// The one gate engine: the outcome table of Evaluate.
func TestEvaluate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	values := map[string]reports.Value{
		"a":                           {V: 0.8, Low: 0.7, High: 0.9},
		"a.ci_low":                    {V: 0.7, Low: math.NaN(), High: math.NaN()},
		"a.ci_high":                   {V: 0.9, Low: math.NaN(), High: math.NaN()},
		"c":                           {V: 3, Low: math.NaN(), High: math.NaN()},
		"n":                           {V: math.NaN(), Low: math.NaN(), High: math.NaN()},
		"fairness.g.accuracy.p_value": {V: 0.001, Low: math.NaN(), High: math.NaN()},
	}
	hint := func(metric string) string { return " (hint for " + metric + ")" }
	tests := []struct {
		name          string
		rule          configs.Rule
		outcome       string
		reason        string
		finding       string
		passed, faild int
	}{
		{"pass", configs.Rule{Metric: "a", Min: f(0.5), Max: f(1)}, reports.Pass, "a = 0.8 is ≥ 0.5 and ≤ 1", "", 1, 0},
		{"below, interval reaches the minimum", configs.Rule{Metric: "a", Min: f(0.85)}, reports.Fail,
			"a = 0.8 is below the minimum 0.85, but a's interval [0.7, 0.9] reaches up to it: too little data to show the true value is at least 0.85", reports.FindingTooLittleData, 0, 1},
		{"above, whole interval above", configs.Rule{Metric: "a", Max: f(0.5)}, reports.Fail,
			"a = 0.8 is above the maximum 0.5, and so is all of a's interval [0.7, 0.9]: evidence that the true value is above 0.5", reports.FindingEvidence, 0, 1},
		{"below, whole interval below", configs.Rule{Metric: "a", Min: f(0.95)}, reports.Fail,
			"a = 0.8 is below the minimum 0.95, and so is all of a's interval [0.7, 0.9]: evidence that the true value is below 0.95", reports.FindingEvidence, 0, 1},
		{"ci_high above, interval reaches", configs.Rule{Metric: "a.ci_high", Max: f(0.75)}, reports.Fail,
			"a.ci_high = 0.9 is above the maximum 0.75, but a's interval [0.7, 0.9] reaches down to it: too little data to show the true value is at most 0.75", reports.FindingTooLittleData, 0, 1},
		{"ci_low above: evidence", configs.Rule{Metric: "a.ci_low", Max: f(0.6)}, reports.Fail,
			"a.ci_low = 0.7 is above the maximum 0.6, and so is all of a's interval [0.7, 0.9]: evidence that the true value is above 0.6", reports.FindingEvidence, 0, 1},
		{"no interval: no finding", configs.Rule{Metric: "c", Max: f(2)}, reports.Fail, "c = 3 is above the maximum 2", "", 0, 1},
		{"p-value below its minimum: the test rejects", configs.Rule{Metric: "fairness.g.accuracy.p_value", Min: f(0.05)}, reports.Fail,
			"fairness.g.accuracy.p_value = 0.001 is below the minimum 0.05: the test rejects at that level, evidence of a difference", reports.FindingEvidence, 0, 1},
		{"missing", configs.Rule{Metric: "b", Min: f(0)}, reports.NotEvaluated, "metric could not be computed (hint for b)", "", 0, 1},
		{"NaN, optional", configs.Rule{Metric: "n", Min: f(0), Optional: true}, reports.NotEvaluated, "metric could not be computed (hint for n); optional, so it does not block", "", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := reports.Evaluate([]configs.Rule{tt.rule}, values, hint)
			rr := g.Rules[0]
			if rr.Outcome != tt.outcome || rr.Reason != tt.reason || rr.Finding != tt.finding || g.Passed != tt.passed || g.Failed != tt.faild {
				t.Errorf("got %s %q %q (%d/%d),\nwant %s %q %q (%d/%d)", rr.Outcome, rr.Reason, rr.Finding, g.Passed, g.Failed, tt.outcome, tt.reason, tt.finding, tt.passed, tt.faild)
			}
			if want := map[bool]string{true: reports.Block, false: reports.Allow}[tt.faild > 0]; g.Verdict() != want {
				t.Errorf("verdict %s, want %s", g.Verdict(), want)
			}
			if tt.outcome == reports.Pass && (rr.Low != 0.7 || rr.High != 0.9) {
				t.Errorf("interval [%v, %v], want the value's", rr.Low, rr.High)
			}
		})
	}
}
