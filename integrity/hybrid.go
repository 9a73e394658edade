package integrity

import (
	"cmp"
	"maps"
	"slices"
)

// GroundHybrid is the method of a groundedness summary whose answers were
// checked lexically and, when their lexical score fell in the uncertainty
// band, by the judge (Groundedness.Method; each answer's own Grounding
// says which of the two decided it).
const GroundHybrid = "hybrid"

// Answers go to the judge, not single claims. The lexical score the band
// measures is an answer's (it mixes its claims' coverage with the hard
// evidence found anywhere in it); an escalated answer's request is then
// exactly method judge's (all its claims, one digest), so the same
// journal, cache and judge-results.parquet rows serve both methods and
// `evalgate score` reuses them; and the judge's prompt is mostly the
// context, which a per-claim request would repeat. The cost, measured in
// BENCHMARKS.md: the judge's errors on the answer's confident claims
// count too, and they add up over long answers. Escalating single claims
// would avoid that; it needs per-claim scores and verdicts merged into
// one answer's grounding, and is not done.

// defaultHalfWidth is the half-width of the default uncertainty band
// around the pooled calibrated threshold. It is measured (BENCHMARKS.md,
// "Judge escalation": RAGTruth development split, a judge right on 90% of
// claims, each task's lexical verdict at its own calibrated threshold):
// ±0.05 around the pooled threshold was the only band that gained F1
// (+0.007 overall, +0.006 on data-to-text and +0.009 on summaries, for 7%
// of the answers); wider bands, bands around each task type's own
// threshold, and judging everything lost F1, because such a judge's
// errors on single claims add up over an answer's many claims. The width
// was chosen on the same 208 answers it was measured on.
const defaultHalfWidth = 0.05

// fallbackBandCentre is the centre of the default band when the detector
// has no calibrated threshold: on the RAGTruth development split the
// lexical verdict turns from supported to hallucinated between scores 0.3
// and 0.5.
const fallbackBandCentre = 0.4

// Escalation is how method hybrid picks the answers it sends to the
// judge. The zero value sends none; a nil *Escalation means the method is
// not hybrid.
type Escalation struct {
	// Band, when set, is [lo, hi] for every task (groundedness.band).
	// When nil, each task's band is DefaultBand of its task type.
	Band []float64
	// TaskTypes maps a task to its benchmark task type
	// (groundedness.task_types); unmapped tasks are pooled ("").
	TaskTypes map[string]string
}

// BandFor returns the band [lo, hi] of the answers to task.
func (e *Escalation) BandFor(task string) (lo, hi float64) {
	if len(e.Band) == 2 {
		return e.Band[0], e.Band[1]
	}
	return DefaultBand(e.TaskTypes[task])
}

// Escalate reports whether an answer to task whose lexical hallucination
// score is score goes to the judge: lo ≤ score ≤ hi.
func (e *Escalation) Escalate(task string, score float64) bool {
	lo, hi := e.BandFor(task)
	return lo <= score && score <= hi
}

// equal reports whether e and o pick the same answers.
func (e *Escalation) equal(o *Escalation) bool {
	if e == nil || o == nil {
		return e == o
	}
	return slices.Equal(e.Band, o.Band) && maps.Equal(e.TaskTypes, o.TaskTypes)
}

// DefaultBand is the uncertainty band of an answer of task type
// taskType when groundedness.band is not set: defaultHalfWidth either
// side of the pooled calibrated threshold (CalibrationFor("")), clipped
// to [0, 1], for every task type (a band around each type's own threshold
// measured worse; see defaultHalfWidth); without a calibration, around
// fallbackBandCentre.
func DefaultBand(string) (lo, hi float64) {
	centre := fallbackBandCentre
	if c, ok := CalibrationFor(""); ok && c.Threshold > 0 {
		centre = c.Threshold
	}
	return max(0, centre-defaultHalfWidth), min(1, centre+defaultHalfWidth)
}

// JudgeUse is what the judge did for a groundedness summary (methods
// judge and hybrid).
type JudgeUse struct {
	// Escalated counts the answers method hybrid sent to the judge
	// because their lexical score fell in the band (0 for method judge,
	// which sends every answer with claims); EscalatedRate is Escalated
	// over the answers checked (errors included), in [0, 1], NaN (null)
	// when none was checked.
	Escalated     int     `json:"escalated"`
	EscalatedRate float64 `json:"escalated_rate"`
	// Calls counts the answers whose judge reply was looked up, Errors
	// those that were judge errors (counted in Groundedness.Errors, never
	// as supported).
	Calls  int `json:"calls"`
	Errors int `json:"errors"`
	// PromptTokens and CompletionTokens sum the usage the judge endpoint
	// reported for those replies (replies from the response cache
	// included, with the usage recorded when they were made).
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	// Cost is the tokens at the judge's prices, in Currency; nil without
	// groundedness.judge.prices.
	Cost     *float64 `json:"cost,omitempty"`
	Currency string   `json:"currency,omitempty"`
}

// Prices are a judge's list prices per million tokens, for JudgeUse.Cost.
type Prices struct {
	InputPerMTok, OutputPerMTok float64
	Currency                    string
}

// judgeCount is the Checker's count of the judge's work.
type judgeCount struct {
	escalated, calls, errors int
	prompt, completion       int
}

func (j *judgeCount) add(o judgeCount) {
	j.escalated += o.escalated
	j.calls += o.calls
	j.errors += o.errors
	j.prompt += o.prompt
	j.completion += o.completion
}

// use renders the count for checked answers (errors included).
func (j judgeCount) use(checked int, p *Prices) *JudgeUse {
	u := &JudgeUse{Escalated: j.escalated, Calls: j.calls, Errors: j.errors, PromptTokens: j.prompt, CompletionTokens: j.completion}
	if checked > 0 {
		u.EscalatedRate = float64(j.escalated) / float64(checked)
	}
	if p != nil {
		cost := float64(j.prompt)*p.InputPerMTok/1e6 + float64(j.completion)*p.OutputPerMTok/1e6
		u.Cost, u.Currency = &cost, p.Currency
	}
	return u
}

// TaskCalibration is the detector's calibration that applies to some
// tasks of the report: what a lexical verdict on their answers is
// expected to mean.
type TaskCalibration struct {
	// Tasks are the report's tasks it applies to, in order ("(none)" for
	// answers without one).
	Tasks []string `json:"tasks"`
	// Calibration is their task type's (Calibration.Task; "" pooled, for
	// the tasks groundedness.task_types does not map).
	Calibration Calibration `json:"calibration"`
}

// noTask is the name of the answers without a task in ByTask.
const noTask = "(none)"

// calibrationsFor returns, for each calibration that applies to some of
// tasks, those tasks: one entry per task type (summary, data2txt, pooled),
// in that order, so that the report says each calibration once.
func calibrationsFor(tasks []string, types map[string]string) []TaskCalibration {
	var out []TaskCalibration
	at := map[string]int{} // task type → index in out
	for _, t := range slices.Sorted(slices.Values(tasks)) {
		name := t
		if t == noTask {
			t = ""
		}
		// An unmapped task is pooled: TaskTypes[t] is "".
		c, ok := CalibrationFor(types[t])
		if !ok {
			continue
		}
		i, seen := at[c.Task]
		if !seen {
			i = len(out)
			at[c.Task] = i
			out = append(out, TaskCalibration{Calibration: c})
		}
		out[i].Tasks = append(out[i].Tasks, name)
	}
	slices.SortFunc(out, func(a, b TaskCalibration) int {
		return cmp.Compare(calibrationOrder(a.Calibration.Task), calibrationOrder(b.Calibration.Task))
	})
	return out
}

// calibrationOrder orders the task types: summary, data2txt, pooled.
func calibrationOrder(task string) int {
	switch task {
	case "summary":
		return 0
	case "data2txt":
		return 1
	}
	return 2
}
