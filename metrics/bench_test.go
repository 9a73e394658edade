package metrics

import (
	"fmt"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// syntheticCounts splits rows results over groups groups, with rates that
// differ by group, into sufficient statistics.
func syntheticCounts(rows, groups int) []GroupCounts {
	out := make([]GroupCounts, groups)
	for g := range out {
		out[g].Value = fmt.Sprintf("g%02d", g)
		n := rows / groups
		// Spread n over the 8 cells in fixed proportions that vary by group.
		weights := [8]int{5 + g, 3, 2, 20 + g, 4, 30, 6 + g, 30}
		total := 0
		for _, w := range weights {
			total += w
		}
		left := n
		for j, w := range weights {
			c := n * w / total
			if j == 7 {
				c = left
			}
			out[g].Cells[j] = c
			left -= c
		}
	}
	return out
}

// BenchmarkFairnessFromCounts times the fairness analysis (positive label,
// so 5 metrics, each with simultaneous intervals and a test of equality)
// over three group columns of 4, 6 and 10 groups, from the sufficient
// statistics of 1,000 to 10 million rows. The time per op must not grow
// with the rows (at 1,000 rows the cells are small, so the tests are
// exact).
func BenchmarkFairnessFromCounts(b *testing.B) {
	opts := FairnessOptions{Options: Options{Level: 0.95, MinGroupSize: 30, Seed: 1}, PositiveLabel: "yes"}
	for _, rows := range []int{1_000, 100_000, 10_000_000} {
		cols := [][]GroupCounts{syntheticCounts(rows, 4), syntheticCounts(rows, 6), syntheticCounts(rows, 10)}
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i, c := range cols {
					FairnessFromCounts([]string{fmt.Sprintf("col%d", i)}, c, opts)
				}
			}
		})
	}
}

// BenchmarkPairedDelta times one paired bootstrap (2,000 resamples) of 1,000
// and 10 million pairs.
func BenchmarkPairedDelta(b *testing.B) {
	for _, n := range []int{1_000, 10_000_000} {
		c := PairCounts{BothRight: n * 70 / 100, RightToWrong: n * 6 / 100, WrongToRight: n * 4 / 100}
		c.BothWrong = n - c.BothRight - c.RightToWrong - c.WrongToRight
		b.Run(fmt.Sprintf("pairs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				PairedDelta(c, 0.95, 0, 1)
			}
		})
	}
}

// syntheticResults builds n scored results over three group columns. Scores
// and Groups maps are shared between results, as a streaming scorer would
// not, so that the benchmark measures the metrics rather than the
// allocator.
func syntheticResults(n int) []records.Result {
	right := map[string]float64{"exact": 1, "normalized": 1, "contains": 1, "f1": 1}
	wrong := map[string]float64{"exact": 0, "normalized": 0, "contains": 0, "f1": 0.2}
	var groups []map[string]string
	for _, s := range []string{"f", "m", ""} {
		for _, a := range []string{"18-29", "30-49", "50+", "unknown"} {
			for _, r := range []string{"eu", "us", "apac", "latam", "mea"} {
				groups = append(groups, map[string]string{"sex": s, "age": a, "region": r})
			}
		}
	}
	out := make([]records.Result, n)
	for i := range out {
		r := &out[i]
		r.ID = "item"
		r.Groups = groups[(i*7)%len(groups)]
		ok := (i*13)%10 < 8
		r.Scores, r.Output, r.Expected = wrong, "no", "yes"
		if ok {
			r.Scores, r.Output = right, "yes"
		}
		if i%3 == 0 {
			r.Expected = "no"
			r.Output = map[bool]string{true: "no", false: "yes"}[ok]
		}
	}
	return out
}

// BenchmarkComputeOverResults times one pass of each computation over a
// million results.
func BenchmarkComputeOverResults(b *testing.B) {
	results := syntheticResults(1_000_000)
	opts := Options{Method: "normalized", Level: 0.95, MinGroupSize: 30, Seed: 1}
	cols := []string{"sex", "age", "region"}
	b.Run("ComputeAccuracy/1M", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ComputeAccuracy(results, opts)
		}
	})
	b.Run("ComputeFairness/1M", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ComputeFairness(results, cols, opts)
		}
	})
	b.Run("ComputeGroupFairness/1M_no_label", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ComputeGroupFairness(results, cols, FairnessOptions{Options: opts})
		}
	})
	b.Run("ComputeGroupFairness/1M_positive_label", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ComputeGroupFairness(results, cols, FairnessOptions{Options: opts, PositiveLabel: "yes"})
		}
	})
}
