package builtin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxRequestBytes bounds the size of a request body.
const maxRequestBytes = 16 << 20

// maxChoices bounds n, the number of choices one request may ask for.
const maxChoices = 128

// Handler returns an http.Handler that serves the builtin models in the
// OpenAI wire format:
//
//	POST /v1/chat/completions
//	GET  /v1/models
//	GET  /v1/models/{id}
//
// Each path is also served without the /v1 prefix. The package doc
// describes the prompt convention, the token estimate and the errors.
func Handler() http.Handler {
	mux := http.NewServeMux()
	for _, prefix := range []string{"/v1", ""} {
		mux.HandleFunc(prefix+"/chat/completions", serveChat)
		mux.HandleFunc(prefix+"/models", serveModels)
		mux.HandleFunc(prefix+"/models/{id}", serveModel)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "", "unknown_url",
			fmt.Sprintf("Unknown request URL: %s %s.", r.Method, r.URL.Path))
	})
	return mux
}

// Serve serves [Handler] on a new loopback port (127.0.0.1:0) until ctx is
// done or shutdown is called, whichever comes first. baseURL has the form
// "http://127.0.0.1:PORT/v1", ready for go-openai's ClientConfig.BaseURL.
// shutdown stops the server, waiting up to 5 s for calls in flight, and may
// be called more than once.
func Serve(ctx context.Context) (baseURL string, shutdown func(), err error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("serve builtin models: %w", err)
	}
	srv := &http.Server{Handler: Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // always http.ErrServerClosed after Shutdown or Close
	}()
	shutdown = sync.OnceFunc(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
		<-done
	})
	go func() {
		select {
		case <-ctx.Done():
			shutdown()
		case <-done:
		}
	}()
	return "http://" + ln.Addr().String() + "/v1", shutdown, nil
}

// chatRequest is the part of an OpenAI chat completion request the builtin
// models read. Other fields (temperature, seed, top_p, ...) are accepted and
// ignored: the models are deterministic.
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	N                   *int            `json:"n"`
	Stream              bool            `json:"stream"`
	Stop                json.RawMessage `json:"stop"`
	Logprobs            bool            `json:"logprobs"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type chatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   usage        `json:"usage"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      responseMessage `json:"message"`
	Logprobs     *choiceLogprobs `json:"logprobs"`
	FinishReason string          `json:"finish_reason"`
}

type responseMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// requestError is a client error, rendered in the OpenAI error envelope.
type requestError struct {
	status int
	param  string
	code   string
	msg    string
}

// Codes of 400 errors.
const (
	codeInvalidJSON  = "invalid_json"
	codeMissingParam = "missing_required_parameter"
	codeInvalidValue = "invalid_value"
	codeUnsupported  = "unsupported_value"
)

func badRequest(param, code, format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, param: param, code: code, msg: fmt.Sprintf(format, args...)}
}

func serveChat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "", "method_not_allowed",
			fmt.Sprintf("Method %s is not allowed for %s; use POST.", r.Method, r.URL.Path))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "", "request_too_large",
				fmt.Sprintf("The request body is larger than %d bytes.", maxRequestBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "invalid_body", "Could not read the request body.")
		return
	}
	resp, rerr := complete(body)
	if rerr != nil {
		writeError(w, rerr.status, "invalid_request_error", rerr.param, rerr.code, rerr.msg)
		return
	}
	resp.Created = time.Now().Unix()
	writeJSON(w, http.StatusOK, resp)
}

// complete answers one chat completion request body. The response's
// Created field is left for the caller to set.
func complete(body []byte) (*chatResponse, *requestError) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, badRequest("", codeInvalidJSON, "We could not parse the JSON body of your request: %v.", err)
	}
	if req.Model == "" {
		return nil, badRequest("model", codeMissingParam, "You must provide a model parameter.")
	}
	model, err := Lookup(req.Model)
	if err != nil {
		return nil, &requestError{status: http.StatusNotFound, param: "model", code: "model_not_found",
			msg: fmt.Sprintf("The model `%s` does not exist. Builtin models are: %s.", req.Model, strings.Join(Names(), ", "))}
	}
	if len(req.Messages) == 0 {
		return nil, badRequest("messages", codeMissingParam, "'messages' must contain at least one message.")
	}
	if req.Stream {
		return nil, badRequest("stream", codeUnsupported, "Streaming is not supported by builtin models.")
	}
	n := 1
	if req.N != nil {
		n = *req.N
		if n < 1 || n > maxChoices {
			return nil, badRequest("n", codeInvalidValue, "'n' must be between 1 and %d, got %d.", maxChoices, n)
		}
	}
	maxTokens := 0 // no limit
	for _, p := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if p.v == nil {
			continue
		}
		if *p.v < 1 {
			return nil, badRequest(p.name, codeInvalidValue, "'%s' must be at least 1, got %d.", p.name, *p.v)
		}
		if maxTokens == 0 || *p.v < maxTokens {
			maxTokens = *p.v
		}
	}
	stops, err := parseStop(req.Stop)
	if err != nil {
		return nil, badRequest("stop", codeInvalidValue, "'stop' must be a string or an array of strings.")
	}
	msgs := make([]message, len(req.Messages))
	promptTokens := 0
	for i, m := range req.Messages {
		text, err := contentText(m.Content)
		if err != nil {
			return nil, badRequest(fmt.Sprintf("messages[%d].content", i), codeInvalidValue, "messages[%d].content must be a string or an array of content parts.", i)
		}
		msgs[i] = message{role: m.Role, content: text}
		promptTokens += estimateTokens(text)
	}
	question, passages, err := parsePrompt(msgs)
	if err != nil {
		return nil, badRequest("messages", codeInvalidValue, "'messages' must include a message with role 'user'.")
	}

	answer := model.Answer(question, passages)
	finish := "stop"
	for _, s := range stops {
		if i := strings.Index(answer, s); s != "" && i >= 0 {
			answer = answer[:i]
		}
	}
	if maxTokens > 0 {
		if cut, ok := truncateWords(answer, maxTokens); ok {
			answer, finish = cut, "length"
		}
	}

	sum := sha256.Sum256(append([]byte(model.Name()+"\x00"), body...))
	resp := &chatResponse{
		ID:     "chatcmpl-" + hex.EncodeToString(sum[:12]),
		Object: "chat.completion",
		Model:  model.Name(),
	}
	var lp *choiceLogprobs
	if req.Logprobs {
		lp = answerLogprobs(answer, Confidence(question, answer))
	}
	for i := range n {
		resp.Choices = append(resp.Choices, chatChoice{
			Index:        i,
			Message:      responseMessage{Role: "assistant", Content: answer},
			Logprobs:     lp,
			FinishReason: finish,
		})
	}
	completionTokens := n * estimateTokens(answer)
	resp.Usage = usage{
		PromptTokens:     promptTokens,
		CompletionTokens: completionTokens,
		TotalTokens:      promptTokens + completionTokens,
	}
	return resp, nil
}

// contentText flattens a message's content: a string, null, or an array of
// content parts whose "text" parts are joined with line breaks (other parts,
// such as images, are ignored).
func contentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	var texts []string
	for _, p := range parts {
		if p.Type == "text" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, "\n"), nil
}

// parseStop decodes the stop parameter: absent, null, a string or an array
// of strings.
func parseStop(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []string{s}, nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		return nil, err
	}
	return ss, nil
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func newModelObject(name string) modelObject {
	return modelObject{ID: name, Object: "model", OwnedBy: "evalgate"}
}

func serveModels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "", "method_not_allowed",
			fmt.Sprintf("Method %s is not allowed for %s; use GET.", r.Method, r.URL.Path))
		return
	}
	list := struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}{Object: "list"}
	for _, name := range Names() {
		list.Data = append(list.Data, newModelObject(name))
	}
	writeJSON(w, http.StatusOK, list)
}

func serveModel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "", "method_not_allowed",
			fmt.Sprintf("Method %s is not allowed for %s; use GET.", r.Method, r.URL.Path))
		return
	}
	id := r.PathValue("id")
	if _, err := Lookup(id); err != nil {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model", "model_not_found",
			fmt.Sprintf("The model `%s` does not exist. Builtin models are: %s.", id, strings.Join(Names(), ", ")))
		return
	}
	writeJSON(w, http.StatusOK, newModelObject(id))
}

// writeError writes the OpenAI error envelope. An empty param is written
// as null.
func writeError(w http.ResponseWriter, status int, typ, param, code, msg string) {
	var p any
	if param != "" {
		p = param
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"message": msg,
		"type":    typ,
		"param":   p,
		"code":    code,
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a write error means the client went away
}
