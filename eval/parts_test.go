package eval

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

func TestRetryHint(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{"fractional seconds", map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		{"http date", map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, 7 * time.Second},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"openai reset headers", map[string]string{"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"}, 6 * time.Minute},
		{"reset in ms", map[string]string{"x-ratelimit-reset-requests": "20ms"}, 20 * time.Millisecond},
		{"Retry-After wins", map[string]string{"Retry-After": "2", "x-ratelimit-reset-tokens": "1m"}, 2 * time.Second},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			if got := retryHint(h, now); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	base, limit := 100*time.Millisecond, time.Second
	for n := 1; n <= 70; n++ {
		ceiling := limit
		if n <= 4 {
			ceiling = base << (n - 1)
		}
		for range 50 {
			if d := Backoff(n, base, limit, 0); d < 0 || d > ceiling {
				t.Fatalf("Backoff(%d) = %s, outside [0, %s]", n, d, ceiling)
			}
		}
	}
	if d := Backoff(1, base, limit, 5*time.Second); d != 5*time.Second {
		t.Errorf("with a 5 s hint, Backoff = %s, want 5 s", d)
	}
}

func TestRetryable(t *testing.T) {
	for _, tt := range []struct {
		err  CallError
		want bool
	}{
		{CallError{Kind: "http_408", Status: 408}, true},
		{CallError{Kind: "http_409", Status: 409}, true},
		{CallError{Kind: "http_429", Status: 429}, true},
		{CallError{Kind: "http_500", Status: 500}, true},
		{CallError{Kind: "http_503", Status: 503}, true},
		{CallError{Kind: "timeout"}, true},
		{CallError{Kind: "connection"}, true},
		{CallError{Kind: "truncated_response"}, true},
		{CallError{Kind: "bad_response"}, true},
		{CallError{Kind: "http_400", Status: 400}, false},
		{CallError{Kind: "http_401", Status: 401}, false},
		{CallError{Kind: "http_403", Status: 403}, false},
		{CallError{Kind: "http_404", Status: 404}, false},
		{CallError{Kind: "http_422", Status: 422}, false},
		{CallError{Kind: "canceled"}, false},
		{CallError{Kind: "no_output"}, false},
	} {
		if got := Retryable(&tt.err); got != tt.want {
			t.Errorf("Retryable(%s) = %v, want %v", tt.err.Kind, got, tt.want)
		}
	}
}

func TestRejected(t *testing.T) {
	for _, tt := range []struct {
		err  CallError
		want bool
	}{
		{CallError{Kind: "http_401", Status: 401}, true},
		{CallError{Kind: "http_403", Status: 403}, true},
		{CallError{Kind: "http_404", Status: 404}, true},
		{CallError{Kind: "http_400", Status: 400}, false},
		{CallError{Kind: "http_422", Status: 422}, false},
		{CallError{Kind: "http_429", Status: 429}, false},
		{CallError{Kind: "http_500", Status: 500}, false},
		{CallError{Kind: "connection"}, false},
		{CallError{Kind: "no_output"}, false},
	} {
		if got := Rejected(&tt.err); got != tt.want {
			t.Errorf("Rejected(%s) = %v, want %v", tt.err.Kind, got, tt.want)
		}
	}
}

func TestJournalTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, _, err := OpenJournal(path, "fp", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := j.Append(records.Result{ID: id, Output: "out " + id, Attempts: 1}, false); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	// A crash mid-write leaves half a line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"c","sample":0,"outp`)
	f.Close()

	j, rec, err := OpenJournal(path, "fp", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Done) != 2 || rec.Torn != len(`{"id":"c","sample":0,"outp`) {
		t.Errorf("recovered %d calls, torn %d bytes; want 2 and the torn line", len(rec.Done), rec.Torn)
	}
	if rec.Done[Key{"b", 0}].Output != "out b" {
		t.Errorf("recovered %+v", rec.Done[Key{"b", 0}])
	}
	j.Append(records.Result{ID: "c", Output: "out c", Attempts: 1}, false)
	j.Close()
	_, rec, err = OpenJournal(path, "fp", true)
	if err != nil || len(rec.Done) != 3 || rec.Torn != 0 {
		t.Errorf("after repair: %d calls, torn %d, err %v; want 3, 0, nil", len(rec.Done), rec.Torn, err)
	}
}

func TestJournalStaleAndMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.jsonl")
	if _, _, err := OpenJournal(path, "fp", true); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
		t.Errorf("resume without a journal: %v", err)
	}
	j, _, _ := OpenJournal(path, "old", false)
	j.Append(records.Result{ID: "a", Attempts: 1}, false)
	j.Close()
	j, rec, err := OpenJournal(path, "new", false)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if rec.Stale == "" || len(rec.Done) != 0 {
		t.Errorf("stale %q with %d calls; want the old journal moved aside", rec.Stale, len(rec.Done))
	}
	if _, err := os.Stat(rec.Stale); err != nil {
		t.Errorf("stale journal not kept: %v", err)
	}
}

func TestCacheCorruptEntry(t *testing.T) {
	c, err := NewCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.Version = "9.9.9"
	k := CallKey{Provider: "openai", Endpoint: "http://a.example/v1", Model: "m", MaxTokens: 16, Messages: []Message{{"user", "hi"}}}
	key := k.Hash()
	if _, _, ok := c.Get(key); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put(key, Response{Text: "hello", PromptTokens: 3}, Origin{Endpoint: "http://a.example/v1", Provider: "openai", Model: "m"})
	r, o, ok := c.Get(key)
	if !ok || r.Text != "hello" || r.PromptTokens != 3 {
		t.Fatalf("got %+v %v", r, ok)
	}
	if o.Endpoint != "http://a.example/v1" || o.Model != "m" || o.Evalgate != "9.9.9" || o.Time.IsZero() || o.Time.Location() != time.UTC {
		t.Errorf("origin %+v", o)
	}
	b, _ := os.ReadFile(c.path(key))
	os.WriteFile(c.path(key), []byte(strings.Replace(string(b), "hello", "HELLO", 1)), 0o600)
	if _, _, ok := c.Get(key); ok {
		t.Error("a tampered entry was served")
	}
	if st := c.Stats(); st.Corrupt != 1 || st.Hits != 1 || st.Misses != 2 {
		t.Errorf("stats %+v, want 1 corrupt, 1 hit, 2 misses", st)
	}
	if strings.Contains(string(b), "Bearer") {
		t.Errorf("cache entry holds more than the response and its origin: %s", b)
	}
}

// TestCacheKeyCoversTheCall changes one thing that can change an answer at
// a time: each must change the key.
func TestCacheKeyCoversTheCall(t *testing.T) {
	seven := 7
	base := CallKey{Provider: "openai", Endpoint: "http://a.example/v1", Model: "m", Version: "1.4.0", MaxTokens: 16, Messages: []Message{{"user", "hi"}}}
	for _, tt := range []struct {
		name string
		edit func(*CallKey)
	}{
		{"provider", func(k *CallKey) { k.Provider = "builtin:extractive-v1" }},
		{"endpoint", func(k *CallKey) { k.Endpoint = "http://b.example/v1" }},
		{"model", func(k *CallKey) { k.Model = "m2" }},
		{"version", func(k *CallKey) { k.Version = "1.5.0" }},
		{"artifact", func(k *CallKey) { k.ArtifactSHA256 = strings.Repeat("a", 64) }},
		{"temperature", func(k *CallKey) { k.Temperature = 0.7 }},
		{"max_tokens", func(k *CallKey) { k.MaxTokens = 17 }},
		{"seed", func(k *CallKey) { k.Seed = &seven }},
		{"logprobs", func(k *CallKey) { k.Logprobs = true }},
		{"messages", func(k *CallKey) { k.Messages = []Message{{"user", "hi!"}} }},
		{"role", func(k *CallKey) { k.Messages = []Message{{"system", "hi"}} }},
		{"sample", func(k *CallKey) { k.Sample = 1 }},
		{"output cap", func(k *CallKey) { k.MaxOutput = 4096 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := base
			tt.edit(&k)
			if k.Hash() == base.Hash() {
				t.Errorf("changing the %s does not change the key", tt.name)
			}
		})
	}
}

func TestNormalizeBaseURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"},
		{"http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"},
		{"HTTPS://API.Example.COM:443/V1/", "https://api.example.com/V1"},
		{"https://user:pass@api.example.com/v1?api-key=secret#x", "https://api.example.com/v1"},
		{"http://[::1]:9000/v1", "http://[::1]:9000/v1"},
		{"http://host:80", "http://host"},
		{"", ""},
	} {
		if got := NormalizeBaseURL(tt.in); got != tt.want {
			t.Errorf("NormalizeBaseURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCacheModes: read-only stores nothing, refresh answers nothing but
// stores.
func TestCacheModes(t *testing.T) {
	dir := t.TempDir()
	key := CallKey{Model: "m", Messages: []Message{{"user", "hi"}}}.Hash()
	o := Origin{Model: "m"}
	ro, _ := NewCache(dir)
	ro.Mode = configs.CacheReadOnly
	ro.Put(key, Response{Text: "a"}, o)
	if _, _, ok := ro.Get(key); ok {
		t.Fatal("a read-only cache stored an answer")
	}
	rf, _ := NewCache(dir)
	rf.Mode = configs.CacheRefresh
	rf.Put(key, Response{Text: "b"}, o)
	if _, _, ok := rf.Get(key); ok {
		t.Error("a refresh cache answered")
	}
	rw, _ := NewCache(dir)
	if r, _, ok := rw.Get(key); !ok || r.Text != "b" {
		t.Errorf("after refresh: %+v %v, want b", r, ok)
	}
	ro.Mode = configs.CacheReadOnly
	if r, _, ok := ro.Get(key); !ok || r.Text != "b" {
		t.Errorf("read-only: %+v %v, want b", r, ok)
	}
}

func TestAdaptive(t *testing.T) {
	a := NewAdaptive(8)
	ctx := t.Context()
	for range 3 { // three 429s: 8 → 4 → 2 → 1
		a.Acquire(ctx)
		a.Release(true)
	}
	if st := a.Stats(); st.Final != 1 || st.Min != 1 || st.Decreases != 3 {
		t.Errorf("after three 429s: %+v", st)
	}
	for range 100 {
		a.Acquire(ctx)
		a.Release(false)
	}
	if st := a.Stats(); st.Final != 8 || st.Increases != 7 {
		t.Errorf("after 100 successes: %+v, want back at 8 after 7 increases", st)
	}
}

func TestTokensPerMinute(t *testing.T) {
	th := NewThrottle(0, 6000) // 100 tokens a second, bursts of 1,500
	ctx := t.Context()
	if err := th.Wait(ctx, 1500); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := th.Wait(ctx, 50); err != nil {
		t.Fatal(err)
	}
	// The burst is spent, so 50 more tokens take 0.5 s at 100 a second.
	if waited := time.Since(start); waited < 400*time.Millisecond {
		t.Errorf("50 tokens over budget waited %s, want about 500 ms", waited)
	}
}

// seedProvider records the seed each request carried.
type seedProvider struct {
	mu    sync.Mutex
	seeds map[string]*int
}

func (p *seedProvider) Complete(_ context.Context, req Request) (Response, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seeds[fmt.Sprintf("%s#%d", req.Item.ID, req.Sample)] = req.Seed
	return Response{Text: "x"}, nil
}
func (p *seedProvider) Close() error { return nil }

func TestPerSampleSeeds(t *testing.T) {
	seven := 7
	for _, tt := range []struct {
		name    string
		seed    *int
		repeats int
		want    []any // seeds of samples 0.., nil meaning no seed sent
	}{
		{"no seed, one sample", nil, 1, []any{nil}},
		{"no seed, repeats", nil, 3, []any{0, 1, 2}},
		{"seed, repeats", &seven, 3, []any{7, 8, 9}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			prov := &seedProvider{seeds: map[string]*int{}}
			prompt, _ := NewPrompt("", "{{.Input}}")
			r := &Runner{Provider: prov, Prompt: prompt, Concurrency: 2, Repeats: tt.repeats, Params: Params{Seed: tt.seed}}
			if _, err := r.Run(t.Context(), &sliceSource{items: items(2)}); err != nil {
				t.Fatal(err)
			}
			for s, want := range tt.want {
				got := prov.seeds[fmt.Sprintf("q001#%d", s)]
				if (want == nil) != (got == nil) || (got != nil && *got != want.(int)) {
					t.Errorf("sample %d sent seed %v, want %v", s, deref(got), want)
				}
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestCacheHoldsUnredactedAnswers: redaction applies to the results, never
// to the cache, so a run without redaction reads the answers as sent; and
// with redact_prompts the key is that of the redacted messages sent.
func TestCacheHoldsUnredactedAnswers(t *testing.T) {
	dir := t.TempDir()
	prompt, _ := NewPrompt("", "{{.Input}}")
	redact := func(s string) string { return strings.ReplaceAll(s, "in", "[X]") }
	run := func(redactFn func(string) string, redactPrompts bool) ([]records.Result, *Runner) {
		t.Helper()
		c, err := NewCache(dir)
		if err != nil {
			t.Fatal(err)
		}
		r := &Runner{Provider: &countingProvider{}, Prompt: prompt, Concurrency: 1, Repeats: 1, Cache: c,
			Params: Params{Provider: "openai", BaseURL: "http://a.example/v1", Model: "m"}, Redact: redactFn, RedactPrompts: redactPrompts}
		res, err := r.Run(context.Background(), &sliceSource{items: items(5)})
		if err != nil {
			t.Fatal(err)
		}
		return res, r
	}
	res, _ := run(redact, false)
	if res[2].Output != "[X]2#0" {
		t.Fatalf("redacted output %q, want [X]2#0", res[2].Output)
	}
	res, r := run(nil, false)
	if r.Stats().Cached != 5 || res[2].Output != "in2#0" {
		t.Errorf("unredacted run: %d cached, output %q; want 5 and the answer as sent, in2#0", r.Stats().Cached, res[2].Output)
	}
	res, r = run(redact, false)
	if r.Stats().Cached != 5 || res[2].Output != "[X]2#0" {
		t.Errorf("redacted run from the cache: %d cached, output %q; want 5, redacted on read", r.Stats().Cached, res[2].Output)
	}
	res, r = run(redact, true)
	if r.Stats().Cached != 0 || res[2].Output != "[X]2#0" {
		t.Errorf("redacted prompts: %d cached, output %q; want none (other messages were sent)", r.Stats().Cached, res[2].Output)
	}
}
