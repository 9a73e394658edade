package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/reports"
)

const runUsage = "run -c CONFIG [--policy FILE] [--out DIR|s3://BUCKET/PREFIX [--work DIR]] [--resume] [--no-cache] [--no-gate] [--dry-run] [--quiet | --json-progress] [--key FILE] [--require-signing] [--history DIR --history-key PUB] [--reviews DIR --reviews-key PUB...] | run -c CONFIG --shard I/N [--policy FILE] [--out DIR|s3://BUCKET/PREFIX [--work DIR]] [--resume] [--no-cache] [--no-gate] [--dry-run] [--quiet | --json-progress] | run -c CONFIG --shards N [--policy FILE] [--out DIR|s3://BUCKET/PREFIX [--work DIR]] [--resume] [--no-cache] [--no-gate] [--dry-run] [--quiet | --json-progress]"

// jobIndexEnv is the variable a Kubernetes Indexed Job sets to the pod's
// completion index, from 0: run --shards N reads the shard's index there.
const jobIndexEnv = "JOB_COMPLETION_INDEX"

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", runUsage)
	cfgPath := fs.String("c", "", "the config `file` (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	out := fs.String("out", "", "write results and reports to `dir` or to an s3://bucket/prefix (overrides run.out)")
	work := fs.String("work", "", "with an s3:// output: the local staging `dir` the run writes before it publishes (default $"+workEnv+", else a temporary folder)")
	dry := fs.Bool("dry-run", false, "render every prompt, count the calls, estimate tokens and cost, and make no model call")
	opts := pipeline.Options{Getenv: e.getenv, Log: e.stderr}
	fs.BoolVar(&opts.Resume, "resume", false, "continue the run recorded in the output directory's journals; fail if there is none")
	fs.BoolVar(&opts.NoCache, "no-cache", false, "neither read nor write the response cache")
	fs.BoolVar(&opts.NoGate, "no-gate", false, "accept a config with no gate rules: the report's verdict is NONE (neither ALLOW nor BLOCK) and the run exits 0")
	quiet := fs.Bool("quiet", false, "print no progress")
	jsonProgress := fs.Bool("json-progress", false, "print progress as JSON lines on stderr, for tools that wrap evalgate")
	keyPath := fs.String("key", "", "sign the report with the private key in `file` (PKCS#8 PEM); default: the PEM in $"+signingKeyEnv+", if set")
	requireSigning := fs.Bool("require-signing", false, "fail (exit 2) unless a signing key is configured")
	historyDir := fs.String("history", "", "place the report on the control charts of the signed reports under `dir` (see evalgate history)")
	historyKey := fs.String("history-key", "", "the public key (PEM `file`) that verifies the --history reports")
	var rf reviewFlags
	rf.add(fs)
	policyPath := fs.String("policy", "", "refuse to run (exit 2) unless the config's gate equals the gate of this protected config `file` (e.g. the base branch's)")
	shardFlag := fs.String("shard", "", "run only shard `I/N` of the eval set (I from 0 to N-1), writing results, journals and shard.json into run.out/shard-I-of-N and no report; evalgate merge combines the shards")
	shardsFlag := fs.String("shards", "", "run shard $"+jobIndexEnv+" of `N` (a Kubernetes Indexed Job's completion index): --shard $"+jobIndexEnv+"/N")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if opts.Shard, err = shardFromFlags(*shardFlag, *shardsFlag, e.getenv); err != nil {
		return err
	}
	if opts.Shard != nil {
		for _, f := range []struct {
			name string
			set  bool
		}{{"--key", *keyPath != ""}, {"--require-signing", *requireSigning}, {"--history", *historyDir != ""}, {"--history-key", *historyKey != ""}, {"--reviews", rf.dir != ""}, {"--reviews-key", len(rf.keys) > 0}} {
			if f.set {
				return usageErr("run: %s belongs to evalgate merge, which writes and signs the report over every shard; a shard (--shard, --shards) writes none", f.name)
			}
		}
	}
	mode := progressAuto
	switch {
	case *quiet && *jsonProgress:
		return usageErr("run: --quiet and --json-progress exclude each other")
	case *quiet:
		mode = progressQuiet
	case *jsonProgress:
		mode = progressJSON
	}
	opts.NewProgress = func(label string, total int) pipeline.Progress { return newProgress(e.stderr, mode, label, total) }
	if len(pos) > 0 {
		return usageErr("run: unexpected argument %q (usage: evalgate %s)", pos[0], runUsage)
	}
	if err := rf.check("run"); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageErr("run: -c CONFIG is required (usage: evalgate %s)", runUsage)
	}
	if opts.Shard == nil {
		if opts.Signer, err = loadSigner(e, *keyPath); err != nil {
			return err
		}
	}
	prov := pipeline.Provenance(e.getenv)
	opts.Provenance = &prov
	if *requireSigning && opts.Signer == nil {
		return usageErr("run: --require-signing: no signing key (give --key FILE or set %s)", signingKeyEnv)
	}
	cfg, err := pipeline.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *out != "" {
		cfg.Run.Out = *out
	}
	scope := ""
	if opts.Shard != nil {
		scope = pipeline.ShardDir(*opts.Shard)
	}
	staged, err := stageOut(ctx, e, "run", cfg, *work, scope)
	if err != nil {
		return err
	}
	if *policyPath != "" {
		diff, err := pipeline.PolicyDiff(*policyPath, cfg.Gate)
		switch {
		case err != nil:
			return inputErr(err)
		case len(diff) > 0:
			return inputErr(fmt.Errorf("run: the config's gate differs from the policy %s:\n  %s", *policyPath, strings.Join(diff, "\n  ")))
		}
	}
	if *historyDir != "" || *historyKey != "" {
		if *historyDir == "" || *historyKey == "" {
			return usageErr("run: --history and --history-key go together")
		}
		if opts.History, err = loadHistory(ctx, e, *historyDir, *historyKey); err != nil {
			return err
		}
	}
	var reviewKeys []string
	if opts.Shard == nil {
		if opts.Reviews, reviewKeys, err = rf.load("run", cfg); err != nil {
			return err
		}
	}
	opts.Inputs = append(opts.Inputs, reviewKeys...)
	opts.NoCache = opts.NoCache || *dry
	for _, f := range []string{*keyPath, *historyKey} {
		if f != "" {
			opts.Inputs = append(opts.Inputs, f)
		}
	}
	p, err := pipeline.Prepare(cfg, opts)
	if err != nil {
		return err
	}
	defer p.Close()
	if *dry {
		return dryRun(e, cfg.Path, p, opts.Shard)
	}
	stop := func() {}
	if staged != nil {
		stop = checkpoint(ctx, e, staged, cfg.Run.Checkpoint)
	}
	finish := func(err error) error {
		stop()
		if staged != nil {
			// Published whatever the outcome: an INCOMPLETE run's
			// journals are what a rerun resumes from.
			if perr := publish(ctx, e, staged); perr != nil && err == nil {
				err = perr
			}
		}
		return err
	}
	if opts.Shard != nil {
		return finish(runShard(ctx, e, cfg.Path, p, *opts.Shard))
	}
	res, err := p.Run(ctx)
	err = finish(err)
	if res == nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	if werr := render.WriteSummary(e.stdout, res.Report); werr != nil {
		return runErr(werr)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", strings.Join(res.Written, ", "))
	if res.KeyID != "" {
		fmt.Fprintf(e.stdout, "signed with key %s\n", res.KeyID)
	}
	return verdictErr(res.Report, err)
}

// verdictErr is the error a finished report exits with: err (a run that
// could not finish), or BLOCK, or nil for ALLOW and for NONE (--no-gate).
func verdictErr(rep *reports.Report, err error) error {
	switch {
	case err != nil:
		return err
	case rep.Verdict != reports.Allow && rep.Verdict != reports.None:
		return &exitError{exitBlock, errors.New("")}
	}
	return nil
}

func dryRun(e *env, cfgPath string, p *pipeline.Plan, shard *pipeline.Shard) error {
	info := p.Dataset()
	fmt.Fprintf(e.stdout, "config %s is valid; dataset %s %s: %d rows, sha256 %s\n", cfgPath, orDash(info.Name), orDash(info.Version), info.Rows, info.SHA256)
	if shard != nil {
		fmt.Fprintf(e.stdout, "shard %s: %s of the %s items; the calls below are this shard's\n", shard, commas(p.Items()), commas(info.Rows))
	}
	ests, err := p.Estimate()
	if err != nil {
		return err
	}
	for _, est := range ests {
		m := est.Model
		fmt.Fprintf(e.stdout, "%s: %s %s: %d calls, about %d prompt tokens and at most %d completion tokens", est.Role, m.Provider, m.Model, est.Calls, est.PromptTokens, est.CompletionTokens)
		if est.Cost != nil {
			fmt.Fprintf(e.stdout, ", at most %.4f %s", *est.Cost, m.Prices.Currency)
		}
		if est.Note != "" {
			fmt.Fprintf(e.stdout, " (%s)", est.Note)
		}
		fmt.Fprintln(e.stdout)
		if est.Role == "candidate" && est.First != nil {
			fmt.Fprintf(e.stdout, "\nfirst prompt (item %q):\n", est.FirstID)
			for _, msg := range est.First {
				fmt.Fprintf(e.stdout, "--- %s\n%s\n", msg.Role, msg.Content)
			}
			fmt.Fprintln(e.stdout)
		}
	}
	fmt.Fprintln(e.stdout, "every prompt rendered; no model was called")
	if err := dryRunRules(e, p); err != nil {
		return err
	}
	warnings, err := p.PowerWarnings(pipeline.Assumptions{})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(e.stdout, "warning: %s\n", safe(w))
	}
	if len(warnings) > 0 {
		fmt.Fprintf(e.stdout, "(these assume %.0f%% discordance and a group accuracy of %g; evalgate plan -c %s [--discordance D] [--base-rate P] [--accuracy P] shows every rule and the n it needs)\n", 100*pipeline.DefaultDiscordance, pipeline.DefaultBaseRate, safe(cfgPath))
	}
	return nil
}

// dryRunRules prints the gate rules a run would report not_evaluated, and
// the groups every fairness figure would leave out.
func dryRunRules(e *env, p *pipeline.Plan) error {
	notes, err := p.NotEvaluable()
	if err != nil {
		return err
	}
	if len(notes) == 0 {
		fmt.Fprintln(e.stdout, "gate: every rule can be evaluated on this set, as far as the config and the set tell before a call")
	} else {
		fmt.Fprintf(e.stdout, "gate: %s cannot be evaluated on this set and will be reported not_evaluated (optional: they do not block):\n", plural(len(notes), "rule"))
		for _, n := range notes {
			fmt.Fprintf(e.stdout, "  rule %d, %s: %s\n", n.Index, safe(pipeline.RuleText(n.Rule)), safe(n.Why))
		}
	}
	small, err := p.SmallGroups()
	if err != nil {
		return err
	}
	if len(small) > 0 {
		fmt.Fprintln(e.stdout, "fairness: these groups are below fairness.min_group_size and left out of every gap and ratio:")
		for _, s := range small {
			fmt.Fprintf(e.stdout, "  %s\n", safe(s))
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeFile writes data to path so that a reader never sees half a file
// (see atomicfile).
func writeFile(path string, data []byte) error {
	_, err := atomicfile.WriteFile(path, data, 0o644)
	return err
}

// safe makes a string from a config, an eval set, a model or a signed
// document inert on a terminal (see render.TermSafe).
func safe(s string) string { return render.TermSafe(s) }

// shardFromFlags reads the shard of run --shard I/N, or of run --shards N
// with the index in $JOB_COMPLETION_INDEX; nil when neither is given.
func shardFromFlags(shard, shards string, getenv func(string) string) (*pipeline.Shard, error) {
	switch {
	case shard != "" && shards != "":
		return nil, usageErr("run: --shard and --shards exclude each other: give --shard I/N, or --shards N with the index in %s", jobIndexEnv)
	case shard != "":
		s, err := pipeline.ParseShard(shard)
		if err != nil {
			return nil, usageErr("run: --shard: %v", err)
		}
		return &s, nil
	case shards == "":
		return nil, nil
	}
	n, err := strconv.Atoi(shards)
	if err != nil || n < 1 || n > pipeline.MaxShards || strconv.Itoa(n) != shards {
		return nil, usageErr("run: --shards %q: want a shard count from 1 to %d", shards, pipeline.MaxShards)
	}
	v := getenv(jobIndexEnv)
	if v == "" {
		return nil, usageErr("run: --shards %d: %s is not set; a Kubernetes Indexed Job sets it to the pod's index (elsewhere give --shard I/%d)", n, jobIndexEnv, n)
	}
	i, err := strconv.Atoi(v)
	if err != nil || strconv.Itoa(i) != v {
		return nil, usageErr("run: --shards %d: %s=%q is not an index (want 0 to %d)", n, jobIndexEnv, v, n-1)
	}
	if i < 0 || i >= n {
		return nil, usageErr("run: --shards %d: %s=%d is out of range: the index runs from 0 to %d", n, jobIndexEnv, i, n-1)
	}
	return &pipeline.Shard{Index: i, Count: n}, nil
}

// runShard runs shard s of plan p and prints, per model, what the shard
// wrote, and how to merge the shards.
func runShard(ctx context.Context, e *env, cfgPath string, p *pipeline.Plan, s pipeline.Shard) error {
	res, err := p.RunShard(ctx)
	if res == nil {
		return err
	}
	m := res.Manifest
	fmt.Fprintln(e.stdout)
	for _, r := range []struct {
		role string
		m    *pipeline.ShardModel
	}{{"candidate", &m.Candidate}, {"production", m.Production}, {"groundedness.judge", m.Judge}} {
		if r.m == nil {
			continue
		}
		items := commas(m.Items) + " items, "
		if r.m == m.Judge {
			items = "" // the judge is asked about answers, not items
		}
		fmt.Fprintf(e.stdout, "shard %s: %s %s: %s%s results, %s failed; wrote %s\n", s, r.role, safe(r.m.Version), items, commas(r.m.Results), commas(r.m.Failed), safe(res.Dir))
	}
	if err == nil {
		fmt.Fprintf(e.stdout, "shard %s is complete; when every shard is, merge them: evalgate merge -c %s\n", s, safe(cfgPath))
	}
	return err
}

// commas writes n with a comma between each group of three digits.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
