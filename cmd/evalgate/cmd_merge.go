package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/render"
)

const mergeUsage = "merge -c CONFIG [--out DIR] [--key FILE] [--require-signing] [--no-gate] [--history DIR --history-key PUB] [--reviews DIR --reviews-key PUB...] [SHARD_DIR...]"

const mergeHelp = `
Merges the folders that "evalgate run --shard I/N" wrote (shard-I-of-N, each
with its shard.json) into what one run of the whole set writes: the results
files in the eval set's order, report.json and its renderings, the review
files and, with a key, report.dsse.json, whose subjects include every
shard's results files and shard.json. Without SHARD_DIR arguments it merges
every shard-*-of-* folder under --out (default run.out).

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
	out := fs.String("out", "", "write the merged results and reports to `dir` (overrides run.out; without SHARD_DIR arguments, the shards are looked for there)")
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
	if *historyDir != "" {
		if opts.History, err = pipeline.LoadHistory(*historyDir, *historyKey, e.stderr); err != nil {
			return err
		}
	}
	if opts.Reviews, _, err = rf.load("merge", cfg); err != nil {
		return err
	}
	res, err := pipeline.Merge(ctx, cfg, dirs, opts)
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
