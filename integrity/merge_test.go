package integrity

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/internal/mergetest"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
)

// groundedAnswers draws answers in eval-set order (by row, then sample):
// some items share an id (at different rows), scores repeat so that
// ranks tie, some checks failed with different errors, and a few were
// judged instead of checked lexically.
func groundedAnswers(items int, seed uint64) []GroundedAnswer {
	rng := rand.New(rand.NewPCG(seed, 4))
	var out []GroundedAnswer
	for row := range items {
		id := fmt.Sprintf("q-%03d", row)
		if row%10 == 7 {
			id = fmt.Sprintf("q-%03d", row-1) // a duplicate id
		}
		task := []string{"", "billing", "returns"}[rng.IntN(3)]
		groups := map[string]string{"region": []string{"", "eu", "us"}[rng.IntN(3)]}
		for s := range 1 + rng.IntN(3) {
			a := GroundedAnswer{ID: id, Sample: s, Row: int64(row), Task: task, Groups: groups}
			if rng.IntN(12) == 0 {
				a.Error = fmt.Sprintf("judge error: attempt %d failed", rng.IntN(3))
				out = append(out, a)
				continue
			}
			g := Grounding{Method: GroundLexical}
			if rng.IntN(20) == 0 {
				g.Method = GroundJudge
			}
			supported := 0
			for c := range rng.IntN(4) {
				cl := Claim{Text: fmt.Sprintf("claim %d of %s#%d", c, id, s), Supported: rng.IntN(3) > 0}
				if cl.Supported {
					supported++
				}
				g.Claims = append(g.Claims, cl)
			}
			g.Hallucinated = supported < len(g.Claims)
			g.Abstained = !g.Hallucinated && len(g.Claims) > 0 && rng.IntN(4) == 0
			g.SupportedFraction = 1
			if len(g.Claims) > 0 {
				g.SupportedFraction = float64(supported) / float64(len(g.Claims))
			}
			g.Score = float64(rng.IntN(4)) / 4 // ties
			a.Grounding = g
			out = append(out, a)
		}
	}
	return out
}

func answerIDs(answers []GroundedAnswer) []string {
	ids := make([]string, len(answers))
	for i, a := range answers {
		ids[i] = a.ID
	}
	return ids
}

func TestGroundednessTallyMerge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		items  int
		groups []string
	}{
		{"empty", 0, []string{"region"}},
		{"one item", 1, nil},
		{"many items", 300, []string{"region"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answers := groundedAnswers(tc.items, 21)
			build := func(idx []int) *GroundednessTally {
				t := NewGroundednessTally(tc.groups, 0.95)
				for _, i := range idx {
					t.Add(answers[i])
				}
				return t
			}
			read := func(t *GroundednessTally) any { return t.Result() }
			for _, bad := range mergetest.Mismatches(answerIDs(answers), build, (*GroundednessTally).Merge, read) {
				t.Error(bad)
			}
			if got, want := ComputeGroundedness(answers, tc.groups, 0.95), read(build(mergetest.All(len(answers)))); !mergetest.EqualNaN(got, want) {
				t.Errorf("ComputeGroundedness = %+v, want %+v", got, want)
			}
		})
	}
}

// boundaryItems draws checked outputs in eval-set order, some breaking
// rules, some sharing an id.
func boundaryItems(items int, seed uint64) []BoundaryItem {
	rng := rand.New(rand.NewPCG(seed, 5))
	rules := []string{"max_chars", "must_not_contain", "must_not_match:keys", "json_schema"}
	var out []BoundaryItem
	for row := range items {
		id := fmt.Sprintf("q-%03d", row-row%9/8) // rows 8, 17, … repeat the id before
		groups := map[string]string{"region": []string{"", "eu", "us"}[rng.IntN(3)]}
		for s := range 1 + rng.IntN(3) {
			it := BoundaryItem{ID: id, Sample: s, Row: int64(row), Task: "t", Groups: groups}
			for _, r := range rules {
				if rng.IntN(6) == 0 {
					it.Violations = append(it.Violations, Violation{Rule: r, Detail: fmt.Sprintf("row %d sample %d", row, s)})
				}
			}
			if rng.IntN(40) == 0 {
				it.Violations = append(it.Violations, Violation{Rule: "unlisted", Detail: "x"})
			}
			out = append(out, it)
		}
	}
	return out
}

func TestBoundaryTallyMerge(t *testing.T) {
	rules := []string{"max_chars", "must_not_contain", "must_not_match:keys", "json_schema"}
	for _, tc := range []struct {
		name   string
		items  int
		groups []string
	}{
		{"empty", 0, []string{"region"}},
		{"many items", 300, []string{"region"}},
		{"no groups", 100, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := boundaryItems(tc.items, 2)
			ids := make([]string, len(items))
			for i, it := range items {
				ids[i] = it.ID
			}
			build := func(idx []int) *BoundaryTally {
				t := NewBoundaryTally(rules, tc.groups)
				for _, i := range idx {
					t.Add(items[i])
				}
				return t
			}
			read := func(t *BoundaryTally) any { return t.Result() }
			for _, bad := range mergetest.Mismatches(ids, build, (*BoundaryTally).Merge, read) {
				t.Error(bad)
			}
			if got, want := ComputeBoundaries(rules, items, tc.groups), read(build(mergetest.All(len(items)))); !mergetest.EqualNaN(got, want) {
				t.Errorf("ComputeBoundaries = %+v, want %+v", got, want)
			}
		})
	}
}

func TestPIITallyMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	type unit struct {
		loc PIILocation
		c   PIICounts
	}
	var units []unit
	var ids []string
	for i := range 500 {
		u := unit{loc: PIILocation(rng.IntN(int(NumPIILocations)))}
		for k := range u.c {
			if rng.IntN(5) == 0 {
				u.c[k] = rng.IntN(3)
			}
		}
		units, ids = append(units, u), append(ids, fmt.Sprintf("q-%d", i))
	}
	build := func(idx []int) *PIITally {
		t := new(PIITally)
		for _, i := range idx {
			t.AddCounts(units[i].loc, units[i].c)
		}
		return t
	}
	merge := func(a, b *PIITally) error { a.Merge(b); return nil }
	read := func(t *PIITally) any { return t.Summary() }
	for _, bad := range mergetest.Mismatches(ids, build, merge, read) {
		t.Error(bad)
	}
}

// checkerItems are integrityItems with their rows, two of them sharing an
// id, so that routed answers tie on id and sample.
func checkerItems() ([]records.Item, [][]records.Result) {
	items, results := integrityItems()
	for i := range items {
		items[i].Row = int64(i)
	}
	items[11].ID = items[10].ID
	for j := range results[11] {
		results[11][j].ID = items[11].ID
	}
	return items, results
}

func checkerOptions(t *testing.T) []struct {
	name string
	opts Options
} {
	bounds, err := CompileBoundaries(configs.Boundaries{MaxChars: 45}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name string
		opts Options
	}{
		{"every check", Options{Grounder: NewGrounder(GroundOptions{}), Boundaries: bounds, DetectPII: true, ConfidenceBelow: 0.35, Groups: []string{"region"}, Level: 0.95}},
		{"redacted", Options{Grounder: NewGrounder(GroundOptions{}), Boundaries: bounds, DetectPII: true, Redact: true, ConfidenceBelow: 0.35, Level: 0.95}},
		{"pii only", Options{DetectPII: true, Level: 0.95}},
		// Without judge verdicts every escalated answer is a judge error:
		// the escalation, call and error counts must merge too.
		{"hybrid", Options{Grounder: NewGrounder(GroundOptions{}), Escalation: &Escalation{Band: []float64{0.2, 0.8}}, TaskTypes: map[string]string{"billing": "summary"},
			JudgePrices: &Prices{InputPerMTok: 1, OutputPerMTok: 2, Currency: "USD"}, Groups: []string{"region"}, Level: 0.95}},
	}
}

// checkerOutputs are everything a Checker reports.
type checkerOutputs struct {
	Summary Summary
	Rows    []records.ReviewRow
}

func TestCheckerMerge(t *testing.T) {
	items, results := checkerItems()
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	for _, tc := range checkerOptions(t) {
		t.Run(tc.name, func(t *testing.T) {
			build := func(idx []int) *Checker {
				c := NewChecker(tc.opts)
				for _, i := range idx {
					c.Add(&items[i], results[i], nil)
				}
				return c
			}
			read := func(c *Checker) any { return checkerOutputs{c.Result(), c.ReviewRows()} }
			for _, bad := range mergetest.Mismatches(ids, build, (*Checker).Merge, read) {
				t.Error(bad)
			}
			if tc.opts.Escalation != nil {
				if g := build(mergetest.All(len(items))).Result().Groundedness; g == nil || g.Judge == nil || g.Judge.Escalated == 0 || g.Judge.Escalated == g.Rate.N+g.Errors {
					t.Error("the band escalates no answer or every answer: the case checks too little")
				}
			}
			if tc.opts.ConfidenceBelow > 0 && len(build(mergetest.All(len(items))).ReviewRows()) == 0 {
				t.Error("nothing routed to review: the case checks too little")
			}
		})
	}
}

// TestIntegrityMergeCanFail checks that the merge tests notice a Merge
// that loses something, or orders kept answers by anything but their row.
func TestIntegrityMergeCanFail(t *testing.T) {
	answers := groundedAnswers(300, 21)
	gBuild := func(idx []int) *GroundednessTally {
		t := NewGroundednessTally([]string{"region"}, 0.95)
		for _, i := range idx {
			t.Add(answers[i])
		}
		return t
	}
	gRead := func(t *GroundednessTally) any { return t.Result() }
	bItems := boundaryItems(300, 2)
	bIDs := make([]string, len(bItems))
	for i, it := range bItems {
		bIDs[i] = it.ID
	}
	bBuild := func(idx []int) *BoundaryTally {
		t := NewBoundaryTally([]string{"max_chars"}, []string{"region"})
		for _, i := range idx {
			t.Add(bItems[i])
		}
		return t
	}
	bRead := func(t *BoundaryTally) any { return t.Result() }
	items, results := checkerItems()
	cIDs := make([]string, len(items))
	for i, it := range items {
		cIDs[i] = it.ID
	}
	opts := checkerOptions(t)[0].opts
	cBuild := func(idx []int) *Checker {
		c := NewChecker(opts)
		for _, i := range idx {
			c.Add(&items[i], results[i], nil)
		}
		return c
	}
	cRead := func(c *Checker) any { return checkerOutputs{c.Result(), c.ReviewRows()} }
	rowless := func(h []keptHalluc) []keptHalluc {
		out := make([]keptHalluc, len(h))
		for i, k := range h {
			out[i] = keptHalluc{0, k.HallucinatedAnswer}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		bad  func() []string
	}{
		{"groundedness: first error not the lowest row", func() []string {
			return mergetest.Mismatches(answerIDs(answers), gBuild, func(a, b *GroundednessTally) error {
				first := a.firstError
				err := a.Merge(b)
				if a.errors > 0 && first.err != "" {
					a.firstError = first
				}
				return err
			}, gRead)
		}},
		{"groundedness: rows of hallucinated answers dropped", func() []string {
			return mergetest.Mismatches(answerIDs(answers), gBuild, func(a, b *GroundednessTally) error {
				a.halluc = rowless(a.halluc)
				b2 := *b
				b2.halluc = rowless(b.halluc)
				return a.Merge(&b2)
			}, gRead)
		}},
		{"groundedness: methods dropped", func() []string {
			return mergetest.Mismatches(answerIDs(answers), gBuild, func(a, b *GroundednessTally) error {
				b2 := *b
				b2.methods = map[string]bool{}
				return a.Merge(&b2)
			}, gRead)
		}},
		{"boundaries: a group's counts dropped", func() []string {
			return mergetest.Mismatches(bIDs, bBuild, func(a, b *BoundaryTally) error {
				b2 := *b
				b2.byValue = []map[string]*BoundaryGroupValue{{}}
				return a.Merge(&b2)
			}, bRead)
		}},
		{"checker: review rows dropped", func() []string {
			return mergetest.Mismatches(cIDs, cBuild, func(a, b *Checker) error {
				b2 := *b
				b2.review = b.review[:len(b.review)/2]
				return a.Merge(&b2)
			}, cRead)
		}},
		{"checker: PII not merged", func() []string {
			return mergetest.Mismatches(cIDs, cBuild, func(a, b *Checker) error {
				b2 := *b
				b2.pii = PIITally{}
				return a.Merge(&b2)
			}, cRead)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.bad()) == 0 {
				t.Error("a broken merge passed the merge test")
			}
		})
	}
}

func TestIntegrityMergeMismatch(t *testing.T) {
	bounds, err := CompileBoundaries(configs.Boundaries{MaxChars: 45}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGrounder(GroundOptions{})
	base := Options{Grounder: g, Boundaries: bounds, DetectPII: true, Groups: []string{"region"}, Level: 0.95}
	with := func(f func(*Options)) *Checker { o := base; f(&o); return NewChecker(o) }
	self := NewChecker(base)
	selfG := NewGroundednessTally(nil, 0.95)
	selfB := NewBoundaryTally(nil, nil)
	for _, tc := range []struct {
		name string
		err  error
		want string // in the message; "" for no error
	}{
		{"checker: same options, another grounder", NewChecker(base).Merge(with(func(o *Options) { o.Grounder = NewGrounder(GroundOptions{}) })), ""},
		{"checker: redact", NewChecker(base).Merge(with(func(o *Options) { o.Redact = true })), "redact"},
		{"checker: confidence", NewChecker(base).Merge(with(func(o *Options) { o.ConfidenceBelow = 0.5 })), "confidence"},
		{"checker: groups", NewChecker(base).Merge(with(func(o *Options) { o.Groups = nil })), "groups"},
		{"checker: no grounder", NewChecker(base).Merge(with(func(o *Options) { o.Grounder = nil })), "grounders"},
		{"checker: coverage", NewChecker(base).Merge(with(func(o *Options) { o.Grounder = NewGrounder(GroundOptions{MinCoverage: 0.3}) })), "grounders"},
		{"checker: band", NewChecker(base).Merge(with(func(o *Options) { o.Escalation = &Escalation{Band: []float64{0, 1}} })), "hybrid bands"},
		{"checker: task types", NewChecker(base).Merge(with(func(o *Options) { o.TaskTypes = map[string]string{"a": "summary"} })), "task types"},
		{"checker: judge prices", NewChecker(base).Merge(with(func(o *Options) { o.JudgePrices = &Prices{InputPerMTok: 1} })), "judge prices"},
		{"checker: no boundaries", NewChecker(base).Merge(with(func(o *Options) { o.Boundaries = nil })), "boundary rules"},
		{"checker: itself", self.Merge(self), "itself"},
		{"groundedness: level", NewGroundednessTally(nil, 0.95).Merge(NewGroundednessTally(nil, 0.9)), "level"},
		{"groundedness: groups", NewGroundednessTally([]string{"a"}, 0.95).Merge(NewGroundednessTally(nil, 0.95)), "groups"},
		{"groundedness: itself", selfG.Merge(selfG), "itself"},
		{"boundaries: rules", NewBoundaryTally([]string{"max_chars"}, nil).Merge(NewBoundaryTally(nil, nil)), "rules"},
		{"boundaries: itself", selfB.Merge(selfB), "itself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.want == "" && tc.err != nil:
				t.Errorf("got error %v, want none", tc.err)
			case tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)):
				t.Errorf("got error %v, want one mentioning %q", tc.err, tc.want)
			}
			if tc.err != nil && tc.want != "itself" && !errorsIs(tc.err) {
				t.Errorf("error %v does not wrap metrics.ErrMergeMismatch", tc.err)
			}
		})
	}
}

func errorsIs(err error) bool { return errors.Is(err, metrics.ErrMergeMismatch) }

func BenchmarkCheckerMerge(b *testing.B) {
	items, results := checkerItems()
	bounds, err := CompileBoundaries(configs.Boundaries{MaxChars: 45}, nil)
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Grounder: NewGrounder(GroundOptions{}), Boundaries: bounds, DetectPII: true, ConfidenceBelow: 0.35, Groups: []string{"region"}, Level: 0.95}
	parts := make([]*Checker, 4)
	for i := range parts {
		parts[i] = NewChecker(opts)
	}
	for i := range items {
		parts[i%len(parts)].Add(&items[i], results[i], nil)
	}
	b.ReportAllocs()
	for b.Loop() {
		acc := NewChecker(opts)
		for _, p := range parts {
			if err := acc.Merge(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
