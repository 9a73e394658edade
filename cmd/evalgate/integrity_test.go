package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

var quickstartConfig = filepath.Join("..", "..", "configs", "quickstart.yaml")

// TestQuickstartIntegrity checks that the quickstart's report carries the
// boundary, review and PII sections, and that with pii.redact no PII value
// found in the eval set or the outputs survives in any file the run wrote:
// results, journals, cache, review file and reports.
func TestQuickstartIntegrity(t *testing.T) {
	out, cache := t.TempDir(), t.TempDir()
	res := runCLI(t, context.Background(), map[string]string{"XDG_CACHE_HOME": cache}, "run", "-c", quickstartConfig, "--out", out, "--quiet")
	if res.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	m := rep.Metrics
	if m.PII == nil || m.PII.Total == 0 || !rep.Redacted {
		t.Fatalf("pii %+v, redacted %v: want PII counted and redacted", m.PII, rep.Redacted)
	}
	for _, l := range m.PII.Locations {
		if l.Total == 0 {
			t.Errorf("no PII counted at %s; the example set has some in prompts, contexts and outputs", l.Location)
		}
	}
	if m.Boundaries == nil || m.Boundaries.Violations == 0 || len(m.Boundaries.Items) != m.Boundaries.ViolatingItems {
		t.Errorf("boundaries %+v: want the quickstart's rule broken and every violating item listed", m.Boundaries)
	}
	if m.Groundedness == nil || m.Groundedness.Rate.N != int(rep.Dataset.Rows) {
		t.Errorf("groundedness %+v: want every answer checked", m.Groundedness)
	}
	if rep.Review == nil || rep.Review.Routed == 0 {
		t.Fatalf("review %+v: want answers routed", rep.Review)
	}
	reasons := map[string]bool{}
	for _, rc := range rep.Review.ByReason {
		reasons[strings.SplitN(rc.Reason, ":", 2)[0]] = true
	}
	if !reasons[integrity.ReviewLowConfidence] || !reasons["boundary"] {
		t.Errorf("review reasons %+v: want low confidence and boundary", rep.Review.ByReason)
	}
	rows := readReview(t, filepath.Join(out, "review.parquet"))
	if len(rows) != rep.Review.Routed {
		t.Errorf("review.parquet has %d rows, the report routes %d", len(rows), rep.Review.Routed)
	}

	// Every PII value of the eval set and of the unredacted outputs.
	values := piiValues(t)
	if len(values) < 10 {
		t.Fatalf("found only %d PII values in the example set", len(values))
	}
	check := func(where, s string) {
		for _, v := range values {
			if strings.Contains(s, v) {
				t.Errorf("%s holds %q", where, v)
			}
		}
	}
	// The response cache is not checked: it keeps answers as the endpoint
	// sent them and is redacted when read, so that a redacted run never
	// changes what a later unredacted run scores.
	for _, dir := range []string{out} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(path) {
			case ".parquet":
				// Compressed: decode and check every string.
				if filepath.Base(path) == "review.parquet" {
					for _, r := range readReview(t, path) {
						check(path, strings.Join([]string{r.Input, r.Expected, r.Output, r.Evidence}, "\n"))
					}
					return nil
				}
				results, _, err := datasets.ReadResults(path)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range results {
					check(path, r.Output+"\n"+r.Expected+"\n"+r.Error)
				}
			default:
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				check(path, string(b))
			}
			return nil
		})
	}
	check("stdout", res.stdout)
	check("stderr", res.stderr)
}

// piiValues returns the PII values in the example set's inputs and
// contexts, and in what the builtin candidate says when not redacted.
func piiValues(t *testing.T) []string {
	t.Helper()
	out := t.TempDir()
	cfg := writeConfig(t, `dataset: {path: `+filepath.Join(mustAbs(t, exampleSet))+`}
candidate: {provider: "builtin:extractive-v2"}
prompt:
  template: |
    Context:
    {{range .Context}}- {{.}}
    {{end}}
    Question: {{.Input}}
run: {cache: "off"}
`)
	if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet", "--no-gate"); res.code != exitOK {
		t.Fatalf("unredacted run: exit %d\n%s", res.code, res.stderr)
	}
	results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	add := func(s string) {
		for _, m := range integrity.FindPII(s) {
			seen[s[m.Start:m.End]] = true
		}
	}
	for _, r := range results {
		add(r.Output)
	}
	r, err := datasets.Open(exampleSet)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Scan() {
		it := r.Item()
		add(it.Input)
		for _, c := range it.Context {
			add(c)
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for v := range seen {
			if !yield(v) {
				return
			}
		}
	})
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func readReview(t *testing.T, path string) []records.ReviewRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rows, err := datasets.ReadReview(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

var claimCountRE = regexp.MustCompile(`Claims \((\d+)\):`)

// judgeServer is an OpenAI-compatible judge: it finds claims holding a
// dollar amount unsupported, answers prose instead of JSON for questions
// whose context mentions "warranty", and wraps its other verdicts in a
// code fence with a preamble, as chat models do.
// judgedConfig is a config whose groundedness judge is judgeServer's
// srvURL, over the eval set at set, with the run settings run (a flow
// mapping's inside, or empty) and a gate on the judge's errors.
func judgedConfig(set, srvURL, run string) string {
	cfg := fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: "builtin:extractive-v2"}
prompt:
  template: |
    Context:
    {{range .Context}}- {{.}}
    {{end}}
    Question: {{.Input}}
groundedness:
  method: judge
  judge: {provider: openai, model: judge-1, version: judge-1-2026, base_url: %s/v1, api_key_env: none}
`, set, srvURL)
	if run != "" {
		cfg += "run: {" + run + "}\n"
	}
	return cfg + `gate:
  - {metric: groundedness.judge_errors, max: 0}
`
}

func judgeServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 2 || req.Messages[0].Role != "system" {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		user := req.Messages[1].Content
		m := claimCountRE.FindStringSubmatch(user)
		n, _ := strconv.Atoi(m[1])
		_, claimsText, _ := strings.Cut(user, m[0])
		lines := strings.Split(strings.TrimSpace(claimsText), "\n")
		var reply string
		if strings.Contains(strings.ToLower(user), "warranty") {
			reply = "The claims look fine to me."
		} else {
			var vs []string
			for i := range n {
				supported := !strings.Contains(lines[i], "$")
				vs = append(vs, fmt.Sprintf(`{"claim":%d,"supported":%v,"reason":"checked"}`, i+1, supported))
			}
			reply = "Here are the verdicts:\n```json\n{\"verdicts\":[" + strings.Join(vs, ",") + "]}\n```"
		}
		body, _ := json.Marshal(reply)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"j","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70}}`, req.Model, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

// TestJudge runs groundedness with an LLM judge on an httptest server: the
// claims and verdicts reach the report, an unparseable reply is a judge
// error (never "supported"), and a second run is answered from the cache.
func TestJudge(t *testing.T) {
	srv, count := judgeServer(t)
	cfg := writeConfig(t, judgedConfig(mustAbs(t, exampleSet), srv.URL, ""))
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	out := t.TempDir()
	res := runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitBlock {
		t.Fatalf("exit %d, want 1 (judge errors break the gate)\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	// What the judge must have said, worked out from the outputs.
	results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	contexts := map[string]string{}
	r, _ := datasets.Open(exampleSet)
	for r.Scan() {
		it := r.Item()
		contexts[it.ID] = strings.ToLower(strings.Join(it.Context, "\n"))
	}
	r.Close()
	var calls, judgeErrors, hallucinated int
	for _, res := range results {
		claims := integrity.SplitClaims(res.Output)
		if len(claims) == 0 {
			continue
		}
		calls++
		switch {
		case strings.Contains(contexts[res.ID], "warranty") || strings.Contains(strings.ToLower(res.Output), "warranty"):
			judgeErrors++
		case slices.ContainsFunc(claims, func(c string) bool { return strings.Contains(c, "$") }):
			hallucinated++
		}
	}
	j := rep.Judge
	if j == nil || j.Model != "judge-1" || j.Version != "judge-1-2026" || j.Calls != calls || j.Errors != judgeErrors {
		t.Fatalf("judge %+v, want model judge-1 version judge-1-2026, %d calls, %d errors", j, calls, judgeErrors)
	}
	if int(count.Load()) != calls {
		t.Errorf("the judge server got %d requests, want %d", count.Load(), calls)
	}
	g := rep.Metrics.Groundedness
	if g == nil || g.Method != integrity.GroundJudge || g.Errors != judgeErrors || len(g.Hallucinated) != hallucinated || hallucinated == 0 || judgeErrors == 0 {
		t.Fatalf("groundedness %+v: want method judge, %d errors, %d hallucinated (both > 0)", g, judgeErrors, hallucinated)
	}
	for _, h := range g.Hallucinated {
		if len(h.Unsupported) == 0 || !strings.Contains(h.Unsupported[0].Text, "$") || h.Unsupported[0].Reason != "checked" {
			t.Errorf("%s: unsupported claims %+v, want the dollar claim with the judge's reason", h.ID, h.Unsupported)
		}
	}
	routed := map[string]int{}
	for _, rc := range rep.Review.ByReason {
		routed[rc.Reason] = rc.Count
	}
	if routed[integrity.ReviewJudgeError] != judgeErrors || routed[integrity.ReviewHallucinated] != hallucinated {
		t.Errorf("review reasons %v, want %d judge errors and %d hallucinated", routed, judgeErrors, hallucinated)
	}
	if _, err := os.Stat(filepath.Join(out, "journal-judge.jsonl")); err != nil {
		t.Errorf("no judge journal: %v", err)
	}

	// A second run in a fresh directory: the candidate and the judge are
	// answered from the cache.
	before := count.Load()
	out2 := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", out2, "--quiet"); res.code != exitBlock {
		t.Fatalf("second run: exit %d\n%s", res.code, res.stderr)
	}
	if count.Load() != before {
		t.Errorf("the second run made %d judge calls, want 0", count.Load()-before)
	}
	if j2 := readReport(t, out2).Judge; j2 == nil || j2.Cached != j.Calls {
		t.Errorf("second run judge %+v, want all %d calls cached", j2, j.Calls)
	}
	_ = reports.Allow
}

// TestProdLogsGroundedness samples the DuckDB production log, replays its
// recorded outputs and checks that exactly the outputs the log's recipe
// made ungrounded (every 10th request: "Call us at 555-0100 …" against a
// context about Settings) are found hallucinated, with the invented phone
// number and time as the evidence.
func TestProdLogsGroundedness(t *testing.T) {
	logs := filepath.Join("..", "..", "..", "shared", "data", "interop", "prod-logs-duckdb.parquet")
	if _, err := os.Stat(logs); err != nil {
		t.Skipf("the shared test data is absent (%v); this test needs ../shared/data/interop", err)
	}
	dir := t.TempDir()
	set := filepath.Join(dir, "sample.parquet")
	if res := runCLI(t, context.Background(), nil, "sample", "--from", logs, "--n", "500", "--seed", "7", "--out", set); res.code != exitOK {
		t.Fatalf("sample: exit %d\n%s", res.code, res.stderr)
	}
	cfg := writeConfig(t, `dataset: {path: `+set+`}
candidate: {provider: replay}
fairness: {groups: [gender], min_group_size: 30}
gate:
  - {metric: groundedness, min: 0.95}
`)
	out := t.TempDir()
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitBlock {
		t.Fatalf("exit %d, want 1: a tenth of the outputs are ungrounded\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	g := rep.Metrics.Groundedness
	if g == nil || g.Rate.N != 500 {
		t.Fatalf("groundedness %+v, want 500 answers checked", g)
	}
	var want []string
	r, err := datasets.Open(set)
	if err != nil {
		t.Fatal(err)
	}
	for r.Scan() {
		id := r.Item().ID
		i, _ := strconv.Atoi(strings.TrimPrefix(id, "req-"))
		if i%10 == 0 {
			want = append(want, id)
		}
	}
	r.Close()
	var got []string
	for _, h := range g.Hallucinated {
		got = append(got, h.ID)
		if ev := h.Unsupported[0].Missing; !slices.Contains(ev, "0100") || !slices.Contains(ev, "24") {
			t.Errorf("%s: missing evidence %v, want the invented phone number and hours", h.ID, ev)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) < 30 || !slices.Equal(got, want) {
		t.Errorf("hallucinated %d answers %v,\nwant the %d every-10th requests %v", len(got), got, len(want), want)
	}
	if pii := rep.Metrics.PII; pii == nil || pii.Locations[2].Counts[integrity.PIIPhone] != 0 {
		// "555-0100" has seven digits: a local number without an area
		// code, which the detector leaves alone.
		t.Errorf("pii %+v: want no phone counted in outputs", pii)
	}
}
