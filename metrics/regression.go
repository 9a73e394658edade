package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/evalgate/evalgate/records"
)

// Regression compares a candidate's results with the production model's on
// the same items.
type Regression struct {
	// Pairs is the number of (id, sample) pairs scored for both models.
	Pairs int `json:"pairs"`
	// Candidate and Baseline are the accuracies over the paired results only.
	Candidate Proportion `json:"candidate"`
	Baseline  Proportion `json:"baseline"`
	// Delta is Candidate.Rate − Baseline.Rate, in [−1, 1].
	Delta float64 `json:"delta"`
	// RightToWrong lists the ids the baseline got right and the candidate
	// got wrong; WrongToRight the reverse. Both are sorted.
	RightToWrong []string `json:"right_to_wrong"`
	WrongToRight []string `json:"wrong_to_right"`
	// Unpaired counts results present for only one of the two models.
	Unpaired int      `json:"unpaired"`
	Warnings Warnings `json:"warnings"`

	// Counts are the pairs in each of the four categories.
	Counts PairCounts `json:"counts"`
	// Discordant is the number of pairs the models disagree on,
	// Counts.RightToWrong + Counts.WrongToRight.
	Discordant int `json:"discordant"`
	// DeltaLow and DeltaHigh bound the paired percentile bootstrap interval
	// of Delta at Level (see PairedDelta); NaN when there are no pairs
	// (encoded as delta_ci_low and delta_ci_high, null when undefined). A
	// non-inferiority rule reads DeltaLow: DeltaLow ≥ −margin.
	DeltaLow  float64 `json:"-"`
	DeltaHigh float64 `json:"-"`
	// McNemarP is the two-sided p-value of McNemar's exact test on the
	// discordant pairs (McNemarExact), in [0, 1].
	McNemarP float64 `json:"mcnemar_p"`
	// ByGroup holds the same comparison within each group of each group
	// column given to CompareByGroup, ordered by column as given, then by
	// value.
	ByGroup []GroupDelta `json:"by_group"`
	// Level, Resamples and Seed describe the bootstrap.
	Level     float64 `json:"level"`
	Resamples int     `json:"resamples"`
	Seed      uint64  `json:"seed"`
}

// MarshalJSON adds delta_ci_low and delta_ci_high, null when undefined.
func (r Regression) MarshalJSON() ([]byte, error) {
	type plain Regression
	return json.Marshal(struct {
		plain
		DeltaLow  *float64 `json:"delta_ci_low"`
		DeltaHigh *float64 `json:"delta_ci_high"`
	}{plain(r), Finite(r.DeltaLow), Finite(r.DeltaHigh)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Regression) UnmarshalJSON(b []byte) error {
	type plain Regression
	var w struct {
		plain
		DeltaLow  *float64 `json:"delta_ci_low"`
		DeltaHigh *float64 `json:"delta_ci_high"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Regression(w.plain)
	r.DeltaLow, r.DeltaHigh = OrNaN(w.DeltaLow), OrNaN(w.DeltaHigh)
	return nil
}

// PairCounts are the sufficient statistics of a paired comparison: the
// number of pairs in each combination of baseline and candidate
// correctness.
type PairCounts struct {
	BothRight    int `json:"both_right"`
	RightToWrong int `json:"right_to_wrong"`
	WrongToRight int `json:"wrong_to_right"`
	BothWrong    int `json:"both_wrong"`
}

// N is the number of pairs.
func (c PairCounts) N() int { return c.BothRight + c.RightToWrong + c.WrongToRight + c.BothWrong }

// Delta is the candidate's accuracy minus the baseline's,
// (WrongToRight − RightToWrong)/N, in [−1, 1]; NaN when N is 0.
func (c PairCounts) Delta() float64 {
	if c.N() == 0 {
		return math.NaN()
	}
	return float64(c.WrongToRight-c.RightToWrong) / float64(c.N())
}

// add counts one pair.
func (c *PairCounts) add(baseline, candidate bool) {
	switch {
	case baseline && candidate:
		c.BothRight++
	case baseline:
		c.RightToWrong++
	case candidate:
		c.WrongToRight++
	default:
		c.BothWrong++
	}
}

// merge adds o's counts to c.
func (c *PairCounts) merge(o PairCounts) {
	c.BothRight += o.BothRight
	c.RightToWrong += o.RightToWrong
	c.WrongToRight += o.WrongToRight
	c.BothWrong += o.BothWrong
}

// PairedDelta is c.Delta() with its paired percentile bootstrap interval at
// level, from resamples resamples (0 means DefaultResamples) seeded with
// seed. Resampling pairs keeps each pair's two outcomes together, so a
// resample of N pairs is a multinomial draw over the four categories; only
// the two discordant counts move the delta, and each resample costs two
// binomial draws whatever N is.
func PairedDelta(c PairCounts, level float64, resamples int, seed uint64) Estimate {
	return pairedDelta(c, level, Options{Resamples: resamples}.resamples(), newSource(seed, "regression"))
}

func pairedDelta(c PairCounts, level float64, resamples int, src rand.Source) Estimate {
	n := c.N()
	e := Estimate{Value: c.Delta(), Low: math.NaN(), High: math.NaN()}
	if n == 0 {
		return e
	}
	nf := float64(n)
	probs := []float64{float64(c.RightToWrong) / nf, float64(c.WrongToRight) / nf, float64(c.BothRight+c.BothWrong) / nf}
	draw := make([]int, 3)
	vals := make([]float64, resamples)
	for r := range vals {
		multinomial(src, n, probs, draw)
		vals[r] = float64(draw[1]-draw[0]) / nf
	}
	e.Low, e.High, _ = percentileInterval(vals, level)
	return e
}

// GroupDelta is the paired comparison within one group.
type GroupDelta struct {
	Column string `json:"column"`
	Value  string `json:"value"`
	// Pairs is the number of pairs in the group; Counts splits them.
	Pairs  int        `json:"pairs"`
	Counts PairCounts `json:"counts"`
	// Candidate and Baseline are the group's accuracies over its pairs.
	Candidate Proportion `json:"candidate"`
	Baseline  Proportion `json:"baseline"`
	// Delta is Candidate.Rate − Baseline.Rate with its paired bootstrap
	// interval.
	Delta Estimate `json:"delta"`
	// McNemarP is McNemar's exact p-value within the group.
	McNemarP float64 `json:"mcnemar_p"`
	// Small is true when Pairs < MinGroupSize; the figures are shown but too
	// few to judge.
	Small bool `json:"small"`
}

type pairKey struct {
	id     string
	sample int
}

// Compare pairs candidate and baseline results by (id, sample) and reports
// the change in accuracy with its paired bootstrap interval, McNemar's exact
// test, and which items flipped. It is CompareByGroup without groups.
func Compare(candidate, baseline []records.Result, opts Options) Regression {
	return CompareByGroup(candidate, baseline, nil, opts)
}

// CompareByGroup is Compare with the comparison repeated within each group
// of each of columns (Regression.ByGroup). A pair's group value is the
// candidate result's, or the baseline's when the candidate has none; an
// empty value is MissingGroup.
func CompareByGroup(candidate, baseline []records.Result, columns []string, opts Options) Regression {
	return PairResults(candidate, baseline, columns, opts).Regression()
}

// PairResults pairs candidate and baseline results by (id, sample) in
// memory, in candidate order, and returns their PairTally, whose
// Regression is CompareByGroup's; results without a partner count as
// unpaired. It is how results files that are not in the same order are
// paired.
func PairResults(candidate, baseline []records.Result, columns []string, opts Options) *PairTally {
	base := make(map[pairKey]int, len(baseline))
	for i, r := range baseline {
		base[pairKey{r.ID, r.Sample}] = i
	}
	t := NewPairTally(columns, opts)
	matched := 0
	for i := range candidate {
		c := &candidate[i]
		j, ok := base[pairKey{c.ID, c.Sample}]
		if !ok {
			t.AddUnpaired(1)
			continue
		}
		matched++
		t.Add(c, &baseline[j])
	}
	t.AddUnpaired(len(baseline) - matched)
	return t
}

func flipName(k pairKey) string {
	if k.sample == 0 {
		return k.id
	}
	return fmt.Sprintf("%s#%d", k.id, k.sample)
}
