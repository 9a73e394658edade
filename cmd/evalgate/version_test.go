package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/reports"
)

func TestReadVersion(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/evalgate/evalgate", Version: "v0.0.0-20261206080721-d593574df23e"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "d593574df23e8df0e0aee5563b2ca1aa51cf6bd8"},
			{Key: "vcs.time", Value: "2026-12-06T08:07:21Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		source string
		want   versionInfo
		line   string
	}{
		{
			name: "a build from a clone",
			bi:   stamped,
			want: versionInfo{Version: "v0.0.0-20261206080721-d593574df23e", Revision: "d593574df23e8df0e0aee5563b2ca1aa51cf6bd8",
				Time: "2026-12-06T08:07:21Z", Modified: true, GoVersion: "go1.26.8"},
			line: "evalgate v0.0.0-20261206080721-d593574df23e revision d593574df23e8df0e0aee5563b2ca1aa51cf6bd8+modified go1.26.8 (harness ",
		},
		{
			name:   "the action's build from a download",
			bi:     &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			source: "evalgate/evalgate@0123abc",
			want:   versionInfo{Version: "(devel)", Source: "evalgate/evalgate@0123abc", GoVersion: "go1.26.8"},
			line:   "evalgate (devel) source evalgate/evalgate@0123abc go1.26.8 (harness ",
		},
		{
			name: "no build information",
			want: versionInfo{Version: "unknown"},
			line: "evalgate unknown (harness ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readVersion(tt.bi, tt.source)
			tt.want.Harness, tt.want.ReportSchema = reports.Version, reports.SchemaVersion
			if got != tt.want {
				t.Errorf("readVersion = %+v, want %+v", got, tt.want)
			}
			if !strings.HasPrefix(got.String(), tt.line) {
				t.Errorf("line %q, want prefix %q", got.String(), tt.line)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	res := runCLI(t, context.Background(), nil, "version", "--json")
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		t.Fatalf("version --json: %v\n%s", err, res.stdout)
	}
	bi, _ := debug.ReadBuildInfo()
	if v.GoVersion != bi.GoVersion || v.Version != bi.Main.Version || v.Harness != reports.Version || v.ReportSchema != reports.SchemaVersion {
		t.Errorf("version --json = %+v, want Go %s, module %s, harness %s", v, bi.GoVersion, bi.Main.Version, reports.Version)
	}
	if res := runCLI(t, context.Background(), nil, "version", "extra"); res.code != exitUsage {
		t.Errorf("version extra: exit %d, want %d", res.code, exitUsage)
	}
}

func TestCacheKey(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "set.parquet")
	raw, err := os.ReadFile(exampleSet)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(set, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	const base = "dataset: {path: set.parquet}\n" +
		"candidate: {provider: openai, model: m, version: CAND, base_url: https://api.example/v1}\n" +
		"production: {provider: openai, model: m, version: PROD, base_url: https://api.example/v1}\n" +
		"gate:\n  - {metric: candidate.accuracy, min: 0.5}\n"
	key := func(t *testing.T, body string, environ map[string]string) cacheKey {
		t.Helper()
		cfg := filepath.Join(dir, "eval.yaml")
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		res := runCLI(t, context.Background(), environ, "cache", "key", "-c", cfg, "--json")
		if res.code != exitOK {
			t.Fatalf("cache key: exit %d: %s", res.code, res.stderr)
		}
		var k cacheKey
		if err := json.Unmarshal([]byte(res.stdout), &k); err != nil {
			t.Fatalf("cache key --json: %v\n%s", err, res.stdout)
		}
		return k
	}
	home := map[string]string{"HOME": "/home/runner"}
	ref := key(t, base, home)
	if ref.Role != "production" || ref.Dir != "/home/runner/.cache/evalgate" || !strings.HasPrefix(ref.Key, ref.RestoreKey) || ref.Key == ref.RestoreKey {
		t.Fatalf("cache key = %+v", ref)
	}
	tests := []struct {
		name    string
		body    string
		env     map[string]string
		same    bool // the same key as ref
		dir     string
		restore bool // the same restore prefix as ref
	}{
		{"another candidate", strings.Replace(base, "CAND", "CAND2", 1), home, true, "/home/runner/.cache/evalgate", true},
		{"a trailing slash on the endpoint", strings.Replace(base, "v1}\ngate", "v1/}\ngate", 1), home, true, "/home/runner/.cache/evalgate", true},
		{"another production version", strings.Replace(base, "PROD", "PROD2", 1), home, false, "/home/runner/.cache/evalgate", false},
		{"another prompt", base + "prompt: {template: \"Q: {{.Input}}\"}\n", home, false, "/home/runner/.cache/evalgate", false},
		{"XDG_CACHE_HOME", base, map[string]string{"HOME": "/home/runner", "XDG_CACHE_HOME": "/xdg"}, true, "/xdg/evalgate", true},
		{"run.cache_dir", base + "run: {cache_dir: ~/answers}\n", home, true, "/home/runner/answers", true},
		{"run.cache off", base + "run: {cache: \"off\"}\n", home, true, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := key(t, tt.body, tt.env)
			if (k.Key == ref.Key) != tt.same || (k.RestoreKey == ref.RestoreKey) != tt.restore {
				t.Errorf("key %s (restore %s), reference %s (restore %s): want same key %v, same prefix %v", k.Key, k.RestoreKey, ref.Key, ref.RestoreKey, tt.same, tt.restore)
			}
			if k.Dir != tt.dir {
				t.Errorf("dir %q, want %q", k.Dir, tt.dir)
			}
		})
	}
	t.Run("another eval set", func(t *testing.T) {
		if err := os.WriteFile(set, append(raw, 0), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(set, raw, 0o644)
		k := key(t, base, home)
		if k.Key == ref.Key || k.RestoreKey != ref.RestoreKey || k.Dataset == ref.Dataset {
			t.Errorf("a changed eval set keeps key %s (dataset %s)", k.Key, k.Dataset)
		}
	})
	t.Run("name=value lines", func(t *testing.T) {
		res := runCLI(t, context.Background(), home, "cache", "key", "-c", filepath.Join(dir, "eval.yaml"))
		want := "dir=/home/runner/.cache/evalgate\nkey=" + ref.Key + "\nrestore-key=" + ref.RestoreKey + "\n"
		if res.code != exitOK || res.stdout != want {
			t.Errorf("cache key: exit %d, stdout %q, want %q", res.code, res.stdout, want)
		}
	})
	for _, args := range [][]string{{"cache"}, {"cache", "key"}, {"cache", "frob"}, {"cache", "key", "-c", filepath.Join(dir, "missing.yaml")}} {
		if res := runCLI(t, context.Background(), home, args...); res.code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, res.code, exitUsage)
		}
	}
}
