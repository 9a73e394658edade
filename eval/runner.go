package eval

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evalgate/evalgate/records"
)

// Source yields eval-set items one at a time; *datasets.Reader is one.
type Source interface {
	Scan() bool
	Item() records.Item
	Err() error
}

// Runner calls a provider for every item and sample of a source: bounded in
// flight, throttled, retried, journalled and cached. Set its fields, then
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
	// Timeout bounds each attempt; 0 means no per-attempt bound.
	Timeout time.Duration
	// Groups are the item columns (from Item.Extra) copied into each
	// result's Groups.
	Groups []string
	// Score, when set, scores a result's output against its item; the
	// returned map becomes Result.Scores. It is called for failed calls too,
	// with an empty output, so that a failure counts against accuracy.
	Score func(item *records.Item, output string) map[string]float64
	// Progress, when set, is told after every finished or retried call. It
	// is called from several goroutines and must be safe for that.
	Progress func(records.RunStats)

	// Params identify the call for the cache and the per-sample seeds.
	Params Params
	// MaxRetries is how many times a transient failure is retried.
	MaxRetries int
	// BackoffBase and BackoffMax shape the exponential backoff.
	BackoffBase, BackoffMax time.Duration
	// Throttle, when set, bounds requests and tokens per minute.
	Throttle *Throttle
	// Adaptive, when set, lowers concurrency on 429s.
	Adaptive *Adaptive
	// Breaker, when set, stops the run when too many attempts fail.
	Breaker *Breaker
	// Cache, when set, answers calls made before, in this run or another.
	Cache *Cache
	// Journal, when set, records every completed call before it counts.
	Journal *Journal
	// Done holds calls completed by an earlier run (from the journal); they
	// are not made again.
	Done map[Key]records.Result
	// Grace is how long calls in flight may finish once ctx is cancelled.
	Grace time.Duration
	// Redact, when set, rewrites every output and error message as soon as
	// it arrives — from the endpoint or the cache — before it is scored,
	// cached, journalled or returned (pii.redact).
	Redact func(string) string
	// RedactPrompts applies Redact to the messages sent as well
	// (pii.redact_prompts); the cache key is then that of the redacted
	// messages.
	RedactPrompts bool

	final records.RunStats // the counters when Run returned
}

// records.RunStats returns the run's final counters; call it after Run.
func (r *Runner) Stats() records.RunStats { return r.final }

// Params are the sampling parameters of a call.
type Params struct {
	// Model is the name sent to the endpoint.
	Model       string
	Temperature float64
	MaxTokens   int
	// Seed, when set, is sent as Seed+sample; with Repeats above 1 and no
	// Seed, sample i is sent seed i.
	Seed *int
	// Logprobs is set when the calls ask for logprobs; a cached answer
	// without a confidence is then not used.
	Logprobs bool
}

// ErrAbandoned marks calls that were in flight or waiting when the run
// stopped; they are not results and a resumed run makes them again.
var ErrAbandoned = errors.New("call abandoned when the run stopped")

type job struct {
	item   *records.Item
	sample int
	slot   int
}

type counters struct {
	done, errors, inFlight, retries, cached, resumed, tokens atomic.Int64
}

func (c *counters) stats() records.RunStats {
	return records.RunStats{Done: int(c.done.Load()), Errors: int(c.errors.Load()), InFlight: int(c.inFlight.Load()), Retries: int(c.retries.Load()),
		Cached: int(c.cached.Load()), Resumed: int(c.resumed.Load()), Tokens: int(c.tokens.Load())}
}

// Run calls the provider for every item and sample and returns the results
// in item order, samples together. A failed call is a result with Error set.
//
// When ctx is cancelled (SIGINT, a deadline), Run sends nothing new, lets
// the calls in flight finish for up to Grace, abandons the rest, and returns
// the results finished so far with context.Cause(ctx). When the breaker
// trips, it stops at once and returns the breaker's error. An error reading
// the source or writing the journal stops the run and is returned.
func (r *Runner) Run(ctx context.Context, src Source) ([]records.Result, error) {
	if r.Concurrency < 1 || r.Repeats < 1 {
		return nil, fmt.Errorf("run: concurrency and repeats must be at least 1")
	}
	// runCtx stops dispatch; callCtx aborts calls in flight, Grace after
	// runCtx ends (at once when the breaker trips or the journal fails).
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	callCtx, abortCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer abortCalls()
	go func() {
		select {
		case <-runCtx.Done():
		case <-callCtx.Done():
			return
		}
		if context.Cause(runCtx) != nil && ctx.Err() == nil {
			abortCalls() // breaker or journal: nothing to wait for
			return
		}
		t := time.NewTimer(r.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			abortCalls()
		case <-callCtx.Done():
		}
	}()

	var (
		mu      sync.Mutex
		results []records.Result
		filled  []bool
		c       counters
	)
	progress := func() {
		if r.Progress != nil {
			r.Progress(c.stats())
		}
	}
	store := func(slot int, res records.Result) {
		mu.Lock()
		results[slot], filled[slot] = res, true
		mu.Unlock()
		c.done.Add(1)
		if res.Error != "" {
			c.errors.Add(1)
		}
		c.tokens.Add(int64(res.PromptTokens + res.CompletionTokens))
	}

	jobs := make(chan job)
	var srcErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		slot := 0
		for src.Scan() {
			item := src.Item()
			mu.Lock()
			for range r.Repeats {
				results = append(results, records.Result{})
				filled = append(filled, false)
			}
			mu.Unlock()
			for s := range r.Repeats {
				if prev, ok := r.Done[Key{item.ID, s}]; ok {
					store(slot, r.complete(&item, prev))
					c.resumed.Add(1)
					progress()
				} else {
					select {
					case jobs <- job{item: &item, sample: s, slot: slot}:
					case <-runCtx.Done():
						return
					}
				}
				slot++
			}
		}
		if err := src.Err(); err != nil {
			srcErr = fmt.Errorf("read eval set: %w", err)
			stopRun(srcErr)
		}
	})
	for range r.Concurrency {
		wg.Go(func() {
			for j := range jobs {
				res, cached, err := r.call(runCtx, callCtx, j, &c, progress, stopRun)
				if errors.Is(err, ErrAbandoned) {
					continue
				}
				if res.Error == "" && r.Journal != nil {
					if err := r.Journal.Append(res, cached); err != nil {
						stopRun(err)
						continue
					}
				}
				store(j.slot, res)
				progress()
			}
		})
	}
	wg.Wait()
	r.final = c.stats()

	finished := make([]records.Result, 0, len(results))
	for i, res := range results {
		if filled[i] {
			finished = append(finished, res)
		}
	}
	if err := r.Breaker.Tripped(); err != nil {
		return finished, err
	}
	if err := context.Cause(runCtx); err != nil && !errors.Is(err, context.Canceled) {
		return finished, err
	}
	return finished, context.Cause(ctx)
}

// complete fills in what a result copies from its item, and its scores.
func (r *Runner) complete(item *records.Item, res records.Result) records.Result {
	res.Task, res.Expected = item.Task, r.redact(item.Expected)
	if len(r.Groups) > 0 {
		res.Groups = make(map[string]string, len(r.Groups))
		for _, g := range r.Groups {
			res.Groups[g] = item.Extra[g]
		}
	}
	if r.Score != nil {
		res.Scores = r.Score(item, res.Output)
	}
	return res
}

// redact applies Redact, when set.
func (r *Runner) redact(s string) string {
	if r.Redact == nil {
		return s
	}
	return r.Redact(s)
}

func (r *Runner) seed(sample int) *int {
	switch {
	case r.Params.Seed != nil:
		s := *r.Params.Seed + sample
		return &s
	case r.Repeats > 1:
		return &sample
	}
	return nil
}

// call makes one item's call, with retries. It returns ErrAbandoned when the
// run stopped before the call finished.
func (r *Runner) call(runCtx, callCtx context.Context, j job, c *counters, progress func(), stopRun context.CancelCauseFunc) (records.Result, bool, error) {
	res := records.Result{ID: j.item.ID, Sample: j.sample, Model: r.Model}
	msgs, err := r.Prompt.Render(j.item)
	if err != nil {
		res.Error, res.ErrorKind = err.Error(), "prompt"
		return r.complete(j.item, res), false, nil
	}
	if r.Redact != nil && r.RedactPrompts {
		for i := range msgs {
			msgs[i].Content = r.Redact(msgs[i].Content)
		}
	}
	seed := r.seed(j.sample)
	key := ""
	if r.Cache != nil {
		key = CacheKey(r.Params.Model, r.Params.Temperature, r.Params.MaxTokens, seed, msgs, j.sample)
		if resp, ok := r.Cache.Get(key); ok && (!r.Params.Logprobs || resp.Confidence > 0) {
			c.cached.Add(1)
			res.Output, res.PromptTokens, res.CompletionTokens, res.Confidence = r.redact(resp.Text), resp.PromptTokens, resp.CompletionTokens, resp.Confidence
			return r.complete(j.item, res), true, nil
		}
	}
	chars := 0
	for _, m := range msgs {
		chars += len(m.Content)
	}
	estimate := chars/4 + r.Params.MaxTokens
	req := Request{Item: j.item, Messages: msgs, Sample: j.sample, Seed: seed}
	for attempt := 1; ; attempt++ {
		if err := r.Adaptive.Acquire(runCtx); err != nil {
			return res, false, ErrAbandoned
		}
		if err := r.Throttle.Wait(runCtx, estimate); err != nil {
			r.Adaptive.Release(false)
			return res, false, ErrAbandoned
		}
		actx, cancel := callCtx, context.CancelFunc(func() {})
		if r.Timeout > 0 {
			actx, cancel = context.WithTimeout(callCtx, r.Timeout)
		}
		c.inFlight.Add(1)
		start := time.Now()
		resp, err := r.Provider.Complete(actx, req)
		res.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
		c.inFlight.Add(-1)
		cancel()
		res.Attempts = attempt
		var ce *CallError
		if err != nil && !errors.As(err, &ce) {
			ce = &CallError{Kind: "error", Msg: err.Error()}
		}
		r.Adaptive.Release(ce != nil && ce.Status == 429)
		if err == nil {
			r.Breaker.Record(nil)
			r.Throttle.Settle(estimate, resp.PromptTokens+resp.CompletionTokens)
			resp.Text = r.redact(resp.Text)
			res.Output, res.PromptTokens, res.CompletionTokens, res.Confidence = resp.Text, resp.PromptTokens, resp.CompletionTokens, resp.Confidence
			res.Error, res.ErrorKind, res.HTTPStatus = "", "", 0 // earlier attempts' failures are history
			if r.Cache != nil {
				r.Cache.Put(key, resp) // a cache that cannot be written only costs a future call
			}
			return r.complete(j.item, res), false, nil
		}
		if callCtx.Err() != nil {
			return res, false, ErrAbandoned
		}
		if r.Breaker.Record(ce) {
			stopRun(r.Breaker.Tripped())
		}
		res.Error, res.ErrorKind, res.HTTPStatus = r.redact(ce.Msg), ce.Kind, ce.Status
		if !Retryable(ce) || attempt > r.MaxRetries || runCtx.Err() != nil {
			if runCtx.Err() != nil && Retryable(ce) {
				return res, false, ErrAbandoned // the stopped run did not give up on it
			}
			return r.complete(j.item, res), false, nil
		}
		c.retries.Add(1)
		progress()
		wait := time.NewTimer(Backoff(attempt, r.BackoffBase, r.BackoffMax, ce.RetryAfter))
		select {
		case <-wait.C:
		case <-runCtx.Done():
			wait.Stop()
			return res, false, ErrAbandoned
		}
	}
}
