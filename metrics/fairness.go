package metrics

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/evalgate/evalgate/records"
)

// MissingGroup is the group of results whose group value is empty or null.
// Missing values form a group of their own rather than being dropped, since
// the people a dataset failed to describe are often the ones a model fails.
const MissingGroup = "(missing)"

// Group is the accuracy of the results sharing one value of a group column.
type Group struct {
	Value    string     `json:"value"`
	Accuracy Proportion `json:"accuracy"`
	// Small is true when the group has fewer scored results than
	// MinGroupSize; it is shown but takes no part in the gap.
	Small bool `json:"small"`
}

// GroupColumn is the accuracy breakdown over one group column.
type GroupColumn struct {
	Column string `json:"column"`
	// Groups are sorted by value.
	Groups []Group `json:"groups"`
	// Gap is the largest accuracy minus the smallest over groups that are
	// not Small, in [0, 1]; NaN when fewer than two groups qualify.
	Gap float64 `json:"-"`
	// Ratio is the smallest accuracy divided by the largest over groups that
	// are not Small, in [0, 1]; NaN when fewer than two groups qualify or the
	// largest is 0.
	Ratio float64 `json:"-"`
	// Lowest and Highest name the groups at the ends of the gap.
	Lowest   string   `json:"lowest"`
	Highest  string   `json:"highest"`
	Warnings Warnings `json:"warnings"`
}

type groupColumnJSON struct {
	Column   string   `json:"column"`
	Groups   []Group  `json:"groups"`
	Gap      *float64 `json:"gap"`
	Ratio    *float64 `json:"ratio"`
	Lowest   string   `json:"lowest"`
	Highest  string   `json:"highest"`
	Warnings Warnings `json:"warnings"`
}

// MarshalJSON writes undefined gaps and ratios as null.
func (g GroupColumn) MarshalJSON() ([]byte, error) {
	return json.Marshal(groupColumnJSON{g.Column, g.Groups, Finite(g.Gap), Finite(g.Ratio), g.Lowest, g.Highest, g.Warnings})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (g *GroupColumn) UnmarshalJSON(b []byte) error {
	var w groupColumnJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*g = GroupColumn{w.Column, w.Groups, OrNaN(w.Gap), OrNaN(w.Ratio), w.Lowest, w.Highest, w.Warnings}
	return nil
}

// ComputeFairness breaks accuracy down by each of columns, reading each
// result's value from Result.Groups. It reads the group counts of a Tally
// given every result.
func ComputeFairness(results []records.Result, columns []string, opts Options) []GroupColumn {
	t := NewTally(columns, FairnessOptions{Options: opts}, false)
	for i := range results {
		t.Add(&results[i])
	}
	out := make([]GroupColumn, 0, len(columns))
	for i, col := range columns {
		type tally struct{ k, n int }
		byValue := make(map[string]tally, len(t.groups[i]))
		for v, g := range t.groups[i] {
			c := cellSums(&g.Cells)
			byValue[v] = tally{c.correct, c.n}
		}
		gc := GroupColumn{Column: col, Gap: math.NaN(), Ratio: math.NaN(), Warnings: Warnings{}}
		lo, hi := math.Inf(1), math.Inf(-1)
		eligible := 0
		for _, v := range sortedKeys(byValue) {
			t := byValue[v]
			g := Group{Value: v, Accuracy: NewProportion(t.k, t.n, opts.Level), Small: t.n < opts.MinGroupSize}
			gc.Groups = append(gc.Groups, g)
			if g.Small {
				gc.Warnings = append(gc.Warnings, fmt.Errorf("group %s=%q has %d scored results, fewer than min_group_size %d: shown, but left out of the gap", col, v, t.n, opts.MinGroupSize))
				continue
			}
			eligible++
			if g.Accuracy.Rate < lo {
				lo, gc.Lowest = g.Accuracy.Rate, v
			}
			if g.Accuracy.Rate > hi {
				hi, gc.Highest = g.Accuracy.Rate, v
			}
		}
		if eligible >= 2 {
			gc.Gap = hi - lo
			if hi > 0 {
				gc.Ratio = lo / hi
			}
		} else {
			gc.Lowest, gc.Highest = "", ""
			gc.Warnings = append(gc.Warnings, fmt.Errorf("column %s has %d groups of at least %d results: no gap can be computed", col, eligible, opts.MinGroupSize))
		}
		out = append(out, gc)
	}
	return out
}
