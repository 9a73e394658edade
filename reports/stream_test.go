package reports

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
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
