package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/records"
)

// ShardFile is the manifest a shard run writes last in its folder: what
// the shard is, what it was run under and what it wrote. evalgate merge
// reads it to refuse shards of another config, eval set or model, to name
// a missing or duplicated shard, and to sum the run statistics. It carries
// no number the merged report is computed from: the merge re-scores each
// shard's results files, whose digests it lists, so every figure of the
// merged report traces to a file by digest.
const ShardFile = "shard.json"

// ShardKind is ShardManifest.Kind.
const ShardKind = "evalgate.shard/v1"

// ShardDir is the folder, under run.out, where shard index of count
// writes: shard-<index>-of-<count>, index counted from 0 as Kubernetes'
// JOB_COMPLETION_INDEX is.
func ShardDir(s Shard) string { return fmt.Sprintf("shard-%d-of-%d", s.Index, s.Count) }

var shardDirRE = regexp.MustCompile(`^shard-(0|[1-9][0-9]*)-of-([1-9][0-9]*)$`)

// ParseShardDir reads a shard from a folder name ShardDir made; ok is
// false for any other name.
func ParseShardDir(name string) (s Shard, ok bool) {
	m := shardDirRE.FindStringSubmatch(name)
	if m == nil {
		return Shard{}, false
	}
	i, err1 := strconv.Atoi(m[1])
	n, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || i >= n {
		return Shard{}, false
	}
	return Shard{Index: i, Count: n}, true
}

// MaxShards bounds a shard count: past it a shard holds too few items to
// be worth a process, and a typo (--shard 3/80000) is caught.
const MaxShards = 10000

var shardFlagRE = regexp.MustCompile(`^(0|[1-9][0-9]*)/([1-9][0-9]*)$`)

// ParseShard reads "i/n" (0 <= i < n <= MaxShards), the form of run
// --shard.
func ParseShard(s string) (Shard, error) {
	m := shardFlagRE.FindStringSubmatch(s)
	if m == nil {
		return Shard{}, fmt.Errorf("shard %q: want INDEX/COUNT, e.g. 0/8 (the index counts from 0)", s)
	}
	i, err1 := strconv.Atoi(m[1])
	n, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || n > MaxShards {
		return Shard{}, fmt.Errorf("shard %q: the count must be at most %d", s, MaxShards)
	}
	if i >= n {
		return Shard{}, fmt.Errorf("shard %q: the index must be below the count (indices run 0 to %d)", s, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ShardManifest is shard.json.
type ShardManifest struct {
	// Kind is ShardKind.
	Kind string `json:"kind"`
	// Harness is the evalgate version (reports.Version) that ran the shard.
	Harness string `json:"harness"`
	// Index and Count are the shard's.
	Index int `json:"index"`
	Count int `json:"count"`
	// ConfigSHA256 is the config's digest (configs.Config.SHA256).
	ConfigSHA256 string `json:"config_sha256"`
	// Dataset identifies the eval set; Items counts the set's items in
	// this shard.
	Dataset ShardDataset `json:"dataset"`
	Items   int64        `json:"items"`
	// Candidate and Production (nil without one) are the models called,
	// with what each wrote.
	Candidate  ShardModel  `json:"candidate"`
	Production *ShardModel `json:"production,omitempty"`
	// Judge, when groundedness.method is judge, is the judge's.
	Judge *ShardModel `json:"judge,omitempty"`
	// Cache counts response-cache lookups in this shard; nil when off.
	Cache *records.CacheStats `json:"cache,omitempty"`
	// Status is COMPLETE or INCOMPLETE, as a report's; StatusReason says
	// why a shard is incomplete and how to finish it.
	Status       string `json:"status"`
	StatusReason string `json:"status_reason,omitempty"`
	// StartedAt and FinishedAt bound the shard's run.
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// ShardDataset identifies the eval set a shard ran.
type ShardDataset struct {
	Path    string `json:"path"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	SHA256  string `json:"sha256"`
	Rows    int64  `json:"rows"`
}

// ShardModel is one model's part of a shard: its identity, the results
// file it wrote (a name inside the shard's folder) with that file's
// digest, and the runner's statistics.
type ShardModel struct {
	Provider      string `json:"provider"`
	Model         string `json:"model"`
	Version       string `json:"version"`
	BaseURL       string `json:"base_url,omitempty"`
	ResultsFile   string `json:"results_file"`
	ResultsSHA256 string `json:"results_sha256"`
	// Results counts the results written; Failed those that failed.
	Results int64 `json:"results"`
	Failed  int64 `json:"failed"`
	// Stats, Adaptive and CacheOrigins are the runner's, as a report's
	// model block has them.
	Stats        records.RunStats       `json:"stats"`
	Adaptive     *records.AdaptiveStats `json:"adaptive,omitempty"`
	CacheOrigins []records.CacheOrigin  `json:"cache_origins,omitempty"`
}

// WriteShardManifest writes m as dir/shard.json, atomically.
func WriteShardManifest(dir string, m *ShardManifest) (string, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, ShardFile)
	_, err = atomicfile.WriteFile(path, append(b, '\n'), 0o644)
	return path, err
}

// maxShardFile bounds shard.json: a manifest is a few kilobytes.
const maxShardFile = 1 << 20

// ReadShardManifest reads dir/shard.json, strictly: an unknown field, a
// second value or another kind is an error naming the file.
func ReadShardManifest(dir string) (*ShardManifest, error) {
	path := filepath.Join(dir, ShardFile)
	b, err := inputfile.Read(path, "shard manifest", maxShardFile)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m ShardManifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: more than one JSON value", path)
	}
	if m.Kind != ShardKind {
		return nil, fmt.Errorf("%s: kind %q, want %q", path, m.Kind, ShardKind)
	}
	if m.Count < 1 || m.Index < 0 || m.Index >= m.Count || m.Count > MaxShards {
		return nil, fmt.Errorf("%s: shard %d/%d: want 0 <= index < count <= %d", path, m.Index, m.Count, MaxShards)
	}
	return &m, nil
}
