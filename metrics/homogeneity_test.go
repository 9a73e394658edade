package metrics

import (
	"testing"
)

// TestHomogeneityAgainstR checks HomogeneityTest against R 4's chisq.test and
// fisher.test on the k×2 table m <- cbind(s, n - s) of each case. Each
// expected value was printed with options(digits = 17).
func TestHomogeneityAgainstR(t *testing.T) {
	tests := []struct {
		name   string
		s, n   []int
		method string
		stat   float64 // chisq.test(m, correct = FALSE)$statistic
		p      float64 // the p-value named in the comment
	}{
		{
			// m <- cbind(c(45, 30), c(55, 70)); chisq.test(m, correct = FALSE)
			name: "2x2", s: []int{45, 30}, n: []int{100, 100}, method: "chi-square",
			stat: 4.7999999999999998, p: 0.028459736916310541,
		},
		{
			// m <- cbind(c(12, 18, 25, 20), c(28, 27, 25, 22)); chisq.test(m, correct = FALSE)
			name: "4x2", s: []int{12, 18, 25, 20}, n: []int{40, 45, 50, 42}, method: "chi-square",
			stat: 4.2760952380952402, p: 0.23315287855402461,
		},
		{
			// s <- c(50, 55, 61, 48, 52, 58, 45, 63, 51, 57); m <- cbind(s, 100 - s); chisq.test(m, correct = FALSE)
			name: "10x2", s: []int{50, 55, 61, 48, 52, 58, 45, 63, 51, 57}, n: []int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100},
			method: "chi-square", stat: 12.157809983896941, p: 0.20455825971815517,
		},
		{
			// s <- c(4500, 4620, 4410); m <- cbind(s, 10000 - s); chisq.test(m, correct = FALSE)
			name: "large n", s: []int{4500, 4620, 4410}, n: []int{10000, 10000, 10000}, method: "chi-square",
			stat: 8.9661105254867746, p: 0.01129883944248229,
		},
		{
			// m <- cbind(c(450, 230), c(550, 770)); chisq.test(m, correct = FALSE)
			name: "FPR 0.45 vs 0.23", s: []int{450, 230}, n: []int{1000, 1000}, method: "chi-square",
			stat: 107.84313725490196, p: 2.909151550414332e-25,
		},
		{
			// m <- cbind(c(3, 9), c(9, 5)): every expected count ≥ 5 (the least is 5.54)
			// chisq.test(m, correct = FALSE)
			name: "2x2 expected just above 5", s: []int{3, 9}, n: []int{12, 14}, method: "chi-square",
			stat: 4.0127551020408161, p: 0.045157302312743557,
		},
		{
			// m <- cbind(c(28, 25), c(2, 5)); fisher.test(m)$p.value
			name: "2x2 small cells", s: []int{28, 25}, n: []int{30, 30}, method: "exact",
			stat: 1.4555256064690028, p: 0.42380990998296975,
		},
		{
			// m <- cbind(c(9, 7, 10), c(1, 3, 0)); fisher.test(m)$p.value
			name: "3x2 small cells", s: []int{9, 7, 10}, n: []int{10, 10, 10}, method: "exact",
			stat: 4.0384615384615392, p: 0.28571428571428975,
		},
		{
			// m <- cbind(c(29, 27, 30, 25), c(1, 3, 0, 5)); fisher.test(m)$p.value
			name: "4x2 small cells", s: []int{29, 27, 30, 25}, n: []int{30, 30, 30, 30}, method: "exact",
			stat: 7.0870870870870872, p: 0.074330389685933473,
		},
		{
			// m <- cbind(c(3, 1, 4, 0, 2, 5), c(2, 5, 3, 4, 3, 3)); fisher.test(m)$p.value
			name: "6x2 small cells, unequal sizes", s: []int{3, 1, 4, 0, 2, 5}, n: []int{5, 6, 7, 4, 5, 8}, method: "exact",
			stat: 7.1409722222222234, p: 0.24736398404213303,
		},
		{
			// s <- c(95, 99, 97, 100, 98, 92); m <- cbind(s, 100 - s); fisher.test(m)$p.value
			name: "6x2 rare failures", s: []int{95, 99, 97, 100, 98, 92}, n: []int{100, 100, 100, 100, 100, 100}, method: "exact",
			stat: 13.96865658121207, p: 0.015292466087346832,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HomogeneityTest(tt.s, tt.n, 1)
			if got.Method != tt.method || got.DF != len(tt.n)-1 {
				t.Fatalf("method %q, df %d; want %q, %d", got.Method, got.DF, tt.method, len(tt.n)-1)
			}
			if !closeRel(got.Statistic, tt.stat, 1e-9) || !closeRel(got.P, tt.p, 1e-9) {
				t.Errorf("X² = %.17g, p = %.17g; want %.17g, %.17g", got.Statistic, got.P, tt.stat, tt.p)
			}
		})
	}
}

// TestHomogeneityExactAgainstFisher checks the exact test on a table where
// HomogeneityTest itself uses chi-square.
func TestHomogeneityExactAgainstFisher(t *testing.T) {
	// m <- cbind(c(3, 9), c(9, 5)); fisher.test(m)$p.value
	p, _, ok := exactConditional([]int{3, 9}, []int{12, 14})
	if want := 0.061838740072688136; !ok || !closeRel(p, want, 1e-9) {
		t.Errorf("exact p = %.17g (ok %v); want %.17g", p, ok, want)
	}
}
