package builtin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/evalgate/evalgate/eval/builtin"
)

// quickstartMessages builds the messages of the quickstart prompt template.
func quickstartMessages(input string, passages []string) []openai.ChatCompletionMessage {
	var b strings.Builder
	b.WriteString("Answer the customer's question using only the context below.\n\nContext:\n")
	for _, p := range passages {
		b.WriteString("- " + p + "\n")
	}
	b.WriteString("\nQuestion: " + input + "\n")
	return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: b.String()}}
}

func newClient(t *testing.T) *openai.Client {
	t.Helper()
	srv := httptest.NewServer(builtin.Handler())
	t.Cleanup(srv.Close)
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL + "/v1"
	return openai.NewClientWithConfig(cfg)
}

var testPassages = []string{
	"Standard shipping takes 5 to 7 business days. Express shipping costs $14.99.",
	"You can return unused items for a full refund, and you have 30 days from delivery to start a return.",
}

func TestChatCompletion(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	tests := []struct {
		name         string
		req          openai.ChatCompletionRequest
		model        string
		content      string
		finish       openai.FinishReason
		choices      int
		promptTokens int
	}{
		{
			name: "alias resolves to v2",
			req: openai.ChatCompletionRequest{
				Model:       "extractive",
				Messages:    quickstartMessages("What does it cost to get my order faster?", testPassages),
				Temperature: 0.7,
				Seed:        new(42),
			},
			model:   "extractive-v2",
			content: "Express shipping costs $14.99.",
			finish:  openai.FinishReasonStop,
			choices: 1,
			// 54 words in the prompt: round(4·54/3) = 72.
			promptTokens: 72,
		},
		{
			name: "v1",
			req: openai.ChatCompletionRequest{
				Model:    "extractive-v1",
				Messages: quickstartMessages("What does it cost to get my order faster?", testPassages),
			},
			model:        "extractive-v1",
			content:      "Standard shipping takes 5 to 7 business days.",
			finish:       openai.FinishReasonStop,
			choices:      1,
			promptTokens: 72,
		},
		{
			name: "max_tokens truncates",
			req: openai.ChatCompletionRequest{
				Model:     "extractive-v1",
				Messages:  quickstartMessages("What does it cost to get my order faster?", testPassages),
				MaxTokens: 4,
			},
			model:        "extractive-v1",
			content:      "Standard shipping takes",
			finish:       openai.FinishReasonLength,
			choices:      1,
			promptTokens: 72,
		},
		{
			name: "max_completion_tokens truncates",
			req: openai.ChatCompletionRequest{
				Model:               "extractive-v2",
				Messages:            quickstartMessages("What does it cost to get my order faster?", testPassages),
				MaxCompletionTokens: 1,
			},
			model:        "extractive-v2",
			content:      "Express",
			finish:       openai.FinishReasonLength,
			choices:      1,
			promptTokens: 72,
		},
		{
			name: "stop sequence",
			req: openai.ChatCompletionRequest{
				Model:    "extractive-v2",
				Messages: quickstartMessages("What does it cost to get my order faster?", testPassages),
				Stop:     []string{" $"},
			},
			model:        "extractive-v2",
			content:      "Express shipping costs",
			finish:       openai.FinishReasonStop,
			choices:      1,
			promptTokens: 72,
		},
		{
			name: "n choices",
			req: openai.ChatCompletionRequest{
				Model:    "extractive-v2",
				Messages: quickstartMessages("What does it cost to get my order faster?", testPassages),
				N:        3,
			},
			model:        "extractive-v2",
			content:      "Express shipping costs $14.99.",
			finish:       openai.FinishReasonStop,
			choices:      3,
			promptTokens: 72,
		},
		{
			name: "system context without markers",
			req: openai.ChatCompletionRequest{
				Model: "extractive-v2",
				Messages: []openai.ChatCompletionMessage{
					{Role: openai.ChatMessageRoleSystem, Content: strings.Join(testPassages, "\n")},
					{Role: openai.ChatMessageRoleUser, Content: "how long have i got to start a return?"},
				},
			},
			model:        "extractive-v2",
			content:      "You have 30 days from delivery to start a return.",
			finish:       openai.FinishReasonStop,
			choices:      1,
			promptTokens: 43 + 12, // round(4·32/3) for the system message, round(4·9/3) for the user message
		},
		{
			name: "no context",
			req: openai.ChatCompletionRequest{
				Model:    "extractive-v1",
				Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Question: Hello?"}},
			},
			model:        "extractive-v1",
			content:      builtin.IDontKnow,
			finish:       openai.FinishReasonStop,
			choices:      1,
			promptTokens: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.CreateChatCompletion(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != tt.model {
				t.Errorf("model = %q, want %q", resp.Model, tt.model)
			}
			if !strings.HasPrefix(resp.ID, "chatcmpl-") || resp.Object != "chat.completion" || resp.Created == 0 {
				t.Errorf("id, object, created = %q, %q, %d", resp.ID, resp.Object, resp.Created)
			}
			if len(resp.Choices) != tt.choices {
				t.Fatalf("got %d choices, want %d", len(resp.Choices), tt.choices)
			}
			for i, c := range resp.Choices {
				if c.Index != i || c.Message.Role != openai.ChatMessageRoleAssistant || c.Message.Content != tt.content || c.FinishReason != tt.finish {
					t.Errorf("choice %d = %d %q %q %q, want %d assistant %q %q", i, c.Index, c.Message.Role, c.Message.Content, c.FinishReason, i, tt.content, tt.finish)
				}
			}
			// round(4w/3) tokens per choice of w words.
			completion := tt.choices * ((4*len(strings.Fields(tt.content)) + 1) / 3)
			want := openai.Usage{PromptTokens: tt.promptTokens, CompletionTokens: completion, TotalTokens: tt.promptTokens + completion}
			if resp.Usage.PromptTokens != want.PromptTokens || resp.Usage.CompletionTokens != want.CompletionTokens || resp.Usage.TotalTokens != want.TotalTokens {
				t.Errorf("usage = %+v, want %+v", resp.Usage, want)
			}
		})
	}
}

// TestChatCompletionDeterministic checks that the same request gets the
// same answer and id.
func TestChatCompletionDeterministic(t *testing.T) {
	client := newClient(t)
	req := openai.ChatCompletionRequest{Model: "extractive-v2", Messages: quickstartMessages("how long do returns take?", testPassages)}
	a, err := client.CreateChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.CreateChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.Choices[0].Message.Content != b.Choices[0].Message.Content {
		t.Errorf("two calls differ: %q %q, %q %q", a.ID, a.Choices[0].Message.Content, b.ID, b.Choices[0].Message.Content)
	}
}

func TestChatCompletionErrors(t *testing.T) {
	client := newClient(t)
	tests := []struct {
		name   string
		req    openai.ChatCompletionRequest
		status int
		code   any
		param  string
	}{
		{
			name:   "unknown model",
			req:    openai.ChatCompletionRequest{Model: "gpt-4o", Messages: quickstartMessages("hi?", testPassages)},
			status: http.StatusNotFound, code: "model_not_found", param: "model",
		},
		{
			name:   "no messages",
			req:    openai.ChatCompletionRequest{Model: "extractive"},
			status: http.StatusBadRequest, code: "missing_required_parameter", param: "messages",
		},
		{
			name: "no user message",
			req: openai.ChatCompletionRequest{Model: "extractive", Messages: []openai.ChatCompletionMessage{
				{Role: openai.ChatMessageRoleSystem, Content: "Refunds take 5 days."},
			}},
			status: http.StatusBadRequest, code: "invalid_value", param: "messages",
		},
		{
			name:   "negative n",
			req:    openai.ChatCompletionRequest{Model: "extractive", Messages: quickstartMessages("hi?", testPassages), N: -1},
			status: http.StatusBadRequest, code: "invalid_value", param: "n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.CreateChatCompletion(context.Background(), tt.req)
			apiErr, ok := errors.AsType[*openai.APIError](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *openai.APIError", err, err)
			}
			if apiErr.HTTPStatusCode != tt.status || apiErr.Code != tt.code || apiErr.Type != "invalid_request_error" {
				t.Errorf("status, code, type = %d, %v, %q, want %d, %v, invalid_request_error", apiErr.HTTPStatusCode, apiErr.Code, apiErr.Type, tt.status, tt.code)
			}
			if apiErr.Param == nil || *apiErr.Param != tt.param {
				t.Errorf("param = %v, want %q", apiErr.Param, tt.param)
			}
			if apiErr.Message == "" {
				t.Error("empty message")
			}
		})
	}
}

// TestRawRequests covers what the go-openai client never sends.
func TestRawRequests(t *testing.T) {
	srv := httptest.NewServer(builtin.Handler())
	defer srv.Close()
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed JSON", "POST", "/v1/chat/completions", `{"model": "extractive", "messages": [`, 400, "invalid_json"},
		{"trailing garbage", "POST", "/v1/chat/completions", `{"model": "extractive"} x`, 400, "invalid_json"},
		{"wrong content type", "POST", "/v1/chat/completions", `{"model": "extractive", "messages": [{"role": "user", "content": 5}]}`, 400, "invalid_value"},
		{"missing model", "POST", "/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}]}`, 400, "missing_required_parameter"},
		{"zero max_tokens", "POST", "/v1/chat/completions", `{"model": "extractive", "max_tokens": 0, "messages": [{"role": "user", "content": "hi"}]}`, 400, "invalid_value"},
		{"bad stop", "POST", "/v1/chat/completions", `{"model": "extractive", "stop": 3, "messages": [{"role": "user", "content": "hi"}]}`, 400, "invalid_value"},
		{"stream", "POST", "/v1/chat/completions", `{"model": "extractive", "stream": true, "messages": [{"role": "user", "content": "hi"}]}`, 400, "unsupported_value"},
		{"wrong method", "GET", "/v1/chat/completions", ``, 405, "method_not_allowed"},
		{"models wrong method", "POST", "/v1/models", `{}`, 405, "method_not_allowed"},
		{"unknown path", "POST", "/v1/completions", `{}`, 404, "unknown_url"},
		{"unknown model by id", "GET", "/v1/models/nope", ``, 404, "model_not_found"},
		{"content parts and no /v1 prefix", "POST", "/chat/completions",
			`{"model": "extractive-v1", "messages": [{"role": "user", "content": [{"type": "text", "text": "Context: Refunds take 5 days."}, {"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "Question: refunds?"}]}]}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.status == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow header")
			}
			if tt.status == 200 {
				var got struct {
					Choices []struct{ Message struct{ Content string } }
				}
				if err := json.Unmarshal(body, &got); err != nil || len(got.Choices) != 1 || got.Choices[0].Message.Content != "Refunds take 5 days." {
					t.Errorf("body %s (err %v)", body, err)
				}
				return
			}
			var env struct {
				Error *struct {
					Message string  `json:"message"`
					Type    string  `json:"type"`
					Param   *string `json:"param"`
					Code    string  `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
				t.Fatalf("body %s is not an error envelope (err %v)", body, err)
			}
			if env.Error.Type != "invalid_request_error" || env.Error.Code != tt.code || env.Error.Message == "" {
				t.Errorf("error = %+v, want type invalid_request_error, code %q", *env.Error, tt.code)
			}
		})
	}
}

func TestModels(t *testing.T) {
	client := newClient(t)
	list, err := client.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Models {
		ids = append(ids, m.ID)
		if m.Object != "model" || m.OwnedBy != "evalgate" {
			t.Errorf("model %+v", m)
		}
	}
	if want := builtin.Names(); strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("models = %q, want %q", ids, want)
	}
	m, err := client.GetModel(context.Background(), "extractive-v1")
	if err != nil || m.ID != "extractive-v1" {
		t.Errorf("GetModel = %+v, %v", m, err)
	}
	_, err = client.GetModel(context.Background(), "nope")
	if apiErr, ok := errors.AsType[*openai.APIError](err); !ok || apiErr.HTTPStatusCode != 404 {
		t.Errorf("GetModel(nope) err = %v, want 404 APIError", err)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	baseURL, shutdown, err := builtin.Serve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(baseURL, "http://127.0.0.1:") || !strings.HasSuffix(baseURL, "/v1") {
		t.Errorf("baseURL = %q", baseURL)
	}
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = baseURL
	client := openai.NewClientWithConfig(cfg)
	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:    "extractive",
		Messages: quickstartMessages("What does it cost to get my order faster?", testPassages),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Express shipping costs $14.99." {
		t.Errorf("content = %q", got)
	}
	shutdown()
	shutdown() // a second call is harmless
	if _, err := client.ListModels(ctx); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestServeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	baseURL, shutdown, err := builtin.Serve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(baseURL + "/models")
		if err != nil {
			return // closed
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still answers 5 s after its context was cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func BenchmarkHandler(b *testing.B) {
	h := builtin.Handler()
	body, err := json.Marshal(openai.ChatCompletionRequest{
		Model:    "extractive",
		Messages: quickstartMessages("how long till my parcel gets here if i pick regular delivery?", testPassages),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(string(body))))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// TestLogprobs checks that logprobs come back only when asked, one entry
// per token, with the geometric mean equal to the model's confidence.
func TestLogprobs(t *testing.T) {
	client := newClient(t)
	q := "How long does standard shipping take?"
	for _, ask := range []bool{false, true} {
		resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
			Model: "extractive-v2", Messages: quickstartMessages(q, testPassages), LogProbs: ask,
		})
		if err != nil {
			t.Fatal(err)
		}
		lp := resp.Choices[0].LogProbs
		if !ask {
			if lp != nil {
				t.Errorf("logprobs not asked, got %+v", lp)
			}
			continue
		}
		answer := resp.Choices[0].Message.Content
		if lp == nil || len(lp.Content) != len(strings.Fields(answer)) {
			t.Fatalf("answer %q: logprobs %+v", answer, lp)
		}
		sum := 0.0
		for _, tok := range lp.Content {
			sum += tok.LogProb
		}
		got := math.Exp(sum / float64(len(lp.Content)))
		if want := builtin.Confidence(q, answer); math.Abs(got-want) > 1e-9 || want <= 0.5 {
			t.Errorf("confidence %v, want %v (> 0.5 for an answer holding the question's words)", got, want)
		}
	}
}

func TestConfidence(t *testing.T) {
	tests := []struct {
		name, q, a string
		want       float64
	}{
		{"all question words", "standard shipping time", "Standard shipping time is 5 days.", 0.95},
		{"none", "refund policy", "Express shipping costs $14.99.", 0.05},
		{"half", "refund shipping", "Shipping is free.", 0.5},
		{"abstains", "refund", builtin.IDontKnow, 0.5},
		{"no content words", "what is it?", "It is.", 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := builtin.Confidence(tt.q, tt.a); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
