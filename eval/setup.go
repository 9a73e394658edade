package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

// Setup is one model's part of a run, as a config describes it.
type Setup struct {
	// Role names the model in messages and file names ("candidate",
	// "production").
	Role string
	// Model and Run are the config's settings.
	Model configs.Model
	Run   configs.Run
	// Provider answers the calls and Prompt renders them.
	Provider Provider
	Prompt   *Prompt
	// Prompts are the config's prompt templates, part of the fingerprint.
	Prompts configs.Prompt
	// Groups are copied into results.
	Groups []string
	// DatasetSHA256 ties the journal to the eval set.
	DatasetSHA256 string
	// OutDir holds the journal, journal-<role>.jsonl.
	OutDir string
	// Cache, when not nil, is shared by every model of the run.
	Cache *Cache
	// Resume requires an earlier journal of the same calls.
	Resume bool
	// Score and Progress are passed to the Runner.
	Score    func(item *records.Item, output string) map[string]float64
	Progress func(records.RunStats)
	// Ground is passed to the Runner.
	Ground func(item *records.Item, output string) *records.Groundedness
	// Redact and RedactPrompts are passed to the Runner (pii.redact and
	// pii.redact_prompts); whether they are set is part of the fingerprint,
	// so a redacted journal never resumes an unredacted run or back.
	Redact        func(string) string
	RedactPrompts bool
	// Secrets are every endpoint's secrets, passed to the Runner.
	Secrets *RunSecrets
	// Shard, when not empty, names the part of the eval set the calls
	// cover ("3/8", run --shard): part of the fingerprint, so that a
	// shard never resumes another shard's journal or a whole run's. Empty
	// for a whole run, whose fingerprint it leaves as it was.
	Shard string
}

// JournalPath is where s's journal lives.
func (s Setup) JournalPath() string {
	return filepath.Join(s.OutDir, "journal-"+s.Role+".jsonl")
}

// Fingerprint identifies the calls s makes, with the identity the cache
// keys them by: the dataset, the provider kind, the endpoint (normalized
// base URL), the model name, version and artifact digest, the request
// parameters (the reasoning models' ones included), the prompt templates,
// the repeats, the redaction flags and the shard. The dataset digest covers each
// row's input and conversation, so a changed conversation is a changed
// call and never resumes from the journal.
// A journal of another fingerprint is never resumed. Scoring and gate
// settings are not in it, so changing them re-uses every call.
func (s Setup) Fingerprint() string {
	b, _ := json.Marshal(struct {
		V                                 int
		Dataset, Provider, Model, BaseURL string
		Version, ArtifactSHA256           string
		Temperature                       float64
		MaxTokens                         int
		Seed                              *int
		System, Template                  string
		Repeats                           int
		Logprobs, Redact, RedactPrompts   bool   `json:",omitempty"`
		MaxCompletionTokens               int    `json:",omitempty"`
		ReasoningEffort, Verbosity        string `json:",omitempty"`
		Shard                             string `json:",omitempty"`
	}{2, s.DatasetSHA256, s.Model.Provider, s.Model.Model, NormalizeBaseURL(s.Model.BaseURL), s.Model.Version, s.Model.ArtifactSHA256,
		s.Model.Temperature, s.Model.MaxTokens, s.Model.Seed,
		s.Prompts.System, s.Prompts.Template, s.Run.Repeats, s.Model.Logprobs, s.Redact != nil, s.RedactPrompts,
		s.Model.MaxCompletionTokens, s.Model.ReasoningEffort, s.Model.Verbosity, s.Shard})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Runner opens the journal (reading back what an earlier run completed) and
// returns a Runner wired with the config's limits. The caller closes
// Runner.Journal.
func (s Setup) Runner() (*Runner, Recovered, error) {
	j, rec, err := OpenJournal(s.JournalPath(), s.Fingerprint(), s.Resume)
	if err != nil {
		return nil, rec, fmt.Errorf("%s: %w", s.Role, err)
	}
	r := &Runner{
		Provider:    s.Provider,
		Prompt:      s.Prompt,
		Model:       s.Model.Version,
		Concurrency: s.Run.Concurrency,
		Repeats:     s.Run.Repeats,
		Timeout:     s.Run.Timeout,
		Groups:      s.Groups,
		Score:       s.Score,
		Ground:      s.Ground,
		Progress:    s.Progress,
		Params: Params{
			Provider: s.Model.Provider, BaseURL: s.Model.BaseURL, Version: s.Model.Version, ArtifactSHA256: s.Model.ArtifactSHA256,
			Model: s.Model.Model, Temperature: s.Model.Temperature, MaxTokens: s.Model.MaxTokens, Seed: s.Model.Seed, Logprobs: s.Model.Logprobs,
			MaxCompletionTokens: s.Model.MaxCompletionTokens, ReasoningEffort: s.Model.ReasoningEffort, Verbosity: s.Model.Verbosity,
		},
		MaxRetries:  *s.Run.MaxRetries,
		BackoffBase: s.Run.BackoffBase,
		BackoffMax:  s.Run.BackoffMax,
		Breaker:     NewBreaker(s.Run.ErrorWindow, s.Run.MaxErrorRate),
		Probe:       s.Model.Provider == "openai", // an endpoint that may reject the key or the model
		Cache:       s.Cache,
		Journal:     j,
		Done:        rec.Done,
		Grace:       s.Run.Grace,
		MaxOutput:   s.Run.MaxOutputBytes,

		Redact:        s.Redact,
		RedactPrompts: s.RedactPrompts,
		Secrets:       s.Secrets,

		// A replayed answer is identified by the log's model_version.
		ModelFromProvider: s.Model.Provider == "replay",
	}
	if s.Run.RPM > 0 || s.Run.TPM > 0 {
		r.Throttle = NewThrottle(s.Run.RPM, s.Run.TPM)
	}
	if s.Run.Adaptive {
		r.Adaptive = NewAdaptive(s.Run.Concurrency)
	}
	return r, rec, nil
}

// Estimate is what a run would send, worked out without sending it.
type Estimate struct {
	// Calls is items × repeats.
	Calls int64
	// PromptTokens estimates the prompt tokens of every call, at 4
	// characters a token; CompletionTokens bounds the completions by
	// maxTokens, the model's max_tokens or max_completion_tokens (0 when
	// it is 0).
	PromptTokens, CompletionTokens int64
	// First is the first item's rendered prompt.
	First []Message
	// FirstID is that item's id.
	FirstID string
}

// EstimateRun renders every item's prompt (so that a template that fails
// on some row fails now, naming the row) and estimates the calls and
// tokens of a run.
func EstimateRun(src Source, prompt *Prompt, repeats, maxTokens int) (Estimate, error) {
	var est Estimate
	for src.Scan() {
		item := src.Item()
		msgs, err := prompt.Render(&item)
		if err != nil {
			return est, fmt.Errorf("row %d: %w", item.Row, err)
		}
		if est.First == nil {
			est.First, est.FirstID = msgs, item.ID
		}
		chars := 0
		for _, m := range msgs {
			chars += len(m.Content)
		}
		est.Calls += int64(repeats)
		est.PromptTokens += int64(repeats) * int64((chars+3)/4)
		est.CompletionTokens += int64(repeats) * int64(maxTokens)
	}
	return est, src.Err()
}
