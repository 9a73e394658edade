package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
)

// hugeAnswerServer answers the first chat completion with an output of
// size bytes, written in chunks so that the test never holds it, and
// every later one with a short answer. It counts the requests.
func hugeAnswerServer(t *testing.T, size int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var count atomic.Int64
	chunk := strings.Repeat("é", 32<<10) // 64 KiB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := count.Add(1)
		var req struct {
			Model string `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"`, req.Model)
		if n == 1 {
			for written := 0; written < size; written += len(chunk) {
				if _, err := io.WriteString(w, chunk); err != nil {
					return // the client stopped reading
				}
			}
		} else {
			io.WriteString(w, "30 days")
		}
		io.WriteString(w, `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

// TestHugeOutput runs against a model that answers one call with 100 MB:
// the run finishes, the answer is kept cut to run.max_output_bytes and
// marked truncated (in the results and the report), and score reads the
// results back. Without the groundedness check the run allocates under
// 150 MB in all (about 70 MB measured), so holding the 100 MB answer even
// once fails it. With the lexical check (the default) the run also checks
// the 1 MiB cut answer, when its result is written and when it is scored,
// and the report carries its claims: about 210 MB allocated in all
// (transient: bytes.growSlice, rune appends and JSON of the claims), so
// the bound there is 256 MB.
func TestHugeOutput(t *testing.T) {
	for _, tt := range []struct {
		name, groundedness string
		maxAlloc           uint64
	}{
		{"no groundedness check", "groundedness: {method: off}\n", 150 << 20},
		{"lexical groundedness check", "", 256 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) { hugeOutput(t, tt.groundedness, tt.maxAlloc) })
	}
}

func hugeOutput(t *testing.T, groundedness string, maxAlloc uint64) {
	srv, count := hugeAnswerServer(t, 100<<20)
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: test-model, base_url: %s/v1, api_key_env: TEST_KEY}\n"+
		"run: {concurrency: 1, cache: off}\n%sgate: [{metric: errors.rate, max: 0.5}]\n", exampleSet, srv.URL, groundedness))
	out := t.TempDir()
	env := map[string]string{"TEST_KEY": secretKey}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	res := runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", out, "--quiet")
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if took > 60*time.Second {
		t.Errorf("run took %s, want under 60 s", took)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxAlloc {
		t.Errorf("run allocated %d MB, want under %d MB", alloc>>20, maxAlloc>>20)
	}

	results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := 0
	for _, r := range results {
		if r.Truncated {
			truncated++
			if r.Error != "" || len(r.Output) > configs.DefaultMaxOutputBytes || len(r.Output) < configs.DefaultMaxOutputBytes-3 || !strings.HasPrefix(r.Output, "éé") {
				t.Errorf("truncated result %q: error %q, output %d bytes, want about %d", r.ID, r.Error, len(r.Output), configs.DefaultMaxOutputBytes)
			}
		}
	}
	if truncated != 1 || int64(len(results)) != count.Load() {
		t.Errorf("%d truncated results of %d (server saw %d calls), want 1 and one call each", truncated, len(results), count.Load())
	}
	if rep := readReport(t, out); rep.Candidate.Truncated != 1 || rep.Candidate.Errors != 0 {
		t.Errorf("report counts %d truncated, %d errors; want 1 and 0", rep.Candidate.Truncated, rep.Candidate.Errors)
	}

	res = runCLI(t, context.Background(), nil, "score", "-c", cfg, "--results", filepath.Join(out, "results.parquet"), "--out", t.TempDir())
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("score: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
