package metrics

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// bigSum is the exact sum of xs rounded to the nearest float64, from
// math/big: an oracle independent of exactSum.
func bigSum(xs []float64) float64 {
	s := new(big.Float).SetPrec(2200) // wide enough to hold any sum of float64s exactly
	for _, x := range xs {
		s.Add(s, new(big.Float).SetPrec(2200).SetFloat64(x))
	}
	f, _ := s.Float64()
	return f
}

func TestExactSum(t *testing.T) {
	tenth := make([]float64, 10)
	for i := range tenth {
		tenth[i] = 0.1
	}
	for _, tc := range []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{0.5}, 0.5},
		{"ten tenths", tenth, 1}, // a loop gives 0.9999999999999999
		{"cancellation", []float64{1e100, 1, -1e100}, 1},
		{"tiny terms survive", []float64{1, 1e-16, 1e-16}, 1.0000000000000002},
		// Python's test_fsum: a halfway case that rounds to even only
		// once the partial below it is seen.
		{"halfway, pushed up", []float64{1, 0x1p-53, 0x1p-106}, 1 + 0x1p-52},
		{"halfway, stays", []float64{1, 0x1p-53}, 1},
		{"halfway, pushed down", []float64{1 + 0x1p-52, 0x1p-53, -0x1p-106}, 1 + 0x1p-52},
		{"infinity", []float64{1, math.Inf(1), 2}, math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s exactSum
			for _, x := range tc.xs {
				s.Add(x)
			}
			if got := s.Sum(); got != tc.want {
				t.Errorf("sum of %v = %v, want %v", tc.xs, got, tc.want)
			}
			if got := bigSum(tc.xs); !math.IsInf(tc.want, 0) && got != tc.want {
				t.Errorf("oracle: sum of %v = %v, want %v", tc.xs, got, tc.want)
			}
		})
	}
}

// TestExactSumOrderFree checks against math/big that the sum of random
// terms of mixed sign and magnitude, added in any order and merged from
// any split, is the correctly rounded exact sum.
func TestExactSumOrderFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + rng.IntN(300)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = (rng.Float64() - 0.3) * math.Ldexp(1, rng.IntN(80)-40)
		}
		want := bigSum(xs)
		rng.Shuffle(n, func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
		parts := make([]exactSum, 1+rng.IntN(5))
		var one exactSum
		for _, x := range xs {
			one.Add(x)
			parts[rng.IntN(len(parts))].Add(x)
		}
		var merged exactSum
		for i := len(parts) - 1; i >= 0; i-- {
			merged.Merge(&parts[i])
		}
		if got := one.Sum(); got != want {
			t.Fatalf("trial %d: one pass = %v, want %v", trial, got, want)
		}
		if got := merged.Sum(); got != want {
			t.Fatalf("trial %d: merged = %v, want %v", trial, got, want)
		}
	}
}

func BenchmarkExactSumAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = rng.Float64()
	}
	var s exactSum
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Add(xs[i%len(xs)])
	}
}
