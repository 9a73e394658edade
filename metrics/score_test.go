package metrics

import (
	"fmt"
	"math"
	"testing"
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
