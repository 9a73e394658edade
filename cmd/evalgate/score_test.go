package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/records"
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
	// Streaming gives the whole metrics section and gate that the run
	// built from slices.
	for _, part := range []struct {
		name          string
		before, after any
	}{
		{"metrics", before.Metrics, after.Metrics},
		{"gate", before.Gate, after.Gate},
		{"candidate accuracy", before.Candidate.Accuracy, after.Candidate.Accuracy},
		{"candidate latency", before.Candidate.Latency, after.Candidate.Latency},
		{"production error rate", before.Production.ErrorRate, after.Production.ErrorRate},
	} {
		b, _ := json.Marshal(part.before)
		a, _ := json.Marshal(part.after)
		if !bytes.Equal(a, b) {
			t.Errorf("re-scored %s:\ngot  %s\nwant %s", part.name, a, b)
		}
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

// TestScoreOrder checks the join of results with the eval set's
// references: results in the set's order are merge-joined; results in
// another order give the same counts, with a note that the references
// were held in memory; a result whose id is not in the set is bad input.
// It also checks the pairing with the baseline: results in the
// baseline's order are paired as they stream; in another order, they are
// paired in memory, with a note; the regression is the same.
func TestScoreOrder(t *testing.T) {
	out := quickstartRun(t)
	results, meta, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, rs []records.Result) string {
		path := filepath.Join(t.TempDir(), name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := datasets.WriteResults(f, rs, []string{"channel", "customer_tier", "region"}, []string{"exact", "normalized", "contains", "f1"}, meta); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}
	// Odd positions, then even ones: one rewind, still a merge join.
	var twoPass []records.Result
	for start := 1; start >= 0; start-- {
		for i := start; i < len(results); i += 2 {
			twoPass = append(twoPass, results[i])
		}
	}
	reversed := slices.Clone(results)
	slices.Reverse(reversed)
	unknown := slices.Clone(results)
	unknown[7].ID = "no-such-item"
	cfg := filepath.Join("..", "..", "configs", "quickstart.yaml")
	want := readReport(t, out)
	for _, tc := range []struct {
		name     string
		results  []records.Result
		code     int
		note     bool // the references were held in memory
		pairNote bool // the results were paired in memory
		inStderr string
	}{
		{name: "same order", results: results, code: exitOK},
		{name: "two passes", results: twoPass, code: exitOK, pairNote: true},
		{name: "reversed", results: reversed, code: exitOK, note: true, pairNote: true, inStderr: "held in memory"},
		{name: "unknown id", results: unknown, code: exitUsage, inStderr: `result "no-such-item": no item of the eval set has this id`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res := runCLI(t, context.Background(), nil, "score", "-c", cfg, "--results", write("results.parquet", tc.results),
				"--baseline", filepath.Join(out, "production-results.parquet"), "--out", dir)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", res.code, tc.code, res.stdout, res.stderr)
			}
			if got := strings.Contains(res.stderr, "reference answers were held in memory"); got != tc.note {
				t.Errorf("note in stderr: got %v, want %v: %q", got, tc.note, res.stderr)
			}
			if got := strings.Contains(res.stderr, "results were held in memory to pair them"); got != tc.pairNote {
				t.Errorf("pairing note in stderr: got %v, want %v: %q", got, tc.pairNote, res.stderr)
			}
			if !strings.Contains(res.stderr, tc.inStderr) {
				t.Errorf("stderr %q lacks %q", res.stderr, tc.inStderr)
			}
			if tc.code != exitOK {
				return
			}
			got := readReport(t, dir)
			if got.Metrics.Accuracy.Overall != want.Metrics.Accuracy.Overall || got.Metrics.Regression.Counts != want.Metrics.Regression.Counts {
				t.Errorf("accuracy %v, pairs %v, want %v, %v", got.Metrics.Accuracy.Overall, got.Metrics.Regression.Counts, want.Metrics.Accuracy.Overall, want.Metrics.Regression.Counts)
			}
			g, _ := json.Marshal(got.Metrics.Fairness)
			w, _ := json.Marshal(want.Metrics.Fairness)
			if !bytes.Equal(g, w) {
				t.Errorf("fairness:\ngot  %s\nwant %s", g, w)
			}
			g, _ = json.Marshal(got.Metrics.Regression)
			w, _ = json.Marshal(want.Metrics.Regression)
			if !bytes.Equal(g, w) {
				t.Errorf("regression:\ngot  %s\nwant %s", g, w)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	out := quickstartRun(t)
	res := runCLI(t, context.Background(), nil, "compare", "--baseline", filepath.Join(out, "production-results.parquet"), "--candidate", filepath.Join(out, "results.parquet"))
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{"delta      +0.182", "McNemar    p = 4.518e-15 on 95 discordant pairs (11 right→wrong, 84 wrong→right)", "channel=social", "right → wrong (11): sqa-061"} {
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

// TestScoreRepeatsAndBaseline checks that score gives the run's repeat
// statistics and regression for results with 3 samples per item, whether
// the baseline is paired as it streams (same order) or in memory (the
// candidate's results reversed), and without a baseline. (The mean F1 is
// summed in file order, so reversed results may change its last digit.)
func TestScoreRepeatsAndBaseline(t *testing.T) {
	set, _ := filepath.Abs(filepath.Join("..", "..", "datasets", "examples", "support-qa.parquet"))
	out := t.TempDir()
	cfg := writeConfig(t, `dataset: {path: `+set+`}
candidate: {provider: "builtin:extractive-v2"}
production: {provider: "builtin:extractive-v1"}
prompt:
  template: |
    Context:
    {{range .Context}}- {{.}}
    {{end}}
    Question: {{.Input}}
run: {concurrency: 8, repeats: 3, out: `+out+`}
scoring: {method: contains}
fairness: {groups: [channel, region], min_group_size: 30}
gate:
  - {metric: accuracy, min: 0.5}
`)
	if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet"); res.code != exitOK {
		t.Fatalf("run: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
	want := readReport(t, out)
	if want.Metrics.Repeats == nil || want.Metrics.Regression == nil {
		t.Fatal("the run's report lacks repeats or regression")
	}
	results, meta, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	shuffled := slices.Clone(results)
	slices.Reverse(shuffled)
	path := filepath.Join(t.TempDir(), "shuffled.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := datasets.WriteResults(f, shuffled, []string{"channel", "customer_tier", "region"}, []string{"exact", "normalized", "contains", "f1"}, meta); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		name, results string
		baseline      bool
		pairNote      bool
	}{
		{"no baseline", filepath.Join(out, "results.parquet"), false, false},
		{"baseline streamed", filepath.Join(out, "results.parquet"), true, false},
		{"baseline paired in memory", path, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"score", "-c", cfg, "--results", tc.results, "--out", dir}
			if tc.baseline {
				args = append(args, "--baseline", filepath.Join(out, "production-results.parquet"))
			}
			res := runCLI(t, context.Background(), nil, args...)
			if res.code != exitOK {
				t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			if got := strings.Contains(res.stderr, "to pair them"); got != tc.pairNote {
				t.Errorf("pairing note: got %v, want %v: %q", got, tc.pairNote, res.stderr)
			}
			got := readReport(t, dir)
			parts := []struct {
				name          string
				before, after any
			}{{"repeats", want.Metrics.Repeats, got.Metrics.Repeats}, {"accuracy", want.Metrics.Accuracy.Overall, got.Metrics.Accuracy.Overall}}
			if tc.baseline {
				parts = append(parts, struct {
					name          string
					before, after any
				}{"regression", want.Metrics.Regression, got.Metrics.Regression})
			}
			for _, part := range parts {
				b, _ := json.Marshal(part.before)
				a, _ := json.Marshal(part.after)
				if !bytes.Equal(a, b) {
					t.Errorf("%s:\ngot  %s\nwant %s", part.name, a, b)
				}
			}
		})
	}
}

// secondPassIntegrity is how evalgate score ran the integrity checks
// before they moved into the scoring: a second pass that reads the eval
// set row by row beside the results file, in step when both follow the
// set's order, and holding the results by id otherwise. The in-pipeline
// checks must give exactly what it gives.
func secondPassIntegrity(t *testing.T, cfgPath, resultsPath string) *integrity.Summary {
	t.Helper()
	cfg, err := pipeline.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := pipeline.IntegrityOptions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts.Judge = false
	checker := integrity.NewChecker(opts)
	inOrder, err := secondPassInOrder(cfg, resultsPath, checker)
	if err != nil {
		t.Fatal(err)
	}
	if !inOrder {
		checker = integrity.NewChecker(opts)
		if err := checkByID(cfg, resultsPath, checker); err != nil {
			t.Fatal(err)
		}
	}
	res := checker.Result()
	return &res
}

// secondPassInOrder checks results against items read in step; it
// reports false, having checked nothing it can keep, when a result's item
// is not ahead in the eval set.
func secondPassInOrder(cfg *configs.Config, resultsPath string, checker *integrity.Checker) (bool, error) {
	items, err := datasets.Open(cfg.DatasetPath())
	if err != nil {
		return false, err
	}
	defer items.Close()
	results, err := datasets.OpenResults(resultsPath)
	if err != nil {
		return false, err
	}
	defer results.Close()
	var cur records.Item
	var batch []records.Result
	have := false
	for results.Scan() {
		r := results.Result()
		if have && r.ID == cur.ID {
			batch = append(batch, r)
			continue
		}
		if have {
			checker.Add(&cur, batch, nil)
			batch, have = batch[:0], false
		}
		for items.Scan() {
			it := items.Item()
			if it.ID == r.ID {
				cur, have = it, true
				break
			}
			checker.Add(&it, nil, nil)
		}
		if err := items.Err(); err != nil {
			return false, err
		}
		if !have {
			return false, nil
		}
		batch = append(batch, r)
	}
	if err := results.Err(); err != nil {
		return false, err
	}
	if have {
		checker.Add(&cur, batch, nil)
	}
	for items.Scan() {
		it := items.Item()
		checker.Add(&it, nil, nil)
	}
	return true, items.Err()
}

// integrityJSON decodes the integrity parts of a report (report.json's
// metrics.groundedness, metrics.boundaries, metrics.pii and review) for
// comparison.
func integrityJSON(t *testing.T, b []byte) any {
	t.Helper()
	var rep struct {
		Metrics struct {
			Groundedness, Boundaries, PII json.RawMessage
		}
		Review json.RawMessage
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	var v any
	parts, _ := json.Marshal(map[string]json.RawMessage{"groundedness": rep.Metrics.Groundedness, "boundaries": rep.Metrics.Boundaries,
		"pii": rep.Metrics.PII, "review": rep.Review})
	if err := json.Unmarshal(parts, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkScoreIntegrity runs evalgate score on results with cfg and fails
// unless the integrity parts of its report are those the second pass
// gives, field for field. It returns score's stderr.
func checkScoreIntegrity(t *testing.T, cfg, results string, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	res := runCLI(t, context.Background(), nil, append([]string{"score", "-c", cfg, "--results", results, "--out", dir}, extra...)...)
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("score: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := integrityJSON(t, b)
	ref := secondPassIntegrity(t, cfg, results)
	want, _ := json.Marshal(map[string]any{"metrics": map[string]any{"groundedness": ref.Groundedness, "boundaries": ref.Boundaries, "pii": ref.PII}, "review": ref.Review})
	if w := integrityJSON(t, want); !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		wj, _ := json.Marshal(w)
		t.Errorf("integrity:\ngot  %s\nwant %s", g, wj)
	}
	if testing.Verbose() {
		t.Logf("%d answers grounded, %d rule breaks, %d PII values, %d routed", groundedN(ref), boundaryN(ref), piiN(ref), ref.Review.Routed)
	}
	return res.stderr
}

// TestScoreIntegrityInPipeline checks that the integrity checks that
// evalgate score runs inside its scoring give the report the second pass
// gave: on the quickstart's results (redacted), and on a generated set
// with contexts, 3 samples per item (some straddling chunks), failed
// calls, items without results at the start, middle and end, rule breaks,
// PII, and low confidence; in run's order, sparse, and in orders that
// fall back to the second pass.
func TestScoreIntegrityInPipeline(t *testing.T) {
	out := quickstartRun(t)
	t.Run("quickstart", func(t *testing.T) {
		checkScoreIntegrity(t, quickstartConfig, filepath.Join(out, "results.parquet"))
	})
	t.Run("quickstart with baseline", func(t *testing.T) {
		checkScoreIntegrity(t, quickstartConfig, filepath.Join(out, "results.parquet"), "--baseline", filepath.Join(out, "production-results.parquet"))
	})

	dir := t.TempDir()
	setPath := filepath.Join(dir, "set.parquet")
	const n = 7000
	items := make([]records.Item, n)
	for i := range items {
		it := records.Item{ID: fmt.Sprintf("g-%05d", i), Input: fmt.Sprintf("What is the refund window for order %d?", i),
			Expected: []string{"30 days", "14 days", "store credit"}[i%3], Task: []string{"billing", "returns", ""}[i%3],
			Extra: map[string]string{"region": []string{"eu", "us", ""}[i%3], "note": "n"}}
		if i%7 == 0 {
			it.Input += fmt.Sprintf(" Mail me at user%d@example.com or call 555-867-%04d.", i, i%10000)
		}
		if i%5 == 0 {
			it.System = "Answer briefly. Escalations: 415-555-0199."
		}
		switch i % 4 {
		case 1:
			it.Context = []string{"Refunds are accepted within 30 days of delivery.", fmt.Sprintf("Order %d shipped to 10.0.0.%d.", i, i%250)}
		case 2:
			it.Context = []string{"Store credit is offered when the refund window has passed."}
		case 3:
			it.Context = []string{}
		}
		if i%6 == 0 {
			it.MustNotContain = []string{"guarantee", "lawsuit"}
		}
		items[i] = it
	}
	var buf bytes.Buffer
	if err := datasets.WriteItems(&buf, items, []string{"note", "region"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(setPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := []string{
		"Refunds are accepted within 30 days of delivery.",
		"Refunds are accepted within 90 days, and we guarantee it.",
		"Store credit is offered. Write to help@example.com.",
		"I think it is 14 days, but the moon is made of cheese and orders ship from Mars on Tuesdays, so please call 415-555-0123 for details.",
		"Sorry, I do not know.",
	}
	var runOrder []records.Result
	for i := 5; i < n-300; i++ {
		if i%11 == 0 || i >= 3000 && i < 3100 {
			continue // no results for this item
		}
		for s := range 3 {
			r := records.Result{ID: items[i].ID, Sample: s, Output: outputs[(i+s)%len(outputs)], Groups: map[string]string{"region": items[i].Extra["region"]}}
			switch {
			case (i+s)%13 == 0:
				r.Output, r.Error, r.ErrorKind = "", "http 500", "http_500"
			case (i+s)%3 == 0:
				r.Confidence = 0.1 + float64((i+s)%9)/10
			}
			runOrder = append(runOrder, r)
		}
	}
	write := func(name string, rs []records.Result) string {
		path := filepath.Join(dir, name)
		var buf bytes.Buffer
		if err := datasets.WriteResults(&buf, rs, []string{"region"}, []string{"contains"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var sparse []records.Result // items without results in runs longer than a check batch
	for _, r := range runOrder {
		if r.ID < "g-00500" || r.ID > "g-04000" && r.ID < "g-04100" {
			sparse = append(sparse, r)
		}
	}
	sampleMajor := slices.Clone(runOrder)
	slices.SortStableFunc(sampleMajor, func(a, b records.Result) int { return a.Sample - b.Sample })
	reversed := slices.Clone(runOrder)
	slices.Reverse(reversed)
	config := func(extra string) string {
		return writeConfig(t, `dataset: {path: `+setPath+`}
candidate: {provider: "builtin:extractive-v2", logprobs: true}
run: {repeats: 3}
scoring: {method: contains}
fairness: {groups: [region], min_group_size: 30}
groundedness: {method: lexical}
boundaries: {must_not_contain: true, max_chars: 120}
review: {confidence_below: 0.5}
`+extra)
	}
	plain, redacted := config("pii: {detect: true}\n"), config("pii: {redact: true}\n")
	for _, tc := range []struct {
		name      string
		results   []records.Result
		cfg       string
		fallsBack bool
	}{
		{"run order", runOrder, plain, false},
		{"run order, redacted", runOrder, redacted, false},
		{"sparse", sparse, plain, false},
		{"no results", runOrder[:0], plain, false},
		{"sample by sample", sampleMajor, plain, true},
		{"reversed", reversed, redacted, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stderr := checkScoreIntegrity(t, tc.cfg, write(strings.ReplaceAll(tc.name, " ", "-")+".parquet", tc.results), "--no-gate")
			if got := strings.Contains(stderr, "integrity checks read both again"); got != tc.fallsBack {
				t.Errorf("out-of-order note: got %v, want %v: %q", got, tc.fallsBack, stderr)
			}
		})
	}
}

func groundedN(ig *integrity.Summary) int {
	if ig.Groundedness == nil {
		return 0
	}
	return ig.Groundedness.Rate.N
}

func boundaryN(ig *integrity.Summary) int {
	if ig.Boundaries == nil {
		return 0
	}
	return ig.Boundaries.Violations
}

func piiN(ig *integrity.Summary) int {
	if ig.PII == nil {
		return 0
	}
	return ig.PII.Total
}

// checkByID holds the results by id, then checks the items in the eval
// set's order.
func checkByID(cfg *configs.Config, resultsPath string, checker *integrity.Checker) error {
	all, _, err := datasets.ReadResults(resultsPath)
	if err != nil {
		return err
	}
	byID := map[string][]records.Result{}
	for _, r := range all {
		byID[r.ID] = append(byID[r.ID], r)
	}
	items, err := datasets.Open(cfg.DatasetPath())
	if err != nil {
		return err
	}
	defer items.Close()
	for items.Scan() {
		it := items.Item()
		checker.Add(&it, byID[it.ID], nil)
	}
	return items.Err()
}

// TestScoreNeverOverwritesItsInput gives score an --out whose report.json
// is the results file it reads (a hard link): it refuses, exit 2, and the
// results are left as they were.
func TestScoreNeverOverwritesItsInput(t *testing.T) {
	out := quickstartRun(t)
	results := filepath.Join(out, "results.parquet")
	before, _ := os.ReadFile(results)
	dir := t.TempDir()
	if err := os.Link(results, filepath.Join(dir, "report.json")); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	res := runCLI(t, context.Background(), nil, "score", "-c", filepath.Join("..", "..", "configs", "quickstart.yaml"), "--results", results, "--out", dir)
	if res.code != exitUsage || !strings.Contains(res.stderr, "an input of this score") {
		t.Errorf("exit %d, want 2 naming the input\n%s", res.code, res.stderr)
	}
	if after, _ := os.ReadFile(results); !bytes.Equal(before, after) {
		t.Error("the results file was changed")
	}
}
