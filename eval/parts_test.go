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
	key := CacheKey("m", 0, 16, nil, []Message{{"user", "hi"}}, 0)
	if _, ok := c.Get(key); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put(key, Response{Text: "hello", PromptTokens: 3})
	if r, ok := c.Get(key); !ok || r.Text != "hello" || r.PromptTokens != 3 {
		t.Fatalf("got %+v %v", r, ok)
	}
	b, _ := os.ReadFile(c.path(key))
	os.WriteFile(c.path(key), []byte(strings.Replace(string(b), "hello", "HELLO", 1)), 0o600)
	if _, ok := c.Get(key); ok {
		t.Error("a tampered entry was served")
	}
	if st := c.Stats(); st.Corrupt != 1 || st.Hits != 1 || st.Misses != 2 {
		t.Errorf("stats %+v, want 1 corrupt, 1 hit, 2 misses", st)
	}
	if strings.Contains(string(b), "Bearer") || strings.Contains(string(b), "http") {
		t.Errorf("cache entry holds more than the response: %s", b)
	}
	other := CacheKey("m", 0, 16, nil, []Message{{"user", "hi"}}, 1)
	if other == key {
		t.Error("the sample index does not change the key")
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
