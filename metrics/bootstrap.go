package metrics

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultResamples is the number of bootstrap resamples used when
// Options.Resamples is 0.
const DefaultResamples = 2000

// resamples is the bootstrap count opts asks for.
func (o Options) resamples() int {
	if o.Resamples > 0 {
		return o.Resamples
	}
	return DefaultResamples
}

// Estimate is a derived statistic — a gap, a ratio, a delta — with a
// percentile bootstrap confidence interval. The level, count and seed of the
// bootstrap are recorded by the value that holds the Estimate.
type Estimate struct {
	// Value is the statistic on the observed data; NaN when undefined.
	Value float64
	// Low and High bound the percentile bootstrap interval; NaN when the
	// interval cannot be computed.
	Low, High float64
}

// undefinedEstimate is an Estimate with nothing defined.
func undefinedEstimate() Estimate { return Estimate{math.NaN(), math.NaN(), math.NaN()} }

type estimateJSON struct {
	Value *float64 `json:"value"`
	Low   *float64 `json:"ci_low"`
	High  *float64 `json:"ci_high"`
}

// MarshalJSON writes {"value", "ci_low", "ci_high"}, undefined values as null.
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(estimateJSON{Finite(e.Value), Finite(e.Low), Finite(e.High)})
}

// UnmarshalJSON reads null values back as NaN.
func (e *Estimate) UnmarshalJSON(b []byte) error {
	var w estimateJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Estimate{OrNaN(w.Value), OrNaN(w.Low), OrNaN(w.High)}
	return nil
}

// newSource returns the random source for one bootstrap: a PCG generator
// seeded with seed and a stream derived from name, so that each column or
// group gets its own reproducible draws, unchanged when others are added.
func newSource(seed uint64, name string) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.NewPCG(seed, h.Sum64())
}

// multinomial fills out with one draw of n trials over cells with the given
// probabilities (summing to 1), as a sequence of conditional binomials: the
// count of cell j is Binomial(n − earlier counts, p_j / remaining mass). Its
// cost is O(len(probs)), whatever n is.
func multinomial(src rand.Source, n int, probs []float64, out []int) {
	rem, mass := n, 1.0
	for j, p := range probs {
		switch {
		case rem == 0 || p <= 0:
			out[j] = 0
		case j == len(probs)-1 || p >= mass:
			out[j] = rem
		default:
			x := int(distuv.Binomial{N: float64(rem), P: p / mass, Src: src}.Rand())
			out[j] = x
		}
		rem -= out[j]
		mass -= p
	}
}

// percentileInterval returns the (1−level)/2 and (1+level)/2 quantiles of the
// defined (non-NaN) values in vals, interpolated as R's quantile type 7, and
// how many values were NaN. It sorts vals in place.
func percentileInterval(vals []float64, level float64) (low, high float64, undefined int) {
	defined := vals[:0]
	for _, v := range vals {
		if math.IsNaN(v) {
			undefined++
			continue
		}
		defined = append(defined, v)
	}
	if len(defined) == 0 || !(level > 0 && level < 1) {
		return math.NaN(), math.NaN(), undefined
	}
	slices.Sort(defined)
	return quantile7(defined, (1-level)/2), quantile7(defined, (1+level)/2), undefined
}

// quantile7 is the q-quantile of sorted, R's default (type 7) definition.
func quantile7(sorted []float64, q float64) float64 {
	h := float64(len(sorted)-1) * q
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
