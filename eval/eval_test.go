package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

func TestPrompt(t *testing.T) {
	item := &records.Item{ID: "q1", Input: "How long?", System: "row system", Context: []string{"a", "b"}, Extra: map[string]string{"tier": "gold"}}
	tests := []struct {
		name, system, user string
		want               []Message
		wantErr            string
	}{
		{"defaults to the row's system", "", "{{.Input}}", []Message{{"system", "row system"}, {"user", "How long?"}}, ""},
		{"template system", "tier {{.Extra.tier}}", "{{range .Context}}[{{.}}]{{end}} {{.Input}}", []Message{{"system", "tier gold"}, {"user", "[a][b] How long?"}}, ""},
		{"misspelled field", "", "{{.Inptu}}", nil, "Inptu"},
		{"field that does not exist lists the fields", "", "{{.Question}}", nil, "prompt.template: {{.Question}}: an eval-set row has no field Question; the fields are .Row .ID .Input .System .Context .Expected"},
		{"system field that does not exist", "{{.Persona}}", "{{.Input}}", nil, "parse prompt.system: {{.Persona}}"},
		{"bad syntax", "", "{{.Input", nil, "prompt.template"},
		{"field no empty row reaches, inside an if", "", "{{if .Extra.tier}}{{.Question}}{{end}}", nil, "parse prompt.template: {{.Question}}: an eval-set row has no field Question; the fields are .Row .ID .Input"},
		{"field in an else branch", "", "{{with .Context}}{{.}}{{else}}{{.Pasages}}{{end}}", nil, "{{.Pasages}}: an eval-set row has no field Pasages"},
		{"$ field inside range", "", "{{range .Context}}{{$.Qestion}}{{end}}", nil, "{{.Qestion}}: an eval-set row has no field Qestion"},
		{"row field through $ inside range", "", "{{range .Context}}[{{.}} {{$.Extra.tier}}]{{end}} {{.Input}}", []Message{{"system", "row system"}, {"user", "[a gold][b gold] How long?"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPrompt(tt.system, tt.user)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Render(item)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPromptCheck checks that Check fails where a template reads an
// .Extra column the item does not have (which Render renders empty),
// naming the item and the columns it has.
func TestPromptCheck(t *testing.T) {
	item := &records.Item{ID: "q7", Input: "How long?", Extra: map[string]string{"tier": "gold", "region": ""}}
	tests := []struct {
		name, system, user string
		wantErr            string // "" for none
	}{
		{"known column", "", "{{.Input}} {{.Extra.tier}}", ""},
		{"null column is known", "", "{{.Extra.region}}", ""},
		{"unknown column", "", "{{.Extra.segment}}", `render prompt.template for item "q7"`},
		{"unknown column lists the columns", "", "{{.Extra.segment}}", "region, tier"},
		{"unknown column in the system template", "{{.Extra.persona}}", "{{.Input}}", `render prompt.system for item "q7"`},
		{"field of a range element names the item and explains the dot", "", "{{range .Extra}}{{.Tier}}{{end}}", `render prompt.template for item "q7": {{.Tier}} reads a field of a string, which has none: inside {{range}} or {{with}} the dot is the element, not the row (write $.Tier for the row's field); the row's fields are .Row .ID .Input`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPrompt(tt.system, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Check(item)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if _, err := p.Render(item); err != nil && !strings.Contains(tt.user, "range") {
				t.Errorf("Render: %v; it renders a missing column as empty", err)
			}
		})
	}
}

const key = "sk-test-abcdefghijklmnopqrstuvwxyz"

// server answers chat completions like the OpenAI API, or with the status
// and body that respond returns when it returns a status.
func server(t *testing.T, respond func(w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+key {
			t.Errorf("Authorization header %q", got)
		}
		if respond != nil && respond(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c","object":"chat.completion","created":1,"model":"m-2024","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func openaiModel(url string) configs.Model {
	return configs.Model{Provider: "openai", Model: "m", BaseURL: url + "/v1", APIKeyEnv: "K", MaxTokens: 16}
}

func getenv(k string) string {
	if k == "K" {
		return key
	}
	return ""
}

func call(t *testing.T, m configs.Model, timeout time.Duration) (Response, error) {
	t.Helper()
	p, err := NewProvider("candidate", m, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Complete(ctx, Request{Item: &records.Item{ID: "q"}, Messages: []Message{{"user", "hi"}}})
}

func TestOpenAIProvider(t *testing.T) {
	srv := server(t, nil)
	resp, err := call(t, openaiModel(srv.URL), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "hello" || resp.PromptTokens != 7 || resp.CompletionTokens != 2 || resp.Model != "m-2024" {
		t.Errorf("got %+v", resp)
	}
}

func TestOpenAIProviderErrors(t *testing.T) {
	status := func(code int, body string) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprint(w, body)
			return true
		}
	}
	apiErr := func(msg string) string {
		return fmt.Sprintf(`{"error":{"message":%q,"type":"invalid_request_error","code":null}}`, msg)
	}
	tests := []struct {
		name     string
		respond  func(http.ResponseWriter, *http.Request) bool
		kind     string
		status   int
		contains string
	}{
		{"400", status(400, apiErr("bad max_tokens")), "http_400", 400, "bad max_tokens"},
		{"401 echoing the key", status(401, apiErr("Incorrect API key provided: "+key)), "http_401", 401, "[REDACTED]"},
		{"404", status(404, apiErr("model m does not exist")), "http_404", 404, "does not exist"},
		{"429", status(429, apiErr("Rate limit reached")), "http_429", 429, "Rate limit"},
		{"500", status(500, apiErr("server error")), "http_500", 500, "server error"},
		{"502 with html", status(502, "<html>Bad Gateway</html>"), "http_502", 502, "502"},
		{"truncated json", status(200, `{"id":"c","choices":[{"mess`), "truncated_response", 0, ""},
		{"invalid json", status(200, `{"id": nope}`), "bad_response", 0, ""},
		{"no choices", status(200, `{"id":"c","object":"chat.completion","choices":[]}`), "bad_response", 0, "no choices"},
		{"hang past the timeout", func(w http.ResponseWriter, r *http.Request) bool {
			// Read the body so the server notices the client going away,
			// and bound the wait so that a broken client cannot hang the test.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return true
		}, "timeout", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := server(t, tt.respond)
			_, err := call(t, openaiModel(srv.URL), 300*time.Millisecond)
			var ce *CallError
			if !errors.As(err, &ce) {
				t.Fatalf("err %v (%T), want *CallError", err, err)
			}
			if ce.Kind != tt.kind || ce.Status != tt.status {
				t.Errorf("kind %q status %d, want %q %d (%s)", ce.Kind, ce.Status, tt.kind, tt.status, ce.Msg)
			}
			if !strings.Contains(ce.Msg, tt.contains) {
				t.Errorf("message %q lacks %q", ce.Msg, tt.contains)
			}
			if strings.Contains(ce.Msg, key) {
				t.Errorf("message %q contains the API key", ce.Msg)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	_, err = call(t, openaiModel(url), 5*time.Second)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Kind != "connection" {
		t.Errorf("err %v, want a connection CallError", err)
	}
}

func TestNewProvider(t *testing.T) {
	tests := []struct {
		name    string
		m       configs.Model
		wantErr string
	}{
		{"missing key", configs.Model{Provider: "openai", Model: "m", APIKeyEnv: "UNSET_VAR"}, "UNSET_VAR is not set"},
		{"no key needed", configs.Model{Provider: "openai", Model: "m", APIKeyEnv: "none", BaseURL: "http://127.0.0.1:1/v1"}, ""},
		{"unknown builtin", configs.Model{Provider: "builtin:nope"}, "nope"},
		{"builtin", configs.Model{Provider: "builtin:extractive-v1", Model: "extractive-v1"}, ""},
		{"replay", configs.Model{Provider: "replay"}, ""},
		{"unknown provider", configs.Model{Provider: "carrier-pigeon"}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewProvider("candidate", tt.m, getenv)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				p.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestBuiltinThroughClient(t *testing.T) {
	p, err := NewProvider("candidate", configs.Model{Provider: "builtin:extractive-v2", Model: "extractive-v2", MaxTokens: 256}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	msg := "Context:\n- Refunds are issued within 30 days of purchase. Shipping is free over $50.\n\nQuestion: How long do refunds take?"
	resp, err := p.Complete(context.Background(), Request{Item: &records.Item{ID: "q"}, Messages: []Message{{"user", msg}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Text, "30 days") || resp.PromptTokens == 0 || resp.Model != "extractive-v2" {
		t.Errorf("got %+v", resp)
	}
}

func TestScrub(t *testing.T) {
	tests := []struct{ in, key, want string }{
		{"key sk-abcdef123456 leaked", "", "key [REDACTED] leaked"},
		{"Authorization: Bearer abc.def.ghi-jkl", "", "Authorization: [REDACTED]"},
		{"token=mysecretvalue", "mysecretvalue", "token=[REDACTED]"},
		{"nothing here", "", "nothing here"},
	}
	for _, tt := range tests {
		if got := Scrub(tt.in, tt.key); got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// sliceSource is a Source over items in memory.
type sliceSource struct {
	items []records.Item
	i     int
	err   error
}

func (s *sliceSource) Scan() bool {
	if s.i >= len(s.items) {
		return false
	}
	s.i++
	return true
}
func (s *sliceSource) Item() records.Item { return s.items[s.i-1] }
func (s *sliceSource) Err() error         { return s.err }

// countingProvider answers with the item's input, failing items whose input
// is "fail", and records the most calls ever in flight at once.
type countingProvider struct {
	inFlight, peak atomic.Int64
	delay          time.Duration
}

func (p *countingProvider) Complete(ctx context.Context, req Request) (Response, error) {
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
		return Response{}, &CallError{Kind: "canceled", Msg: ctx.Err().Error()}
	}
	if req.Item.Input == "fail" {
		return Response{}, &CallError{Kind: "http_500", Status: 500, Msg: "boom"}
	}
	return Response{Text: fmt.Sprintf("%s#%d", req.Item.Input, req.Sample), PromptTokens: 1}, nil
}
func (p *countingProvider) Close() error { return nil }

func items(n int) []records.Item {
	out := make([]records.Item, n)
	for i := range out {
		out[i] = records.Item{ID: fmt.Sprintf("q%03d", i), Input: fmt.Sprintf("in%d", i), Extra: map[string]string{"g": fmt.Sprint(i % 2)}}
	}
	return out
}

func TestRunner(t *testing.T) {
	its := items(50)
	its[7].Input = "fail"
	prov := &countingProvider{delay: time.Millisecond}
	prompt, _ := NewPrompt("", "{{.Input}}")
	var calls atomic.Int64
	r := &Runner{Provider: prov, Prompt: prompt, Model: "m", Concurrency: 3, Repeats: 2, Groups: []string{"g"},
		Score: func(item *records.Item, out string) map[string]float64 {
			return map[string]float64{"len": float64(len(out))}
		},
		Progress: func(records.RunStats) { calls.Add(1) }}
	results, err := r.Run(context.Background(), &sliceSource{items: its})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 100 {
		t.Fatalf("got %d results, want 100", len(results))
	}
	for i, res := range results {
		item := its[i/2]
		if res.ID != item.ID || res.Sample != i%2 || res.Groups["g"] != item.Extra["g"] {
			t.Fatalf("result %d is %s#%d (group %q), want %s#%d in order", i, res.ID, res.Sample, res.Groups["g"], item.ID, i%2)
		}
		if item.Input == "fail" {
			if res.ErrorKind != "http_500" || res.Output != "" || res.Scores["len"] != 0 {
				t.Errorf("failed call gave %+v", res)
			}
			continue
		}
		if want := fmt.Sprintf("%s#%d", item.Input, i%2); res.Output != want || res.Error != "" {
			t.Errorf("result %d output %q error %q, want %q", i, res.Output, res.Error, want)
		}
	}
	if p := prov.peak.Load(); p > 3 {
		t.Errorf("%d calls in flight at once, want at most 3", p)
	}
	if st := r.Stats(); st.Done != 100 || st.Errors != 2 || calls.Load() != 100 {
		t.Errorf("final stats %+v after %d progress calls, want 100 done, 2 errors, 100 calls", st, calls.Load())
	}
}

func TestRunnerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	prov := &countingProvider{delay: 5 * time.Millisecond}
	prompt, _ := NewPrompt("", "{{.Input}}")
	var done atomic.Int64
	r := &Runner{Provider: prov, Prompt: prompt, Concurrency: 2, Repeats: 1, Progress: func(s records.RunStats) {
		if done.Add(1) == 10 {
			cancel()
		}
	}}
	results, err := r.Run(ctx, &sliceSource{items: items(1000)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if len(results) < 10 || len(results) > 20 {
		t.Errorf("got %d results after cancelling at 10, want the finished ones only", len(results))
	}
	for _, res := range results {
		if res.ErrorKind == "canceled" {
			t.Errorf("a cancelled call was kept as a result: %+v", res)
		}
	}
}

func TestRunnerSourceError(t *testing.T) {
	prompt, _ := NewPrompt("", "{{.Input}}")
	r := &Runner{Provider: &countingProvider{}, Prompt: prompt, Concurrency: 2, Repeats: 1}
	_, err := r.Run(context.Background(), &sliceSource{items: items(3), err: errors.New("row 3: corrupt page")})
	if err == nil || !strings.Contains(err.Error(), "corrupt page") {
		t.Errorf("err %v, want the source's error", err)
	}
}

// TestReplayRecordsTheLog checks that a replayed result carries the log's
// model_version and latency_ms, and keeps the runner's identity and wall
// time where the log has none.
func TestReplayRecordsTheLog(t *testing.T) {
	prompt, _ := NewPrompt("", "{{.Input}}")
	r := &Runner{Provider: replayProvider{}, Prompt: prompt, Model: "replay", ModelFromProvider: true, Concurrency: 2, Repeats: 1}
	src := &sliceSource{items: []records.Item{
		{ID: "a", Input: "x", Output: "one", ModelVersion: "bot@2026-09-14", LatencyMS: 123.5},
		{ID: "b", Input: "x", Output: "two"},
	}}
	got, err := r.Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Model != "bot@2026-09-14" || got[0].LatencyMS != 123.5 || got[1].Model != "replay" || got[1].LatencyMS == 123.5 {
		t.Errorf("got %+v", got)
	}
}
