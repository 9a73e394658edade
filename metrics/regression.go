package metrics

import (
	"fmt"
	"sort"

	"github.com/evalgate/evalgate/datasets"
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
}

type pairKey struct {
	id     string
	sample int
}

// Compare pairs candidate and baseline results by (id, sample) and reports
// the change in accuracy and which items flipped.
func Compare(candidate, baseline []datasets.Result, opts Options) Regression {
	base := make(map[pairKey]bool, len(baseline))
	baseScored := make(map[pairKey]bool, len(baseline))
	for _, r := range baseline {
		scored, correct := opts.judge(r)
		k := pairKey{r.ID, r.Sample}
		baseScored[k] = scored
		base[k] = correct
	}
	reg := Regression{Warnings: Warnings{}, RightToWrong: []string{}, WrongToRight: []string{}}
	var kc, kb int
	matched := 0
	for _, r := range candidate {
		k := pairKey{r.ID, r.Sample}
		bScored, ok := baseScored[k]
		if !ok {
			reg.Unpaired++
			continue
		}
		matched++
		cScored, cCorrect := opts.judge(r)
		if !cScored || !bScored {
			continue
		}
		reg.Pairs++
		bCorrect := base[k]
		if cCorrect {
			kc++
		}
		if bCorrect {
			kb++
		}
		switch {
		case bCorrect && !cCorrect:
			reg.RightToWrong = append(reg.RightToWrong, flipName(k))
		case !bCorrect && cCorrect:
			reg.WrongToRight = append(reg.WrongToRight, flipName(k))
		}
	}
	reg.Unpaired += len(baseline) - matched
	reg.Candidate = NewProportion(kc, reg.Pairs, opts.Level)
	reg.Baseline = NewProportion(kb, reg.Pairs, opts.Level)
	reg.Delta = reg.Candidate.Rate - reg.Baseline.Rate
	if reg.Pairs == 0 {
		reg.Delta = 0
		reg.Warnings = append(reg.Warnings, fmt.Errorf("no item was scored for both models: no regression can be measured"))
	}
	if reg.Unpaired > 0 {
		reg.Warnings = append(reg.Warnings, fmt.Errorf("%d results have no partner in the other model's results and were left out", reg.Unpaired))
	}
	sort.Strings(reg.RightToWrong)
	sort.Strings(reg.WrongToRight)
	return reg
}

func flipName(k pairKey) string {
	if k.sample == 0 {
		return k.id
	}
	return fmt.Sprintf("%s#%d", k.id, k.sample)
}
