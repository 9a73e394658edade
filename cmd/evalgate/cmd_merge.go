package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/render"
)

const mergeUsage = "merge -c CONFIG [--out DIR|s3://BUCKET/PREFIX [--work DIR]] [--key FILE] [--require-signing] [--no-gate] [--history DIR --history-key PUB] [--reviews DIR --reviews-key PUB...] [SHARD_DIR...]"

const mergeHelp = `
Merges the folders that "evalgate run --shard I/N" wrote (shard-I-of-N, each
with its shard.json) into what one run of the whole set writes: the results
files in the eval set's order, report.json and its renderings, the review
files and, with a key, report.dsse.json, whose subjects include every
shard's results files and shard.json. Without SHARD_DIR arguments it merges
every shard-*-of-* folder under --out (default run.out). With an s3://
output, the shard folders are downloaded from that prefix (or from
SHARD_DIR prefixes) into a staging folder, and the merged files are
published to the prefix, the report last; the shard folders stay as they
are.

A shard of another config, eval set, model or shard count, or with a results
file changed since the shard wrote it, is refused (exit 2, naming the
folder). A missing shard, a shard claimed by two folders or an INCOMPLETE
shard makes the report INCOMPLETE, naming the shard (exit 3). Exit codes
are run's: 0 ALLOW (or NONE with --no-gate), 1 BLOCK, 2 bad input,
3 INCOMPLETE. When to shard, and how to size N: docs/sharding.md.

`

// cmdMerge merges shard runs into one report (pipeline.Merge).
func cmdMerge(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "merge", mergeUsage)
	fs.Usage = func() {
		printHelp(fs.Output(), mergeUsage, mergeHelp)
		fs.PrintDefaults()
	}
	cfgPath := fs.String("c", "", "the config `file` the shards ran (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	out := fs.String("out", "", "write the merged results and reports to `dir` or s3:// prefix (overrides run.out; without SHARD_DIR arguments, the shards are looked for there)")
	work := fs.String("work", "", "with an s3:// output: the local staging `dir` (default $"+workEnv+", else a temporary folder)")
	opts := pipeline.Options{Getenv: e.getenv, Log: e.stderr}
	fs.BoolVar(&opts.NoGate, "no-gate", false, "accept a config with no gate rules: the report's verdict is NONE and merge exits 0")
	keyPath := fs.String("key", "", "sign the report with the private key in `file` (PKCS#8 PEM); default: the PEM in $"+signingKeyEnv+", if set")
	requireSigning := fs.Bool("require-signing", false, "fail (exit 2) unless a signing key is configured")
	historyDir := fs.String("history", "", "place the report on the control charts of the signed reports under `dir` (see evalgate history)")
	historyKey := fs.String("history-key", "", "the public key (PEM `file`) that verifies the --history reports")
	var rf reviewFlags
	rf.add(fs)
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := rf.check("merge"); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageErr("merge: -c CONFIG is required (usage: evalgate %s)", mergeUsage)
	}
	if (*historyDir == "") != (*historyKey == "") {
		return usageErr("merge: --history and --history-key go together")
	}
	if opts.Signer, err = loadSigner(e, *keyPath); err != nil {
		return err
	}
	if *requireSigning && opts.Signer == nil {
		return usageErr("merge: --require-signing: no signing key (give --key FILE or set %s)", signingKeyEnv)
	}
	prov := pipeline.Provenance(e.getenv)
	opts.Provenance = &prov
	cfg, err := pipeline.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *out != "" {
		cfg.Run.Out = *out
	}
	staged, err := stageOut(ctx, e, "merge", cfg, *work, "")
	if err != nil {
		return err
	}
	if staged != nil && len(dirs) == 0 {
		if _, err := staged.FetchShards(ctx); err != nil {
			return err
		}
	}
	for i, d := range dirs {
		local, cleanup, err := localShardDir(ctx, e, d)
		if err != nil {
			return err
		}
		defer cleanup()
		dirs[i] = local
	}
	if *historyDir != "" {
		if opts.History, err = loadHistory(ctx, e, *historyDir, *historyKey); err != nil {
			return err
		}
	}
	if opts.Reviews, _, err = rf.load("merge", cfg); err != nil {
		return err
	}
	res, err := pipeline.Merge(ctx, cfg, dirs, opts)
	if staged != nil && res != nil {
		// An INCOMPLETE merge's report is published too: it names the
		// shards to run again.
		if perr := publish(ctx, e, staged); perr != nil && err == nil {
			err = perr
		}
	}
	if res == nil {
		return err
	}
	if werr := render.WriteSummary(e.stdout, res.Report); werr != nil {
		return runErr(werr)
	}
	fmt.Fprintf(e.stdout, "merged %s; wrote %s\n", plural(len(res.Report.Shards), "shard"), strings.Join(res.Written, ", "))
	if res.KeyID != "" {
		fmt.Fprintf(e.stdout, "signed with key %s\n", res.KeyID)
	}
	return verdictErr(res.Report, err)
}

// localShardDir is localDir for a shard folder: a copy of an s3:// prefix
// keeps the prefix's last name (shard-I-of-N), which merge checks against
// the folder's shard.json.
func localShardDir(ctx context.Context, e *env, dir string) (string, func(), error) {
	local, cleanup, err := localDir(ctx, e, dir)
	if err != nil || local == dir {
		return local, cleanup, err
	}
	parent, err := os.MkdirTemp("", "evalgate-shard-")
	if err != nil {
		cleanup()
		return "", nil, runErr(fmt.Errorf("copy %s: %w", dir, err))
	}
	named := filepath.Join(parent, path.Base(strings.TrimSuffix(dir, "/")))
	if err := os.Rename(local, named); err != nil {
		cleanup()
		os.RemoveAll(parent)
		return "", nil, runErr(fmt.Errorf("copy %s: %w", dir, err))
	}
	return named, func() { os.RemoveAll(parent) }, nil
}
