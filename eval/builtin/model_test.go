package builtin_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/eval/builtin"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name     string
		resolved string
		wantErr  bool
	}{
		{"extractive-v1", "extractive-v1", false},
		{"extractive-v2", "extractive-v2", false},
		{"extractive", "extractive-v2", false},
		{"Extractive", "", true},
		{"extractive-v3", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := builtin.Lookup(tt.name)
			if tt.wantErr {
				if !errors.Is(err, builtin.ErrUnknownModel) {
					t.Fatalf("err = %v, want ErrUnknownModel", err)
				}
				for _, n := range builtin.Names() {
					if !strings.Contains(err.Error(), n) {
						t.Errorf("error %q does not list %q", err, n)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Name() != tt.resolved {
				t.Errorf("Name() = %q, want %q", m.Name(), tt.resolved)
			}
		})
	}
}

func TestNames(t *testing.T) {
	want := []string{"extractive", "extractive-v1", "extractive-v2"}
	if got := builtin.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestZeroModel(t *testing.T) {
	var m builtin.Model
	if got := m.Answer("anything?", []string{"Some context."}); got != builtin.IDontKnow {
		t.Errorf("zero Model answered %q, want %q", got, builtin.IDontKnow)
	}
}

func TestAnswer(t *testing.T) {
	returnPassage := "You can return unused items for a full refund, and you have 30 days from delivery to start a return. Final sale items cannot be returned."
	tests := []struct {
		name     string
		model    string
		question string
		passages []string
		want     string
	}{
		{"v1 no context", "extractive-v1", "How long?", nil, builtin.IDontKnow},
		{"v2 no context", "extractive-v2", "How long?", []string{" ", "\n"}, builtin.IDontKnow},
		{
			"v1 most shared tokens", "extractive-v1", "How long does standard shipping take?",
			[]string{"Express shipping takes 2 days. Standard shipping takes 5 days."},
			"Standard shipping takes 5 days.",
		},
		{
			"v1 ties go to the first sentence", "extractive-v1", "Is it free?",
			[]string{"Returns are free.", "Exchanges are free."},
			"Returns are free.",
		},
		{
			"v1 with no overlap answers the first sentence", "extractive-v1", "zzz",
			[]string{"First.", "Second."},
			"First.",
		},
		{
			"v1 counts stop words", "extractive-v1", "What is the price of it?",
			[]string{"The plan is the one for teams.", "Plus costs $9 per month."},
			"The plan is the one for teams.",
		},
		{
			"v2 ignores stop words and expands price to cost", "extractive-v2", "What is the price of it?",
			[]string{"The plan is the one for teams.", "Plus costs $9 per month."},
			"Plus costs $9 per month.",
		},
		{
			"v1 does not stem", "extractive-v1", "When are refunds processed?",
			[]string{"Your refund is processing now.", "Refunds are issued when we receive the item."},
			"Refunds are issued when we receive the item.",
		},
		{
			"v2 stems", "extractive-v2", "When are refunds processed?",
			[]string{"Refunds go to your card.", "Your refund is processed within 5 days."},
			"Your refund is processed within 5 days.",
		},
		{
			"v2 paraphrase lexicon", "extractive-v2", "Can I get my money back?",
			[]string{"Orders ship in 2 days.", "A refund is issued within 5 days of approval."},
			"A refund is issued within 5 days of approval.",
		},
		{
			"v2 british vocabulary", "extractive-v2", "How do I track my parcel?",
			[]string{"Tracking links come by email.", "Track your package from the Orders page."},
			"Track your package from the Orders page.",
		},
		{
			"v2 idf discounts common words", "extractive-v2", "How long does the standard order take to ship?",
			[]string{"Every order ships from Ohio.", "Every order gets a receipt.", "Standard orders take 5 days."},
			"Standard orders take 5 days.",
		},
		{
			"v2 quantity questions favour numbers", "extractive-v2", "How long is the warranty?",
			[]string{"The warranty covers defects.", "The warranty lasts 2 years."},
			"The warranty lasts 2 years.",
		},
		{
			"v2 abstains without any match", "extractive-v2", "Do you sell gift cards?",
			[]string{"Shipping is free over $50.", "Returns take 30 days."},
			builtin.IDontKnow,
		},
		{
			"v1 keeps the whole sentence", "extractive-v1", "How many days do I have to return unused items for a refund?",
			[]string{returnPassage},
			"You can return unused items for a full refund, and you have 30 days from delivery to start a return.",
		},
		{
			"v2 answers one clause and drops the answer", "extractive-v2", "How many days do I have to return unused items for a refund?",
			[]string{returnPassage},
			"You can return unused items for a full refund.",
		},
		{
			"v2 clause that holds the answer", "extractive-v2", "How many days from delivery do I have to start a return?",
			[]string{returnPassage},
			"You have 30 days from delivery to start a return.",
		},
		{
			"list markers and lines", "extractive-v1", "Which carrier?",
			[]string{"- Returns are free.\n- We use one carrier: UPS."},
			"We use one carrier: UPS.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := builtin.Lookup(tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Answer(tt.question, tt.passages); got != tt.want {
				t.Errorf("Answer(%q) = %q, want %q", tt.question, got, tt.want)
			}
		})
	}
}

func ExampleLookup() {
	passages := []string{
		"Standard shipping takes 5 to 7 business days. Express shipping costs $14.99.",
		"You can return unused items for a full refund, and you have 30 days from delivery to start a return.",
	}
	for _, name := range []string{"extractive-v1", "extractive"} {
		m, err := builtin.Lookup(name)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s\n", m.Name(), m.Answer("What does it cost to get my order faster?", passages))
	}
	// Output:
	// extractive-v1: Standard shipping takes 5 to 7 business days.
	// extractive-v2: Express shipping costs $14.99.
}

func BenchmarkAnswer(b *testing.B) {
	passages := []string{
		"Standard shipping takes 5 to 7 business days within the continental United States. Orders placed before noon Eastern time leave our warehouse the same business day. You will get a tracking number by email as soon as your order ships.",
		"Express shipping costs $14.99 per order and arrives in 1 to 2 business days. Express orders must be placed before noon to leave the same day.",
		"You can return unused items for a full refund, and you have 30 days from delivery to start a return. Items must be sent back in their original packaging. Final sale items cannot be returned.",
		"Password reset links expire after 1 hour, and we send them only to the email on your account. If the link has expired, you can request a new one from the sign-in page.",
	}
	for _, name := range []string{"extractive-v1", "extractive-v2"} {
		m, err := builtin.Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Answer("how long till my parcel gets here if i pick regular delivery?", passages)
			}
		})
	}
}
