package metrics

import (
	"encoding/json"
	"math"
	"testing"
)

// TestWilsonAgainstR checks Wilson against R's score interval without
// continuity correction. The reference values were computed with R 4.2 by
//
//	prop.test(k, n, conf.level = level, correct = FALSE)$conf.int
//
// printed with sprintf("%.15f").
func TestWilsonAgainstR(t *testing.T) {
	tests := []struct {
		k, n      int
		level     float64
		low, high float64
	}{
		{0, 10, 0.95, 0.000000000000000, 0.277532799862889},
		{10, 10, 0.95, 0.722467200137111, 1.000000000000000},
		{7, 10, 0.95, 0.396778147461145, 0.892208732593699},
		{1, 1, 0.95, 0.206549314377238, 1.000000000000000},
		{45, 50, 0.95, 0.786397685625204, 0.956524235068110},
		{912, 1000, 0.95, 0.892827748950223, 0.928019002057679},
		{3, 400, 0.99, 0.001896542128419, 0.029175303172203},
		{250, 500, 0.90, 0.463319062751063, 0.536680937248938},
		{1, 3, 0.80, 0.105775636121723, 0.678817352169652},
	}
	for _, tt := range tests {
		low, high := Wilson(tt.k, tt.n, tt.level)
		if math.Abs(low-tt.low) > 1e-12 || math.Abs(high-tt.high) > 1e-12 {
			t.Errorf("Wilson(%d, %d, %g) = [%.15f, %.15f], want [%.15f, %.15f]", tt.k, tt.n, tt.level, low, high, tt.low, tt.high)
		}
	}
}

func TestWilsonUndefined(t *testing.T) {
	tests := []struct {
		name  string
		k, n  int
		level float64
	}{
		{"no trials", 0, 0, 0.95},
		{"k above n", 5, 4, 0.95},
		{"negative k", -1, 4, 0.95},
		{"level 1", 1, 4, 1},
		{"level 0", 1, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			low, high := Wilson(tt.k, tt.n, tt.level)
			if !math.IsNaN(low) || !math.IsNaN(high) {
				t.Errorf("got [%g, %g], want NaN bounds", low, high)
			}
		})
	}
}

func TestProportionJSONRoundTrip(t *testing.T) {
	for _, p := range []Proportion{NewProportion(7, 10, 0.95), NewProportion(0, 0, 0.95)} {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var got Proportion
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != p.String() || got.K != p.K || got.N != p.N {
			t.Errorf("round trip of %s via %s gave %s", p, b, got)
		}
	}
	b, _ := json.Marshal(NewProportion(0, 0, 0.95))
	if want := `{"k":0,"n":0,"rate":null,"ci_low":null,"ci_high":null,"level":0.95}`; string(b) != want {
		t.Errorf("empty proportion encodes as %s, want %s", b, want)
	}
}
