package metrics_test

import (
	"fmt"

	"github.com/evalgate/evalgate/metrics"
)

// A candidate fixed 25 items production got wrong and broke 40 it got right.
func ExampleMcNemarExact() {
	fmt.Printf("p = %.4f\n", metrics.McNemarExact(40, 25))
	// Output: p = 0.0817
}

// With 10 samples per problem, 3 of them correct, the chance that at least
// one of 5 drawn samples is correct.
func ExamplePassAtK() {
	fmt.Printf("pass@5 = %.4f\n", metrics.PassAtK(10, 3, 5))
	// Output: pass@5 = 0.9167
}

func ExamplePairedDelta() {
	c := metrics.PairCounts{BothRight: 700, RightToWrong: 60, WrongToRight: 40, BothWrong: 200}
	d := metrics.PairedDelta(c, 0.95, 2000, 1)
	fmt.Printf("delta %.3f, rule ci_low >= -0.02 passes: %v\n", d.Value, d.Low >= -0.02)
	// Output: delta -0.020, rule ci_low >= -0.02 passes: false
}
