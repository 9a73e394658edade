package eval

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalgate/evalgate/records"
)

// streamProvider answers every call with "<input>#<sample>" after a
// pseudo-random latency fixed by the call (up to maxDelay), fails inputs
// "fail" with a permanent 400, and counts the calls it finished. When hold
// is set, a call for which it returns a channel waits for that channel to
// close (or for the call to be cancelled).
type streamProvider struct {
	maxDelay  time.Duration
	hold      func(req Request) <-chan struct{}
	started   atomic.Int64
	completed atomic.Int64
	onDone    func(completed int64)
}

func (p *streamProvider) Complete(ctx context.Context, req Request) (Response, error) {
	p.started.Add(1)
	defer func() {
		n := p.completed.Add(1)
		if p.onDone != nil {
			p.onDone(n)
		}
	}()
	var wait <-chan struct{}
	if p.hold != nil {
		wait = p.hold(req)
	}
	var delay <-chan time.Time
	if p.maxDelay > 0 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%d", req.Item.ID, req.Sample)
		delay = time.After(time.Duration(h.Sum64() % uint64(p.maxDelay)))
	}
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return Response{}, &CallError{Kind: "canceled", Msg: ctx.Err().Error()}
		}
	}
	if delay != nil {
		select {
		case <-delay:
		case <-ctx.Done():
			return Response{}, &CallError{Kind: "canceled", Msg: ctx.Err().Error()}
		}
	}
	if req.Item.Input == "fail" {
		return Response{}, &CallError{Kind: "http_400", Status: 400, Msg: "bad request"}
	}
	return Response{Text: fmt.Sprintf("%s#%d", req.Item.Input, req.Sample), PromptTokens: 1}, nil
}

func (p *streamProvider) Close() error { return nil }

// windowCheck wraps emit: it records the results emitted and, before each,
// how many calls had finished beyond the results already emitted. Stream
// dispatches at most Runner.window() results ahead of the oldest one not
// yet emitted, so that count never exceeds the window (when no call is
// retried).
type windowCheck struct {
	prov     *streamProvider
	got      []records.Result
	maxAhead int64
}

func (w *windowCheck) emit(res *records.Result) error {
	w.maxAhead = max(w.maxAhead, w.prov.completed.Load()-int64(len(w.got)))
	w.got = append(w.got, *res)
	return nil
}

// itemIndex is the position of the item a result came from (items(n)
// names them in0, in1, …).
func itemIndex(t *testing.T, res records.Result) int {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(res.ID, "q%d", &i); err != nil {
		t.Fatalf("result id %q: %v", res.ID, err)
	}
	return i
}

// TestStreamOrder checks that under random latencies Stream emits every
// result in item order, samples together, with resumed results in their
// place and failed calls as results, within the window.
func TestStreamOrder(t *testing.T) {
	tests := []struct {
		name                string
		n, conc, repeats    int
		resumeEvery, failAt int // every resumeEvery-th item's sample 0 is resumed; item failAt fails
	}{
		{"one worker", 40, 1, 1, 0, 3},
		{"many workers", 300, 8, 1, 7, 11},
		{"repeats", 150, 5, 3, 5, 0},
		{"more workers than items", 3, 16, 2, 2, 1},
		{"empty", 0, 4, 2, 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			its := items(tt.n)
			if tt.failAt >= 0 && tt.failAt < tt.n {
				its[tt.failAt].Input = "fail"
			}
			done := map[Key]records.Result{}
			if tt.resumeEvery > 0 {
				for i := 0; i < tt.n; i += tt.resumeEvery {
					done[Key{its[i].ID, 0}] = records.Result{ID: its[i].ID, Sample: 0, Model: "m", Output: "resumed", Attempts: 1}
				}
			}
			prov := &streamProvider{maxDelay: 2 * time.Millisecond}
			prompt, _ := NewPrompt("", "{{.Input}}")
			r := &Runner{Provider: prov, Prompt: prompt, Model: "m", Concurrency: tt.conc, Repeats: tt.repeats, Groups: []string{"g"}, Done: done}
			w := &windowCheck{prov: prov}
			if err := r.Stream(context.Background(), &sliceSource{items: its}, w.emit); err != nil {
				t.Fatal(err)
			}
			if len(w.got) != tt.n*tt.repeats {
				t.Fatalf("got %d results, want %d", len(w.got), tt.n*tt.repeats)
			}
			for k, res := range w.got {
				item := its[k/tt.repeats]
				if res.ID != item.ID || res.Sample != k%tt.repeats || res.Groups["g"] != item.Extra["g"] {
					t.Fatalf("result %d is %s#%d, want %s#%d", k, res.ID, res.Sample, item.ID, k%tt.repeats)
				}
				want := fmt.Sprintf("%s#%d", item.Input, res.Sample)
				switch _, resumed := done[Key{item.ID, res.Sample}]; {
				case resumed:
					want = "resumed"
				case item.Input == "fail":
					want = ""
					if res.ErrorKind != "http_400" {
						t.Errorf("result %d: error kind %q, want http_400", k, res.ErrorKind)
					}
				}
				if res.Output != want {
					t.Errorf("result %d: output %q, want %q", k, res.Output, want)
				}
			}
			if w.maxAhead > int64(r.window()) {
				t.Errorf("%d calls finished ahead of the results emitted, window %d", w.maxAhead, r.window())
			}
			if st := r.Stats(); st.Done != tt.n*tt.repeats || st.Resumed != len(done) {
				t.Errorf("stats %+v, want %d done and %d resumed", st, tt.n*tt.repeats, len(done))
			}
		})
	}
}

// TestStreamWindow holds the first call until every other call the window
// admits has finished, and checks that Stream then holds exactly a window
// of results: dispatch went as far as the bound and no further.
func TestStreamWindow(t *testing.T) {
	for _, tt := range []struct{ conc, repeats int }{{4, 1}, {4, 2}, {2, 3}} {
		t.Run(fmt.Sprintf("concurrency %d repeats %d", tt.conc, tt.repeats), func(t *testing.T) {
			prompt, _ := NewPrompt("", "{{.Input}}")
			r := &Runner{Prompt: prompt, Concurrency: tt.conc, Repeats: tt.repeats}
			window := int64(r.window())
			if window != int64(WindowPerWorker*tt.conc*tt.repeats) {
				t.Fatalf("window %d, want %d", window, WindowPerWorker*tt.conc*tt.repeats)
			}
			release := make(chan struct{})
			var once sync.Once
			prov := &streamProvider{
				hold: func(req Request) <-chan struct{} {
					if req.Item.ID == "q000" && req.Sample == 0 {
						return release
					}
					return nil
				},
				// Every slot but the first in the window has finished.
				onDone: func(n int64) {
					if n == window-1 {
						once.Do(func() { close(release) })
					}
				},
			}
			r.Provider = prov
			w := &windowCheck{prov: prov}
			n := 10 * int(window)
			if err := r.Stream(context.Background(), &sliceSource{items: items(n)}, w.emit); err != nil {
				t.Fatal(err)
			}
			if len(w.got) != n*tt.repeats {
				t.Fatalf("got %d results, want %d", len(w.got), n*tt.repeats)
			}
			for k, res := range w.got {
				if itemIndex(t, res) != k/tt.repeats || res.Sample != k%tt.repeats {
					t.Fatalf("result %d is %s#%d, out of order", k, res.ID, res.Sample)
				}
			}
			// When the first result is emitted, the whole window has
			// finished and nothing beyond it was sent.
			if w.maxAhead != window {
				t.Errorf("at most %d results finished ahead of the emitter, want the window, %d", w.maxAhead, window)
			}
		})
	}
}

// TestStreamEmitError checks that an error from emit stops the run at once,
// that emit is not called again, and that Stream returns that error, even
// one that wraps context.Canceled.
func TestStreamEmitError(t *testing.T) {
	for _, emitErr := range []error{
		errors.New("write results: disk full"),
		fmt.Errorf("write results: %w", context.Canceled),
	} {
		t.Run(emitErr.Error(), func(t *testing.T) {
			prov := &streamProvider{maxDelay: time.Millisecond}
			prompt, _ := NewPrompt("", "{{.Input}}")
			r := &Runner{Provider: prov, Prompt: prompt, Concurrency: 4, Repeats: 1, Grace: time.Hour}
			const n, failAt = 2000, 25
			var got []records.Result
			calls := 0
			err := r.Stream(context.Background(), &sliceSource{items: items(n)}, func(res *records.Result) error {
				calls++
				if calls > failAt {
					t.Fatalf("emit called %d times after it failed", calls-failAt)
				}
				got = append(got, *res)
				if calls == failAt {
					return emitErr
				}
				return nil
			})
			if err != emitErr {
				t.Fatalf("err %v, want emit's error", err)
			}
			for k, res := range got {
				if itemIndex(t, res) != k {
					t.Fatalf("result %d is %s, out of order", k, res.ID)
				}
			}
			// Nothing was sent beyond the window of the result that failed.
			if s := prov.started.Load(); s > int64(failAt+r.window()) {
				t.Errorf("%d calls made after emit failed at %d, window %d", s, failAt, r.window())
			}
		})
	}
}

// TestStreamCancel cancels a run midway, with and without a grace period,
// and checks that only finished results are emitted, in order.
func TestStreamCancel(t *testing.T) {
	for _, grace := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("grace %s", grace), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			prov := &streamProvider{maxDelay: 3 * time.Millisecond}
			prompt, _ := NewPrompt("", "{{.Input}}")
			var progressed atomic.Int64
			r := &Runner{Provider: prov, Prompt: prompt, Concurrency: 6, Repeats: 2, Grace: grace,
				Progress: func(records.RunStats) {
					if progressed.Add(1) == 40 {
						cancel()
					}
				}}
			w := &windowCheck{prov: prov}
			err := r.Stream(ctx, &sliceSource{items: items(5000)}, w.emit)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want context.Canceled", err)
			}
			if len(w.got) < 40 || len(w.got) >= 10000 {
				t.Errorf("%d results after cancelling at 40", len(w.got))
			}
			last := -1
			for _, res := range w.got {
				if res.Error != "" {
					t.Errorf("%s#%d: an abandoned call was emitted: %s", res.ID, res.Sample, res.Error)
				}
				if want := fmt.Sprintf("in%d#%d", itemIndex(t, res), res.Sample); res.Output != want {
					t.Errorf("%s#%d: output %q, want %q", res.ID, res.Sample, res.Output, want)
				}
				pos := itemIndex(t, res)*2 + res.Sample
				if pos <= last {
					t.Fatalf("%s#%d emitted after position %d", res.ID, res.Sample, last)
				}
				last = pos
			}
			if st := r.Stats(); st.Done != len(w.got) {
				t.Errorf("stats count %d done, %d emitted", st.Done, len(w.got))
			}
			if grace > 0 && len(w.got) != last+1 {
				// With time to finish, every call sent finished: no holes.
				t.Errorf("%d results up to position %d: a call in flight was lost", len(w.got), last)
			}
			if w.maxAhead > int64(r.window()) {
				t.Errorf("%d calls finished ahead of the results emitted, window %d", w.maxAhead, r.window())
			}
		})
	}
}

// TestRunMatchesStream checks that Run returns what Stream emits.
func TestRunMatchesStream(t *testing.T) {
	its := items(60)
	its[9].Input = "fail"
	prompt, _ := NewPrompt("", "{{.Input}}")
	newRunner := func() *Runner {
		return &Runner{Provider: &streamProvider{maxDelay: time.Millisecond}, Prompt: prompt, Model: "m", Concurrency: 3, Repeats: 2, Groups: []string{"g"},
			Score: func(_ *records.Item, out string) map[string]float64 {
				return map[string]float64{"len": float64(len(out))}
			}}
	}
	ran, err := newRunner().Run(context.Background(), &sliceSource{items: its})
	if err != nil {
		t.Fatal(err)
	}
	var streamed []records.Result
	if err := newRunner().Stream(context.Background(), &sliceSource{items: its}, func(res *records.Result) error {
		streamed = append(streamed, *res)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ran) != len(streamed) {
		t.Fatalf("Run gave %d results, Stream %d", len(ran), len(streamed))
	}
	for i := range ran {
		a, b := ran[i], streamed[i]
		a.LatencyMS, b.LatencyMS = 0, 0
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("result %d: Run %+v, Stream %+v", i, a, b)
		}
	}
	if _, err := (&Runner{Provider: &streamProvider{}, Prompt: prompt}).Run(context.Background(), &sliceSource{}); err == nil || !strings.Contains(err.Error(), "at least 1") {
		t.Errorf("zero concurrency: err %v", err)
	}
}
