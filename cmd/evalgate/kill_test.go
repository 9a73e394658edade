package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evalgate/evalgate/datasets"
)

// TestMain lets a test run this test binary as the evalgate command: with
// EVALGATE_TEST_MAIN=1 it runs main instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("EVALGATE_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// slowServer answers chat completions after a short delay and counts
// successful answers per input.
type slowServer struct {
	*httptest.Server
	mu       sync.Mutex
	answered map[string]int
	total    int
}

func newSlowServer(t *testing.T, delay time.Duration) *slowServer {
	s := &slowServer{answered: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		in := req.Messages[len(req.Messages)-1].Content
		s.mu.Lock()
		s.answered[in]++
		s.total++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`, "answer: "+in)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *slowServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func journalLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := -1 // the header
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return max(n, 0)
}

// startChild starts this test binary as the evalgate command with args.
func startChild(t *testing.T, stderr io.Writer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "EVALGATE_TEST_MAIN=1")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// awaitJournal waits until the journal holds at least n calls, killing the
// child and failing after 30 s without them.
func awaitJournal(t *testing.T, cmd *exec.Cmd, journal string, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); journalLines(t, journal) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child made no progress in 30 s")
		}
	}
}

// TestSIGKILLAndResume kills a real evalgate process with SIGKILL in the
// middle of a run, resumes it, and checks at the server that the resumed run
// made exactly the calls the journal did not hold, and that the results
// equal those of an uninterrupted run.
func TestSIGKILLAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	srv := newSlowServer(t, 20*time.Millisecond)
	out := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\nrun: {concurrency: 4, cache: \"off\"}\ngate: [{metric: errors.rate, max: 0.5}]\nprompt: {template: \"{{.ID}}: {{.Input}}\"}\n", exampleSet, srv.URL))

	cmd := startChild(t, nil, "run", "-c", cfg, "--out", out, "--quiet")
	journal := filepath.Join(out, "journal-candidate.jsonl")
	awaitJournal(t, cmd, journal, 100)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	done := journalLines(t, journal)
	before := srv.count()
	if done >= 400 {
		t.Fatalf("the child finished all %d calls before the kill", done)
	}

	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--resume", "--quiet")
	if res.code != exitOK {
		t.Fatalf("resume: exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, fmt.Sprintf("resuming: %d of 400 calls already done", done)) {
		t.Errorf("resume did not say what it resumed: %q", res.stderr)
	}
	made := srv.count() - before
	if made != 400-done {
		t.Errorf("the resumed run made %d calls; the journal held %d of 400, so want %d", made, done, 400-done)
	}
	// Calls in flight at the kill were answered but never journalled; they
	// are the only ones the server may have answered twice.
	srv.mu.Lock()
	twice := 0
	for _, k := range srv.answered {
		if k > 1 {
			twice++
		}
	}
	srv.mu.Unlock()
	if twice > 4 {
		t.Errorf("%d inputs answered twice; only the ≤4 calls in flight at the kill may be", twice)
	}

	// The resumed results equal an uninterrupted run's, timing aside.
	fresh := t.TempDir()
	if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", fresh, "--quiet"); res.code != exitOK {
		t.Fatalf("fresh run: exit %d: %s", res.code, res.stderr)
	}
	a, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := datasets.ReadResults(filepath.Join(fresh, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d resumed results, %d fresh", len(a), len(b))
	}
	grounded := 0
	for i := range a {
		a[i].LatencyMS, b[i].LatencyMS = 0, 0
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Fatalf("result %d differs:\nresumed %+v %+v\nfresh   %+v %+v", i, a[i], a[i].Groundedness, b[i], b[i].Groundedness)
		}
		if a[i].Groundedness != nil {
			grounded++
		}
	}
	// The resumed answers' groundedness checks are among those compared.
	if grounded == 0 {
		t.Error("no result has a groundedness check")
	}
}

// TestSecondInterruptExitsAtOnce sends SIGINT twice to a real evalgate
// process: the first starts a graceful stop, the second exits at once with
// code 3, and the journal it leaves resumes cleanly.
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	srv := newSlowServer(t, 50*time.Millisecond)
	out := t.TempDir()
	// A long grace: only the second signal can end the run quickly.
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\nrun: {concurrency: 4, cache: \"off\", grace: 1m}\ngate: [{metric: errors.rate, max: 0.5}]\n", exampleSet, srv.URL))
	var stderr lockedBuffer
	cmd := startChild(t, &stderr, "run", "-c", cfg, "--out", out, "--quiet")
	awaitJournal(t, cmd, filepath.Join(out, "journal-candidate.jsonl"), 20)
	cmd.Process.Signal(os.Interrupt)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "stopping"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no word of stopping after the first SIGINT: %q", stderr.String())
		}
	}
	cmd.Process.Signal(os.Interrupt)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the second SIGINT did not end the process")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitRunFail {
		t.Errorf("exit code %d, want %d; stderr %q", code, exitRunFail, stderr.String())
	}
	if !strings.Contains(stderr.String(), "exiting now") {
		t.Errorf("stderr %q does not say it exits now", stderr.String())
	}
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--resume", "--quiet")
	if res.code != exitOK || strings.Contains(res.stderr, "torn") && strings.Contains(res.stderr, "error") {
		t.Errorf("resume after the hard exit: exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestDeadline(t *testing.T) {
	srv := newSlowServer(t, 20*time.Millisecond)
	out := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\nrun: {concurrency: 2, cache: \"off\", deadline: 300ms, grace: 1s}\ngate: [{metric: errors.rate, max: 0.5}]\n", exampleSet, srv.URL))
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitRunFail || !strings.Contains(res.stderr, "run.deadline of 300ms reached") {
		t.Fatalf("exit %d, stderr %q: want 3 and the deadline named", res.code, res.stderr)
	}
	rep := readReport(t, out)
	if rep.Status != "INCOMPLETE" || rep.Candidate.Calls == 0 || rep.Candidate.Calls >= 400 {
		t.Errorf("status %s with %d calls; want INCOMPLETE with some of the 400", rep.Status, rep.Candidate.Calls)
	}
}

// lockedBuffer is a strings.Builder safe to read while a child process's
// output is copied into it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
