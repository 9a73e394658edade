package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/evalgate/evalgate/records"
	"gonum.org/v1/gonum/stat/distuv"
)

// LeastConsistentLimit caps Repeats.LeastConsistent.
const LeastConsistentLimit = 20

// errorAnswer is the answer key of a failed call: failures agree with each
// other but never with a real answer, even an empty one.
const errorAnswer = "\x00error"

// Repeats summarises several samples per item (repeats: k), for models that
// do not answer the same way twice.
type Repeats struct {
	// Items counts items with at least one scored sample; Samples counts
	// scored samples over all items.
	Items   int `json:"items"`
	Samples int `json:"samples"`
	// MaxSamples is the largest number of scored samples of one item (the
	// configured repeats, unless some were not scored).
	MaxSamples int `json:"max_samples"`
	// MeanAccuracy is the share of all samples that were correct (K of N
	// samples). Its interval treats the item, not the sample, as the unit:
	// samples of one item are correlated, so it is a Wilson interval at
	// EffectiveN, the Korn–Graubard effective sample size
	// p(1−p)/v, where v is the cluster (ratio-estimator) variance of the
	// rate over items, kept within [Items, Samples]. With one sample per
	// item it is the ordinary Wilson interval.
	MeanAccuracy Proportion `json:"mean_accuracy"`
	// EffectiveN is the sample size behind MeanAccuracy's interval, in
	// [Items, Samples].
	EffectiveN float64 `json:"-"`
	// MajorityAccuracy is the share of items whose majority answer is
	// correct, with a Wilson interval over items. The majority answer is the
	// normalized output (Normalize) given by the most samples; a tie between
	// two or more answers counts as incorrect, since the model has no
	// answer it prefers. Whether the majority answer is correct is judged on
	// the first sample (lowest Sample index) that gave it.
	MajorityAccuracy Proportion `json:"majority_accuracy"`
	// MeanConsistency is the mean over items of the share of the item's
	// samples whose normalized output equals the majority answer, in
	// [1/k, 1]; NaN when no item was scored.
	MeanConsistency float64 `json:"-"`
	// PassAtK holds the unbiased pass@k (Chen et al. 2021) for k = 1 up to
	// MaxSamples, averaged over the items with at least k samples.
	PassAtK []PassK `json:"pass_at_k"`
	// LeastConsistent lists the items whose samples disagree (consistency
	// below 1), least consistent first, then by id, at most
	// LeastConsistentLimit of them.
	LeastConsistent []ItemConsistency `json:"least_consistent"`
	// Inconsistent counts every item with consistency below 1.
	Inconsistent int `json:"inconsistent"`
	// Unscored counts results with no reference answer; they are left out.
	Unscored int      `json:"unscored"`
	Warnings Warnings `json:"warnings"`
}

// PassK is pass@k for one k.
type PassK struct {
	// K is the number of samples drawn, from 1.
	K int `json:"k"`
	// Value is the mean over Items items of PassAtK(n_i, c_i, K), in [0, 1].
	Value float64 `json:"value"`
	// Items counts the items with at least K scored samples.
	Items int `json:"items"`
}

// ItemConsistency describes how one item's samples agree.
type ItemConsistency struct {
	ID string `json:"id"`
	// Consistency is the share of samples that gave the majority answer,
	// in (0, 1].
	Consistency float64 `json:"consistency"`
	// Distinct counts the different normalized answers; Samples the scored
	// samples; Correct those judged correct.
	Distinct int `json:"distinct"`
	Samples  int `json:"samples"`
	Correct  int `json:"correct"`
}

// MarshalJSON adds mean_consistency, written as null when undefined.
func (r Repeats) MarshalJSON() ([]byte, error) {
	type plain Repeats
	return json.Marshal(struct {
		plain
		MeanConsistency *float64 `json:"mean_consistency"`
		EffectiveN      *float64 `json:"effective_n"`
	}{plain(r), Finite(r.MeanConsistency), Finite(r.EffectiveN)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Repeats) UnmarshalJSON(b []byte) error {
	type plain Repeats
	var w struct {
		plain
		MeanConsistency *float64 `json:"mean_consistency"`
		EffectiveN      *float64 `json:"effective_n"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = Repeats(w.plain)
	r.MeanConsistency = OrNaN(w.MeanConsistency)
	r.EffectiveN = OrNaN(w.EffectiveN)
	return nil
}

// repeatItem gathers one item's samples: how many, how many correct,
// and its distinct normalized answers (the first inline, as most items
// have one).
type repeatItem struct {
	n, correct int
	first      repeatAnswer
	more       []repeatAnswer
}

// repeatAnswer is one distinct answer of an item: how many samples gave
// it, and the correctness of its lowest-index sample.
type repeatAnswer struct {
	answer string
	count  int
	first  sampleJudgement
}

type sampleJudgement struct {
	sample  int
	correct bool
}

// RepeatsTally accumulates results one at a time and yields the Repeats
// that ComputeRepeats computes from the same results. It keeps, per item,
// the number of samples and of correct ones and each distinct normalized
// answer with its count, not the results: its memory grows with the
// items and their distinct answers. The zero RepeatsTally is not usable;
// call NewRepeatsTally.
type RepeatsTally struct {
	opts     Options
	items    map[string]*repeatItem
	unscored int
	norm     normalizer
	answers  map[string]string // normalized answers, interned
}

// maxRepeatAnswers bounds the normalized answers a RepeatsTally interns.
const maxRepeatAnswers = 1 << 16

// NewRepeatsTally returns an empty tally judging results under opts.
func NewRepeatsTally(opts Options) *RepeatsTally {
	return &RepeatsTally{opts: opts, items: map[string]*repeatItem{}, answers: map[string]string{}}
}

// ComputeRepeats summarises results holding several samples per item
// (Result.Sample 0..k−1) under opts: mean and majority-vote accuracy,
// per-item consistency, pass@k and the least consistent items.
func ComputeRepeats(results []records.Result, opts Options) Repeats {
	t := NewRepeatsTally(opts)
	for i := range results {
		t.Add(&results[i])
	}
	return t.Repeats()
}

// Add counts one result; r is read, not kept.
func (t *RepeatsTally) Add(r *records.Result) {
	scored, correct := t.opts.judge(*r)
	if !scored {
		t.unscored++
		return
	}
	it := t.items[r.ID]
	if it == nil {
		it = &repeatItem{}
		// A copy: r.ID may share memory with other strings the map must
		// not keep alive.
		t.items[strings.Clone(r.ID)] = it
	}
	answer := errorAnswer
	if r.Error == "" {
		answer = t.answer(r.Output)
	}
	it.n++
	if correct {
		it.correct++
	}
	if it.n == 1 {
		it.first = repeatAnswer{answer: answer, count: 1, first: sampleJudgement{r.Sample, correct}}
		return
	}
	a := &it.first
	for i := 0; a.answer != answer; i++ {
		if i == len(it.more) {
			it.more = append(it.more, repeatAnswer{answer: answer, first: sampleJudgement{r.Sample, correct}})
			a = &it.more[i]
			break
		}
		a = &it.more[i]
	}
	a.count++
	if r.Sample < a.first.sample {
		a.first = sampleJudgement{r.Sample, correct}
	}
}

// answer returns Normalize(output), interned.
func (t *RepeatsTally) answer(output string) string {
	t.norm.normalize(output)
	b := t.norm.joined()
	if s, ok := t.answers[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t.answers) < maxRepeatAnswers {
		t.answers[s] = s
	}
	return s
}

// Merge adds to t every result o has counted; o is not changed.
// Afterwards t's Repeats equals, bit for bit, that of one tally given the
// results of both in any order. Shard by item id (every sample of an item
// in one part) for the usual case; an item whose samples are split
// between the parts is merged too (its counts add, and each answer keeps
// the correctness of its lowest sample), which is exact unless the same
// (id, sample) was added to both with different correctness, when t's
// wins.
//
// Both tallies must have been made by NewRepeatsTally with the same
// options (Resamples 0 and DefaultResamples are the same); otherwise Merge
// changes nothing and returns an error wrapping ErrMergeMismatch. Merging
// a tally into itself is an error too.
func (t *RepeatsTally) Merge(o *RepeatsTally) error {
	switch {
	case o == t:
		return errors.New("merge repeats tally: a tally cannot be merged into itself")
	case t.opts.normal() != o.opts.normal():
		return fmt.Errorf("merge repeats tally: %w: options %+v and %+v", ErrMergeMismatch, t.opts, o.opts)
	}
	t.unscored += o.unscored
	for id, oi := range o.items {
		it := t.items[id]
		if it == nil {
			it = &repeatItem{n: oi.n, correct: oi.correct, first: oi.first, more: slices.Clone(oi.more)}
			t.items[id] = it
			continue
		}
		it.n += oi.n
		it.correct += oi.correct
		it.mergeAnswer(oi.first)
		for _, a := range oi.more {
			it.mergeAnswer(a)
		}
	}
	return nil
}

// mergeAnswer counts answer b's samples in it.
func (it *repeatItem) mergeAnswer(b repeatAnswer) {
	a := &it.first
	for i := 0; a.answer != b.answer; i++ {
		if i == len(it.more) {
			it.more = append(it.more, b)
			return
		}
		a = &it.more[i]
	}
	a.count += b.count
	if b.first.sample < a.first.sample {
		a.first = b.first
	}
}

// Repeats is ComputeRepeats over the results added.
func (t *RepeatsTally) Repeats() Repeats {
	opts := t.opts
	items := t.items
	rep := Repeats{MeanConsistency: math.NaN(), PassAtK: []PassK{}, LeastConsistent: []ItemConsistency{}, Warnings: Warnings{}, Unscored: t.unscored}
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
	var answers []repeatAnswer
	for _, id := range ids {
		it := items[id]
		rep.Samples += it.n
		rep.MaxSamples = max(rep.MaxSamples, it.n)
		correctSamples += it.correct
		// The answers in sorted order, as a map's sorted keys, in a
		// scratch slice: sorting it.more in place could lose an answer.
		answers = append(append(answers[:0], it.first), it.more...)
		sort.Slice(answers, func(i, j int) bool { return answers[i].answer < answers[j].answer })
		best, bestFirst, tie := 0, sampleJudgement{}, false
		for _, a := range answers {
			switch c := a.count; {
			case c > best:
				best, bestFirst, tie = c, a.first, false
			case c == best:
				tie = true
			}
		}
		if !tie && bestFirst.correct {
			majority++
		}
		ic := ItemConsistency{ID: id, Consistency: float64(best) / float64(it.n), Distinct: len(answers), Samples: it.n, Correct: it.correct}
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

// wilsonN is the Wilson interval for a rate p observed over n trials, where n
// may be fractional (an effective sample size). It returns NaN bounds unless
// n > 0, p is in [0, 1] and level is in (0, 1).
func wilsonN(p, n, level float64) (low, high float64) {
	if !(n > 0) || !(p >= 0 && p <= 1) || !(level > 0 && level < 1) {
		return math.NaN(), math.NaN()
	}
	z := distuv.UnitNormal.Quantile((1 + level) / 2)
	z2 := z * z
	denom := 1 + z2/n
	centre := (p + z2/(2*n)) / denom
	half := z / denom * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	low, high = centre-half, centre+half
	if p == 0 {
		low = 0
	}
	if p == 1 {
		high = 1
	}
	return max(0, low), min(1, high)
}
