package eval

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/evalgate/evalgate/records"
	"golang.org/x/time/rate"
)

// Throttle bounds the request and token rates to one endpoint. The zero
// value, or nil, does not throttle.
type Throttle struct {
	requests *rate.Limiter
	tokens   *rate.Limiter
}

// NewThrottle returns a throttle of rpm requests and tpm tokens per minute;
// 0 leaves that rate unbounded. Requests are spaced evenly (burst 1); tokens
// may burst up to a quarter of a minute's budget.
func NewThrottle(rpm, tpm float64) *Throttle {
	t := &Throttle{}
	if rpm > 0 {
		t.requests = rate.NewLimiter(rate.Limit(rpm/60), 1)
	}
	if tpm > 0 {
		t.tokens = rate.NewLimiter(rate.Limit(tpm/60), max(1, int(tpm/4)))
	}
	return t
}

// Wait blocks until a request of about estimate tokens may be sent.
func (t *Throttle) Wait(ctx context.Context, estimate int) error {
	if t == nil {
		return nil
	}
	if t.requests != nil {
		if err := t.requests.Wait(ctx); err != nil {
			return err
		}
	}
	if t.tokens != nil {
		if err := t.tokens.WaitN(ctx, min(max(estimate, 1), t.tokens.Burst())); err != nil {
			return err
		}
	}
	return nil
}

// Settle charges the difference between a call's reported usage and its
// estimate, so that under-estimates slow later calls down.
func (t *Throttle) Settle(estimate, actual int) {
	if t == nil || t.tokens == nil || actual <= estimate {
		return
	}
	t.tokens.ReserveN(time.Now(), min(actual-estimate, t.tokens.Burst()))
}

// Adaptive is a concurrency limit that halves on every 429 and grows by one
// after each run of limit successes, between 1 and its maximum (AIMD, as in
// TCP congestion control). The zero value is unusable; use NewAdaptive.
type Adaptive struct {
	mu       sync.Mutex
	cond     *sync.Cond
	limit    int
	max      int
	inFlight int
	streak   int
	stats    records.AdaptiveStats
}

// NewAdaptive returns a limit starting at max.
func NewAdaptive(max int) *Adaptive {
	a := &Adaptive{limit: max, max: max, stats: records.AdaptiveStats{Enabled: true, Max: max, Min: max, Final: max}}
	a.cond = sync.NewCond(&a.mu)
	return a
}

// Acquire waits for a slot under the current limit or for ctx to end.
func (a *Adaptive) Acquire(ctx context.Context) error {
	if a == nil {
		return nil
	}
	stop := context.AfterFunc(ctx, func() {
		a.mu.Lock()
		a.cond.Broadcast()
		a.mu.Unlock()
	})
	defer stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.inFlight >= a.limit {
		if err := ctx.Err(); err != nil {
			return err
		}
		a.cond.Wait()
	}
	a.inFlight++
	return nil
}

// Release frees a slot, recording whether the call was throttled (429).
func (a *Adaptive) Release(throttled bool) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inFlight--
	if throttled {
		a.streak = 0
		if a.limit > 1 {
			a.limit = max(1, a.limit/2)
			a.stats.Decreases++
			a.stats.Min = min(a.stats.Min, a.limit)
		}
	} else if a.limit < a.max {
		a.streak++
		if a.streak >= a.limit {
			a.streak = 0
			a.limit++
			a.stats.Increases++
		}
	}
	a.stats.Final = a.limit
	a.cond.Broadcast()
}

// records.RunStats returns how the limit has moved.
func (a *Adaptive) Stats() records.AdaptiveStats {
	if a == nil {
		return records.AdaptiveStats{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Breaker trips when more than a share of the most recent attempts failed,
// so that a dead endpoint or a revoked key does not burn the budget.
type Breaker struct {
	mu      sync.Mutex
	window  []bool // true = failed, ring buffer
	next    int
	filled  int
	failed  int
	maxRate float64
	tripped error
	last    string
}

// NewBreaker returns a breaker over the last window attempts that trips when
// the failed share exceeds maxRate; maxRate 1 never trips.
func NewBreaker(window int, maxRate float64) *Breaker {
	return &Breaker{window: make([]bool, max(1, window)), maxRate: maxRate}
}

// Record adds an attempt's outcome (err nil for success) and reports
// whether the breaker is now tripped. Throttling (429) is not counted: it is
// the endpoint asking for patience, which backoff gives.
func (b *Breaker) Record(err *CallError) bool {
	if b == nil {
		return false
	}
	if err != nil && err.Status == 429 {
		return b.Tripped() != nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped != nil {
		return true
	}
	failed := err != nil
	if b.filled == len(b.window) {
		if b.window[b.next] {
			b.failed--
		}
	} else {
		b.filled++
	}
	b.window[b.next] = failed
	b.next = (b.next + 1) % len(b.window)
	if failed {
		b.failed++
		b.last = err.Msg
	}
	if b.maxRate < 1 && b.filled == len(b.window) && float64(b.failed)/float64(b.filled) > b.maxRate {
		b.tripped = fmt.Errorf("circuit breaker: %d of the last %d attempts failed (more than %.0f%%); the last error: %s", b.failed, b.filled, b.maxRate*100, b.last)
	}
	return b.tripped != nil
}

// Tripped returns why the breaker tripped, or nil.
func (b *Breaker) Tripped() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tripped
}
