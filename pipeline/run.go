package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// The files a run writes in its output directory.
const (
	ResultsFile           = "results.parquet"
	ProductionResultsFile = "production-results.parquet"
	JudgeResultsFile      = "judge-results.parquet"
	ReviewFile            = "review.parquet"
	ReportFile            = "report.json"
	SignedReportFile      = "report.dsse.json"
)

// Outcome is what a run or a re-score produced.
type Outcome struct {
	// Report is the report, as written to report.json.
	Report *reports.Report
	// Written lists the files written, in order.
	Written []string
	// KeyID names the key that signed the report; empty when unsigned.
	KeyID string
}

// Run calls the models, then scores, judges, reports and signs, writing
// every file to the config's run.out: Prepare → Run → Score → Judge →
// Report → Sign. The results stream to their files as the calls finish,
// in item order, and the report is built from those files by the same
// engine as Score, so that run and score give the same report.
//
// A run stopped early (interrupt, deadline, circuit breaker) or whose
// every call failed still writes its results and an INCOMPLETE report,
// and returns it with an error wrapping ErrIncomplete. An endpoint that
// rejects a call (HTTP 401, 403 or 404: the key or the model) stops the
// run at that call, writes no report and returns an error wrapping
// ErrInput that names the key variable or the model and base URL. A BLOCK
// verdict is not an error.
func (p *Plan) Run(ctx context.Context) (*Outcome, error) {
	cfg := p.cfg
	if p.opts.Shard != nil {
		return nil, inputErr(fmt.Errorf("shard %s: a shard run writes no report; use RunShard", p.opts.Shard))
	}
	started := time.Now().UTC()
	if cfg.Run.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Run.Deadline, fmt.Errorf("run.deadline of %s reached", cfg.Run.Deadline))
		defer cancel()
	}
	outDir := cfg.Run.Out
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, runErr(fmt.Errorf("create output directory: %w", err))
	}
	lock, err := lockOut(outDir, p.opts.logf)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	cand, prod, incomplete, err := p.callModels(ctx, outDir)
	if err != nil {
		return nil, err
	}
	written := []string{cand.path}
	if prod != nil {
		written = append(written, prod.path)
	}

	sc := &scoring{cfg: cfg, src: p.set, set: p.info, opts: p.opts, ig: p.integrity, igOn: cand.results > 0}
	var judge *reports.JudgeRun
	if judging(p.integrity) && cand.results > 0 {
		var jc *modelCall
		if jc, judge, err = p.runJudge(ctx, cand.path); err != nil {
			return nil, err
		}
		// Before scoring, so that the report's digest is the final file's.
		if cand.sha256, err = p.rewriteJudged(cand.path, jc.path); err != nil {
			return nil, err
		}
		judgePath := jc.path
		if sc.verdicts, err = readVerdicts(judgePath, redactor(cfg)); err != nil {
			return nil, err
		}
		written = append(written, judgePath)
	}
	base := ""
	if prod != nil {
		base = prod.path
	}
	// The scoring reads local files, in bounded time: an interrupted or
	// timed-out run still scores what it has, for its INCOMPLETE report.
	t, err := sc.score(context.WithoutCancel(ctx), cand.path, base)
	if err != nil {
		return nil, err
	}
	t.candidate.Info.Stats, t.candidate.Info.Adaptive, t.candidate.Info.CacheOrigins = cand.stats, cand.adaptive, cand.origins
	if prod != nil && t.production != nil {
		t.production.Info.Stats, t.production.Info.Adaptive, t.production.Info.CacheOrigins = prod.stats, prod.adaptive, prod.origins
	}
	if judge != nil && sc.verdicts != nil {
		judge.Calls, judge.Errors = sc.verdicts.counts()
		t.judge = judge
	}
	in := t.input()
	if len(incomplete) > 0 {
		in.Incomplete = strings.Join(incomplete, "; ") + "; run the same command again (or add --resume) to finish: calls already made are not made again"
	}
	if p.cache != nil {
		st := p.cache.Stats()
		in.Cache = &st
	}
	out, err := writeOutcome(cfg, t, in, p.set, p.info, outDir, p.opts, written, nil, func() reports.Timing {
		finished := time.Now().UTC()
		return reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}
	})
	if err != nil {
		return nil, err
	}
	if rep := out.Report; rep.Status != reports.Complete {
		return out, runErr(fmt.Errorf("run incomplete: %s", rep.StatusReason))
	}
	return out, nil
}

// writeOutcome finishes a report from its tallies' input in, as Run and
// Merge both do: it writes the review files, checks that the eval set
// did not change, builds the report (timed by timing, with shards),
// counts the review records, adds the power warnings and the history
// position, and writes report.json, its renderings and the signed report
// to outDir. written are the files already written, which the Outcome
// lists first.
func writeOutcome(cfg *configs.Config, t *Tallies, in reports.StreamInput, set *datasets.Set, info datasets.Info, outDir string, opts Options,
	written []string, shards []reports.ShardRun, timing func() reports.Timing) (*Outcome, error) {
	if t.checker != nil {
		path := filepath.Join(outDir, ReviewFile)
		rows := t.checker.ReviewRows()
		if err := writeReview(path, rows, info); err != nil {
			return nil, runErr(err)
		}
		written = append(written, path)
		files, err := writeReviewSheets(outDir, rows, info)
		written = append(written, files...)
		if err != nil {
			return nil, runErr(err)
		}
	}
	// The eval set must still be the one every read was checked against.
	if err := set.Check(); err != nil {
		return nil, inputErr(err)
	}
	in.Timing = timing()
	rep := reports.BuildFromTallies(in)
	rep.Examples = t.examples.pick(rep)
	countReviews(cfg, rep, opts.Reviews)
	addPowerWarnings(cfg, rep)
	rep.Shards = shards
	if h := opts.History; h != nil {
		rep.History = history.Position(h, rep)
	}
	out := &Outcome{Report: rep}
	var prov *reports.Provenance
	if opts.Provenance != nil {
		pv := *opts.Provenance
		pv.PolicySHA256 = reports.PolicyDigest(cfg.Gate)
		prov = &pv
	}
	files, err := WriteReports(outDir, rep, opts.Signer, cfg.Candidate.ArtifactSHA256, prov)
	if err != nil {
		return nil, err
	}
	out.Written = append(written, files...)
	if opts.Signer != nil {
		out.KeyID = opts.Signer.KeyID
	}
	return out, nil
}

// WriteReports writes report.json and every rendering the render table
// lists for a report (Markdown, HTML, JUnit) to dir and, with signer, the signed report; it returns the
// paths written.
func WriteReports(dir string, rep *reports.Report, signer *signing.Signer, artifactSHA256 string, prov *reports.Provenance) ([]string, error) {
	written := []string{filepath.Join(dir, ReportFile)}
	if err := writeReportJSON(written[0], rep); err != nil {
		return nil, err
	}
	files, err := render.WriteFiles(dir, render.KindReport, rep)
	written = append(written, files...)
	if err != nil {
		return nil, runErr(err)
	}
	if signer != nil {
		env, err := reports.SignReportProvenance(signer, rep, artifactSHA256, prov)
		if err != nil {
			return nil, runErr(err)
		}
		path := filepath.Join(dir, SignedReportFile)
		if _, err := atomicfile.WriteFile(path, env, 0o644); err != nil {
			return nil, runErr(err)
		}
		written = append(written, path)
	}
	return written, nil
}

// callModels calls the candidate, then the production model when the
// config names one and the candidate finished, writing their results
// files in dir; Run and RunShard both call the models through it.
// incomplete says, per model, why the calls did not all finish.
func (p *Plan) callModels(ctx context.Context, dir string) (cand, prod *modelCall, incomplete []string, err error) {
	call := func(role string, m configs.Model, prov eval.Provider, file string) (*modelCall, error) {
		mc, err := p.callModel(ctx, role, m, prov, filepath.Join(dir, file))
		if err != nil {
			return nil, err
		}
		if why := p.incompleteReason(role, mc); why != "" {
			incomplete = append(incomplete, why)
		}
		return mc, nil
	}
	if cand, err = call("candidate", p.cfg.Candidate, p.candidate, ResultsFile); err != nil {
		return nil, nil, nil, err
	}
	if p.production != nil && len(incomplete) == 0 {
		if prod, err = call("production", *p.cfg.Production, p.production, ProductionResultsFile); err != nil {
			return nil, nil, nil, err
		}
	}
	return cand, prod, incomplete, nil
}

// modelCall is what running one model produced: the results file and
// the counts the run's completeness is judged by.
type modelCall struct {
	path string
	// sha256 is the hex SHA-256 of the results file written.
	sha256   string
	results  int64 // results written
	failed   int64 // of which failed
	stats    records.RunStats
	adaptive *records.AdaptiveStats
	// origins are where the answers taken from the cache were recorded.
	origins []records.CacheOrigin
	// firstError is the first failed result's message.
	firstError string
	// stopped, when not nil, is why the run stopped before every call was
	// made (interrupt, deadline, circuit breaker).
	stopped error
}

// incompleteReason says why model role's calls (mc) leave the run
// incomplete, or "" when they do not: stopped early, fewer results than
// the plan's items × repeats, or every call failed.
func (p *Plan) incompleteReason(role string, mc *modelCall) string {
	expected := p.items * int64(p.cfg.Run.Repeats)
	switch {
	case mc.stopped != nil:
		return fmt.Sprintf("%s stopped after %d of %d calls: %v", role, mc.results, expected, stopReason(mc.stopped))
	case mc.results < expected:
		return fmt.Sprintf("%s finished %d of %d calls", role, mc.results, expected)
	case mc.failed > 0 && mc.failed == mc.results:
		return fmt.Sprintf("%s: every call failed; the first error: %s", role, mc.firstError)
	}
	return ""
}

// callModel runs one model over the eval set (the shard's items, with a
// shard), streaming its results in item order into the results file at
// path.
func (p *Plan) callModel(ctx context.Context, role string, m configs.Model, prov eval.Provider, path string) (*modelCall, error) {
	r, err := p.set.Reader()
	if err != nil {
		return nil, inputErr(err)
	}
	defer r.Close()
	total := int(p.items) * p.cfg.Run.Repeats
	progress := p.opts.progress(fmt.Sprintf("%s %s", role, m.Version), total)
	cache := p.cache
	if m.Provider == "replay" {
		cache = nil // replayed outputs come from the set, not from a model
	}
	setup := eval.Setup{
		Role: role, Model: m, Run: p.cfg.Run, Provider: prov, Prompt: p.prompt, Prompts: p.cfg.Prompt,
		Groups: p.cfg.Fairness.Groups, DatasetSHA256: p.info.SHA256, OutDir: p.outDir(), Shard: p.shardName(),
		Cache: cache, Resume: p.opts.Resume,
		Score:    scorer(p.cfg),
		Ground:   p.grounder(),
		Progress: progress.Update,
		Redact:   redactor(p.cfg), RedactPrompts: p.cfg.PII.RedactPrompts, Secrets: p.secrets,
	}
	runner, rec, err := setup.Runner()
	if err != nil {
		return nil, inputErr(err)
	}
	if rec.Torn > 0 {
		p.opts.logf("%s: the journal's last line was torn by a crash (%d bytes); dropped it, and that call will be made again\n", role, rec.Torn)
	}
	if rec.Stale != "" {
		p.opts.logf("%s: %s recorded a different config, dataset, model or shard; moved it to %s and starting afresh\n", role, setup.JournalPath(), rec.Stale)
	}
	if n := len(rec.Done); n > 0 {
		p.opts.logf("%s: resuming: %d of %d calls already done\n", role, n, total)
	}
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		runner.Journal.Close()
		return nil, runErr(err)
	}
	defer f.Abort()
	w, err := datasets.NewResultsWriter(f, p.cfg.Fairness.Groups, configs.Methods(), resultsMeta(p.cfg, m, p.info))
	if err != nil {
		runner.Journal.Close()
		return nil, runErr(err)
	}
	mc := &modelCall{path: path}
	err = runner.Stream(ctx, p.source(r), func(res *records.Result) error {
		mc.results++
		if res.Error != "" {
			if mc.failed == 0 {
				mc.firstError = res.Error
			}
			mc.failed++
		}
		return w.Write(res)
	})
	progress.Update(runner.Stats())
	progress.Finish()
	if cerr := runner.Journal.Close(); cerr != nil && err == nil {
		err = cerr
	}
	mc.stats = runner.Stats()
	mc.origins = runner.CacheOrigins()
	if runner.Adaptive != nil {
		a := runner.Adaptive.Stats()
		mc.adaptive = &a
	}
	var sourceErr *datasets.RowError
	var rejected *eval.RejectedError
	switch {
	case err == nil:
	case errors.As(err, &sourceErr), errors.Is(err, datasets.ErrChanged):
		return nil, inputErr(err)
	case errors.As(err, &rejected):
		return nil, inputErr(rejectedError(role, m, rejected))
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || runner.Breaker.Tripped() != nil:
		mc.stopped = err
	default:
		return nil, runErr(err)
	}
	if err := w.Close(); err != nil {
		return nil, runErr(fmt.Errorf("write %s: %w", path, err))
	}
	mc.sha256 = f.SHA256()
	if err := f.Commit(); err != nil {
		return nil, runErr(err)
	}
	return mc, nil
}

// resultsMeta is the key-value metadata of model m's results file.
func resultsMeta(cfg *configs.Config, m configs.Model, ds datasets.Info) map[string]string {
	return map[string]string{
		"evalgate.model":           m.Version,
		"evalgate.provider":        m.Provider,
		"evalgate.config_sha256":   cfg.SHA256,
		"evalgate.scoring_method":  cfg.Scoring.Method,
		"evalgate.dataset_sha256":  ds.SHA256,
		"evalgate.dataset_name":    ds.Name,
		"evalgate.dataset_version": ds.Version,
	}
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

// writeReview writes the answers routed to review to path.
func writeReview(path string, rows []records.ReviewRow, ds datasets.Info) error {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	meta := map[string]string{"evalgate.kind": "review", "evalgate.dataset_sha256": ds.SHA256, "evalgate.dataset_name": ds.Name, "evalgate.dataset_version": ds.Version}
	if err := datasets.WriteReview(f, rows, meta); err != nil {
		return err
	}
	return f.Commit()
}

// The files beside review.parquet that reviewers open: a spreadsheet
// with empty decision and note columns, and a page to read.
const (
	ReviewCSVFile  = "review.csv"
	ReviewHTMLFile = "review.html"
)

// writeReviewSheets writes review.csv and review.html in dir and returns
// the paths written.
func writeReviewSheets(dir string, rows []records.ReviewRow, ds datasets.Info) ([]string, error) {
	name := strings.TrimSpace(ds.Name + " " + ds.Version)
	if name == "" {
		name = ds.SHA256
	}
	var written []string
	for _, w := range []struct {
		file  string
		write func(*atomicfile.File) error
	}{
		{ReviewCSVFile, func(f *atomicfile.File) error { return render.WriteReviewCSV(f, rows) }},
		{ReviewHTMLFile, func(f *atomicfile.File) error { return render.WriteReviewHTML(f, name, rows) }},
	} {
		path := filepath.Join(dir, w.file)
		f, err := atomicfile.Create(path, 0o644)
		if err != nil {
			return written, err
		}
		if err := w.write(f); err != nil {
			f.Abort()
			return written, err
		}
		if err := f.Commit(); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// rejectedError says what to fix when the endpoint of model m (in role)
// rejected a call: the API key variable for 401 and 403 (never the key),
// the model and base URL for 404. No report is written for such a run:
// nothing in it would be evidence, and running again without fixing the
// config would fail the same way.
func rejectedError(role string, m configs.Model, rej *eval.RejectedError) error {
	url := configs.RedactURL(m.BaseURL)
	said := fmt.Sprintf("the endpoint said: %s", rej.Call.Msg)
	var what string
	switch {
	case rej.Call.Status == 404:
		what = fmt.Sprintf("model %q was not found at %s (HTTP 404): check %s.model and %s.base_url", m.Model, url, role, role)
	case m.APIKeyEnv == "none":
		what = fmt.Sprintf("%s refused the call without an API key (HTTP %d): set %s.api_key_env to the variable that holds the key", url, rej.Call.Status, role)
	case rej.Call.Status == 401:
		what = fmt.Sprintf("%s rejected the API key in %s (HTTP 401): check the key that %s holds, or %s.api_key_env", url, m.APIKeyEnv, m.APIKeyEnv, role)
	default:
		what = fmt.Sprintf("%s refused the API key in %s access to model %q (HTTP %d): check that the key may use the model, or %s.api_key_env", url, m.APIKeyEnv, m.Model, rej.Call.Status, role)
	}
	return fmt.Errorf("%s: %s; no further call was made; %s", role, what, said)
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

// WriteScoreReport writes a re-scored report (Score) as report.json in
// dir, under the output directory's lock (a run or another score writing
// there is refused, naming it). It refuses, before writing, a report.json
// that is one of the inputs (the results, the eval set, the config): a
// re-score never overwrites what it read. It returns the path written.
func WriteScoreReport(dir string, rep *reports.Report, inputs []string, opts Options) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", runErr(fmt.Errorf("create output directory: %w", err))
	}
	path := filepath.Join(dir, ReportFile)
	if st, err := os.Stat(path); err == nil {
		for _, in := range inputs {
			if ist, err := os.Stat(in); in != "" && err == nil && os.SameFile(st, ist) {
				return "", inputErr(fmt.Errorf("--out %s: its %s is %s, an input of this score; choose another --out", dir, ReportFile, in))
			}
		}
	}
	lock, err := lockOut(dir, opts.logf)
	if err != nil {
		return "", err
	}
	defer lock.release()
	return path, writeReportJSON(path, rep)
}

// writeReportJSON writes rep as report.json at path, atomically, with
// its map of audit controls (reports.ReportControls) filled in.
func writeReportJSON(path string, rep *reports.Report) error {
	rep.Controls = reports.ReportControls(rep)
	var b bytes.Buffer
	if err := reports.WriteJSON(&b, rep); err != nil {
		return runErr(err)
	}
	if _, err := atomicfile.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return runErr(err)
	}
	return nil
}
