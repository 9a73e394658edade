package metrics

import (
	"fmt"
	"math"
	"testing"
)

// closeRel reports whether got is within rel of want, relatively, or both are
// below 1e-300 (or both NaN).
func closeRel(got, want, rel float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if got == want {
		return true
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

// TestBinomTestAgainstR checks BinomTest against R 4.2's binom.test. Each
// reference value was printed with
//
//	sprintf("%.17g", binom.test(k, n, p)$p.value)
//
// and the expression is repeated on its line.
func TestBinomTestAgainstR(t *testing.T) {
	tests := []struct {
		k, n int
		p    float64
		want float64
	}{
		{0, 10, 0.5, 0.0019531250000000004},       // binom.test(0, 10, 0.5)$p.value  (0 of n)
		{10, 10, 0.5, 0.0019531250000000004},      // binom.test(10, 10, 0.5)$p.value (n of n)
		{1, 1, 0.5, 1},                            // binom.test(1, 1, 0.5)$p.value   (n = 1)
		{0, 1, 0.5, 1},                            // binom.test(0, 1, 0.5)$p.value
		{0, 1, 0.3, 1},                            // binom.test(0, 1, 0.3)$p.value
		{3, 10, 0.5, 0.34375000000000011},         // binom.test(3, 10, 0.5)$p.value
		{7, 20, 0.3, 0.62949796667667735},         // binom.test(7, 20, 0.3)$p.value
		{682, 925, 0.75, 0.38249155957485192},     // binom.test(682, 925, 0.75)$p.value (R's own example)
		{5, 100, 0.1, 0.13014985175191457},        // binom.test(5, 100, 0.1)$p.value
		{30, 100, 0.1, 2.4451122393909636e-08},    // binom.test(30, 100, 0.1)$p.value
		{0, 50, 0.02, 0.62839828562539113},        // binom.test(0, 50, 0.02)$p.value
		{2, 7, 0.9, 0.0001764999999999996},        // binom.test(2, 7, 0.9)$p.value
		{2400, 5000, 0.5, 0.0048836497375175005},  // binom.test(2400, 5000, 0.5)$p.value
		{2600, 5000, 0.5, 0.0048836497375175005},  // binom.test(2600, 5000, 0.5)$p.value
		{4120, 5000, 0.8, 1.7309910984418746e-05}, // binom.test(4120, 5000, 0.8)$p.value
		{4000, 5000, 0.8, 1},                      // binom.test(4000, 5000, 0.8)$p.value
		{150, 5000, 0.035, 0.05431272408053249},   // binom.test(150, 5000, 0.035)$p.value
		{51, 100, 0.5, 0.92041076261282184},       // binom.test(51, 100, 0.5)$p.value
		{1, 3, 1.0 / 3, 1},                        // binom.test(1, 3, 1/3)$p.value
		{3, 5, 1, 0},                              // binom.test(3, 5, 1)$p.value
		{5, 5, 1, 1},                              // binom.test(5, 5, 1)$p.value
		{0, 5, 0, 1},                              // binom.test(0, 5, 0)$p.value
		{2, 5, 0, 0},                              // binom.test(2, 5, 0)$p.value
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_of_%d_p%g", tt.k, tt.n, tt.p), func(t *testing.T) {
			if got := BinomTest(tt.k, tt.n, tt.p); !closeRel(got, tt.want, 1e-9) {
				t.Errorf("BinomTest(%d, %d, %g) = %.17g, want %.17g", tt.k, tt.n, tt.p, got, tt.want)
			}
		})
	}
}

func TestBinomTestInvalid(t *testing.T) {
	tests := []struct {
		name string
		k, n int
		p    float64
		want float64
	}{
		{"no trials", 0, 0, 0.5, 1},
		{"k above n", 3, 2, 0.5, math.NaN()},
		{"negative k", -1, 2, 0.5, math.NaN()},
		{"p above 1", 1, 2, 1.5, math.NaN()},
		{"p NaN", 1, 2, math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BinomTest(tt.k, tt.n, tt.p); !closeRel(got, tt.want, 0) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMcNemarExactAgainstR checks McNemarExact(b, c) against R 4.2's
//
//	sprintf("%.17g", binom.test(b, b + c, 0.5)$p.value)
//
// b + c = 0 is defined as 1 here (R's binom.test refuses n = 0).
func TestMcNemarExactAgainstR(t *testing.T) {
	tests := []struct {
		b, c int
		want float64
	}{
		{0, 0, 1},                           // no discordant pairs: 1 by definition
		{1, 0, 1},                           // binom.test(1, 1, 0.5)$p.value
		{0, 1, 1},                           // binom.test(0, 1, 0.5)$p.value
		{3, 0, 0.25000000000000006},         // binom.test(3, 3, 0.5)$p.value
		{5, 5, 1},                           // binom.test(5, 10, 0.5)$p.value
		{10, 2, 0.038574218750000014},       // binom.test(10, 12, 0.5)$p.value
		{2, 10, 0.038574218750000014},       // binom.test(2, 12, 0.5)$p.value
		{40, 25, 0.081681533941540332},      // binom.test(40, 65, 0.5)$p.value
		{65, 35, 0.0035176417229701574},     // binom.test(65, 100, 0.5)$p.value
		{250, 200, 0.020791800247607684},    // binom.test(250, 450, 0.5)$p.value
		{1, 20, 2.0980834960937486e-05},     // binom.test(1, 21, 0.5)$p.value
		{2400, 2600, 0.0048836497375175005}, // binom.test(2400, 5000, 0.5)$p.value
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("b%d_c%d", tt.b, tt.c), func(t *testing.T) {
			if got := McNemarExact(tt.b, tt.c); !closeRel(got, tt.want, 1e-9) {
				t.Errorf("McNemarExact(%d, %d) = %.17g, want %.17g", tt.b, tt.c, got, tt.want)
			}
		})
	}
	if got := McNemarExact(-1, 3); !math.IsNaN(got) {
		t.Errorf("McNemarExact(-1, 3) = %v, want NaN", got)
	}
}

// TestPassAtKAgainstR checks PassAtK against the defining formula evaluated
// by R 4.2 with binomial coefficients,
//
//	sprintf("%.17g", 1 - choose(n - c, k) / choose(n, k))
//
// where R's choose(m, k) is 0 for m < k.
func TestPassAtKAgainstR(t *testing.T) {
	tests := []struct {
		n, c, k int
		want    float64
	}{
		{1, 0, 1, 0},                        // 1 - choose(1 - 0, 1) / choose(1, 1)      (0 of n, n = 1)
		{1, 1, 1, 1},                        // 1 - choose(1 - 1, 1) / choose(1, 1)      (n of n, n = 1)
		{10, 0, 1, 0},                       // 1 - choose(10 - 0, 1) / choose(10, 1)
		{10, 3, 1, 0.30000000000000004},     // 1 - choose(10 - 3, 1) / choose(10, 1)
		{10, 3, 2, 0.53333333333333333},     // 1 - choose(10 - 3, 2) / choose(10, 2)
		{10, 3, 5, 0.91666666666666663},     // 1 - choose(10 - 3, 5) / choose(10, 5)
		{10, 3, 7, 0.9916666666666667},      // 1 - choose(10 - 3, 7) / choose(10, 7)
		{10, 3, 8, 1},                       // 1 - choose(10 - 3, 8) / choose(10, 8)     (n − c < k)
		{10, 10, 10, 1},                     // 1 - choose(10 - 10, 10) / choose(10, 10)  (n of n)
		{5, 1, 5, 1},                        // 1 - choose(5 - 1, 5) / choose(5, 5)
		{20, 1, 10, 0.5},                    // 1 - choose(20 - 1, 10) / choose(20, 10)
		{100, 7, 10, 0.53325958568278553},   // 1 - choose(100 - 7, 10) / choose(100, 10)
		{200, 13, 50, 0.97927792295573923},  // 1 - choose(200 - 13, 50) / choose(200, 50)
		{1000, 3, 100, 0.27124338767625356}, // 1 - choose(1000 - 3, 100) / choose(1000, 100)
		{50, 25, 1, 0.5},                    // 1 - choose(50 - 25, 1) / choose(50, 1)
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n%d_c%d_k%d", tt.n, tt.c, tt.k), func(t *testing.T) {
			if got := PassAtK(tt.n, tt.c, tt.k); !closeRel(got, tt.want, 1e-12) {
				t.Errorf("PassAtK(%d, %d, %d) = %.17g, want %.17g", tt.n, tt.c, tt.k, got, tt.want)
			}
		})
	}
	for _, bad := range [][3]int{{0, 0, 1}, {5, 1, 0}, {5, 1, 6}, {5, 6, 1}, {5, -1, 1}} {
		if got := PassAtK(bad[0], bad[1], bad[2]); !math.IsNaN(got) {
			t.Errorf("PassAtK(%d, %d, %d) = %v, want NaN", bad[0], bad[1], bad[2], got)
		}
	}
}
