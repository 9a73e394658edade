package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalgate/evalgate/signing"
)

// TestRejectedCallFailsFast checks that a key or model the endpoint
// rejects costs one request at concurrency 8, exits 2 well within 2 s,
// names the key variable (or the model and base URL) and no key, and
// gives no advice to resume.
func TestRejectedCallFailsFast(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"401", http.StatusUnauthorized, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","code":"invalid_api_key"}}`,
			[]string{"TEST_KEY", "HTTP 401"}},
		{"403", http.StatusForbidden, `{"error":{"message":"Project does not have access to model test-model (key %s)","type":"invalid_request_error","code":"model_not_allowed"}}`,
			[]string{"TEST_KEY", "HTTP 403", `"test-model"`}},
		{"404 model", http.StatusNotFound, `{"error":{"message":"The model test-model does not exist or you do not have access to it (key %s).","type":"invalid_request_error","code":"model_not_found"}}`,
			[]string{`model "test-model" was not found`, "/v1", "HTTP 404"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var count atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				count.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, tt.body, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			}))
			defer srv.Close()
			out, cache := t.TempDir(), t.TempDir()
			start := time.Now()
			res := runCLI(t, context.Background(), map[string]string{"TEST_KEY": secretKey, "XDG_CACHE_HOME": cache},
				"run", "-c", writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: test-model, base_url: %s/v1, api_key_env: TEST_KEY}\n"+
					"run: {concurrency: 8}\ngate: [{metric: errors.rate, max: 1}]\n", exampleSet, srv.URL)), "--out", out)
			took := time.Since(start)
			if res.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", res.code, exitUsage, res.stdout, res.stderr)
			}
			if n := count.Load(); n != 1 {
				t.Errorf("the endpoint got %d requests, want 1", n)
			}
			if took > 2*time.Second {
				t.Errorf("took %s, want under 2 s", took)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			if strings.Contains(res.stderr, "resume") {
				t.Errorf("stderr advises resuming:\n%s", res.stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
				t.Error("a report was written for a run that was rejected")
			}
			assertNoString(t, res, []string{secretKey, "SECRET-abcdef"}, out, cache)
		})
	}
}

// assertNoString checks that none of secrets reached stdout, stderr or any
// file under dirs.
func assertNoString(t *testing.T, res result, secrets []string, dirs ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(res.stdout+res.stderr, s) {
			t.Errorf("%q reached stdout or stderr", s)
		}
	}
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Error(err)
				return nil
			}
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%q reached %s", s, path)
				}
			}
			return nil
		})
	}
}

// TestCredentialsScrubbed runs against a base URL holding a user, a
// password and an api-key parameter, on a server that echoes the key and
// that parameter in every answer: none of them reaches any file, stdout or
// stderr, and report.json shows the base URL without them.
func TestCredentialsScrubbed(t *testing.T) {
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		if r.URL.Path != "/v1/chat/completions" || r.URL.Query().Get("api-key") != "QUERYSECRET42" {
			http.Error(w, `{"error":{"message":"wrong route"}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		echo := fmt.Sprintf("30 days (key %s, api-key %s)", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), r.URL.Query().Get("api-key"))
		b, _ := json.Marshal(echo)
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"test-model","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}`, b)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	base := "http://someuser:PASSWORD77secret@" + host + "/v1?api-key=QUERYSECRET42"
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: test-model, base_url: %q, api_key_env: TEST_KEY}\n"+
		"production: {provider: openai, model: test-model, version: prod, base_url: %q, api_key_env: TEST_KEY}\n"+
		"run: {concurrency: 4}\ngate: [{metric: errors.rate, max: 0}]\n", exampleSet, base, base))
	out, cache := t.TempDir(), t.TempDir()
	priv, _ := keygen(t, signing.KeyEd25519)
	res := runCLI(t, context.Background(), map[string]string{"TEST_KEY": secretKey, "XDG_CACHE_HOME": cache}, "run", "-c", cfg, "--out", out, "--key", priv)
	if res.code != exitOK {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	if want := "http://" + host + "/v1"; rep.Candidate.BaseURL != want || rep.Production == nil || rep.Production.BaseURL != want {
		t.Errorf("base_url %q, want %q for both models", rep.Candidate.BaseURL, want)
	}
	if count.Load() == 0 || rep.Candidate.Errors != 0 {
		t.Fatalf("%d requests, %d errors: the endpoint was not reached as configured", count.Load(), rep.Candidate.Errors)
	}
	assertNoString(t, res, []string{secretKey, "SECRET-abcdef", "PASSWORD77secret", "QUERYSECRET42", "someuser"}, out, cache)
}

// TestCredentialsScrubbedFromErrors runs against a dead endpoint whose
// base URL holds credentials: the connection errors, the INCOMPLETE
// report's reason and every file name the endpoint without them.
func TestCredentialsScrubbedFromErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close() // nothing listens there now
	base := "http://someuser:PASSWORD77secret@" + host + "/v1?api-key=QUERYSECRET42&api-version=1"
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: test-model, base_url: %q, api_key_env: TEST_KEY}\n"+
		"run: {concurrency: 2, max_retries: 0, error_window: 4}\ngate: [{metric: errors.rate, max: 0}]\n", exampleSet, base))
	out, cache := t.TempDir(), t.TempDir()
	res := runCLI(t, context.Background(), map[string]string{"TEST_KEY": secretKey, "XDG_CACHE_HOME": cache}, "run", "-c", cfg, "--out", out)
	if res.code != exitRunFail {
		t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", res.code, exitRunFail, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	if !strings.Contains(rep.StatusReason, host) {
		t.Errorf("status reason %q does not name the endpoint", rep.StatusReason)
	}
	assertNoString(t, res, []string{secretKey, "PASSWORD77secret", "QUERYSECRET42", "someuser"}, out, cache)
}

// TestRejectedJudgeFailsFast checks that a groundedness judge whose
// endpoint rejects the key costs one judge call and exits 2 naming the
// judge's key variable.
func TestRejectedJudgeFailsFast(t *testing.T) {
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
	}))
	defer srv.Close()
	cfg := writeConfig(t, fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: "builtin:extractive-v2"}
prompt:
  template: |
    Context:
    {{range .Context}}- {{.}}
    {{end}}
    Question: {{.Input}}
run: {concurrency: 8}
groundedness:
  method: judge
  judge: {provider: openai, model: judge-1, base_url: %s/v1, api_key_env: JUDGE_KEY}
gate:
  - {metric: groundedness.judge_errors, max: 0}
`, exampleSet, srv.URL))
	out := t.TempDir()
	res := runCLI(t, context.Background(), map[string]string{"JUDGE_KEY": secretKey, "XDG_CACHE_HOME": t.TempDir()}, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitUsage {
		t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", res.code, exitUsage, res.stdout, res.stderr)
	}
	if n := count.Load(); n != 1 {
		t.Errorf("the judge got %d requests, want 1", n)
	}
	if !strings.Contains(res.stderr, "groundedness.judge") || !strings.Contains(res.stderr, "JUDGE_KEY") {
		t.Errorf("stderr does not name the judge and its key variable:\n%s", res.stderr)
	}
	assertNoString(t, res, []string{secretKey}, out)
}

// TestOtherRolesKeysScrubbed has the candidate's server echo the
// production model's key, which the candidate's provider was never given:
// the run scrubs every endpoint's key from every answer, so it reaches no
// file.
func TestOtherRolesKeysScrubbed(t *testing.T) {
	const prodKey = "PRODKEY-0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal("30 days, and the other key is " + prodKey)
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"test-model","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}`, b)
	}))
	defer srv.Close()
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: test-model, base_url: %q, api_key_env: CAND_KEY}\n"+
		"production: {provider: openai, model: test-model, version: prod, base_url: %q, api_key_env: PROD_KEY}\n"+
		"run: {concurrency: 4}\ngate: [{metric: errors.rate, max: 0}]\n", exampleSet, srv.URL+"/v1", srv.URL+"/v2"))
	out, cache := t.TempDir(), t.TempDir()
	res := runCLI(t, context.Background(), map[string]string{"CAND_KEY": "CANDKEY-0123456789", "PROD_KEY": prodKey, "XDG_CACHE_HOME": cache}, "run", "-c", cfg, "--out", out)
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	assertNoString(t, res, []string{prodKey}, out, cache)
}
