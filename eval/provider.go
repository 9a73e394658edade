package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/eval/builtin"
	"github.com/evalgate/evalgate/records"
	openai "github.com/sashabaranov/go-openai"
)

// Request is one model call.
type Request struct {
	// Item is the eval-set row being evaluated.
	Item *records.Item
	// Messages is the rendered prompt.
	Messages []Message
	// Sample is the 0-based repeat index.
	Sample int
	// Seed, when not nil, is sent to the endpoint for reproducible sampling.
	Seed *int
	// MaxOutput bounds the answer, in bytes (run.max_output_bytes); 0 is
	// configs.DefaultMaxOutputBytes. A provider may return a longer Text
	// (the runner cuts it); the openai provider reads no more than about
	// twice this.
	MaxOutput int
}

// Response is what a successful call returned.
type Response struct {
	// Text is the model's output; untrusted.
	Text string
	// PromptTokens and CompletionTokens are the usage the endpoint reported
	// (0 when it reported none).
	PromptTokens     int
	CompletionTokens int
	// Model is the model name the endpoint says answered.
	Model string
	// Confidence is the geometric mean of the output tokens' probabilities,
	// in (0, 1], when the endpoint returned logprobs; otherwise 0.
	Confidence float64
	// LatencyMS is the call's latency in milliseconds as the provider
	// knows it (replay: the log's latency_ms); 0 when it does not, and the
	// runner then records the wall time of the call.
	LatencyMS float64
	// Truncated is true when the answer was cut to Request.MaxOutput.
	Truncated bool
}

// Provider answers model calls. Implementations must be safe for concurrent
// use.
type Provider interface {
	// Complete makes one call. Errors should be *CallError.
	Complete(ctx context.Context, req Request) (Response, error)
	// Close releases what the provider holds (for builtin, its server).
	Close() error
}

// CallError is a failed call, classified.
type CallError struct {
	// Kind classifies the failure: "http_<status>" for an HTTP error status,
	// "timeout", "canceled", "connection", "truncated_response" (the body
	// ended early), "bad_response" (not the JSON expected), "no_output",
	// "output_too_large" (the response is larger than run.max_output_bytes
	// allows even with its answer cut; not retried).
	Kind string
	// Status is the HTTP status, or 0 when no response arrived.
	Status int
	// Msg is the error message with secrets scrubbed.
	Msg string
	// RetryAfter is how long the server asked us to wait before trying
	// again (Retry-After or x-ratelimit-reset-*); 0 when it did not say.
	RetryAfter time.Duration
}

func (e *CallError) Error() string { return e.Msg }

// ErrMissingKey is returned by NewProvider when the API key variable a model
// names is not set.
var ErrMissingKey = errors.New("API key environment variable is not set")

// missingKeyError names the unset variable, never a value.
type missingKeyError struct{ role, name string }

func (e *missingKeyError) Error() string {
	return fmt.Sprintf("%s: environment variable %s is not set: export the API key in it, or set %s.api_key_env to \"none\" for an endpoint that needs no key", e.role, e.name, e.role)
}

func (e *missingKeyError) Is(target error) bool { return target == ErrMissingKey }

// NewProvider returns the provider that m describes. getenv looks up the API
// key variable (os.Getenv in production; tests pass their own). An unknown
// builtin name or a missing key variable is an error that names it, never
// its value.
func NewProvider(role string, m configs.Model, getenv func(string) string) (Provider, error) {
	switch {
	case m.Provider == "replay":
		return replayProvider{}, nil
	case m.Provider == "openai":
		key := ""
		if m.APIKeyEnv != "none" {
			key = getenv(m.APIKeyEnv)
			if key == "" {
				return nil, &missingKeyError{role: role, name: m.APIKeyEnv}
			}
		}
		if err := checkRequest(role, m); err != nil {
			return nil, err
		}
		return newOpenAI(m, m.BaseURL, key, nil), nil
	case strings.HasPrefix(m.Provider, "builtin:"):
		name := strings.TrimPrefix(m.Provider, "builtin:")
		if _, err := builtin.Lookup(name); err != nil {
			return nil, fmt.Errorf("%s.provider: %w", role, err)
		}
		url, shutdown, err := builtin.Serve(context.Background())
		if err != nil {
			return nil, fmt.Errorf("start builtin model server: %w", err)
		}
		return newOpenAI(m, url, "", shutdown), nil
	}
	return nil, fmt.Errorf("%s.provider %q is unknown: use openai, replay or builtin:<name>", role, m.Provider)
}

// replayProvider answers with the output recorded in the eval set, the
// model_version that produced it and its recorded latency_ms.
type replayProvider struct{}

func (replayProvider) Complete(_ context.Context, req Request) (Response, error) {
	if req.Item.Output == "" {
		return Response{}, &CallError{Kind: "no_output", Msg: fmt.Sprintf("item %q has no recorded output to replay", req.Item.ID)}
	}
	return Response{Text: req.Item.Output, Model: req.Item.ModelVersion, LatencyMS: req.Item.LatencyMS}, nil
}

func (replayProvider) Close() error { return nil }

// openaiProvider calls an OpenAI-compatible chat completions endpoint.
type openaiProvider struct {
	client    *openai.Client
	transport *http.Transport
	model     configs.Model
	secrets   secrets
	close     func()
}

// newOpenAI returns a provider calling the endpoint at baseURL with key. A
// query string in baseURL (an api-key parameter, say) is sent with every
// request rather than pasted before the request's path.
func newOpenAI(m configs.Model, baseURL, key string, closeFn func()) *openaiProvider {
	cfg := openai.DefaultConfig(key)
	base, query, _ := strings.Cut(baseURL, "?")
	cfg.BaseURL = strings.TrimRight(base, "/")
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
	}
	cfg.HTTPClient = &http.Client{Transport: headerTransport{next: limitTransport{next: transport}, query: query}}
	return &openaiProvider{client: openai.NewClientWithConfig(cfg), transport: transport, model: m, secrets: newSecrets(baseURL, key), close: closeFn}
}

func (p *openaiProvider) Close() error {
	// Close our idle connections first: a server shutting down waits up to
	// 5 s for connections that never carried a request.
	p.transport.CloseIdleConnections()
	if p.close != nil {
		p.close()
	}
	return nil
}

func (p *openaiProvider) Complete(ctx context.Context, req Request) (Response, error) {
	msgs := make([]openai.ChatCompletionMessage, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	creq := chatRequest(p.model, msgs)
	if req.Seed != nil {
		creq.Seed = req.Seed
	}
	ctx, sink := withHeaderSink(ctx)
	ctx, limit := withBodyLimit(ctx, req.MaxOutput)
	resp, err := p.client.CreateChatCompletion(ctx, creq)
	if err != nil {
		ce := p.classify(ctx, err)
		ce.RetryAfter = retryHint(sink.get(), time.Now())
		return Response{}, ce
	}
	if len(resp.Choices) == 0 {
		return Response{}, &CallError{Kind: "bad_response", Msg: "response has no choices"}
	}
	return Response{
		Text:             p.secrets.response(resp.Choices[0].Message.Content),
		PromptTokens:     resp.Usage.PromptTokens,
		CompletionTokens: resp.Usage.CompletionTokens,
		Model:            p.secrets.response(resp.Model),
		Confidence:       confidence(resp.Choices[0].LogProbs),
		Truncated:        limit.truncated.Load(),
	}, nil
}

// chatRequest is the request m's settings make of msgs. max_tokens is not
// sent when max_completion_tokens is (reasoning models reject it).
func chatRequest(m configs.Model, msgs []openai.ChatCompletionMessage) openai.ChatCompletionRequest {
	creq := openai.ChatCompletionRequest{
		Model:               m.Model,
		Messages:            msgs,
		Temperature:         float32(m.Temperature),
		MaxTokens:           m.MaxTokens,
		MaxCompletionTokens: m.MaxCompletionTokens,
		ReasoningEffort:     m.ReasoningEffort,
		Verbosity:           m.Verbosity,
		Seed:                m.Seed,
		LogProbs:            m.Logprobs,
	}
	if creq.MaxCompletionTokens > 0 {
		creq.MaxTokens = 0
	}
	return creq
}

// checkRequest refuses settings that go-openai would refuse on every call
// for a model it knows as a reasoning model (o1*, o3*, o4*, gpt-5* and the
// GPT-6 names): max_tokens, logprobs, a temperature other than 0 or 1, a
// reasoning_effort the model does not take. The error names the key to
// change.
func checkRequest(role string, m configs.Model) error {
	err := openai.NewReasoningValidator().Validate(chatRequest(m, nil))
	if err == nil {
		return nil
	}
	fix := "change the model's request settings"
	switch {
	case errors.Is(err, openai.ErrReasoningModelMaxTokensDeprecated):
		fix = fmt.Sprintf("set %s.max_completion_tokens instead of max_tokens (max_tokens defaults to 256 without it)", role)
	case errors.Is(err, openai.ErrReasoningModelLimitationsLogprobs):
		fix = fmt.Sprintf("set %s.logprobs: false", role)
	case errors.Is(err, openai.ErrReasoningModelLimitationsOther), errors.Is(err, openai.ErrReasoningSamplingUnsupported):
		fix = fmt.Sprintf("set %s.temperature to 0 (not sent) and %s.logprobs to false", role, role)
	case errors.Is(err, openai.ErrReasoningEffortUnsupported):
		fix = fmt.Sprintf("change or remove %s.reasoning_effort", role)
	}
	return fmt.Errorf("%s.model %q: %w: %s", role, m.Model, err, fix)
}

// confidence is exp of the mean token log-probability: the geometric mean
// of the tokens' probabilities. It is 0 (not measured) without logprobs,
// and ignores tokens whose logprob is not a finite non-positive number.
func confidence(lp *openai.LogProbs) float64 {
	if lp == nil {
		return 0
	}
	sum, n := 0.0, 0
	for _, t := range lp.Content {
		if t.LogProb <= 0 && !math.IsInf(t.LogProb, -1) && !math.IsNaN(t.LogProb) {
			sum += t.LogProb
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return math.Exp(sum / float64(n))
}

// classify turns a client error into a CallError with secrets scrubbed.
func (p *openaiProvider) classify(ctx context.Context, err error) *CallError {
	msg := p.secrets.message(err.Error())
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	switch {
	case errors.Is(err, errOutputTooLarge):
		return &CallError{Kind: "output_too_large", Msg: msg}
	case errors.As(err, &apiErr):
		return &CallError{Kind: fmt.Sprintf("http_%d", apiErr.HTTPStatusCode), Status: apiErr.HTTPStatusCode, Msg: msg}
	case errors.As(err, &reqErr):
		return &CallError{Kind: fmt.Sprintf("http_%d", reqErr.HTTPStatusCode), Status: reqErr.HTTPStatusCode, Msg: msg}
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return &CallError{Kind: "timeout", Msg: msg}
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return &CallError{Kind: "canceled", Msg: msg}
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The body ended early: a truncated JSON document or a connection
		// closed mid-response.
		return &CallError{Kind: "truncated_response", Msg: msg}
	case errors.As(err, &netErr) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, io.EOF):
		return &CallError{Kind: "connection", Msg: msg}
	}
	return &CallError{Kind: "bad_response", Msg: msg}
}
