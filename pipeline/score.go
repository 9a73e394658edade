package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// scoreResults streams the results file at path, re-scores each result
// against the eval set's reference answers and adds it to a tally, then
// hands the scored chunk, in file order, to sink, which owns it (see
// releaseBatch, keepSlim and scorePaired): with releaseBatch, no result
// is held after it is tallied.
//
// The work is a pipeline over chunks of a few thousand results. The
// results file's row groups are decoded column by column on GOMAXPROCS
// goroutines (datasets.ResultsReader.ReadChunk), and so are the eval
// set's reference columns (datasets.ItemColumnReader); one goroutine
// joins each result with its item; GOMAXPROCS workers score the chunks,
// each with a metrics.Scorer that normalizes an item's references once;
// and one goroutine tallies the chunks in file order, so that the tally
// (and its floating-point sums) sees exactly the sequence a single loop
// would. At most 3·GOMAXPROCS+2 chunks are in flight, besides those sink
// holds.
//
// With checks (not nil), the integrity checks ride along: the join also
// reads the columns they need and cuts each chunk into its items'
// segments, the workers check the segments, and the tally records them
// in order; see scoreChecks.
func (sc *scoring) scoreResults(ctx context.Context, path string, candidate bool, checks *scoreChecks, sink func(*scoreBatch) error) (*reports.ModelTally, error) {
	cfg, set := sc.cfg, sc.set
	rr, err := datasets.OpenResults(path)
	if err != nil {
		return nil, inputErr(err)
	}
	defer rr.Close()
	// The scores are recomputed, and the task and expected answer come
	// from the eval set; the tally reads none of the other skipped columns
	// (the model column only for replay, where it holds the log's
	// model_version, which names the model in the report). The
	// groundedness checks are made again too: the lexical ones from the
	// outputs, the judge's from judge-results.parquet.
	rr.SkipScores = true
	rr.Skip("task", "expected", "http_status")
	rr.Skip(datasets.GroundednessColumns...)
	if m := cfg.Production; candidate && cfg.Candidate.Provider != "replay" || !candidate && (m == nil || m.Provider != "replay") {
		rr.Skip("model")
	}
	if checks == nil {
		rr.Skip("confidence") // review routing reads it
	}
	info := rr.Info()
	if d := info.Metadata["evalgate.dataset_sha256"]; d != "" && d != set.SHA256 {
		return nil, inputErr(fmt.Errorf("%s was made from dataset %s, but %s is %s", path, d, set.Path, set.SHA256))
	}
	refs := &refCursor{set: sc.src, cur: -1, checks: checks, redact: redactor(cfg)}
	defer refs.close()
	tally := reports.NewModelTally(cfg, candidate)
	tally.Info = reports.ModelResults{ResultsFile: filepath.Base(path), ResultsSHA256: info.SHA256}

	workers := runtime.GOMAXPROCS(0)
	g, ctx := errgroup.WithContext(ctx)
	todo := make(chan *scoreBatch, workers)      // to the workers
	ordered := make(chan *scoreBatch, 2*workers) // to the tally, in file order
	g.Go(func() error {
		defer close(todo)
		defer close(ordered)
		send := func(b *scoreBatch) error {
			for _, ch := range []chan *scoreBatch{ordered, todo} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}
		// Items the results pass by have no results, but their prompt
		// and context are counted for PII: they go to the workers in
		// batches of their own.
		var pending []checkSeg
		var sendErr error
		flush := func() error {
			if len(pending) > 0 && !checks.off.Load() {
				b := newScoreBatch(nil, nil)
				b.segs, b.extra, pending = pending, refs.extra, nil
				sendErr = send(b)
			}
			pending = nil
			return sendErr
		}
		if checks != nil && checks.pii {
			refs.skip = func(cols *datasets.ItemColumns, i int) error {
				if sc.shard != nil && !sc.shard.Has(cols.ID[i]) {
					return nil
				}
				pending = append(pending, checkSeg{cols: cols, item: i, first: true})
				if len(pending) < chunkItems {
					return nil
				}
				return flush()
			}
		}
		lastRow := int64(-1) // the item of the last result checked
		for {
			results := rr.ReadChunk()
			if results == nil {
				break
			}
			b := newScoreBatch(rr, results)
			for i := range results {
				ref, err := refs.lookup(results[i].ID)
				if sendErr != nil {
					return sendErr
				}
				if err != nil {
					return inputErr(fmt.Errorf("%s: result %q: %w", path, results[i].ID, err))
				}
				b.refs = append(b.refs, ref)
				if checks == nil || checks.off.Load() {
					continue
				}
				if refs.rewinds > 0 || refs.byID != nil {
					// Not in the set's order: the checks make a second
					// pass after the scoring (scoreChecks.result).
					checks.off.Store(true)
					refs.skip, pending, b.segs = nil, nil, b.segs[:0]
					continue
				}
				if n := len(b.segs); n > 0 && ref.row == lastRow {
					b.segs[n-1].hi = i + 1
				} else {
					b.segs = append(b.segs, checkSeg{cols: refs.cols, item: refs.cur, lo: i, hi: i + 1, first: ref.row != lastRow})
				}
				lastRow = ref.row
			}
			b.extra = refs.extra
			if err := send(b); err != nil {
				return err
			}
		}
		if err := rr.Err(); err != nil {
			return inputErr(err)
		}
		if refs.skip != nil && !checks.off.Load() {
			err := refs.drain()
			if sendErr != nil {
				return sendErr
			}
			if err != nil {
				return inputErr(fmt.Errorf("%s: %w", path, err))
			}
			return flush()
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			var sc metrics.Scorer
			var answers []string
			for b := range todo {
				for i := range b.results {
					r, ref := &b.results[i], &b.refs[i]
					r.Task, r.Expected = ref.task, ref.expected
					answers = ref.answers(answers[:0])
					r.Scores = sc.Score(r.Output, answers)
				}
				if len(b.segs) > 0 && !checks.off.Load() {
					b.checked = checks.check(b, b.checked[:0])
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
				tally.Add(&b.results[i])
			}
			if len(b.checked) > 0 && !checks.off.Load() {
				for _, ic := range b.checked {
					checks.checker.Record(ic)
				}
			}
			if b.rr == nil { // only items to check
				b.release()
				continue
			}
			if err := sink(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		if !errors.Is(err, errNotAligned) {
			err = runErr(err)
		}
		return nil, err
	}
	if refs.byID != nil {
		sc.opts.logf("evalgate: note: %s is not in the order of %s, so its %d reference answers were held in memory\n", path, set.Path, len(refs.byID))
	}
	return tally, nil
}

// releaseBatch is the sink of scoreResults that keeps nothing.
func releaseBatch(b *scoreBatch) error {
	b.release()
	return nil
}

// keepSlim returns a sink of scoreResults that appends each result to
// *kept, slimmed to what metrics.CompareByGroup reads (id, sample,
// groups, scores).
func keepSlim(kept *[]records.Result) func(*scoreBatch) error {
	return func(b *scoreBatch) error {
		for i := range b.results {
			r := &b.results[i]
			*kept = append(*kept, records.Result{ID: r.ID, Sample: r.Sample, Groups: r.Groups, Scores: r.Scores})
		}
		b.release()
		return nil
	}
}

// tallyRepeats returns sink, adding each result to repeats first when
// it is not nil.
func tallyRepeats(repeats *metrics.RepeatsTally, sink func(*scoreBatch) error) func(*scoreBatch) error {
	if repeats == nil {
		return sink
	}
	return func(b *scoreBatch) error {
		for i := range b.results {
			repeats.Add(&b.results[i])
		}
		return sink(b)
	}
}

// errNotAligned reports two results files that do not list the same
// results in the same order, which scorePaired cannot pair as they stream.
var errNotAligned = errors.New("the results files are not aligned")

// scorePaired scores the candidate's and the baseline's results files
// side by side, each as scoreResults does, and pairs their results as
// they stream, in a metrics.PairTally (and the candidate's in repeats,
// when not nil): no result is held after it is paired. That gives metrics.CompareByGroup's pairs when both files list
// the same (id, sample) keys in the same order and no key twice, which
// it checks on the way: the keys must ascend by eval-set row then sample,
// or by sample then row, as evalgate run writes them. Otherwise it stops
// with errNotAligned, and the caller pairs the results in memory.
func (sc *scoring) scorePaired(ctx context.Context, candPath, basePath string, repeats *metrics.RepeatsTally, checks *scoreChecks) (cand, base *reports.ModelTally, pairs *metrics.PairTally, err error) {
	cfg := sc.cfg
	g, gctx := errgroup.WithContext(ctx)
	candCh, baseCh := make(chan *scoreBatch, 2), make(chan *scoreBatch, 2)
	sendTo := func(ch chan *scoreBatch) func(*scoreBatch) error {
		return func(b *scoreBatch) error {
			select {
			case ch <- b:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
	}
	g.Go(func() error {
		defer close(candCh)
		var err error
		cand, err = sc.scoreResults(gctx, candPath, true, checks, tallyRepeats(repeats, sendTo(candCh)))
		return err
	})
	g.Go(func() error {
		defer close(baseCh)
		var err error
		base, err = sc.scoreResults(gctx, basePath, false, nil, sendTo(baseCh))
		return err
	})
	pairs = metrics.NewPairTally(cfg.Fairness.Groups, reports.MetricOptions(cfg))
	g.Go(func() error { return pairUp(gctx, candCh, baseCh, pairs) })
	if err := g.Wait(); err != nil {
		return nil, nil, nil, err
	}
	return cand, base, pairs, nil
}

// pairUp pairs the results of the candidate's and baseline's batches
// position by position, as they arrive in file order; it returns
// errNotAligned as soon as the keys differ or do not ascend (see
// scorePaired).
func pairUp(ctx context.Context, candCh, baseCh <-chan *scoreBatch, pairs *metrics.PairTally) error {
	var c, b *scoreBatch
	var ci, bi int
	next := func(ch <-chan *scoreBatch, cur *scoreBatch) (*scoreBatch, error) {
		if cur != nil {
			cur.release()
		}
		select {
		case nb := <-ch:
			return nb, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	rowMajor, sampleMajor := true, true
	prevRow, prevSample := int64(-1), -1
	for {
		var err error
		if c == nil || ci == len(c.results) {
			if c, err = next(candCh, c); err != nil {
				return err
			}
			ci = 0
		}
		if b == nil || bi == len(b.results) {
			if b, err = next(baseCh, b); err != nil {
				return err
			}
			bi = 0
		}
		switch {
		case c == nil && b == nil:
			return nil
		case c == nil || b == nil:
			return errNotAligned
		}
		cr, br := &c.results[ci], &b.results[bi]
		if cr.ID != br.ID || cr.Sample != br.Sample {
			return errNotAligned
		}
		row, sample := c.refs[ci].row, cr.Sample
		rowMajor = rowMajor && (row > prevRow || row == prevRow && sample > prevSample)
		sampleMajor = sampleMajor && (sample > prevSample || sample == prevSample && row > prevRow)
		if !rowMajor && !sampleMajor {
			return errNotAligned
		}
		prevRow, prevSample = row, sample
		pairs.Add(cr, br)
		ci++
		bi++
	}
}

// scoreBatch is a chunk of consecutive results and their items'
// references; done is closed once a worker has scored them. With the
// integrity checks on, segs cuts the chunk into its items, and checked
// holds what a worker found in each, in the same order; a batch without
// rr holds only items without results, to check.
type scoreBatch struct {
	rr      *datasets.ResultsReader
	results []records.Result
	refs    []itemRef
	segs    []checkSeg
	extra   []string // the names of the eval-set columns in segs' Extra
	checked []integrity.ItemCheck
	done    chan struct{}
}

// scoreBatches recycles released batches' reference slices.
var scoreBatches = sync.Pool{New: func() any { return &scoreBatch{} }}

func newScoreBatch(rr *datasets.ResultsReader, results []records.Result) *scoreBatch {
	b := scoreBatches.Get().(*scoreBatch)
	b.rr, b.results, b.done = rr, results, make(chan struct{})
	return b
}

// release hands the batch's results back to their reader and the batch
// to scoreBatches; the results' strings and maps stay valid.
func (b *scoreBatch) release() {
	if b.rr != nil {
		b.rr.ReleaseChunk(b.results)
	}
	clear(b.refs)
	clear(b.segs)
	clear(b.checked)
	b.rr, b.results, b.refs, b.segs, b.extra, b.checked, b.done = nil, nil, b.refs[:0], b.segs[:0], nil, b.checked[:0], nil
	scoreBatches.Put(b)
}

// itemRef is what scoring needs of an eval-set item, and its row in the
// set.
type itemRef struct {
	expected, task string
	any            []string
	row            int64
}

// answers appends the item's acceptable answers to dst, as metrics.Refs
// lists them, without allocating when dst has room.
func (r *itemRef) answers(dst []string) []string {
	if r.expected != "" {
		dst = append(dst, r.expected)
	}
	for _, a := range r.any {
		if a != "" {
			dst = append(dst, a)
		}
	}
	return dst
}

// maxRewinds is how many times a refCursor restarts the eval set before
// it gives up on a merge join and holds the references in a map.
// Results with repeats written sample by sample rewind once per sample.
const maxRewinds = 16

// refCursor finds the reference answers of results by id. Results that
// evalgate writes follow the eval set's order, so it merge-joins: it reads
// the set's reference columns forward alongside the results, one batch
// of items at a time. When a result is not ahead of the cursor it
// restarts the set, and after maxRewinds restarts it reads every item's
// references into byID, one entry per item.
//
// With checks, until its first restart, it also reads the columns the
// integrity checks need, and hands each item it passes by without a
// result to skip, when not nil.
type refCursor struct {
	set     *datasets.Set
	checks  *scoreChecks
	skip    func(cols *datasets.ItemColumns, item int) error
	extra   []string // the names of the columns in cols.Extra
	r       *datasets.ItemColumnReader
	cols    *datasets.ItemColumns
	cur     int // index in cols of the current item, or -1
	rewinds int
	byID    map[string]itemRef
	// redact, when not nil, rewrites the reference answers as pii.redact
	// rewrote the outputs, so that a placeholder meets a placeholder.
	redact func(string) string
}

// errNoItem is the error of a result whose id is not in the eval set.
var errNoItem = errors.New("no item of the eval set has this id")

// lookup returns the references of the item with id.
func (c *refCursor) lookup(id string) (itemRef, error) {
	if c.byID != nil {
		it, ok := c.byID[id]
		if !ok {
			return itemRef{}, errNoItem
		}
		return it, nil
	}
	if c.cols != nil && c.cols.ID[c.cur] == id {
		return c.ref(), nil
	}
	for pass := 0; pass < 2; pass++ {
		if c.r == nil {
			if c.rewinds >= maxRewinds {
				return c.fallback(id)
			}
			if err := c.open(); err != nil {
				return itemRef{}, err
			}
		}
		for {
			c.cur++
			if c.cols == nil || c.cur >= c.cols.Len() {
				if !c.r.Next() {
					break
				}
				c.cols, c.cur = c.r.Columns(), 0
			}
			if c.cols.ID[c.cur] == id {
				return c.ref(), nil
			}
			if c.skip != nil && c.rewinds == 0 {
				if err := c.skip(c.cols, c.cur); err != nil {
					return itemRef{}, err
				}
			}
		}
		if err := c.r.Err(); err != nil {
			return itemRef{}, err
		}
		c.close()
		c.rewinds++
	}
	return itemRef{}, errNoItem
}

// drain hands the items after the current one to skip, to the end of
// the set; it is called when the results have ended without a restart.
func (c *refCursor) drain() error {
	if c.r == nil {
		if c.rewinds > 0 || c.byID != nil {
			return nil
		}
		if err := c.open(); err != nil {
			return err
		}
	}
	for {
		c.cur++
		if c.cols == nil || c.cur >= c.cols.Len() {
			if !c.r.Next() {
				return c.r.Err()
			}
			c.cols, c.cur = c.r.Columns(), 0
		}
		if err := c.skip(c.cols, c.cur); err != nil {
			return err
		}
	}
}

// ref returns the references of the current item.
func (c *refCursor) ref() itemRef {
	return c.refOf(c.cols, c.cur)
}

// refOf returns the references of item i of cols, redacted when the
// cursor redacts.
func (c *refCursor) refOf(cols *datasets.ItemColumns, i int) itemRef {
	ref := itemRef{expected: cols.Expected[i], task: cols.Task[i], any: cols.ExpectedAny[i], row: cols.Row + int64(i)}
	if c.redact != nil {
		ref.expected = c.redact(ref.expected)
		if len(ref.any) > 0 {
			anyOf := make([]string, len(ref.any))
			for k, a := range ref.any {
				anyOf[k] = c.redact(a)
			}
			ref.any = anyOf
		}
	}
	return ref
}

// open (re)starts the eval set, which must not have changed.
func (c *refCursor) open() error {
	r, err := c.set.ItemColumns()
	if err != nil {
		return err
	}
	if c.checks != nil && c.rewinds == 0 && c.byID == nil {
		r.Input, r.System, r.Context, r.MustNotContain, r.Messages = true, true, true, true, true
		c.extra = c.extra[:0]
		for _, g := range c.checks.opts.Groups {
			if r.HasExtra(g) {
				c.extra = append(c.extra, g)
			}
		}
		r.Extra = c.extra
	}
	c.r, c.cols, c.cur = r, nil, -1
	return nil
}

// fallback reads every item's references into byID and looks up id.
func (c *refCursor) fallback(id string) (itemRef, error) {
	c.byID = map[string]itemRef{}
	if err := c.open(); err != nil {
		return itemRef{}, err
	}
	defer c.close()
	for c.r.Next() {
		cols := c.r.Columns()
		for i := range cols.Len() {
			c.byID[cols.ID[i]] = c.refOf(cols, i)
		}
	}
	if err := c.r.Err(); err != nil {
		return itemRef{}, err
	}
	return c.lookup(id)
}

// close releases the eval set, if open.
func (c *refCursor) close() {
	if c.r != nil {
		c.r.Close()
		c.r, c.cols, c.cur = nil, nil, -1
	}
}

// chunkItems is how many items without results go to a worker at once.
const chunkItems = 2048

// scoreChecks runs the integrity checks of evalgate score inside
// scoreResults, which saves the second pass over the eval set and the
// results file that scoreIntegrity makes. It relies on the results
// following the eval set's order, with each item's results together, as
// evalgate run writes them: the results' merge join with the set
// (refCursor) then meets every item in order. The join cuts each chunk
// of results into segments, one per item (an item whose results straddle
// two chunks has a segment in each, the second checked without the
// item's own texts); items without results, which still have a prompt
// and context to count PII in, go in batches of their own. The workers
// check the segments (integrity.Checker.Check, which is safe for
// concurrent use), and the in-order tally records them, so the checker
// sees exactly the sequence scoreIntegrity's loop gives it. When the join
// finds the results out of order (its first restart), the checks are
// dropped and result makes the second pass instead.
type scoreChecks struct {
	opts    integrity.Options
	checker *integrity.Checker
	// verdicts, when not nil, gives each judged answer its verdict.
	verdicts *verdicts
	pii      bool        // items without results are checked too
	off      atomic.Bool // the results are out of order: result makes a second pass
}

func newScoreChecks(opts integrity.Options, v *verdicts) *scoreChecks {
	return &scoreChecks{opts: opts, checker: integrity.NewChecker(opts), pii: opts.DetectPII, verdicts: v}
}

// checkSeg is the results b.results[lo:hi] of item cols[item]; lo == hi
// for an item without results. first marks the item's first segment,
// which checks the item's own texts.
type checkSeg struct {
	cols   *datasets.ItemColumns
	item   int
	lo, hi int
	first  bool
}

// check checks the segments of b, appending what it found to dst.
func (s *scoreChecks) check(b *scoreBatch, dst []integrity.ItemCheck) []integrity.ItemCheck {
	for _, seg := range b.segs {
		c, i := seg.cols, seg.item
		item := records.Item{Row: c.Row + int64(i), ID: c.ID[i], Input: c.Input[i], System: c.System[i], Context: c.Context[i],
			Expected: c.Expected[i], ExpectedAny: c.ExpectedAny[i], Task: c.Task[i], MustNotContain: c.MustNotContain[i]}
		if c.Messages != nil {
			item.Messages = c.Messages[i]
		}
		if len(b.extra) > 0 {
			item.Extra = make(map[string]string, len(b.extra))
			for x, name := range b.extra {
				item.Extra[name] = c.Extra[x][i]
			}
		}
		results := b.results[seg.lo:seg.hi]
		judged := s.verdicts.lookup(&item, results)
		if seg.first {
			dst = append(dst, s.checker.Check(&item, results, judged))
		} else {
			dst = append(dst, s.checker.CheckAnswers(&item, results, judged))
		}
	}
	return dst
}

// result returns what the checks found; when the results were out of
// order, it checks them in a second pass, holding them by id, with a note.
func (s *scoreChecks) result(sc *scoring, resultsPath string) (*integrity.Checker, error) {
	if !s.off.Load() {
		return s.checker, nil
	}
	sc.opts.logf("evalgate: note: %s is not in the order of %s, so the integrity checks read both again, holding the results in memory\n", resultsPath, sc.cfg.DatasetPath())
	checker := integrity.NewChecker(s.opts)
	s.verdicts.reset()
	all, _, err := datasets.ReadResults(resultsPath)
	if err != nil {
		return nil, inputErr(err)
	}
	byID := map[string][]records.Result{}
	for _, r := range all {
		byID[r.ID] = append(byID[r.ID], r)
	}
	items, err := sc.src.Reader()
	if err != nil {
		return nil, inputErr(err)
	}
	defer items.Close()
	for items.Scan() {
		it := items.Item()
		if sc.shard != nil && !sc.shard.Has(it.ID) {
			continue
		}
		results := byID[it.ID]
		checker.Add(&it, results, s.verdicts.lookup(&it, results))
	}
	if err := items.Err(); err != nil {
		return nil, inputErr(err)
	}
	return checker, nil
}
