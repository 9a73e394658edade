package eval

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// genSource yields n generated items without holding them.
type genSource struct {
	n, i int
	item records.Item
}

func (s *genSource) Scan() bool {
	if s.i >= s.n {
		return false
	}
	id := strconv.Itoa(s.i)
	s.item = records.Item{ID: "q" + id, Input: "question " + id, Expected: "answer " + id, Extra: map[string]string{"g": strconv.Itoa(s.i % 7)}}
	s.i++
	return true
}
func (s *genSource) Item() records.Item { return s.item }
func (s *genSource) Err() error         { return nil }

// echoProvider answers at once with the last message.
type echoProvider struct{}

func (echoProvider) Complete(_ context.Context, req Request) (Response, error) {
	return Response{Text: req.Messages[len(req.Messages)-1].Content, PromptTokens: 3, CompletionTokens: 2}, nil
}
func (echoProvider) Close() error { return nil }

// liveHeap is the heap that survived the last garbage collection, in bytes.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// benchmarkRunner runs n items per iteration through an in-process
// provider, with Stream (keep false: each result is dropped once emitted)
// or Run (keep true: every result is held). It reports allocations and
// bytes per item, and peak-live-B, the most heap that survived any garbage
// collection during the runs, sampled every 256 results.
func benchmarkRunner(b *testing.B, n int, keep bool) {
	prompt, err := NewPrompt("", "{{.Input}}")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	sample := func(k int) {
		if k%256 == 0 {
			peak = max(peak, liveHeap())
		}
	}
	for b.Loop() {
		r := &Runner{Provider: echoProvider{}, Prompt: prompt, Model: "m", Concurrency: 8, Repeats: 1, Groups: []string{"g"},
			Score: func(item *records.Item, out string) map[string]float64 {
				if out == item.Expected {
					return map[string]float64{"exact": 1}
				}
				return map[string]float64{"exact": 0}
			}}
		if keep {
			res, err := r.Run(context.Background(), &genSource{n: n})
			if err != nil || len(res) != n {
				b.Fatalf("%d results, err %v", len(res), err)
			}
			peak = max(peak, liveHeap())
			continue
		}
		k := 0
		if err := r.Stream(context.Background(), &genSource{n: n}, func(res *records.Result) error {
			k++
			sample(k)
			return nil
		}); err != nil || k != n {
			b.Fatalf("%d results, err %v", k, err)
		}
	}
	runtime.ReadMemStats(&after)
	items := float64(b.N) * float64(n)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/items, "allocs/item")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/items, "B/item")
	b.ReportMetric(float64(peak), "peak-live-B")
}

// BenchmarkStream shows that Stream's memory does not grow with the eval
// set: allocs/item, B/item and peak-live-B stay flat from 10k to 100k
// items. BenchmarkRun, which holds every result, is the contrast.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) { benchmarkRunner(b, n, false) })
	}
}

// BenchmarkRun is BenchmarkStream through Run, which collects the results.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) { benchmarkRunner(b, n, true) })
	}
}
