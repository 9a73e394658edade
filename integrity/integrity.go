package integrity

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
)

// Reasons an answer is routed to human review.
const (
	ReviewLowConfidence = "low_confidence"
	ReviewHallucinated  = "hallucinated"
	ReviewJudgeError    = "judge_error"
	// ReviewBoundary prefixes a broken rule's name: "boundary:max_chars".
	ReviewBoundary = "boundary:"
)

// Options configure an Checker.
type Options struct {
	// Grounder checks answers with the lexical method; nil turns the
	// lexical check off (for method judge or off).
	Grounder *Grounder
	// Judge marks that groundedness comes from a judge: Add is then given
	// each answer's judged grounding.
	Judge bool
	// Escalation, with a Grounder and without Judge, is method hybrid:
	// every answer is checked lexically, and an answer whose lexical
	// score falls in its task's band takes the judge's verdict instead
	// (Add's judged is called for it only).
	Escalation *Escalation
	// TaskTypes maps tasks to benchmark task types for the calibration
	// the summary states (groundedness.task_types).
	TaskTypes map[string]string
	// JudgePrices, when set, turns the judge's tokens into a cost.
	JudgePrices *Prices
	// Boundaries are the output rules; nil checks none.
	Boundaries *Boundaries
	// DetectPII counts personal data in prompts, contexts and outputs.
	DetectPII bool
	// Redact marks that outputs were redacted (pii.redact): the checker then
	// redacts inputs, contexts and references too before comparing or
	// quoting them, so that placeholders meet placeholders and no value
	// reaches the report or the review file.
	Redact bool
	// ConfidenceBelow routes answers whose confidence is measured and below
	// it; 0 turns confidence routing off.
	ConfidenceBelow float64
	// Groups are the fairness group columns to break counts down by.
	Groups []string
	// Level is the confidence level of intervals, for example 0.95.
	Level float64
}

// Judged is a judge's verdict on one answer: the grounding built from it,
// or why there is none ("judge error: …").
type Judged struct {
	Grounding Grounding
	Err       string
	// PromptTokens and CompletionTokens are the usage of the judge call
	// that gave the verdict; 0 when there was none.
	PromptTokens, CompletionTokens int
}

// Checker checks outputs beyond correctness — groundedness,
// boundaries, PII — and routes answers to human review, one item at a time.
// Build it with NewChecker, call Add for every item in order, then
// Result. It is not safe for concurrent use, except for Check and
// CheckAnswers: a pipeline checks items in parallel with those and
// records them in order with Record. Its memory grows with the
// answers routed to review, not with the answers checked.
type Checker struct {
	opts      Options
	grounded  *GroundednessTally
	bounds    *BoundaryTally
	pii       PIITally
	review    []reviewEntry
	anyGround bool
	judge     judgeCount
}

// reviewEntry is one answer routed to review: its item's eval-set row,
// which orders answers with the same id and sample, and what the report
// and the review file show of it.
type reviewEntry struct {
	row  int64
	item ReviewItem
	file records.ReviewRow
}

// NewChecker returns a checker with opts.
func NewChecker(opts Options) *Checker {
	return &Checker{opts: opts, grounded: NewGroundednessTally(opts.Groups, opts.Level),
		bounds: NewBoundaryTally(opts.Boundaries.Rules(), opts.Groups)}
}

// Add checks the results of one item: every sample the model answered.
// Failed calls are not checked (they count as errors elsewhere). judged,
// when the method is judge, returns the judge's verdict on a sample; it is
// not called otherwise. Add is Record(Check(item, results, judged)).
func (c *Checker) Add(item *records.Item, results []records.Result, judged func(sample int) Judged) {
	c.Record(c.Check(item, results, judged))
}

// ItemCheck is what Check found in one item and its results, for Record
// to add to the checker's tallies.
type ItemCheck struct {
	item    bool // the item's prompt and context were counted
	prompt  PIICounts
	context *PIICounts // nil when the item has no context
	answers []answerCheck
}

// answerCheck is what Check found in one answer.
type answerCheck struct {
	pii      PIICounts
	grounded *GroundedAnswer // nil when not checked
	bounds   *BoundaryItem   // nil when not checked
	review   *reviewEntry    // nil when not routed
	judge    judgeCount      // the judge's work on it
}

// Check checks one item and the results of it given, as Add does, without
// recording anything: Record adds the returned ItemCheck to the tallies.
// Unlike Add, Check is safe for concurrent use, so that items can be
// checked in parallel and recorded in order. An item's results may be
// checked in parts: Check with the first part, then CheckAnswers with each
// of the others, recorded in that order, give the tallies one Check with
// all of them would.
func (c *Checker) Check(item *records.Item, results []records.Result, judged func(sample int) Judged) ItemCheck {
	return c.check(item, results, judged, true)
}

// CheckAnswers is Check without the item's own texts: it checks the
// answers in results, but does not count the PII of the item's prompt and
// context, which Check counted with the item's first results.
func (c *Checker) CheckAnswers(item *records.Item, results []records.Result, judged func(sample int) Judged) ItemCheck {
	return c.check(item, results, judged, false)
}

func (c *Checker) check(item *records.Item, results []records.Result, judged func(sample int) Judged, withItem bool) ItemCheck {
	o := &c.opts
	var ic ItemCheck
	input, system, expected, context := item.Input, item.System, item.Expected, item.Context
	if len(item.Messages) > 0 {
		// The conversation is the prompt: its PII is counted, and a
		// reviewer sees it.
		input = Transcript(item.Messages)
	}
	if o.Redact {
		input, system, expected = RedactPII(input), RedactPII(system), RedactPII(expected)
		context = make([]string, len(item.Context))
		for i, p := range item.Context {
			context[i] = RedactPII(p)
		}
	}
	if o.DetectPII && withItem {
		ic.item = true
		ic.prompt = CountPII(system)
		ic.prompt.Add(CountPII(input))
		if len(context) > 0 {
			var n PIICounts
			for _, p := range context {
				n.Add(CountPII(p))
			}
			ic.context = &n
		}
	}
	var groups map[string]string
	for i := range results {
		res := &results[i]
		if res.Error != "" {
			continue
		}
		if groups == nil {
			groups = make(map[string]string, len(o.Groups))
			for _, g := range o.Groups {
				groups[g] = item.Extra[g]
			}
		}
		var a answerCheck
		if o.DetectPII {
			a.pii = CountPII(res.Output)
		}
		var reasons, evidence []string
		if o.ConfidenceBelow > 0 && res.Confidence > 0 && res.Confidence < o.ConfidenceBelow {
			reasons = append(reasons, ReviewLowConfidence)
		}
		if len(item.Context) > 0 && (o.Grounder != nil || o.Judge) {
			ga := GroundedAnswer{ID: item.ID, Sample: res.Sample, Row: item.Row, Task: item.Task, Groups: groups}
			ask := o.Judge
			if !o.Judge {
				ga.Grounding = o.Grounder.GroundTask(res.Output, context, o.TaskTypes[item.Task])
				// An answer without claims gives a judge nothing to check:
				// it is not escalated (and not sent).
				if o.Escalation != nil && o.Escalation.Escalate(item.Task, ga.Grounding.Score) && len(SplitClaims(res.Output)) > 0 {
					ask = true
					a.judge.escalated = 1
				}
			}
			if ask {
				// A judge error replaces the lexical verdict too: the
				// answer is counted as an error, never as supported.
				var j Judged
				if judged != nil {
					j = judged(res.Sample)
				} else {
					j.Err = "judge error: no judge verdicts to look up"
				}
				ga.Grounding, ga.Error = j.Grounding, j.Err
				a.judge.prompt, a.judge.completion = j.PromptTokens, j.CompletionTokens
				if j.Err != "" || len(j.Grounding.Claims) > 0 {
					a.judge.calls = 1 // an answer without claims is not sent
				}
				if j.Err != "" {
					a.judge.errors = 1
				}
			}
			switch {
			case ga.Error != "":
				reasons = append(reasons, ReviewJudgeError)
				evidence = append(evidence, ga.Error)
			case ga.Grounding.Hallucinated:
				reasons = append(reasons, ReviewHallucinated)
				for _, cl := range ga.Grounding.Unsupported() {
					evidence = append(evidence, "unsupported: "+claimEvidence(cl))
				}
			}
			a.grounded = &ga
		}
		if o.Boundaries != nil {
			v := o.Boundaries.Check(res.Output, item.MustNotContain)
			a.bounds = &BoundaryItem{ID: item.ID, Sample: res.Sample, Row: item.Row, Task: item.Task, Groups: groups, Violations: v}
			for _, x := range v {
				reasons = append(reasons, ReviewBoundary+x.Rule)
				evidence = append(evidence, x.Rule+": "+x.Detail)
			}
		}
		if len(reasons) > 0 {
			ri := ReviewItem{ID: item.ID, Sample: res.Sample, Task: item.Task, Reasons: reasons}
			row := records.ReviewRow{ID: item.ID, Sample: int32(res.Sample), Task: item.Task, Groups: joinGroups(o.Groups, groups),
				Reasons: strings.Join(reasons, "; "), Input: input, Expected: expected, Output: res.Output, Evidence: strings.Join(evidence, "\n")}
			if res.Confidence > 0 {
				conf := res.Confidence
				ri.Confidence, row.Confidence = &conf, &conf
			}
			a.review = &reviewEntry{item.Row, ri, row}
		}
		ic.answers = append(ic.answers, a)
	}
	return ic
}

// Record adds what Check found to the tallies. The order of Records does
// not change the Result or the ReviewRows: every count is a sum and every
// list is sorted on reading, ties broken by the item's eval-set row.
func (c *Checker) Record(ic ItemCheck) {
	if ic.item {
		c.pii.AddCounts(PIIPrompt, ic.prompt)
		if ic.context != nil {
			c.pii.AddCounts(PIIContext, *ic.context)
		}
	}
	for i := range ic.answers {
		a := &ic.answers[i]
		if c.opts.DetectPII {
			c.pii.AddCounts(PIIOutput, a.pii)
		}
		if a.grounded != nil {
			c.anyGround = true
			c.grounded.Add(*a.grounded)
		}
		c.judge.add(a.judge)
		if a.bounds != nil {
			c.bounds.Add(*a.bounds)
		}
		if a.review != nil {
			c.review = append(c.review, *a.review)
		}
	}
}

// claimEvidence renders one unsupported claim with what gave it away.
func claimEvidence(cl Claim) string {
	var why []string
	if len(cl.Missing) > 0 {
		why = append(why, "not in the context: "+strings.Join(cl.Missing, ", "))
	}
	if len(cl.Contradicted) > 0 {
		why = append(why, "contradicted: "+strings.Join(cl.Contradicted, ", "))
	}
	if len(cl.Uncovered) > 0 && len(why) == 0 {
		why = append(why, "uncovered words: "+strings.Join(cl.Uncovered, ", "))
	}
	if cl.Reason != "" {
		why = append(why, "judge: "+cl.Reason)
	}
	if len(why) == 0 {
		return fmt.Sprintf("%q", cl.Text)
	}
	return fmt.Sprintf("%q (%s)", cl.Text, strings.Join(why, "; "))
}

func joinGroups(cols []string, groups map[string]string) string {
	parts := make([]string, 0, len(cols))
	for _, g := range cols {
		parts = append(parts, g+"="+cmp.Or(groups[g], metrics.MissingGroup))
	}
	return strings.Join(parts, "; ")
}

// Summary is what the checks found: each part is nil when its check was
// off or had nothing to check.
type Summary struct {
	// Groundedness covers the answers whose item has context.
	Groundedness *Groundedness `json:"groundedness,omitempty"`
	// Boundaries counts rule violations; its Violations is the gate metric
	// boundaries.violations.
	Boundaries *BoundaryReport `json:"boundaries,omitempty"`
	// PII counts personal data by kind and by where it was found.
	PII *PIISummary `json:"pii,omitempty"`
	// Review lists the answers routed to human review.
	Review Review `json:"review"`
}

// Review is the answers routed to human review.
type Review struct {
	// ConfidenceBelow is the confidence threshold that routes an answer; 0
	// when confidence routing is off.
	ConfidenceBelow float64 `json:"confidence_below"`
	// Routed counts the routed answers; ByReason counts them by reason (an
	// answer may have several), sorted by reason.
	Routed   int           `json:"routed"`
	ByReason []ReasonCount `json:"by_reason"`
	// Items are the routed answers, by id then sample.
	Items []ReviewItem `json:"items"`
}

// ReasonCount is how many routed answers have one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// ReviewItem is one answer routed to human review.
type ReviewItem struct {
	ID      string   `json:"id"`
	Sample  int      `json:"sample"`
	Task    string   `json:"task"`
	Reasons []string `json:"reasons"`
	// Confidence is the answer's confidence, when measured.
	Confidence *float64 `json:"confidence,omitempty"`
}

// Result summarises every item added.
func (c *Checker) Result() Summary {
	o := c.opts
	var out Summary
	if c.anyGround {
		g := c.grounded.Result()
		if o.Judge || o.Escalation != nil {
			g.Judge = c.judge.use(g.Rate.N+g.Errors, o.JudgePrices)
		}
		if o.Escalation != nil {
			g.Method = GroundHybrid
		}
		if o.Grounder != nil {
			tasks := make([]string, len(g.ByTask))
			for i, s := range g.ByTask {
				tasks[i] = s.Name
			}
			g.Calibration = calibrationsFor(tasks, o.TaskTypes)
		}
		out.Groundedness = &g
	}
	if o.Boundaries != nil {
		b := c.bounds.Result()
		out.Boundaries = &b
	}
	if o.DetectPII {
		s := c.pii.Summary()
		out.PII = &s
	}
	out.Review = Review{ConfidenceBelow: o.ConfidenceBelow, Routed: len(c.review), ByReason: []ReasonCount{}, Items: make([]ReviewItem, 0, len(c.review))}
	for _, e := range c.sortedReview() {
		out.Review.Items = append(out.Review.Items, e.item)
	}
	counts := map[string]int{}
	for _, e := range c.review {
		for _, r := range e.item.Reasons {
			counts[r]++
		}
	}
	for _, r := range slices.Sorted(maps.Keys(counts)) {
		out.Review.ByReason = append(out.Review.ByReason, ReasonCount{r, counts[r]})
	}
	return out
}

// ReviewRows returns the routed answers as review.parquet rows, by id then
// sample: the question, the reference, the answer and the evidence, each
// redacted when the options say so.
func (c *Checker) ReviewRows() []records.ReviewRow {
	var rows []records.ReviewRow
	for _, e := range c.sortedReview() {
		rows = append(rows, e.file)
	}
	return rows
}

// sortedReview returns the routed answers by id, sample, then eval-set row.
func (c *Checker) sortedReview() []reviewEntry {
	review := slices.Clone(c.review)
	slices.SortStableFunc(review, func(a, b reviewEntry) int {
		return cmp.Or(cmp.Compare(a.item.ID, b.item.ID), cmp.Compare(a.item.Sample, b.item.Sample), cmp.Compare(a.row, b.row))
	})
	return review
}

// Merge adds to c every answer o has checked and recorded; o is not
// changed. Afterwards c's Result and ReviewRows equal, bit for bit, those
// of one checker given the items of both, in any order: every count is a
// sum, and the routed, hallucinated and violating answers are sorted on
// reading with ties broken by the item's eval-set row (records.Item.Row,
// which Check records). Split the items any way, by id or otherwise, but
// check each item's prompt and context (Check, not CheckAnswers) in one
// part only, or its PII is counted twice.
//
// Both checkers must have been made by NewChecker with the same Options:
// Judge, DetectPII, Redact, ConfidenceBelow, Groups and Level equal, a
// Grounder in both or neither with the same minimum coverage (its stop
// words cannot be compared and must be the same too), and Boundaries in
// both or neither with the same rules. Otherwise Merge changes nothing and
// returns an error wrapping metrics.ErrMergeMismatch. Merging a checker
// into itself is an error too.
func (c *Checker) Merge(o *Checker) error {
	if err := c.mergeable(o); err != nil {
		return fmt.Errorf("merge checker: %w", err)
	}
	if err := c.grounded.Merge(o.grounded); err != nil {
		return fmt.Errorf("merge checker: %w", err)
	}
	if err := c.bounds.Merge(o.bounds); err != nil {
		return fmt.Errorf("merge checker: %w", err)
	}
	c.pii.Merge(&o.pii)
	c.review = append(c.review, o.review...)
	c.anyGround = c.anyGround || o.anyGround
	c.judge.add(o.judge)
	return nil
}

// mergeable returns why o cannot be merged into c, or nil.
func (c *Checker) mergeable(o *Checker) error {
	a, b := &c.opts, &o.opts
	switch {
	case o == c:
		return errors.New("a checker cannot be merged into itself")
	case a.Judge != b.Judge || a.DetectPII != b.DetectPII || a.Redact != b.Redact:
		return fmt.Errorf("%w: judge, detect_pii, redact %v, %v, %v and %v, %v, %v", metrics.ErrMergeMismatch, a.Judge, a.DetectPII, a.Redact, b.Judge, b.DetectPII, b.Redact)
	case a.ConfidenceBelow != b.ConfidenceBelow || a.Level != b.Level:
		return fmt.Errorf("%w: confidence threshold %v at level %v and %v at level %v", metrics.ErrMergeMismatch, a.ConfidenceBelow, a.Level, b.ConfidenceBelow, b.Level)
	case !a.Escalation.equal(b.Escalation) || !maps.Equal(a.TaskTypes, b.TaskTypes):
		return fmt.Errorf("%w: hybrid bands or task types differ", metrics.ErrMergeMismatch)
	case (a.JudgePrices == nil) != (b.JudgePrices == nil) || a.JudgePrices != nil && *a.JudgePrices != *b.JudgePrices:
		return fmt.Errorf("%w: judge prices differ", metrics.ErrMergeMismatch)
	case !slices.Equal(a.Groups, b.Groups):
		return fmt.Errorf("%w: groups %q and %q", metrics.ErrMergeMismatch, a.Groups, b.Groups)
	case (a.Grounder == nil) != (b.Grounder == nil) || a.Grounder != nil && a.Grounder.minCoverage != b.Grounder.minCoverage:
		return fmt.Errorf("%w: lexical grounders differ", metrics.ErrMergeMismatch)
	case (a.Boundaries == nil) != (b.Boundaries == nil) || !slices.Equal(a.Boundaries.Rules(), b.Boundaries.Rules()):
		return fmt.Errorf("%w: boundary rules %q and %q", metrics.ErrMergeMismatch, a.Boundaries.Rules(), b.Boundaries.Rules())
	}
	return nil
}

// Transcript is a conversation as one text, a turn a line: "role: content".
func Transcript(msgs []records.Message) string {
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.Role)
		b.WriteString(": ")
		b.WriteString(m.Content)
	}
	return b.String()
}
