package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// chatTurn and chatItem are the rows of an eval set of conversations, in
// the shape pyarrow writes a list of {role, content} structs.
type chatTurn struct {
	Role    string `parquet:"role"`
	Content string `parquet:"content"`
}

type chatItem struct {
	ID       string     `parquet:"id"`
	Input    *string    `parquet:"input,optional"`
	Messages []chatTurn `parquet:"messages,optional,list"`
	Expected string     `parquet:"expected,optional"`
}

func writeChatSet(t *testing.T, rows []chatItem) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chat.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[chatItem](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// recordingServer answers chat completions like the OpenAI API with "Rome"
// and keeps every request body.
func recordingServer(t *testing.T) (*httptest.Server, func() []map[string]any) {
	t.Helper()
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(data, &body)
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"Rome"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}`, body["model"])
	}))
	t.Cleanup(srv.Close)
	return srv, func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return append([]map[string]any(nil), bodies...)
	}
}

// TestRunConversationsOnReasoningModel runs an eval set of conversations
// against a reasoning model's settings: each row sends exactly its turns,
// the template on the last user turn, with max_completion_tokens and
// reasoning_effort and without max_tokens; a row without a conversation is
// sent from its input; the report records them.
func TestRunConversationsOnReasoningModel(t *testing.T) {
	plain := "Capital of Italy?"
	set := writeChatSet(t, []chatItem{
		{ID: "c1", Expected: "Rome", Messages: []chatTurn{{"system", "Answer with a city."}, {"user", "Capital of France? Mail me at ann@example.com"}, {"assistant", "Paris"}, {"user", "And of Italy?"}}},
		{ID: "c2", Expected: "Rome", Messages: []chatTurn{{"user", "Where is the Colosseum?"}}},
		{ID: "p3", Expected: "Rome", Input: &plain},
	})
	srv, bodies := recordingServer(t)
	cfg := writeConfig(t, fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: openai, model: o3-mini, base_url: %s/v1, api_key_env: TEST_KEY, max_completion_tokens: 1000, reasoning_effort: low}
prompt: {template: "{{.Input}} One word."}
run: {concurrency: 1, cache: off}
gate: [{metric: accuracy, min: 0.5}]
`, set, srv.URL))
	out := t.TempDir()
	res := runCLI(t, context.Background(), map[string]string{"TEST_KEY": secretKey}, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	got := bodies()
	if len(got) != 3 {
		t.Fatalf("%d requests, want 3", len(got))
	}
	want := map[string][]any{
		"Capital of France? Mail me at ann@example.com": {
			map[string]any{"role": "system", "content": "Answer with a city."},
			map[string]any{"role": "user", "content": "Capital of France? Mail me at ann@example.com"},
			map[string]any{"role": "assistant", "content": "Paris"},
			map[string]any{"role": "user", "content": "And of Italy? One word."},
		},
		"Where is the Colosseum? One word.": {
			map[string]any{"role": "user", "content": "Where is the Colosseum? One word."},
		},
		"Capital of Italy? One word.": {
			map[string]any{"role": "user", "content": "Capital of Italy? One word."},
		},
	}
	for _, b := range got {
		msgs, _ := b["messages"].([]any)
		first, _ := msgs[0].(map[string]any)
		key, _ := first["content"].(string)
		if first["role"] == "system" {
			key = msgs[1].(map[string]any)["content"].(string)
		}
		if !reflect.DeepEqual(msgs, want[key]) {
			t.Errorf("sent messages %v, want %v", msgs, want[key])
		}
		if b["max_completion_tokens"] != 1000.0 || b["reasoning_effort"] != "low" {
			t.Errorf("max_completion_tokens %v, reasoning_effort %v; want 1000 and low", b["max_completion_tokens"], b["reasoning_effort"])
		}
		if v, ok := b["max_tokens"]; ok {
			t.Errorf("max_tokens sent (%v) beside max_completion_tokens", v)
		}
	}
	rep := readReport(t, out)
	if rep.Candidate.Calls != 3 || rep.Candidate.Errors != 0 {
		t.Errorf("report: %d calls, %d errors; want 3 and 0", rep.Candidate.Calls, rep.Candidate.Errors)
	}
	// The email in an earlier turn of c1 is personal data in a prompt.
	if rep.Metrics.PII == nil || len(rep.Metrics.PII.Locations) == 0 || rep.Metrics.PII.Locations[0].Location != "prompt" || rep.Metrics.PII.Locations[0].ItemsWithPII != 1 {
		t.Errorf("report PII %+v, want one item with PII in its prompt", rep.Metrics.PII)
	}
	if c := rep.Candidate; c.MaxCompletionTokens != 1000 || c.ReasoningEffort != "low" || c.MaxTokens != 0 {
		t.Errorf("report candidate: max_completion_tokens %d, reasoning_effort %q, max_tokens %d; want 1000, low, 0", c.MaxCompletionTokens, c.ReasoningEffort, c.MaxTokens)
	}
}

// TestRunRefusesBadConversation stops before any call, naming the item and
// the turn, with exit 2.
func TestRunRefusesBadConversation(t *testing.T) {
	set := writeChatSet(t, []chatItem{
		{ID: "ok", Messages: []chatTurn{{"user", "Hi"}}},
		{ID: "bad-7", Messages: []chatTurn{{"user", "Hi"}, {"bot", "Hello"}}},
	})
	srv, bodies := recordingServer(t)
	cfg := writeConfig(t, fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: openai, model: gpt-4o-mini, base_url: %s/v1, api_key_env: TEST_KEY}
run: {cache: off}
gate: [{metric: errors.rate, max: 0.5}]
`, set, srv.URL))
	res := runCLI(t, context.Background(), map[string]string{"TEST_KEY": secretKey}, "run", "-c", cfg, "--out", t.TempDir(), "--quiet")
	if res.code != exitUsage {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", res.code, exitUsage, res.stderr)
	}
	for _, w := range []string{`item "bad-7"`, "turn 1", `role "bot"`} {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr does not contain %q:\n%s", w, res.stderr)
		}
	}
	if n := len(bodies()); n != 0 {
		t.Errorf("%d requests sent, want 0", n)
	}
}

// TestDatasetCommandsOnConversations: inspect describes the messages
// column and validate accepts a set of conversations.
func TestDatasetCommandsOnConversations(t *testing.T) {
	set := writeChatSet(t, []chatItem{{ID: "c1", Messages: []chatTurn{{"user", "Hi"}}}})
	res := runCLI(t, context.Background(), nil, "dataset", "inspect", set)
	if res.code != exitOK || !strings.Contains(res.stdout, "list<struct<role: string, content: string>>") {
		t.Errorf("inspect: exit %d, stdout:\n%s\nstderr:\n%s\nwant 0 and the messages column's type", res.code, res.stdout, res.stderr)
	}
	if res := runCLI(t, context.Background(), nil, "dataset", "validate", set); res.code != exitOK {
		t.Errorf("validate: exit %d, stderr:\n%s", res.code, res.stderr)
	}
}
