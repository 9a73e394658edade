package metrics

import (
	"strings"
	"unicode"
)

// Normalize lowers case, removes punctuation and the English articles a, an
// and the, and collapses white space: the answer normalization of the SQuAD
// evaluation script, applied to Unicode text.
func Normalize(s string) string {
	return strings.Join(normalizedTokens(s), " ")
}

func normalizedTokens(s string) []string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			// SQuAD drops punctuation without leaving a space ("don't" → "dont").
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	fields := strings.Fields(b.String())
	out := fields[:0]
	for _, f := range fields {
		if f != "a" && f != "an" && f != "the" {
			out = append(out, f)
		}
	}
	return out
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
	o := Normalize(output)
	for _, r := range refs {
		if o == Normalize(r) {
			return true
		}
	}
	return false
}

// Contains reports whether the normalized form of one of refs appears in the
// normalized output as a whole-token sequence ("30 days" is in "within 30
// days", but "3" is not in "30"). A reference that normalizes to nothing
// never matches.
func Contains(output string, refs []string) bool {
	o := " " + Normalize(output) + " "
	for _, r := range refs {
		n := Normalize(r)
		if n != "" && strings.Contains(o, " "+n+" ") {
			return true
		}
	}
	return false
}

// TokenF1 is the SQuAD token F1 between output and the best-matching of refs,
// in [0, 1]: the harmonic mean of token precision and recall over normalized
// tokens, counting repeated tokens as often as they occur in both. When both
// sides normalize to no tokens the F1 is 1; when only one does, it is 0.
func TokenF1(output string, refs []string) float64 {
	best := 0.0
	pred := normalizedTokens(output)
	for _, r := range refs {
		if f := tokenF1(pred, normalizedTokens(r)); f > best {
			best = f
		}
	}
	return best
}

func tokenF1(pred, gold []string) float64 {
	if len(pred) == 0 || len(gold) == 0 {
		if len(pred) == len(gold) {
			return 1
		}
		return 0
	}
	counts := make(map[string]int, len(gold))
	for _, g := range gold {
		counts[g]++
	}
	common := 0
	for _, p := range pred {
		if counts[p] > 0 {
			counts[p]--
			common++
		}
	}
	if common == 0 {
		return 0
	}
	precision := float64(common) / float64(len(pred))
	recall := float64(common) / float64(len(gold))
	return 2 * precision * recall / (precision + recall)
}

// ScoreAll scores output against refs with every method, keyed by method
// name (exact, normalized, contains, f1). Binary methods score 0 or 1. It
// returns nil when there are no references, since such an item cannot be
// scored.
func ScoreAll(output string, refs []string) map[string]float64 {
	if len(refs) == 0 {
		return nil
	}
	// The methods' definitions above, with output and each reference
	// normalized once instead of once per method.
	trimmed := strings.TrimSpace(output)
	pred := normalizedTokens(output)
	norm := strings.Join(pred, " ")
	padded := " " + norm + " "
	var exact, normalized, contains bool
	best := 0.0
	for _, r := range refs {
		exact = exact || trimmed == strings.TrimSpace(r)
		gold := normalizedTokens(r)
		n := strings.Join(gold, " ")
		normalized = normalized || norm == n
		contains = contains || (n != "" && strings.Contains(padded, " "+n+" "))
		if f := tokenF1(pred, gold); f > best {
			best = f
		}
	}
	return map[string]float64{
		"exact":      b2f(exact),
		"normalized": b2f(normalized),
		"contains":   b2f(contains),
		"f1":         best,
	}
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
