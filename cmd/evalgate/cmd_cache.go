package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/pipeline"
)

const cacheUsage = "cache key -c CONFIG [--json]"

// cacheKey is what `evalgate cache key` prints: where a config's response
// cache lives and a key under which a CI system (actions/cache) can keep
// it between runs.
type cacheKey struct {
	// Dir is the response cache directory (pipeline.CacheDir); "" when
	// run.cache is off or no directory can be named.
	Dir string `json:"dir"`
	// Role is the model whose identity keys the cache: "production"
	// when the config has one (its answers are the ones every pull
	// request would pay for again), else "candidate".
	Role string `json:"role"`
	// Model is the SHA-256 (hex) of that model's identity: provider,
	// normalized endpoint, model, version, artifact digest, request
	// parameters, prompt templates, repeats and output cap.
	Model string `json:"model_sha256"`
	// Dataset is the eval set's SHA-256 (hex).
	Dataset string `json:"dataset_sha256"`
	// Key is "evalgate-responses-" + 16 hex digits of Model + "-" + 16
	// of Dataset; RestoreKey is Key without the dataset part, a prefix
	// that finds the cache of an earlier version of the eval set.
	Key        string `json:"key"`
	RestoreKey string `json:"restore_key"`
}

func cmdCache(_ context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "key" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintf(e.stdout, "usage: evalgate %s\n", cacheUsage)
			return nil
		}
		return usageErr("cache: want subcommand key (usage: evalgate %s)", cacheUsage)
	}
	fs := newFlags(e, "cache key", cacheUsage)
	cfgPath := fs.String("c", "", "the config `file` (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	asJSON := fs.Bool("json", false, "print a JSON object instead of name=value lines")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("cache key: unexpected argument %q (usage: evalgate %s)", pos[0], cacheUsage)
	}
	if *cfgPath == "" {
		return usageErr("cache key: -c CONFIG is required (usage: evalgate %s)", cacheUsage)
	}
	cfg, err := configs.Load(*cfgPath)
	if err != nil {
		return inputErr(err)
	}
	k, err := responseCacheKey(cfg, e.getenv)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.MarshalIndent(k, "", "  ")
		if err != nil {
			return runErr(fmt.Errorf("encode cache key: %w", err))
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	// name=value lines, as $GITHUB_OUTPUT takes them.
	if strings.ContainsAny(k.Dir, "\r\n") {
		return inputErr(fmt.Errorf("run.cache_dir %q: a newline in the path", k.Dir))
	}
	fmt.Fprintf(e.stdout, "dir=%s\nkey=%s\nrestore-key=%s\n", k.Dir, k.Key, k.RestoreKey)
	return nil
}

// responseCacheKey names cfg's response cache and keys it by the identity
// of the model whose answers are worth keeping (production, else the
// candidate) and the eval set's digest.
func responseCacheKey(cfg *configs.Config, getenv func(string) string) (cacheKey, error) {
	dir, err := pipeline.CacheDir(cfg.Run, getenv)
	if err != nil {
		return cacheKey{}, inputErr(err)
	}
	role, m := "candidate", cfg.Candidate
	if cfg.Production != nil {
		role, m = "production", *cfg.Production
	}
	identity, err := json.Marshal(struct {
		Provider, Endpoint, Model, Version, ArtifactSHA256 string
		Temperature                                        float64
		MaxTokens                                          int
		Seed                                               *int
		Logprobs                                           bool
		System, Template                                   string
		Repeats, MaxOutput                                 int
	}{
		m.Provider, eval.NormalizeBaseURL(m.BaseURL), m.Model, m.Version, m.ArtifactSHA256,
		m.Temperature, m.MaxTokens, m.Seed, m.Logprobs,
		cfg.Prompt.System, cfg.Prompt.Template, cfg.Run.Repeats, cfg.Run.MaxOutputBytes,
	})
	if err != nil {
		return cacheKey{}, runErr(fmt.Errorf("encode model identity: %w", err))
	}
	sum := sha256.Sum256(identity)
	ds, err := datasetSHA256(cfg, getenv)
	if err != nil {
		return cacheKey{}, inputErr(fmt.Errorf("read dataset.path %s: %w", cfg.DatasetPath(), err))
	}
	k := cacheKey{Dir: dir, Role: role, Model: hex.EncodeToString(sum[:]), Dataset: ds}
	k.RestoreKey = "evalgate-responses-" + k.Model[:16] + "-"
	k.Key = k.RestoreKey + k.Dataset[:16]
	return k, nil
}
