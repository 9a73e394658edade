package eval

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

func TestTruncateUTF8(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
		cut  bool
	}{
		{"short", "abc", 5, "abc", false},
		{"exact", "abc", 3, "abc", false},
		{"ascii", "abcdef", 4, "abcd", true},
		{"inside a two-byte rune", "aéé", 2, "a", true},
		{"after a two-byte rune", "aéé", 3, "aé", true},
		{"inside a four-byte rune", "ab😀c", 4, "ab", true},
		{"inside a three-byte rune", "€€", 5, "€", true},
		{"no limit", "abc", 0, "abc", false},
		{"invalid UTF-8 is cut at n", "a\x80\x80\x80\x80\x80", 3, "a\x80\x80", true},
		{"a rune ending at n", "ab€c", 5, "ab€", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := TruncateUTF8(tt.s, tt.n)
			if got != tt.want || cut != tt.cut {
				t.Errorf("TruncateUTF8(%q, %d) = %q, %v; want %q, %v", tt.s, tt.n, got, cut, tt.want, tt.cut)
			}
		})
	}
}

// chatBody is a chat completion response whose content is content, as
// JSON would encode it.
func chatBody(content string) string {
	c, _ := json.Marshal(content)
	return `{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":` +
		string(c) + `},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5}}`
}

func TestOutputLimit(t *testing.T) {
	const maxOut = 1024
	tests := []struct {
		name      string
		body      string
		wantText  string // "" : check only the length and validity
		truncated bool
		kind      string
		status    int
	}{
		{"short answer", chatBody("hello"), "hello", false, "", 0},
		{"at the cap", chatBody(strings.Repeat("a", maxOut)), strings.Repeat("a", maxOut), false, "", 0},
		{"long answer is cut", chatBody(strings.Repeat("a", 10*maxOut)), strings.Repeat("a", maxOut), true, "", 0},
		{"cut at a character", chatBody("a" + strings.Repeat("é", maxOut)), "", true, "", 0},
		{"cut at an escape", chatBody(strings.Repeat("\"\n\u00e9\u2028", maxOut)), "", true, "", 0},
		{"body too large even cut", `{"choices":[{"message":{"content":"x"}}],"pad":[` + strings.Repeat(`"a",`, 300_000) + `"a"]}`, "", false, "output_too_large", 0},
		{"error body too large keeps its status", `{"error":{"message":"slow down"},"pad":[` + strings.Repeat(`"a",`, 300_000) + `"a"]}`, "", false, "http_429", 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				w.Header().Set("Content-Type", "application/json")
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			p := newOpenAI(configs.Model{Provider: "openai", Model: "m"}, srv.URL, "k", nil)
			defer p.Close()
			req := Request{Messages: []Message{{Role: "user", Content: "q"}}, MaxOutput: maxOut}
			resp, err := p.Complete(context.Background(), req)
			if tt.kind != "" {
				var ce *CallError
				if !errors.As(err, &ce) || ce.Kind != tt.kind || Retryable(ce) != (tt.status != 0) {
					t.Fatalf("err = %.200v, want a %s (retried: %v)", err, tt.kind, tt.status != 0)
				}
				if len(ce.Msg) > 2<<20 {
					t.Errorf("error message is %d bytes", len(ce.Msg))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Truncated != tt.truncated {
				t.Errorf("Truncated = %v, want %v", resp.Truncated, tt.truncated)
			}
			if tt.wantText != "" && resp.Text != tt.wantText {
				t.Errorf("Text is %d bytes, want %d", len(resp.Text), len(tt.wantText))
			}
			if len(resp.Text) > maxOut+utf8.UTFMax || !utf8.ValidString(resp.Text) {
				t.Errorf("Text is %d bytes (valid UTF-8 %v), want at most about %d", len(resp.Text), utf8.ValidString(resp.Text), maxOut)
			}
			if resp.PromptTokens != 3 || resp.CompletionTokens != 5 {
				t.Errorf("usage %d/%d lost after the cut answer", resp.PromptTokens, resp.CompletionTokens)
			}
			if calls != 1 {
				t.Errorf("%d calls, want 1", calls)
			}
		})
	}
}

// TestRunnerCutsLongAnswers checks that the runner cuts an answer longer
// than MaxOutput (here a replayed one) at a character, marks its result
// truncated and leaves a short one alone.
func TestRunnerCutsLongAnswers(t *testing.T) {
	prompt, _ := NewPrompt("", "{{.Input}}")
	long := strings.Repeat("ü", 3000) // 6000 bytes
	tests := []struct {
		name      string
		maxOutput int
		want      int // bytes of the long answer kept
	}{
		{"cap", 1025, 1024},
		{"default cap is larger", 0, len(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{Provider: replayProvider{}, Prompt: prompt, Concurrency: 1, Repeats: 1, MaxOutput: tt.maxOutput}
			got, err := r.Run(context.Background(), &sliceSource{items: []records.Item{
				{ID: "long", Input: "x", Output: long}, {ID: "short", Input: "x", Output: "ok"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || len(got[0].Output) != tt.want || got[0].Truncated != (tt.want < len(long)) ||
				!utf8.ValidString(got[0].Output) || got[1].Output != "ok" || got[1].Truncated {
				t.Errorf("long: %d bytes, truncated %v; short: %q, truncated %v", len(got[0].Output), got[0].Truncated, got[1].Output, got[1].Truncated)
			}
		})
	}
}
