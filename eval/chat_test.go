package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

// chatServer answers chat completions like the OpenAI API, records every
// request body as JSON, and answers with the content of the request's
// first user turn (so that two conversations get two answers).
type chatServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newChatServer(t *testing.T) *chatServer {
	t.Helper()
	s := &chatServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(data, &body); err != nil {
			http.Error(w, `{"error":{"message":"bad json","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.mu.Unlock()
		first := ""
		for _, m := range body["messages"].([]any) {
			if m := m.(map[string]any); m["role"] == "user" {
				first = m["content"].(string)
				break
			}
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`,
			body["model"], "re: "+first)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *chatServer) requests() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.bodies...)
}

// chatSetup is a Setup of the config whose candidate and prompt YAML
// lines are given, against s.
func chatSetup(t *testing.T, s *chatServer, candidate, prompt string, cache *Cache) Setup {
	t.Helper()
	cfg, err := configs.Parse("eval.yaml", []byte(fmt.Sprintf("dataset: {path: x.parquet}\ncandidate: {provider: openai, base_url: %s/v1, api_key_env: K, %s}\n%s\nrun: {concurrency: 1}\n",
		s.URL, candidate, prompt)))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := NewProvider("candidate", cfg.Candidate, getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prov.Close() })
	p, err := NewPrompt(cfg.Prompt.System, cfg.Prompt.Template)
	if err != nil {
		t.Fatal(err)
	}
	return Setup{Role: "candidate", Model: cfg.Candidate, Run: cfg.Run, Provider: prov, Prompt: p, Prompts: cfg.Prompt,
		DatasetSHA256: "d", OutDir: t.TempDir(), Cache: cache}
}

func runItems(t *testing.T, s Setup, items []records.Item) ([]records.Result, *Runner) {
	t.Helper()
	r, _, err := s.Runner()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Journal.Close()
	res, err := r.Run(context.Background(), &sliceSource{items: items})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res {
		if x.Error != "" {
			t.Fatalf("item %s: %s", x.ID, x.Error)
		}
	}
	return res, r
}

// sentMessages is a request's messages as role/content pairs.
func sentMessages(body map[string]any) []Message {
	var out []Message
	for _, m := range body["messages"].([]any) {
		m := m.(map[string]any)
		c, _ := m["content"].(string)
		out = append(out, Message{Role: m["role"].(string), Content: c})
	}
	return out
}

func turns(rc ...string) []records.Message {
	var out []records.Message
	for i := 0; i+1 < len(rc); i += 2 {
		out = append(out, records.Message{Role: rc[i], Content: rc[i+1]})
	}
	return out
}

func msgs(rc ...string) []Message {
	var out []Message
	for _, m := range turns(rc...) {
		out = append(out, Message{Role: m.Role, Content: m.Content})
	}
	return out
}

func TestConversationIsSent(t *testing.T) {
	conv := turns("user", "Hi", "assistant", "Hello, how can I help?", "user", "What is the capital of France?", "assistant", "Paris.", "user", "And of Italy?")
	cases := []struct {
		name   string
		prompt string
		item   records.Item
		want   []Message
	}{
		{"default template sends the turns as they are", "",
			records.Item{ID: "a", Messages: conv},
			msgs("user", "Hi", "assistant", "Hello, how can I help?", "user", "What is the capital of France?", "assistant", "Paris.", "user", "And of Italy?")},
		{"template applies to the last user turn only", "prompt: {template: 'Answer in one word. {{.Input}} (task {{.Task}})'}",
			records.Item{ID: "b", Task: "geo", Messages: conv},
			msgs("user", "Hi", "assistant", "Hello, how can I help?", "user", "What is the capital of France?", "assistant", "Paris.", "user", "Answer in one word. And of Italy? (task geo)")},
		{"last user turn before a trailing assistant turn", "prompt: {template: '[{{.Input}}]'}",
			records.Item{ID: "c", Messages: turns("user", "one", "user", "two", "assistant", "Sure:")},
			msgs("user", "one", "user", "[two]", "assistant", "Sure:")},
		{"system template goes first when the conversation has none", "prompt: {system: 'Be brief.'}",
			records.Item{ID: "d", Messages: turns("user", "Hi")},
			msgs("system", "Be brief.", "user", "Hi")},
		{"the conversation's own system turn is kept, the template's not added", "prompt: {system: 'Be brief.'}",
			records.Item{ID: "e", Messages: turns("developer", "Use French.", "user", "Hi")},
			msgs("developer", "Use French.", "user", "Hi")},
		{"row system column for a conversation without one", "",
			records.Item{ID: "f", System: "Row system.", Messages: turns("user", "Hi")},
			msgs("system", "Row system.", "user", "Hi")},
		{"a row without messages is sent as before", "prompt: {template: 'Q: {{.Input}}'}",
			records.Item{ID: "g", Input: "plain"},
			msgs("user", "Q: plain")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newChatServer(t)
			before := fmt.Sprint(c.item.Messages)
			runItems(t, chatSetup(t, srv, "model: gpt-4o-mini", c.prompt, nil), []records.Item{c.item})
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			if got := sentMessages(reqs[0]); !reflect.DeepEqual(got, c.want) {
				t.Errorf("sent\n  %+v\nwant\n  %+v", got, c.want)
			}
			if after := fmt.Sprint(c.item.Messages); after != before {
				t.Errorf("the item's conversation changed from %s to %s", before, after)
			}
		})
	}
}

func TestReasoningParamsSent(t *testing.T) {
	cases := []struct {
		name      string
		candidate string
		want      map[string]any // keys that must be sent, with their values
		absent    []string       // keys that must not be sent
	}{
		{"max_completion_tokens and reasoning_effort replace max_tokens", "model: o3-mini, max_completion_tokens: 2000, reasoning_effort: high",
			map[string]any{"max_completion_tokens": 2000.0, "reasoning_effort": "high", "model": "o3-mini"}, []string{"max_tokens", "verbosity"}},
		{"verbosity", "model: gpt-5, max_completion_tokens: 300, verbosity: low, reasoning_effort: minimal",
			map[string]any{"max_completion_tokens": 300.0, "verbosity": "low", "reasoning_effort": "minimal"}, []string{"max_tokens"}},
		{"a chat model keeps max_tokens", "model: gpt-4o-mini, max_tokens: 64",
			map[string]any{"max_tokens": 64.0}, []string{"max_completion_tokens", "reasoning_effort", "verbosity"}},
		{"max_tokens defaults to 256", "model: gpt-4o-mini",
			map[string]any{"max_tokens": 256.0}, []string{"max_completion_tokens"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newChatServer(t)
			runItems(t, chatSetup(t, srv, c.candidate, "", nil), []records.Item{{ID: "a", Input: "q"}})
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			for k, v := range c.want {
				if got, ok := reqs[0][k]; !ok || got != v {
					t.Errorf("%s: got %v (sent: %v), want %v", k, got, ok, v)
				}
			}
			for _, k := range c.absent {
				if got, ok := reqs[0][k]; ok {
					t.Errorf("%s sent as %v, want it absent", k, got)
				}
			}
		})
	}
}

func TestReasoningModelSettingsRefusedBeforeAnyCall(t *testing.T) {
	cases := []struct {
		name      string
		candidate string
		want      []string
	}{
		{"max_tokens", "model: o3-mini", []string{`candidate.model "o3-mini"`, "max_completion_tokens"}},
		{"logprobs", "model: o1, max_completion_tokens: 100, logprobs: true", []string{"candidate.logprobs: false"}},
		{"temperature", "model: o4-mini, max_completion_tokens: 100, temperature: 0.7", []string{"candidate.temperature"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newChatServer(t)
			cfg, err := configs.Parse("eval.yaml", []byte(fmt.Sprintf("dataset: {path: x.parquet}\ncandidate: {provider: openai, base_url: %s/v1, api_key_env: K, %s}\n", srv.URL, c.candidate)))
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewProvider("candidate", cfg.Candidate, getenv)
			if err == nil {
				p.Close()
				t.Fatal("got no error, want one")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
			if n := len(srv.requests()); n != 0 {
				t.Errorf("%d requests sent, want 0", n)
			}
		})
	}
}

func TestCacheKeysTheConversation(t *testing.T) {
	// Two conversations that end with the same user turn are two calls.
	a := records.Item{ID: "a", Messages: turns("user", "I bought shoes.", "assistant", "Nice.", "user", "Can I return them?")}
	b := records.Item{ID: "b", Messages: turns("user", "I bought a laptop.", "assistant", "Nice.", "user", "Can I return them?")}
	dir := t.TempDir()
	srv := newChatServer(t)
	run := func() ([]records.Result, *Runner) {
		c, err := NewCache(dir)
		if err != nil {
			t.Fatal(err)
		}
		return runItems(t, chatSetup(t, srv, "model: gpt-4o-mini", "", c), []records.Item{a, b})
	}
	res, r := run()
	if n := len(srv.requests()); n != 2 || r.Stats().Cached != 0 {
		t.Fatalf("first run: %d requests, %d cached; want 2 and 0", n, r.Stats().Cached)
	}
	if res[0].Output != "re: I bought shoes." || res[1].Output != "re: I bought a laptop." {
		t.Errorf("outputs %q, %q; want each conversation's own answer", res[0].Output, res[1].Output)
	}
	res, r = run()
	if n := len(srv.requests()); n != 2 || r.Stats().Cached != 2 {
		t.Errorf("second run: %d requests in all, %d cached; want still 2 and 2", n, r.Stats().Cached)
	}
	if res[0].Output != "re: I bought shoes." || res[1].Output != "re: I bought a laptop." {
		t.Errorf("cached outputs %q, %q; want each conversation's own answer", res[0].Output, res[1].Output)
	}
}

func TestCallKeyReasoningParams(t *testing.T) {
	base := CallKey{Provider: "openai", Endpoint: "https://api.openai.com/v1", Model: "o3", Messages: []Message{{Role: "user", Content: "q"}}}
	// A key without the new parameters hashes as the v2 layout did before
	// they existed, so that existing caches stay valid.
	v2 := `{"v":2,"provider":"openai","endpoint":"https://api.openai.com/v1","model":"o3","version":"","artifact_sha256":"","temperature":0,"max_tokens":0,"seed":null,"logprobs":false,"messages":[{"role":"user","content":"q"}],"sample":0}`
	sum := sha256.Sum256([]byte(v2))
	if got, want := base.Hash(), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("hash of a key without reasoning parameters %s, want the v2 hash %s", got, want)
	}
	seen := map[string]string{base.Hash(): "base"}
	for name, k := range map[string]CallKey{
		"max_completion_tokens": func() CallKey { k := base; k.MaxCompletionTokens = 100; return k }(),
		"reasoning_effort":      func() CallKey { k := base; k.ReasoningEffort = "high"; return k }(),
		"verbosity":             func() CallKey { k := base; k.Verbosity = "low"; return k }(),
		"conversation": func() CallKey {
			k := base
			k.Messages = []Message{{Role: "user", Content: "p"}, {Role: "user", Content: "q"}}
			return k
		}(),
	} {
		h := k.Hash()
		if other, ok := seen[h]; ok {
			t.Errorf("%s: same hash as %s", name, other)
		}
		seen[h] = name
	}
}

func TestFingerprintReasoningParams(t *testing.T) {
	base := Setup{Role: "candidate", Model: configs.Model{Provider: "openai", Model: "o3", MaxCompletionTokens: 100}, DatasetSHA256: "d1"}
	seen := map[string]string{base.Fingerprint(): "base"}
	for name, s := range map[string]Setup{
		"max_completion_tokens": func() Setup { s := base; s.Model.MaxCompletionTokens = 200; return s }(),
		"reasoning_effort":      func() Setup { s := base; s.Model.ReasoningEffort = "low"; return s }(),
		"verbosity":             func() Setup { s := base; s.Model.Verbosity = "high"; return s }(),
		// A changed conversation changes the set's digest.
		"dataset": func() Setup { s := base; s.DatasetSHA256 = "d2"; return s }(),
	} {
		f := s.Fingerprint()
		if other, ok := seen[f]; ok {
			t.Errorf("%s: same journal fingerprint as %s", name, other)
		}
		seen[f] = name
	}
}
