package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The Cat!", "cat"},
		{"  a   refund\twithin 30 days. ", "refund within 30 days"},
		{"An apple, the pear", "apple pear"},
		{"don't", "dont"},
		{"Théâtre — L'Opéra", "théâtre lopéra"},
		{"", ""},
		{"$4.99", "499"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScores(t *testing.T) {
	tests := []struct {
		name                        string
		output                      string
		refs                        []string
		exact, normalized, contains bool
		f1                          float64
	}{
		{"identical", "30 days", []string{"30 days"}, true, true, true, 1},
		{"case and punctuation", "30 Days.", []string{"30 days"}, false, true, true, 1},
		// 6 output tokens, 2 in common: P = 1/3, R = 1, F1 = 0.5.
		{"in a sentence", "Refunds are issued within 30 days.", []string{"30 days"}, false, false, true, 0.5},
		{"partial number is not contained", "300 days", []string{"30 days"}, false, false, false, 0.5},
		{"second acceptable answer", "thirty days", []string{"30 days", "thirty days"}, true, true, true, 1},
		{"wrong", "I don't know.", []string{"30 days"}, false, false, false, 0},
		{"empty output", "", []string{"30 days"}, false, false, false, 0},
		{"reference of only articles", "the", []string{"a"}, false, true, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExactMatch(tt.output, tt.refs); got != tt.exact {
				t.Errorf("ExactMatch = %v, want %v", got, tt.exact)
			}
			if got := NormalizedMatch(tt.output, tt.refs); got != tt.normalized {
				t.Errorf("NormalizedMatch = %v, want %v", got, tt.normalized)
			}
			if got := Contains(tt.output, tt.refs); got != tt.contains {
				t.Errorf("Contains = %v, want %v", got, tt.contains)
			}
			if got := TokenF1(tt.output, tt.refs); math.Abs(got-tt.f1) > 1e-12 {
				t.Errorf("TokenF1 = %v, want %v", got, tt.f1)
			}
		})
	}
}

// TestTokenF1SQuAD checks values worked by hand with the SQuAD v1.1 script's
// definition: precision = common/len(pred), recall = common/len(gold),
// F1 = 2PR/(P+R), with repeated tokens counted by multiset intersection.
func TestTokenF1SQuAD(t *testing.T) {
	tests := []struct {
		pred, gold string
		want       float64
	}{
		// pred {the→dropped, cat, sat} = [cat sat]; gold [cat] → P=1/2, R=1 → 2/3
		{"the cat sat", "the cat", 2.0 / 3},
		// pred [a→dropped] [b b c] vs gold [b c c]: common = b×1 + c×1 = 2, P=2/3 R=2/3
		{"b b c", "b c c", 2.0 / 3},
		{"x y z", "p q", 0},
	}
	for _, tt := range tests {
		if got := TokenF1(tt.pred, []string{tt.gold}); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("TokenF1(%q, %q) = %v, want %v", tt.pred, tt.gold, got, tt.want)
		}
	}
}

func TestScoreAllUnscored(t *testing.T) {
	if got := ScoreAll("anything", Refs("", []string{"", ""})); got != nil {
		t.Errorf("ScoreAll with no references = %v, want nil", got)
	}
}

func ExampleContains() {
	fmt.Println(Contains("Refunds take 30 days.", []string{"30 days"}))
	fmt.Println(Contains("Refunds take 300 days.", []string{"30 days"}))
	// Output:
	// true
	// false
}

// The straightforward definitions that the allocation-free normalizer and
// Scorer replace, kept here as the reference they are checked against.

func refNormalizedTokens(s string) []string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	var out []string
	for _, f := range strings.Fields(b.String()) {
		if f != "a" && f != "an" && f != "the" {
			out = append(out, f)
		}
	}
	return out
}

func refNormalize(s string) string { return strings.Join(refNormalizedTokens(s), " ") }

func refTokenF1(pred, gold []string) float64 {
	if len(pred) == 0 || len(gold) == 0 {
		if len(pred) == len(gold) {
			return 1
		}
		return 0
	}
	counts := map[string]int{}
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

func refScoreAll(output string, refs []string) map[string]float64 {
	if len(refs) == 0 {
		return nil
	}
	trimmed := strings.TrimSpace(output)
	pred := refNormalizedTokens(output)
	norm := strings.Join(pred, " ")
	var exact, normalized, contains bool
	best := 0.0
	for _, r := range refs {
		exact = exact || trimmed == strings.TrimSpace(r)
		gold := refNormalizedTokens(r)
		n := strings.Join(gold, " ")
		normalized = normalized || norm == n
		contains = contains || (n != "" && strings.Contains(" "+norm+" ", " "+n+" "))
		if f := refTokenF1(pred, gold); f > best {
			best = f
		}
	}
	return map[string]float64{"exact": b2f(exact), "normalized": b2f(normalized), "contains": b2f(contains), "f1": best}
}

// pieces are the parts random test strings are made of: articles in
// several cases, ASCII and non-ASCII letters whose lower case differs in
// length or form, punctuation, symbols, every kind of white space,
// control characters, combining marks, emoji and invalid UTF-8.
var pieces = []string{
	"a", "A", "an", "AN", "An", "the", "The", "THE", "thé", "ae", "theme", "anne",
	"30", "days", "Days", "30 days", "3", "x", "b", "c",
	"É", "é", "Ω", "ω", "İ", "ı", "ẞ", "ß", "Σ", "ς", "Ǆ", "ǅ", "K", "Å", "ﬁ", "Ⅻ", "ⅻ",
	".", ",", "!", "?", "'", "’", "-", "—", "(", ")", "$", "€", "+", "<", "^", "`", "|", "~", "©", "¬", "_", "@", "#",
	" ", "  ", "\t", "\n", "\r", "\v", "\f", "\u0085", "\u00a0", "\u1680", "\u2000", "\u2028", "\u2029", "\u202f", "\u3000", "\u200b",
	"\x00", "\x01", "\x1f", "\x7f", "\u0301", "\u200d", "😀", "👍🏽", "中文", "日本",
	"\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\ufffd",
}

// randomText returns a random string of up to n pieces and random runes.
func randomText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range rng.IntN(n + 1) {
		switch rng.IntN(10) {
		case 0:
			b.WriteRune(rune(rng.IntN(0x3000))) // any rune of the first planes
		case 1:
			b.WriteRune(rune(rng.IntN(utf8.MaxRune + 1))) // any code point, surrogates too (written as U+FFFD)
		case 2:
			b.WriteByte(byte(rng.IntN(256))) // any byte
		default:
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
	}
	return b.String()
}

// TestNormalizeMatchesReference checks the byte-level normalizer against
// the definition with strings.ToLower, unicode and strings.Fields on
// 50,000 random strings of Unicode, white space, articles and invalid
// UTF-8.
func TestNormalizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var n normalizer
	for i := range 50_000 {
		s := randomText(rng, 12)
		want := refNormalize(s)
		if got := Normalize(s); got != want {
			t.Fatalf("case %d: Normalize(%q) = %q, want %q", i, s, got, want)
		}
		n.normalize(s)
		toks := n.strings()
		if wantToks := refNormalizedTokens(s); strings.Join(toks, "\x00") != strings.Join(wantToks, "\x00") || len(toks) != len(wantToks) {
			t.Fatalf("case %d: tokens of %q = %q, want %q", i, s, toks, wantToks)
		}
		if got, want := string(n.padded()), " "+want+" "; want != "  " && got != want || want == "  " && got != " " {
			t.Fatalf("case %d: padded form of %q = %q, want %q", i, s, got, want)
		}
	}
}

// TestNormalizeEveryRune checks every code point alone and between
// letters, so that no rune's class or lower case differs from the
// reference's.
func TestNormalizeEveryRune(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		for _, s := range []string{string(r), "x" + string(r) + "y"} {
			if got, want := Normalize(s), refNormalize(s); got != want {
				t.Fatalf("Normalize(%q) = %q, want %q", s, got, want)
			}
		}
	}
}

// TestScorerMatchesReference checks ScoreAll and a Scorer (which
// remembers references and shares score maps) against the
// straightforward ScoreAll on random outputs and references, including
// outputs built from the references so that the matches are exercised.
func TestScorerMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var sc Scorer
	refPool := make([]string, 40) // few distinct references, as in an eval set
	for i := range refPool {
		refPool[i] = randomText(rng, 4)
	}
	for i := range 50_000 {
		refs := make([]string, 1+rng.IntN(3))
		for j := range refs {
			if rng.IntN(4) == 0 {
				refs[j] = randomText(rng, 4)
			} else {
				refs[j] = refPool[rng.IntN(len(refPool))]
			}
		}
		var output string
		switch rng.IntN(4) {
		case 0:
			output = randomText(rng, 12)
		case 1:
			output = refs[0]
		default: // the reference inside a sentence, with changed case and punctuation
			output = randomText(rng, 3) + " " + strings.ToUpper(refs[rng.IntN(len(refs))]) + "." + randomText(rng, 3)
		}
		want := refScoreAll(output, refs)
		for name, got := range map[string]map[string]float64{"ScoreAll": ScoreAll(output, refs), "Scorer.Score": sc.Score(output, refs)} {
			if len(got) != len(want) {
				t.Fatalf("case %d: %s(%q, %q) = %v, want %v", i, name, output, refs, got, want)
			}
			for m, w := range want {
				if g, ok := got[m]; !ok || math.Float64bits(g) != math.Float64bits(w) {
					t.Fatalf("case %d: %s(%q, %q)[%s] = %v, want %v", i, name, output, refs, m, g, w)
				}
			}
		}
		if got, want := TokenF1(output, refs), want["f1"]; got != want {
			t.Fatalf("case %d: TokenF1(%q, %q) = %v, want %v", i, output, refs, got, want)
		}
		if got, want := Contains(output, refs), want["contains"] == 1; got != want {
			t.Fatalf("case %d: Contains(%q, %q) = %v, want %v", i, output, refs, got, want)
		}
		if got, want := NormalizedMatch(output, refs), want["normalized"] == 1; got != want {
			t.Fatalf("case %d: NormalizedMatch(%q, %q) = %v, want %v", i, output, refs, got, want)
		}
	}
}

// TestTokenF1Large checks the token F1 of long answers, which counts
// common tokens in other ways than short ones.
func TestTokenF1Large(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	words := []string{"alpha", "beta", "gamma", "delta", "the", "a", "x"}
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		return b.String()
	}
	// Sizes that take each way of counting: a bit set (up to 64 gold
	// tokens), flags (more gold tokens, few pairs), a map (many pairs).
	for _, n := range [][2]int{{10, 5}, {70, 36}, {20, 100}, {3, 200}, {100, 51}, {1000, 501}} {
		out, ref := text(n[0]), text(n[1])
		if got, want := TokenF1(out, []string{ref}), refScoreAll(out, []string{ref})["f1"]; got != want {
			t.Errorf("%d and %d tokens: TokenF1 = %v, want %v", n[0], n[1], got, want)
		}
	}
}

// TestScorerAllocations checks that a warm Scorer allocates nothing.
func TestScorerAllocations(t *testing.T) {
	var sc Scorer
	refs := []string{"30 days"}
	outputs := []string{"Refunds are accepted within 30 days.", "I think it is 14 days.", "Sorry, I do not know."}
	for _, o := range outputs {
		sc.Score(o, refs)
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, o := range outputs {
			sc.Score(o, refs)
		}
	}); n != 0 {
		t.Errorf("Scorer.Score allocates %v times per 3 calls, want 0", n)
	}
}

// FuzzNormalize checks the byte-level normalizer and Scorer against the
// reference definitions on any input.
func FuzzNormalize(f *testing.F) {
	for _, s := range [][2]string{
		{"The Cat!", "cat"}, {"Théâtre — L'Opéra", "lopéra"}, {"\xff an \u00a0THE", "a"},
		{"İstanbul ẞ", "i̇stanbul ß"}, {"$4.99", "499"}, {"", ""},
	} {
		f.Add(s[0], s[1])
	}
	var sc Scorer
	f.Fuzz(func(t *testing.T, output, ref string) {
		if got, want := Normalize(output), refNormalize(output); got != want {
			t.Fatalf("Normalize(%q) = %q, want %q", output, got, want)
		}
		refs := Refs(ref, nil)
		want := refScoreAll(output, refs)
		got := sc.Score(output, refs)
		for m, w := range want {
			if math.Float64bits(got[m]) != math.Float64bits(w) {
				t.Fatalf("Score(%q, %q)[%s] = %v, want %v", output, refs, m, got[m], w)
			}
		}
	})
}

func BenchmarkScoreAll(b *testing.B) {
	refs := []string{"30 days"}
	outputs := []string{"Refunds are accepted within 30 days.", "I think it is 14 days.", "Sorry, I do not know."}
	b.Run("ScoreAll", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			ScoreAll(outputs[i%3], refs)
		}
	})
	b.Run("Scorer", func(b *testing.B) {
		b.ReportAllocs()
		var sc Scorer
		for i := 0; b.Loop(); i++ {
			sc.Score(outputs[i%3], refs)
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			refScoreAll(outputs[i%3], refs)
		}
	})
}
