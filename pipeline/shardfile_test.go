package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/1", Shard{0, 1}, ""},
		{"3/8", Shard{3, 8}, ""},
		{"7/8", Shard{7, 8}, ""},
		{"8/8", Shard{}, "below the count"},
		{"-1/8", Shard{}, "INDEX/COUNT"},
		{"1/0", Shard{}, "INDEX/COUNT"},
		{"01/8", Shard{}, "INDEX/COUNT"},
		{"3", Shard{}, "INDEX/COUNT"},
		{"1/10001", Shard{}, "at most 10000"},
		{" 1/8", Shard{}, "INDEX/COUNT"},
	} {
		got, err := ParseShard(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseShard(%q) error %v; want one containing %q", tt.in, err, tt.err)
		}
	}
}

func TestShardDirRoundTrip(t *testing.T) {
	for _, s := range []Shard{{0, 1}, {3, 8}, {99, 100}} {
		got, ok := ParseShardDir(ShardDir(s))
		if !ok || got != s {
			t.Errorf("ParseShardDir(%q) = %v, %v", ShardDir(s), got, ok)
		}
	}
	for _, name := range []string{"shard-8-of-8", "shard-01-of-8", "shard-1-of-0", "shard-1-of-8x", "results"} {
		if s, ok := ParseShardDir(name); ok {
			t.Errorf("ParseShardDir(%q) = %v, want not a shard folder", name, s)
		}
	}
}

func TestShardManifestStrict(t *testing.T) {
	dir := t.TempDir()
	m := &ShardManifest{Kind: ShardKind, Index: 2, Count: 4, ConfigSHA256: "c", Status: "COMPLETE",
		Candidate: ShardModel{Version: "v1", ResultsFile: "results.parquet", ResultsSHA256: "ab"}}
	if _, err := WriteShardManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadShardManifest(dir)
	if err != nil || got.Index != 2 || got.Count != 4 || got.Candidate.ResultsSHA256 != "ab" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	path := filepath.Join(dir, ShardFile)
	b, _ := os.ReadFile(path)
	for name, text := range map[string]string{
		"unknown field": strings.Replace(string(b), `"kind"`, `"kinds": 1, "kind"`, 1),
		"two values":    string(b) + "{}",
		"other kind":    strings.Replace(string(b), ShardKind, "evalgate.shard/v0", 1),
		"bad index":     strings.Replace(string(b), `"index": 2`, `"index": 4`, 1),
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadShardManifest(dir); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %s", name, err, path)
		}
	}
}
