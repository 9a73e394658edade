package drift

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/internal/golden"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// logRow is a production-log row for drift tests.
type logRow struct {
	ID           string   `parquet:"id"`
	Input        *string  `parquet:"input,optional"`
	Output       *string  `parquet:"output,optional"`
	ModelVersion string   `parquet:"model_version"`
	Region       string   `parquet:"region"`
	LatencyMS    *float64 `parquet:"latency_ms,optional"`
}

func sp(s string) *string { return &s }

func writeRows[T any](t testing.TB, dir, name string, rows []T) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	return path
}

// driftConfig parses a config for drift tests; body follows the required
// dataset and candidate keys.
func driftConfig(t testing.TB, body string) *configs.Config {
	t.Helper()
	cfg, err := configs.Parse("drift.yaml", []byte("dataset: {path: set.parquet}\ncandidate: {provider: replay}\n"+body))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// splitParquet copies the rows of src into two files: the first half of
// the rows into the first, the rest into the second (a production log in
// time order, split at its middle).
func splitParquet(t testing.TB, src, first, second string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var ws []*parquet.Writer
	for _, p := range []string{first, second} {
		o, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		ws = append(ws, parquet.NewWriter(o, pf.Schema()))
	}
	half, n := pf.NumRows()/2, int64(0)
	buf := make([]parquet.Row, 512)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			k, err := rows.ReadRows(buf)
			for _, r := range buf[:k] {
				if _, werr := ws[min(n/half, 1)].WriteRows([]parquet.Row{r}); werr != nil {
					t.Fatal(werr)
				}
				n++
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func feature(t *testing.T, r *Report, name string) FeatureDrift {
	t.Helper()
	for _, f := range r.Features {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no feature %s among %+v (skipped %+v)", name, r.Features, r.Skipped)
	return FeatureDrift{}
}

// TestDriftProdLogs splits the DuckDB production log (100,000 rows in time
// order; model support-bot@2026-09-14 for rows 0–59,999, then
// support-bot@2026-10-20) at its middle and compares the halves: the
// second model version shows as drift, the user mix does not.
func TestDriftProdLogs(t *testing.T) {
	src := filepath.Join("..", "..", "shared", "data", "interop", "prod-logs-duckdb.parquet")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("shared test data not found at %s (it sits beside the repository; see its README.md): %v", src, err)
	}
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first-half.parquet"), filepath.Join(dir, "second-half.parquet")
	splitParquet(t, src, first, second)
	cfg := driftConfig(t, `drift: {categorical: [gender, locale]}
gate:
  - {metric: accuracy, min: 0.5}
  - {metric: drift.model_version.psi, max: 0.2}
  - {metric: drift.gender.psi, max: 0.1}
  - {metric: drift.gender.chi2_pvalue, min: 0.05}
`)
	r, err := CompareFiles(context.Background(), cfg, first, second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Reference.Rows != 50000 || r.Current.Rows != 50000 {
		t.Fatalf("rows %d and %d, want 50000 each", r.Reference.Rows, r.Current.Rows)
	}
	tests := []struct {
		feature string
		psi     float64
		status  string
		stat, p float64 // KS D or chi-square statistic, and its p-value
	}{
		// Model shares (1, 0) then (0.2, 0.8): PSI = 0.8·ln(1.0001/0.2001) + 0.8·ln(0.8001/0.0001);
		// scipy.stats.chi2_contingency([[50000,0],[10000,40000]], correction=False) → 66666.67, p 0.0
		{"model_version", 8.477087876194327, Alert, 66666.66666666667, 0},
		// gender and locale alternate row by row: the same mix in both halves.
		// scipy.stats.chi2_contingency([[25000,25000],[25000,25000]], correction=False) → 0, p 1
		{"gender", 0, OK, 0, 1},
		{"locale", 0, OK, 0, 1},
		// "How do I reset my password, case {i}?" has 35 to 39 characters in
		// the first half, 39 in the second. Bins ≤38 and (38, 39]: shares
		// (0.2, 0.8, 0) then (0, 1, 0):
		// PSI = 0.2·ln(0.2001/0.0001) + 0.2·ln(1.0001/0.8001);
		// scipy.stats.ks_2samp([len(f"How do I reset my password, case {i}?") for i in range(50000)],
		//                      [len(f"How do I reset my password, case {i}?") for i in range(50000, 100000)]) → (0.2, 0.0)
		{"input_length", 1.5649041777420252, Alert, 0.2, 0},
		// Every 10th output is the longer one, in both halves; latency cycles every 50 rows.
		{"output_length", 0, OK, 0, 1},
		{"latency_ms", 0, OK, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.feature, func(t *testing.T) {
			f := feature(t, r, tt.feature)
			if !closeEnough(f.PSI, tt.psi) || f.Status != tt.status {
				t.Errorf("PSI %.17g status %s, want %.17g %s", f.PSI, f.Status, tt.psi, tt.status)
			}
			stat, p := math.NaN(), math.NaN()
			if n := f.Numeric; n != nil {
				stat, p = n.KS.Statistic, n.KS.PValue
			} else {
				stat, p = f.Categorical.ChiSquare.Statistic, f.Categorical.ChiSquare.PValue
			}
			if !closeEnough(stat, tt.stat) || !closeEnough(p, tt.p) {
				t.Errorf("statistic %.17g p %.17g, want %.17g %.17g", stat, p, tt.stat, tt.p)
			}
		})
	}
	if r.Status != Alert || r.Verdict != reports.Block || r.Gate.Passed != 2 || r.Gate.Failed != 1 || r.OtherRules != 1 {
		t.Errorf("status %s verdict %s gate %d passed %d failed, %d other rules; want alert BLOCK 2 1 1", r.Status, r.Verdict, r.Gate.Passed, r.Gate.Failed, r.OtherRules)
	}
	skipped := map[string]string{}
	for _, s := range r.Skipped {
		skipped[s.Name] = s.Reason
	}
	if len(skipped) != 2 || skipped["task"] != "reference: no column task; current: no column task" || skipped["confidence"] == "" {
		t.Errorf("skipped %v, want task and confidence (absent from the log)", skipped)
	}
}

// closeEnough compares pinned values to 1e-9 relative.
func closeEnough(got, want float64) bool {
	return got == want || math.Abs(got-want) <= 1e-9*math.Abs(want)
}

func TestTallyDriftSkipsAndFallbacks(t *testing.T) {
	dir := t.TempDir()
	type resultsRow struct { // a results file: model, not model_version; latency as text
		ID        string  `parquet:"id"`
		Model     string  `parquet:"model"`
		Output    *string `parquet:"output,optional"`
		LatencyMS string  `parquet:"latency_ms"`
	}
	var logs []logRow
	var results []resultsRow
	for i := range 40 {
		lat := float64(100 + i)
		in := strings.Repeat("x", 10+i%7)
		logs = append(logs, logRow{ID: fmt.Sprint(i), Input: &in, Output: sp([]string{"yes", "no"}[i%2]), ModelVersion: "m@1", Region: "eu", LatencyMS: &lat})
		var out *string
		if i%4 != 0 {
			out = sp([]string{"yes", "no", "maybe"}[i%3])
		}
		results = append(results, resultsRow{ID: fmt.Sprint(i), Model: "m@2", Output: out, LatencyMS: "fast"})
	}
	logs[3].LatencyMS = nil
	nan := math.NaN()
	logs[5].LatencyMS = &nan
	ref := writeRows(t, dir, "logs.parquet", logs)
	cur := writeRows(t, dir, "results.parquet", results)
	cfg := driftConfig(t, "scoring: {method: label}\nfairness: {groups: [region]}\n")
	r, err := CompareFiles(context.Background(), cfg, ref, cur)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range r.Features {
		names = append(names, f.Name)
	}
	if want := []string{"output_length", "model_version", "label"}; !slices.Equal(names, want) {
		t.Errorf("compared %v, want %v", names, want)
	}
	mv := feature(t, r, "model_version")
	if mv.ReferenceColumn != "model_version" || mv.CurrentColumn != "model" || mv.Status != Alert {
		t.Errorf("model_version read from %s and %s, status %s", mv.ReferenceColumn, mv.CurrentColumn, mv.Status)
	}
	label := feature(t, r, "label")
	if label.CurrentN != 30 || label.CurrentMissing != 10 || !slices.Equal(label.Categorical.Categories, []string{"no", "yes", "maybe"}) {
		t.Errorf("label: n %d missing %d categories %v", label.CurrentN, label.CurrentMissing, label.Categorical.Categories)
	}
	reasons := map[string]string{}
	for _, s := range r.Skipped {
		reasons[s.Name] = s.Reason
	}
	want := map[string]string{
		"input_length": "current: no column input",
		"latency_ms":   "current: column latency_ms is string, not a number",
		"confidence":   "reference: no column confidence; current: no column confidence",
		"task":         "reference: no column task; current: no column task",
		"region":       "current: no column region",
	}
	for name, reason := range want {
		if reasons[name] != reason {
			t.Errorf("skipped %s: %q, want %q", name, reasons[name], reason)
		}
	}
	if len(reasons) != len(want) {
		t.Errorf("skipped %v", reasons)
	}

	// The reference's latency alone, against itself: one null and one NaN
	// are left out as missing.
	r, err = CompareFiles(context.Background(), nil, ref, ref)
	if err != nil {
		t.Fatal(err)
	}
	if lat := feature(t, r, "latency_ms"); lat.ReferenceN != 38 || lat.ReferenceMissing != 2 || lat.PSI != 0 || lat.Status != OK {
		t.Errorf("latency: n %d missing %d PSI %v status %s", lat.ReferenceN, lat.ReferenceMissing, lat.PSI, lat.Status)
	}
}

func TestTallyDriftTooManyCategories(t *testing.T) {
	dir := t.TempDir()
	rows := make([]logRow, metrics.CategoryLimit+1)
	for i := range rows {
		rows[i] = logRow{ID: fmt.Sprint(i), ModelVersion: "m", Region: fmt.Sprint("r", i)}
	}
	path := writeRows(t, dir, "wide.parquet", rows)
	r, err := CompareFiles(context.Background(), driftConfig(t, "drift: {categorical: [region]}\n"), path, path)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(r.Skipped, func(s SkippedFeature) bool { return s.Name == "region" })
	if i < 0 || !strings.Contains(r.Skipped[i].Reason, "more than 10000 distinct values") {
		t.Errorf("skipped %+v, want region with too many values", r.Skipped)
	}
}

func TestTallyDriftErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeRows(t, dir, "good.parquet", []logRow{{ID: "a", Input: sp("hi"), ModelVersion: "m"}})
	trunc := filepath.Join(dir, "truncated.parquet")
	b, _ := os.ReadFile(good)
	if err := os.WriteFile(trunc, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	badUTF8 := writeRows(t, dir, "bad.parquet", []logRow{{ID: "a", Input: sp("ok"), ModelVersion: "m"}, {ID: "b", Input: sp("no\xff"), ModelVersion: "m"}})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		path    string
		want    error
		mention string
	}{
		{"missing file", context.Background(), filepath.Join(dir, "absent.parquet"), os.ErrNotExist, "absent.parquet"},
		{"truncated", context.Background(), trunc, datasets.ErrCorrupt, "truncated.parquet"},
		{"invalid UTF-8", context.Background(), badUTF8, datasets.ErrInvalidUTF8, `row 1 (0-based), column "input"`},
		{"cancelled", cancelled, good, context.Canceled, "good.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := TallyFile(tt.ctx, tt.path, Features(nil))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %v, want %v mentioning %q", err, tt.want, tt.mention)
			}
		})
	}
}

// gateReport is a report with one numeric and one categorical feature and
// one skipped, for gate tests.
func gateReport() *Report {
	return &Report{
		Features: []FeatureDrift{
			{Name: "input_length", Kind: FeatureNumeric, PSI: 0.15, Status: Warn, Numeric: &metrics.NumericDrift{KS: metrics.KSTest{Statistic: 0.1, PValue: 0.003}}},
			{Name: "model_version", Kind: FeatureCategorical, PSI: 0.4, Status: Alert, Categorical: &metrics.CategoricalDrift{ChiSquare: metrics.ChiSquareTest{Statistic: 12, DOF: 1, PValue: 0.0005}}},
		},
		Skipped: []SkippedFeature{{Name: "task", Kind: FeatureCategorical, Reason: "reference: no column task"}},
	}
}

func TestDriftGate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name    string
		rule    configs.Rule
		outcome string
		reason  string
	}{
		{"largest PSI passes", configs.Rule{Metric: PSIMax, Max: f(0.5)}, reports.Pass, "drift.psi.max = 0.4 is ≤ 0.5"},
		{"largest PSI fails", configs.Rule{Metric: PSIMax, Max: f(0.2)}, reports.Fail, "drift.psi.max = 0.4 is above the maximum 0.2"},
		{"alert count", configs.Rule{Metric: AlertCount, Max: f(0)}, reports.Fail, "drift.alert_count = 1 is above the maximum 0"},
		{"warn count", configs.Rule{Metric: WarnCount, Max: f(1)}, reports.Pass, "drift.warn_count = 1 is ≤ 1"},
		{"feature PSI", configs.Rule{Metric: "drift.input_length.psi", Max: f(0.2)}, reports.Pass, "drift.input_length.psi = 0.15 is ≤ 0.2"},
		{"KS p-value", configs.Rule{Metric: "drift.input_length.ks_pvalue", Min: f(0.01)}, reports.Fail, "drift.input_length.ks_pvalue = 0.003 is below the minimum 0.01: the test rejects at that level, evidence of a difference"},
		{"chi-square p-value", configs.Rule{Metric: "drift.model_version.chi2_pvalue", Min: f(0.0001)}, reports.Pass, "drift.model_version.chi2_pvalue = 0.0005 is ≥ 0.0001"},
		{"test of the other kind", configs.Rule{Metric: "drift.input_length.chi2_pvalue", Min: f(0.01)}, reports.NotEvaluated,
			"metric could not be computed (input_length is a numeric feature, and chi2_pvalue applies to the other kind)"},
		{"skipped feature", configs.Rule{Metric: "drift.task.psi", Max: f(0.1)}, reports.NotEvaluated,
			"metric could not be computed (feature task was skipped: reference: no column task)"},
		{"skipped feature, optional", configs.Rule{Metric: "drift.task.psi", Max: f(0.1), Optional: true}, reports.NotEvaluated,
			"metric could not be computed (feature task was skipped: reference: no column task); optional, so it does not block"},
		{"unknown feature", configs.Rule{Metric: "drift.gender.psi", Max: f(0.1)}, reports.NotEvaluated,
			`metric could not be computed (no feature "gender"; compared: input_length, model_version)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gateReport()
			applyGate(r, []configs.Rule{tt.rule})
			rr := r.Gate.Rules[0]
			if rr.Outcome != tt.outcome || rr.Reason != tt.reason {
				t.Errorf("outcome %s reason %q, want %s %q", rr.Outcome, rr.Reason, tt.outcome, tt.reason)
			}
			wantVerdict := reports.Allow
			if rr.Outcome == reports.Fail || (rr.Outcome == reports.NotEvaluated && !rr.Optional) {
				wantVerdict = reports.Block
			}
			if r.Verdict != wantVerdict {
				t.Errorf("verdict %s, want %s", r.Verdict, wantVerdict)
			}
		})
	}
	empty := &Report{}
	applyGate(empty, nil)
	if empty.Verdict != reports.Allow || len(empty.Gate.Rules) != 0 {
		t.Errorf("no rules: verdict %s", empty.Verdict)
	}
}

func TestCheckDriftRules(t *testing.T) {
	tests := []struct {
		name, gate, want string
	}{
		{"valid paths", "  - {metric: drift.psi.max, max: 0.2}\n  - {metric: drift.alert_count, max: 0}\n  - {metric: drift.a.b.ks_pvalue, min: 0.01}\n  - {metric: accuracy, min: 0.5}\n", ""},
		{"unknown statistic", "  - {metric: drift.input_length.p, max: 0.2}\n", `gate rule 1: unknown drift metric "drift.input_length.p"`},
		{"no feature", "  - {metric: drift.psi, max: 0.2}\n", `gate rule 1: unknown drift metric "drift.psi"`},
		{"psi max misspelt", "  - {metric: accuracy, min: 0.5}\n  - {metric: drift.psi.maximum, max: 0.2}\n", `gate rule 2: unknown drift metric "drift.psi.maximum"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := reports.CheckDriftRules(driftConfig(t, "gate:\n"+tt.gate))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// goldenDriftReport compares two small logs that differ in every way a
// feature can: a shifted length, a new model version, a category only in
// the current file. Paths and times are fixed so that the report's bytes
// are.
func goldenDriftReport(t *testing.T) *Report {
	t.Helper()
	dir := t.TempDir()
	var ref, cur []logRow
	for i := range 60 {
		lat := float64(100 + i%20)
		ref = append(ref, logRow{ID: fmt.Sprint(i), Input: sp(strings.Repeat("a", 20+i%10)), Output: sp("ok"), ModelVersion: "bot@1", Region: []string{"eu", "us"}[i%2], LatencyMS: &lat})
		lat2 := float64(105 + i%20)
		cur = append(cur, logRow{ID: fmt.Sprint(i), Input: sp(strings.Repeat("a", 22+i%10)), Output: sp("ok"), ModelVersion: []string{"bot@1", "bot@2"}[min(i/40, 1)], Region: []string{"eu", "us", "apac"}[i%3], LatencyMS: &lat2})
	}
	cfg := driftConfig(t, "drift: {categorical: [region], bins: 5}\ngate:\n  - {metric: drift.psi.max, max: 1, description: no feature far off}\n  - {metric: drift.region.psi, max: 0.1}\n")
	r, err := CompareFiles(context.Background(), cfg, writeRows(t, dir, "ref.parquet", ref), writeRows(t, dir, "cur.parquet", cur))
	if err != nil {
		t.Fatal(err)
	}
	// The files' bytes depend on parquet-go's version; their identity is
	// fixed here so that the golden files do not.
	r.Reference = File{Path: "logs/week-1.parquet", SHA256: strings.Repeat("1a", 32), Size: 4100, Rows: r.Reference.Rows}
	r.Current = File{Path: "logs/week-2.parquet", SHA256: strings.Repeat("2b", 32), Size: 4300, Rows: r.Current.Rows}
	at := time.Date(2026, 10, 5, 6, 30, 0, 0, time.UTC)
	r.Timing = reports.Timing{StartedAt: at, FinishedAt: at.Add(1500 * time.Millisecond), Seconds: 1.5}
	return r
}

func TestDriftGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, goldenDriftReport(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "drift.json", b.Bytes())
}

func TestDriftJSONRoundTrip(t *testing.T) {
	r := goldenDriftReport(t)
	var a, b bytes.Buffer
	if err := WriteJSON(&a, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&b, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("drift.json changes when read and written again")
	}
	if _, err := ReadJSON(strings.NewReader(`{"schema_version":"0"}`)); err == nil {
		t.Error("read a drift report of another schema version")
	}
	// The same files give the same bytes, the timing aside (and the paths,
	// fixed by goldenDriftReport).
	again := goldenDriftReport(t)
	var c bytes.Buffer
	if err := WriteJSON(&c, again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("two comparisons of the same files differ")
	}
}

func TestSignDrift(t *testing.T) {
	r := goldenDriftReport(t)
	for _, typ := range signing.KeyTypes() {
		t.Run(typ, func(t *testing.T) {
			s, v, _ := testSigner(t, typ)
			env, err := Sign(s, r)
			if err != nil {
				t.Fatal(err)
			}
			st, err := Verify(v, env)
			if err != nil {
				t.Fatal(err)
			}
			// The golden report BLOCKs: its region rule fails.
			if st.PredicateType != PredicateType || st.Drift.VerificationResult != signing.Failed || st.Drift.Report.Verdict != reports.Block {
				t.Errorf("statement %s, result %s, verdict %s", st.PredicateType, st.Drift.VerificationResult, st.Drift.Report.Verdict)
			}
			names := []string{}
			for _, sub := range st.Subject {
				names = append(names, sub.Name)
			}
			if want := []string{"week-1.parquet", "week-2.parquet", "drift.yaml"}; !slices.Equal(names, want) {
				t.Errorf("subjects %v, want %v", names, want)
			}
			if st.Drift.TimeVerified != "2026-10-05T06:30:01Z" {
				t.Errorf("timeVerified %s", st.Drift.TimeVerified)
			}
			// The evaluation-report verifier refuses it by predicate type,
			// and the drift verifier refuses an evaluation report.
			if _, err := reports.VerifyReport(v, env); !errors.Is(err, signing.ErrEnvelope) || !strings.Contains(err.Error(), PredicateType) {
				t.Errorf("VerifyReport on a drift envelope: %v", err)
			}
			rep, err := reports.SignReport(s, &reports.Report{SchemaVersion: reports.SchemaVersion, Verdict: reports.Allow}, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(v, rep); !errors.Is(err, signing.ErrEnvelope) || !strings.Contains(err.Error(), reports.PredicateType) {
				t.Errorf("Verify on a report envelope: %v", err)
			}
			tampered := bytes.Replace(env, []byte(`"payload": "`), []byte(`"payload": "e`), 1)
			if _, err := Verify(v, tampered); err == nil {
				t.Error("a changed payload verified")
			}
			_, other, _ := testSigner(t, typ)
			if _, err := Verify(other, env); !errors.Is(err, signing.ErrSignature) {
				t.Errorf("another key: %v, want ErrSignature", err)
			}
		})
	}
}

func TestDriftSubjectsSameName(t *testing.T) {
	r := &Report{Reference: File{Path: "a/logs.parquet", SHA256: "aa"}, Current: File{Path: "b/logs.parquet", SHA256: "bb"}}
	got := Subjects(r)
	if len(got) != 2 || got[0].Name != "reference:logs.parquet" || got[1].Name != "current:logs.parquet" {
		t.Errorf("subjects %+v", got)
	}
}

// testSigner makes a key pair of typ.
func testSigner(t testing.TB, typ string) (*signing.Signer, *signing.Verifier, []byte) {
	t.Helper()
	priv, pub, err := signing.GenerateKey(typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return s, v, pub
}

// The drift package reads exactly the catalog's drift metrics: one reader
// per declared path, and every value of a report under a declared path.
func TestReadersMatchCatalog(t *testing.T) {
	declared := map[string]bool{}
	for _, m := range reports.Catalog() {
		if m.Document == reports.DocDrift {
			declared[m.Path] = true
			if readers[m.Path] == nil {
				t.Errorf("catalog path %s has no reader", m.Path)
			}
		}
	}
	for path := range readers {
		if !declared[path] {
			t.Errorf("reader for %s, which the catalog does not declare", path)
		}
	}
	values := Values(gateReport())
	if len(values) != 3+2*3 { // three whole-report paths; per feature its psi and two test values
		t.Errorf("%d values: %v", len(values), values)
	}
	for path := range values {
		if m, ok := reports.Lookup(path); !ok || m.Document != reports.DocDrift {
			t.Errorf("value %s is not a catalogued drift path", path)
		}
	}
}
