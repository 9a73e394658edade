package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

// Cache is a content-addressed store of model responses on disk, shared
// across runs. An entry is keyed by the SHA-256 of everything that can
// change an answer (CallKey: provider, endpoint, model, version, artifact
// digest, request parameters, messages sent, sample) and holds the response
// as the endpoint sent it, before any pii redaction, with its Origin: never
// the API key, user info, query parameters or any header. Entries are
// verified on read; a corrupt one is ignored (and counted) so that the call
// is made again and the entry rewritten. Safe for concurrent use, including
// by several processes: entries are written to a temporary file and renamed
// into place.
type Cache struct {
	dir string
	// Mode is configs.CacheReadWrite (the default when empty),
	// CacheReadOnly (Put stores nothing) or CacheRefresh (Get answers
	// nothing). Set it before the first Get or Put.
	Mode string
	// Version is the evalgate version recorded in the origin of each entry
	// written. Set it before the first Put.
	Version               string
	hits, misses, corrupt atomic.Int64
}

// NewCache returns a read-write cache in dir, creating it if needed.
func NewCache(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("response cache: %w", err)
	}
	return &Cache{dir: dir, Mode: configs.CacheReadWrite}, nil
}

// Stats returns the lookups so far.
func (c *Cache) Stats() records.CacheStats {
	return records.CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Corrupt: c.corrupt.Load()}
}

// CallKey is everything that can change the answer to one call, and so
// keys the cache.
type CallKey struct {
	// Provider is the provider kind ("openai", "builtin:<name>").
	Provider string
	// Endpoint is the base URL, normalized by NormalizeBaseURL.
	Endpoint string
	// Model is the name sent to the endpoint; Version the config's model
	// version; ArtifactSHA256 the model artifact's digest, when configured.
	Model, Version, ArtifactSHA256 string
	// Temperature, MaxTokens, Seed (as sent, per sample) and Logprobs are
	// the request parameters sent.
	Temperature float64
	MaxTokens   int
	Seed        *int
	Logprobs    bool
	// MaxCompletionTokens, ReasoningEffort and Verbosity are the reasoning
	// models' parameters; zero when not sent, and then not in the hash, so
	// that entries stored before they existed keep their keys.
	MaxCompletionTokens int
	ReasoningEffort     string
	Verbosity           string
	// Messages are the messages sent: after redaction when
	// pii.redact_prompts redacts them, since that is what was answered.
	Messages []Message
	// Sample is the 0-based repeat index.
	Sample int
	// MaxOutput is run.max_output_bytes when it is not the default, else
	// 0: an answer cut under one cap is not reused under a larger one.
	MaxOutput int
}

// Hash is the hex SHA-256 of k, the entry's name in the cache.
func (k CallKey) Hash() string {
	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	v := struct {
		V              int     `json:"v"`
		Provider       string  `json:"provider"`
		Endpoint       string  `json:"endpoint"`
		Model          string  `json:"model"`
		Version        string  `json:"version"`
		ArtifactSHA256 string  `json:"artifact_sha256"`
		Temperature    float64 `json:"temperature"`
		MaxTokens      int     `json:"max_tokens"`
		Seed           *int    `json:"seed"`
		Logprobs       bool    `json:"logprobs"`
		Messages       []msg   `json:"messages"`
		Sample         int     `json:"sample"`
		MaxOutput      int     `json:"max_output,omitempty"`
		MaxCompletion  int     `json:"max_completion_tokens,omitempty"`
		Reasoning      string  `json:"reasoning_effort,omitempty"`
		Verbosity      string  `json:"verbosity,omitempty"`
	}{V: 2, MaxOutput: k.MaxOutput, MaxCompletion: k.MaxCompletionTokens, Reasoning: k.ReasoningEffort, Verbosity: k.Verbosity, Provider: k.Provider, Endpoint: k.Endpoint, Model: k.Model, Version: k.Version, ArtifactSHA256: k.ArtifactSHA256,
		Temperature: k.Temperature, MaxTokens: k.MaxTokens, Seed: k.Seed, Logprobs: k.Logprobs, Sample: k.Sample}
	for _, m := range k.Messages {
		v.Messages = append(v.Messages, msg{m.Role, m.Content})
	}
	b, _ := json.Marshal(v) // plain strings and numbers: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// NormalizeBaseURL is the identity of an endpoint: scheme, lower-cased
// host, port (none for the scheme's default) and path without a trailing
// slash; user info, query and fragment are dropped. A string that does not
// parse as a URL with a host is returned without its trailing slashes.
func NormalizeBaseURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.TrimRight(raw, "/")
	}
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host + strings.TrimRight(u.EscapedPath(), "/")
}

// Origin is where and when a cached answer was recorded.
type Origin struct {
	// Endpoint is the normalized base URL; Provider the provider kind;
	// Model the model name sent.
	Endpoint string `json:"endpoint"`
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// Time is when the answer was stored, in UTC.
	Time time.Time `json:"time"`
	// Evalgate is the version of evalgate that stored it.
	Evalgate string `json:"evalgate"`
}

type cacheEntry struct {
	Key      string          `json:"key"`
	SHA256   string          `json:"sha256"`
	Response json.RawMessage `json:"response"`
}

type cachedResponse struct {
	Text             string  `json:"text"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	Model            string  `json:"model"`
	Confidence       float64 `json:"confidence,omitempty"`
	Origin           *Origin `json:"origin"`
	Truncated        bool    `json:"truncated,omitempty"`
}

func (c *Cache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+".json")
}

// Get returns the cached response for key and its origin. A missing entry
// is a miss; an unreadable, mismatched or corrupt one, or one without an
// origin, is counted as corrupt and reported as a miss. In refresh mode
// every lookup is a miss.
func (c *Cache) Get(key string) (Response, Origin, bool) {
	if c.Mode == configs.CacheRefresh {
		c.misses.Add(1)
		return Response{}, Origin{}, false
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.corrupt.Add(1)
		}
		c.misses.Add(1)
		return Response{}, Origin{}, false
	}
	var e cacheEntry
	var r cachedResponse
	err = json.Unmarshal(b, &e)
	sum := sha256.Sum256(e.Response)
	if err != nil || e.Key != key || hex.EncodeToString(sum[:]) != e.SHA256 || json.Unmarshal(e.Response, &r) != nil || r.Origin == nil {
		c.corrupt.Add(1)
		c.misses.Add(1)
		return Response{}, Origin{}, false
	}
	c.hits.Add(1)
	return Response{Text: r.Text, PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens, Model: r.Model, Confidence: r.Confidence, Truncated: r.Truncated}, *r.Origin, true
}

// Put stores resp, as the endpoint sent it, under key, with origin; it
// sets origin's Time (now, UTC) and Evalgate (c.Version). In read-only mode
// it stores nothing.
func (c *Cache) Put(key string, resp Response, origin Origin) error {
	if c.Mode == configs.CacheReadOnly {
		return nil
	}
	origin.Time, origin.Evalgate = time.Now().UTC(), c.Version
	body, err := json.Marshal(cachedResponse{resp.Text, resp.PromptTokens, resp.CompletionTokens, resp.Model, resp.Confidence, &origin, resp.Truncated})
	if err != nil {
		return fmt.Errorf("response cache: %w", err)
	}
	sum := sha256.Sum256(body)
	b, err := json.Marshal(cacheEntry{Key: key, SHA256: hex.EncodeToString(sum[:]), Response: body})
	if err != nil {
		return fmt.Errorf("response cache: %w", err)
	}
	path := c.path(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("response cache: %w", err)
	}
	// An entry is worth a future call, not a sync to disk per call: it is
	// written atomically, unsynced, and verified on read.
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return fmt.Errorf("response cache: %w", err)
	}
	defer f.Abort()
	f.Sync = false
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("response cache: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("response cache: %w", err)
	}
	return nil
}
