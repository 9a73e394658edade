package metrics

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"
)

// binomRelErr is the relative tolerance R's binom.test uses when it decides
// which outcomes are "no more likely than the observed" one, so that outcomes
// whose probabilities differ only by rounding count as equally likely.
const binomRelErr = 1 + 1e-7

// BinomTest is the two-sided exact binomial test of k successes in n trials
// against success probability p, with R's definition (binom.test): the
// p-value, in [0, 1], is the total probability of every outcome no more likely
// than k, where "no more likely" allows a relative tolerance of 1e-7. It
// returns NaN when n < 0, k is outside [0, n] or p is outside [0, 1]; n = 0
// gives 1.
func BinomTest(k, n int, p float64) float64 {
	if n < 0 || k < 0 || k > n || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	if n == 0 {
		return 1
	}
	d := binomPMF(k, n, p)
	m := float64(n) * p
	switch {
	case float64(k) == m:
		return 1
	case float64(k) < m:
		// Count the outcomes in the upper tail, ceil(m)..n, that are no more
		// likely than k. The probabilities fall from ceil(m) to n (the mode
		// is at most ceil(m)), so they form a suffix of that range.
		lo := int(math.Ceil(m))
		i := lo + sort.Search(n-lo+1, func(j int) bool { return binomPMF(lo+j, n, p) <= d*binomRelErr })
		y := n - i + 1
		return min(1, binomCDF(k, n, p)+binomSurvival(n-y, n, p))
	default:
		// Count the outcomes in the lower tail, 0..floor(m), that are no
		// more likely than k; they form a prefix of that range.
		hi := int(math.Floor(m))
		y := sort.Search(hi+1, func(j int) bool { return binomPMF(j, n, p) > d*binomRelErr })
		return min(1, binomCDF(y-1, n, p)+binomSurvival(k-1, n, p))
	}
}

// McNemarExact is McNemar's exact test on the discordant pairs of a paired
// comparison: b pairs changed one way and c the other. Under the null
// hypothesis each discordant pair is equally likely to go either way, so the
// p-value, in [0, 1], is the two-sided exact binomial test of b out of b+c at
// p = 0.5. No discordant pairs (b+c == 0) gives 1; negative counts give NaN.
func McNemarExact(b, c int) float64 {
	if b < 0 || c < 0 {
		return math.NaN()
	}
	return BinomTest(b, b+c, 0.5)
}

// PassAtK is the unbiased estimator of pass@k of Chen et al. (2021),
// "Evaluating Large Language Models Trained on Code": the probability, in
// [0, 1], that at least one of k samples drawn without replacement from n
// samples, c of them correct, is correct, 1 − C(n−c, k)/C(n, k). It is
// computed as 1 − Π_{i=n−c+1}^{n} (1 − k/i), which stays accurate where the
// binomial coefficients overflow. When n−c < k every draw of k holds a
// correct sample and the value is 1. It returns NaN unless 1 ≤ k ≤ n and
// 0 ≤ c ≤ n.
func PassAtK(n, c, k int) float64 {
	if k < 1 || k > n || c < 0 || c > n {
		return math.NaN()
	}
	if n-c < k {
		return 1
	}
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod
}

// binomPMF is P(X = k) for X ~ Binomial(n, p).
func binomPMF(k, n int, p float64) float64 {
	if k < 0 || k > n {
		return 0
	}
	switch p {
	case 0:
		return b2f(k == 0)
	case 1:
		return b2f(k == n)
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return math.Exp(a - b - c + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

// binomCDF is P(X ≤ k) for X ~ Binomial(n, p).
func binomCDF(k, n int, p float64) float64 {
	switch {
	case k < 0:
		return 0
	case k >= n:
		return 1
	case p == 0:
		return 1
	case p == 1:
		return 0
	}
	return mathext.RegIncBeta(float64(n-k), float64(k+1), 1-p)
}

// binomSurvival is P(X > k) for X ~ Binomial(n, p), computed directly rather
// than as 1 − CDF so that small tails keep their precision.
func binomSurvival(k, n int, p float64) float64 {
	switch {
	case k < 0:
		return 1
	case k >= n:
		return 0
	case p == 0:
		return 0
	case p == 1:
		return 1
	}
	return mathext.RegIncBeta(float64(k+1), float64(n-k), p)
}
