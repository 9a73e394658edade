package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// refRepeatItem and refComputeRepeats are ComputeRepeats as it was before
// RepeatsTally, with maps of answers: the reference the tally is checked
// against.
type refRepeatItem struct {
	n, correct int
	counts     map[string]int
	first      map[string]sampleJudgement
}

func refComputeRepeats(results []records.Result, opts Options) Repeats {
	rep := Repeats{MeanConsistency: math.NaN(), PassAtK: []PassK{}, LeastConsistent: []ItemConsistency{}, Warnings: Warnings{}}
	items := map[string]*refRepeatItem{}
	for _, r := range results {
		scored, correct := opts.judge(r)
		if !scored {
			rep.Unscored++
			continue
		}
		it := items[r.ID]
		if it == nil {
			it = &refRepeatItem{counts: map[string]int{}, first: map[string]sampleJudgement{}}
			items[r.ID] = it
		}
		answer := Normalize(r.Output)
		if r.Error != "" {
			answer = errorAnswer
		}
		it.n++
		if correct {
			it.correct++
		}
		it.counts[answer]++
		if f, ok := it.first[answer]; !ok || r.Sample < f.sample {
			it.first[answer] = sampleJudgement{r.Sample, correct}
		}
	}
	rep.Items = len(items)
	if rep.Items == 0 {
		rep.MeanAccuracy = NewProportion(0, 0, opts.Level)
		rep.MajorityAccuracy = NewProportion(0, 0, opts.Level)
		rep.EffectiveN = math.NaN()
		rep.Warnings = append(rep.Warnings, fmt.Errorf("no result could be scored: no repeat statistics"))
		return rep
	}
	ids := sortedKeys(items)
	var correctSamples, majority int
	consistencySum := 0.0
	var all []ItemConsistency
	for _, id := range ids {
		it := items[id]
		rep.Samples += it.n
		rep.MaxSamples = max(rep.MaxSamples, it.n)
		correctSamples += it.correct
		best, bestAnswer, tie := 0, "", false
		for _, a := range sortedKeys(it.counts) {
			switch c := it.counts[a]; {
			case c > best:
				best, bestAnswer, tie = c, a, false
			case c == best:
				tie = true
			}
		}
		if !tie && it.first[bestAnswer].correct {
			majority++
		}
		ic := ItemConsistency{ID: id, Consistency: float64(best) / float64(it.n), Distinct: len(it.counts), Samples: it.n, Correct: it.correct}
		consistencySum += ic.Consistency
		if ic.Consistency < 1 {
			all = append(all, ic)
		}
	}
	rep.MeanConsistency = consistencySum / float64(rep.Items)
	rep.MajorityAccuracy = NewProportion(majority, rep.Items, opts.Level)

	// Mean accuracy with the item as the cluster.
	p := float64(correctSamples) / float64(rep.Samples)
	rep.EffectiveN = float64(rep.Items)
	if rep.Items > 1 && p > 0 && p < 1 {
		ss := 0.0
		for _, id := range ids {
			it := items[id]
			d := float64(it.correct) - p*float64(it.n)
			ss += d * d
		}
		total := float64(rep.Samples)
		v := float64(rep.Items) / float64(rep.Items-1) * ss / (total * total)
		if v > 0 {
			rep.EffectiveN = min(total, max(float64(rep.Items), p*(1-p)/v))
		} else {
			rep.EffectiveN = total
		}
	}
	rep.MeanAccuracy = NewProportion(correctSamples, rep.Samples, opts.Level)
	rep.MeanAccuracy.Low, rep.MeanAccuracy.High = wilsonN(p, rep.EffectiveN, opts.Level)

	for k := 1; k <= rep.MaxSamples; k++ {
		pk := PassK{K: k}
		sum := 0.0
		for _, id := range ids {
			if it := items[id]; it.n >= k {
				sum += PassAtK(it.n, it.correct, k)
				pk.Items++
			}
		}
		pk.Value = sum / float64(pk.Items)
		rep.PassAtK = append(rep.PassAtK, pk)
	}

	rep.Inconsistent = len(all)
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Consistency != all[j].Consistency {
			return all[i].Consistency < all[j].Consistency
		}
		return all[i].ID < all[j].ID
	})
	rep.LeastConsistent = append(rep.LeastConsistent, all[:min(len(all), LeastConsistentLimit)]...)

	if rep.MaxSamples < 2 {
		rep.Warnings = append(rep.Warnings, fmt.Errorf("one sample per item: consistency and pass@k need repeats of at least 2"))
	}
	if rep.Samples != rep.Items*rep.MaxSamples {
		rep.Warnings = append(rep.Warnings, fmt.Errorf("items have unequal numbers of scored samples (%d samples over %d items, at most %d each): pass@k for larger k averages over fewer items", rep.Samples, rep.Items, rep.MaxSamples))
	}
	if rep.Items < 2 {
		rep.Warnings = append(rep.Warnings, fmt.Errorf("one item: the interval of mean accuracy cannot account for the correlation of its samples"))
	}
	return rep
}

// TestRepeatsTallyMatchesReference checks ComputeRepeats (a RepeatsTally)
// against the map-based definition on random repeated results: items in
// any order, samples in any order, ties, errors, unscored results.
func TestRepeatsTallyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	answers := []string{"Yes", "yes.", "no", "No!", "maybe", ""}
	for _, tc := range []struct {
		name          string
		items, sample int
	}{{"none", 0, 3}, {"one", 1, 1}, {"few", 5, 3}, {"many", 300, 5}, {"more than the listed", 40, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			var results []records.Result
			for s := range tc.sample {
				for i := range tc.items {
					r := records.Result{ID: fmt.Sprintf("q%03d", i), Sample: s, Output: answers[rng.IntN(len(answers))], Expected: "yes"}
					if rng.IntN(15) == 0 {
						r.Error = "boom"
					}
					if rng.IntN(20) != 0 {
						r.Scores = ScoreAll(r.Output, []string{r.Expected})
					}
					results = append(results, r)
				}
			}
			rng.Shuffle(len(results), func(i, j int) { results[i], results[j] = results[j], results[i] })
			for _, method := range []string{"exact", "normalized"} {
				opts := Options{Method: method, Level: 0.95}
				got, err := json.Marshal(ComputeRepeats(results, opts))
				if err != nil {
					t.Fatal(err)
				}
				want, err := json.Marshal(refComputeRepeats(results, opts))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Errorf("%s:\ngot  %s\nwant %s", method, got, want)
				}
			}
		})
	}
}
