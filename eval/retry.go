package eval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Retryable reports whether a failed call may succeed if made again: HTTP
// 408, 409, 429 and 5xx, timeouts, connection failures and responses that
// were not valid JSON. Permanent failures (other 4xx), prompt errors and
// cancellations are not retried.
func Retryable(err *CallError) bool {
	switch err.Kind {
	case "timeout", "connection", "truncated_response", "bad_response":
		return true
	}
	s := err.Status
	return s == http.StatusRequestTimeout || s == http.StatusConflict || s == http.StatusTooManyRequests || s >= 500
}

// Backoff is the wait before retry n (1-based): a uniformly random duration
// up to min(limit, base·2ⁿ⁻¹) ("full jitter"), but never less than what the
// server asked for in hint (Retry-After or x-ratelimit-reset-*).
func Backoff(n int, base, limit, hint time.Duration) time.Duration {
	ceiling := limit
	if n-1 < 62 && base > 0 {
		if c := base << (n - 1); c > 0 && c < limit {
			ceiling = c
		}
	}
	wait := time.Duration(0)
	if ceiling > 0 {
		wait = rand.N(ceiling + 1) // timing only; never affects results
	}
	return max(wait, hint)
}

// retryHint reads how long a server asked us to wait: Retry-After in
// seconds or as an HTTP date, else the largest x-ratelimit-reset-requests /
// x-ratelimit-reset-tokens duration ("1s", "6m0s", "20ms" or plain
// seconds). Zero when the headers ask nothing.
func retryHint(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			return time.Duration(secs * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	var hint time.Duration
	for _, name := range []string{"X-Ratelimit-Reset-Requests", "X-Ratelimit-Reset-Tokens"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			if secs, err2 := strconv.ParseFloat(v, 64); err2 == nil {
				d = time.Duration(secs * float64(time.Second))
			}
		}
		hint = max(hint, d)
	}
	return hint
}

// headerSink receives the response headers of the one request whose context
// carries it.
type headerSink struct {
	mu sync.Mutex
	h  http.Header
}

func (s *headerSink) set(h http.Header) {
	s.mu.Lock()
	s.h = h
	s.mu.Unlock()
}

func (s *headerSink) get() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h
}

type sinkKey struct{}

// withHeaderSink returns a context under which headerTransport records the
// response headers into the returned sink. go-openai's errors do not carry
// headers, and Retry-After lives there.
func withHeaderSink(ctx context.Context) (context.Context, *headerSink) {
	s := &headerSink{}
	return context.WithValue(ctx, sinkKey{}, s), s
}

// headerTransport records response headers for requests that carry a sink,
// and adds query, the base URL's query string, to every request.
type headerTransport struct {
	next  http.RoundTripper
	query string
}

func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.query != "" {
		req = req.Clone(req.Context())
		if req.URL.RawQuery == "" {
			req.URL.RawQuery = t.query
		} else {
			req.URL.RawQuery = t.query + "&" + req.URL.RawQuery
		}
	}
	resp, err := t.next.RoundTrip(req)
	if resp != nil && resp.StatusCode >= 400 { // only failures carry retry hints
		if s, ok := req.Context().Value(sinkKey{}).(*headerSink); ok {
			s.set(resp.Header.Clone())
		}
	}
	return resp, err
}

// Rejected reports whether a failed call says that no call of the run can
// succeed: 401 (the key is missing, wrong or revoked), 403 (the key may not
// use this model or endpoint) or 404 (no such model, or no chat completions
// endpoint at the base URL). Every call of a run goes to one endpoint with
// one key and one model, so the runner stops at the first of these instead
// of paying for more.
func Rejected(err *CallError) bool {
	switch err.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

// RejectedError is why a run stopped at a rejected call (see Rejected): the
// endpoint refused the credentials or does not serve the model. A run that
// stops this way made no call after it.
type RejectedError struct {
	// ID is the item whose call was rejected.
	ID string
	// Call is the rejected call's error, its message scrubbed of secrets.
	Call *CallError
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("item %q: the endpoint rejected the call (HTTP %d): %s", e.ID, e.Call.Status, e.Call.Msg)
}

func (e *RejectedError) Unwrap() error { return e.Call }

// probe lets one call at a time reach the provider until one has come back
// with an answer, or with a failure that is neither Rejected nor
// Retryable: until the endpoint has accepted the key and the model, a run
// has one call in flight, so that a wrong key or model costs one call
// however high the concurrency. Afterwards it lets every call through. A
// nil probe lets every call through.
type probe struct {
	token  chan struct{} // holds the probing slot while no call probes
	opened chan struct{} // closed once a call passed
	once   sync.Once
}

func newProbe() *probe {
	p := &probe{token: make(chan struct{}, 1), opened: make(chan struct{})}
	p.token <- struct{}{}
	return p
}

// wait returns when the caller may call: at once when a call has passed
// (probing false), or when it takes the probing slot (probing true; it must
// then call pass or release). It returns ctx's error when ctx has ended, so
// that nothing is sent once the run stopped.
func (p *probe) wait(ctx context.Context) (probing bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if p == nil {
		return false, nil
	}
	select {
	case <-p.opened:
	case <-p.token:
		if err := ctx.Err(); err != nil { // ended as the slot came free
			p.release()
			return false, err
		}
		return true, nil
	case <-ctx.Done():
	}
	return false, ctx.Err()
}

// pass lets every later call through: the endpoint accepted one.
func (p *probe) pass() { p.once.Do(func() { close(p.opened) }) }

// release gives the probing slot back without passing, for the next call
// to probe with (the probing call gave up after retries, or was abandoned).
func (p *probe) release() { p.token <- struct{}{} }
