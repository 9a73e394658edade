package builtin

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// expansionWeight is the weight of a paraphrase added by query expansion,
// relative to words of the question itself.
const expansionWeight = 0.6

// numberTerm is the pseudo-word that stands for "the text holds a number".
// It cannot collide with a stem, which never contains '#'.
const numberTerm = "#number"

// concept is one thing the question asks about: either one content word of
// the question, or a paraphrase group one of whose phrases the question
// contains. A text matches a concept through the best of its phrases.
type concept struct {
	phrases [][]string // stem sequences
	weights []float64  // per phrase: 1 if from the question, else expansionWeight
}

// answerV2 answers with the best clause of the sentence that best matches
// the question's concepts.
//
// A sentence earns, for each concept, the weight × IDF of the best of the
// concept's phrases it contains, so that synonyms count once. IDF is
// ln(1 + N/df) over the N context sentences. A question that asks for a
// quantity ("how long", "when", ...) has one more concept, a number, that
// sentences holding a digit match. With no concept matched at all the
// answer is IDontKnow. The sentence is then cut into clauses, and the
// clause that best matches the question's words — the number concept does
// not count here — is the answer.
func answerV2(question string, passages []string) string {
	sentences := splitSentences(passages)
	if len(sentences) == 0 {
		return IDontKnow
	}
	concepts := queryConcepts(question)
	if asksQuantity(question) {
		concepts = append(concepts, concept{phrases: [][]string{{numberTerm}}, weights: []float64{1}})
	}
	seqs := make([][]string, len(sentences))
	for i, s := range sentences {
		seqs[i] = stemSeq(s)
	}
	// idf[c][p] is the IDF of phrase p of concept c over the sentences.
	idf := make([][]float64, len(concepts))
	n := float64(len(sentences))
	for c, con := range concepts {
		idf[c] = make([]float64, len(con.phrases))
		for p, ph := range con.phrases {
			df := 0
			for _, seq := range seqs {
				if containsSeq(seq, ph) {
					df++
				}
			}
			if df > 0 {
				idf[c][p] = math.Log(1 + n/float64(df))
			}
		}
	}
	score := func(seq []string, concepts []concept) float64 {
		total := 0.0
		for c, con := range concepts {
			best := 0.0
			for p, ph := range con.phrases {
				if w := con.weights[p] * idf[c][p]; w > best && containsSeq(seq, ph) {
					best = w
				}
			}
			total += best
		}
		return total
	}
	best, bestScore := 0, 0.0
	for i, seq := range seqs {
		if s := score(seq, concepts); s > bestScore {
			best, bestScore = i, s
		}
	}
	if bestScore == 0 {
		return IDontKnow
	}
	clauses := splitClauses(sentences[best])
	if len(clauses) == 1 {
		return sentences[best]
	}
	words := concepts
	if asksQuantity(question) {
		words = concepts[:len(concepts)-1]
	}
	bestClause, bestClauseScore := 0, -1.0
	for i, c := range clauses {
		if s := score(stemSeq(c), words); s > bestClauseScore {
			bestClause, bestClauseScore = i, s
		}
	}
	return tidyClause(clauses[bestClause])
}

// stemSeq returns the stems of all words of s, stop words included, in
// order, followed by numberTerm if s holds a digit.
func stemSeq(s string) []string {
	ws := words(s)
	seq := make([]string, len(ws), len(ws)+1)
	for i, w := range ws {
		seq[i] = stem(w)
	}
	if strings.ContainsAny(s, "0123456789") {
		seq = append(seq, numberTerm)
	}
	return seq
}

// queryConcepts returns the concepts of a question, in a fixed order: first
// every paraphrase group one of whose phrases occurs in the question (its
// phrases found in the question weigh 1, the others expansionWeight), then
// every other content word of the question, once each.
func queryConcepts(question string) []concept {
	ws := words(question)
	seq := make([]string, len(ws))
	for i, w := range ws {
		seq[i] = stem(w)
	}
	covered := make([]bool, len(seq))
	var out []concept
	for _, e := range lexicon {
		var weights []float64 // nil until a phrase of the group matches
		for p, ph := range e.phrases {
			for i := 0; i+len(ph) <= len(seq); i++ {
				if !slices.Equal(seq[i:i+len(ph)], ph) {
					continue
				}
				if weights == nil {
					weights = make([]float64, len(e.phrases))
					for k := range weights {
						weights[k] = expansionWeight
					}
				}
				weights[p] = 1
				for j := i; j < i+len(ph); j++ {
					covered[j] = true
				}
			}
		}
		if weights != nil {
			// The lexicon's phrases are shared, never written.
			out = append(out, concept{phrases: e.phrases, weights: weights})
		}
	}
	seen := make(map[string]bool)
	for i, w := range ws {
		if covered[i] || isStopWord(w) || seen[seq[i]] {
			continue
		}
		seen[seq[i]] = true
		out = append(out, concept{phrases: [][]string{{seq[i]}}, weights: []float64{1}})
	}
	return out
}

// asksQuantity reports whether a question asks for a quantity, a time or a
// date: it contains "when", "deadline", "minimum", "maximum" or "limit", or
// "how" followed by long, much, many, soon, often, far, big, large, fast or
// old.
func asksQuantity(question string) bool {
	ws := words(question)
	for i, w := range ws {
		switch w {
		case "when", "deadline", "minimum", "maximum", "limit":
			return true
		case "how":
			if i+1 < len(ws) {
				switch ws[i+1] {
				case "long", "much", "many", "soon", "often", "far", "big", "large", "fast", "old":
					return true
				}
			}
		}
	}
	return false
}

// clauseBreaks are the separators at which extractive-v2 cuts a sentence
// into clauses.
func clauseBreaks() []string {
	return []string{";", ", and ", ", but ", ", while ", ", so ", ", or "}
}

// splitClauses cuts a sentence at every clause break, left to right.
func splitClauses(sentence string) []string {
	var out []string
	s := sentence
	for {
		cut, sepLen := -1, 0
		for _, b := range clauseBreaks() {
			if i := strings.Index(s, b); i >= 0 && (cut < 0 || i < cut) {
				cut, sepLen = i, len(b)
			}
		}
		if cut < 0 {
			break
		}
		if c := strings.TrimSpace(s[:cut]); c != "" {
			out = append(out, c)
		}
		s = s[cut+sepLen:]
	}
	if c := strings.TrimSpace(s); c != "" {
		out = append(out, c)
	}
	if len(out) == 0 {
		return []string{sentence}
	}
	return out
}

// tidyClause makes a clause read as a sentence: first letter upper case,
// ending in a full stop unless it already ends in punctuation.
func tidyClause(c string) string {
	c = strings.TrimRight(strings.TrimSpace(c), ",;:")
	r, size := utf8.DecodeRuneInString(c)
	if r == utf8.RuneError {
		return c
	}
	c = string(unicode.ToUpper(r)) + c[size:]
	if !strings.HasSuffix(c, ".") && !strings.HasSuffix(c, "!") && !strings.HasSuffix(c, "?") {
		c += "."
	}
	return c
}
