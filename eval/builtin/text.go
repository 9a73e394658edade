package builtin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// splitSentences splits passages into sentences: at line breaks, and at
// '.', '!' or '?' followed by white space. Leading list markers are removed
// and empty sentences dropped. The sentences keep their punctuation.
func splitSentences(passages []string) []string {
	var out []string
	for _, p := range passages {
		for line := range strings.Lines(p) {
			line = stripListMarker(strings.TrimSpace(line))
			start := 0
			for i := 0; i < len(line); i++ {
				switch line[i] {
				case '.', '!', '?':
					if i+1 < len(line) && isSpace(line[i+1]) {
						if s := strings.TrimSpace(line[start : i+1]); s != "" {
							out = append(out, s)
						}
						start = i + 1
					}
				}
			}
			if s := strings.TrimSpace(line[start:]); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// stripListMarker removes one leading list marker: "- ", "* ", "+ ", "• ",
// or a number followed by ". " or ") ".
func stripListMarker(s string) string {
	for _, m := range []string{"- ", "* ", "+ ", "• "} {
		if rest, ok := strings.CutPrefix(s, m); ok {
			return strings.TrimSpace(rest)
		}
	}
	i := 0
	for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(s) && (s[i] == '.' || s[i] == ')') && s[i+1] == ' ' {
		return strings.TrimSpace(s[i+2:])
	}
	return s
}

// words splits s into lower-case word tokens: maximal runs of letters and
// digits, with apostrophes inside a word kept ("don't", "customer's").
// The typographic apostrophe is folded to '.
func words(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, strings.TrimRight(b.String(), "'"))
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case (r == '\'' || r == '’') && b.Len() > 0:
			b.WriteByte('\'')
		default:
			flush()
		}
	}
	flush()
	return out
}

// stem reduces a lower-case word to a crude stem so that inflections of one
// word meet: a possessive "'s" and apostrophes go, then a plural "s"/"es"
// ("ies" → "y"), then one of "ation", "ing", "ed", then a final "e" on
// longer words, and a doubled final consonant is undoubled ("shipping",
// "shipped", "ships" → "ship"; "cancelled", "cancellation" → "cancel").
func stem(w string) string {
	w = strings.TrimSuffix(w, "'s")
	w = strings.ReplaceAll(w, "'", "")
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	for _, suf := range []string{"ation", "ing", "ed"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			w = w[:len(w)-len(suf)]
			break
		}
	}
	if len(w) > 4 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	if n := len(w); n >= 4 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiousy0123456789", rune(w[n-1])) {
		w = w[:n-1]
	}
	return w
}

// isStopWord reports whether a lower-case word carries no topic: articles,
// pronouns, auxiliaries, prepositions, question words and the like.
func isStopWord(w string) bool {
	_, ok := stopWords[w]
	return ok
}

// stopWords is a fixed table; it is never written after initialization.
var stopWords = func() map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range strings.Fields(`
		a about above after again against all also am an and any are aren't as
		at be because been before being below between both but by can can't
		cannot could couldn't did didn't do does doesn't doing don't down during
		each either else ever every few for from further get gets getting got
		had hadn't has hasn't have haven't having he her here hers herself him
		himself his how i i'd i'll i'm i've if in into is isn't it it's its
		itself just let's like may me might more most must mustn't my myself
		no nor not now of off on once one only or other ought our ours
		ourselves out over own please same shall she should shouldn't so some
		such than that that's the their theirs them themselves then there
		there's these they they'd they'll they're they've this those through
		to too under until up upon us very via was wasn't we we'd we'll we're
		we've were weren't what what's when when's where where's whether which
		while who who's whom why why's will with won't would wouldn't yes yet
		you you'd you'll you're you've your yours yourself yourselves
		hi hello hey thanks thank ok okay im ive id dont cant wont whats
		much many`) {
		m[w] = struct{}{}
	}
	return m
}()

// truncateWords returns the longest prefix of s made of whole
// whitespace-separated words whose estimated token count is at most limit,
// and whether anything was cut.
func truncateWords(s string, limit int) (string, bool) {
	if estimateTokens(s) <= limit {
		return s, false
	}
	n := 0 // words kept
	for tokensForWords(n+1) <= limit {
		n++
	}
	end := 0
	for i := 0; i < n; i++ {
		// skip spaces, then one word
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if !unicode.IsSpace(r) {
				break
			}
			end += size
		}
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if unicode.IsSpace(r) {
				break
			}
			end += size
		}
	}
	return s[:end], true
}

// estimateTokens estimates the token count of s: round(4w/3) for w
// whitespace-separated words.
func estimateTokens(s string) int { return tokensForWords(len(strings.Fields(s))) }

func tokensForWords(w int) int { return (4*w + 1) / 3 }
