package metrics

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/evalgate/evalgate/records"
)

// PairTally accumulates the pairs of a candidate's and a baseline's
// results one pair at a time, for callers that stream both results files
// side by side, and yields the Regression that CompareByGroup computes
// from the same pairs. It keeps the counts per category and per group
// value, and the names of the flipped items (which the Regression lists);
// not the results.
//
// It is exact when the pairs are those CompareByGroup would form: each
// (id, sample) occurs once in each file and every result has its
// partner. The zero PairTally is not usable; call NewPairTally.
type PairTally struct {
	columns  []string
	opts     Options
	counts   PairCounts
	byGroup  []map[string]*PairCounts
	r2w, w2r []string
	pairs    int
	unpaired int
	repeated bool
}

// NewPairTally returns an empty tally that compares within each group of
// each of columns, as CompareByGroup does.
func NewPairTally(columns []string, opts Options) *PairTally {
	t := &PairTally{columns: columns, opts: opts, byGroup: make([]map[string]*PairCounts, len(columns)),
		r2w: []string{}, w2r: []string{}}
	for i := range t.byGroup {
		t.byGroup[i] = map[string]*PairCounts{}
	}
	return t
}

// Add counts candidate c and its baseline partner b, which have the same
// id and sample. Neither is kept.
func (t *PairTally) Add(c, b *records.Result) {
	t.pairs++
	bScored, bCorrect := t.opts.judge(*b)
	cScored, cCorrect := t.opts.judge(*c)
	if !cScored || !bScored {
		return
	}
	t.repeated = t.repeated || c.Sample > 0
	t.counts.add(bCorrect, cCorrect)
	switch {
	case bCorrect && !cCorrect:
		t.r2w = append(t.r2w, flipName(pairKey{c.ID, c.Sample}))
	case !bCorrect && cCorrect:
		t.w2r = append(t.w2r, flipName(pairKey{c.ID, c.Sample}))
	}
	for i, col := range t.columns {
		v := c.Groups[col]
		if v == "" {
			v = b.Groups[col]
		}
		if v == "" {
			v = MissingGroup
		}
		pc := t.byGroup[i][v]
		if pc == nil {
			pc = &PairCounts{}
			t.byGroup[i][v] = pc
		}
		pc.add(bCorrect, cCorrect)
	}
}

// AddUnpaired counts n results that have no partner in the other model's
// results; the Regression reports them and warns.
func (t *PairTally) AddUnpaired(n int) { t.unpaired += n }

// Pairs is the number of pairs added.
func (t *PairTally) Pairs() int { return t.pairs }

// Merge adds to t every pair and unpaired result o has counted; o is not
// changed. Afterwards t's Regression equals, bit for bit and bootstrap
// intervals included, that of one tally given the pairs of both in any
// order. Each pair is counted on its own, so the parts may be split any
// way; to give CompareByGroup's Regression of the whole, split by item id
// so that a pair's two results fall in the same part (a result whose
// partner is in another part would count as unpaired twice).
//
// Both tallies must have been made by NewPairTally with the same columns
// and options (seed and resamples included; Resamples 0 and
// DefaultResamples are the same); otherwise Merge changes nothing and
// returns an error wrapping ErrMergeMismatch. Merging a tally into itself
// is an error too.
func (t *PairTally) Merge(o *PairTally) error {
	switch {
	case o == t:
		return errors.New("merge pair tally: a tally cannot be merged into itself")
	case t.opts.normal() != o.opts.normal():
		return fmt.Errorf("merge pair tally: %w: options %+v and %+v", ErrMergeMismatch, t.opts, o.opts)
	case !slices.Equal(t.columns, o.columns):
		return fmt.Errorf("merge pair tally: %w: group columns %q and %q", ErrMergeMismatch, t.columns, o.columns)
	}
	t.pairs += o.pairs
	t.unpaired += o.unpaired
	t.repeated = t.repeated || o.repeated
	t.counts.merge(o.counts)
	t.r2w = append(t.r2w, o.r2w...)
	t.w2r = append(t.w2r, o.w2r...)
	for i, groups := range o.byGroup {
		for v, c := range groups {
			d := t.byGroup[i][v]
			if d == nil {
				d = &PairCounts{}
				t.byGroup[i][v] = d
			}
			d.merge(*c)
		}
	}
	return nil
}

// Regression is CompareByGroup over the pairs added. Its cost does not
// depend on the number of pairs, beyond sorting the flipped items.
func (t *PairTally) Regression() Regression {
	opts := t.opts
	reg := Regression{Warnings: Warnings{}, RightToWrong: slices.Clone(t.r2w), WrongToRight: slices.Clone(t.w2r), ByGroup: []GroupDelta{},
		Level: opts.Level, Resamples: opts.resamples(), Seed: opts.Seed}
	reg.Counts = t.counts
	reg.Unpaired = t.unpaired
	reg.Pairs = reg.Counts.N()
	c := reg.Counts
	reg.Candidate = NewProportion(c.BothRight+c.WrongToRight, reg.Pairs, opts.Level)
	reg.Baseline = NewProportion(c.BothRight+c.RightToWrong, reg.Pairs, opts.Level)
	reg.Discordant = c.RightToWrong + c.WrongToRight
	reg.McNemarP = McNemarExact(c.RightToWrong, c.WrongToRight)
	d := pairedDelta(c, opts.Level, reg.Resamples, newSource(opts.Seed, "regression"))
	reg.Delta = reg.Candidate.Rate - reg.Baseline.Rate
	reg.DeltaLow, reg.DeltaHigh = d.Low, d.High
	if reg.Pairs == 0 {
		reg.Delta = 0
		reg.Warnings = append(reg.Warnings, fmt.Errorf("no item was scored for both models: no regression can be measured"))
	} else if reg.Discordant == 0 {
		reg.Warnings = append(reg.Warnings, fmt.Errorf("the models agree on all %d pairs: the delta's interval is the single point 0", reg.Pairs))
	}
	if reg.Unpaired > 0 {
		reg.Warnings = append(reg.Warnings, fmt.Errorf("%d results have no partner in the other model's results and were left out", reg.Unpaired))
	}
	if t.repeated {
		reg.Warnings = append(reg.Warnings, fmt.Errorf("pairs include repeated samples of the same items, which are not independent: the delta's interval and McNemar's test are too optimistic"))
	}
	for i, col := range t.columns {
		for _, v := range sortedKeys(t.byGroup[i]) {
			pc := *t.byGroup[i][v]
			n := pc.N()
			gd := GroupDelta{Column: col, Value: v, Pairs: n, Counts: pc,
				Candidate: NewProportion(pc.BothRight+pc.WrongToRight, n, opts.Level),
				Baseline:  NewProportion(pc.BothRight+pc.RightToWrong, n, opts.Level),
				Delta:     pairedDelta(pc, opts.Level, reg.Resamples, newSource(opts.Seed, "regression/"+col+"="+v)),
				McNemarP:  McNemarExact(pc.RightToWrong, pc.WrongToRight),
				Small:     n < opts.MinGroupSize,
			}
			if gd.Small {
				reg.Warnings = append(reg.Warnings, fmt.Errorf("group %s=%q has %d pairs, fewer than min_group_size %d: its delta is shown but too uncertain to judge", col, v, n, opts.MinGroupSize))
			}
			reg.ByGroup = append(reg.ByGroup, gd)
		}
	}
	sort.Strings(reg.RightToWrong)
	sort.Strings(reg.WrongToRight)
	return reg
}
