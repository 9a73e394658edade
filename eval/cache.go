package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/records"
)

// Cache is a content-addressed store of model responses on disk, shared
// across runs. An entry is keyed by the SHA-256 of the endpoint's model
// name, the sampling parameters, the messages and the sample index, and
// holds only the response: never the API key, the base URL or any header.
// Entries are verified on read; a corrupt one is ignored (and counted) so
// that the call is made again and the entry rewritten. Safe for concurrent
// use, including by several processes: entries are written to a temporary
// file and renamed into place.
type Cache struct {
	dir                   string
	hits, misses, corrupt atomic.Int64
}

// NewCache returns a cache in dir, creating it if needed.
func NewCache(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("response cache: %w", err)
	}
	return &Cache{dir: dir}, nil
}

// records.RunStats returns the lookups so far.
func (c *Cache) Stats() records.CacheStats {
	return records.CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Corrupt: c.corrupt.Load()}
}

// CacheKey is the hex SHA-256 identifying one call: model is the name sent
// to the endpoint; params are the sampling parameters that change the
// answer.
func CacheKey(model string, temperature float64, maxTokens int, seed *int, msgs []Message, sample int) string {
	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	k := struct {
		V           int     `json:"v"`
		Model       string  `json:"model"`
		Temperature float64 `json:"temperature"`
		MaxTokens   int     `json:"max_tokens"`
		Seed        *int    `json:"seed"`
		Messages    []msg   `json:"messages"`
		Sample      int     `json:"sample"`
	}{V: 1, Model: model, Temperature: temperature, MaxTokens: maxTokens, Seed: seed, Sample: sample}
	for _, m := range msgs {
		k.Messages = append(k.Messages, msg{m.Role, m.Content})
	}
	b, _ := json.Marshal(k) // plain strings and numbers: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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
}

func (c *Cache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+".json")
}

// Get returns the cached response for key. A missing entry is a miss; an
// unreadable, mismatched or corrupt one is counted as corrupt and reported
// as a miss.
func (c *Cache) Get(key string) (Response, bool) {
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.corrupt.Add(1)
		}
		c.misses.Add(1)
		return Response{}, false
	}
	var e cacheEntry
	var r cachedResponse
	err = json.Unmarshal(b, &e)
	sum := sha256.Sum256(e.Response)
	if err != nil || e.Key != key || hex.EncodeToString(sum[:]) != e.SHA256 || json.Unmarshal(e.Response, &r) != nil {
		c.corrupt.Add(1)
		c.misses.Add(1)
		return Response{}, false
	}
	c.hits.Add(1)
	return Response{Text: r.Text, PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens, Model: r.Model, Confidence: r.Confidence}, true
}

// Put stores resp under key.
func (c *Cache) Put(key string, resp Response) error {
	body, err := json.Marshal(cachedResponse{resp.Text, resp.PromptTokens, resp.CompletionTokens, resp.Model, resp.Confidence})
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
