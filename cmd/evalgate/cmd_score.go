package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

const scoreUsage = "score -c CONFIG --results results.parquet [--baseline production-results.parquet] [--out DIR]"

// cmdScore re-scores recorded results with the config's scoring, fairness
// and gate, so that a changed scoring method or gate costs no model call.
func cmdScore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "score", scoreUsage)
	cfgPath := fs.String("c", "", "the config `file` (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	resultsPath := fs.String("results", "", "the candidate's results `file` (required)")
	baselinePath := fs.String("baseline", "", "the production model's results `file`, for the regression")
	out := fs.String("out", "", "write report.json to `dir` (default run.out)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *cfgPath == "" || *resultsPath == "" {
		return usageErr("score: usage: evalgate %s", scoreUsage)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *out != "" {
		cfg.Run.Out = *out
	}
	set, err := datasets.Open(cfg.DatasetPath())
	if err != nil {
		return inputErr(err)
	}
	info := set.Info()
	set.Close()
	if err := cfg.CheckDigest(info.SHA256); err != nil {
		return inputErr(err)
	}
	started := time.Now().UTC()
	// Regression pairing and repeat statistics need every result of the
	// run at once; only then are the (slimmed) results kept.
	keepPairs := *baselinePath != ""
	keepRepeats := cfg.Run.Repeats > 1
	if keepPairs && cfg.Production == nil {
		return usageErr("score: --baseline needs a production model in %s", cfg.Path)
	}
	in := reports.StreamInput{Config: cfg, Dataset: reports.DatasetInfo{Path: cfg.DatasetPath(), Name: info.Name, Version: info.Version, SHA256: info.SHA256, Rows: info.Rows}}
	cand, candKept, err := scoreResults(ctx, e, cfg, info, *resultsPath, true, keepPairs, keepRepeats)
	if err != nil {
		return err
	}
	in.Candidate = cand
	if keepRepeats {
		rep := metrics.ComputeRepeats(candKept, reports.MetricOptions(cfg))
		in.Repeats = &rep
	}
	if keepPairs {
		base, baseKept, err := scoreResults(ctx, e, cfg, info, *baselinePath, false, true, false)
		if err != nil {
			return err
		}
		in.Production = base
		reg := metrics.CompareByGroup(candKept, baseKept, cfg.Fairness.Groups, reports.MetricOptions(cfg))
		in.Regression = &reg
	}
	ig, err := scoreIntegrity(e, cfg, *resultsPath)
	if err != nil {
		return err
	}
	in.Integrity = ig
	finished := time.Now().UTC()
	in.Timing = reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}
	rep := reports.BuildFromTallies(in)
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, rep); err != nil {
		return runErr(err)
	}
	if err := mkdirAll(cfg.Run.Out); err != nil {
		return runErr(err)
	}
	path := filepath.Join(cfg.Run.Out, "report.json")
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return runErr(err)
	}
	if err := reports.WriteSummary(e.stdout, rep); err != nil {
		return runErr(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (re-scored, no model called)\n", path)
	if rep.Verdict != reports.Allow {
		return &exitError{exitBlock, fmt.Errorf("")}
	}
	return nil
}

// scoreResults streams the results file at path, re-scores each result
// against the eval set's reference answers and adds it to a tally. With
// pairs or repeats it also returns the re-scored results, slimmed to what
// metrics.CompareByGroup (id, sample, groups, scores) or
// metrics.ComputeRepeats (also output and error) read; otherwise it holds
// no result after tallying it.
//
// Three stages overlap: one goroutine reads results and joins their
// references, GOMAXPROCS workers score batches of them, and the caller's
// goroutine tallies the batches in file order, so that the tally (and its
// floating-point sums) sees exactly the sequence a single loop would. At
// most 3·GOMAXPROCS+2 batches are in flight.
func scoreResults(ctx context.Context, e *env, cfg *configs.Config, set datasets.Info, path string, candidate, pairs, repeats bool) (*reports.ModelTally, []datasets.Result, error) {
	rr, err := datasets.OpenResults(path)
	if err != nil {
		return nil, nil, inputErr(err)
	}
	defer rr.Close()
	rr.SkipScores = true // the scores are recomputed
	info := rr.Info()
	if d := info.Metadata["evalgate.dataset_sha256"]; d != "" && d != set.SHA256 {
		return nil, nil, inputErr(fmt.Errorf("%s was made from dataset %s, but %s is %s", path, d, set.Path, set.SHA256))
	}
	refs := &refCursor{path: set.Path, sha256: set.SHA256}
	defer refs.close()
	tally := reports.NewModelTally(cfg, candidate)
	tally.Info = reports.ModelResults{ResultsFile: filepath.Base(path), ResultsSHA256: info.SHA256}
	var kept []datasets.Result

	workers := runtime.GOMAXPROCS(0)
	g, ctx := errgroup.WithContext(ctx)
	todo := make(chan *scoreBatch, workers)      // to the workers
	ordered := make(chan *scoreBatch, 2*workers) // to the tally, in file order
	g.Go(func() error {
		defer close(todo)
		defer close(ordered)
		b := newScoreBatch()
		send := func() error {
			for _, ch := range []chan *scoreBatch{ordered, todo} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			b = newScoreBatch()
			return nil
		}
		for rr.Scan() {
			r := rr.Result()
			item, err := refs.lookup(r.ID)
			if err != nil {
				return inputErr(fmt.Errorf("%s: result %q: %w", path, r.ID, err))
			}
			b.results = append(b.results, r)
			b.refs = append(b.refs, item)
			if len(b.results) == scoreBatchSize {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if err := rr.Err(); err != nil {
			return inputErr(err)
		}
		if len(b.results) > 0 {
			return send()
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for b := range todo {
				for i := range b.results {
					r := &b.results[i]
					r.Task, r.Expected = b.refs[i].task, b.refs[i].expected
					r.Scores = metrics.ScoreAll(r.Output, b.refs[i].refs)
				}
				close(b.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		for b := range ordered {
			select {
			case <-b.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			for i := range b.results {
				r := &b.results[i]
				tally.Add(r)
				if pairs || repeats {
					slim := datasets.Result{ID: r.ID, Sample: r.Sample, Groups: r.Groups, Scores: r.Scores}
					if repeats {
						slim.Output, slim.Error = r.Output, r.Error
					}
					kept = append(kept, slim)
				}
			}
			b.recycle()
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		var ee *exitError
		if !errors.As(err, &ee) {
			err = runErr(err)
		}
		return nil, nil, err
	}
	if refs.byID != nil {
		fmt.Fprintf(e.stderr, "evalgate: note: %s is not in the order of %s, so its %d reference answers were held in memory\n", path, set.Path, len(refs.byID))
	}
	return tally, kept, nil
}

// scoreBatchSize is the number of results a scoring worker takes at a time.
const scoreBatchSize = 1024

// scoreBatch is a run of consecutive results and their items' references;
// done is closed once a worker has scored them.
type scoreBatch struct {
	results []datasets.Result
	refs    []itemRefs
	done    chan struct{}
}

// scoreBatches recycles tallied batches, which saves allocating and
// collecting a batch's slices for each 1,024 results.
var scoreBatches = sync.Pool{New: func() any {
	return &scoreBatch{
		results: make([]datasets.Result, 0, scoreBatchSize),
		refs:    make([]itemRefs, 0, scoreBatchSize),
	}
}}

func newScoreBatch() *scoreBatch {
	b := scoreBatches.Get().(*scoreBatch)
	b.done = make(chan struct{})
	return b
}

// recycle empties a tallied batch, dropping its references to results,
// and returns it to scoreBatches.
func (b *scoreBatch) recycle() {
	clear(b.results)
	clear(b.refs)
	b.results, b.refs, b.done = b.results[:0], b.refs[:0], nil
	scoreBatches.Put(b)
}

// itemRefs is what scoring needs of an eval-set item.
type itemRefs struct {
	refs           []string
	task, expected string
}

// maxRewinds is how many times a refCursor restarts the eval set before
// it gives up on a merge join and holds the references in a map.
// Results with repeats written sample by sample rewind once per sample.
const maxRewinds = 16

// refCursor finds the reference answers of results by id. Results that
// evalgate writes follow the eval set's order, so it merge-joins: it reads
// the set forward alongside the results and holds one item. When a result
// is not ahead of the cursor it restarts the set, and after maxRewinds
// restarts it reads every item's references into byID, one entry per item.
type refCursor struct {
	path, sha256 string
	r            *datasets.Reader
	id           string
	cur          itemRefs
	rewinds      int
	byID         map[string]itemRefs
}

// errNoItem is the error of a result whose id is not in the eval set.
var errNoItem = errors.New("no item of the eval set has this id")

// lookup returns the references of the item with id.
func (c *refCursor) lookup(id string) (itemRefs, error) {
	if c.byID != nil {
		it, ok := c.byID[id]
		if !ok {
			return itemRefs{}, errNoItem
		}
		return it, nil
	}
	if c.r != nil && c.id == id {
		return c.cur, nil
	}
	for pass := 0; pass < 2; pass++ {
		if c.r == nil {
			if c.rewinds >= maxRewinds {
				return c.fallback(id)
			}
			if err := c.open(); err != nil {
				return itemRefs{}, err
			}
		}
		for c.r.Scan() {
			it := c.r.Item()
			c.id, c.cur = it.ID, itemRefs{refs: metrics.Refs(it.Expected, it.ExpectedAny), task: it.Task, expected: it.Expected}
			if c.id == id {
				return c.cur, nil
			}
		}
		if err := c.r.Err(); err != nil {
			return itemRefs{}, err
		}
		c.close()
		c.rewinds++
	}
	return itemRefs{}, errNoItem
}

// open (re)starts the eval set, which must not have changed.
func (c *refCursor) open() error {
	r, err := datasets.Open(c.path)
	if err != nil {
		return err
	}
	if got := r.Info().SHA256; got != c.sha256 {
		r.Close()
		return fmt.Errorf("%s changed while scoring (SHA-256 %s, was %s)", c.path, got, c.sha256)
	}
	c.r = r
	return nil
}

// fallback reads every item's references into byID and looks up id.
func (c *refCursor) fallback(id string) (itemRefs, error) {
	c.byID = map[string]itemRefs{}
	if err := c.open(); err != nil {
		return itemRefs{}, err
	}
	defer c.close()
	for c.r.Scan() {
		it := c.r.Item()
		c.byID[it.ID] = itemRefs{refs: metrics.Refs(it.Expected, it.ExpectedAny), task: it.Task, expected: it.Expected}
	}
	if err := c.r.Err(); err != nil {
		return itemRefs{}, err
	}
	return c.lookup(id)
}

// close releases the eval set, if open.
func (c *refCursor) close() {
	if c.r != nil {
		c.r.Close()
		c.r = nil
	}
}
