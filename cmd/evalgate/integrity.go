package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// integrityOptions compiles the config's groundedness, boundary, review and
// PII settings; a bad rule or an unreadable JSON Schema is an input error.
func integrityOptions(cfg *configs.Config) (integrity.Options, error) {
	opts := integrity.Options{
		Judge:           cfg.Groundedness.Method == configs.GroundJudge,
		DetectPII:       cfg.PII.DetectPII(),
		Redact:          cfg.PII.Redact,
		ConfidenceBelow: cfg.Review.ConfidenceBelow,
		Groups:          cfg.Fairness.Groups,
		Level:           cfg.Scoring.Confidence,
	}
	if cfg.Groundedness.Method == configs.GroundLexical {
		opts.Grounder = integrity.NewGrounder(integrity.GroundOptions{})
	}
	var schema []byte
	if path := cfg.JSONSchemaPath(); path != "" {
		var err error
		if schema, err = os.ReadFile(path); err != nil {
			return opts, inputErr(fmt.Errorf("%s: boundaries.json_schema: %w", cfg.Path, err))
		}
	}
	b, err := integrity.CompileBoundaries(cfg.Boundaries, schema)
	if err != nil {
		return opts, inputErr(fmt.Errorf("%s: %w", cfg.Path, err))
	}
	opts.Boundaries = b
	return opts, nil
}

// redactor is pii.redact's rewrite of stored text, or nil.
func redactor(cfg *configs.Config) func(string) string {
	if cfg.PII.Redact {
		return integrity.RedactPII
	}
	return nil
}

// integrityOutcome is what the integrity checks of a run found.
type integrityOutcome struct {
	result integrity.Summary
	review []records.ReviewRow
	judge  *reports.JudgeRun
}

// checkIntegrity runs the groundedness (asking the judge model when the
// method is judge), boundary and PII checks over the candidate's results,
// reading the eval set again in order, and routes answers to review.
func (p *plan) checkIntegrity(ctx context.Context, e *env, results []records.Result) (*integrityOutcome, error) {
	bySample := map[string][]records.Result{}
	for _, r := range results {
		bySample[r.ID] = append(bySample[r.ID], r)
	}
	out := &integrityOutcome{}
	var verdicts map[eval.Key]integrity.Judged
	if p.integrity.Judge {
		var err error
		if verdicts, out.judge, err = p.runJudge(ctx, e, bySample); err != nil {
			return nil, err
		}
	}
	checker := integrity.NewChecker(p.integrity)
	r, err := datasets.Open(p.cfg.DatasetPath())
	if err != nil {
		return nil, inputErr(err)
	}
	defer r.Close()
	for r.Scan() {
		item := r.Item()
		checker.Add(&item, bySample[item.ID], func(sample int) integrity.Judged { return verdicts[eval.Key{ID: item.ID, Sample: sample}] })
	}
	if err := r.Err(); err != nil {
		return nil, inputErr(err)
	}
	out.result, out.review = checker.Result(), checker.ReviewRows()
	return out, nil
}

// judgeCall is one answer sent to the judge: its claims, in order.
type judgeCall struct {
	key    eval.Key
	claims []string
}

// runJudge asks the judge model to verify the claims of every answer whose
// item has context, through the same runner as the candidate (cached,
// retried, rate-limited, journalled in journal-judge.jsonl), and parses each
// reply. A failed call or an unparseable reply is a judge error, never
// "supported".
func (p *plan) runJudge(ctx context.Context, e *env, bySample map[string][]records.Result) (map[eval.Key]integrity.Judged, *reports.JudgeRun, error) {
	m := *p.cfg.Groundedness.Judge
	src, err := datasets.Open(p.cfg.DatasetPath())
	if err != nil {
		return nil, nil, inputErr(err)
	}
	var items []records.Item
	calls := map[string]judgeCall{}
	verdicts := map[eval.Key]integrity.Judged{}
	redact := redactor(p.cfg)
	for src.Scan() {
		item := src.Item()
		if len(item.Context) == 0 {
			continue
		}
		context := item.Context
		if redact != nil {
			context = make([]string, len(item.Context))
			for i, c := range item.Context {
				context[i] = redact(c)
			}
		}
		for _, res := range bySample[item.ID] {
			if res.Error != "" {
				continue
			}
			key := eval.Key{ID: item.ID, Sample: res.Sample}
			claims := integrity.SplitClaims(res.Output)
			if len(claims) == 0 {
				g, _ := integrity.GroundingFromVerdicts(nil, nil)
				verdicts[key] = integrity.Judged{Grounding: g}
				continue
			}
			system, user := integrity.JudgeMessages(claims, context)
			// The id carries a digest of the request, so that a journal
			// entry is reused only for the very same question.
			sum := sha256.Sum256([]byte(system + "\x00" + user))
			id := fmt.Sprintf("%s#%d#%s", item.ID, res.Sample, hex.EncodeToString(sum[:6]))
			calls[id] = judgeCall{key: key, claims: claims}
			items = append(items, records.Item{Row: int64(len(items)), ID: id, System: system, Input: user})
		}
	}
	src.Close()
	if err := src.Err(); err != nil {
		return nil, nil, inputErr(err)
	}
	info := &reports.JudgeRun{Provider: m.Provider, Model: m.Model, Version: m.Version, BaseURL: m.BaseURL, Calls: len(items)}
	if len(items) == 0 {
		return verdicts, info, nil
	}
	prompt, err := eval.NewPrompt("", "{{.Input}}")
	if err != nil {
		return nil, nil, runErr(err)
	}
	run := p.cfg.Run
	run.Repeats = 1
	progress := newProgress(e.stderr, p.opts.progress, "judge "+m.Version, len(items))
	setup := eval.Setup{
		Role: "judge", Model: m, Run: run, Provider: p.judge, Prompt: prompt,
		Prompts:       configs.Prompt{Template: "evalgate judge v1"},
		DatasetSHA256: p.info.SHA256, OutDir: p.cfg.Run.Out, Cache: p.cache, Resume: p.opts.resume,
		Progress: progress.update, Redact: redact,
	}
	runner, _, err := setup.Runner()
	if err != nil {
		return nil, nil, inputErr(err)
	}
	results, err := runner.Run(ctx, &sliceSource{items: items})
	progress.update(runner.Stats())
	progress.finish()
	if cerr := runner.Journal.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, runErr(fmt.Errorf("judge: %w", err))
	}
	info.Cached = runner.Stats().Cached
	for _, res := range results {
		call := calls[res.ID]
		j := integrity.Judged{}
		if res.Error != "" {
			j.Err = "judge error: the call failed: " + res.Error
		} else if vs, perr := integrity.ParseJudgeReply(res.Output, len(call.claims)); perr != nil {
			j.Err = "judge error: " + perr.Error()
		} else if j.Grounding, perr = integrity.GroundingFromVerdicts(call.claims, vs); perr != nil {
			j.Err = "judge error: " + perr.Error()
		}
		if j.Err != "" {
			info.Errors++
		}
		verdicts[call.key] = j
	}
	return verdicts, info, nil
}

// sliceSource hands a runner items from memory.
type sliceSource struct {
	items []records.Item
	i     int
}

func (s *sliceSource) Scan() bool {
	s.i++
	return s.i <= len(s.items)
}
func (s *sliceSource) Item() records.Item { return s.items[s.i-1] }
func (s *sliceSource) Err() error         { return nil }

// writeReview writes the answers routed to review as review.parquet.
func writeReview(dir string, rows []records.ReviewRow, ds datasets.Info) (string, error) {
	var buf bytes.Buffer
	meta := map[string]string{"evalgate.kind": "review", "evalgate.dataset_sha256": ds.SHA256, "evalgate.dataset_name": ds.Name, "evalgate.dataset_version": ds.Version}
	if err := datasets.WriteReview(&buf, rows, meta); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "review.parquet")
	return path, writeFileAtomic(path, buf.Bytes())
}

// loadHistory reads and verifies the signed reports under dir for run
// --history. A folder with no verifiable report yet (the first week) is
// not an error: the run goes on without a history section.
func loadHistory(e *env, dir, keyPath string) (*history.History, error) {
	if dir == "" || keyPath == "" {
		return nil, usageErr("run: --history and --history-key go together")
	}
	pub, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, inputErr(fmt.Errorf("--history-key: %w", err))
	}
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		return nil, inputErr(fmt.Errorf("--history-key %s: %w", keyPath, err))
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "history: %s does not exist yet; no control charts this time\n", dir)
		return nil, nil
	}
	set, err := history.ReadSignedReports(os.DirFS(dir), v)
	if err != nil {
		return nil, inputErr(fmt.Errorf("--history %s: %w", dir, err))
	}
	for _, x := range set.Excluded {
		fmt.Fprintf(e.stderr, "history: left out %s: %s\n", x.Path, x.Reason)
	}
	h, err := history.New(set, history.Options{})
	if errors.Is(err, history.ErrNoReports) {
		fmt.Fprintf(e.stderr, "history: no verified report under %s yet; no control charts this time\n", dir)
		return nil, nil
	}
	if err != nil {
		return nil, inputErr(fmt.Errorf("--history %s: %w", dir, err))
	}
	return h, nil
}

// scoreIntegrityOptions returns the groundedness, boundary and PII
// checks of evalgate score, and false when there is nothing to check. The
// judge method needs model calls, which score does not make, so its
// groundedness is left out with a note. cmdScore runs the checks inside
// the scoring (scoreChecks).
func scoreIntegrityOptions(e *env, cfg *configs.Config) (integrity.Options, bool, error) {
	opts, err := integrityOptions(cfg)
	if err != nil {
		return opts, false, err
	}
	if opts.Judge {
		opts.Judge = false
		fmt.Fprintln(e.stderr, "evalgate: note: groundedness.method is judge, which needs model calls; score leaves groundedness out")
	}
	if opts.Grounder == nil && !opts.DetectPII && len(opts.Boundaries.Rules()) == 0 && opts.ConfidenceBelow == 0 {
		return opts, false, nil
	}
	return opts, true, nil
}

// scoreIntegrityByID holds the results by id, then checks the items in
// the eval set's order: the second pass of evalgate score's checks for
// results that do not follow the set's order.
func scoreIntegrityByID(cfg *configs.Config, resultsPath string, checker *integrity.Checker) error {
	all, _, err := datasets.ReadResults(resultsPath)
	if err != nil {
		return inputErr(err)
	}
	byID := map[string][]records.Result{}
	for _, r := range all {
		byID[r.ID] = append(byID[r.ID], r)
	}
	items, err := datasets.Open(cfg.DatasetPath())
	if err != nil {
		return inputErr(err)
	}
	defer items.Close()
	for items.Scan() {
		it := items.Item()
		checker.Add(&it, byID[it.ID], nil)
	}
	if err := items.Err(); err != nil {
		return inputErr(err)
	}
	return nil
}
