package metrics

import (
	"fmt"
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

// FairnessGroup holds one group's rates, each a Proportion with a Wilson
// interval.
type FairnessGroup struct {
	Value string `json:"value"`
	// N is the number of scored results in the group.
	N int `json:"n"`
	// Accuracy is the share of the group's results that were correct.
	Accuracy Proportion `json:"accuracy"`
	// SelectionRate is the share predicted positive; TPR the share of
	// actual positives predicted positive; FPR the share of actual
	// negatives predicted positive; FNR = 1 − TPR. They are present only
	// when a positive label is configured; a rate with no denominator
	// (for example TPR in a group with no actual positives) is null.
	SelectionRate *Proportion `json:"selection_rate,omitempty"`
	TPR           *Proportion `json:"tpr,omitempty"`
	FPR           *Proportion `json:"fpr,omitempty"`
	FNR           *Proportion `json:"fnr,omitempty"`
	// Small is true when N < MinGroupSize: the group is shown but takes no
	// part in gaps and ratios.
	Small bool `json:"small"`
}

// Disparity compares one metric across the groups of a column that are not
// Small and where the metric is defined.
type Disparity struct {
	// Metric is accuracy, selection_rate, tpr, fpr or fnr.
	Metric string `json:"metric"`
	// Gap is the largest rate minus the smallest, in [0, 1]; Ratio the
	// smallest divided by the largest, in [0, 1] (undefined when the largest
	// is 0). Both are NaN when fewer than two groups qualify.
	Gap   Estimate `json:"gap"`
	Ratio Estimate `json:"ratio"`
	// Lowest and Highest name the groups at the ends of the gap.
	Lowest  string `json:"lowest"`
	Highest string `json:"highest"`
	// Groups counts the groups compared.
	Groups int `json:"groups"`
}

// FairnessColumn is the fairness analysis of one group column or one
// intersection of columns. Every gap and ratio carries a percentile
// bootstrap interval at Level from Resamples resamples seeded with Seed.
// The bootstrap is stratified by group (each group keeps its size) and
// resamples each group's GroupCounts as a multinomial draw.
//
// A caveat the numbers cannot carry: a gap is a maximum minus a minimum, so
// noise alone makes it positive, and when groups truly differ little its
// bootstrap interval sits above the true gap. Read a gap's interval as "how
// large the observed spread could plausibly be", not as a test that the
// true gap is 0.
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
	// EqualizedOddsDifference is max(TPR gap, FPR gap), in [0, 1], with its
	// own bootstrap interval; NaN when either gap is undefined.
	EqualizedOddsDifference Estimate `json:"equalized_odds_difference"`
	// Level, Resamples and Seed describe the bootstrap.
	Level     float64  `json:"level"`
	Resamples int      `json:"resamples"`
	Seed      uint64   `json:"seed"`
	Warnings  Warnings `json:"warnings"`
}

// The metrics of a group, in the order of FairnessColumn.Disparities.
const (
	mAccuracy = iota
	mSelection
	mTPR
	mFPR
	mFNR
	numMetrics
)

func metricName(m int) string {
	switch m {
	case mAccuracy:
		return "accuracy"
	case mSelection:
		return "selection_rate"
	case mTPR:
		return "tpr"
	case mFPR:
		return "fpr"
	default:
		return "fnr"
	}
}

// ComputeGroupFairness analyses fairness over each of columns and each of
// opts.Intersections, reading each scored result's group values from
// Result.Groups (an empty value is MissingGroup). Unscored results are left
// out. Per group it reports n and accuracy, and with a positive label the
// selection rate, TPR, FPR and FNR; across the groups of at least
// MinGroupSize it reports each metric's gap and ratio with bootstrap
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

// FairnessFromCounts is ComputeGroupFairness for one column (or one
// intersection of columns) from its groups' sufficient statistics, for
// callers that stream results and keep only the counts. Its cost is
// O(Resamples × groups), whatever the number of results.
func FairnessFromCounts(columns []string, groups []GroupCounts, opts FairnessOptions) FairnessColumn {
	name := strings.Join(columns, IntersectionSep)
	fc := FairnessColumn{
		Column: name, Columns: columns, PositiveLabel: opts.PositiveLabel,
		Groups: []FairnessGroup{}, Disparities: []Disparity{},
		AccuracyGap: undefinedEstimate(), DemographicParityDifference: undefinedEstimate(),
		DisparateImpact: undefinedEstimate(), EqualizedOddsDifference: undefinedEstimate(),
		Level: opts.Level, Resamples: opts.resamples(), Seed: opts.Seed, Warnings: Warnings{},
	}
	groups = append([]GroupCounts(nil), groups...)
	sort.Slice(groups, func(i, j int) bool { return groups[i].Value < groups[j].Value })
	hasPositive := opts.PositiveLabel != ""
	metrics := 1
	if hasPositive {
		metrics = numMetrics
	}

	var eligible []GroupCounts
	var eligibleRates [][numMetrics]float64
	for _, g := range groups {
		n := g.N()
		c := cellSums(&g.Cells)
		fg := FairnessGroup{Value: g.Value, N: n, Accuracy: NewProportion(c.correct, n, opts.Level), Small: n < opts.MinGroupSize}
		if hasPositive {
			sel := NewProportion(c.predicted, n, opts.Level)
			tpr := NewProportion(c.tp, c.positives, opts.Level)
			fpr := NewProportion(c.fp, n-c.positives, opts.Level)
			fnr := NewProportion(c.positives-c.tp, c.positives, opts.Level)
			fg.SelectionRate, fg.TPR, fg.FPR, fg.FNR = &sel, &tpr, &fpr, &fnr
		}
		fc.Groups = append(fc.Groups, fg)
		if fg.Small {
			fc.Warnings = append(fc.Warnings, fmt.Errorf("group %s=%q has %d scored results, fewer than min_group_size %d: shown, but left out of gaps and ratios", name, g.Value, n, opts.MinGroupSize))
			continue
		}
		eligible = append(eligible, g)
		var rates [numMetrics]float64
		c.rates(&rates)
		eligibleRates = append(eligibleRates, rates)
	}
	if len(eligible) < 2 {
		fc.Warnings = append(fc.Warnings, fmt.Errorf("column %s has %d groups of at least %d results: no gap or ratio can be computed", name, len(eligible), opts.MinGroupSize))
		for m := range metrics {
			fc.Disparities = append(fc.Disparities, Disparity{Metric: metricName(m), Gap: undefinedEstimate(), Ratio: undefinedEstimate()})
		}
		return fc
	}

	// Observed statistics.
	var observed [2*numMetrics + 1]float64
	for m := range metrics {
		d := Disparity{Metric: metricName(m)}
		var lo, hi int
		observed[2*m], observed[2*m+1], d.Groups, lo, hi = spread(eligibleRates, m)
		if d.Groups >= 2 {
			d.Lowest, d.Highest = eligible[lo].Value, eligible[hi].Value
		}
		if undefined := len(eligible) - d.Groups; undefined > 0 {
			fc.Warnings = append(fc.Warnings, fmt.Errorf("%s of column %s is undefined in %d of %d eligible groups (no results in its denominator) and is compared over the other %d", d.Metric, name, undefined, len(eligible), d.Groups))
		}
		fc.Disparities = append(fc.Disparities, d)
	}
	observed[2*numMetrics] = equalizedOdds(observed[:])

	// Bootstrap: each resample draws every eligible group's cells afresh.
	R := opts.resamples()
	boot := make([][]float64, 2*numMetrics+1)
	for i := range boot {
		boot[i] = make([]float64, R)
	}
	probs := make([][]float64, len(eligible))
	for i, g := range eligible {
		n := float64(g.N())
		probs[i] = make([]float64, 8)
		for j, c := range g.Cells {
			probs[i][j] = float64(c) / n
		}
	}
	src := newSource(opts.Seed, "fairness/"+name)
	draws := make([][numMetrics]float64, len(eligible))
	var cells [8]int
	for r := range R {
		for i, g := range eligible {
			multinomial(src, g.N(), probs[i], cells[:])
			s := cellSums(&cells)
			s.rates(&draws[i])
		}
		var stat [2*numMetrics + 1]float64
		for m := range metrics {
			stat[2*m], stat[2*m+1], _, _, _ = spread(draws, m)
			boot[2*m][r], boot[2*m+1][r] = stat[2*m], stat[2*m+1]
		}
		boot[2*numMetrics][r] = equalizedOdds(stat[:])
	}
	interval := func(i int, label string) Estimate {
		e := Estimate{Value: observed[i]}
		if math.IsNaN(e.Value) {
			e.Low, e.High = math.NaN(), math.NaN()
			return e
		}
		var undefined int
		e.Low, e.High, undefined = percentileInterval(boot[i], opts.Level)
		if undefined > 0 {
			fc.Warnings = append(fc.Warnings, fmt.Errorf("%s of column %s was undefined in %d of %d bootstrap resamples (a group drew no results in a denominator); the interval uses the rest", label, name, undefined, R))
		}
		return e
	}
	for m := range metrics {
		d := &fc.Disparities[m]
		d.Gap = interval(2*m, d.Metric+" gap")
		d.Ratio = interval(2*m+1, d.Metric+" ratio")
	}
	fc.AccuracyGap = fc.Disparities[mAccuracy].Gap
	if hasPositive {
		fc.DemographicParityDifference = fc.Disparities[mSelection].Gap
		fc.DisparateImpact = fc.Disparities[mSelection].Ratio
		if !math.IsNaN(fc.DisparateImpact.Value) {
			meets := fc.DisparateImpact.Value >= FourFifths
			fc.MeetsFourFifths = &meets
		}
		fc.EqualizedOddsDifference = interval(2*numMetrics, "equalized odds difference")
	}
	return fc
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

// rates fills out with the group's metrics; a rate with no denominator is NaN.
func (s sums) rates(out *[numMetrics]float64) {
	ratio := func(k, n int) float64 {
		if n == 0 {
			return math.NaN()
		}
		return float64(k) / float64(n)
	}
	out[mAccuracy] = ratio(s.correct, s.n)
	out[mSelection] = ratio(s.predicted, s.n)
	out[mTPR] = ratio(s.tp, s.positives)
	out[mFPR] = ratio(s.fp, s.n-s.positives)
	out[mFNR] = ratio(s.positives-s.tp, s.positives)
}

// spread returns the gap (max − min) and ratio (min / max) of metric m over
// the groups where it is defined, how many those are, and the indexes of
// the lowest and highest. Gap and ratio are NaN below two groups; the ratio
// is NaN when the max is 0.
func spread(rates [][numMetrics]float64, m int) (gap, ratio float64, defined, lowest, highest int) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, r := range rates {
		v := r[m]
		if math.IsNaN(v) {
			continue
		}
		defined++
		if v < lo {
			lo, lowest = v, i
		}
		if v > hi {
			hi, highest = v, i
		}
	}
	if defined < 2 {
		return math.NaN(), math.NaN(), defined, 0, 0
	}
	gap, ratio = hi-lo, math.NaN()
	if hi > 0 {
		ratio = lo / hi
	}
	return gap, ratio, defined, lowest, highest
}

// equalizedOdds is max(TPR gap, FPR gap) from a stat vector laid out as
// FairnessFromCounts's; NaN when either gap is.
func equalizedOdds(stat []float64) float64 {
	t, f := stat[2*mTPR], stat[2*mFPR]
	if math.IsNaN(t) || math.IsNaN(f) {
		return math.NaN()
	}
	return max(t, f)
}
