package metrics

// Distribution drift between a reference and a current sample: the
// population stability index (PSI) over reference-quantile bins or
// categories, the two-sample Kolmogorov–Smirnov test for numeric features
// and the chi-square test of homogeneity for categorical ones.
//
// The KS p-value follows SciPy's scipy.stats.ks_2samp(a, b) with its
// defaults (alternative='two-sided', method='auto'): when both samples
// hold at most 10,000 values it is exact (the lattice-path counts of
// Hodges 1958, in the numerically stable form of Viehmann 2021), and
// otherwise it is the one-sample Kolmogorov distribution at
// n = round(n1·n2/(n1+n2)) (scipy.stats.kstwo.sf), computed as Simard and
// L'Ecuyer (2011) choose among the Durbin matrix, Pomeranz recursion,
// Pelz–Good series and the one-sided Smirnov sum. SciPy evaluates the
// Smirnov sum in double-double arithmetic; here it is float64 with
// logarithms. The exact p-values agree with SciPy to 1e-12 relative, the
// asymptotic ones to better than 1e-7 (typically 1e-10).

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// PSIEpsilon smooths PSI: it is added to every bin's proportion, on both
// sides, before the logarithm. An empty bin then contributes a large but
// finite term instead of an infinite one, and identical distributions
// still give exactly 0.
const PSIEpsilon = 1e-4

// PSI returns the population stability index of cur against ref, two
// histograms over the same bins:
//
//	PSI = Σ (c_i − r_i) · ln(c_i / r_i),  r_i = ref_i/Σref + ε,  c_i = cur_i/Σcur + ε
//
// with ε = PSIEpsilon. It is 0 for identical proportions and grows
// without bound as they part; by convention below 0.1 is stable, 0.1 to
// 0.2 a moderate shift and above 0.2 a significant one. It returns NaN
// when the histograms differ in length or either is empty.
func PSI(ref, cur []int64) float64 {
	if len(ref) != len(cur) {
		return math.NaN()
	}
	var nr, nc int64
	for i := range ref {
		nr += ref[i]
		nc += cur[i]
	}
	if nr == 0 || nc == 0 {
		return math.NaN()
	}
	psi := 0.0
	for i := range ref {
		r := float64(ref[i])/float64(nr) + PSIEpsilon
		c := float64(cur[i])/float64(nc) + PSIEpsilon
		psi += (c - r) * math.Log(c/r)
	}
	return psi
}

// SampleDistinctLimit is how many distinct values a Sample counts
// exactly; past it, a Sample keeps every value as a float32.
const SampleDistinctLimit = 1 << 16

// Sample holds a numeric sample for the KS test and the PSI bins in
// memory that grows with the number of distinct values, not of values:
// up to SampleDistinctLimit distinct values it keeps a count per exact
// value (lengths, integer latencies, scores on a grid all stay there);
// beyond, it keeps each value as a float32, 4 bytes per value, which is
// exact for integers up to 2^24 and otherwise rounds to about 7
// significant digits (Rounded counts such values). NaN values are
// counted apart and left out. The zero value is not usable; call
// NewSample. A Sample is not safe for concurrent use.
type Sample struct {
	counts  map[float64]int64 // while distinct values ≤ SampleDistinctLimit
	values  []float32         // afterwards
	hint    int64
	n, nan  int64
	rounded int64
	sum     float64
	sorted  bool
	keys    []float64 // sorted keys of counts, once sorted
	cnts    []int64   // their counts
}

// NewSample returns an empty sample. hint is the number of values
// expected (for example the file's row count); it sizes the float32
// store once, so that it is never copied as it grows. 0 means unknown.
func NewSample(hint int64) *Sample {
	return &Sample{counts: map[float64]int64{}, hint: hint}
}

// SampleOf returns a sample holding vs, for tests and small inputs.
func SampleOf(vs ...float64) *Sample {
	s := NewSample(int64(len(vs)))
	for _, v := range vs {
		s.Add(v)
	}
	return s
}

// Add adds v to the sample; NaN is counted by NaNs and otherwise ignored.
func (s *Sample) Add(v float64) {
	if math.IsNaN(v) {
		s.nan++
		return
	}
	s.n++
	s.sum += v
	s.sorted = false
	if s.counts != nil {
		s.counts[v]++
		if len(s.counts) > SampleDistinctLimit {
			s.spill()
		}
		return
	}
	s.push(v, 1)
}

// push appends c copies of v as float32.
func (s *Sample) push(v float64, c int64) {
	f := float32(v)
	if float64(f) != v {
		s.rounded += c
	}
	for range c {
		s.values = append(s.values, f)
	}
}

// spill moves the counted values into the float32 store.
func (s *Sample) spill() {
	s.values = make([]float32, 0, max(s.hint, s.n+s.n/4))
	for v, c := range s.counts {
		s.push(v, c)
	}
	s.counts, s.keys, s.cnts = nil, nil, nil
}

// N returns the number of values in the sample, NaN left out.
func (s *Sample) N() int64 { return s.n }

// NaNs returns the number of NaN values Add was given.
func (s *Sample) NaNs() int64 { return s.nan }

// Rounded returns the number of values stored rounded to float32.
func (s *Sample) Rounded() int64 { return s.rounded }

// Mean returns the arithmetic mean, NaN for an empty sample.
func (s *Sample) Mean() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.sum / float64(s.n)
}

// sort orders the sample for the walks below.
func (s *Sample) sort() {
	if s.sorted {
		return
	}
	if s.counts != nil {
		s.keys = s.keys[:0]
		for v := range s.counts {
			s.keys = append(s.keys, v)
		}
		slices.Sort(s.keys)
		s.cnts = s.cnts[:0]
		for _, v := range s.keys {
			s.cnts = append(s.cnts, s.counts[v])
		}
	} else {
		slices.Sort(s.values)
	}
	s.sorted = true
}

// runs iterates over a sorted sample's distinct values with their counts.
type runs struct {
	s *Sample
	i int
}

func (s *Sample) runs() *runs {
	s.sort()
	return &runs{s: s}
}

// next returns the next distinct value and its count, in ascending order.
func (r *runs) next() (v float64, c int64, ok bool) {
	s := r.s
	if s.counts != nil {
		if r.i >= len(s.keys) {
			return 0, 0, false
		}
		r.i++
		return s.keys[r.i-1], s.cnts[r.i-1], true
	}
	if r.i >= len(s.values) {
		return 0, 0, false
	}
	f := s.values[r.i]
	j := r.i + 1
	for j < len(s.values) && s.values[j] == f {
		j++
	}
	c, r.i = int64(j-r.i), j
	return float64(f), c, true
}

// Distinct returns the number of distinct values in the sample.
func (s *Sample) Distinct() int {
	if s.counts != nil {
		return len(s.counts)
	}
	n := 0
	for r := s.runs(); ; n++ {
		if _, _, ok := r.next(); !ok {
			return n
		}
	}
}

// Quantiles returns the inverse-ECDF quantiles of the sample at each of
// ps (in [0, 1], ascending): the smallest value x with F(x) ≥ p, where F
// is the share of values ≤ x (R's quantile type 1). An empty sample gives
// NaN for each.
func (s *Sample) Quantiles(ps ...float64) []float64 {
	out := make([]float64, len(ps))
	if s.n == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	r := s.runs()
	var cum int64
	var v float64
	for i, p := range ps {
		for cum == 0 || float64(cum) < p*float64(s.n) {
			x, c, ok := r.next()
			if !ok {
				break
			}
			v, cum = x, cum+c
		}
		out[i] = v
	}
	return out
}

// QuantileEdges returns the bin edges for PSI: the reference's
// inverse-ECDF quantiles at k/bins for k = 1 … bins−1 (the smallest value
// x with at least k/bins of the sample ≤ x), with repeated edges removed,
// so that tied values never split across bins. Bin i then holds the
// values in (edge[i−1], edge[i]], the first bin reaching down to −∞ and
// the last up to +∞: len(edges)+1 bins, each with about 1/bins of the
// reference unless ties merged them.
func (s *Sample) QuantileEdges(bins int) []float64 {
	if s.n == 0 || bins < 2 {
		return []float64{}
	}
	edges := make([]float64, 0, bins-1)
	r := s.runs()
	var cum int64
	var v float64
	for k := 1; k < bins; k++ {
		// Smallest v with cum(v)/n ≥ k/bins, in integers.
		for cum == 0 || cum*int64(bins) < int64(k)*s.n {
			x, c, ok := r.next()
			if !ok {
				break
			}
			v, cum = x, cum+c
		}
		if len(edges) == 0 || v > edges[len(edges)-1] {
			edges = append(edges, v)
		}
	}
	return edges
}

// Histogram counts the sample's values in the bins QuantileEdges
// describes: len(edges)+1 counts, value v in bin i when
// edges[i−1] < v ≤ edges[i].
func (s *Sample) Histogram(edges []float64) []int64 {
	h := make([]int64, len(edges)+1)
	r := s.runs()
	for {
		v, c, ok := r.next()
		if !ok {
			return h
		}
		h[sort.SearchFloat64s(edges, v)] += c
	}
}

// KSTest is the two-sample Kolmogorov–Smirnov test of whether two samples
// come from the same continuous distribution.
type KSTest struct {
	// Statistic is D = max |F_ref(x) − F_cur(x)| over all x, in [0, 1].
	Statistic float64 `json:"statistic"`
	// PValue is the two-sided p-value, in [0, 1].
	PValue float64 `json:"p_value"`
	// Method is "exact" when both samples hold at most KSExactMax values,
	// "asymptotic" otherwise, as SciPy's method='auto' chooses.
	Method string `json:"method"`
}

// KSExactMax is the largest sample size for which KS2Sample computes the
// exact p-value, as SciPy's ks_2samp does under method='auto'.
const KSExactMax = 10000

// KS methods.
const (
	KSExact      = "exact"
	KSAsymptotic = "asymptotic"
)

// KS2Sample returns the two-sample KS test of a against b, matching
// scipy.stats.ks_2samp(a, b) (two-sided, method='auto'): D is computed in
// integers as max |c_a·n_b − c_b·n_a| / (n_a·n_b) over every distinct
// value; the p-value is exact when max(n_a, n_b) ≤ KSExactMax and
// otherwise scipy.stats.kstwo.sf(D, round(n_a·n_b/(n_a+n_b))), rounding
// half to even as NumPy does. With an empty sample, D and the p-value
// are NaN. Both samples are sorted in place.
func KS2Sample(a, b *Sample) KSTest {
	n1, n2 := a.N(), b.N()
	if n1 == 0 || n2 == 0 {
		return KSTest{Statistic: math.NaN(), PValue: math.NaN()}
	}
	num := ksNumerator(a, b)
	if max(n1, n2) <= KSExactMax {
		g := gcd(n1, n2)
		lcm := n1 / g * n2
		h := num / g
		p := 1.0
		switch {
		case h == 0:
		case n1 == n2:
			p = probOutsideSquare(n1, h)
		default:
			p = outerProbInside(n1, n2, g, h)
		}
		return KSTest{Statistic: float64(h) / float64(lcm), PValue: clip01(p), Method: KSExact}
	}
	d := float64(num) / (float64(n1) * float64(n2))
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := math.RoundToEven(m * n / (m + n))
	return KSTest{Statistic: d, PValue: clip01(KolmogorovSF(int64(en), d)), Method: KSAsymptotic}
}

// ksNumerator returns max |c_a(x)·n_b − c_b(x)·n_a| over the distinct
// values x of both samples, where c(x) counts values ≤ x.
func ksNumerator(a, b *Sample) int64 {
	n1, n2 := a.N(), b.N()
	ra, rb := a.runs(), b.runs()
	va, ca, oka := ra.next()
	vb, cb, okb := rb.next()
	var c1, c2, best int64
	for oka || okb {
		switch {
		case oka && (!okb || va < vb):
			c1 += ca
			va, ca, oka = ra.next()
		case okb && (!oka || vb < va):
			c2 += cb
			vb, cb, okb = rb.next()
		default: // equal values: step both ECDFs before comparing
			c1 += ca
			c2 += cb
			va, ca, oka = ra.next()
			vb, cb, okb = rb.next()
		}
		d := c1*n2 - c2*n1
		best = max(best, d, -d)
	}
	return best
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func clip01(p float64) float64 { return max(0, min(p, 1)) }

// probOutsideSquare is P(D ≥ h/n) for two samples of n values each
// (SciPy's _compute_prob_outside_square): 2·Σ_k (−1)^(k+1) C(2n, n−kh) /
// C(2n, n), summed in a Horner-like form that avoids cancellation.
func probOutsideSquare(n, h int64) float64 {
	p := 0.0
	for k := n / h; k >= 0; k-- {
		p1 := 1.0
		for j := range h {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		p = p1 * (1 - p)
	}
	return 2 * p
}

// outerProbInside is P(D ≥ h/lcm(m, n)) for samples of m and n values
// with g = gcd(m, n) (SciPy's _compute_outer_prob_inside_method): the
// share of lattice paths from (0, 0) to (m, n) that touch
// |x/m − y/n| ≥ h/lcm, computed column by column as Viehmann (2021)
// proposes, so that every entry is a probability and nothing overflows.
func outerProbInside(m, n, g, h int64) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	// A[j−minj] is, for the current column x, the share of paths to (x, j)
	// that have touched the boundary; entries past the window hold 1.
	minj, maxj := int64(0), min(ceilDiv(h, mg), n+1)
	curlen := maxj - minj
	a := make([]float64, min(2*maxj+2, n+1))
	for i := range a {
		a[i] = 1
	}
	for j := minj; j < maxj; j++ {
		a[j] = 0
	}
	for i := int64(1); i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = min(max(floorDiv(ng*i-h, mg)+1, 0), n)
		maxj = min(ceilDiv(ng*i+h, mg), n+1)
		if maxj <= minj {
			return 1
		}
		val := 1.0
		if minj == 0 {
			val = 0
		}
		for jj := range maxj - minj {
			j := jj + minj
			val = (a[jj+minj-lastminj]*float64(i) + val*float64(j)) / float64(i+j)
			a[jj] = val
		}
		curlen = maxj - minj
		for k := curlen; k < lastlen; k++ {
			a[k] = 1
		}
	}
	return a[maxj-minj-1]
}

// floorDiv and ceilDiv divide by b > 0, rounding down and up.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// KolmogorovSF returns P(D_n ≥ x) for the two-sided one-sample
// Kolmogorov–Smirnov statistic D_n of n values, as
// scipy.stats.kstwo.sf(x, n) computes it: the algorithm choice of Simard
// and L'Ecuyer (2011) between the Ruben–Gambino closed forms, the
// Durbin matrix (Marsaglia, Tsang and Wang 2003), the Pomeranz recursion,
// the Pelz–Good series and twice the one-sided Smirnov tail.
func KolmogorovSF(n int64, x float64) float64 {
	if n <= 0 || math.IsNaN(x) {
		return math.NaN()
	}
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	nf := float64(n)
	t := nf * x
	if t <= 1 { // Ruben–Gambino: 1/2n ≤ x ≤ 1/n
		if t <= 0.5 {
			return 1
		}
		var cdf float64
		if n <= 140 {
			cdf = 1
			for i := int64(1); i <= n; i++ {
				cdf *= float64(i) * (1 / nf) * (2*t - 1)
			}
		} else {
			cdf = math.Exp(logFactorialOverPower(nf) + nf*math.Log(2*t-1))
		}
		return clip01(1 - cdf)
	}
	if t >= nf-1 { // Ruben–Gambino
		return clip01(2 * math.Pow(1-x, nf))
	}
	if x >= 0.5 {
		return clip01(2 * smirnovSF(n, x))
	}
	nxx := t * x
	if n <= 140 {
		switch {
		case nxx <= 0.754693:
			return clip01(1 - durbinCDF(n, x))
		case nxx <= 4:
			return clip01(1 - pomeranzCDF(n, x))
		}
		return clip01(2 * smirnovSF(n, x))
	}
	switch {
	case nxx >= 370:
		return 0
	case nxx >= 2.2:
		return clip01(2 * smirnovSF(n, x))
	case n <= 100000 && nf*math.Pow(x, 1.5) <= 1.4:
		return clip01(1 - durbinCDF(n, x))
	}
	return clip01(1 - pelzGoodCDF(n, x))
}

// stirling holds B_2j/(2j)/(2j−1) for j = 8 … 1, highest first.
var stirling = [...]float64{-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2}

// logFactorialOverPower is log(n!/n^n) by Stirling's series, with
// n·log(n) removed up front to avoid cancellation.
func logFactorialOverPower(n float64) float64 {
	rn := 1 / n
	poly := 0.0
	for _, c := range stirling {
		poly = poly*(rn/n) + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

const (
	exp128  = 128
	pow128  = 0x1p128
	pow128m = 0x1p-128
)

// durbinCDF is P(D_n ≤ d) by Durbin's matrix method as Marsaglia, Tsang
// and Wang (2003) compute it: a power of a (2k−1)-square matrix, rescaled
// as it grows.
func durbinCDF(n int64, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1
	v, w := make([]float64, m), make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		v[j-1] = 1 - math.Pow(h, float64(j))
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] *= fac
	}
	tt := math.Pow(max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac
	hm := make([]float64, m*m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			hm[r*m+i] = w[r-i+1]
		}
	}
	for r := range m {
		hm[r*m] = v[r]
	}
	for c := range m {
		hm[(m-1)*m+c] = v[m-1-c]
	}
	pw := make([]float64, m*m)
	for i := range m {
		pw[i*m+i] = 1
	}
	tmp := make([]float64, m*m)
	mul := func(dst, x, y []float64) {
		for i := range m {
			for j := range m {
				s := 0.0
				for l := range m {
					s += x[i*m+l] * y[l*m+j]
				}
				tmp[i*m+j] = s
			}
		}
		copy(dst, tmp)
	}
	expnt, hexpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			mul(pw, pw, hm)
			expnt += hexpnt
		}
		mul(hm, hm, hm)
		hexpnt *= 2
		if math.Abs(hm[(k-1)*m+k-1]) > pow128 {
			for i := range hm {
				hm[i] /= pow128
			}
			hexpnt += exp128
		}
	}
	p := pw[(k-1)*m+k-1]
	nf := float64(n)
	for i := int64(1); i <= n; i++ {
		p = float64(i) * p / nf
		if math.Abs(p) < pow128m {
			p *= pow128
			expnt -= exp128
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clip01(p)
}

// pomeranzJ returns the window of row i of the Pomeranz recursion.
func pomeranzJ(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		half, odd := (i+1)/2, (i+1)%2
		switch {
		case odd == 0 && half == n+1:
			j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
		case odd == 0:
			j1, j2 = half-1-ll-roundf-1, half+ll-1+ceilf-1
		default:
			j1, j2 = half-1-ll-1, half+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// pomeranzCDF is P(D_n ≤ x) by Pomeranz's (1974) recursion, for small n.
func pomeranzCDF(n64 int64, x float64) float64 {
	n := int(n64)
	nf := float64(n)
	t := nf * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gp, twog, onem2g := make([]float64, npwrs), make([]float64, npwrs), make([]float64, npwrs)
	gp[0], twog[0], onem2g[0] = 1, 1, 1
	for m := 1; m < npwrs; m++ {
		gp[m] = gp[m-1] * (g / nf) / float64(m)
		twog[m] = twog[m-1] * (2 * g / nf) / float64(m)
		onem2g[m] = onem2g[m-1] * ((1 - 2*g) / nf) / float64(m)
	}
	v0, v1 := make([]float64, npwrs), make([]float64, npwrs)
	v1[0] = 1
	v0s, v1s := 0, 0
	expnt := 0
	j1, j2 := pomeranzJ(0, n, ll, ceilf, roundf)
	conv := make([]float64, 2*npwrs)
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		v0, v1 = v1, v0
		v0s, v1s = v1s, v0s
		clear(v1)
		j1, j2 = pomeranzJ(i, n, ll, ceilf, roundf)
		pwrs := onem2g
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gp
		case i%2 == 1:
			pwrs = twog
		}
		ln2 := j2 - k1 + 1
		if ln2 <= 0 {
			continue
		}
		lo := k1 - v0s
		src := v0[lo:min(lo+ln2, len(v0))]
		ker := pwrs[:min(ln2, len(pwrs))]
		full := conv[:len(src)+len(ker)-1]
		clear(full)
		for a, va := range src {
			for b, kb := range ker {
				full[a+b] += va * kb
			}
		}
		start, length := j1-k1, j2-j1+1
		copy(v1[:length], full[start:start+length])
		if top := slices.Max(v1); top > 0 && top < pow128m {
			for i := range v1 {
				v1[i] *= pow128
			}
			expnt -= exp128
		}
		v1s = v0s + j1 - k1
	}
	ans := v1[n-v1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > pow128 {
			ans *= pow128m
			expnt += exp128
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return clip01(ans)
}

// pelzGoodCDF is the Pelz–Good (1976) approximation of P(D_n ≤ x).
func pelzGoodCDF(n int64, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	const pi2, pi4, pi6 = math.Pi * math.Pi, math.Pi * math.Pi * math.Pi * math.Pi, math.Pi * math.Pi * math.Pi * math.Pi * math.Pi * math.Pi
	nf := float64(n)
	z := math.Sqrt(nf) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)
	qlog := -pi2 / 8 / z2
	if qlog < -708 {
		return 0
	}
	q := math.Exp(qlog)
	k1a, k1b := -z2, pi2/4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)
	var kk [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2, m4, m6 := m*m, m*m*m*m, math.Pow(m, 6)
		qp := math.Pow(q, float64(8*k))
		coeffs := [4]float64{1, k1a + k1b*m2, k2a + k2b*m2 + k2c*m4, k3a + k3b*m2 + k3c*m4 + k3d*m6}
		for i := range kk {
			kk[i] = kk[i]*qp + coeffs[i]
		}
	}
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range kk {
		kk[i] = kk[i] * q * math.Sqrt(2*math.Pi) / div[i]
	}
	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		kf := float64(k)
		qk := math.Pow(q, kf*kf)
		k2extra += kf * kf * qk
		kpi := math.Pi * kf
		k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * kf * kf * qk
	}
	kk[2] += k2extra * pi2 * math.Sqrt(2*math.Pi) / (-36 * z3)
	kk[3] += k3extra * pi2 * math.Sqrt(2*math.Pi) / (216 * z6)
	sum := 0.0
	for i := range kk {
		sum += kk[i] / math.Pow(nf, float64(i)/2)
	}
	return sum
}

// smirnovSF is P(D+_n ≥ x), the one-sided Smirnov tail (SciPy's
// scipy.special.smirnov), by the Birnbaum–Tingey sum; SciPy sums in
// double-double, this in float64 with logarithms.
func smirnovSF(n int64, x float64) float64 {
	switch {
	case !(n > 0 && x >= 0 && x <= 1):
		return math.NaN()
	case n == 1:
		return 1 - x
	case x == 0:
		return 1
	case x == 1:
		return 0
	}
	nf := float64(n)
	// floor(n·x) and its remainder, exactly.
	nx := nf * x
	nxErr := math.FMA(nf, x, -nx)
	fl := math.Floor(nx)
	alpha := (nx - fl) + nxErr
	if alpha < 0 {
		fl--
		alpha++
	}
	if alpha >= 1 {
		fl++
		alpha = 0
	}
	nxfl := int64(fl)
	// The last term of the lower sum is v = ⌊n(1−x)⌋, left out when n·x
	// is an integer, as is the first of the upper sum then.
	n1mxfl, n1mxceil := n-nxfl-1, n-nxfl
	if alpha == 0 {
		n1mxceil++
	}
	const minLog = -7.08396418532264106224e2
	switch {
	case nxfl == 0 || (nxfl == 1 && alpha == 0): // x ≤ 1/n
		return 1 - x*math.Pow(1+x, nf-1)
	case -2*nf*x*x < minLog:
		return 0
	case nxfl >= n-1:
		return math.Pow(1-x, nf)
	case n > 1000000: // too many terms: Miller's approximation, as SciPy
		logp := -math.Pow(6*nf*x+1, 2) / 18 / nf
		if logp < -math.Ln2 {
			return math.Exp(logp)
		}
		return 1 + math.Expm1(logp)
	}
	upperTerms := n - n1mxceil + 1
	upper := (upperTerms <= 1 && x < 0.5) || (n >= 10 && upperTerms <= 3 && x <= 0.5/math.Sqrt(nf))
	if upper {
		// cdf = x · Σ_{v > n(1−x)} A_v: at most three terms, alternating.
		sum := math.Pow(1+x, nf-1)
		c := 1.0
		for j := int64(1); j < upperTerms; j++ {
			v := n - j
			c = c * float64(n-j+1) / float64(j)
			sum += c * math.Pow(1-x-float64(v)/nf, float64(n-v)) * math.Pow(x+float64(v)/nf, float64(v-1))
		}
		return clip01(1 - x*sum)
	}
	// sf = x · Σ_{v=0}^{⌊n(1−x)⌋} A_v, A_v = C(n,v)·(1−x−v/n)^(n−v)·(x+v/n)^(v−1).
	terms := n1mxfl + 1
	sum := math.Pow(1-x, nf) / x
	logC := 0.0
	for v := int64(1); v < terms; v++ {
		logC += math.Log(float64(n-v+1) / float64(v))
		y := x + float64(v)/nf
		a := math.Exp(logC + float64(n-v)*math.Log1p(-y) + float64(v-1)*math.Log(y))
		sum += a
		if a != 0 {
			if 4*float64(terms-v)*a < 0x1p-52*sum && v != terms-1 {
				break
			}
		} else if v > n/2 {
			break
		}
	}
	return clip01(x * sum)
}

// ChiSquareTest is Pearson's chi-square test of homogeneity of a
// contingency table, here reference and current counts per category.
type ChiSquareTest struct {
	// Statistic is Σ (observed − expected)² / expected over every cell.
	Statistic float64 `json:"statistic"`
	// DOF is (rows − 1)·(columns − 1) over the columns with any count.
	DOF int `json:"dof"`
	// PValue is P(χ²_DOF ≥ Statistic), in [0, 1]; 1 when DOF is 0.
	PValue float64 `json:"p_value"`
}

// ChiSquareHomogeneity returns the chi-square test of homogeneity of the
// 2×k table whose rows are ref and cur, as
// scipy.stats.chi2_contingency([ref, cur], correction=False) computes
// it: expected counts row total × column total / grand total, no Yates
// correction, and the p-value from the chi-square survival function
// (gonum's distuv.ChiSquared). Columns empty in both rows are dropped
// (SciPy would refuse them); with one column left, or an empty row, the
// statistic is 0 and the p-value 1.
func ChiSquareHomogeneity(ref, cur []int64) ChiSquareTest {
	var nr, nc int64
	cols := 0
	for i := range ref {
		nr += ref[i]
		nc += cur[i]
		if ref[i]+cur[i] > 0 {
			cols++
		}
	}
	if nr == 0 || nc == 0 || cols < 2 {
		return ChiSquareTest{Statistic: 0, DOF: max(cols-1, 0), PValue: 1}
	}
	total := float64(nr + nc)
	stat := 0.0
	for i := range ref {
		col := float64(ref[i] + cur[i])
		if col == 0 {
			continue
		}
		for _, cell := range []struct{ obs, row int64 }{{ref[i], nr}, {cur[i], nc}} {
			e := float64(cell.row) * col / total
			d := float64(cell.obs) - e
			stat += d * d / e
		}
	}
	dof := cols - 1
	return ChiSquareTest{Statistic: stat, DOF: dof, PValue: distuv.ChiSquared{K: float64(dof)}.Survival(stat)}
}

// NumericDrift compares a numeric feature between a reference and a
// current sample.
type NumericDrift struct {
	// Edges are the PSI bin edges from the reference (see
	// Sample.QuantileEdges); Reference and Current count each side's
	// values per bin, len(Edges)+1 bins.
	Edges     []float64 `json:"edges"`
	Reference []int64   `json:"reference"`
	Current   []int64   `json:"current"`
	// PSI is the population stability index over those bins.
	PSI float64 `json:"psi"`
	// KS is the two-sample Kolmogorov–Smirnov test.
	KS KSTest `json:"ks"`
	// RefSummary and CurSummary describe each side.
	RefSummary NumericSummary `json:"reference_summary"`
	CurSummary NumericSummary `json:"current_summary"`
	// Warnings are the statistical caveats of these numbers.
	Warnings Warnings `json:"warnings"`
}

// NumericSummary describes one numeric sample.
type NumericSummary struct {
	// N counts the values, NaN left out.
	N int64 `json:"n"`
	// Min, Median (inverse-ECDF, type 1), Max and Mean of the values.
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
}

func summarize(s *Sample) NumericSummary {
	q := s.Quantiles(0, 0.5, 1)
	return NumericSummary{N: s.N(), Min: q[0], Median: q[1], Max: q[2], Mean: s.Mean()}
}

// CompareNumeric compares cur against ref: PSI over bins reference-
// quantile bins (ties merged), and the KS test. Both samples must be
// non-empty, or every statistic is NaN; bins is at least 2. The samples
// are sorted in place.
func CompareNumeric(ref, cur *Sample, bins int) NumericDrift {
	edges := ref.QuantileEdges(bins)
	d := NumericDrift{
		Edges:      edges,
		Reference:  ref.Histogram(edges),
		Current:    cur.Histogram(edges),
		KS:         KS2Sample(ref, cur),
		RefSummary: summarize(ref),
		CurSummary: summarize(cur),
		Warnings:   Warnings{},
	}
	d.PSI = PSI(d.Reference, d.Current)
	if ref.N() == 0 || cur.N() == 0 {
		d.Warnings = append(d.Warnings, fmt.Errorf("a sample is empty (reference %d, current %d values): nothing can be compared", ref.N(), cur.N()))
		return d
	}
	if len(edges)+1 < bins {
		d.Warnings = append(d.Warnings, fmt.Errorf("tied reference quantiles merged %d requested bins into %d", bins, len(edges)+1))
	}
	if ref.Distinct() < int(ref.N()) || cur.Distinct() < int(cur.N()) || sharesValue(ref, cur) {
		d.Warnings = append(d.Warnings, fmt.Errorf("the values have ties; the KS p-value assumes continuous data and is conservative (too large) for discrete data such as lengths"))
	}
	if r := ref.Rounded() + cur.Rounded(); r > 0 {
		d.Warnings = append(d.Warnings, fmt.Errorf("%d values were kept as float32 (more than %d distinct values), rounded to about 7 significant digits for the bins and the KS test", r, SampleDistinctLimit))
	}
	return d
}

// sharesValue reports whether a value occurs in both samples.
func sharesValue(a, b *Sample) bool {
	ra, rb := a.runs(), b.runs()
	va, _, oka := ra.next()
	vb, _, okb := rb.next()
	for oka && okb {
		switch {
		case va < vb:
			va, _, oka = ra.next()
		case vb < va:
			vb, _, okb = rb.next()
		default:
			return true
		}
	}
	return false
}

// CategoryLimit is how many distinct values Categories counts before it
// gives up on a column as not categorical.
const CategoryLimit = 10000

// Categories counts the values of a categorical feature, up to
// CategoryLimit distinct values. The zero value is ready to use; it is
// not safe for concurrent use.
type Categories struct {
	counts   map[string]*int64
	n        int64
	overflow bool
}

// Add counts one value; b is read, not kept.
func (c *Categories) Add(b []byte) {
	c.n++
	if c.overflow {
		return
	}
	if p := c.counts[string(b)]; p != nil {
		*p++
		return
	}
	if len(c.counts) >= CategoryLimit {
		c.overflow, c.counts = true, nil
		return
	}
	if c.counts == nil {
		c.counts = map[string]*int64{}
	}
	one := int64(1)
	c.counts[string(b)] = &one
}

// N returns the number of values counted.
func (c *Categories) N() int64 { return c.n }

// Overflow reports whether more than CategoryLimit distinct values were
// seen, after which the counts were dropped.
func (c *Categories) Overflow() bool { return c.overflow }

// Counts returns the count of each value; nil after an overflow.
func (c *Categories) Counts() map[string]int64 {
	if c.overflow {
		return nil
	}
	m := make(map[string]int64, len(c.counts))
	for k, p := range c.counts {
		m[k] = *p
	}
	return m
}

// CategoricalDrift compares a categorical feature between a reference and
// a current sample.
type CategoricalDrift struct {
	// Categories is the union of both sides' values, most frequent
	// (reference + current) first, ties by value; Reference and Current
	// count each.
	Categories []string `json:"categories"`
	Reference  []int64  `json:"reference"`
	Current    []int64  `json:"current"`
	// PSI is the population stability index over the categories.
	PSI float64 `json:"psi"`
	// ChiSquare is the chi-square test of homogeneity.
	ChiSquare ChiSquareTest `json:"chi_square"`
	// Warnings are the statistical caveats of these numbers.
	Warnings Warnings `json:"warnings"`
}

// CompareCategorical compares the category counts cur against ref: PSI
// over the union of categories (a category absent on one side counts 0
// there, smoothed by PSIEpsilon) and the chi-square test of homogeneity.
func CompareCategorical(ref, cur map[string]int64) CategoricalDrift {
	seen := map[string]bool{}
	var cats []string
	for _, m := range []map[string]int64{ref, cur} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				cats = append(cats, k)
			}
		}
	}
	slices.SortFunc(cats, func(a, b string) int {
		return cmp.Or(cmp.Compare(ref[b]+cur[b], ref[a]+cur[a]), cmp.Compare(a, b))
	})
	d := CategoricalDrift{Categories: cats, Reference: make([]int64, len(cats)), Current: make([]int64, len(cats)), Warnings: Warnings{}}
	for i, k := range cats {
		d.Reference[i], d.Current[i] = ref[k], cur[k]
	}
	d.PSI = PSI(d.Reference, d.Current)
	d.ChiSquare = ChiSquareHomogeneity(d.Reference, d.Current)
	var nr, nc int64
	for i := range cats {
		nr += d.Reference[i]
		nc += d.Current[i]
	}
	if nr == 0 || nc == 0 {
		d.Warnings = append(d.Warnings, fmt.Errorf("a sample is empty (reference %d, current %d values): nothing can be compared", nr, nc))
		return d
	}
	small := 0
	total := float64(nr + nc)
	for i := range cats {
		col := float64(d.Reference[i] + d.Current[i])
		for _, row := range []int64{nr, nc} {
			if float64(row)*col/total < 5 {
				small++
			}
		}
	}
	if small > 0 {
		d.Warnings = append(d.Warnings, fmt.Errorf("%d of %d cells expect fewer than 5 values; the chi-square p-value is approximate there", small, 2*len(cats)))
	}
	return d
}
