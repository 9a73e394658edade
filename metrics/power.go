package metrics

// Power and sample size for the gate rules: how often a rule blocks a
// model whose true figures are known, at a given number of items. The
// regression and accuracy figures are computed (exactly where the rule is
// an exact test, by a normal approximation where it reads a bootstrap
// interval); the fairness figures are simulated through
// FairnessFromCounts itself, so that they are what the gate would do.

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Bound says which number of an estimate a gate rule reads: the value
// itself (regression.accuracy.delta), its interval's lower end (….ci_low)
// or its upper end (….ci_high).
type Bound int

// The numbers a rule can read.
const (
	BoundValue Bound = iota
	BoundLow
	BoundHigh
)

// Passing is a rule's passing range, [Min, Max]; −Inf and +Inf stand for
// a missing bound. A value outside blocks.
type Passing struct {
	Min, Max float64
}

// AtLeast is the range [min, +Inf).
func AtLeast(min float64) Passing { return Passing{Min: min, Max: math.Inf(1)} }

// PairedDesign is a paired comparison whose truth is known: N paired
// items, of which a share Discordance in (0, 1] are answered correctly by
// exactly one of the two models, and a true accuracy change Delta
// (candidate − baseline, so a 2-point drop is −0.02) with |Delta| ≤
// Discordance. Right→wrong pairs then have probability (Discordance −
// Delta)/2 and wrong→right pairs (Discordance + Delta)/2.
type PairedDesign struct {
	N           int
	Discordance float64
	Delta       float64
}

// ErrDesign is wrapped by every error about an impossible design.
var ErrDesign = errors.New("impossible design")

// Check reports an impossible design.
func (d PairedDesign) Check() error {
	switch {
	case d.N < 1:
		return fmt.Errorf("%w: %d paired items, want at least 1", ErrDesign, d.N)
	case !(d.Discordance > 0 && d.Discordance <= 1):
		return fmt.Errorf("%w: discordance %g, want a share in (0, 1]", ErrDesign, d.Discordance)
	case !(math.Abs(d.Delta) <= d.Discordance):
		return fmt.Errorf("%w: a true delta of %g needs at least %g of items discordant, not %g", ErrDesign, d.Delta, math.Abs(d.Delta), d.Discordance)
	}
	return nil
}

// McNemarPower is the probability, in [0, 1], that McNemar's exact test
// (McNemarExact, as the report computes regression.mcnemar_p) gives a
// p-value below alpha under design d; NaN for an impossible design. It is
// exact: the number of discordant pairs m is Binomial(N, Discordance), the
// right→wrong count among them Binomial(m, (Discordance − Delta) /
// (2·Discordance)), and for each m the test rejects when the smaller of
// the two counts is at most a critical value found with McNemarExact
// itself. Outcomes of m beyond 12 standard deviations of its mean
// (probability below 1e-30) are left out.
func McNemarPower(d PairedDesign, alpha float64) float64 {
	if d.Check() != nil || !(alpha > 0 && alpha <= 1) {
		return math.NaN()
	}
	q := (d.Discordance - d.Delta) / (2 * d.Discordance)
	lo, hi := binomRange(d.N, d.Discordance)
	power := 0.0
	for m := lo; m <= hi; m++ {
		pm := binomPMF(m, d.N, d.Discordance)
		if pm == 0 {
			continue
		}
		k := mcnemarCritical(m, alpha)
		if k < 0 {
			continue
		}
		// Reject when b ≤ k or b ≥ m − k (the two regions are disjoint, as
		// k < m/2).
		power += pm * (binomCDF(k, m, q) + binomSurvival(m-k-1, m, q))
	}
	return min(1, power)
}

// mcnemarCritical is the largest k ≤ m/2 with McNemarExact(k, m−k) <
// alpha, or −1 when there is none. The p-value grows with k up to m/2.
func mcnemarCritical(m int, alpha float64) int {
	lo, hi := -1, m/2 // McNemarExact(lo) < alpha (or lo = −1); hi unknown
	if McNemarExact(hi, m-hi) < alpha {
		return hi
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if McNemarExact(mid, m-mid) < alpha {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// binomRange is the range of Binomial(n, p) outcomes within 12 standard
// deviations of the mean, clipped to [0, n].
func binomRange(n int, p float64) (lo, hi int) {
	mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	return max(0, int(math.Floor(mean-12*sd-1))), min(n, int(math.Ceil(mean+12*sd+1)))
}

// DeltaBlockRate is the probability, in [0, 1], that a rule on the paired
// accuracy delta (regression.accuracy.delta, or its .ci_low or .ci_high
// at level) falls outside limits under design d: how often the rule
// blocks. It is the normal approximation of PairedDelta's percentile
// bootstrap: the delta δ̂ is normal with mean Delta and standard deviation
// σ = sqrt((Discordance − Delta²)/N), and the interval is δ̂ ± z·σ with z
// the (1+level)/2 normal quantile. BENCHMARKS.md compares it with
// simulations through PairedDelta (within 2 points). NaN for an
// impossible design or level.
func DeltaBlockRate(d PairedDesign, b Bound, limits Passing, level float64) float64 {
	if d.Check() != nil || !(level > 0 && level < 1) {
		return math.NaN()
	}
	sigma := math.Sqrt((d.Discordance - d.Delta*d.Delta) / float64(d.N))
	shift := 0.0
	switch b {
	case BoundLow:
		shift = -distuv.UnitNormal.Quantile((1+level)/2) * sigma
	case BoundHigh:
		shift = distuv.UnitNormal.Quantile((1+level)/2) * sigma
	}
	// The rule reads T = δ̂ + shift ~ Normal(Delta + shift, σ).
	t := distuv.Normal{Mu: d.Delta + shift, Sigma: sigma}
	return min(1, t.CDF(limits.Min)+t.Survival(limits.Max))
}

// ProportionBlockRate is the probability, in [0, 1], that a rule on a
// proportion (accuracy, or its Wilson interval's .ci_low or .ci_high at
// level, as NewProportion computes it) falls outside limits when the
// proportion counts n trials whose true rate is p. It is exact: a sum
// over the binomial number of successes (outcomes beyond 12 standard
// deviations of the mean left out). NaN when n < 1 or p or level is out
// of range.
func ProportionBlockRate(n int, p float64, b Bound, limits Passing, level float64) float64 {
	if n < 1 || !(p >= 0 && p <= 1) || !(level > 0 && level < 1) {
		return math.NaN()
	}
	lo, hi := binomRange(n, p)
	blocked := 0.0
	for k := lo; k <= hi; k++ {
		v := float64(k) / float64(n)
		if b != BoundValue {
			l, h := Wilson(k, n, level)
			if v = l; b == BoundHigh {
				v = h
			}
		}
		if v < limits.Min || v > limits.Max {
			blocked += binomPMF(k, n, p)
		}
	}
	return min(1, blocked)
}

// SmallestN is the smallest n in [minN, maxN] for which ok(n) holds,
// found by doubling from minN and then bisection, so it assumes ok is
// false below some n and true from there on; false when none is found. For an exact
// test the chance of blocking is not monotone in n (it saw-tooths with
// the lattice of k/n), so the n found is where the trend crosses the
// target, and a neighbour can fall a little short of it: print the
// figure at the n found.
func SmallestN(ok func(n int) bool, minN, maxN int) (int, bool) {
	minN = max(1, minN)
	if maxN < minN {
		return 0, false
	}
	lo, hi := minN-1, minN // ok(lo) is false, or lo is below minN
	for !ok(hi) {
		if hi >= maxN {
			return 0, false
		}
		lo, hi = hi, min(2*hi, maxN)
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

// FairnessDesign is a fairness analysis of one column whose truth is
// known: a group of Sizes[i] results has true rate Rates[i] (accuracy:
// the share correct). The two slices have one entry per group.
type FairnessDesign struct {
	Sizes []int
	Rates []float64
}

// OneGroupBehind is the design of k groups of size each, all with rate
// base except the last, whose rate is base − gap: the true gap (largest
// rate minus smallest) is gap, and gap 0 is a truly fair model.
func OneGroupBehind(k, size int, base, gap float64) FairnessDesign {
	d := FairnessDesign{Sizes: make([]int, k), Rates: make([]float64, k)}
	for i := range k {
		d.Sizes[i], d.Rates[i] = size, base
	}
	if k > 0 {
		d.Rates[k-1] = base - gap
	}
	return d
}

// Check reports an impossible design.
func (d FairnessDesign) Check() error {
	if len(d.Sizes) != len(d.Rates) {
		return fmt.Errorf("%w: %d group sizes but %d rates", ErrDesign, len(d.Sizes), len(d.Rates))
	}
	if len(d.Sizes) < 2 {
		return fmt.Errorf("%w: %d groups, want at least 2 to compare", ErrDesign, len(d.Sizes))
	}
	for i, n := range d.Sizes {
		if n < 1 {
			return fmt.Errorf("%w: group %d has %d results, want at least 1", ErrDesign, i+1, n)
		}
		if r := d.Rates[i]; !(r >= 0 && r <= 1) {
			return fmt.Errorf("%w: group %d has rate %g, want a share in [0, 1]", ErrDesign, i+1, r)
		}
	}
	return nil
}

// FairnessBlockRate simulates sims fairness analyses of one or more
// group columns, named columns, whose truths are designs (one each): each
// analysis draws every group's number of correct results from its
// binomial, runs each column's counts through FairnessFromCounts with opts
// (the groups named g1, g2, …), and asks blocked whether the gate blocks
// on those columns. Columns are drawn independently, as they are when
// groups are assigned independently of each other. It returns the share
// blocked, in [0, 1], and its Monte Carlo standard error. The draws are
// seeded with seed; each analysis's bootstrap with opts.Seed, as a
// report's is. It costs sims × FairnessFromCounts per column.
func FairnessBlockRate(columns []string, designs []FairnessDesign, opts FairnessOptions, sims int, seed uint64, blocked func([]FairnessColumn) bool) (rate, stderr float64, err error) {
	if len(columns) != len(designs) || len(columns) == 0 {
		return math.NaN(), math.NaN(), fmt.Errorf("%w: %d columns but %d designs", ErrDesign, len(columns), len(designs))
	}
	for i, d := range designs {
		if err := d.Check(); err != nil {
			return math.NaN(), math.NaN(), fmt.Errorf("column %s: %w", columns[i], err)
		}
	}
	if sims < 1 {
		return math.NaN(), math.NaN(), fmt.Errorf("%w: %d simulations, want at least 1", ErrDesign, sims)
	}
	src := rand.NewPCG(seed, 0xfa1e)
	groups := make([][]GroupCounts, len(designs))
	for i, d := range designs {
		groups[i] = make([]GroupCounts, len(d.Sizes))
	}
	fcs := make([]FairnessColumn, len(designs))
	hits := 0
	for range sims {
		for c, d := range designs {
			for i, n := range d.Sizes {
				k := 0
				switch p := d.Rates[i]; {
				case p >= 1:
					k = n
				case p > 0:
					k = int(distuv.Binomial{N: float64(n), P: p, Src: src}.Rand())
				}
				groups[c][i] = GroupCounts{Value: fmt.Sprintf("g%d", i+1)}
				groups[c][i].Cells[CellIndex(true, false, false)] = k
				groups[c][i].Cells[CellIndex(false, false, false)] = n - k
			}
			fcs[c] = FairnessFromCounts([]string{columns[c]}, groups[c], opts)
		}
		if blocked(fcs) {
			hits++
		}
	}
	rate = float64(hits) / float64(sims)
	return rate, math.Sqrt(rate * (1 - rate) / float64(sims)), nil
}
