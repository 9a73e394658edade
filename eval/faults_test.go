package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

// faultServer is an OpenAI-compatible chat completions server that injects
// failures by request. It answers each request with the text of its user
// message, and records what it saw, so that tests assert at the server.
type faultServer struct {
	*httptest.Server
	// fault decides what the n-th request (1-based) for an input gets:
	// "" for a normal answer, or one of "429", "429-retry-after",
	// "500", "502", "503", "hang", "reset", "invalid-json", "400", "401",
	// "403", "404".
	fault func(input string, n int) string

	mu        sync.Mutex
	seen      map[string][]time.Time // request times by input
	succeeded map[string]int         // successful answers by input
	inFlight  int
	peak      int
	total     int
}

func newFaultServer(t *testing.T, fault func(input string, n int) string) *faultServer {
	t.Helper()
	s := &faultServer{fault: fault, seen: map[string][]time.Time{}, succeeded: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *faultServer) handle(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	input := req.Messages[len(req.Messages)-1].Content
	s.mu.Lock()
	s.seen[input] = append(s.seen[input], time.Now())
	n := len(s.seen[input])
	s.total++
	s.inFlight++
	s.peak = max(s.peak, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	fault := ""
	if s.fault != nil {
		fault = s.fault(input, n)
	}
	apiError := func(status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":%q,"type":"server_error","code":null}}`, msg)
	}
	switch fault {
	case "429":
		apiError(429, "Rate limit reached")
	case "429-retry-after":
		w.Header().Set("Retry-After", "1")
		apiError(429, "Rate limit reached, retry after 1s")
	case "500", "502", "503", "400", "401", "403", "404":
		var code int
		fmt.Sscan(fault, &code)
		apiError(code, http.StatusText(code))
	case "hang":
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	case "reset":
		// Send half a response, then drop the connection.
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("no hijacker")
		}
		conn, buf, _ := hj.Hijack()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\":\"c\",\"choi")
		buf.Flush()
		conn.Close()
	case "invalid-json":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],}`)
	default:
		s.mu.Lock()
		s.succeeded[input]++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`, req.Model, "answer to "+input)
	}
}

// testSetup is a Setup against url with fast backoff, for n items.
func testSetup(t *testing.T, url string) Setup {
	t.Helper()
	cfg, err := configs.Parse("eval.yaml", []byte(fmt.Sprintf(`dataset: {path: x.parquet}
candidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: K}
run: {concurrency: 8, timeout: 300ms, backoff_base: 5ms, backoff_max: 50ms, grace: 2s}
`, url)))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := NewProvider("candidate", cfg.Candidate, getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prov.Close() })
	prompt, _ := NewPrompt("", "{{.Input}}")
	return Setup{Role: "candidate", Model: cfg.Candidate, Run: cfg.Run, Provider: prov, Prompt: prompt, Prompts: cfg.Prompt,
		DatasetSHA256: "d", OutDir: t.TempDir()}
}

func runSetup(t *testing.T, s Setup, n int) ([]records.Result, *Runner, error) {
	t.Helper()
	r, _, err := s.Runner()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Journal.Close()
	res, err := r.Run(context.Background(), &sliceSource{items: items(n)})
	return res, r, err
}

// TestFaultInjection drives the runner through every transient failure the
// endpoint can produce and checks at the server that nothing is lost and
// nothing succeeds twice.
func TestFaultInjection(t *testing.T) {
	faults := []string{"429", "500", "502", "503", "hang", "reset", "invalid-json"}
	srv := newFaultServer(t, func(input string, n int) string {
		var i int
		fmt.Sscanf(input, "in%d", &i)
		// Items fail in turn with each fault, on their first one or two
		// attempts; every fourth item never fails.
		if i%4 == 3 || n > 1+i%2 {
			return ""
		}
		return faults[i%len(faults)]
	})
	s := testSetup(t, srv.URL)
	s.Run.MaxErrorRate = 1 // most first attempts fail here, on purpose
	const n = 120
	results, r, err := runSetup(t, s, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != n {
		t.Fatalf("%d results for %d items", len(results), n)
	}
	for i, res := range results {
		if res.Error != "" {
			t.Errorf("item %s failed after %d attempts: %s (%s)", res.ID, res.Attempts, res.ErrorKind, res.Error)
		}
		if want := fmt.Sprintf("answer to in%d", i); res.Output != want {
			t.Errorf("item %d output %q, want %q", i, res.Output, want)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for in, k := range srv.succeeded {
		if k != 1 {
			t.Errorf("%s was answered successfully %d times", in, k)
		}
	}
	if srv.peak > 8 {
		t.Errorf("%d requests in flight at once, limit 8", srv.peak)
	}
	if st := r.Stats(); st.Retries == 0 || st.Done != n {
		t.Errorf("stats %+v", st)
	}
}

func TestPermanentFailuresAreNotRetried(t *testing.T) {
	srv := newFaultServer(t, func(input string, n int) string {
		if input == "in3" {
			return "400"
		}
		return ""
	})
	s := testSetup(t, srv.URL)
	results, _, err := runSetup(t, s, 10)
	if err != nil {
		t.Fatal(err)
	}
	res := results[3]
	if res.ErrorKind != "http_400" || res.HTTPStatus != 400 || res.Attempts != 1 || !strings.Contains(res.Error, "Bad Request") {
		t.Errorf("got %+v, want one attempt failing with 400", res)
	}
	if got := len(srv.seen["in3"]); got != 1 {
		t.Errorf("the 400 item was requested %d times, want 1", got)
	}
}

// TestRejectedStopsTheRun checks that a key or model the endpoint rejects
// costs one request at concurrency 8, and that a key revoked mid-run
// stops the run at once.
func TestRejectedStopsTheRun(t *testing.T) {
	for _, status := range []string{"401", "403", "404"} {
		t.Run("every call "+status, func(t *testing.T) {
			srv := newFaultServer(t, func(string, int) string { return status })
			results, r, err := runSetup(t, testSetup(t, srv.URL), 200)
			var rej *RejectedError
			if !errors.As(err, &rej) || fmt.Sprint(rej.Call.Status) != status {
				t.Fatalf("err %v, want a *RejectedError of HTTP %s", err, status)
			}
			if srv.total != 1 {
				t.Errorf("the server got %d requests, want 1", srv.total)
			}
			if len(results) != 0 || r.Stats().Done != 0 {
				t.Errorf("%d results, stats %+v: the rejected call is not a result", len(results), r.Stats())
			}
		})
	}
	t.Run("revoked mid-run", func(t *testing.T) {
		var requests atomic.Int64
		srv := newFaultServer(t, func(string, int) string {
			if requests.Add(1) > 20 { // the key is revoked after 20 requests
				return "401"
			}
			return ""
		})
		_, _, err := runSetup(t, testSetup(t, srv.URL), 2000)
		var rej *RejectedError
		if !errors.As(err, &rej) {
			t.Fatalf("err %v, want a *RejectedError", err)
		}
		// Each worker may have sent one call before the first 401 came
		// back; nothing is sent after it.
		if srv.total > 20+8 {
			t.Errorf("the server got %d requests, want the run stopped within the calls in flight: %v", srv.total, srv.seen)
		}
	})
}

// TestProbeHoldsCallsBack checks that, until the endpoint has accepted a
// call, only one call is in flight, retries included: the first call is
// answered 503 twice and retried before any other call is sent.
func TestProbeHoldsCallsBack(t *testing.T) {
	var mu sync.Mutex
	var order []string
	fifth := make(chan struct{})
	srv := newFaultServer(t, func(input string, n int) string {
		mu.Lock()
		order = append(order, input)
		k := len(order)
		mu.Unlock()
		switch k {
		case 1, 2:
			return "503"
		case 4: // once a call passed, the others go out together
			select {
			case <-fifth:
			case <-time.After(5 * time.Second):
			}
		case 5:
			close(fifth)
		}
		return ""
	})
	results, _, err := runSetup(t, testSetup(t, srv.URL), 40)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 40 || len(order) != 42 {
		t.Fatalf("%d results after %d requests, want 40 after 42: %v", len(results), len(order), order)
	}
	if order[0] != order[1] || order[0] != order[2] {
		t.Errorf("requests 1 to 3 were for %v: another call was sent while the first was unanswered", order[:3])
	}
	if srv.peak < 2 {
		t.Errorf("at most %d request in flight: the probe never let the calls through", srv.peak)
	}
}

func TestRetriesExhausted(t *testing.T) {
	srv := newFaultServer(t, func(input string, n int) string {
		if input == "in0" {
			return "503"
		}
		return ""
	})
	s := testSetup(t, srv.URL)
	two := 2
	s.Run.MaxRetries = &two
	results, _, err := runSetup(t, s, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res := results[0]; res.ErrorKind != "http_503" || res.Attempts != 3 {
		t.Errorf("got %+v, want 3 attempts ending in 503", res)
	}
	if got := len(srv.seen["in0"]); got != 3 {
		t.Errorf("server saw %d requests for the failing item, want 3", got)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv := newFaultServer(t, func(input string, n int) string {
		if n == 1 {
			return "429-retry-after"
		}
		return ""
	})
	s := testSetup(t, srv.URL)
	if _, _, err := runSetup(t, s, 3); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for in, times := range srv.seen {
		if len(times) != 2 {
			t.Errorf("%s requested %d times, want 2", in, len(times))
			continue
		}
		// Retry-After: 1 asks for a second; backoff alone is at most 50 ms.
		if gap := times[1].Sub(times[0]); gap < time.Second {
			t.Errorf("%s retried after %s, before the 1 s Retry-After", in, gap)
		}
	}
}

func TestRequestsPerMinuteHold(t *testing.T) {
	srv := newFaultServer(t, nil)
	s := testSetup(t, srv.URL)
	s.Run.RPM = 1200 // 20 a second, evenly spaced
	const n = 21
	if _, _, err := runSetup(t, s, n); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var first, last time.Time
	for _, times := range srv.seen {
		for _, tm := range times {
			if first.IsZero() || tm.Before(first) {
				first = tm
			}
			if tm.After(last) {
				last = tm
			}
		}
	}
	// 21 requests at 20/s with burst 1 need at least 1 s between the first
	// and the last; a faster run broke the limit. (A slow machine only makes
	// this longer, so the check cannot flake.)
	if span := last.Sub(first); span < 950*time.Millisecond {
		t.Errorf("%d requests took %s, want at least 1 s at 1,200 rpm", n, span)
	}
}

func TestBreakerTripsOnDeadEndpoint(t *testing.T) {
	srv := newFaultServer(t, func(string, int) string { return "500" })
	s := testSetup(t, srv.URL)
	results, _, err := runSetup(t, s, 500)
	if err == nil || !strings.Contains(err.Error(), "circuit breaker") {
		t.Fatalf("err %v, want the circuit breaker", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	// The breaker looks at 20 attempts; up to 8 more may be in flight when
	// it trips.
	if srv.total > 20+8 {
		t.Errorf("the dead endpoint got %d requests, want at most 28", srv.total)
	}
	if len(results) >= 500 {
		t.Errorf("%d results: the run went on after the breaker tripped", len(results))
	}
}

func TestJournalResume(t *testing.T) {
	srv := newFaultServer(t, nil)
	s := testSetup(t, srv.URL)
	// First run: stop after 30 results, as SIGINT would.
	r, _, err := s.Runner()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	r.Progress = func(st records.RunStats) {
		if st.Done >= 30 {
			once.Do(cancel)
		}
	}
	first, err := r.Run(ctx, &sliceSource{items: items(100)})
	r.Journal.Close()
	if err == nil {
		t.Fatal("interrupted run returned no error")
	}
	// Second run resumes from the journal.
	s.Resume = true
	r2, rec, err := s.Runner()
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Done) != len(first) {
		t.Errorf("journal holds %d calls, the first run finished %d", len(rec.Done), len(first))
	}
	second, err := r2.Run(context.Background(), &sliceSource{items: items(100)})
	r2.Journal.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 100 || r2.Stats().Resumed != len(first) {
		t.Errorf("%d results, %d resumed; want 100 and %d", len(second), r2.Stats().Resumed, len(first))
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for in, k := range srv.succeeded {
		if k != 1 {
			t.Errorf("%s answered %d times across the two runs", in, k)
		}
	}
	// A changed config does not resume from a stale journal.
	s.Model.Temperature = 0.7
	if _, _, err := s.Runner(); err == nil || !strings.Contains(err.Error(), "different run") {
		t.Errorf("resume with another config: err %v", err)
	}
}

func TestCacheAnswersRepeatRuns(t *testing.T) {
	srv := newFaultServer(t, nil)
	s := testSetup(t, srv.URL)
	cache, err := NewCache(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	s.Cache = cache
	first, _, err := runSetup(t, s, 20)
	if err != nil {
		t.Fatal(err)
	}
	s.OutDir = t.TempDir() // a fresh run: no journal, only the cache
	before := srv.total
	second, r, err := runSetup(t, s, 20)
	if err != nil {
		t.Fatal(err)
	}
	if srv.total != before {
		t.Errorf("the re-run made %d calls, want 0", srv.total-before)
	}
	if r.Stats().Cached != 20 {
		t.Errorf("cached %d, want 20", r.Stats().Cached)
	}
	for i := range first {
		if first[i].Output != second[i].Output {
			t.Errorf("item %d: cached output %q, first %q", i, second[i].Output, first[i].Output)
		}
	}
}

// TestLogprobsConfidence checks that a confidence comes back from the
// endpoint's logprobs as their geometric mean, through journal and cache.
func TestLogprobsConfidence(t *testing.T) {
	var asked atomic.Int64
	srv := server(t, func(w http.ResponseWriter, r *http.Request) bool {
		var req struct {
			Logprobs bool `json:"logprobs"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if req.Logprobs {
			asked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		// ln 0.5 and ln 0.125: geometric mean 0.25.
		fmt.Fprint(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a b"},
"logprobs":{"content":[{"token":"a","logprob":-0.6931471805599453,"bytes":[97],"top_logprobs":[]},{"token":" b","logprob":-2.0794415416798357,"bytes":[32,98],"top_logprobs":[]}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
		return true
	})
	s := testSetup(t, srv.URL)
	s.Model.Logprobs = true
	prov, err := NewProvider("candidate", s.Model, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()
	s.Provider = prov
	cache, err := NewCache(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	s.Cache = cache
	for run := range 2 {
		s.OutDir = t.TempDir() // the second run has only the cache
		res, r, err := runSetup(t, s, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res {
			if math.Abs(x.Confidence-0.25) > 1e-12 {
				t.Errorf("run %d, %s: confidence %v, want 0.25", run, x.ID, x.Confidence)
			}
		}
		if run == 1 && r.Stats().Cached != 3 {
			t.Errorf("second run: %d cached, want 3", r.Stats().Cached)
		}
	}
	if asked.Load() != 3 {
		t.Errorf("%d requests asked for logprobs, want 3", asked.Load())
	}
}

// TestRedactBeforeStorage checks that with Redact set, what the model said
// is redacted before the journal and the results see it, while the cache
// keeps it as sent (redaction is applied when it is read), and that the
// prompt is sent as is unless RedactPrompts.
func TestRedactBeforeStorage(t *testing.T) {
	const secret = "jane.doe@example.com"
	var sent []string
	var mu sync.Mutex
	srv := server(t, func(w http.ResponseWriter, r *http.Request) bool {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		sent = append(sent, req.Messages[len(req.Messages)-1].Content)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"write to %s"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`, secret)
		return true
	})
	redact := func(s string) string { return strings.ReplaceAll(s, secret, "[EMAIL]") }
	for _, prompts := range []bool{false, true} {
		s := testSetup(t, srv.URL)
		s.Redact, s.RedactPrompts = redact, prompts
		cacheDir := filepath.Join(t.TempDir(), "cache")
		cache, err := NewCache(cacheDir)
		if err != nil {
			t.Fatal(err)
		}
		s.Cache = cache
		r, _, err := s.Runner()
		if err != nil {
			t.Fatal(err)
		}
		in := []records.Item{{ID: "q1", Input: "mail " + secret}}
		res, err := r.Run(context.Background(), &sliceSource{items: in})
		r.Journal.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Output != "write to [EMAIL]" {
			t.Errorf("redact_prompts=%v: output %q", prompts, res[0].Output)
		}
		inCache := false
		for _, dir := range []string{s.OutDir, cacheDir} {
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					if b, _ := os.ReadFile(path); strings.Contains(string(b), secret) {
						if dir == cacheDir {
							inCache = true
						} else {
							t.Errorf("redact_prompts=%v: %s holds the address", prompts, path)
						}
					}
				}
				return nil
			})
		}
		if !inCache {
			t.Errorf("redact_prompts=%v: the cache does not hold the answer as sent", prompts)
		}
		mu.Lock()
		last := sent[len(sent)-1]
		mu.Unlock()
		if got := strings.Contains(last, secret); got == prompts {
			t.Errorf("redact_prompts=%v: prompt sent %q", prompts, last)
		}
	}
}
