package render

import (
	"fmt"
	"strings"

	"github.com/evalgate/evalgate/integrity"
)

// The groundedness section's two readings of its numbers, shared by every
// format: what the judge did (methods judge and hybrid), and what a
// lexical verdict is expected to mean (the detector's calibration).

// judgeUseLine says how many answers went to the judge and what they
// cost in tokens (and money, with prices); "" when u is nil.
func judgeUseLine(method string, u *integrity.JudgeUse) string {
	if u == nil {
		return ""
	}
	s := ""
	if method == integrity.GroundHybrid {
		s = fmt.Sprintf("%s (%s of the answers checked) had a lexical score in the uncertainty band and went to the judge; ",
			plural(u.Escalated, "answer", "answers"), pct(u.EscalatedRate))
	}
	s += fmt.Sprintf("%s, %s; judge tokens: %d prompt + %d completion", plural(u.Calls, "judge call", "judge calls"), plural(u.Errors, "judge error", "judge errors"), u.PromptTokens, u.CompletionTokens)
	if u.Cost != nil {
		s += fmt.Sprintf(", cost %.4f %s", *u.Cost, u.Currency)
	}
	return s + "."
}

// calibrationLine says what the lexical verdicts on some tasks' answers
// are expected to mean, and where that comes from.
func calibrationLine(tc integrity.TaskCalibration) string {
	c := tc.Calibration
	kind := c.Task
	if kind == "" {
		kind = "all task types pooled"
	}
	at := "at its verdict rule"
	if c.Threshold > 0 {
		at = fmt.Sprintf("at hallucination-score threshold %.3g", c.Threshold)
	}
	tasks := "task " + tc.Tasks[0]
	if len(tc.Tasks) > 1 {
		tasks = "tasks " + strings.Join(tc.Tasks, ", ")
	}
	return fmt.Sprintf("%s (%s): %s the lexical detector flagged hallucinations with precision about %.2f and recall about %.2f (F1 %.2f against %.2f for flagging every answer; AUROC %.2f; %d answers, %d hallucinated) on %s.",
		tasks, kind, at, c.Precision, c.Recall, c.F1, c.BaselineF1, c.AUROC, c.N, c.Hallucinated, c.Source)
}
