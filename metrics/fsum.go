package metrics

import "math"

// exactSum is a float64 sum that does not depend on the order or the
// grouping of its terms: it keeps the exact sum as non-overlapping partials
// (Shewchuk 1997, "Adaptive precision floating-point arithmetic and fast
// robust geometric predicates") and rounds it once, correctly, on reading,
// as Python's math.fsum does. Merging two sums adds the other's partials,
// which is exact too, so shards summed apart give the bits one pass gives.
//
// Non-finite terms (±Inf, NaN) are summed apart, in ordinary arithmetic,
// which is order-independent for them; a finite sum whose exact value
// overflows float64 is out of its range. The zero value is the empty sum.
type exactSum struct {
	partials []float64
	special  float64 // the sum of the non-finite terms
	anySpec  bool
}

// Add adds x exactly.
func (s *exactSum) Add(x float64) {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		s.special += x
		s.anySpec = true
		return
	}
	i := 0
	for _, y := range s.partials {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		lo := y - (hi - x)
		if lo != 0 {
			s.partials[i] = lo
			i++
		}
		x = hi
	}
	s.partials = append(s.partials[:i], x)
}

// Merge adds every term o has been given, exactly; o is unchanged.
func (s *exactSum) Merge(o *exactSum) {
	for _, p := range o.partials {
		s.Add(p)
	}
	if o.anySpec {
		s.special += o.special
		s.anySpec = true
	}
}

// Sum is the exact sum rounded to the nearest float64, ties to even.
func (s *exactSum) Sum() float64 {
	if s.anySpec {
		return s.special
	}
	p := s.partials
	n := len(p)
	if n == 0 {
		return 0
	}
	n--
	hi, lo := p[n], 0.0
	for n > 0 {
		x := hi
		n--
		y := p[n]
		hi = x + y
		lo = y - (hi - x)
		if lo != 0 {
			break
		}
	}
	// Round half-even: when the rest of the partials push a halfway lo
	// the same way, the tie is not a tie.
	if n > 0 && (lo < 0 && p[n-1] < 0 || lo > 0 && p[n-1] > 0) {
		y := lo * 2
		x := hi + y
		if y == x-hi {
			hi = x
		}
	}
	return hi
}
