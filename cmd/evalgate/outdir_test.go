package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOutputDirHoldsInput checks that a run whose output directory holds
// one of its inputs exits 2 before any call and leaves the input as it
// was, whether the input sits there under an output's name, under another
// name, or is the same file by a link.
func TestOutputDirHoldsInput(t *testing.T) {
	set, err := os.ReadFile(exampleSet)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// setup returns the eval set's path, the output directory, and the
		// files (besides the eval set) that must stay unchanged.
		setup func(t *testing.T) (setPath, out string)
		want  string
	}{
		{"eval set named results.parquet", func(t *testing.T) (string, string) {
			out := t.TempDir()
			copyFile(t, exampleSet, filepath.Join(out, pipeline.ResultsFile))
			return filepath.Join(out, pipeline.ResultsFile), out
		}, "holds"},
		{"eval set named review.parquet", func(t *testing.T) (string, string) {
			out := t.TempDir()
			copyFile(t, exampleSet, filepath.Join(out, pipeline.ReviewFile))
			return filepath.Join(out, pipeline.ReviewFile), out
		}, "holds"},
		{"eval set in a folder of the output directory", func(t *testing.T) (string, string) {
			out := t.TempDir()
			copyFile(t, exampleSet, filepath.Join(out, "data", "set.parquet"))
			return filepath.Join(out, "data", "set.parquet"), out
		}, "holds"},
		{"eval set hard-linked as report.json", func(t *testing.T) (string, string) {
			dir, out := t.TempDir(), t.TempDir()
			p := filepath.Join(dir, "set.parquet")
			copyFile(t, exampleSet, p)
			if err := os.Link(p, filepath.Join(out, pipeline.ReportFile)); err != nil {
				t.Skipf("no hard links here: %v", err)
			}
			return p, out
		}, "has report.json, the same file as"},
		{"output directory reached through a symbolic link", func(t *testing.T) (string, string) {
			real, links := t.TempDir(), t.TempDir()
			copyFile(t, exampleSet, filepath.Join(real, pipeline.ResultsFile))
			link := filepath.Join(links, "out")
			if err := os.Symlink(real, link); err != nil {
				t.Skipf("no symbolic links here: %v", err)
			}
			return filepath.Join(real, pipeline.ResultsFile), link
		}, "holds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, count := fakeOpenAI(t, func(int64) int { return 0 }, nil)
			setPath, out := tt.setup(t)
			cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\nrun: {cache: \"off\"}\ngate: [{metric: errors.rate, max: 0.5}]\n", setPath, srv.URL))
			for _, args := range [][]string{{"run", "-c", cfg, "--out", out, "--quiet"}, {"run", "--dry-run", "-c", cfg, "--out", out}} {
				res := runCLI(t, context.Background(), nil, args...)
				if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) || !strings.Contains(res.stderr, "the eval set") {
					t.Errorf("%s: exit %d, stderr %q: want exit 2 saying the output directory %s the eval set", strings.Join(args[:2], " "), res.code, res.stderr, tt.want)
				}
			}
			if n := count.Load(); n != 0 {
				t.Errorf("the server got %d requests, want none", n)
			}
			if got, err := os.ReadFile(setPath); err != nil || !bytes.Equal(got, set) {
				t.Errorf("the eval set changed (err %v)", err)
			}
		})
	}

	t.Run("config and key in the output directory", func(t *testing.T) {
		out := t.TempDir()
		cfg := filepath.Join(out, "eval.yaml")
		if err := os.WriteFile(cfg, fmt.Appendf(nil, "dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\ngate: [{metric: accuracy, min: 0.1}]\n", exampleSet), 0o644); err != nil {
			t.Fatal(err)
		}
		if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet"); res.code != exitUsage || !strings.Contains(res.stderr, "the config") {
			t.Errorf("config in --out: exit %d, stderr %q; want 2 naming the config", res.code, res.stderr)
		}
		priv, _ := keygen(t, signing.KeyEd25519)
		keyOut := filepath.Dir(priv)
		cfg = writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\ngate: [{metric: accuracy, min: 0.1}]\n", exampleSet))
		if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", keyOut, "--quiet", "--key", priv); res.code != exitUsage || !strings.Contains(res.stderr, priv) {
			t.Errorf("key in --out: exit %d, stderr %q; want 2 naming the key", res.code, res.stderr)
		}
	})
}

// lockServer answers chat completions, counting calls per item (the
// prompt starts with the item id), and holds the very first call until
// release is closed, so that the run that made it cannot finish.
type lockServer struct {
	mu      sync.Mutex
	perItem map[string]int
	first   chan struct{} // closed when the first call arrives
	release chan struct{}
	once    sync.Once
	total   atomic.Int64
}

func newLockServer(t *testing.T) (*lockServer, *httptest.Server) {
	s := &lockServer{perItem: map[string]int{}, first: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string                     `json:"model"`
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		id, _, _ := strings.Cut(req.Messages[len(req.Messages)-1].Content, ":")
		s.total.Add(1)
		s.mu.Lock()
		s.perItem[id]++
		s.mu.Unlock()
		held := false
		s.once.Do(func() { held = true; close(s.first) })
		if held {
			select {
			case <-s.release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"30 days"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}}`, req.Model)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
	})
	return s, srv
}

// TestSecondRunOnLockedOutput starts a run, and while its first call is
// held open starts a second on the same output directory: the second
// exits 2 naming the first (pid and start), makes no call, and the first
// completes with every item asked once.
func TestSecondRunOnLockedOutput(t *testing.T) {
	s, srv := newLockServer(t)
	out := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\nrun: {concurrency: 4, cache: \"off\"}\nprompt: {template: \"{{.ID}}: {{.Input}}\"}\ngate: [{metric: errors.rate, max: 0}]\n", exampleSet, srv.URL))
	first := make(chan result, 1)
	go func() {
		first <- runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet")
	}()
	<-s.first // the first run holds the lock and is calling
	second := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet")
	close(s.release)
	res := <-first
	if second.code != exitUsage || !strings.Contains(second.stderr, "in use by another evalgate run") ||
		!strings.Contains(second.stderr, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(second.stderr, "started ") {
		t.Errorf("second run: exit %d, stderr %q; want 2 naming the holder's pid and start", second.code, second.stderr)
	}
	// A call of the second run would ask some item a second time: the
	// first run asks all of them (checked below).
	if res.code != exitOK {
		t.Fatalf("first run: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	if rep.Candidate.Calls != 400 {
		t.Errorf("first run made %d calls, want 400", rep.Candidate.Calls)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.perItem) != 400 {
		t.Errorf("the server saw %d items, want 400", len(s.perItem))
	}
	for id, n := range s.perItem {
		if n != 1 {
			t.Errorf("item %s was asked %d times, want once", id, n)
		}
	}
	if _, err := os.Stat(filepath.Join(out, pipeline.LockFile)); !os.IsNotExist(err) {
		t.Errorf("the lock file is still there after the run (err %v)", err)
	}
}

// TestStaleLockTakenOver checks that a lock file left by a run that died
// (its flock gone with it) does not stop the next run, which says so.
func TestStaleLockTakenOver(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, pipeline.LockFile), []byte("pid 999999\nhost gone\nstarted 2026-01-01T00:00:00Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\nrun: {cache: \"off\"}\ngate: [{metric: accuracy, min: 0.1}]\n", exampleSet))
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "took over the lock") || !strings.Contains(res.stderr, "pid 999999 on host gone, started 2026-01-01T00:00:00Z") {
		t.Errorf("stderr %q: want a note naming the stale holder", res.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, pipeline.LockFile)); !os.IsNotExist(err) {
		t.Errorf("the lock file is still there after the run (err %v)", err)
	}
}

// TestCheckedBeforeAnyCall checks that each config that cannot work exits
// 2 before the first call, in run, run --dry-run and gate --list-metrics.
func TestCheckedBeforeAnyCall(t *testing.T) {
	const gate = "gate: [{metric: accuracy, min: 0.5}]\n"
	tests := []struct {
		name, extra string
		want        []string
		listOK      bool // gate --list-metrics accepts it
	}{
		{"group column task", "fairness: {groups: [task]}\n" + gate, []string{"fairness.groups", `"task" is a fixed column`, "id, input"}, false},
		{"group column expected", "fairness: {groups: [region, expected]}\n" + gate, []string{`"expected" is a fixed column`}, false},
		{"regression rule without production", "gate: [{metric: regression.accuracy.delta.ci_low, min: -0.02}]\n", []string{"gate rule 1", "can never be evaluated", "no production model"}, false},
		{"fairness rule on a column not grouped", "fairness: {groups: [region]}\ngate: [{metric: fairness.channel.accuracy.gap, max: 0.1}]\n", []string{`"channel" is not in fairness.groups`}, false},
		{"groundedness rule with groundedness off", "groundedness: {method: \"off\"}\ngate: [{metric: groundedness, min: 0.9}]\n", []string{"groundedness.method other than off"}, false},
		{"template field that does not exist", "prompt: {template: \"{{.Question}}\"}\n" + gate, []string{"prompt.template", "{{.Question}}", ".ID .Input .System .Context .Expected", ".Extra"}, false},
		{"template column that does not exist", "prompt: {template: \"{{.Input}} ({{.Extra.segment}})\"}\n" + gate, []string{"prompt.template", `for item "sqa-`, "segment", "region"}, false},
		{"no gate", "", []string{"no rules", "--no-gate"}, true},
		{"only drift rules", "drift: {categorical: [region]}\ngate: [{metric: drift.psi.max, max: 0.2}]\n", []string{"no rules", "--no-gate"}, true},
		{"second YAML document", gate + "---\ngate: [{metric: accuracy, min: 0.99}]\n", []string{"eval.yaml:5:", "second one starts here"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, count := fakeOpenAI(t, func(int64) int { return 0 }, nil)
			cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\nrun: {cache: \"off\"}\n%s", exampleSet, srv.URL, tt.extra))
			for _, args := range [][]string{{"run", "-c", cfg, "--out", t.TempDir(), "--quiet"}, {"run", "--dry-run", "-c", cfg}, {"gate", "--list-metrics", "-c", cfg}} {
				res := runCLI(t, context.Background(), nil, args...)
				if args[0] == "gate" && tt.listOK {
					if res.code != exitOK {
						t.Errorf("gate --list-metrics: exit %d, stderr %q; want 0", res.code, res.stderr)
					}
					continue
				}
				if res.code != exitUsage {
					t.Errorf("%s: exit %d, want 2; stderr %q", strings.Join(args[:2], " "), res.code, res.stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(res.stderr, w) {
						t.Errorf("%s: stderr %q lacks %q", strings.Join(args[:2], " "), res.stderr, w)
					}
				}
			}
			if n := count.Load(); n != 0 {
				t.Errorf("the server got %d requests, want none", n)
			}
		})
	}
}

// TestNoGate checks run --no-gate: a config without rules runs, the
// report's verdict is NONE, the exit is 0, and verify --require-allow
// does not take NONE for ALLOW; with rules in the config the flag is
// refused.
func TestNoGate(t *testing.T) {
	priv, pub := keygen(t, signing.KeyEd25519)
	out := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\nrun: {cache: \"off\"}\n", exampleSet))
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet", "--no-gate", "--key", priv)
	if res.code != exitOK || !strings.Contains(res.stdout, "verdict: NONE") {
		t.Fatalf("run --no-gate: exit %d, stdout %q, stderr %q; want 0 and verdict NONE", res.code, res.stdout, res.stderr)
	}
	if rep := readReport(t, out); rep.Verdict != reports.None {
		t.Errorf("report verdict %s, want NONE", rep.Verdict)
	}
	env, results := filepath.Join(out, pipeline.SignedReportFile), filepath.Join(out, pipeline.ResultsFile)
	if res := runCLI(t, context.Background(), nil, "verify", "--key", pub, env, results); res.code != exitOK {
		t.Errorf("verify: exit %d, want 0; %s", res.code, res.stderr)
	}
	if res := runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-allow", env, results); res.code == exitOK {
		t.Errorf("verify --require-allow accepted a NONE verdict: %s", res.stdout)
	}
	ruled := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: \"builtin:extractive\"}\ngate: [{metric: accuracy, min: 0.1}]\n", exampleSet))
	if res := runCLI(t, context.Background(), nil, "run", "-c", ruled, "--out", t.TempDir(), "--quiet", "--no-gate"); res.code != exitUsage || !strings.Contains(res.stderr, "--no-gate") {
		t.Errorf("--no-gate with rules: exit %d, stderr %q; want 2 naming the flag", res.code, res.stderr)
	}
}
