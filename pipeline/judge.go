package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// The groundedness judge. A run asks the judge model to verify the claims
// of every answer whose item has context, through the same runner as the
// candidate (cached, retried, rate-limited, journalled in
// journal-judge.jsonl), and keeps the judge's replies in
// judge-results.parquet: one row per judged answer, whose id is
// "<item id>#<sample>#<request digest>". The report engine parses the
// replies from that file (readVerdicts), so that evalgate score rebuilds a
// judged run's groundedness without calling the judge, and a reply is used
// only for the very question it answered: the digest covers the claims and
// the context sent.
//
// With method hybrid only the answers whose lexical score falls in their
// task's band are sent (inBand): the checker, scoring the same output
// against the same (redacted) context with the same grounder, looks up
// exactly those answers' replies.

// judgeRequest returns the messages that ask the judge about claims in
// context, and the digest that ties a reply to them.
func judgeRequest(claims, context []string) (system, user, digest string) {
	system, user = integrity.JudgeMessages(claims, context)
	sum := sha256.Sum256([]byte(system + "\x00" + user))
	return system, user, hex.EncodeToString(sum[:6])
}

// redactAll applies redact, when not nil, to each of ss.
func redactAll(ss []string, redact func(string) string) []string {
	if redact == nil || len(ss) == 0 {
		return ss
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = redact(s)
	}
	return out
}

// runJudge asks the judge about the candidate's answers in the results
// file at resultsPath, streaming the replies into judge-results.parquet
// beside it; it returns that file (its path, digest, rows and the
// runner's statistics) and the judge's identity and cache hits (its calls
// and errors are counted when the replies are read).
// A failed call or an unparseable reply is a judge error, never
// "supported".
func (p *Plan) runJudge(ctx context.Context, resultsPath string) (*modelCall, *reports.JudgeRun, error) {
	m := *p.cfg.Groundedness.Judge
	src, err := newJudgeSource(p.set, resultsPath, redactor(p.cfg), p.integrity)
	if err != nil {
		return nil, nil, err
	}
	defer func() { src.close() }()
	info := &reports.JudgeRun{Provider: m.Provider, Model: m.Model, Version: m.Version, BaseURL: configs.RedactURL(m.BaseURL)}
	prompt, err := eval.NewPrompt("", "{{.Input}}")
	if err != nil {
		return nil, nil, runErr(err)
	}
	run := p.cfg.Run
	run.Repeats = 1
	total := 0
	for src.Scan() {
		total++
	}
	if src.err != nil {
		src.close()
		return nil, nil, inputErr(fmt.Errorf("judge: %w", src.err))
	}
	src.close()
	if src, err = newJudgeSource(p.set, resultsPath, redactor(p.cfg), p.integrity); err != nil {
		return nil, nil, err
	}
	progress := p.opts.progress("judge "+m.Version, total)
	setup := eval.Setup{
		Role: "judge", Model: m, Run: run, Provider: p.judge, Prompt: prompt,
		Prompts:       configs.Prompt{Template: "evalgate judge v1"},
		DatasetSHA256: p.info.SHA256, OutDir: p.outDir(), Shard: p.shardName(), Cache: p.cache, Resume: p.opts.Resume,
		Progress: progress.Update, Redact: redactor(p.cfg), Secrets: p.secrets,
	}
	runner, _, err := setup.Runner()
	if err != nil {
		return nil, nil, inputErr(err)
	}
	path := filepath.Join(filepath.Dir(resultsPath), JudgeResultsFile)
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		runner.Journal.Close()
		return nil, nil, runErr(err)
	}
	defer f.Abort()
	meta := resultsMeta(p.cfg, m, p.info)
	meta["evalgate.kind"] = "judge"
	w, err := datasets.NewResultsWriter(f, nil, nil, meta)
	if err != nil {
		runner.Journal.Close()
		return nil, nil, runErr(err)
	}
	mc := &modelCall{path: path}
	err = runner.Stream(ctx, src, func(res *records.Result) error {
		mc.results++
		if res.Error != "" {
			mc.failed++
		}
		return w.Write(res)
	})
	progress.Update(runner.Stats())
	progress.Finish()
	if cerr := runner.Journal.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err == nil {
		err = src.err
	}
	var rejected *eval.RejectedError
	if errors.As(err, &rejected) {
		return nil, nil, inputErr(rejectedError("groundedness.judge", m, rejected))
	}
	if err != nil {
		return nil, nil, runErr(fmt.Errorf("judge: %w", err))
	}
	if err := w.Close(); err != nil {
		return nil, nil, runErr(fmt.Errorf("write %s: %w", path, err))
	}
	mc.sha256 = f.SHA256()
	if err := f.Commit(); err != nil {
		return nil, nil, runErr(err)
	}
	mc.stats, mc.origins = runner.Stats(), runner.CacheOrigins()
	if runner.Adaptive != nil {
		a := runner.Adaptive.Stats()
		mc.adaptive = &a
	}
	info.Cached = mc.stats.Cached
	return mc, info, nil
}

// judgeSource is the runner's source of judge requests: it merge-joins the
// eval set with the candidate's results, which a run writes in the set's
// order, and yields one request per answer with claims whose item has
// context.
type judgeSource struct {
	items   *datasets.Reader
	results *datasets.ResultsReader
	redact  func(string) string
	// inBand, when not nil (method hybrid), says which answers to send.
	inBand  func(task string, res *records.Result, context []string) bool
	item    records.Item
	context []string // item's context, redacted
	started bool
	next    records.Item
	row     int64
	err     error
}

func newJudgeSource(set *datasets.Set, resultsPath string, redact func(string) string, opts integrity.Options) (*judgeSource, error) {
	items, err := set.Reader()
	if err != nil {
		return nil, inputErr(err)
	}
	results, err := datasets.OpenResults(resultsPath)
	if err != nil {
		items.Close()
		return nil, inputErr(err)
	}
	return &judgeSource{items: items, results: results, redact: redact, inBand: inBand(opts)}, nil
}

// inBand returns method hybrid's choice of the answers to judge, or nil
// for the other methods (every answer with claims is judged). The
// lexical score is the one the run recorded with the result
// (records.Result.Groundedness, made by the same Grounder on the same
// redacted answer and context), so the answer is not checked again; a
// result without it (a results file of an older evalgate) is checked
// here.
func inBand(opts integrity.Options) func(task string, res *records.Result, context []string) bool {
	if opts.Escalation == nil || opts.Grounder == nil {
		return nil
	}
	return func(task string, res *records.Result, context []string) bool {
		score := 0.0
		if g := res.Groundedness; g != nil && g.Method == integrity.GroundLexical {
			score = g.Score
		} else {
			score = opts.Grounder.Ground(res.Output, context).Score
		}
		return opts.Escalation.Escalate(task, score)
	}
}

func (s *judgeSource) close() {
	s.items.Close()
	s.results.Close()
}

// Scan advances to the next request; a join error ends the scan and is
// kept in s.err, returned by Err.
func (s *judgeSource) Scan() bool {
	for s.err == nil && s.results.Scan() {
		res := s.results.Result()
		for !s.started || s.item.ID != res.ID {
			if !s.items.Scan() {
				if s.err = s.items.Err(); s.err == nil {
					s.err = fmt.Errorf("result %q is not in the eval set's order", res.ID)
				}
				return false
			}
			s.item, s.started = s.items.Item(), true
			s.context = redactAll(s.item.Context, s.redact)
		}
		if res.Error != "" || len(s.item.Context) == 0 {
			continue
		}
		if s.inBand != nil && !s.inBand(s.item.Task, &res, s.context) {
			continue
		}
		claims := integrity.SplitClaims(res.Output)
		if len(claims) == 0 {
			continue
		}
		system, user, digest := judgeRequest(claims, s.context)
		s.next = records.Item{Row: s.row, ID: fmt.Sprintf("%s#%d#%s", res.ID, res.Sample, digest), System: system, Input: user}
		s.row++
		return true
	}
	if s.err == nil {
		s.err = s.results.Err()
	}
	return false
}

func (s *judgeSource) Item() records.Item { return s.next }
func (s *judgeSource) Err() error         { return s.err }

// verdicts holds the judge's replies by answer, as read from
// judge-results.parquet, and parses them as the checks ask.
type verdicts struct {
	redact  func(string) string
	replies map[eval.Key]judgeReply
	mu      sync.Mutex
	calls   int // answers with claims looked up
	errors  int // of which judge errors
}

// judgeReply is one judge call's outcome for one answer.
type judgeReply struct {
	digest, output, err            string
	promptTokens, completionTokens int
}

// readVerdicts reads the judge's replies from path.
func readVerdicts(path string, redact func(string) string) (*verdicts, error) {
	rows, _, err := datasets.ReadResults(path)
	if err != nil {
		return nil, inputErr(fmt.Errorf("judge results: %w", err))
	}
	v := &verdicts{redact: redact, replies: make(map[eval.Key]judgeReply, len(rows))}
	for _, r := range rows {
		id, digest, ok1 := cutLast(r.ID)
		id, sample, ok2 := cutLast(id)
		n, err := strconv.Atoi(sample)
		if !ok1 || !ok2 || err != nil {
			return nil, inputErr(fmt.Errorf("%s: id %q is not <item id>#<sample>#<digest>", path, r.ID))
		}
		v.replies[eval.Key{ID: id, Sample: n}] = judgeReply{digest: digest, output: r.Output, err: r.Error, promptTokens: r.PromptTokens, completionTokens: r.CompletionTokens}
	}
	return v, nil
}

// cutLast cuts s around its last '#'.
func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '#')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// counts returns the answers judged and the judge errors among them.
func (v *verdicts) counts() (calls, errors int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls, v.errors
}

// reset forgets the counts, before a second pass over the answers.
func (v *verdicts) reset() {
	if v == nil {
		return
	}
	v.mu.Lock()
	v.calls, v.errors = 0, 0
	v.mu.Unlock()
}

// lookup returns the verdicts of item's answers among results, for
// integrity.Checker; nil when v is nil. It is safe for concurrent use.
func (v *verdicts) lookup(item *records.Item, results []records.Result) func(sample int) integrity.Judged {
	if v == nil {
		return nil
	}
	return func(sample int) integrity.Judged {
		var res *records.Result
		for i := range results {
			if results[i].Sample == sample {
				res = &results[i]
				break
			}
		}
		if res == nil {
			return integrity.Judged{Err: "judge error: no answer to judge"}
		}
		claims := integrity.SplitClaims(res.Output)
		if len(claims) == 0 {
			g, _ := integrity.GroundingFromVerdicts(nil, nil)
			return integrity.Judged{Grounding: g}
		}
		j := v.judge(item, claims, v.replies[eval.Key{ID: item.ID, Sample: sample}])
		v.mu.Lock()
		v.calls++
		if j.Err != "" {
			v.errors++
		}
		v.mu.Unlock()
		return j
	}
}

// judge parses reply, the judge's answer about claims of an answer to
// item.
func (v *verdicts) judge(item *records.Item, claims []string, reply judgeReply) integrity.Judged {
	_, _, digest := judgeRequest(claims, redactAll(item.Context, v.redact))
	var j integrity.Judged
	if reply.digest == digest {
		j.PromptTokens, j.CompletionTokens = reply.promptTokens, reply.completionTokens
	}
	switch {
	case reply.digest == "":
		j.Err = "judge error: no reply recorded for this answer"
	case reply.digest != digest:
		j.Err = "judge error: the recorded reply is for another question (its claims or context differ)"
	case reply.err != "":
		j.Err = "judge error: the call failed: " + reply.err
	default:
		vs, err := integrity.ParseJudgeReply(reply.output, len(claims))
		if err == nil {
			j.Grounding, err = integrity.GroundingFromVerdicts(claims, vs)
		}
		if err != nil {
			j.Err = "judge error: " + err.Error()
		}
	}
	return j
}

// estimateJudge counts, before any call, the judge calls of methods judge
// and hybrid (run --dry-run). With a replayed candidate the answers are
// known: it counts the answers with claims, and for hybrid those whose
// lexical score is in the band, each with its prompt's tokens. With a
// live candidate the answers are not known yet, so every answer with
// context counts (an upper bound), its prompt's tokens those of the
// context alone.
func (p *Plan) estimateJudge() (ModelEstimate, error) {
	m := *p.cfg.Groundedness.Judge
	r, err := p.set.Reader()
	if err != nil {
		return ModelEstimate{}, inputErr(err)
	}
	defer r.Close()
	src := p.source(r)
	redact := redactor(p.cfg)
	band := inBand(p.integrity)
	replay := p.cfg.Candidate.Provider == "replay"
	repeats, maxTokens := int64(p.cfg.Run.Repeats), int64(max(m.MaxTokens, m.MaxCompletionTokens))
	var est eval.Estimate
	for src.Scan() {
		it := src.Item()
		if len(it.Context) == 0 {
			continue
		}
		context := redactAll(it.Context, redact)
		var claims []string
		if replay {
			out := it.Output
			if redact != nil {
				out = redact(out)
			}
			if band != nil && !band(it.Task, &records.Result{Output: out}, context) {
				continue
			}
			if claims = integrity.SplitClaims(out); len(claims) == 0 {
				continue
			}
		}
		system, user := integrity.JudgeMessages(claims, context)
		est.Calls += repeats
		est.PromptTokens += repeats * int64((len(system)+len(user)+3)/4)
		est.CompletionTokens += repeats * maxTokens
	}
	if err := src.Err(); err != nil {
		return ModelEstimate{}, inputErr(fmt.Errorf("%s: %w", p.cfg.Path, err))
	}
	me := ModelEstimate{Role: "groundedness.judge", Model: m, Estimate: est}
	switch {
	case !replay:
		me.Note = "an upper bound: every answer with context, its prompt counted without the claims, which are not known before the candidate answers"
	case band != nil:
		me.Note = "the replayed answers whose lexical score is in the band"
	default:
		me.Note = "the replayed answers with claims"
	}
	if pr := m.Prices; pr != nil {
		cost := float64(est.PromptTokens)*pr.InputPerMTok/1e6 + float64(est.CompletionTokens)*pr.OutputPerMTok/1e6
		me.Cost = &cost
	}
	return me, nil
}
