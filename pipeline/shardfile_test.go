package pipeline

import (
	"fmt"
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

// TestShardOfBalances checks that every family of ids spreads over the
// shards: the number in each shard is tested against the uniform with
// Pearson's chi-square, at the 1 - 1e-6 quantile, so that the 24 fixed
// cases (each one draw of the hash) pass by chance with near certainty
// and a gross imbalance still fails: qchisq(1 - 1e-6, n - 1) in R is
// 23.93, 27.63, 30.66, 38.26, 40.52, 56.49 for n = 2, 3, 4, 7, 8, 16.
// FNV-1a gave chi-square 672 and 1,281 for the "item-%07d" ids over 4
// and 7 shards, and put every "a/q bits" id in one shard modulo 8.
func TestShardOfBalances(t *testing.T) {
	crit := map[int]float64{2: 23.93, 3: 27.63, 4: 30.66, 7: 38.26, 8: 40.52, 16: 56.49}
	families := map[string]func(i int) string{
		"decimal":   func(i int) string { return fmt.Sprint(i) },
		"item-%07d": func(i int) string { return fmt.Sprintf("item-%07d", i) },
		"a/q bits": func(i int) string {
			b := make([]byte, 12)
			for j := range b {
				b[j] = 'a' + byte(i>>j&1)<<4
			}
			return string(b)
		},
		"hex": func(i int) string { return fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15) },
	}
	const ids = 4096
	for name, id := range families {
		for n, c := range crit {
			counts := make([]int, n)
			for i := range ids {
				s := ShardOf(id(i), n)
				if s < 0 || s >= n {
					t.Fatalf("ShardOf(%q, %d) = %d", id(i), n, s)
				}
				counts[s]++
			}
			want := float64(ids) / float64(n)
			var chi2 float64
			for _, k := range counts {
				chi2 += (float64(k) - want) * (float64(k) - want) / want
			}
			if chi2 > c {
				t.Errorf("%s ids over %d shards: counts %v, chi-square %.1f > %.2f", name, n, counts, chi2, c)
			}
		}
	}
	// The shard of an id is fixed: it does not depend on the other ids.
	if got := ShardOf("user-a", 8); got != ShardOf("user-a", 8) || (Shard{Index: got, Count: 8}).Has("user-a") != true {
		t.Errorf("ShardOf is not stable")
	}
}
