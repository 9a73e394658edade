package eval

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/evalgate/evalgate/datasets"
)

// Source yields eval-set items one at a time; *datasets.Reader is one.
type Source interface {
	Scan() bool
	Item() datasets.Item
	Err() error
}

// Runner calls a provider for every item of a source. Set its fields, then
// call Run; a Runner is not reused.
type Runner struct {
	// Provider answers the calls. Required.
	Provider Provider
	// Prompt renders each item. Required.
	Prompt *Prompt
	// Model is the model identity recorded in each result.
	Model string
	// Concurrency bounds the calls in flight; at least 1.
	Concurrency int
	// Repeats is the number of samples per item; at least 1.
	Repeats int
	// Timeout bounds each call; 0 means no per-call bound.
	Timeout time.Duration
	// Groups are the item columns (from Item.Extra) copied into each
	// result's Groups.
	Groups []string
	// Score, when set, scores a result's output against its item; the
	// returned map becomes Result.Scores. It is called for failed calls too,
	// with an empty output, so that a failure counts against accuracy.
	Score func(item *datasets.Item, output string) map[string]float64
	// Progress, when set, is told after every finished call.
	Progress func(Stats)
}

// Stats counts a run's progress so far.
type Stats struct {
	// Done counts finished calls (successful or not); Errors the failed ones.
	Done, Errors int
	// Tokens is the sum of prompt and completion tokens reported so far.
	Tokens int
}

type job struct {
	item   *datasets.Item
	sample int
	slot   int
}

// Run calls the provider for every item and sample and returns the results
// in item order, samples together. A failed call is a result with Error set.
// Run stops early when ctx is cancelled; it then returns the results
// finished so far with ctx's error. An error reading the source stops the
// run and is returned.
func (r *Runner) Run(ctx context.Context, src Source) ([]datasets.Result, error) {
	if r.Concurrency < 1 || r.Repeats < 1 {
		return nil, fmt.Errorf("run: concurrency and repeats must be at least 1")
	}
	var (
		mu      sync.Mutex
		results []datasets.Result
		done    = make([]bool, 0)
	)
	var doneCount, errCount, tokenCount atomic.Int64

	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job)
	g.Go(func() error {
		defer close(jobs)
		slot := 0
		for src.Scan() {
			item := src.Item()
			mu.Lock()
			for range r.Repeats {
				results = append(results, datasets.Result{})
				done = append(done, false)
			}
			mu.Unlock()
			for s := range r.Repeats {
				select {
				case jobs <- job{item: &item, sample: s, slot: slot}:
				case <-gctx.Done():
					return gctx.Err()
				}
				slot++
			}
		}
		if err := src.Err(); err != nil {
			return fmt.Errorf("read eval set: %w", err)
		}
		return nil
	})
	for range r.Concurrency {
		g.Go(func() error {
			for j := range jobs {
				res := r.call(gctx, j)
				if errors.Is(gctx.Err(), context.Canceled) && res.ErrorKind == "canceled" {
					// The run is stopping; this call did not finish and is
					// not a result.
					continue
				}
				mu.Lock()
				results[j.slot] = res
				done[j.slot] = true
				mu.Unlock()
				n := doneCount.Add(1)
				e := errCount.Load()
				if res.Error != "" {
					e = errCount.Add(1)
				}
				t := tokenCount.Add(int64(res.PromptTokens + res.CompletionTokens))
				if r.Progress != nil {
					r.Progress(Stats{Done: int(n), Errors: int(e), Tokens: int(t)})
				}
			}
			return nil
		})
	}
	err := g.Wait()
	finished := results[:0]
	for i, res := range results {
		if done[i] {
			finished = append(finished, res)
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return finished, err
}

func (r *Runner) call(ctx context.Context, j job) datasets.Result {
	res := datasets.Result{
		ID:       j.item.ID,
		Sample:   j.sample,
		Model:    r.Model,
		Task:     j.item.Task,
		Expected: j.item.Expected,
		Attempts: 1,
	}
	if len(r.Groups) > 0 {
		res.Groups = make(map[string]string, len(r.Groups))
		for _, g := range r.Groups {
			res.Groups[g] = j.item.Extra[g]
		}
	}
	msgs, err := r.Prompt.Render(j.item)
	if err != nil {
		res.Error, res.ErrorKind, res.Attempts = err.Error(), "prompt", 0
	} else {
		cctx := ctx
		if r.Timeout > 0 {
			var cancel context.CancelFunc
			cctx, cancel = context.WithTimeout(ctx, r.Timeout)
			defer cancel()
		}
		start := time.Now()
		resp, err := r.Provider.Complete(cctx, Request{Item: j.item, Messages: msgs, Sample: j.sample})
		res.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
		if err != nil {
			res.Error, res.ErrorKind = err.Error(), "error"
			var ce *CallError
			if errors.As(err, &ce) {
				res.ErrorKind = ce.Kind
			}
		} else {
			res.Output = resp.Text
			res.PromptTokens, res.CompletionTokens = resp.PromptTokens, resp.CompletionTokens
		}
	}
	if r.Score != nil {
		res.Scores = r.Score(j.item, res.Output)
	}
	return res
}
