package metrics

import (
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Proportion is k successes out of n trials with a confidence interval.
type Proportion struct {
	// K is the number of successes and N the number of trials.
	K int `json:"k"`
	N int `json:"n"`
	// Rate is K/N in [0, 1]; NaN when N is 0 (encoded as null in JSON).
	Rate float64 `json:"rate"`
	// Low and High bound the Wilson score interval at Level.
	Low  float64 `json:"ci_low"`
	High float64 `json:"ci_high"`
	// Level is the interval's confidence level, for example 0.95.
	Level float64 `json:"level"`
}

// NewProportion returns k out of n with its Wilson interval at level.
// It panics on nothing: n == 0 gives NaN rate and bounds, and k outside
// [0, n] is clamped into it.
func NewProportion(k, n int, level float64) Proportion {
	k = max(0, min(k, n))
	p := Proportion{K: k, N: n, Level: level, Rate: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if n > 0 {
		p.Rate = float64(k) / float64(n)
		p.Low, p.High = Wilson(k, n, level)
	}
	return p
}

// String formats the proportion as "0.912 [0.871, 0.941] (k/n)".
func (p Proportion) String() string {
	if p.N == 0 {
		return "n/a (0/0)"
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f] (%d/%d)", p.Rate, p.Low, p.High, p.K, p.N)
}

// Wilson returns the Wilson score interval for k successes in n trials at
// confidence level (for example 0.95), without continuity correction. It
// returns NaN bounds when n is 0 or level is outside (0, 1).
//
// With z the (1+level)/2 normal quantile and p = k/n:
//
//	centre = (p + z²/2n) / (1 + z²/n)
//	half   = z/(1 + z²/n) · sqrt(p(1−p)/n + z²/4n²)
func Wilson(k, n int, level float64) (low, high float64) {
	if n <= 0 || k < 0 || k > n || !(level > 0 && level < 1) {
		return math.NaN(), math.NaN()
	}
	z := distuv.UnitNormal.Quantile((1 + level) / 2)
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	denom := 1 + z2/nf
	centre := (p + z2/(2*nf)) / denom
	half := z / denom * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	low, high = centre-half, centre+half
	// The bounds are exactly 0 and 1 at k = 0 and k = n; rounding can
	// leave them a hair outside.
	if k == 0 {
		low = 0
	}
	if k == n {
		high = 1
	}
	return max(0, low), min(1, high)
}

// proportionJSON is Proportion's wire form: undefined values are null.
type proportionJSON struct {
	K     int      `json:"k"`
	N     int      `json:"n"`
	Rate  *float64 `json:"rate"`
	Low   *float64 `json:"ci_low"`
	High  *float64 `json:"ci_high"`
	Level float64  `json:"level"`
}

func (p Proportion) proportionJSON() proportionJSON {
	return proportionJSON{K: p.K, N: p.N, Rate: Finite(p.Rate), Low: Finite(p.Low), High: Finite(p.High), Level: p.Level}
}

func (w proportionJSON) proportion() Proportion {
	return Proportion{K: w.K, N: w.N, Rate: OrNaN(w.Rate), Low: OrNaN(w.Low), High: OrNaN(w.High), Level: w.Level}
}

// MarshalJSON writes undefined (NaN) values as null.
func (p Proportion) MarshalJSON() ([]byte, error) {
	return json.Marshal(p.proportionJSON())
}

// UnmarshalJSON reads null values back as NaN.
func (p *Proportion) UnmarshalJSON(b []byte) error {
	var w proportionJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = w.proportion()
	return nil
}

// Finite returns a pointer to v, or nil when v is NaN or infinite, so that
// JSON carries undefined values as null.
func Finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// OrNaN reverses Finite: nil becomes NaN.
func OrNaN(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}
