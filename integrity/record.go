package integrity

import "github.com/evalgate/evalgate/records"

// GroundednessOf returns g as a results file records it: its method,
// hallucination score and verdict, and the texts of its unsupported
// claims, each passed through redact when redact is not nil (pii.redact:
// the answer is redacted already, and a claim quoted from it is redacted
// again so that nothing depends on that). A judge's check reads as
// records.GroundedSupported, Hallucinated or Abstained as a lexical one
// does. Escalated is left false: the caller knows why a check was made.
func GroundednessOf(g Grounding, redact func(string) string) *records.Groundedness {
	out := &records.Groundedness{Method: g.Method, Score: g.Score, Verdict: records.GroundedSupported}
	switch {
	case g.Abstained:
		out.Verdict = records.GroundedAbstained
	case g.Hallucinated:
		out.Verdict = records.GroundedHallucinated
	}
	for _, c := range g.Claims {
		if c.Supported {
			continue
		}
		text := c.Text
		if redact != nil {
			text = redact(text)
		}
		out.Unsupported = append(out.Unsupported, text)
	}
	return out
}

// JudgeErrorGroundedness is the check recorded for an answer the judge
// was asked about but whose verdict could not be had (the call failed,
// or its reply could not be read): method "judge", verdict
// records.GroundedJudgeError and score 1, as such an answer is never
// counted as supported.
func JudgeErrorGroundedness() *records.Groundedness {
	return &records.Groundedness{Method: GroundJudge, Score: 1, Verdict: records.GroundedJudgeError}
}
