package builtin

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzComplete feeds arbitrary request bodies to the chat completion
// handler's core: it must never panic, must answer every request either
// with a response or with a 4xx error, and must answer alike twice.
func FuzzComplete(f *testing.F) {
	for _, seed := range []string{
		`{"model": "extractive", "messages": [{"role": "user", "content": "Context:\n- Refunds take 5 days.\n\nQuestion: how long do refunds take?"}]}`,
		`{"model": "extractive-v1", "max_tokens": 2, "n": 2, "stop": ["5"], "messages": [{"role": "system", "content": "A. B! C?"}, {"role": "user", "content": "b"}]}`,
		`{"model": "extractive-v2", "messages": [{"role": "user", "content": [{"type": "text", "text": "Question: x"}]}]}`,
		`{"model": "nope", "messages": []}`,
		`{"model": "extractive", "messages": [{"role": "user", "content": null}], "stop": null}`,
		`not json`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, rerr := complete(body)
		if (resp == nil) == (rerr == nil) {
			t.Fatalf("complete returned %v and %v", resp, rerr)
		}
		if rerr != nil {
			if rerr.status < 400 || rerr.status >= 500 || rerr.msg == "" || rerr.code == "" {
				t.Fatalf("bad error %+v", rerr)
			}
			return
		}
		if len(resp.Choices) == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
			t.Fatalf("bad response %+v", resp)
		}
		for _, c := range resp.Choices {
			if c.FinishReason != "stop" && c.FinishReason != "length" {
				t.Fatalf("finish reason %q", c.FinishReason)
			}
			if utf8.Valid(body) && !utf8.ValidString(c.Message.Content) {
				t.Fatalf("invalid UTF-8 answer %q", c.Message.Content)
			}
		}
		again, _ := complete(body)
		if again == nil || again.ID != resp.ID || again.Choices[0].Message.Content != resp.Choices[0].Message.Content {
			t.Fatalf("second call differs")
		}
	})
}

func TestCompleteStatus(t *testing.T) {
	_, rerr := complete([]byte(`{"model": "x", "messages": [{"role": "user", "content": "hi"}]}`))
	if rerr == nil || rerr.status != http.StatusNotFound || !strings.Contains(rerr.msg, "extractive-v1") {
		t.Errorf("unknown model: %+v", rerr)
	}
}
