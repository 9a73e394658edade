package reports

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/evalgate/evalgate/metrics"
)

// TestBuildFromTallies checks that a report built from streamed tallies
// is byte for byte the report Build makes from the same results.
func TestBuildFromTallies(t *testing.T) {
	in := testInput(t)
	want := Build(in)
	opts := MetricOptions(in.Config)
	reg := metrics.CompareByGroup(in.Candidate.Results, in.Production.Results, in.Config.Fairness.Groups, opts)
	cand, prod := NewModelTally(in.Config, true), NewModelTally(in.Config, false)
	cand.Info, prod.Info = in.Candidate, *in.Production
	for i := range in.Candidate.Results {
		cand.Add(&in.Candidate.Results[i])
	}
	for i := range in.Production.Results {
		prod.Add(&in.Production.Results[i])
	}
	got := BuildFromTallies(StreamInput{Config: in.Config, Dataset: in.Dataset, Candidate: cand, Production: prod, Regression: &reg, Timing: in.Timing})
	var g, w bytes.Buffer
	if err := WriteJSON(&g, got); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&w, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Bytes(), w.Bytes()) {
		t.Errorf("BuildFromTallies:\n%s\nBuild:\n%s", g.Bytes(), w.Bytes())
	}
}

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
