package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestImportConversationsRun imports a JSONL file of conversations (and
// one plain question), runs the set against an OpenAI-compatible server
// and checks that each call sends exactly the row's turns, the template
// applied to the last user turn.
func TestImportConversationsRun(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "chats.jsonl")
	lines := `{"id": "c1", "conversation": [{"role": "system", "content": "Answer with a city."}, {"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris"}, {"role": "user", "content": "And of Italy?"}], "answer": "Rome"}
{"id": "c2", "conversation": [{"role": "developer", "content": "One word."}, {"role": "user", "content": "Where is the Colosseum?"}], "answer": "Rome"}
{"id": "p3", "question": "Capital of Italy?", "answer": "Rome"}
`
	if err := os.WriteFile(src, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	set := filepath.Join(dir, "chats.parquet")
	res := runCLI(t, context.Background(), nil, "dataset", "import", src, "--out", set)
	if res.code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "messages ← conversation (automatic)") {
		t.Errorf("import output does not say messages came from conversation:\n%s", res.stdout)
	}
	srv, bodies := recordingServer(t)
	cfg := writeConfig(t, fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: openai, model: gpt-4o-mini, base_url: %s/v1, api_key_env: TEST_KEY}
prompt: {template: "{{.Input}} Answer briefly."}
run: {concurrency: 1, cache: off}
gate: [{metric: accuracy, min: 0.5}]
`, set, srv.URL))
	res = runCLI(t, context.Background(), map[string]string{"TEST_KEY": secretKey}, "run", "-c", cfg, "--out", filepath.Join(dir, "run"), "--quiet")
	if res.code != exitOK {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	turn := func(role, content string) any { return map[string]any{"role": role, "content": content} }
	want := [][]any{
		{turn("system", "Answer with a city."), turn("user", "Capital of France?"), turn("assistant", "Paris"), turn("user", "And of Italy? Answer briefly.")},
		{turn("developer", "One word."), turn("user", "Where is the Colosseum? Answer briefly.")},
		{turn("user", "Capital of Italy? Answer briefly.")},
	}
	got := bodies()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	// Each request is matched to its row by its last turn, so the test
	// does not depend on the order the calls go out in.
	last := func(msgs []any) string {
		if len(msgs) == 0 {
			return ""
		}
		m, _ := msgs[len(msgs)-1].(map[string]any)
		s, _ := m["content"].(string)
		return s
	}
	byLast := map[string][]any{}
	for _, w := range want {
		byLast[last(w)] = w
	}
	for _, b := range got {
		msgs, _ := b["messages"].([]any)
		w, ok := byLast[last(msgs)]
		if !ok || !reflect.DeepEqual(msgs, w) {
			t.Errorf("sent messages %v, want one of %v", msgs, want)
		}
		delete(byLast, last(msgs))
	}
}

// TestImportBadConversation: a bad turn stops the import with exit 2,
// naming the line and the turn, and writes nothing.
func TestImportBadConversation(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "chats.jsonl")
	lines := `{"messages": [{"role": "user", "content": "Hi"}]}
{"messages": [{"role": "user", "content": "Hi"}, {"role": "bot", "content": "Hello"}]}
`
	if err := os.WriteFile(src, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "chats.parquet")
	res := runCLI(t, context.Background(), nil, "dataset", "import", src, "--out", out)
	if res.code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s%s", res.code, exitUsage, res.stdout, res.stderr)
	}
	for _, w := range []string{"chats.jsonl:2:", `field "messages"`, "turn 1 (0-based)", `role "bot"`} {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr does not contain %q:\n%s", w, res.stderr)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after a failed import (%v)", out, err)
	}
}
