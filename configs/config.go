package configs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/evalgate/evalgate/inputfile"
	"go.yaml.in/yaml/v3"
)

// Config is a whole evalgate configuration. The zero value is not useful;
// build one with Load or Parse, which apply the defaults documented on each
// field.
type Config struct {
	// Dataset names the eval set to replay.
	Dataset Dataset `yaml:"dataset"`
	// Candidate is the model version that asks to be promoted.
	Candidate Model `yaml:"candidate"`
	// Production is the model version in production. Optional: without it
	// there is no regression comparison and regression.* gate rules are not
	// evaluated.
	Production *Model `yaml:"production"`
	// Prompt renders each eval-set row into chat messages.
	Prompt Prompt `yaml:"prompt"`
	// Run controls how the model calls are made and where outputs go.
	Run Run `yaml:"run"`
	// Scoring chooses how an output is judged correct.
	Scoring Scoring `yaml:"scoring"`
	// Fairness names the group columns to break accuracy down by.
	Fairness Fairness `yaml:"fairness"`
	// Groundedness checks outputs against the row's context.
	Groundedness Groundedness `yaml:"groundedness"`
	// Boundaries are rules no output may break.
	Boundaries Boundaries `yaml:"boundaries"`
	// Review routes uncertain or failing answers to people.
	Review Review `yaml:"review"`
	// PII detects and optionally redacts personal data.
	PII PII `yaml:"pii"`
	// Drift sets the thresholds of evalgate drift.
	Drift Drift `yaml:"drift"`
	// Card holds what evalgate card writes on a model card beside the
	// measurements: intended use, out-of-scope use, limitations, owners.
	Card Card `yaml:"card"`
	// Gate lists the rules that must all pass for the verdict to be ALLOW.
	// A gate with no rule on the report's metrics gives the verdict NONE;
	// evalgate run and score refuse it unless given --no-gate.
	Gate []Rule `yaml:"gate"`

	// Path is the file the config was read from ("" when parsed from bytes).
	Path string `yaml:"-"`
	// SHA256 is the lowercase hex SHA-256 of the config file's bytes.
	SHA256 string `yaml:"-"`
}

// Dataset identifies the eval set.
type Dataset struct {
	// Path is the Parquet eval set. A relative path is resolved against the
	// directory of the config file; an s3://bucket/key URL is read from
	// object storage (see package objstore). Required.
	Path string `yaml:"path"`
	// SHA256, when set, pins the dataset: a file whose SHA-256 differs is an
	// error. Lowercase or uppercase hex, 64 digits.
	SHA256 string `yaml:"sha256"`
	// Columns maps eval-set columns (id, input, system, context,
	// expected, expected_any, task, must_not_contain, output,
	// model_version) to the file's column names, so that a Parquet file
	// written by pandas or Hugging Face (question, answer, …) runs without
	// conversion. Empty: the file's names are the eval-set names. Nothing
	// is mapped automatically here (`evalgate dataset import` does that).
	Columns map[string]string `yaml:"columns"`
}

// DatasetColumns are the eval-set columns dataset.columns may map, as
// datasets.ResolveMapping accepts them.
var DatasetColumns = []string{"id", "input", "system", "context", "expected", "expected_any",
	"task", "must_not_contain", "output", "model_version", "messages"}

// Model describes one model endpoint.
type Model struct {
	// Provider is "openai" (any OpenAI-compatible endpoint), "replay" (the
	// outputs recorded in the eval set's output column), or
	// "builtin:<name>" (a small model served in-process; see
	// `evalgate run --help`). Required.
	Provider string `yaml:"provider"`
	// Model is the model name sent to the endpoint (for example
	// "gpt-4o-mini"). For builtin providers it defaults to the builtin name.
	Model string `yaml:"model"`
	// Version is a free-form identity recorded in the report (for example a
	// release tag or model registry version). Defaults to Model.
	Version string `yaml:"version"`
	// BaseURL is the endpoint's base URL, ending in /v1 for most servers.
	// Default for provider openai: https://api.openai.com/v1.
	BaseURL string `yaml:"base_url"`
	// APIKeyEnv is the name of the environment variable holding the API
	// key. The key itself is never written in a config. Default for provider
	// openai: OPENAI_API_KEY. Leave it empty for local servers that need no
	// key (vLLM, Ollama, llama.cpp) by setting it to "none".
	APIKeyEnv string `yaml:"api_key_env"`
	// Temperature is the sampling temperature, 0 to 2. Default 0.
	Temperature float64 `yaml:"temperature"`
	// MaxTokens caps the completion length in tokens; 0 leaves it to the
	// endpoint. Default 256, unless MaxCompletionTokens is set: then 0, and
	// max_tokens is not sent. Setting both is an error.
	MaxTokens int `yaml:"max_tokens"`
	// MaxCompletionTokens caps the completion in tokens, reasoning tokens
	// included, and is sent as max_completion_tokens instead of
	// max_tokens, which o1/o3-class reasoning models reject. 0 (the
	// default) sends max_tokens as before.
	MaxCompletionTokens int `yaml:"max_completion_tokens"`
	// ReasoningEffort is sent as reasoning_effort to reasoning models:
	// one of ReasoningEfforts. Empty (the default) sends none.
	ReasoningEffort string `yaml:"reasoning_effort"`
	// Verbosity is sent as verbosity (gpt-5-class models): low, medium or
	// high. Empty (the default) sends none.
	Verbosity string `yaml:"verbosity"`
	// Seed, when set, is sent to endpoints that support reproducible
	// sampling; sample i of an item is sent Seed+i. With repeats above 1 and
	// no seed, sample i is sent seed i.
	Seed *int `yaml:"seed"`
	// Prices, when set, turn token counts into a cost in the report.
	Prices *Prices `yaml:"prices"`
	// ArtifactSHA256, when set, is the SHA-256 of the model artifact
	// (weights, or a registry manifest) in lowercase hex; a signed report
	// names it as a subject, so the verdict is bound to those exact bytes.
	ArtifactSHA256 string `yaml:"artifact_sha256"`
	// Logprobs asks the endpoint for token log-probabilities; the answer's
	// confidence (geometric mean of token probabilities) goes in the
	// results. Default false.
	Logprobs bool `yaml:"logprobs"`
}

// Prices are a model's list prices, in any one currency per million tokens.
type Prices struct {
	// InputPerMTok is the price of a million prompt tokens, at least 0.
	InputPerMTok float64 `yaml:"input_per_mtok"`
	// OutputPerMTok is the price of a million completion tokens, at least 0.
	OutputPerMTok float64 `yaml:"output_per_mtok"`
	// Currency labels the amounts in reports, for example "USD". Default USD.
	Currency string `yaml:"currency"`
}

// Prompt renders rows into chat messages with Go text/template. The template
// data is the row: .ID, .Input, .System, .Context ([]string), .Expected,
// .Task and .Extra (map of other string columns).
type Prompt struct {
	// System is the system message template. When empty, the row's system
	// column is used, if any.
	System string `yaml:"system"`
	// Template is the user message template. Default: "{{.Input}}".
	Template string `yaml:"template"`
}

// Run controls the model calls.
type Run struct {
	// Concurrency is the number of requests in flight at once, 1 to 1024.
	// Default 4.
	Concurrency int `yaml:"concurrency"`
	// Repeats samples each item this many times, 1 to 100. Default 1.
	Repeats int `yaml:"repeats"`
	// Timeout bounds each request. Default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// Out is the directory results and reports are written to. A relative
	// path is resolved against the working directory; an s3://bucket/prefix
	// is object storage (the run writes a local staging folder and
	// publishes it there). Default "evalgate-out".
	Out string `yaml:"out"`
	// Checkpoint is how often a run whose Out is in object storage uploads
	// its journals while it runs, so that a run killed without warning
	// loses at most this much work. 0 (unset) means 60s. Not used for a
	// local Out.
	Checkpoint time.Duration `yaml:"checkpoint"`
	// Deadline bounds the whole run; when it passes, the run stops, writes
	// what it has and reports INCOMPLETE. 0 means no deadline. Default 0.
	Deadline time.Duration `yaml:"deadline"`
	// RPM caps requests per minute to each model; 0 means no cap. Default 0.
	RPM float64 `yaml:"rpm"`
	// TPM caps tokens per minute to each model, estimated before each call
	// from the prompt length (4 characters a token) plus max_tokens and
	// corrected from the reported usage after it; 0 means no cap. Default 0.
	TPM float64 `yaml:"tpm"`
	// Adaptive halves the concurrency on every 429 and raises it by one after
	// each run of successes, up to Concurrency. The report records how it
	// moved. Default false.
	Adaptive bool `yaml:"adaptive"`
	// MaxRetries is how many times a transient failure (408, 409, 429, 5xx,
	// timeout, reset connection, invalid JSON) is retried, 0 to 100.
	// Default 6.
	MaxRetries *int `yaml:"max_retries"`
	// BackoffBase and BackoffMax shape the exponential backoff with full
	// jitter: retry n waits a random time up to min(BackoffMax,
	// BackoffBase·2ⁿ), or what Retry-After asks if that is longer.
	// Defaults 500ms and 30s.
	BackoffBase time.Duration `yaml:"backoff_base"`
	BackoffMax  time.Duration `yaml:"backoff_max"`
	// MaxErrorRate trips the circuit breaker: when more than this share of
	// the last ErrorWindow attempts failed (429s excluded: they are
	// throttling, handled by backoff), the run stops sending requests and
	// reports INCOMPLETE. In (0, 1]; 1 disables it. Default 0.5.
	MaxErrorRate float64 `yaml:"max_error_rate"`
	// ErrorWindow is the number of most recent attempts the breaker looks
	// at, at least 1. Default 20.
	ErrorWindow int `yaml:"error_window"`
	// Grace is how long an interrupted run (SIGINT, SIGTERM) waits for calls
	// in flight before abandoning them. Default 10s.
	Grace time.Duration `yaml:"grace"`
	// Cache is how the response cache is used: "read-write" (answer calls
	// made before and store new answers), "read-only" (answer from it,
	// store nothing), "refresh" (make every call, store the answers) or
	// "off" (neither; as `evalgate run --no-cache`). Default read-write.
	// For compatibility any other value is a directory, as CacheDir, used
	// read-write; Load moves it to CacheDir.
	Cache string `yaml:"cache"`
	// CacheDir is the response cache directory, shared across runs; a
	// leading ~/ is the home directory. Entries are keyed by provider,
	// endpoint, model, every request parameter, the messages sent, the
	// sample and the model artifact's digest. Default: evalgate under the
	// user cache directory ($XDG_CACHE_HOME or ~/.cache).
	CacheDir string `yaml:"cache_dir"`
	// MaxOutputBytes caps a model's answer, in bytes: a longer answer is
	// cut at a UTF-8 boundary before it is stored anywhere (results,
	// journal, cache) and marked truncated, and a response that is still
	// larger than 2×MaxOutputBytes + 1 MiB once its strings are cut fails
	// the call ("output_too_large", not retried). 1 KiB to 64 MiB; 0 (or
	// unset) is the default, 1 MiB.
	MaxOutputBytes int `yaml:"max_output_bytes"`
	// ReviewsDir is a folder of signed review records (evalgate review
	// import) that run and score count on reports of the same eval set,
	// as --reviews does; ReviewsKey lists the reviewers' public key files
	// that verify them, as --reviews-key does. They go together; the
	// flags, when given, replace both. Relative paths are resolved
	// against the config file's folder. Default: none.
	ReviewsDir string   `yaml:"reviews_dir"`
	ReviewsKey []string `yaml:"reviews_key"`
}

// DefaultMaxOutputBytes is Run.MaxOutputBytes when the config leaves it
// unset or 0: 1 MiB.
const DefaultMaxOutputBytes = 1 << 20

// Response cache modes accepted by Run.Cache.
const (
	CacheReadWrite = "read-write"
	CacheReadOnly  = "read-only"
	CacheRefresh   = "refresh"
	CacheOff       = "off"
)

// isCacheMode reports whether s names a response cache mode.
func isCacheMode(s string) bool {
	switch s {
	case CacheReadWrite, CacheReadOnly, CacheRefresh, CacheOff:
		return true
	}
	return false
}

// Scoring chooses how outputs are judged.
type Scoring struct {
	// Method decides whether an output is correct and so defines
	// "accuracy": exact, normalized (case, whitespace, punctuation and
	// articles ignored), contains (the normalized reference appears in the
	// normalized output) or f1 (token F1 at least F1Threshold). Every method
	// accepts any of expected and expected_any. Default normalized.
	Method string `yaml:"method"`
	// F1Threshold is the token F1 at or above which an output counts as
	// correct under method f1, in (0, 1]. Default 0.5.
	F1Threshold float64 `yaml:"f1_threshold"`
	// Confidence is the level of every interval, in (0, 1). Default 0.95.
	Confidence float64 `yaml:"confidence"`
	// PositiveLabel, for classification sets, is the label counted as a
	// positive decision: with it, fairness reports selection rate, TPR, FPR
	// and FNR per group. Default: none.
	PositiveLabel string `yaml:"positive_label"`
	// Resamples is the number of bootstrap resamples behind the regression
	// delta's interval, 100 to 1,000,000. Default 2000.
	Resamples int `yaml:"resamples"`
	// Seed seeds the bootstrap; the report records it. Default 1.
	Seed *uint64 `yaml:"seed"`
}

// Fairness configures the per-group breakdown.
type Fairness struct {
	// Groups are eval-set string columns to break accuracy down by.
	Groups []string `yaml:"groups"`
	// MinGroupSize is the smallest group, in items, that takes part in the
	// gaps, ratios and tests; smaller groups are shown with a warning.
	// Default 30.
	MinGroupSize int `yaml:"min_group_size"`
	// MinRateDenominator is the smallest number of actual positives (for
	// TPR and FNR) or actual negatives (for FPR) a group needs for that
	// rate to take part in its gap, ratio and test; a rate below it is
	// shown and flagged. Default: MinGroupSize.
	MinRateDenominator int `yaml:"min_rate_denominator"`
	// Intersections lists combinations of group columns to break accuracy
	// down by as well, such as [gender, age_band]. Default: none.
	Intersections [][]string `yaml:"intersections"`
}

// Rule is one gate rule: the metric at path Metric must be at least Min
// and/or at most Max.
type Rule struct {
	// Metric is a metric path in the report, such as "accuracy",
	// "accuracy.ci_low" or "fairness.accuracy.gap". `evalgate gate
	// --list-metrics` prints every path.
	Metric string `yaml:"metric"`
	// Min is the smallest passing value, inclusive.
	Min *float64 `yaml:"min"`
	// Max is the largest passing value, inclusive.
	Max *float64 `yaml:"max"`
	// Optional rules whose metric cannot be computed pass as "not
	// evaluated" instead of blocking.
	Optional bool `yaml:"optional"`
	// Description is a human reason shown beside the rule in reports.
	Description string `yaml:"description"`
}

// Scoring methods accepted by Scoring.Method.
const (
	MethodExact      = "exact"
	MethodNormalized = "normalized"
	MethodContains   = "contains"
	MethodF1         = "f1"
	// MethodLabel is classification: the output, normalized, must equal the
	// expected label; the report adds a confusion matrix and per-class
	// precision, recall and F1.
	MethodLabel = "label"
)

// Methods lists the scoring methods in report order.
func Methods() []string {
	return []string{MethodExact, MethodNormalized, MethodContains, MethodF1}
}

// Error is a problem in a config file, with its position when known.
type Error struct {
	File string // the config file, "" when parsed from bytes
	Line int    // 1-based; 0 when not tied to a line
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(displayName(e.File))
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one config, in file order.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

func displayName(file string) string {
	if file == "" {
		return "config"
	}
	return file
}

// Load reads, defaults and validates the config at path. Every problem it can
// find is returned at once, as Errors.
func Load(path string) (*Config, error) {
	data, err := inputfile.Read(path, "config", inputfile.MaxConfig)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for bytes already read; file names them in messages and
// anchors relative dataset paths.
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "config is empty"}
		}
		return nil, &Error{File: file, Line: yamlErrorLine(err), Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if root.Kind == 0 {
		return nil, &Error{File: file, Msg: "config is empty"}
	}
	// A second document would be ignored by the decoding below: a stricter
	// gate appended after "---" must not be silently dropped.
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, &Error{File: file, Line: yamlErrorLine(err), Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	default:
		return nil, &Error{File: file, Line: next.Line, Msg: "a config is one YAML document, but a second one starts here; merge the documents into one"}
	}
	// Report unknown keys together with value errors, so that one edit can
	// fix everything; decoding ignores the unknown keys.
	var keyErrs Errors
	checkKeys(file, &root, typeOfConfig, "", &keyErrs)
	cfg := &Config{}
	if err := root.Decode(cfg); err != nil {
		return nil, append(keyErrs, &Error{File: file, Line: yamlErrorLine(err), Msg: strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	sum := sha256.Sum256(data)
	cfg.SHA256 = hex.EncodeToString(sum[:])
	cfg.Path = file
	cfg.applyDefaults()
	errs := append(keyErrs, cfg.validate(&root)...)
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	return cfg, nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscanf(m[1], "%d", &n)
	return n
}

func (c *Config) applyDefaults() {
	defaultModel(&c.Candidate)
	if c.Production != nil {
		defaultModel(c.Production)
	}
	if c.Prompt.Template == "" {
		c.Prompt.Template = "{{.Input}}"
	}
	if c.Run.Concurrency == 0 {
		c.Run.Concurrency = 4
	}
	if c.Run.Repeats == 0 {
		c.Run.Repeats = 1
	}
	if c.Run.Timeout == 0 {
		c.Run.Timeout = 60 * time.Second
	}
	if c.Run.Out == "" {
		c.Run.Out = "evalgate-out"
	}
	if c.Run.MaxRetries == nil {
		six := 6
		c.Run.MaxRetries = &six
	}
	if c.Run.BackoffBase == 0 {
		c.Run.BackoffBase = 500 * time.Millisecond
	}
	if c.Run.BackoffMax == 0 {
		c.Run.BackoffMax = 30 * time.Second
	}
	if c.Run.MaxErrorRate == 0 {
		c.Run.MaxErrorRate = 0.5
	}
	if c.Run.ErrorWindow == 0 {
		c.Run.ErrorWindow = 20
	}
	if c.Run.Grace == 0 {
		c.Run.Grace = 10 * time.Second
	}
	if c.Run.MaxOutputBytes == 0 {
		c.Run.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if c.Run.Cache != "" && !isCacheMode(c.Run.Cache) && c.Run.CacheDir == "" {
		// run.cache: DIR, as before run.cache_dir existed.
		c.Run.Cache, c.Run.CacheDir = CacheReadWrite, c.Run.Cache
	}
	if c.Run.Cache == "" {
		c.Run.Cache = CacheReadWrite
	}
	if c.Scoring.Method == "" {
		c.Scoring.Method = MethodNormalized
	}
	if c.Scoring.F1Threshold == 0 {
		c.Scoring.F1Threshold = 0.5
	}
	if c.Scoring.Confidence == 0 {
		c.Scoring.Confidence = 0.95
	}
	if c.Scoring.Resamples == 0 {
		c.Scoring.Resamples = 2000
	}
	if c.Scoring.Seed == nil {
		one := uint64(1)
		c.Scoring.Seed = &one
	}
	if c.Fairness.MinGroupSize == 0 {
		c.Fairness.MinGroupSize = 30
	}
	if c.Fairness.MinRateDenominator == 0 {
		c.Fairness.MinRateDenominator = c.Fairness.MinGroupSize
	}
	for i, r := range c.Gate {
		c.Gate[i].Metric = CanonicalMetric(r.Metric)
	}
	c.defaultIntegrity()
}

func defaultModel(m *Model) {
	if name, ok := strings.CutPrefix(m.Provider, "builtin:"); ok && m.Model == "" {
		m.Model = name
	}
	if m.Provider == "openai" {
		if m.BaseURL == "" {
			m.BaseURL = "https://api.openai.com/v1"
		}
		if m.APIKeyEnv == "" {
			m.APIKeyEnv = "OPENAI_API_KEY"
		}
	}
	if m.Provider == "replay" && m.Model == "" {
		m.Model = "replay"
	}
	if m.Version == "" {
		m.Version = m.Model
	}
	if m.MaxTokens == 0 && m.MaxCompletionTokens == 0 {
		m.MaxTokens = 256
	}
}

// ReasoningEfforts are the values of a model's reasoning_effort, as the
// chat completions API takes them; which a model accepts depends on the
// model.
var ReasoningEfforts = []string{"none", "minimal", "low", "medium", "high", "xhigh", "max"}

// Verbosities are the values of a model's verbosity.
var Verbosities = []string{"low", "medium", "high"}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate checks values; each message is anchored at the line of the key
// it names (found in root), or of the nearest parent present in the file.
func (c *Config) validate(root *yaml.Node) Errors {
	var errs Errors
	bad := func(path string, format string, args ...any) {
		errs = append(errs, &Error{File: c.Path, Line: lineOf(root, path), Msg: fmt.Sprintf(format, args...)})
	}
	if c.Dataset.Path == "" {
		bad("dataset.path", "dataset.path is required")
	}
	if s := c.Dataset.SHA256; s != "" {
		if _, err := hex.DecodeString(s); err != nil || len(s) != 64 {
			bad("dataset.sha256", "dataset.sha256 must be 64 hex digits, got %q", s)
		}
	}
	colKeys := make([]string, 0, len(c.Dataset.Columns))
	for k := range c.Dataset.Columns {
		colKeys = append(colKeys, k)
	}
	sort.Strings(colKeys)
	for _, k := range colKeys {
		switch {
		case !slices.Contains(DatasetColumns, k):
			bad("dataset.columns."+k, "dataset.columns: %q is not an eval-set column (want one of %s)", k, strings.Join(DatasetColumns, ", "))
		case c.Dataset.Columns[k] == "":
			bad("dataset.columns."+k, "dataset.columns.%s: empty column name", k)
		}
	}
	c.validateModel("candidate", &c.Candidate, bad)
	c.Card.validate(bad)
	if c.Production != nil {
		c.validateModel("production", c.Production, bad)
	}
	if c.Run.Concurrency < 1 || c.Run.Concurrency > 1024 {
		bad("run.concurrency", "run.concurrency must be 1 to 1024, got %d", c.Run.Concurrency)
	}
	if c.Run.Repeats < 1 || c.Run.Repeats > 100 {
		bad("run.repeats", "run.repeats must be 1 to 100, got %d", c.Run.Repeats)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"run.timeout", c.Run.Timeout}, {"run.deadline", c.Run.Deadline}, {"run.backoff_base", c.Run.BackoffBase}, {"run.backoff_max", c.Run.BackoffMax}, {"run.grace", c.Run.Grace}, {"run.checkpoint", c.Run.Checkpoint}} {
		if d.v < 0 {
			bad(d.key, "%s must not be negative, got %s", d.key, d.v)
		}
	}
	if c.Run.RPM < 0 || c.Run.TPM < 0 {
		bad("run", "run.rpm and run.tpm must not be negative")
	}
	if r := *c.Run.MaxRetries; r < 0 || r > 100 {
		bad("run.max_retries", "run.max_retries must be 0 to 100, got %d", r)
	}
	if r := c.Run.MaxErrorRate; !(r > 0 && r <= 1) {
		bad("run.max_error_rate", "run.max_error_rate must be in (0, 1], got %g", r)
	}
	if c.Run.ErrorWindow < 1 {
		bad("run.error_window", "run.error_window must be at least 1, got %d", c.Run.ErrorWindow)
	}
	if m := c.Run.MaxOutputBytes; m < 1<<10 || m > 64<<20 {
		bad("run.max_output_bytes", "run.max_output_bytes must be 1024 to 67108864 (1 KiB to 64 MiB), got %d", m)
	}
	if (c.Run.ReviewsDir == "") != (len(c.Run.ReviewsKey) == 0) {
		bad("run", "run.reviews_dir and run.reviews_key go together: the records and the reviewers' public keys that verify them")
	}
	if slices.Contains(c.Run.ReviewsKey, "") {
		bad("run.reviews_key", "run.reviews_key: empty file name")
	}
	if !isCacheMode(c.Run.Cache) {
		bad("run.cache", "run.cache must be read-write, read-only, refresh or off when run.cache_dir is set, got %q", c.Run.Cache)
	}
	switch c.Scoring.Method {
	case MethodExact, MethodNormalized, MethodContains, MethodF1, MethodLabel:
	default:
		bad("scoring.method", "scoring.method must be one of %s, label, got %q", strings.Join(Methods(), ", "), c.Scoring.Method)
	}
	if r := c.Scoring.Resamples; r < 100 || r > 1_000_000 {
		bad("scoring.resamples", "scoring.resamples must be 100 to 1000000, got %d", r)
	}
	for i, combo := range c.Fairness.Intersections {
		if len(combo) < 2 {
			bad(fmt.Sprintf("fairness.intersections.%d", i), "fairness.intersections entry %d needs at least two columns", i+1)
		}
		for _, col := range combo {
			if !slices.Contains(c.Fairness.Groups, col) {
				bad(fmt.Sprintf("fairness.intersections.%d", i), "fairness.intersections entry %d names %q, which is not in fairness.groups", i+1, col)
			}
		}
	}
	if t := c.Scoring.F1Threshold; !(t > 0 && t <= 1) {
		bad("scoring.f1_threshold", "scoring.f1_threshold must be in (0, 1], got %g", t)
	}
	if l := c.Scoring.Confidence; !(l > 0 && l < 1) {
		bad("scoring.confidence", "scoring.confidence must be in (0, 1), got %g", l)
	}
	if c.Fairness.MinGroupSize < 1 {
		bad("fairness.min_group_size", "fairness.min_group_size must be at least 1, got %d", c.Fairness.MinGroupSize)
	}
	if c.Fairness.MinRateDenominator < 1 {
		bad("fairness.min_rate_denominator", "fairness.min_rate_denominator must be at least 1, got %d", c.Fairness.MinRateDenominator)
	}
	seen := map[string]bool{}
	for _, g := range c.Fairness.Groups {
		if g == "" {
			bad("fairness.groups", "fairness.groups has an empty column name")
		}
		if seen[g] {
			bad("fairness.groups", "fairness.groups names %q twice", g)
		}
		seen[g] = true
	}
	c.validateIntegrity(bad)
	for i, r := range c.Gate {
		at := fmt.Sprintf("gate.%d", i)
		switch {
		case r.Metric == "":
			bad(at, "gate rule %d has no metric", i+1)
		case r.Min == nil && r.Max == nil:
			bad(at, "gate rule %d (%s) needs min or max", i+1, r.Metric)
		case r.Min != nil && r.Max != nil && *r.Min > *r.Max:
			bad(at, "gate rule %d (%s): min %g is above max %g", i+1, r.Metric, *r.Min, *r.Max)
		}
		for _, v := range []*float64{r.Min, r.Max} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				bad(at, "gate rule %d (%s): threshold must be a finite number", i+1, r.Metric)
			}
		}
	}
	return errs
}

func (c *Config) validateModel(role string, m *Model, bad func(string, string, ...any)) {
	switch {
	case m.Provider == "":
		bad(role+".provider", "%s.provider is required (openai, replay or builtin:<name>)", role)
	case m.Provider == "openai", m.Provider == "replay":
	case strings.HasPrefix(m.Provider, "builtin:") && len(m.Provider) > len("builtin:"):
	default:
		bad(role+".provider", "%s.provider %q is unknown: use openai, replay or builtin:<name>", role, m.Provider)
	}
	if a := m.ArtifactSHA256; a != "" {
		if _, err := hex.DecodeString(a); err != nil || len(a) != 64 {
			bad(role+".artifact_sha256", "%s.artifact_sha256 must be 64 hex digits", role)
		}
	}
	if m.Provider == "openai" {
		if m.Model == "" {
			bad(role, "%s.model is required for provider openai", role)
		}
		if m.APIKeyEnv != "none" && !envNameRE.MatchString(m.APIKeyEnv) {
			bad(role+".api_key_env", "%s.api_key_env must be an environment variable name, not a key", role)
		}
	}
	if t := m.Temperature; t < 0 || t > 2 {
		bad(role+".temperature", "%s.temperature must be 0 to 2, got %g", role, t)
	}
	if m.MaxTokens < 0 {
		bad(role+".max_tokens", "%s.max_tokens must not be negative, got %d", role, m.MaxTokens)
	}
	if m.MaxCompletionTokens < 0 {
		bad(role+".max_completion_tokens", "%s.max_completion_tokens must not be negative, got %d", role, m.MaxCompletionTokens)
	}
	if m.MaxCompletionTokens > 0 && m.MaxTokens > 0 {
		bad(role+".max_tokens", "%s: set max_tokens or max_completion_tokens, not both (reasoning models reject max_tokens; max_completion_tokens replaces it)", role)
	}
	if e := m.ReasoningEffort; e != "" && !slices.Contains(ReasoningEfforts, e) {
		bad(role+".reasoning_effort", "%s.reasoning_effort %q is unknown: use one of %s", role, e, strings.Join(ReasoningEfforts, ", "))
	}
	if v := m.Verbosity; v != "" && !slices.Contains(Verbosities, v) {
		bad(role+".verbosity", "%s.verbosity %q is unknown: use one of %s", role, v, strings.Join(Verbosities, ", "))
	}
	if p := m.Prices; p != nil {
		if p.InputPerMTok < 0 || p.OutputPerMTok < 0 {
			bad(role+".prices", "%s.prices must not be negative", role)
		}
		if p.Currency == "" {
			p.Currency = "USD"
		}
	}
}

// IsObjectURL reports whether p names an object in object storage
// (s3://bucket/key), which is never resolved against the config's
// folder nor looked for on the local disk.
func IsObjectURL(p string) bool { return strings.HasPrefix(p, "s3://") }

// DatasetPath returns the dataset path, resolved against the config file's
// directory when relative; an s3:// URL is returned as it is.
func (c *Config) DatasetPath() string {
	return c.resolve(c.Dataset.Path)
}

// ReviewsDirPath is Run.ReviewsDir resolved against the config's
// folder.
func (c *Config) ReviewsDirPath() string { return c.resolve(c.Run.ReviewsDir) }

// ReviewsKeyPaths are the files of Run.ReviewsKey, resolved against the
// config's folder.
func (c *Config) ReviewsKeyPaths() []string {
	var out []string
	for _, p := range c.Run.ReviewsKey {
		out = append(out, c.resolve(p))
	}
	return out
}

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Path == "" || IsObjectURL(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

// CheckDigest returns an error when the config pins a dataset digest that
// differs from sha256 (lowercase hex).
func (c *Config) CheckDigest(sha string) error {
	pin := strings.ToLower(c.Dataset.SHA256)
	if pin == "" || pin == sha {
		return nil
	}
	return &Error{File: c.Path, Msg: fmt.Sprintf("dataset %s has SHA-256 %s, but dataset.sha256 pins %s", c.DatasetPath(), sha, pin)}
}

// IntersectionASCII is the ASCII spelling of the "×" that joins the columns
// of an intersection in a fairness metric path: a gate rule may name
// fairness.gender*age_band.tpr.gap for fairness.gender×age_band.tpr.gap.
const IntersectionASCII = "*"

// CanonicalMetric returns a gate rule's metric path as reports name it:
// in a fairness.<column>.… path, IntersectionASCII becomes "×".
func CanonicalMetric(path string) string {
	rest, ok := strings.CutPrefix(path, "fairness.")
	if !ok {
		return path
	}
	col, tail, found := strings.Cut(rest, ".")
	if !found {
		return path
	}
	return "fairness." + strings.ReplaceAll(col, IntersectionASCII, "×") + "." + tail
}
