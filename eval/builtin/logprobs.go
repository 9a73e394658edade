package builtin

import (
	"math"
	"strings"
)

// Confidence is how sure a builtin model is of answer to question: the
// share of the question's content-word stems that the answer contains,
// mapped into [0.05, 0.95]. "I don't know" has confidence 0.5: the model is
// unsure whether the context holds an answer. It is deterministic, so the
// same call always reports the same logprobs.
func Confidence(question, answer string) float64 {
	if answer == IDontKnow {
		return 0.5
	}
	have := map[string]bool{}
	for _, w := range words(answer) {
		have[stem(w)] = true
	}
	asked, found := 0, 0
	seen := map[string]bool{}
	for _, w := range words(question) {
		s := stem(w)
		if isStopWord(w) || seen[s] {
			continue
		}
		seen[s] = true
		asked++
		if have[s] {
			found++
		}
	}
	if asked == 0 {
		return 0.5
	}
	return 0.05 + 0.9*float64(found)/float64(asked)
}

// tokenLogprob is one token of a choice's logprobs.content, as the OpenAI
// API writes it.
type tokenLogprob struct {
	Token       string         `json:"token"`
	Logprob     float64        `json:"logprob"`
	Bytes       []int          `json:"bytes"`
	TopLogprobs []tokenLogprob `json:"top_logprobs"`
}

// choiceLogprobs is a choice's logprobs object.
type choiceLogprobs struct {
	Content []tokenLogprob `json:"content"`
}

// answerLogprobs spreads conf over the answer's whitespace-separated
// tokens: each gets log(conf), so their geometric mean is conf.
func answerLogprobs(answer string, conf float64) *choiceLogprobs {
	lp := math.Log(conf)
	out := &choiceLogprobs{Content: []tokenLogprob{}}
	for i, tok := range strings.Fields(answer) {
		if i > 0 {
			tok = " " + tok
		}
		b := make([]int, len(tok))
		for j := range len(tok) {
			b[j] = int(tok[j])
		}
		out.Content = append(out.Content, tokenLogprob{Token: tok, Logprob: lp, Bytes: b, TopLogprobs: []tokenLogprob{}})
	}
	return out
}
