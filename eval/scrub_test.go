package eval

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSecretsMessage(t *testing.T) {
	s := newSecrets("http://user:pa55w0rd@h/v1?api-key=QUERYSECRET&api-version=1", key)
	for _, tt := range []struct{ name, in, want string }{
		{"key", "Incorrect API key provided: " + key, "Incorrect API key provided: [REDACTED]"},
		{"url", `Post "http://user:***@h/v1/chat/completions?api-key=QUERYSECRET&api-version=1": EOF`, `Post "http://h/v1/chat/completions?api-key=[REDACTED]&api-version=1": EOF`},
		{"password alone", "login pa55w0rd failed", "login [REDACTED] failed"},
		{"escaped value", "got ?token=a%2Bb", "got ?token=[REDACTED]"},
		{"nothing", "status 500", "status 500"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.message(tt.in); got != tt.want {
				t.Errorf("message(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSecretsResponse(t *testing.T) {
	s := newSecrets("http://u:pw@h/v1?key=QUERYSECRET", key)
	for _, tt := range []struct{ name, in, want string }{
		{"echoed key", "your key is " + key, "your key is [REDACTED]"},
		{"echoed query secret", "QUERYSECRET!", "[REDACTED]!"},
		{"short password left alone", "pw is short", "pw is short"},
		{"key-shaped but not ours", "sk-someoneelse1234567890", "sk-someoneelse1234567890"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.response(tt.in); got != tt.want {
				t.Errorf("response(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestBaseURLQueryAndEcho checks that a base URL's query string reaches
// the endpoint as a query string, and that an answer echoing the key and
// that query's secret comes back scrubbed.
func TestBaseURLQueryAndEcho(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/v1/chat/completions" || r.URL.Query().Get("api-key") != "QUERYSECRET" {
			http.Error(w, fmt.Sprintf(`{"error":{"message":"no route %s?%s"}}`, r.URL.Path, r.URL.RawQuery), http.StatusBadRequest)
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"echo %s %s"},"finish_reason":"stop"}]}`, key, r.URL.Query().Get("api-key"))
		return true
	})
	m := openaiModel(srv.URL)
	m.BaseURL += "?api-key=QUERYSECRET"
	resp, err := call(t, m, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "echo [REDACTED] [REDACTED]" {
		t.Errorf("answer %q, want the key and the query secret scrubbed", resp.Text)
	}
	if strings.Contains(resp.Text, "QUERYSECRET") || strings.Contains(resp.Text, key) {
		t.Error("a secret reached the answer")
	}
}
