package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

// TestLatencyTally checks the latency summary exactly up to
// ExactLatencies values and within 0.1% beyond.
func TestLatencyTally(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		exact bool
	}{
		{name: "none", n: 0, exact: true},
		{name: "one", n: 1, exact: true},
		{name: "at the limit", n: ExactLatencies, exact: true},
		{name: "past the limit", n: ExactLatencies + 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var l latencyTally
			ms := make([]float64, tc.n)
			for i := range ms {
				ms[i] = math.Exp(rng.NormFloat64()) * 300
				if i%1000 == 0 {
					ms[i] = 0
				}
				l.add(ms[i])
			}
			got := l.summary()
			sort.Float64s(ms)
			want := latencyOf(ms)
			if got.Calls != want.Calls {
				t.Fatalf("calls %d, want %d", got.Calls, want.Calls)
			}
			for _, q := range []struct {
				name      string
				got, want *float64
			}{{"p50", got.P50, want.P50}, {"p95", got.P95, want.P95}, {"p99", got.P99, want.P99}, {"max", got.Max, want.Max}} {
				switch {
				case (q.got == nil) != (q.want == nil):
					t.Errorf("%s: got %v, want %v", q.name, q.got, q.want)
				case q.got == nil:
				case tc.exact && *q.got != *q.want:
					t.Errorf("%s: got %v, want exactly %v", q.name, *q.got, *q.want)
				case math.Abs(*q.got-*q.want) > 0.001**q.want:
					t.Errorf("%s: got %v, want within 0.1%% of %v", q.name, *q.got, *q.want)
				}
			}
		})
	}
}

// TestLatencyMerge checks that merging tallies of two shards gives the
// state of one pass over both, on either side of ExactLatencies.
func TestLatencyMerge(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b int
	}{
		{name: "both empty"},
		{name: "empty into some", a: 0, b: 10},
		{name: "some into empty", a: 10, b: 0},
		{name: "small", a: 7, b: 5},
		{name: "union at the limit", a: ExactLatencies - 3, b: 3},
		{name: "union past the limit", a: ExactLatencies - 3, b: 4},
		{name: "first past the limit", a: ExactLatencies + 10, b: 20},
		{name: "second past the limit", a: 20, b: ExactLatencies + 10},
		{name: "both past the limit", a: ExactLatencies + 1, b: ExactLatencies + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			var a, b, whole latencyTally
			for i := range tc.a + tc.b {
				ms := math.Exp(rng.NormFloat64()) * 300
				if i%997 == 0 {
					ms = 0
				}
				whole.add(ms)
				if i < tc.a {
					a.add(ms)
				} else {
					b.add(ms)
				}
			}
			a.merge(&b)
			if !reflect.DeepEqual(a, whole) {
				t.Errorf("merged: n %d, max %v, %d exact, %d buckets, %d non-positive; one pass: n %d, max %v, %d exact, %d buckets, %d non-positive",
					a.n, a.max, len(a.exact), len(a.hist), a.nonPositive, whole.n, whole.max, len(whole.exact), len(whole.hist), whole.nonPositive)
			}
			if got, want := a.summary(), whole.summary(); !reflect.DeepEqual(got, want) {
				t.Errorf("summary %+v, want %+v", got, want)
			}
		})
	}
}

// TestModelTallyMergeCounts checks the counts a ModelRun reports after a
// merge: calls, errors by kind, tokens and latencies of shards add up to
// one pass over all the results.
func TestModelTallyMergeCounts(t *testing.T) {
	cfg, err := configs.Parse("eval.yaml", []byte("dataset: {path: set.parquet}\ncandidate: {provider: \"builtin:extractive-v2\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var results []records.Result
	for i := range 40 {
		r := records.Result{ID: fmt.Sprint(i), PromptTokens: 10 + i, CompletionTokens: i % 7, Attempts: 1, LatencyMS: float64(30 + 11*i%97)}
		switch i % 9 {
		case 2:
			r.Error, r.ErrorKind = "status 500", "http_500"
		case 5:
			r.Error, r.ErrorKind = "timeout", "timeout"
		case 7:
			r.Attempts = 0 // answered from the cache: no latency
		}
		results = append(results, r)
	}
	whole := NewModelTally(cfg, false)
	for i := range results {
		whole.Add(&results[i])
	}
	shards := []*ModelTally{NewModelTally(cfg, false), NewModelTally(cfg, false), NewModelTally(cfg, false)}
	for i := range results {
		shards[i*len(shards)/len(results)].Add(&results[i])
	}
	merged := NewModelTally(cfg, false)
	for _, s := range shards {
		if err := merged.Merge(s); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fmt.Sprintf("%+v", merged.metrics.Accuracy()), fmt.Sprintf("%+v", whole.metrics.Accuracy()); got != want {
		t.Errorf("accuracy %+v, want %+v", got, want)
	}
	if !reflect.DeepEqual(merged.counts, whole.counts) {
		t.Errorf("counts %+v, want %+v", merged.counts, whole.counts)
	}
	if !reflect.DeepEqual(merged.latency, whole.latency) {
		t.Errorf("latencies differ: %+v, want %+v", merged.latency.summary(), whole.latency.summary())
	}
	if got, want := merged.run(cfg.Candidate, MetricOptions(cfg)), whole.run(cfg.Candidate, MetricOptions(cfg)); got.Calls != want.Calls || got.Errors != want.Errors ||
		!reflect.DeepEqual(got.ErrorKinds, want.ErrorKinds) || got.PromptTokens != want.PromptTokens || !reflect.DeepEqual(got.Latency, want.Latency) || got.ErrorRate != want.ErrorRate {
		t.Errorf("ModelRun %+v, want %+v", got, want)
	}
}
