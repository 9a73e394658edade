package metrics

import (
	"math"
	"strings"
)

// Normalize lowers case, removes punctuation and the English articles a, an
// and the, and collapses white space: the answer normalization of the SQuAD
// evaluation script, applied to Unicode text. Punctuation and symbols
// (unicode.IsPunct, unicode.IsSymbol) are dropped without leaving a space
// ("don't" → "dont"); white space (unicode.IsSpace) separates tokens.
func Normalize(s string) string {
	sc := scorers.Get().(*Scorer)
	sc.out.normalize(s)
	n := string(sc.out.joined())
	scorers.Put(sc)
	return n
}

// Refs returns the acceptable answers for an item: expected (when not empty)
// followed by expectedAny, without empty strings.
func Refs(expected string, expectedAny []string) []string {
	refs := make([]string, 0, 1+len(expectedAny))
	if expected != "" {
		refs = append(refs, expected)
	}
	for _, r := range expectedAny {
		if r != "" {
			refs = append(refs, r)
		}
	}
	return refs
}

// ExactMatch reports whether output equals one of refs after trimming
// surrounding white space, and nothing else.
func ExactMatch(output string, refs []string) bool {
	o := strings.TrimSpace(output)
	for _, r := range refs {
		if o == strings.TrimSpace(r) {
			return true
		}
	}
	return false
}

// NormalizedMatch reports whether Normalize(output) equals Normalize of one
// of refs.
func NormalizedMatch(output string, refs []string) bool {
	return len(refs) > 0 && scoreOnce(output, refs).normalized
}

// Contains reports whether the normalized form of one of refs appears in the
// normalized output as a whole-token sequence ("30 days" is in "within 30
// days", but "3" is not in "30"). A reference that normalizes to nothing
// never matches.
func Contains(output string, refs []string) bool {
	return len(refs) > 0 && scoreOnce(output, refs).contains
}

// TokenF1 is the SQuAD token F1 between output and the best-matching of refs,
// in [0, 1]: the harmonic mean of token precision and recall over normalized
// tokens, counting repeated tokens as often as they occur in both. When both
// sides normalize to no tokens the F1 is 1; when only one does, it is 0.
func TokenF1(output string, refs []string) float64 {
	if len(refs) == 0 {
		return 0
	}
	return math.Float64frombits(scoreOnce(output, refs).f1)
}

// ScoreAll scores output against refs with every method, keyed by method
// name (exact, normalized, contains, f1). Binary methods score 0 or 1. It
// returns nil when there are no references, since such an item cannot be
// scored. The map is the caller's; a Scorer scores many outputs faster.
func ScoreAll(output string, refs []string) map[string]float64 {
	if len(refs) == 0 {
		return nil
	}
	return scoreOnce(output, refs).scoreMap()
}

// scoreOnce scores output against refs (not empty) with a pooled Scorer
// that remembers nothing.
func scoreOnce(output string, refs []string) scoreKey {
	sc := scorers.Get().(*Scorer)
	k := sc.score(output, refs, false)
	sc.scratch.key, sc.scratch.trimmed = "", "" // keep no caller's string alive
	scorers.Put(sc)
	return k
}

// Correct reports whether scores (from ScoreAll) make the item correct under
// method: the binary score is 1, or for method f1, the F1 is at least
// f1Threshold; method label is judged by the normalized score. Unscored items (nil scores) are not correct.
func Correct(scores map[string]float64, method string, f1Threshold float64) bool {
	if method == "label" {
		// A label is right when it equals the expected label once
		// normalized: the normalized score.
		method = "normalized"
	}
	s, ok := scores[method]
	if !ok {
		return false
	}
	if method == "f1" {
		return s >= f1Threshold
	}
	return s == 1
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
