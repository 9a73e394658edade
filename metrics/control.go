package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Control chart kinds.
const (
	// ChartP is a p-chart: each point is a proportion, k successes of n
	// trials, and its limits widen or narrow with n.
	ChartP = "p"
	// ChartXmR is an individuals (X-mR) chart for values that have no
	// count of trials behind them: limits from the mean moving range.
	ChartXmR = "xmr"
)

// XmRFactor is the multiple of the mean moving range that sets an
// individuals chart's limits: 3/d₂, with d₂ = 1.128 the expected range of
// two normal observations in standard deviations, rounded to 2.66 as
// Wheeler and ASTM E2587 print it.
const XmRFactor = 2.66

// ProvisionalReference is the number of reference points below which a
// chart's limits are called provisional (Montgomery recommends 20 to 25
// subgroups before limits are taken as established).
const ProvisionalReference = 20

// Rule is a Western Electric run rule (Western Electric Statistical
// Quality Control Handbook, 1956). Each rule fires on the point that
// completes its pattern.
type Rule int

// The four Western Electric rules. σ is the point's standard deviation:
// sqrt(p̄(1−p̄)/n) on a p-chart, XmRFactor/3 · mR̄ on an individuals chart.
const (
	// Rule1 fires on a point beyond 3σ from the center line, that is
	// outside the control limits.
	Rule1 Rule = 1 + iota
	// Rule2 fires on a point beyond 2σ when 2 of the last 3 points
	// (itself included) are beyond 2σ on the same side.
	Rule2
	// Rule3 fires on a point beyond 1σ when 4 of the last 5 points are
	// beyond 1σ on the same side.
	Rule3
	// Rule4 fires on a point when it and the 7 before it all lie on the
	// same side of the center line.
	Rule4
)

// String names the rule: "rule 1" to "rule 4".
func (r Rule) String() string { return fmt.Sprintf("rule %d", int(r)) }

// Describe says in words what the rule looks for.
func (r Rule) Describe() string {
	switch r {
	case Rule1:
		return "one point beyond 3σ"
	case Rule2:
		return "2 of 3 beyond 2σ on one side"
	case Rule3:
		return "4 of 5 beyond 1σ on one side"
	case Rule4:
		return "8 in a row on one side of the center"
	}
	return "unknown rule"
}

// Signal is one rule firing at one point.
type Signal struct {
	Rule Rule
	// Side is +1 when the pattern lies above the center line, −1 below.
	Side int
}

// SideText is "above" or "below".
func (s Signal) SideText() string {
	if s.Side < 0 {
		return "below"
	}
	return "above"
}

// String formats the signal as "rule 1 (one point beyond 3σ, below)".
func (s Signal) String() string {
	return fmt.Sprintf("%s (%s, %s)", s.Rule, s.Rule.Describe(), s.SideText())
}

type signalJSON struct {
	Rule int    `json:"rule"`
	Side string `json:"side"`
	Text string `json:"text"`
}

// MarshalJSON writes {"rule": 1, "side": "below", "text": "one point
// beyond 3σ"}.
func (s Signal) MarshalJSON() ([]byte, error) {
	return json.Marshal(signalJSON{int(s.Rule), s.SideText(), s.Rule.Describe()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Signal) UnmarshalJSON(b []byte) error {
	var w signalJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Rule < int(Rule1) || w.Rule > int(Rule4) {
		return fmt.Errorf("signal: rule %d is not a Western Electric rule 1 to 4", w.Rule)
	}
	side := 1
	switch w.Side {
	case "above":
	case "below":
		side = -1
	default:
		return fmt.Errorf("signal: side %q, want above or below", w.Side)
	}
	*s = Signal{Rule(w.Rule), side}
	return nil
}

// Limits are a control chart's center line and the spread its limits come
// from, fitted on the reference period: the first Reference points.
type Limits struct {
	// Kind is ChartP or ChartXmR.
	Kind string
	// Center is p̄ = Successes/Trials on a p-chart and the mean of the
	// reference values on an individuals chart.
	Center float64
	// Successes and Trials total k and n over the reference points (p-chart
	// only; 0 otherwise).
	Successes, Trials int
	// MovingRange is mR̄, the mean absolute difference between consecutive
	// reference values (individuals chart only); NaN with fewer than two
	// reference points, and on a p-chart.
	MovingRange float64
	// Reference is the number of points the limits were fitted on, ≥ 1.
	Reference int
}

// Sigma is the standard deviation of one point: sqrt(p̄(1−p̄)/n) on a
// p-chart (NaN when n ≤ 0), XmRFactor/3 · mR̄ on an individuals chart, so
// that the limits are exactly 3σ from the center.
func (l Limits) Sigma(n int) float64 {
	if l.Kind == ChartP {
		if n <= 0 {
			return math.NaN()
		}
		return math.Sqrt(l.Center * (1 - l.Center) / float64(n))
	}
	return XmRFactor / 3 * l.MovingRange
}

// Point places value x, of n trials on a p-chart (n is ignored on an
// individuals chart), on the chart: its limits, σ and z-score. It sets no
// signals; those depend on the points before it (see ControlChart.Next).
func (l Limits) Point(x float64, n int) ControlPoint {
	if l.Kind != ChartP {
		n = 0
	}
	s := l.Sigma(n)
	half := 3 * s
	if l.Kind != ChartP {
		half = XmRFactor * l.MovingRange // 3σ, without the rounding of 3·(XmRFactor/3)
	}
	p := ControlPoint{Value: x, N: n, Sigma: s, LCL: l.Center - half, UCL: l.Center + half, Z: math.NaN()}
	if l.Kind == ChartP {
		p.LCL, p.UCL = math.Max(0, p.LCL), math.Min(1, p.UCL)
	}
	switch {
	case math.IsNaN(s) || math.IsNaN(x):
	case s == 0 && x == l.Center:
		p.Z = 0
	case s == 0:
		p.Z = math.Inf(1)
		if x < l.Center {
			p.Z = math.Inf(-1)
		}
	default:
		p.Z = (x - l.Center) / s
	}
	return p
}

// ControlPoint is one point of a control chart.
type ControlPoint struct {
	// Value is the observation: a proportion in [0, 1] on a p-chart.
	Value float64
	// N is the number of trials behind Value on a p-chart; 0 on an
	// individuals chart.
	N int
	// LCL and UCL are the point's control limits, Center ∓ 3σ, clipped to
	// [0, 1] on a p-chart; NaN when σ is undefined.
	LCL, UCL float64
	// Sigma is the point's standard deviation (see Limits.Sigma).
	Sigma float64
	// Z is (Value − Center)/Sigma: ±Inf when σ is 0 and Value is off the
	// center, NaN when σ is undefined.
	Z float64
	// Signals are the rules that fire at this point; none when it is in
	// control.
	Signals []Signal
}

// OutOfControl reports whether any rule fires at the point.
func (p ControlPoint) OutOfControl() bool { return len(p.Signals) > 0 }

// ControlChart is a fitted control chart: its limits and every point,
// with the Western Electric signals of each.
type ControlChart struct {
	Limits
	// Points are the observations in time order; the first
	// Limits.Reference of them are the reference period.
	Points []ControlPoint
	// Warnings are caveats about the limits: too few reference points,
	// limits that collapse onto the center, counts too small for the
	// normal approximation.
	Warnings Warnings
}

// Next returns the point x (of n trials) as it would sit after c.Points:
// placed against c's limits, with the signals the rules give over
// c.Points followed by it. c is not changed. To judge a point that belongs
// between existing points, call Next on a copy of c whose Points stop
// before it.
func (c ControlChart) Next(x float64, n int) ControlPoint {
	p := c.Limits.Point(x, n)
	z := make([]float64, len(c.Points)+1)
	for i, q := range c.Points {
		z[i] = q.Z
	}
	z[len(c.Points)] = p.Z
	p.Signals = WesternElectric(z)[len(c.Points)]
	return p
}

// Errors of chart construction, for errors.Is.
var (
	// ErrReference marks a reference period outside the points.
	ErrReference = errors.New("reference period must hold between 1 and all of the points")
	// ErrObservation marks an observation a chart cannot take: unequal
	// k and n lengths, n ≤ 0, k outside [0, n], or a non-finite value.
	ErrObservation = errors.New("invalid observation")
)

// PChart fits a p-chart to k[i] successes of n[i] trials, with the first
// ref points as the reference period:
//
//	p̄         = Σk / Σn over the reference points
//	LCLᵢ, UCLᵢ = p̄ ∓ 3·sqrt(p̄(1−p̄)/nᵢ), clipped to [0, 1]
//
// and marks each point with the Western Electric rules that fire there.
func PChart(k, n []int, ref int) (ControlChart, error) {
	if len(k) != len(n) {
		return ControlChart{}, fmt.Errorf("p-chart: %w: %d successes for %d trial counts", ErrObservation, len(k), len(n))
	}
	if ref < 1 || ref > len(k) {
		return ControlChart{}, fmt.Errorf("p-chart: %w: reference %d of %d points", ErrReference, ref, len(k))
	}
	for i := range k {
		if n[i] <= 0 || k[i] < 0 || k[i] > n[i] {
			return ControlChart{}, fmt.Errorf("p-chart: %w: point %d is %d of %d", ErrObservation, i+1, k[i], n[i])
		}
	}
	l := Limits{Kind: ChartP, Reference: ref, MovingRange: math.NaN()}
	for i := range ref {
		l.Successes += k[i]
		l.Trials += n[i]
	}
	l.Center = float64(l.Successes) / float64(l.Trials)
	c := ControlChart{Limits: l}
	small := 0
	for i := range k {
		c.Points = append(c.Points, l.Point(float64(k[i])/float64(n[i]), n[i]))
		if float64(n[i])*l.Center < 5 || float64(n[i])*(1-l.Center) < 5 {
			small++
		}
	}
	c.signal()
	c.provisional()
	switch {
	case l.Center == 0 || l.Center == 1:
		c.Warnings = append(c.Warnings, fmt.Errorf("every reference point is %g, so the limits collapse onto the center line and any other value is out of control", l.Center))
	case small > 0:
		c.Warnings = append(c.Warnings, fmt.Errorf("at %d of %d points n·p̄ or n·(1−p̄) is below 5, where the normal approximation behind 3σ limits is poor", small, len(k)))
	}
	return c, nil
}

// XmRChart fits an individuals chart to x, with the first ref points as
// the reference period:
//
//	center = mean of x₁…x_ref
//	mR̄     = mean of |xᵢ − xᵢ₋₁| for i = 2…ref
//	limits = center ∓ 2.66·mR̄
//
// and marks each point with the Western Electric rules that fire there.
// With one reference point there is no moving range: the limits are NaN
// and no rule fires.
func XmRChart(x []float64, ref int) (ControlChart, error) {
	if ref < 1 || ref > len(x) {
		return ControlChart{}, fmt.Errorf("individuals chart: %w: reference %d of %d points", ErrReference, ref, len(x))
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ControlChart{}, fmt.Errorf("individuals chart: %w: point %d is %g", ErrObservation, i+1, v)
		}
	}
	l := Limits{Kind: ChartXmR, Reference: ref, MovingRange: math.NaN()}
	for _, v := range x[:ref] {
		l.Center += v
	}
	l.Center /= float64(ref)
	if ref >= 2 {
		mr := 0.0
		for i := 1; i < ref; i++ {
			mr += math.Abs(x[i] - x[i-1])
		}
		l.MovingRange = mr / float64(ref-1)
	}
	c := ControlChart{Limits: l}
	for _, v := range x {
		c.Points = append(c.Points, l.Point(v, 0))
	}
	c.signal()
	c.provisional()
	switch {
	case ref < 2:
		c.Warnings = append(c.Warnings, errors.New("one reference point gives no moving range: the chart has no limits and no rule is checked"))
	case l.MovingRange == 0:
		c.Warnings = append(c.Warnings, fmt.Errorf("every reference point is %g, so the limits collapse onto the center line and any other value is out of control", l.Center))
	}
	return c, nil
}

// signal sets every point's signals from the z-scores.
func (c *ControlChart) signal() {
	z := make([]float64, len(c.Points))
	for i, p := range c.Points {
		z[i] = p.Z
	}
	for i, s := range WesternElectric(z) {
		c.Points[i].Signals = s
	}
}

func (c *ControlChart) provisional() {
	if c.Reference < ProvisionalReference {
		c.Warnings = append(c.Warnings, fmt.Errorf("limits from %d reference points; with fewer than %d they are provisional", c.Reference, ProvisionalReference))
	}
}

// WesternElectric applies the four Western Electric rules to a series of
// z-scores (each point's distance from the center line in its own σ) and
// returns, for each point, the rules that fire at it, in rule order. A
// rule fires on the point that completes its pattern, and only when that
// point is itself part of it (beyond the rule's threshold, on the same
// side); at the start of the series, rules 2 and 3 count over the points
// there are. Thresholds are strict: a point exactly 3σ out does not fire
// rule 1, a point on the center line breaks a run. NaN z-scores fire
// nothing and break runs.
func WesternElectric(z []float64) [][]Signal {
	side := func(v, t float64) int {
		switch {
		case v > t:
			return 1
		case v < -t:
			return -1
		}
		return 0
	}
	windows := []struct {
		rule     Rule
		of, need int
		t        float64
	}{{Rule2, 3, 2, 2}, {Rule3, 5, 4, 1}}
	out := make([][]Signal, len(z))
	for i, v := range z {
		if s := side(v, 3); s != 0 {
			out[i] = append(out[i], Signal{Rule1, s})
		}
		for _, w := range windows {
			s := side(v, w.t)
			if s == 0 {
				continue
			}
			count := 0
			for j := max(0, i-w.of+1); j <= i; j++ {
				if side(z[j], w.t) == s {
					count++
				}
			}
			if count >= w.need {
				out[i] = append(out[i], Signal{w.rule, s})
			}
		}
		if s := side(v, 0); s != 0 && i >= 7 {
			run := true
			for j := i - 7; j < i; j++ {
				run = run && side(z[j], 0) == s
			}
			if run {
				out[i] = append(out[i], Signal{Rule4, s})
			}
		}
	}
	return out
}
