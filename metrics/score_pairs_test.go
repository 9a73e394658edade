package metrics

import (
	"encoding/json"
	"testing"
)

// TestPairTallyMatchesCompare checks that pairs added one at a time give
// the Regression CompareByGroup computes from the two slices.
func TestPairTallyMatchesCompare(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		method  string
		columns []string
	}{
		{name: "empty", n: 0, method: "exact", columns: []string{"g1"}},
		{name: "one", n: 1, method: "contains"},
		{name: "groups and samples", n: 2000, method: "normalized", columns: []string{"g1", "g2"}},
		{name: "f1", n: 500, method: "f1", columns: []string{"g2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Method: tc.method, Level: 0.95, MinGroupSize: 20, Seed: 3, Resamples: 300, F1Threshold: 0.5}
			cand, base := tallyResults(tc.n, 1), tallyResults(tc.n, 2)
			for i := range base {
				if i%3 == 0 {
					delete(base[i].Groups, "g1") // the candidate's value, or the baseline's, or missing
					delete(cand[i].Groups, "g2")
				}
			}
			pt := NewPairTally(tc.columns, opts)
			for i := range cand {
				pt.Add(&cand[i], &base[i])
			}
			got, err := json.Marshal(pt.Regression())
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(CompareByGroup(cand, base, tc.columns, opts))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if pt.Pairs() != tc.n {
				t.Errorf("Pairs() = %d, want %d", pt.Pairs(), tc.n)
			}
		})
	}
}
