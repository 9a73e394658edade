package builtin

// answerV1 answers with the sentence that shares the most distinct raw
// lower-case tokens with the question; ties go to the earliest sentence.
func answerV1(question string, passages []string) string {
	sentences := splitSentences(passages)
	if len(sentences) == 0 {
		return IDontKnow
	}
	q := make(map[string]bool)
	for _, w := range words(question) {
		q[w] = true
	}
	best, bestScore := 0, -1
	for i, s := range sentences {
		seen := make(map[string]bool)
		score := 0
		for _, w := range words(s) {
			if q[w] && !seen[w] {
				seen[w] = true
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return sentences[best]
}
