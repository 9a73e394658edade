package reports

import "unicode/utf8"

// MaxExamples is how many answers Examples holds per list: the first
// regressions (in the order of Regression.RightToWrong) and the worst
// hallucinations (in the order of Groundedness.Hallucinated).
const MaxExamples = 10

// MaxExampleText is the longest text an Example holds, in code points;
// a longer one is clipped and ends with "…".
const MaxExampleText = 2000

// Examples are the answers a reviewer reads first, with their text: the
// report carries what its renderings show. Every text is untrusted (it
// comes from the eval set or a model) and, under pii.redact, redacted
// like the results files it was read from.
type Examples struct {
	// Regressions are items production answered right and the candidate
	// wrong, at most MaxExamples.
	Regressions []Example `json:"regressions,omitempty"`
	// Hallucinations are the candidate's answers with the highest
	// hallucination score, at most MaxExamples.
	Hallucinations []Example `json:"hallucinations,omitempty"`
}

// Example is one answer with the question it answered.
type Example struct {
	// ID and Sample identify the answer.
	ID     string `json:"id"`
	Sample int    `json:"sample"`
	// Task is the item's task; empty when the set has none.
	Task string `json:"task,omitempty"`
	// Input is the question and Expected the reference answer.
	Input    string `json:"input"`
	Expected string `json:"expected,omitempty"`
	// Candidate is the candidate's answer; Production the production
	// model's, nil when there is none for this item.
	Candidate  string  `json:"candidate"`
	Production *string `json:"production,omitempty"`
	// HallucinationScore, for a hallucination, is integrity's
	// hallucination score in [0, 1], higher meaning more likely
	// hallucinated (lexical: the share of the claims' words the context
	// lacks, hard evidence weighing more; judge: the share of claims the
	// judge found unsupported).
	HallucinationScore *float64 `json:"hallucination_score,omitempty"`
}

// ClipExample shortens s to MaxExampleText code points.
func ClipExample(s string) string {
	if utf8.RuneCountInString(s) <= MaxExampleText {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxExampleText-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// ReviewDecisions counts the decisions reviewers recorded, in signed
// review records (evalgate review import), on earlier reports of the same
// eval set: what people did with the answers routed to review.
type ReviewDecisions struct {
	// Records is the number of verified review records counted.
	Records int `json:"records"`
	// Reviewed counts the answers with a decision; Accepted, Rejected and
	// Escalated split them by decision. An answer decided in several
	// records counts once, with its latest decision.
	Reviewed  int `json:"reviewed"`
	Accepted  int `json:"accepted"`
	Rejected  int `json:"rejected"`
	Escalated int `json:"escalated"`
	// Reviewers are the people who decided, by name, with their counts
	// (latest decisions only), sorted by name.
	Reviewers []ReviewerCount `json:"reviewers"`
	// Skipped says which files of the review folder were not counted and
	// why (a signature that does not verify, another eval set).
	Skipped []string `json:"skipped,omitempty"`
}

// ReviewerCount is one reviewer's share of ReviewDecisions.
type ReviewerCount struct {
	// Reviewer is "Name <email>"; KeyID the SSH-style fingerprint of the
	// key that signed their records.
	Reviewer  string `json:"reviewer"`
	KeyID     string `json:"key_id"`
	Reviewed  int    `json:"reviewed"`
	Accepted  int    `json:"accepted"`
	Rejected  int    `json:"rejected"`
	Escalated int    `json:"escalated"`
}
