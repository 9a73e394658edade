package metrics

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"

	"github.com/evalgate/evalgate/records"
)

// IntersectionSep joins the names and the values of the columns of an
// intersection: column "gender×age_band", value "female×18-29".
const IntersectionSep = "×"

// FourFifths is the threshold of the four-fifths rule: a disparate impact
// (lowest selection rate over highest) below it is evidence of adverse
// impact (US EEOC Uniform Guidelines, 29 CFR 1607.4(D)).
const FourFifths = 0.8

// FairnessOptions configure ComputeGroupFairness.
type FairnessOptions struct {
	Options
	// PositiveLabel, when not empty, is the label of the positive class. A
	// result is predicted positive when Normalize(Output) equals
	// Normalize(PositiveLabel) and its call succeeded, and actually
	// positive when Normalize(Expected) does. It enables selection rate,
	// TPR, FPR and FNR.
	PositiveLabel string
	// Intersections lists combinations of group columns to analyse as one
	// column each, for example {"gender", "age_band"}.
	Intersections [][]string
	// MinRateDenominator, when above 0, is the smallest number of actual
	// positives (for TPR and FNR) or actual negatives (for FPR) a group
	// needs for that rate to take part in its gap, ratio and test; 0 means
	// MinGroupSize.
	MinRateDenominator int
}

// GroupCounts are the sufficient statistics of one group's scored results:
// Cells[CellIndex(correct, predicted, actual)] counts the results with that
// correctness, predicted class (positive or not) and actual class. Without
// a positive label only the correctness matters. A bootstrap resample of
// the group's rows is a multinomial draw over these 8 cells, so its cost
// does not depend on the number of rows.
type GroupCounts struct {
	// Value is the group's value (or values joined by IntersectionSep).
	Value string
	Cells [8]int
}

// CellIndex is the index in GroupCounts.Cells of a result with the given
// correctness, predicted class and actual class: 4·correct + 2·predicted + actual.
func CellIndex(correct, predicted, actual bool) int {
	i := 0
	if correct {
		i += 4
	}
	if predicted {
		i += 2
	}
	if actual {
		i++
	}
	return i
}

// Add counts one result.
func (g *GroupCounts) Add(correct, predicted, actual bool) {
	g.Cells[CellIndex(correct, predicted, actual)]++
}

// N is the number of results counted.
func (g GroupCounts) N() int {
	n := 0
	for _, c := range g.Cells {
		n += c
	}
	return n
}

// GroupRate is one of a group's rates: a Proportion whose interval is at
// the per-group level of its metric's comparison (see FairnessColumn), and
// whether the rate was kept out of that comparison.
type GroupRate struct {
	Proportion
	// Small is true when the rate's own denominator (the group's results
	// for accuracy and selection rate, its actual positives for TPR and
	// FNR, its actual negatives for FPR) is below the minimum
	// (FairnessOptions.MinGroupSize, or MinRateDenominator for TPR, FPR
	// and FNR), or the group itself is below MinGroupSize. A small rate is
	// shown with an interval at the plain Level, flagged, and kept out of
	// its metric's gap, ratio and test.
	Small bool
}

// MarshalJSON writes the proportion's fields and "small".
func (r GroupRate) MarshalJSON() ([]byte, error) {
	return json.Marshal(groupRateJSON{r.proportionJSON(), r.Small})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *GroupRate) UnmarshalJSON(b []byte) error {
	var w groupRateJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	r.Proportion, r.Small = w.proportion(), w.Small
	return nil
}

type groupRateJSON struct {
	proportionJSON
	Small bool `json:"small"`
}

// FairnessGroup holds one group's rates.
type FairnessGroup struct {
	Value string `json:"value"`
	// N is the number of scored results in the group.
	N int `json:"n"`
	// Accuracy is the share of the group's results that were correct.
	Accuracy GroupRate `json:"accuracy"`
	// SelectionRate is the share predicted positive; TPR the share of
	// actual positives predicted positive; FPR the share of actual
	// negatives predicted positive; FNR = 1 − TPR. They are present only
	// when a positive label is configured; a rate with no denominator
	// (for example TPR in a group with no actual positives) has a null
	// rate and is Small.
	SelectionRate *GroupRate `json:"selection_rate,omitempty"`
	TPR           *GroupRate `json:"tpr,omitempty"`
	FPR           *GroupRate `json:"fpr,omitempty"`
	FNR           *GroupRate `json:"fnr,omitempty"`
	// Small is true when N < MinGroupSize: every rate of the group is
	// shown but takes no part in gaps, ratios and tests.
	Small bool `json:"small"`
}

// rate returns the group's rate of metric m, nil when the column has no
// positive label.
func (g *FairnessGroup) rate(m int) *GroupRate {
	switch m {
	case mAccuracy:
		return &g.Accuracy
	case mSelection:
		return g.SelectionRate
	case mTPR:
		return g.TPR
	case mFPR:
		return g.FPR
	default:
		return g.FNR
	}
}

// Disparity compares one metric across the groups of a column whose rate
// of that metric is not Small.
type Disparity struct {
	// Metric is accuracy, selection_rate, tpr, fpr or fnr.
	Metric string `json:"metric"`
	// Gap is the largest rate minus the smallest, in [0, 1]; Ratio the
	// smallest divided by the largest, in [0, 1] (undefined when the largest
	// is 0). Both are NaN when fewer than two groups qualify. Their
	// intervals are built from the groups' simultaneous intervals (see
	// FairnessColumn) and cover the true gap and ratio at least as often
	// as the column's Level.
	Gap   Estimate `json:"gap"`
	Ratio Estimate `json:"ratio"`
	// Lowest and Highest name the groups at the ends of the gap.
	Lowest  string `json:"lowest"`
	Highest string `json:"highest"`
	// Groups counts the groups compared.
	Groups int `json:"groups"`
	// GroupLevel is the level of each compared group's interval, Level^(1/Groups)
	// (Šidák), so that all of them hold together at Level.
	GroupLevel float64 `json:"group_level"`
	// Test is the test that the compared groups share one rate (see
	// HomogeneityTest); its P is NaN when fewer than two groups are
	// compared. A small P is evidence that the groups differ.
	Test Homogeneity `json:"test"`
	// Why says, when Gap is undefined, why it could not be computed.
	Why string `json:"why,omitempty"`
}

// FairnessColumn is the fairness analysis of one group column or one
// intersection of columns.
//
// Its intervals are simultaneous, not bootstrapped. For each metric, the
// rate of each of the k groups compared gets a Wilson interval at level
// Level^(1/k) (Šidák): the groups are independent samples, so all k
// intervals hold together with probability Level (up to the Wilson
// interval's own small coverage error). Whenever they all hold, the true
// gap max p − min p lies in
//
//	[max(0, max_i L_i − min_j U_j), max_i U_i − min_j L_j]
//
// and the true ratio min p / max p in [min_j L_j / max_i U_i, min(1,
// min_j U_j / max_i L_i)], so these intervals cover the true gap and ratio
// at least as often as Level, whatever the true gap, 0 included, and they
// always contain the observed gap and ratio. A percentile bootstrap of
// max − min does not: noise alone makes an observed gap positive, so its
// interval sits above a true gap of 0 (evalgate used one before; a
// seeded simulation in simulation_test.go shows the new intervals' coverage
// in every setting of groups, sizes, base rates and true gaps).
// The equalized odds difference, max(TPR gap, FPR gap), uses the TPR and
// FPR intervals at Level^(1/(kTPR+kFPR)).
type FairnessColumn struct {
	// Column names the column, or the intersection's columns joined by
	// IntersectionSep; Columns lists them.
	Column  string   `json:"column"`
	Columns []string `json:"columns"`
	// PositiveLabel is the configured positive class, empty when none.
	PositiveLabel string `json:"positive_label"`
	// Groups are sorted by value; missing values form MissingGroup.
	Groups []FairnessGroup `json:"groups"`
	// Disparities holds one entry per metric: accuracy, then, with a
	// positive label, selection_rate, tpr, fpr and fnr.
	Disparities []Disparity `json:"disparities"`
	// AccuracyGap is the accuracy Disparity's gap.
	AccuracyGap Estimate `json:"accuracy_gap"`
	// DemographicParityDifference is the selection-rate gap, and
	// DisparateImpact the selection-rate ratio; both need a positive label.
	DemographicParityDifference Estimate `json:"demographic_parity_difference"`
	DisparateImpact             Estimate `json:"disparate_impact"`
	// MeetsFourFifths reports whether DisparateImpact.Value is at least
	// FourFifths; nil when disparate impact is undefined.
	MeetsFourFifths *bool `json:"meets_four_fifths"`
	// EqualizedOddsDifference is max(TPR gap, FPR gap), in [0, 1]; NaN
	// when either gap is undefined.
	EqualizedOddsDifference Estimate `json:"equalized_odds_difference"`
	// Level is the simultaneous level of every interval; Intervals names
	// the construction, IntervalsSimultaneous.
	Level     float64  `json:"level"`
	Intervals string   `json:"intervals"`
	Warnings  Warnings `json:"warnings"`
}

// IntervalsSimultaneous names FairnessColumn's interval construction:
// Wilson intervals per group at a Šidák level, and gap and ratio intervals
// from their extremes.
const IntervalsSimultaneous = "wilson-sidak"

// The metrics of a group, in the order of FairnessColumn.Disparities.
const (
	mAccuracy = iota
	mSelection
	mTPR
	mFPR
	mFNR
	numMetrics
)

// FairnessMetrics are the names of the metrics a fairness column compares,
// in the order of FairnessColumn.Disparities; all but accuracy need a
// positive label.
var FairnessMetrics = [numMetrics]string{"accuracy", "selection_rate", "tpr", "fpr", "fnr"}

func metricName(m int) string { return FairnessMetrics[m] }

// denominatorName names what metric m's rate is out of.
func denominatorName(m int) string {
	switch m {
	case mTPR, mFNR:
		return "actual positives"
	case mFPR:
		return "actual negatives"
	}
	return "scored results"
}

// ComputeGroupFairness analyses fairness over each of columns and each of
// opts.Intersections, reading each scored result's group values from
// Result.Groups (an empty value is MissingGroup). Unscored results are left
// out. Per group it reports n and accuracy, and with a positive label the
// selection rate, TPR, FPR and FNR; across the groups whose rate is not
// Small it reports each metric's gap and ratio with simultaneous
// intervals (see FairnessColumn). It is a Tally given every result.
func ComputeGroupFairness(results []records.Result, columns []string, opts FairnessOptions) []FairnessColumn {
	t := NewTally(columns, opts, false)
	for i := range results {
		t.Add(&results[i])
	}
	return t.Fairness()
}

func groupValue(r records.Result, column string) string {
	if v := r.Groups[column]; v != "" {
		return v
	}
	return MissingGroup
}

// minDenominator is the smallest denominator of metric m's rate that takes
// part in its comparison.
func (o FairnessOptions) minDenominator(m int) int {
	if (m == mTPR || m == mFPR || m == mFNR) && o.MinRateDenominator > 0 {
		return o.MinRateDenominator
	}
	return o.MinGroupSize
}

// FairnessFromCounts is ComputeGroupFairness for one column (or one
// intersection of columns) from its groups' sufficient statistics, for
// callers that stream results and keep only the counts. Its cost grows
// with the number of groups only.
func FairnessFromCounts(columns []string, groups []GroupCounts, opts FairnessOptions) FairnessColumn {
	name := strings.Join(columns, IntersectionSep)
	fc := FairnessColumn{
		Column: name, Columns: columns, PositiveLabel: opts.PositiveLabel,
		Groups: []FairnessGroup{}, Disparities: []Disparity{},
		AccuracyGap: undefinedEstimate(), DemographicParityDifference: undefinedEstimate(),
		DisparateImpact: undefinedEstimate(), EqualizedOddsDifference: undefinedEstimate(),
		Level: opts.Level, Intervals: IntervalsSimultaneous, Warnings: Warnings{},
	}
	groups = append([]GroupCounts(nil), groups...)
	sort.Slice(groups, func(i, j int) bool { return groups[i].Value < groups[j].Value })
	hasPositive := opts.PositiveLabel != ""
	metrics := 1
	if hasPositive {
		metrics = numMetrics
	}

	// Each rate's successes and denominator, and which groups each metric
	// compares.
	type counts struct{ k, n int }
	rates := make([][numMetrics]counts, len(groups))
	compared := make([][]int, metrics)
	for i, g := range groups {
		c := cellSums(&g.Cells)
		rates[i] = [numMetrics]counts{
			mAccuracy: {c.correct, c.n}, mSelection: {c.predicted, c.n},
			mTPR: {c.tp, c.positives}, mFPR: {c.fp, c.n - c.positives}, mFNR: {c.positives - c.tp, c.positives},
		}
		small := c.n < opts.MinGroupSize
		if small {
			fc.Warnings = append(fc.Warnings, fmt.Errorf("group %s=%q has %d scored results, fewer than min_group_size %d: shown, but left out of gaps, ratios and tests", name, g.Value, c.n, opts.MinGroupSize))
		}
		for m := range metrics {
			if r := rates[i][m]; !small && r.n > 0 && r.n >= opts.minDenominator(m) {
				compared[m] = append(compared[m], i)
			} else if !small && m != mAccuracy && m != mSelection && m != mFNR {
				fc.Warnings = append(fc.Warnings, fmt.Errorf("%s of group %s=%q is out of %d %s, fewer than the minimum %d: shown, but left out of its gap, ratio and test", metricName(m), name, g.Value, r.n, denominatorName(m), opts.minDenominator(m)))
			}
		}
		fc.Groups = append(fc.Groups, FairnessGroup{Value: g.Value, N: c.n, Small: small})
	}

	// Each rate's interval: at the Šidák level of its comparison when it
	// is compared, at Level when it is not.
	groupLevel := make([]float64, metrics)
	for m := range metrics {
		groupLevel[m] = SidakLevel(opts.Level, len(compared[m]))
		in := make([]bool, len(groups))
		for _, i := range compared[m] {
			in[i] = true
		}
		for i := range groups {
			level := opts.Level
			if in[i] {
				level = groupLevel[m]
			}
			r := GroupRate{Proportion: NewProportion(rates[i][m].k, rates[i][m].n, level), Small: !in[i]}
			g := &fc.Groups[i]
			switch m {
			case mAccuracy:
				g.Accuracy = r
			case mSelection:
				g.SelectionRate = &r
			case mTPR:
				g.TPR = &r
			case mFPR:
				g.FPR = &r
			default:
				g.FNR = &r
			}
		}
	}

	for m := range metrics {
		d := Disparity{Metric: metricName(m), Groups: len(compared[m]), GroupLevel: groupLevel[m], Gap: undefinedEstimate(), Ratio: undefinedEstimate()}
		successes, trials := make([]int, len(compared[m])), make([]int, len(compared[m]))
		for j, i := range compared[m] {
			successes[j], trials[j] = rates[i][m].k, rates[i][m].n
		}
		d.Test = HomogeneityTest(successes, trials, streamSeed(opts.Seed, "fairness/"+name+"/"+d.Metric))
		if len(compared[m]) < 2 {
			d.Why = whyNotCompared(name, m, fc.Groups, len(compared[m]), opts)
			fc.Warnings = append(fc.Warnings, fmt.Errorf("%s of column %s: %s", d.Metric, name, d.Why))
		} else {
			props := make([]Proportion, len(compared[m]))
			for j, i := range compared[m] {
				props[j] = fc.Groups[i].rate(m).Proportion
			}
			var lo, hi int
			d.Gap, d.Ratio, lo, hi = spread(props)
			d.Lowest, d.Highest = fc.Groups[compared[m][lo]].Value, fc.Groups[compared[m][hi]].Value
			if math.IsNaN(d.Ratio.Value) {
				d.Why = fmt.Sprintf("the highest %s is 0, so the ratio is undefined", d.Metric)
			}
		}
		fc.Disparities = append(fc.Disparities, d)
	}
	fc.AccuracyGap = fc.Disparities[mAccuracy].Gap
	if !hasPositive {
		return fc
	}
	fc.DemographicParityDifference = fc.Disparities[mSelection].Gap
	fc.DisparateImpact = fc.Disparities[mSelection].Ratio
	if !math.IsNaN(fc.DisparateImpact.Value) {
		meets := fc.DisparateImpact.Value >= FourFifths
		fc.MeetsFourFifths = &meets
	}
	if kT, kF := len(compared[mTPR]), len(compared[mFPR]); kT >= 2 && kF >= 2 {
		// Both gaps at the level that makes all kT + kF intervals hold
		// together.
		level := SidakLevel(opts.Level, kT+kF)
		gap := func(m int) Estimate {
			props := make([]Proportion, 0, len(compared[m]))
			for _, i := range compared[m] {
				props = append(props, NewProportion(rates[i][m].k, rates[i][m].n, level))
			}
			e, _, _, _ := spread(props)
			return e
		}
		t, f := gap(mTPR), gap(mFPR)
		fc.EqualizedOddsDifference = Estimate{Value: max(t.Value, f.Value), Low: max(t.Low, f.Low), High: max(t.High, f.High)}
	}
	return fc
}

// streamSeed derives the seed of one column's and metric's Monte Carlo
// from seed, so that each gets its own reproducible draws.
func streamSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}

// SidakLevel is the level at which each of k independent intervals must
// hold for all k to hold together at level: level^(1/k). It is level when
// k < 2.
func SidakLevel(level float64, k int) float64 {
	if k < 2 {
		return level
	}
	return math.Pow(level, 1/float64(k))
}

// spread returns the gap (max − min) and ratio (min / max) of props, with
// intervals from their simultaneous intervals (see FairnessColumn), and
// the indexes of the lowest and highest rate. props holds at least two
// defined proportions.
func spread(props []Proportion) (gap, ratio Estimate, lowest, highest int) {
	maxL, minU, maxU, minL := math.Inf(-1), math.Inf(1), math.Inf(-1), math.Inf(1)
	for i, p := range props {
		if p.Rate < props[lowest].Rate {
			lowest = i
		}
		if p.Rate > props[highest].Rate {
			highest = i
		}
		maxL, minU = max(maxL, p.Low), min(minU, p.High)
		maxU, minL = max(maxU, p.High), min(minL, p.Low)
	}
	lo, hi := props[lowest].Rate, props[highest].Rate
	gap = Estimate{Value: hi - lo, Low: max(0, maxL-minU), High: maxU - minL}
	ratio = undefinedEstimate()
	if hi > 0 {
		high := 1.0
		if maxL > 0 {
			high = min(1, minU/maxL)
		}
		ratio = Estimate{Value: lo / hi, Low: minL / maxU, High: high}
	}
	return gap, ratio, lowest, highest
}

// whyNotCompared says why fewer than two groups of a column take part in
// metric m's comparison, naming the groups and their denominators.
func whyNotCompared(column string, m int, groups []FairnessGroup, compared int, opts FairnessOptions) string {
	var sizes []string
	for _, g := range groups {
		n := g.N
		if r := g.rate(m); r != nil {
			n = r.N
		}
		if len(sizes) < 6 {
			sizes = append(sizes, fmt.Sprintf("%s has %d", g.Value, n))
		}
	}
	if len(groups) > 6 {
		sizes = append(sizes, fmt.Sprintf("and %d more", len(groups)-6))
	}
	least := opts.minDenominator(m)
	what := denominatorName(m)
	if m == mTPR || m == mFPR || m == mFNR {
		what += fmt.Sprintf(" (label %q)", opts.PositiveLabel)
	}
	if len(groups) < 2 {
		return fmt.Sprintf("column %s has %d group, and a gap needs two", column, len(groups))
	}
	return fmt.Sprintf("%d of %d groups have at least %d %s in groups of at least %d results, and a gap needs two: %s",
		compared, len(groups), least, what, opts.MinGroupSize, strings.Join(sizes, ", "))
}

// sums are the margins of a group's cells.
type sums struct {
	n, correct, predicted, positives, tp, fp int
}

func cellSums(c *[8]int) sums {
	var s sums
	for i, v := range c {
		s.n += v
		if i&4 != 0 {
			s.correct += v
		}
		pred, act := i&2 != 0, i&1 != 0
		if pred {
			s.predicted += v
		}
		if act {
			s.positives += v
		}
		if pred && act {
			s.tp += v
		}
		if pred && !act {
			s.fp += v
		}
	}
	return s
}
