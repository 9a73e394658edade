package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/evalgate/evalgate/records"
)

func TestCompareByGroup(t *testing.T) {
	g := func(v string) map[string]string { return map[string]string{"region": v} }
	base := []records.Result{
		res("a", "", true, g("eu")), res("b", "", true, g("eu")), res("c", "", false, g("eu")), res("d", "", false, g("us")),
		res("e", "", false, g("us")), res("f", "", true, g("")), res("g", "", false, g("us")),
	}
	cand := []records.Result{
		res("a", "", true, g("eu")), res("b", "", false, g("eu")), res("c", "", true, g("eu")), res("d", "", true, g("us")),
		res("e", "", false, g("us")), res("f", "", true, nil), res("g", "", true, g("us")),
	}
	opts := testOpts
	opts.Resamples, opts.Seed = 1000, 11
	reg := CompareByGroup(cand, base, []string{"region"}, opts)
	want := PairCounts{BothRight: 2, RightToWrong: 1, WrongToRight: 3, BothWrong: 1}
	if reg.Counts != want || reg.Discordant != 4 || reg.Pairs != 7 {
		t.Errorf("counts %+v discordant %d pairs %d, want %+v, 4, 7", reg.Counts, reg.Discordant, reg.Pairs, want)
	}
	// binom.test(1, 4, 0.5)$p.value = 0.62500000000000011 in R 4.2.
	if math.Abs(reg.McNemarP-0.625) > 1e-12 {
		t.Errorf("McNemar p = %v, want 0.625", reg.McNemarP)
	}
	if math.Abs(reg.Delta-2.0/7) > 1e-12 || !(reg.DeltaLow <= reg.Delta && reg.Delta <= reg.DeltaHigh) {
		t.Errorf("delta %v in [%v, %v], want 2/7 inside its interval", reg.Delta, reg.DeltaLow, reg.DeltaHigh)
	}
	if reg.Seed != 11 || reg.Resamples != 1000 || reg.Level != 0.95 {
		t.Errorf("bootstrap recorded as seed %d, %d resamples, level %v", reg.Seed, reg.Resamples, reg.Level)
	}
	var values []string
	for _, gd := range reg.ByGroup {
		values = append(values, gd.Value)
	}
	// f's group comes from the baseline, whose value is empty: (missing).
	if !slices.Equal(values, []string{"(missing)", "eu", "us"}) {
		t.Fatalf("groups %v, want [(missing) eu us]", values)
	}
	us := reg.ByGroup[2]
	if us.Counts != (PairCounts{WrongToRight: 2, BothWrong: 1}) || math.Abs(us.Delta.Value-2.0/3) > 1e-12 || us.McNemarP != 0.5 {
		// binom.test(0, 2, 0.5)$p.value = 0.5
		t.Errorf("us: %+v, want 2 wrong→right, 1 both wrong, delta 2/3, p 0.5", us)
	}
	if !reg.ByGroup[0].Small || reg.ByGroup[1].Small {
		t.Errorf("small flags %v %v, want (missing) small and eu not", reg.ByGroup[0].Small, reg.ByGroup[1].Small)
	}
	b, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	var back Regression
	if err := json.Unmarshal(b, &back); err != nil || back.DeltaLow != reg.DeltaLow || back.Counts != reg.Counts || len(back.ByGroup) != 3 {
		t.Errorf("round trip: %v, %+v", err, back)
	}
}

func TestCompareEdges(t *testing.T) {
	tests := []struct {
		name      string
		cand      []records.Result
		base      []records.Result
		pairs     int
		undefined bool
		low, high float64
	}{
		{"no pairs", []records.Result{res("a", "", true, nil)}, []records.Result{res("b", "", true, nil)}, 0, true, 0, 0},
		{"one pair (n = 1), no change", []records.Result{res("a", "", true, nil)}, []records.Result{res("a", "", true, nil)}, 1, false, 0, 0},
		{"one pair, right to wrong", []records.Result{res("a", "", false, nil)}, []records.Result{res("a", "", true, nil)}, 1, false, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := Compare(tt.cand, tt.base, testOpts)
			if reg.Pairs != tt.pairs {
				t.Errorf("pairs %d, want %d", reg.Pairs, tt.pairs)
			}
			if tt.undefined != math.IsNaN(reg.DeltaLow) || (!tt.undefined && (reg.DeltaLow != tt.low || reg.DeltaHigh != tt.high)) {
				t.Errorf("interval [%v, %v], want [%v, %v] (undefined %v)", reg.DeltaLow, reg.DeltaHigh, tt.low, tt.high, tt.undefined)
			}
			b, err := json.Marshal(reg)
			if err != nil {
				t.Fatal(err)
			}
			var back Regression
			if err := json.Unmarshal(b, &back); err != nil || math.IsNaN(back.DeltaLow) != math.IsNaN(reg.DeltaLow) {
				t.Errorf("round trip of %s: %v", b, err)
			}
		})
	}
}

// TestPairedDeltaMatchesPairBootstrap checks the four-category multinomial
// bootstrap against the textbook paired bootstrap that resamples pairs,
// written independently here, and against the normal approximation
// delta ± 1.96·sqrt((b + c)/n − delta²)/sqrt(n).
func TestPairedDeltaMatchesPairBootstrap(t *testing.T) {
	const R = 4000
	c := PairCounts{BothRight: 700, RightToWrong: 60, WrongToRight: 40, BothWrong: 200}
	got := PairedDelta(c, 0.95, R, 5)

	type pair struct{ base, cand bool }
	var pairs []pair
	for range c.BothRight {
		pairs = append(pairs, pair{true, true})
	}
	for range c.RightToWrong {
		pairs = append(pairs, pair{true, false})
	}
	for range c.WrongToRight {
		pairs = append(pairs, pair{false, true})
	}
	for range c.BothWrong {
		pairs = append(pairs, pair{false, false})
	}
	rng := rand.New(rand.NewPCG(42, 42))
	deltas := make([]float64, R)
	for r := range deltas {
		d := 0
		for range pairs {
			p := pairs[rng.IntN(len(pairs))]
			d += int(b2f(p.cand)) - int(b2f(p.base))
		}
		deltas[r] = float64(d) / float64(len(pairs))
	}
	slices.Sort(deltas)
	low, high := quantile7(deltas, 0.025), quantile7(deltas, 0.975)
	if math.Abs(got.Value+0.02) > 1e-12 || math.Abs(got.Low-low) > 0.003 || math.Abs(got.High-high) > 0.003 {
		t.Errorf("multinomial %+v, pair bootstrap [%v, %v]", got, low, high)
	}
	se := math.Sqrt((0.1 - 0.02*0.02) / 1000)
	if math.Abs(got.Low-(-0.02-1.96*se)) > 0.003 || math.Abs(got.High-(-0.02+1.96*se)) > 0.003 {
		t.Errorf("multinomial %+v, normal approximation ±%v", got, 1.96*se)
	}
	if again := PairedDelta(c, 0.95, R, 5); again != got {
		t.Errorf("same seed gave %+v then %+v", got, again)
	}
}
