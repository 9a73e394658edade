package eval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evalgate/evalgate/configs"
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
// call Run or Stream; a Runner is not reused.
type Runner struct {
	// Provider answers the calls. Required.
	Provider Provider
	// Prompt renders each item. Required.
	Prompt *Prompt
	// Model is the model identity recorded in each result.
	Model string
	// ModelFromProvider, when set, records in each answered result the
	// model the provider says answered (Response.Model) in place of Model,
	// when it names one: for replay, the log's model_version.
	ModelFromProvider bool
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
	// Ground, when set, checks a successful call's output (redacted when
	// Redact is set) against its item's context; the result becomes
	// Result.Groundedness. Like Score it runs in the calling workers, and
	// again on each answer resumed from the journal or read from the
	// cache, so that every result carries the check of its own output.
	Ground func(item *records.Item, output string) *records.Groundedness
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
	// Probe, when set, sends one call at a time until the endpoint has
	// accepted one (an answer, or a failure that is neither Rejected nor
	// Retryable), and then the rest at Concurrency, so that a rejected key
	// or model costs one call. Whether or not it is set, the first rejected
	// call stops the run.
	Probe bool
	// Cache, when set, answers calls made before, in this run or another.
	Cache *Cache
	// Journal, when set, records every completed call before it counts.
	Journal *Journal
	// Done holds calls completed by an earlier run (from the journal); they
	// are not made again.
	Done map[Key]records.Result
	// Grace is how long calls in flight may finish once ctx is cancelled.
	Grace time.Duration
	// MaxOutput caps each answer, in bytes (run.max_output_bytes): a
	// longer one is cut at a UTF-8 boundary before the cache, the journal
	// or the results see it, and its result is marked Truncated. 0 is
	// configs.DefaultMaxOutputBytes.
	MaxOutput int
	// Redact, when set, rewrites every output and error message as soon as
	// it arrives — from the endpoint or the cache — before it is scored,
	// journalled or returned (pii.redact). The cache holds the answer as
	// the endpoint sent it: redaction applies to what is written, never to
	// what is cached or keyed.
	Redact func(string) string
	// Secrets, when not nil, are the secret values of every endpoint of
	// the run, scrubbed from every answer and error message before it is
	// cached, journalled or returned (each provider scrubs its own; these
	// cover the others').
	Secrets *RunSecrets
	// RedactPrompts applies Redact to the messages sent as well
	// (pii.redact_prompts); the cache key is then that of the redacted
	// messages.
	RedactPrompts bool

	final records.RunStats // the counters when Stream returned

	originsMu sync.Mutex
	origins   map[originKey]*records.CacheOrigin // of the answers taken from the cache
	probe     *probe                             // holds calls back until the endpoint accepted one
}

type originKey struct{ endpoint, provider, model, evalgate string }

// noteOrigin counts one answer taken from the cache.
func (r *Runner) noteOrigin(o Origin) {
	r.originsMu.Lock()
	defer r.originsMu.Unlock()
	if r.origins == nil {
		r.origins = map[originKey]*records.CacheOrigin{}
	}
	k := originKey{o.Endpoint, o.Provider, o.Model, o.Evalgate}
	c := r.origins[k]
	if c == nil {
		c = &records.CacheOrigin{Endpoint: o.Endpoint, Provider: o.Provider, Model: o.Model, Evalgate: o.Evalgate, Oldest: o.Time, Newest: o.Time}
		r.origins[k] = c
	}
	c.Answers++
	if o.Time.Before(c.Oldest) {
		c.Oldest = o.Time
	}
	if o.Time.After(c.Newest) {
		c.Newest = o.Time
	}
}

// CacheOrigins returns where the answers taken from the cache were
// recorded, sorted by endpoint, provider, model and evalgate version; nil
// when none were. Call it after Run or Stream.
func (r *Runner) CacheOrigins() []records.CacheOrigin {
	r.originsMu.Lock()
	defer r.originsMu.Unlock()
	var out []records.CacheOrigin
	for _, c := range r.origins {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b records.CacheOrigin) int {
		return cmp.Or(cmp.Compare(a.Endpoint, b.Endpoint), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Evalgate, b.Evalgate))
	})
	return out
}

// Stats returns the run's final counters; call it after Run or Stream.
func (r *Runner) Stats() records.RunStats { return r.final }

// Params are the sampling parameters of a call and the identity of the
// endpoint that answers it; together with the messages and the sample they
// key the cache (CallKey).
type Params struct {
	// Provider is the provider kind ("openai", "builtin:<name>") and
	// BaseURL the endpoint's base URL as configured (normalized for the
	// key).
	Provider, BaseURL string
	// Version and ArtifactSHA256 are the config's model version and
	// artifact digest (empty when not configured).
	Version, ArtifactSHA256 string
	// Model is the name sent to the endpoint.
	Model       string
	Temperature float64
	MaxTokens   int
	// MaxCompletionTokens, ReasoningEffort and Verbosity are the reasoning
	// models' parameters (configs.Model); zero when not sent.
	MaxCompletionTokens int
	ReasoningEffort     string
	Verbosity           string
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

// WindowPerWorker is how many results, per unit of Concurrency × Repeats,
// Stream may hold between the oldest result not yet emitted and the newest
// call dispatched: Stream holds at most
// WindowPerWorker × Concurrency × Repeats results (WindowPerWorker ×
// Concurrency items) at a time, however long the eval set.
const WindowPerWorker = 16

// window is the number of result slots Stream keeps: finished results
// waiting for an earlier one, calls in flight and calls waiting for a worker.
func (r *Runner) window() int { return WindowPerWorker * r.Concurrency * r.Repeats }

// Run calls the provider for every item and sample and returns the results
// in item order, samples together. A failed call is a result with Error set.
//
// When ctx is cancelled (SIGINT, a deadline), Run sends nothing new, lets
// the calls in flight finish for up to Grace, abandons the rest, and returns
// the results finished so far with context.Cause(ctx). When the breaker
// trips, it stops at once and returns the breaker's error; when the
// endpoint rejects a call (see Rejected), it stops at once and returns a
// *RejectedError, having sent no call after that one. An error reading
// the source or writing the journal stops the run and is returned.
//
// Run is Stream collecting into a slice, so its memory grows with the eval
// set; Stream's does not.
func (r *Runner) Run(ctx context.Context, src Source) ([]records.Result, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	finished := []records.Result{}
	err := r.Stream(ctx, src, func(res *records.Result) error {
		finished = append(finished, *res)
		return nil
	})
	return finished, err
}

// check rejects a Runner that cannot run.
func (r *Runner) check() error {
	if r.Concurrency < 1 || r.Repeats < 1 {
		return fmt.Errorf("run: concurrency and repeats must be at least 1")
	}
	return nil
}

// slot states: a slot is pending from dispatch until its call finishes
// (filled) or is given up (abandoned).
const (
	slotPending = iota
	slotFilled
	slotAbandoned
)

type slot struct {
	res   records.Result
	state int
}

// Stream calls the provider for every item and sample, as Run does, and
// calls emit with each finished result in item order, samples together, as
// soon as it and every result before it have finished: the results and the
// order Run returns. A result abandoned when the run stopped is skipped, as
// Run leaves it out; a result resumed from Done is emitted in its place.
//
// emit is called from Stream's goroutine, one result at a time; the pointer
// is valid only during the call, so emit copies what it keeps. A slow emit
// slows dispatch, never the calls in flight. An error from emit stops the
// run at once (calls in flight are abandoned, as when the journal fails),
// emit is not called again, and Stream returns that error.
//
// Memory is bounded independent of the number of items: dispatch runs at
// most WindowPerWorker × Concurrency × Repeats results ahead of the oldest
// result not yet emitted, so Stream holds at most that many results (and
// their items) at once.
//
// With Probe, Stream has one call in flight until the endpoint has
// accepted a call (the rest wait), so that a rejected key or model costs
// one call; see Rejected.
//
// Stream returns, in this order of precedence: a *RejectedError when the
// endpoint rejected a call; the breaker's error when it tripped; emit's
// error; an error reading the source or writing the
// journal; otherwise context.Cause(ctx), which is nil for a complete run.
func (r *Runner) Stream(ctx context.Context, src Source, emit func(*records.Result) error) error {
	if err := r.check(); err != nil {
		return err
	}
	// runCtx stops dispatch; callCtx aborts calls in flight, Grace after
	// runCtx ends (at once when the breaker trips, the journal fails or
	// emit fails).
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	if r.Probe {
		r.probe = newProbe()
	}
	callCtx, abortCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer abortCalls()
	go func() {
		select {
		case <-runCtx.Done():
		case <-callCtx.Done():
			return
		}
		if context.Cause(runCtx) != nil && ctx.Err() == nil {
			abortCalls() // breaker, journal or emit: nothing to wait for
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

	// The slots form a ring of window() entries: slot n lives at
	// ring[n%len(ring)]. Dispatch takes a token from room before it
	// assigns a slot and the emitter gives it back once the slot is
	// emitted or skipped, so no two live slots share an entry.
	var (
		mu       sync.Mutex
		wake     = sync.NewCond(&mu)
		ring     = make([]slot, r.window())
		room     = make(chan struct{}, len(ring))
		assigned int  // slots handed out so far
		drained  bool // dispatch is over: no slot will be assigned
		// waiting is the slot the emitter sleeps on, or -1: a settle
		// wakes it only for that slot, not for every call that finishes
		// ahead of it.
		waiting = -1
		c       counters
	)
	progress := func() {
		if r.Progress != nil {
			r.Progress(c.stats())
		}
	}
	settle := func(n int, res *records.Result) {
		mu.Lock()
		e := &ring[n%len(ring)]
		if res != nil {
			e.res, e.state = *res, slotFilled
		} else {
			e.state = slotAbandoned
		}
		if n == waiting {
			wake.Signal()
		}
		mu.Unlock()
	}
	store := func(n int, res records.Result) {
		c.done.Add(1)
		if res.Error != "" {
			c.errors.Add(1)
		}
		c.tokens.Add(int64(res.PromptTokens + res.CompletionTokens))
		settle(n, &res)
	}
	// take assigns the next slot once the window has room for it; it
	// returns false when the run stopped first.
	take := func() (int, bool) {
		select {
		case room <- struct{}{}:
		case <-runCtx.Done():
			return 0, false
		}
		mu.Lock()
		n := assigned
		ring[n%len(ring)].state = slotPending
		assigned++
		mu.Unlock()
		return n, true
	}

	jobs := make(chan job)
	var srcErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer func() {
			close(jobs)
			mu.Lock()
			drained = true
			wake.Signal()
			mu.Unlock()
		}()
		for src.Scan() {
			item := src.Item()
			for s := range r.Repeats {
				n, ok := take()
				if !ok {
					return
				}
				if prev, ok := r.Done[Key{item.ID, s}]; ok {
					store(n, r.complete(&item, prev))
					c.resumed.Add(1)
					progress()
					continue
				}
				select {
				case jobs <- job{item: &item, sample: s, slot: n}:
				case <-runCtx.Done():
					settle(n, nil)
					return
				}
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
					settle(j.slot, nil)
					continue
				}
				if res.Error == "" && r.Journal != nil {
					if err := r.Journal.Append(res, cached); err != nil {
						stopRun(err)
						settle(j.slot, nil)
						continue
					}
				}
				store(j.slot, res)
				progress()
			}
		})
	}

	// Emit in slot order until every assigned slot is settled and dispatch
	// is over; after an emit error, only drain.
	var (
		emitErr error
		out     records.Result // reused: emit must not keep the pointer
	)
	for next := 0; ; next++ {
		mu.Lock()
		for !(next < assigned && ring[next%len(ring)].state != slotPending) && !(next == assigned && drained) {
			waiting = next
			wake.Wait()
		}
		waiting = -1
		if next == assigned { // drained: nothing more will come
			mu.Unlock()
			break
		}
		e := &ring[next%len(ring)]
		filled := e.state == slotFilled
		if filled {
			out = e.res
		}
		e.res = records.Result{} // drop the strings and maps
		mu.Unlock()
		if filled && emitErr == nil {
			if err := emit(&out); err != nil {
				emitErr = err
				stopRun(err)
			}
		}
		<-room
	}
	wg.Wait()
	r.final = c.stats()

	var rejected *RejectedError
	if errors.As(context.Cause(runCtx), &rejected) {
		return rejected
	}
	if err := r.Breaker.Tripped(); err != nil {
		return err
	}
	if emitErr != nil {
		return emitErr
	}
	if err := context.Cause(runCtx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return context.Cause(ctx)
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
	if r.Ground != nil && res.Error == "" {
		res.Groundedness = r.Ground(item, res.Output)
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

// callKey is everything that can change the answer to a call of msgs
// sent with seed, for sample.
func (r *Runner) callKey(seed *int, msgs []Message, sample int) CallKey {
	p := r.Params
	return CallKey{
		Provider: p.Provider, Endpoint: NormalizeBaseURL(p.BaseURL), Model: p.Model, Version: p.Version, ArtifactSHA256: p.ArtifactSHA256,
		Temperature: p.Temperature, MaxTokens: p.MaxTokens, Seed: seed, Logprobs: p.Logprobs, Messages: msgs, Sample: sample,
		MaxOutput: r.maxOutputKey(), MaxCompletionTokens: p.MaxCompletionTokens, ReasoningEffort: p.ReasoningEffort, Verbosity: p.Verbosity,
	}
}

// maxOutputKey is the output cap as the cache key holds it: 0 for the
// default, so that entries stored under the default keep their keys.
func (r *Runner) maxOutputKey() int {
	if r.MaxOutput == 0 || r.MaxOutput == configs.DefaultMaxOutputBytes {
		return 0
	}
	return r.MaxOutput
}

// origin is the origin of the answers this runner stores in the cache.
func (r *Runner) origin() Origin {
	return Origin{Endpoint: NormalizeBaseURL(r.Params.BaseURL), Provider: r.Params.Provider, Model: r.Params.Model}
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
// run stopped before the call finished, or when the endpoint rejected it
// (the run is then stopped with a *RejectedError).
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
		key = r.callKey(seed, msgs, j.sample).Hash()
		if resp, origin, ok := r.Cache.Get(key); ok && (!r.Params.Logprobs || resp.Confidence > 0) {
			c.cached.Add(1)
			r.noteOrigin(origin)
			var cut bool // an entry stored under a larger cap
			resp.Text, cut = TruncateUTF8(resp.Text, cmp.Or(r.MaxOutput, configs.DefaultMaxOutputBytes))
			res.Output, res.PromptTokens, res.CompletionTokens, res.Confidence = r.redact(resp.Text), resp.PromptTokens, resp.CompletionTokens, resp.Confidence
			res.Truncated, res.Cached = resp.Truncated || cut, true
			return r.complete(j.item, res), true, nil
		}
	}
	chars := 0
	for _, m := range msgs {
		chars += len(m.Content)
	}
	estimate := chars/4 + max(r.Params.MaxTokens, r.Params.MaxCompletionTokens)
	req := Request{Item: j.item, Messages: msgs, Sample: j.sample, Seed: seed, MaxOutput: r.MaxOutput}
	probing := false
	defer func() {
		if probing { // gave up without an answer: the next call probes
			r.probe.release()
		}
	}()
	for attempt := 1; ; attempt++ {
		if !probing {
			var err error
			if probing, err = r.probe.wait(runCtx); err != nil {
				return res, false, ErrAbandoned
			}
		}
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
			if probing {
				r.probe.pass()
				probing = false
			}
			r.Breaker.Record(nil)
			r.Throttle.Settle(estimate, resp.PromptTokens+resp.CompletionTokens)
			var cut bool
			resp.Text, cut = TruncateUTF8(resp.Text, cmp.Or(r.MaxOutput, configs.DefaultMaxOutputBytes))
			resp.Truncated = resp.Truncated || cut
			res.Truncated = resp.Truncated
			resp.Text, resp.Model = r.Secrets.response(resp.Text), r.Secrets.response(resp.Model)
			if r.Cache != nil { // as sent, before redaction
				r.Cache.Put(key, resp, r.origin()) // a cache that cannot be written only costs a future call
			}
			resp.Text = r.redact(resp.Text)
			res.Output, res.PromptTokens, res.CompletionTokens, res.Confidence = resp.Text, resp.PromptTokens, resp.CompletionTokens, resp.Confidence
			res.Error, res.ErrorKind, res.HTTPStatus = "", "", 0 // earlier attempts' failures are history
			if resp.LatencyMS > 0 {
				res.LatencyMS = resp.LatencyMS
			}
			if r.ModelFromProvider && resp.Model != "" {
				res.Model = resp.Model
			}
			return r.complete(j.item, res), false, nil
		}
		if callCtx.Err() != nil {
			return res, false, ErrAbandoned
		}
		if Rejected(ce) {
			// Every later call would be rejected too: stop before another
			// is sent. The probing slot is kept, so no waiting call probes.
			probing = false
			rejected := *ce
			rejected.Msg = r.redact(ce.Msg)
			stopRun(&RejectedError{ID: j.item.ID, Call: &rejected})
			return res, false, ErrAbandoned
		}
		if probing && !Retryable(ce) {
			r.probe.pass() // the endpoint took the key and the model
			probing = false
		}
		if r.Breaker.Record(ce) {
			stopRun(r.Breaker.Tripped())
		}
		res.Error, res.ErrorKind, res.HTTPStatus = r.redact(r.Secrets.message(ce.Msg)), ce.Kind, ce.Status
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
