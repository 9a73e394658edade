package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

const runUsage = "run -c CONFIG [--out DIR] [--resume] [--no-cache] [--dry-run] [--quiet | --json-progress] [--key FILE] [--require-signing] [--history DIR --history-key PUB]"

// runOptions are run's flags beyond the config.
type runOptions struct {
	resume, noCache bool
	progress        progressMode
	// signer, when not nil, signs the report as report.dsse.json.
	signer *signing.Signer
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", runUsage)
	cfgPath := fs.String("c", "", "the config `file` (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	out := fs.String("out", "", "write results and reports to `dir` (overrides run.out)")
	dry := fs.Bool("dry-run", false, "render every prompt, count the calls, estimate tokens and cost, and make no model call")
	var opts runOptions
	fs.BoolVar(&opts.resume, "resume", false, "continue the run recorded in the output directory's journals; fail if there is none")
	fs.BoolVar(&opts.noCache, "no-cache", false, "neither read nor write the response cache")
	quiet := fs.Bool("quiet", false, "print no progress")
	jsonProgress := fs.Bool("json-progress", false, "print progress as JSON lines on stderr, for tools that wrap evalgate")
	keyPath := fs.String("key", "", "sign the report with the private key in `file` (PKCS#8 PEM); default: the PEM in $"+signingKeyEnv+", if set")
	requireSigning := fs.Bool("require-signing", false, "fail (exit 2) unless a signing key is configured")
	historyDir := fs.String("history", "", "place the report on the control charts of the signed reports under `dir` (see evalgate history)")
	historyKey := fs.String("history-key", "", "the public key (PEM `file`) that verifies the --history reports")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *quiet && *jsonProgress:
		return usageErr("run: --quiet and --json-progress exclude each other")
	case *quiet:
		opts.progress = progressQuiet
	case *jsonProgress:
		opts.progress = progressJSON
	}
	if len(pos) > 0 {
		return usageErr("run: unexpected argument %q (usage: evalgate %s)", pos[0], runUsage)
	}
	if *cfgPath == "" {
		return usageErr("run: -c CONFIG is required (usage: evalgate %s)", runUsage)
	}
	if opts.signer, err = loadSigner(e, *keyPath); err != nil {
		return err
	}
	if *requireSigning && opts.signer == nil {
		return usageErr("run: --require-signing: no signing key (give --key FILE or set %s)", signingKeyEnv)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *out != "" {
		cfg.Run.Out = *out
	}
	p, err := prepare(cfg, e)
	if err != nil {
		return err
	}
	p.opts = opts
	if *historyDir != "" || *historyKey != "" {
		if p.history, err = loadHistory(e, *historyDir, *historyKey); err != nil {
			p.close()
			return err
		}
	}
	if !*dry && !opts.noCache {
		if p.cache, err = openCache(cfg.Run.Cache, e); err != nil {
			return inputErr(err)
		}
	}
	defer p.close()
	if *dry {
		return p.dryRun(e)
	}
	return p.execute(ctx, e)
}

func loadConfig(path string) (*configs.Config, error) {
	cfg, err := configs.Load(path)
	if err != nil {
		return nil, inputErr(err)
	}
	if err := reports.CheckRules(cfg); err != nil {
		return nil, inputErr(err)
	}
	return cfg, nil
}

// plan is a run whose inputs have all been checked.
type plan struct {
	cfg        *configs.Config
	info       datasets.Info
	prompt     *eval.Prompt
	candidate  eval.Provider
	production eval.Provider
	opts       runOptions
	cache      *eval.Cache
	// integrity holds the compiled groundedness, boundary, review and PII
	// settings; judge is the groundedness judge's provider, when the
	// method is judge.
	integrity integrity.Options
	judge     eval.Provider
	// history, when not nil, holds the control charts this run's report is
	// placed on.
	history *history.History
}

func (p *plan) close() {
	for _, pr := range []eval.Provider{p.candidate, p.production, p.judge} {
		if pr != nil {
			pr.Close()
		}
	}
}

// prepare checks everything that can be checked before the first model call,
// so that a mistake costs nothing: the dataset (validity, pinned digest,
// group columns), the prompt templates and the providers (API key variables).
func prepare(cfg *configs.Config, e *env) (*plan, error) {
	path := cfg.DatasetPath()
	problems, err := datasets.Validate(path)
	if err != nil {
		return nil, inputErr(err)
	}
	if len(problems) > 0 {
		return nil, inputErr(fmt.Errorf("dataset %s is not a valid eval set:\n%s", path, bulleted(problems)))
	}
	r, err := datasets.Open(path)
	if err != nil {
		return nil, inputErr(err)
	}
	info := r.Info()
	r.Close()
	if err := cfg.CheckDigest(info.SHA256); err != nil {
		return nil, inputErr(err)
	}
	columns := map[string]bool{}
	for _, c := range info.Columns {
		columns[c.Name] = c.Type == "string"
	}
	for _, g := range cfg.Fairness.Groups {
		isString, ok := columns[g]
		switch {
		case !ok:
			return nil, inputErr(fmt.Errorf("%s: fairness.groups names column %q, which %s does not have", cfg.Path, g, path))
		case !isString:
			return nil, inputErr(fmt.Errorf("%s: fairness.groups names column %q, which is not a string column in %s", cfg.Path, g, path))
		}
	}
	for _, m := range models(cfg) {
		if m.cfg.Provider == "replay" && !columns["output"] {
			return nil, inputErr(fmt.Errorf("%s: %s.provider is replay, but %s has no output column to replay", cfg.Path, m.role, path))
		}
	}
	prompt, err := eval.NewPrompt(cfg.Prompt.System, cfg.Prompt.Template)
	if err != nil {
		return nil, inputErr(fmt.Errorf("%s: %w", cfg.Path, err))
	}
	p := &plan{cfg: cfg, info: info, prompt: prompt}
	if p.integrity, err = integrityOptions(cfg); err != nil {
		return nil, err
	}
	if p.candidate, err = eval.NewProvider("candidate", cfg.Candidate, e.getenv); err != nil {
		return nil, inputErr(err)
	}
	if j := cfg.Groundedness.Judge; j != nil && cfg.Groundedness.Method == configs.GroundJudge {
		if p.judge, err = eval.NewProvider("groundedness.judge", *j, e.getenv); err != nil {
			p.close()
			return nil, inputErr(err)
		}
	}
	if cfg.Production != nil {
		if p.production, err = eval.NewProvider("production", *cfg.Production, e.getenv); err != nil {
			p.close()
			return nil, inputErr(err)
		}
	}
	return p, nil
}

type roleModel struct {
	role string
	cfg  configs.Model
}

func models(cfg *configs.Config) []roleModel {
	ms := []roleModel{{"candidate", cfg.Candidate}}
	if cfg.Production != nil {
		ms = append(ms, roleModel{"production", *cfg.Production})
	}
	return ms
}

func bulleted(errs []error) string {
	var b bytes.Buffer
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %v\n", e)
	}
	return b.String()
}

func (p *plan) dryRun(e *env) error {
	fmt.Fprintf(e.stdout, "config %s is valid; dataset %s %s: %d rows, sha256 %s\n", p.cfg.Path, orDash(p.info.Name), orDash(p.info.Version), p.info.Rows, p.info.SHA256)
	for _, m := range models(p.cfg) {
		r, err := datasets.Open(p.cfg.DatasetPath())
		if err != nil {
			return inputErr(err)
		}
		est, err := eval.EstimateRun(r, p.prompt, p.cfg.Run.Repeats, m.cfg.MaxTokens)
		r.Close()
		if err != nil {
			return inputErr(fmt.Errorf("%s: %w", p.cfg.Path, err))
		}
		fmt.Fprintf(e.stdout, "%s: %s %s: %d calls, about %d prompt tokens and at most %d completion tokens", m.role, m.cfg.Provider, m.cfg.Model, est.Calls, est.PromptTokens, est.CompletionTokens)
		if pr := m.cfg.Prices; pr != nil {
			cost := float64(est.PromptTokens)*pr.InputPerMTok/1e6 + float64(est.CompletionTokens)*pr.OutputPerMTok/1e6
			fmt.Fprintf(e.stdout, ", at most %.4f %s", cost, pr.Currency)
		}
		fmt.Fprintln(e.stdout)
		if m.role == "candidate" && est.First != nil {
			fmt.Fprintf(e.stdout, "\nfirst prompt (item %q):\n", est.FirstID)
			for _, msg := range est.First {
				fmt.Fprintf(e.stdout, "--- %s\n%s\n", msg.Role, msg.Content)
			}
			fmt.Fprintln(e.stdout)
		}
	}
	fmt.Fprintln(e.stdout, "every prompt rendered; no model was called")
	return nil
}

func (p *plan) execute(ctx context.Context, e *env) error {
	cfg := p.cfg
	started := time.Now().UTC()
	if cfg.Run.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Run.Deadline, fmt.Errorf("run.deadline of %s reached", cfg.Run.Deadline))
		defer cancel()
	}
	outDir := cfg.Run.Out
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return runErr(fmt.Errorf("create output directory: %w", err))
	}
	var reviewFile string
	in := reports.Input{
		Config: cfg,
		Dataset: reports.DatasetInfo{Path: cfg.DatasetPath(), Name: p.info.Name, Version: p.info.Version,
			SHA256: p.info.SHA256, Rows: p.info.Rows},
	}
	var incomplete []string
	expected := p.info.Rows * int64(cfg.Run.Repeats)
	call := func(role string, m configs.Model, prov eval.Provider, file string) (reports.ModelResults, error) {
		o, err := p.callModel(ctx, e, role, m, prov)
		if err != nil {
			return reports.ModelResults{}, err
		}
		switch {
		case o.stopped != nil:
			incomplete = append(incomplete, fmt.Sprintf("%s stopped after %d of %d calls: %v", role, len(o.results), expected, stopReason(o.stopped)))
		case int64(len(o.results)) < expected:
			incomplete = append(incomplete, fmt.Sprintf("%s finished %d of %d calls", role, len(o.results), expected))
		default:
			if n := failed(o.results); n > 0 && n == len(o.results) {
				incomplete = append(incomplete, fmt.Sprintf("%s: every call failed; the first error: %s", role, firstError(o.results)))
			}
		}
		sum, err := writeResults(filepath.Join(outDir, file), o.results, cfg, m, p.info)
		if err != nil {
			return reports.ModelResults{}, runErr(err)
		}
		return reports.ModelResults{Results: o.results, ResultsFile: file, ResultsSHA256: sum, Stats: o.stats, Adaptive: o.adaptive}, nil
	}
	cand, err := call("candidate", cfg.Candidate, p.candidate, "results.parquet")
	if err != nil {
		return err
	}
	in.Candidate = cand
	if p.production != nil && len(incomplete) == 0 {
		prod, err := call("production", *cfg.Production, p.production, "production-results.parquet")
		if err != nil {
			return err
		}
		in.Production = &prod
	}
	if len(incomplete) > 0 {
		in.Incomplete = strings.Join(incomplete, "; ") + "; run the same command again (or add --resume) to finish: calls already made are not made again"
	}
	if len(in.Candidate.Results) > 0 {
		ig, err := p.checkIntegrity(ctx, e, in.Candidate.Results)
		if err != nil {
			return err
		}
		in.Integrity, in.Judge = &ig.result, ig.judge
		path, err := writeReview(outDir, ig.review, p.info)
		if err != nil {
			return runErr(err)
		}
		reviewFile = path
	}
	in.Redacted = cfg.PII.Redact
	if p.cache != nil {
		st := p.cache.Stats()
		in.Cache = &st
	}
	finished := time.Now().UTC()
	in.Timing = reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}
	rep := reports.Build(in)
	if p.history != nil {
		rep.History = history.Position(p.history, rep)
	}
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, rep); err != nil {
		return runErr(err)
	}
	reportPath := filepath.Join(outDir, "report.json")
	if err := writeFileAtomic(reportPath, buf.Bytes()); err != nil {
		return runErr(err)
	}
	written := writtenFiles(outDir, in)
	if reviewFile != "" {
		written = append(written, reviewFile)
	}
	for _, rf := range render.Files(render.KindReport) {
		var b bytes.Buffer
		if err := rf.Write(&b, rep); err != nil {
			return runErr(err)
		}
		if err := writeFileAtomic(filepath.Join(outDir, rf.File), b.Bytes()); err != nil {
			return runErr(err)
		}
		written = append(written, filepath.Join(outDir, rf.File))
	}
	if s := p.opts.signer; s != nil {
		env, err := reports.SignReport(s, rep, cfg.Candidate.ArtifactSHA256)
		if err != nil {
			return runErr(err)
		}
		if err := writeFileAtomic(filepath.Join(outDir, "report.dsse.json"), env); err != nil {
			return runErr(err)
		}
		written = append(written, filepath.Join(outDir, "report.dsse.json"))
	}
	fmt.Fprintln(e.stdout)
	if err := render.WriteSummary(e.stdout, rep); err != nil {
		return runErr(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", strings.Join(written, ", "))
	if p.opts.signer != nil {
		fmt.Fprintf(e.stdout, "signed with key %s\n", p.opts.signer.KeyID)
	}
	switch {
	case rep.Status != reports.Complete:
		return &exitError{exitRunFail, fmt.Errorf("run incomplete: %s", rep.StatusReason)}
	case rep.Verdict != reports.Allow:
		return &exitError{exitBlock, errors.New("")}
	}
	return nil
}

func writtenFiles(dir string, in reports.Input) []string {
	files := []string{in.Candidate.ResultsFile}
	if in.Production != nil {
		files = append(files, in.Production.ResultsFile)
	}
	files = append(files, "report.json")
	for i, f := range files {
		files[i] = filepath.Join(dir, f)
	}
	return files
}

// modelOutcome is what running one model produced.
type modelOutcome struct {
	results  []records.Result
	stats    records.RunStats
	adaptive *records.AdaptiveStats
	// stopped, when not nil, is why the run stopped before every call was
	// made (interrupt, deadline, circuit breaker).
	stopped error
}

func (p *plan) callModel(ctx context.Context, e *env, role string, m configs.Model, prov eval.Provider) (modelOutcome, error) {
	r, err := datasets.Open(p.cfg.DatasetPath())
	if err != nil {
		return modelOutcome{}, inputErr(err)
	}
	defer r.Close()
	total := int(p.info.Rows) * p.cfg.Run.Repeats
	progress := newProgress(e.stderr, p.opts.progress, fmt.Sprintf("%s %s", role, m.Version), total)
	cache := p.cache
	if m.Provider == "replay" {
		cache = nil // replayed outputs come from the set, not from a model
	}
	setup := eval.Setup{
		Role: role, Model: m, Run: p.cfg.Run, Provider: prov, Prompt: p.prompt, Prompts: p.cfg.Prompt,
		Groups: p.cfg.Fairness.Groups, DatasetSHA256: p.info.SHA256, OutDir: p.cfg.Run.Out,
		Cache: cache, Resume: p.opts.resume,
		Score:    scorer(p.cfg),
		Progress: progress.update,
		Redact:   redactor(p.cfg), RedactPrompts: p.cfg.PII.RedactPrompts,
	}
	runner, rec, err := setup.Runner()
	if err != nil {
		return modelOutcome{}, inputErr(err)
	}
	if rec.Torn > 0 {
		fmt.Fprintf(e.stderr, "%s: the journal's last line was torn by a crash (%d bytes); dropped it, and that call will be made again\n", role, rec.Torn)
	}
	if rec.Stale != "" {
		fmt.Fprintf(e.stderr, "%s: %s recorded a different config, dataset or model; moved it to %s and starting afresh\n", role, setup.JournalPath(), rec.Stale)
	}
	if n := len(rec.Done); n > 0 {
		fmt.Fprintf(e.stderr, "%s: resuming: %d of %d calls already done\n", role, n, total)
	}
	out := modelOutcome{}
	out.results, err = runner.Run(ctx, r)
	progress.update(runner.Stats())
	progress.finish()
	if cerr := runner.Journal.Close(); cerr != nil && err == nil {
		err = cerr
	}
	out.stats = runner.Stats()
	if runner.Adaptive != nil {
		a := runner.Adaptive.Stats()
		out.adaptive = &a
	}
	var sourceErr *datasets.RowError
	switch {
	case err == nil:
	case errors.As(err, &sourceErr):
		return out, inputErr(err)
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || runner.Breaker.Tripped() != nil:
		out.stopped = err
	default:
		return out, runErr(err)
	}
	return out, nil
}

// scorer scores an output against its item under cfg. With pii.redact the
// output arrives redacted, so the references are redacted too: a
// placeholder then meets a placeholder.
func scorer(cfg *configs.Config) func(item *records.Item, output string) map[string]float64 {
	redact := redactor(cfg)
	return func(item *records.Item, output string) map[string]float64 {
		expected, anyOf := item.Expected, item.ExpectedAny
		if redact != nil {
			expected = redact(expected)
			anyOf = make([]string, len(item.ExpectedAny))
			for i, a := range item.ExpectedAny {
				anyOf[i] = redact(a)
			}
		}
		return metrics.ScoreAll(output, metrics.Refs(expected, anyOf))
	}
}

func failed(results []records.Result) int {
	n := 0
	for _, r := range results {
		if r.Error != "" {
			n++
		}
	}
	return n
}

func firstError(results []records.Result) string {
	for _, r := range results {
		if r.Error != "" {
			return r.Error
		}
	}
	return ""
}

// writeResults writes results to path atomically and returns the file's
// SHA-256.
func writeResults(path string, results []records.Result, cfg *configs.Config, m configs.Model, ds datasets.Info) (string, error) {
	var buf bytes.Buffer
	meta := map[string]string{
		"evalgate.model":           m.Version,
		"evalgate.provider":        m.Provider,
		"evalgate.config_sha256":   cfg.SHA256,
		"evalgate.scoring_method":  cfg.Scoring.Method,
		"evalgate.dataset_sha256":  ds.SHA256,
		"evalgate.dataset_name":    ds.Name,
		"evalgate.dataset_version": ds.Version,
	}
	if err := datasets.WriteResults(&buf, results, cfg.Fairness.Groups, configs.Methods(), meta); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so that a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stopReason says in words why a run stopped early.
func stopReason(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline reached"
	}
	return err.Error()
}

// openCache opens the response cache named by run.cache: "off" for none,
// a path (with ~ for the home directory), or by default evalgate under the
// user cache directory. Without a home directory it runs uncached.
func openCache(dir string, e *env) (*eval.Cache, error) {
	if dir == "off" {
		return nil, nil
	}
	home := e.getenv("HOME")
	if rest, ok := strings.CutPrefix(dir, "~/"); ok {
		if home == "" {
			return nil, fmt.Errorf("run.cache %q: HOME is not set", dir)
		}
		dir = filepath.Join(home, rest)
	}
	if dir == "" {
		switch {
		case e.getenv("XDG_CACHE_HOME") != "":
			dir = filepath.Join(e.getenv("XDG_CACHE_HOME"), "evalgate")
		case home != "":
			dir = filepath.Join(home, ".cache", "evalgate")
		default:
			fmt.Fprintln(e.stderr, "no HOME or XDG_CACHE_HOME: running without the response cache")
			return nil, nil
		}
	}
	return eval.NewCache(dir)
}
