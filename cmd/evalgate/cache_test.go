package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// answerServer is an OpenAI-compatible test server that answers every
// chat completion with text, and counts the requests.
func answerServer(t *testing.T, text string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model string `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}`, req.Model, text)
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

// outputsIn returns the distinct outputs of a results file, with counts.
func outputsIn(t *testing.T, path string) map[string]int {
	t.Helper()
	results, _, err := datasets.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range results {
		out[r.Output]++
	}
	return out
}

// onlyFrom reports whether every cache origin is the endpoint url/v1.
func onlyFrom(origins []records.CacheOrigin, url string) bool {
	for _, o := range origins {
		if o.Endpoint != url+"/v1" {
			return false
		}
	}
	return true
}

// deadURL is the URL of a server that no longer listens.
func deadURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	return url
}

// TestCacheIsPerEndpoint: the same config (same model name) against server
// A, then B, is answered by B; and a dead base URL is not answered from A's
// cache.
func TestCacheIsPerEndpoint(t *testing.T) {
	a, aCount := answerServer(t, "alpha")
	b, bCount := answerServer(t, "bravo")
	env := map[string]string{"TEST_KEY": secretKey, "XDG_CACHE_HOME": t.TempDir()}
	fast := "run: {concurrency: 4, backoff_base: 1ms, backoff_max: 5ms}\n"
	cfg := func(url string) string {
		return writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: test-model, base_url: %s/v1, api_key_env: TEST_KEY}\n%sgate: [{metric: errors.rate, max: 0.5}]\n", exampleSet, url, fast))
	}
	outA := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg(a.URL), "--out", outA, "--quiet"); res.code != exitOK {
		t.Fatalf("server A: exit %d: %s", res.code, res.stderr)
	}
	calls := aCount.Load()
	if repA := readReport(t, outA); calls+int64(repA.Candidate.Cached) != 400 || !onlyFrom(repA.Candidate.CacheOrigins, a.URL) {
		t.Fatalf("server A saw %d calls and %d answers came from %+v; want 400 in all, from A", calls, repA.Candidate.Cached, repA.Candidate.CacheOrigins)
	}
	// The same config again, against A: answered from the cache.
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg(a.URL), "--out", t.TempDir(), "--quiet"); res.code != exitOK || aCount.Load() != calls {
		t.Fatalf("A again: exit %d, %d more calls; want every answer from the cache", res.code, aCount.Load()-calls)
	}

	outB := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg(b.URL), "--out", outB, "--quiet"); res.code != exitOK {
		t.Fatalf("server B: exit %d: %s", res.code, res.stderr)
	}
	// Eval-set items whose prompts repeat are answered from the cache
	// within a run, but only from B's own answers.
	repB := readReport(t, outB)
	if n := bCount.Load(); n == 0 || n+int64(repB.Candidate.Cached) != 400 || !onlyFrom(repB.Candidate.CacheOrigins, b.URL) {
		t.Errorf("server B saw %d calls and %d answers came from %+v; want 400 in all, none from A", n, repB.Candidate.Cached, repB.Candidate.CacheOrigins)
	}
	if got := outputsIn(t, filepath.Join(outB, "results.parquet")); got["bravo"] != 400 {
		t.Errorf("B's results hold %v, want 400 × bravo", got)
	}

	// A dead endpoint with A's answers in the cache: no report from them.
	outDead := t.TempDir()
	res := runCLI(t, context.Background(), env, "run", "-c", cfg(deadURL(t)), "--out", outDead, "--quiet")
	if res.code != exitRunFail {
		t.Fatalf("dead endpoint: exit %d, want %d\n%s", res.code, exitRunFail, res.stderr)
	}
	if !strings.Contains(res.stderr, "connection") {
		t.Errorf("stderr does not name the connection errors:\n%s", res.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(outDead, "report.json")); err == nil {
		var rep reports.Report
		if json.Unmarshal(b, &rep) == nil && (rep.Candidate.Cached != 0 || rep.Status == reports.Complete) {
			t.Errorf("dead endpoint: report %s with %d cached answers", rep.Status, rep.Candidate.Cached)
		}
	}
}

// TestCacheOriginsInReport: a run answered from the cache says, per model,
// where and when the answers were recorded.
func TestCacheOriginsInReport(t *testing.T) {
	a, _ := answerServer(t, "alpha")
	env := map[string]string{"TEST_KEY": secretKey, "XDG_CACHE_HOME": t.TempDir()}
	cfg := openaiConfig(t, a.URL, "gate: [{metric: errors.rate, max: 0.5}]\n")
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", t.TempDir(), "--quiet"); res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	out := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", out, "--quiet"); res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rep := readReport(t, out)
	o := rep.Candidate.CacheOrigins
	if len(o) != 1 || o[0].Endpoint != a.URL+"/v1" || o[0].Provider != "openai" || o[0].Model != "test-model" ||
		o[0].Evalgate != reports.Version || o[0].Answers != 400 || o[0].Oldest.IsZero() || o[0].Newest.Before(o[0].Oldest) {
		t.Errorf("cache origins %+v, want 400 answers from %s/v1 test-model", o, a.URL)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cache_origins"`) {
		t.Error("report.json has no cache_origins")
	}
}

// TestCacheWithinOneRun: candidate and production with the same model name
// on different URLs each get their own answers.
func TestCacheWithinOneRun(t *testing.T) {
	a, aCount := answerServer(t, "alpha")
	b, bCount := answerServer(t, "bravo")
	env := map[string]string{"TEST_KEY": secretKey, "XDG_CACHE_HOME": t.TempDir()}
	cfg := writeConfig(t, fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: openai, model: test-model, base_url: %s/v1, api_key_env: TEST_KEY}
production: {provider: openai, model: test-model, base_url: %s/v1, api_key_env: TEST_KEY}
run: {concurrency: 4}
gate: [{metric: errors.rate, max: 0.5}]
`, exampleSet, a.URL, b.URL))
	out := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", out, "--quiet"); res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	rep := readReport(t, out)
	if aCount.Load()+int64(rep.Candidate.Cached) != 400 || !onlyFrom(rep.Candidate.CacheOrigins, a.URL) {
		t.Errorf("candidate: %d calls and %d answers from %+v; want 400 in all, from its own server", aCount.Load(), rep.Candidate.Cached, rep.Candidate.CacheOrigins)
	}
	if bCount.Load()+int64(rep.Production.Cached) != 400 || !onlyFrom(rep.Production.CacheOrigins, b.URL) {
		t.Errorf("production: %d calls and %d answers from %+v; want 400 in all, from its own server", bCount.Load(), rep.Production.Cached, rep.Production.CacheOrigins)
	}
	if got := outputsIn(t, filepath.Join(out, "production-results.parquet")); got["bravo"] != 400 {
		t.Errorf("production's results hold %v, want 400 × bravo", got)
	}
	if got := outputsIn(t, filepath.Join(out, "results.parquet")); got["alpha"] != 400 {
		t.Errorf("candidate's results hold %v, want 400 × alpha", got)
	}
}

// TestJournalVersionChange: changing only candidate.version and running
// into the same --out moves the journal aside and makes every call again
// (without the cache, which would answer repeated prompts).
func TestJournalVersionChange(t *testing.T) {
	a, count := answerServer(t, "alpha")
	env := map[string]string{"TEST_KEY": secretKey, "XDG_CACHE_HOME": t.TempDir()}
	cfg := func(version string) string {
		return writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: test-model, version: %q, base_url: %s/v1, api_key_env: TEST_KEY}\nrun: {concurrency: 4}\ngate: [{metric: errors.rate, max: 0.5}]\n", exampleSet, version, a.URL))
	}
	out := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg("1.4.0"), "--out", out, "--quiet", "--no-cache"); res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	made := count.Load()
	res := runCLI(t, context.Background(), env, "run", "-c", cfg("1.5.0"), "--out", out, "--quiet", "--no-cache")
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "moved it to") || strings.Contains(res.stderr, "resuming") {
		t.Errorf("stderr does not say the journal was moved aside:\n%s", res.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "journal-candidate.jsonl.stale")); err != nil {
		t.Errorf("old journal not kept aside: %v", err)
	}
	if n := count.Load() - made; n != 400 {
		t.Errorf("1.5.0 made %d calls, want 400", n)
	}
	if rep := readReport(t, out); rep.Candidate.Version != "1.5.0" || rep.Candidate.Resumed != 0 || rep.Candidate.Cached != 0 {
		t.Errorf("report %s: resumed %d, cached %d; want 1.5.0 with neither", rep.Candidate.Version, rep.Candidate.Resumed, rep.Candidate.Cached)
	}
}

// TestRedactedQuickstartDoesNotPoisonCache: the quickstart (pii.redact)
// followed by the regression demo, sharing the cache, finds the
// hallucinations the regression demo finds alone.
func TestRedactedQuickstartDoesNotPoisonCache(t *testing.T) {
	configsDir := filepath.Join("..", "..", "configs")
	hallucinated := func(env map[string]string) (int, *reports.Report) {
		out := t.TempDir()
		res := runCLI(t, context.Background(), env, "run", "-c", filepath.Join(configsDir, "regression-demo.yaml"), "--out", out, "--quiet")
		if res.code != exitBlock {
			t.Fatalf("regression demo: exit %d: %s", res.code, res.stderr)
		}
		rep := readReport(t, out)
		if rep.Metrics.Groundedness == nil {
			t.Fatal("regression demo reports no groundedness")
		}
		return len(rep.Metrics.Groundedness.Hallucinated), rep
	}
	alone, _ := hallucinated(map[string]string{"XDG_CACHE_HOME": t.TempDir()})

	shared := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	if res := runCLI(t, context.Background(), shared, "run", "-c", filepath.Join(configsDir, "quickstart.yaml"), "--out", t.TempDir(), "--quiet"); res.code != exitOK {
		t.Fatalf("quickstart: exit %d: %s", res.code, res.stderr)
	}
	after, rep := hallucinated(shared)
	if rep.Candidate.Cached == 0 {
		t.Fatal("the regression demo took nothing from the quickstart's cache: the test shows nothing")
	}
	if after != alone {
		t.Errorf("after the quickstart: %d hallucinations, alone: %d", after, alone)
	}
	for _, h := range rep.Metrics.Groundedness.Hallucinated {
		for _, c := range h.Unsupported {
			if b, _ := json.Marshal(c); strings.Contains(string(b), "[PHONE]") {
				t.Errorf("%s: a redacted answer from the cache: %s", h.ID, b)
			}
		}
	}
}

// TestResultsSayWhichAnswersWereCached runs the quickstart twice on one
// cache: the first run's results have no answer marked cached, the
// second's (all from the cache) every one, so that the evidence says which
// answers no call of the run produced.
func TestResultsSayWhichAnswersWereCached(t *testing.T) {
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	for i, want := range []bool{false, true} {
		out := t.TempDir()
		if res := runCLI(t, context.Background(), env, "run", "-c", quickstart, "--out", out, "--quiet"); res.code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", i+1, res.code, res.stderr)
		}
		results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range results {
			if r.Cached {
				n++
			}
		}
		if wantN := map[bool]int{false: 0, true: len(results)}[want]; n != wantN || len(results) == 0 {
			t.Errorf("run %d: %d of %d results marked cached, want %d", i+1, n, len(results), wantN)
		}
	}
}
