package metrics

import (
	"fmt"
	"math"
	"testing"
)

// The R references below are sums over the binomial outcomes written with
// R's own binom.test and pbinom, independent of this package:
//
//	pw <- function(n, d, delta, alpha) {
//	  q <- (d - delta) / (2 * d); tot <- 0
//	  for (m in 1:n) { pm <- dbinom(m, n, d)
//	    b <- 0:m; p <- sapply(b, function(x) binom.test(x, m, 0.5)$p.value)
//	    tot <- tot + pm * sum(dbinom(b, m, q)[p < alpha]) }
//	  tot }
func TestMcNemarPowerR(t *testing.T) {
	cases := []struct {
		name  string
		d     PairedDesign
		alpha float64
		want  float64
	}{
		{"n200 d0.1 drop3", PairedDesign{200, 0.1, -0.03}, 0.05, 0.19982823416565046},  // pw(200, 0.1, -0.03, 0.05)
		{"n300 d0.2 identical", PairedDesign{300, 0.2, 0}, 0.05, 0.037448221552852011}, // pw(300, 0.2, 0, 0.05)
		{"n150 d0.3 gain10", PairedDesign{150, 0.3, 0.1}, 0.01, 0.32168387335400089},   // pw(150, 0.3, 0.1, 0.01)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := McNemarPower(c.d, c.alpha); math.Abs(got-c.want) > 1e-9 {
				t.Errorf("McNemarPower(%+v, %g) = %.15g, want %.15g (R)", c.d, c.alpha, got, c.want)
			}
		})
	}
}

// TestProportionBlockRateR checks the accuracy-floor rules against R:
//
//	pbinom(ceiling(0.9*200)-1, 200, 0.93)                    # accuracy >= 0.9
//	k <- 0:200; n <- 200; z <- qnorm(0.975); ph <- k/n
//	lo <- (ph + z^2/(2*n) - z*sqrt(ph*(1-ph)/n + z^2/(4*n^2)))/(1+z^2/n)
//	sum(dbinom(k, n, 0.93)[lo < 0.9])                        # accuracy.ci_low >= 0.9
func TestProportionBlockRateR(t *testing.T) {
	cases := []struct {
		name string
		b    Bound
		want float64
	}{
		{"value", BoundValue, 0.041832616649252766},
		{"ci_low", BoundLow, 0.74915985052673062},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ProportionBlockRate(200, 0.93, c.b, AtLeast(0.9), 0.95); math.Abs(got-c.want) > 1e-9 {
				t.Errorf("got %.15g, want %.15g (R)", got, c.want)
			}
		})
	}
}

func TestPowerBadDesign(t *testing.T) {
	for _, d := range []PairedDesign{{0, 0.1, 0}, {100, 0, 0}, {100, 1.5, 0}, {100, 0.05, -0.1}} {
		if d.Check() == nil || !math.IsNaN(McNemarPower(d, 0.05)) || !math.IsNaN(DeltaBlockRate(d, BoundLow, AtLeast(-0.02), 0.95)) {
			t.Errorf("design %+v accepted", d)
		}
	}
	if !math.IsNaN(ProportionBlockRate(0, 0.5, BoundValue, AtLeast(0.5), 0.95)) {
		t.Error("ProportionBlockRate accepted n = 0")
	}
}

func TestSmallestN(t *testing.T) {
	for _, want := range []int{1, 2, 3, 17, 1000, 65537} {
		if got, ok := SmallestN(func(n int) bool { return n >= want }, 1, 1<<20); !ok || got != want {
			t.Errorf("SmallestN(n >= %d) = %d, %v", want, got, ok)
		}
	}
	if _, ok := SmallestN(func(n int) bool { return false }, 1, 1000); ok {
		t.Error("SmallestN found an n where none exists")
	}
	if got, ok := SmallestN(func(n int) bool { return true }, 30, 1000); !ok || got != 30 {
		t.Errorf("SmallestN from 30 = %d, %v, want 30", got, ok)
	}
}

// TestPlannerAgreesWithSimulation is the agreement table of BENCHMARKS.md
// ("Statistical power"): each planner figure against a seeded simulation
// through the code the gate runs (McNemarExact on multinomial pair counts;
// PairedDelta's bootstrap with 1,000 resamples), within 2 points. Monte
// Carlo standard errors are at most 0.011 (McNemar, 2,000 simulations) and
// 0.016 (interval rules, 1,000 simulations).
func TestPlannerAgreesWithSimulation(t *testing.T) {
	type row struct {
		n       int
		d, drop float64
	}
	rows := []row{
		{1000, 0.10, 0.03}, {1000, 0.20, 0.03}, {5000, 0.10, 0.03}, {5000, 0.20, 0.03},
		{1000, 0.05, 0}, {1000, 0.10, 0}, {1000, 0.20, 0}, {5000, 0.05, 0}, {5000, 0.10, 0}, {5000, 0.20, 0},
	}
	const tol = 0.02
	t.Log("| n | d | true change | McNemar p < 0.05: planner (simulated) | ci_high < 0 | ci_low >= -0.02 blocks |")
	for i, r := range rows {
		t.Run(fmt.Sprintf("n%d_d%.2f_drop%.2f", r.n, r.d, r.drop), func(t *testing.T) {
			b, c := (r.d+r.drop)/2, (r.d-r.drop)/2
			design := PairedDesign{N: r.n, Discordance: r.d, Delta: -r.drop}
			counts, _ := pairedSim(2000, r.n, b, c, 0, uint64(100+i))
			rejected := 0
			for _, pc := range counts {
				if McNemarExact(pc.RightToWrong, pc.WrongToRight) < 0.05 {
					rejected++
				}
			}
			_, est := pairedSim(1000, r.n, b, c, 1000, uint64(200+i))
			sig, blk := 0, 0
			for _, e := range est {
				if e.High < 0 {
					sig++
				}
				if e.Low < -0.02 {
					blk++
				}
			}
			simM, simS, simB := float64(rejected)/2000, float64(sig)/1000, float64(blk)/1000
			planM := McNemarPower(design, 0.05)
			planS := DeltaBlockRate(design, BoundHigh, AtLeast(0), 0.95)
			planB := DeltaBlockRate(design, BoundLow, AtLeast(-0.02), 0.95)
			t.Logf("| %d | %.2f | %.2f drop | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) |", r.n, r.d, r.drop, planM, simM, planS, simS, planB, simB)
			for _, f := range []struct {
				what      string
				plan, sim float64
			}{{"McNemar", planM, simM}, {"ci_high < 0", planS, simS}, {"ci_low >= -0.02 blocks", planB, simB}} {
				if math.Abs(f.plan-f.sim) > tol {
					t.Errorf("%s: planner %.4f, simulation %.4f", f.what, f.plan, f.sim)
				}
			}
		})
	}
}

// TestFairnessBlockRateExactRange checks the simulation against an exact
// figure for the gap's point value: with k groups of n results, all of true
// accuracy p, the rule gap <= w/n + ε blocks unless every group's count lies
// within w of the smallest, and
//
//	P(range ≤ w) = Σ_j (F(j+w) − F(j−1))^k − (F(j+w) − F(j))^k
//
// with F the Binomial(n, p) CDF. In SciPy, for k=4, n=100, p=0.8, w=10:
//
//	F = lambda x: binom.cdf(x, 100, 0.8)
//	1 - sum((F(j+10)-F(j-1))**4 - (F(j+10)-F(j))**4 for j in range(101))
func TestFairnessBlockRateExactRange(t *testing.T) {
	cases := []struct {
		k, n int
		p    float64
		w    int
	}{{4, 100, 0.8, 10}, {3, 150, 0.8, 15}, {6, 60, 0.9, 6}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%d_p%g", c.k, c.n, c.p), func(t *testing.T) {
			pass := 0.0
			for j := 0; j <= c.n; j++ {
				hi := binomCDF(j+c.w, c.n, c.p)
				pass += math.Pow(hi-binomCDF(j-1, c.n, c.p), float64(c.k)) - math.Pow(hi-binomCDF(j, c.n, c.p), float64(c.k))
			}
			want := 1 - pass
			threshold := (float64(c.w) + 0.5) / float64(c.n)
			opts := FairnessOptions{Options: Options{Level: 0.95, MinGroupSize: 1, Resamples: 100, Seed: 1}}
			got, se, err := FairnessBlockRate([]string{"g"}, []FairnessDesign{OneGroupBehind(c.k, c.n, c.p, 0)}, opts, 2000, 7, func(fc []FairnessColumn) bool {
				return !(fc[0].Disparities[0].Gap.Value <= threshold)
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("gap <= %.3f blocks a fair model %.4f of the time (±%.4f), exact %.4f", threshold, got, se, want)
			if math.Abs(got-want) > 4*se+0.005 {
				t.Errorf("simulated %.4f, exact %.4f (standard error %.4f)", got, want, se)
			}
		})
	}
}

func TestFairnessBlockRateDesign(t *testing.T) {
	opts := FairnessOptions{Options: Options{Level: 0.95, MinGroupSize: 1, Resamples: 100}}
	never := func([]FairnessColumn) bool { return false }
	for _, d := range []FairnessDesign{OneGroupBehind(1, 100, 0.8, 0), OneGroupBehind(3, 0, 0.8, 0), OneGroupBehind(3, 100, 0.1, 0.2), {Sizes: []int{5, 5}, Rates: []float64{0.5}}} {
		if _, _, err := FairnessBlockRate([]string{"g"}, []FairnessDesign{d}, opts, 10, 1, never); err == nil {
			t.Errorf("design %+v accepted", d)
		}
	}
	// A gap of 0.5 between groups of 200 is always seen; no gap never
	// exceeds a threshold of 1.
	always, _, _ := FairnessBlockRate([]string{"g"}, []FairnessDesign{OneGroupBehind(2, 200, 0.9, 0.5)}, opts, 50, 1, func(fc []FairnessColumn) bool { return fc[0].Disparities[0].Gap.Low > 0.2 })
	none, _, _ := FairnessBlockRate([]string{"g"}, []FairnessDesign{OneGroupBehind(4, 50, 0.8, 0)}, opts, 50, 1, func(fc []FairnessColumn) bool { return fc[0].Disparities[0].Gap.High > 1 })
	if _, _, err := FairnessBlockRate([]string{"a", "b"}, []FairnessDesign{OneGroupBehind(2, 50, 0.8, 0)}, opts, 10, 1, never); err == nil {
		t.Error("two columns with one design accepted")
	}
	if always != 1 || none != 0 {
		t.Errorf("got block rates %g and %g, want 1 and 0", always, none)
	}
}

// TestFairnessBlockRateColumns checks the simulation of several columns
// at once: a rule on the worst column's gap blocks unless every column
// passes, 1 − Π(1 − P_c) for independent columns, each P_c the exact
// range probability of TestFairnessBlockRateExactRange.
func TestFairnessBlockRateColumns(t *testing.T) {
	exact := func(k, n int, p float64, w int) float64 {
		pass := 0.0
		for j := 0; j <= n; j++ {
			hi := binomCDF(j+w, n, p)
			pass += math.Pow(hi-binomCDF(j-1, n, p), float64(k)) - math.Pow(hi-binomCDF(j, n, p), float64(k))
		}
		return 1 - pass
	}
	const threshold = 0.105 // 10.5 results in 100, 21 in 200
	want := 1 - (1-exact(4, 100, 0.8, 10))*(1-exact(2, 200, 0.8, 21))
	opts := FairnessOptions{Options: Options{Level: 0.95, MinGroupSize: 1, Resamples: 100, Seed: 1}}
	got, se, err := FairnessBlockRate([]string{"a", "b"}, []FairnessDesign{OneGroupBehind(4, 100, 0.8, 0), OneGroupBehind(2, 200, 0.8, 0)}, opts, 2000, 3, func(fcs []FairnessColumn) bool {
		for _, fc := range fcs {
			if !(fc.Disparities[0].Gap.Value <= threshold) {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("worst of two columns blocks %.4f (±%.4f), exact %.4f", got, se, want)
	if math.Abs(got-want) > 4*se+0.005 {
		t.Errorf("simulated %.4f, exact %.4f (standard error %.4f)", got, want, se)
	}
}
