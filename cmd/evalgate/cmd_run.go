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
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

const runUsage = "run -c CONFIG [--out DIR] [--dry-run]"

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", runUsage)
	cfgPath := fs.String("c", "", "the config `file` (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	out := fs.String("out", "", "write results and reports to `dir` (overrides run.out)")
	dry := fs.Bool("dry-run", false, "check the config, the dataset and the providers, render the first prompt, and make no model call")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("run: unexpected argument %q (usage: evalgate %s)", pos[0], runUsage)
	}
	if *cfgPath == "" {
		return usageErr("run: -c CONFIG is required (usage: evalgate %s)", runUsage)
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
}

func (p *plan) close() {
	for _, pr := range []eval.Provider{p.candidate, p.production} {
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
	if p.candidate, err = eval.NewProvider("candidate", cfg.Candidate, e.getenv); err != nil {
		return nil, inputErr(err)
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
	r, err := datasets.Open(p.cfg.DatasetPath())
	if err != nil {
		return inputErr(err)
	}
	defer r.Close()
	fmt.Fprintf(e.stdout, "config %s is valid; dataset %s %s: %d rows, sha256 %s\n", p.cfg.Path, orDash(p.info.Name), orDash(p.info.Version), p.info.Rows, p.info.SHA256)
	for _, m := range models(p.cfg) {
		fmt.Fprintf(e.stdout, "%s: %s %s\n", m.role, m.cfg.Provider, m.cfg.Model)
	}
	calls := p.info.Rows * int64(p.cfg.Run.Repeats) * int64(len(models(p.cfg)))
	fmt.Fprintf(e.stdout, "a run would make %d model calls\n", calls)
	if r.Scan() {
		item := r.Item()
		msgs, err := p.prompt.Render(&item)
		if err != nil {
			return inputErr(err)
		}
		fmt.Fprintf(e.stdout, "\nfirst prompt (item %q):\n", item.ID)
		for _, m := range msgs {
			fmt.Fprintf(e.stdout, "--- %s\n%s\n", m.Role, m.Content)
		}
	}
	if err := r.Err(); err != nil {
		return inputErr(err)
	}
	return nil
}

func (p *plan) execute(ctx context.Context, e *env) error {
	cfg := p.cfg
	started := time.Now().UTC()
	outDir := cfg.Run.Out
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return runErr(fmt.Errorf("create output directory: %w", err))
	}
	in := reports.Input{
		Config: cfg,
		Dataset: reports.DatasetInfo{Path: cfg.DatasetPath(), Name: p.info.Name, Version: p.info.Version,
			SHA256: p.info.SHA256, Rows: p.info.Rows},
	}
	var incomplete []string
	call := func(role string, m configs.Model, prov eval.Provider, file string) (reports.ModelResults, error) {
		results, err := p.callModel(ctx, e, role, m, prov)
		if err != nil {
			if ctx.Err() == nil {
				return reports.ModelResults{}, err
			}
			incomplete = append(incomplete, fmt.Sprintf("%s: interrupted after %d of %d calls", role, len(results), p.info.Rows*int64(cfg.Run.Repeats)))
		} else if n := failed(results); n > 0 && n == len(results) {
			incomplete = append(incomplete, fmt.Sprintf("%s: every call failed; the first error: %s", role, firstError(results)))
		}
		sum, err := writeResults(filepath.Join(outDir, file), results, cfg, m)
		if err != nil {
			return reports.ModelResults{}, runErr(err)
		}
		return reports.ModelResults{Results: results, ResultsFile: file, ResultsSHA256: sum}, nil
	}
	cand, err := call("candidate", cfg.Candidate, p.candidate, "results.parquet")
	if err != nil {
		return err
	}
	in.Candidate = cand
	if p.production != nil && ctx.Err() == nil {
		prod, err := call("production", *cfg.Production, p.production, "production-results.parquet")
		if err != nil {
			return err
		}
		in.Production = &prod
	}
	if len(incomplete) > 0 {
		in.Incomplete = fmt.Sprintf("%v; rerun the same command to evaluate the whole set", incomplete)
	}
	finished := time.Now().UTC()
	in.Timing = reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}
	rep := reports.Build(in)
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, rep); err != nil {
		return runErr(err)
	}
	reportPath := filepath.Join(outDir, "report.json")
	if err := writeFileAtomic(reportPath, buf.Bytes()); err != nil {
		return runErr(err)
	}
	fmt.Fprintln(e.stdout)
	if err := reports.WriteSummary(e.stdout, rep); err != nil {
		return runErr(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", strings.Join(writtenFiles(outDir, in), ", "))
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

func (p *plan) callModel(ctx context.Context, e *env, role string, m configs.Model, prov eval.Provider) ([]datasets.Result, error) {
	r, err := datasets.Open(p.cfg.DatasetPath())
	if err != nil {
		return nil, inputErr(err)
	}
	defer r.Close()
	total := int(p.info.Rows) * p.cfg.Run.Repeats
	progress := newProgress(e.stderr, fmt.Sprintf("%s %s", role, m.Version), total)
	runner := &eval.Runner{
		Provider:    prov,
		Prompt:      p.prompt,
		Model:       m.Version,
		Concurrency: p.cfg.Run.Concurrency,
		Repeats:     p.cfg.Run.Repeats,
		Timeout:     p.cfg.Run.Timeout,
		Groups:      p.cfg.Fairness.Groups,
		Score: func(item *datasets.Item, output string) map[string]float64 {
			return metrics.ScoreAll(output, metrics.Refs(item.Expected, item.ExpectedAny))
		},
		Progress: progress.update,
	}
	results, err := runner.Run(ctx, r)
	progress.finish()
	if err != nil && ctx.Err() == nil {
		return results, inputErr(err)
	}
	return results, err
}

func failed(results []datasets.Result) int {
	n := 0
	for _, r := range results {
		if r.Error != "" {
			n++
		}
	}
	return n
}

func firstError(results []datasets.Result) string {
	for _, r := range results {
		if r.Error != "" {
			return r.Error
		}
	}
	return ""
}

// writeResults writes results to path atomically and returns the file's
// SHA-256.
func writeResults(path string, results []datasets.Result, cfg *configs.Config, m configs.Model) (string, error) {
	var buf bytes.Buffer
	meta := map[string]string{
		"evalgate.model":          m.Version,
		"evalgate.provider":       m.Provider,
		"evalgate.config_sha256":  cfg.SHA256,
		"evalgate.scoring_method": cfg.Scoring.Method,
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
