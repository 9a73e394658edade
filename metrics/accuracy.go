package metrics

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/evalgate/evalgate/records"
)

// Options are the settings every computation in this package shares.
type Options struct {
	// Method is the scoring method that defines "correct": exact,
	// normalized, contains or f1.
	Method string
	// F1Threshold is the token F1 at or above which method f1 counts an
	// output as correct, in (0, 1].
	F1Threshold float64
	// Level is the confidence level of every interval, in (0, 1).
	Level float64
	// MinGroupSize is the smallest group, in scored results, that takes part
	// in fairness gaps.
	MinGroupSize int
	// Seed seeds every bootstrap (fairness gaps and ratios, regression
	// deltas); any value, 0 included, is a valid seed, and it is recorded
	// with the intervals it produced.
	Seed uint64
	// Resamples is the number of bootstrap resamples; 0 means
	// DefaultResamples (2,000).
	Resamples int
}

// Warnings are statistical caveats that travel with a value. They encode to
// JSON as an array of strings.
type Warnings []error

// MarshalJSON writes the warnings as strings; no warnings is an empty array.
func (w Warnings) MarshalJSON() ([]byte, error) {
	s := make([]string, len(w))
	for i, e := range w {
		s[i] = e.Error()
	}
	return json.Marshal(s)
}

// UnmarshalJSON reads warnings written by MarshalJSON.
func (w *Warnings) UnmarshalJSON(b []byte) error {
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*w = make(Warnings, len(s))
	for i, m := range s {
		(*w)[i] = fmt.Errorf("%s", m)
	}
	return nil
}

// Slice is the accuracy of one named subset of results, such as a task.
type Slice struct {
	Name     string     `json:"name"`
	Accuracy Proportion `json:"accuracy"`
}

// Accuracy summarises how often outputs were correct.
type Accuracy struct {
	// Method is the scoring method that defined "correct".
	Method string `json:"method"`
	// Overall is the share of scored results that were correct. A result
	// whose call failed counts as incorrect: leaving it out would flatter a
	// model that fails on hard items.
	Overall Proportion `json:"overall"`
	// ByMethod is the share correct under each binary method (exact,
	// normalized, contains) and, for f1, the share at or above the threshold.
	ByMethod map[string]Proportion `json:"by_method"`
	// MeanF1 is the mean token F1 over scored results, in [0, 1]; NaN when
	// nothing was scored.
	MeanF1 float64 `json:"-"`
	// ByTask breaks Overall down by the task column, sorted by task name.
	// Results with no task are under "(none)".
	ByTask []Slice `json:"by_task"`
	// Unscored counts results with no reference answer; they are left out
	// of every rate.
	Unscored int `json:"unscored"`
	// Warnings are caveats about these numbers.
	Warnings Warnings `json:"warnings"`
}

// MarshalJSON adds mean_f1, written as null when undefined.
func (a Accuracy) MarshalJSON() ([]byte, error) {
	type plain Accuracy
	return json.Marshal(struct {
		plain
		MeanF1 *float64 `json:"mean_f1"`
	}{plain(a), Finite(a.MeanF1)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (a *Accuracy) UnmarshalJSON(b []byte) error {
	type plain Accuracy
	var w struct {
		plain
		MeanF1 *float64 `json:"mean_f1"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = Accuracy(w.plain)
	a.MeanF1 = OrNaN(w.MeanF1)
	return nil
}

// scored reports whether r has scores, and whether it is correct under opts.
func (o Options) judge(r records.Result) (scored, correct bool) {
	if r.Scores == nil {
		return false, false
	}
	return true, Correct(r.Scores, o.Method, o.F1Threshold)
}

// ComputeAccuracy summarises results under opts. It is a Tally given
// every result.
func ComputeAccuracy(results []records.Result, opts Options) Accuracy {
	t := NewTally(nil, FairnessOptions{Options: opts}, false)
	for i := range results {
		t.Add(&results[i])
	}
	return t.Accuracy()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
