package builtin

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name     string
		passages []string
		want     []string
	}{
		{"empty", nil, nil},
		{"blank", []string{" \n\t"}, nil},
		{"one", []string{"Refunds take 5 days."}, []string{"Refunds take 5 days."}},
		{"several", []string{"One. Two! Three? Four"}, []string{"One.", "Two!", "Three?", "Four"}},
		{"prices are not breaks", []string{"It costs $4.99 today. Next."}, []string{"It costs $4.99 today.", "Next."}},
		{"line breaks", []string{"first line\nsecond line\r\nthird"}, []string{"first line", "second line", "third"}},
		{"list markers", []string{"- dash\n* star\n• bullet\n1. one\n12) twelve\n+ plus"}, []string{"dash", "star", "bullet", "one", "twelve", "plus"}},
		{"no marker without space", []string{"-5 degrees. 3.5 stars"}, []string{"-5 degrees.", "3.5 stars"}},
		{"several passages", []string{"A. B.", "C."}, []string{"A.", "B.", "C."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitSentences(tt.passages); !slices.Equal(got, tt.want) {
				t.Errorf("splitSentences(%q) = %q, want %q", tt.passages, got, tt.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"How long does SHIPPING take?", []string{"how", "long", "does", "shipping", "take"}},
		{"Don't I get the customer’s refund", []string{"don't", "i", "get", "the", "customer's", "refund"}},
		{"$4.99 sign-in 2FA", []string{"4", "99", "sign", "in", "2fa"}},
		{"'quoted'", []string{"quoted"}},
		{"Café über", []string{"café", "über"}},
	}
	for _, tt := range tests {
		if got := words(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"refund", "refund"}, {"refunds", "refund"}, {"refunded", "refund"}, {"refunding", "refund"},
		{"ship", "ship"}, {"ships", "ship"}, {"shipped", "ship"}, {"shipping", "ship"},
		{"cancel", "cancel"}, {"canceled", "cancel"}, {"cancelled", "cancel"}, {"cancellation", "cancel"},
		{"charge", "charg"}, {"charges", "charg"}, {"charged", "charg"},
		{"deliveries", "delivery"}, {"addresses", "address"}, {"business", "business"},
		{"status", "status"}, {"days", "day"}, {"customer's", "customer"}, {"don't", "dont"},
		{"bill", "bil"}, {"billing", "bil"}, {"use", "use"}, {"fee", "fee"}, {"fees", "fee"},
	}
	for _, tt := range tests {
		if got := stem(tt.in); got != tt.want {
			t.Errorf("stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitClauses(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"No breaks here.", []string{"No breaks here."}},
		{"A; b", []string{"A", "b"}},
		{"Red, green and blue.", []string{"Red, green and blue."}},
		{"You can return items, and you have 30 days.", []string{"You can return items", "you have 30 days."}},
		{"One, but two, or three; four", []string{"One", "two", "three", "four"}},
		{";", []string{";"}},
	}
	for _, tt := range tests {
		if got := splitClauses(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitClauses(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAsksQuantity(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"How long does shipping take?", true},
		{"how much is it", true},
		{"When does it expire?", true},
		{"What's the deadline?", true},
		{"How do I reset my password?", false},
		{"Which carrier do you use?", false},
	}
	for _, tt := range tests {
		if got := asksQuantity(tt.q); got != tt.want {
			t.Errorf("asksQuantity(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestEstimateAndTruncate(t *testing.T) {
	tests := []struct {
		text      string
		tokens    int
		max       int
		truncated string
		cut       bool
	}{
		{"", 0, 1, "", false},
		{"one", 1, 1, "one", false},
		{"one two", 3, 3, "one two", false},
		{"one two three", 4, 3, "one two", true},
		{"one two three four", 5, 1, "one", true},
		{"  spaced   words  here ", 4, 3, "  spaced   words", true},
		{"héllo wörld again", 4, 1, "héllo", true},
	}
	for _, tt := range tests {
		if got := estimateTokens(tt.text); got != tt.tokens {
			t.Errorf("estimateTokens(%q) = %d, want %d", tt.text, got, tt.tokens)
		}
		got, cut := truncateWords(tt.text, tt.max)
		if got != tt.truncated || cut != tt.cut {
			t.Errorf("truncateWords(%q, %d) = %q, %v, want %q, %v", tt.text, tt.max, got, cut, tt.truncated, tt.cut)
		}
	}
}

// quickstartPrompt is the prompt template of the quickstart config.
func quickstartPrompt(input string, passages []string) string {
	var b strings.Builder
	b.WriteString("Answer the customer's question using only the context below.\n\nContext:\n")
	for _, p := range passages {
		b.WriteString("- " + p + "\n")
	}
	b.WriteString("\nQuestion: " + input + "\n")
	return b.String()
}

func TestParsePrompt(t *testing.T) {
	tests := []struct {
		name     string
		msgs     []message
		question string
		passages []string
		err      error
	}{
		{
			name:     "quickstart template",
			msgs:     []message{{"user", quickstartPrompt("How long is the return window?", []string{"Returns: 30 days. Keep the receipt.", "Shipping is free."})}},
			question: "How long is the return window?",
			passages: []string{"- Returns: 30 days. Keep the receipt.", "- Shipping is free."},
		},
		{
			name: "system context, bare question",
			msgs: []message{
				{"system", "You are a support agent.\nRefunds take 5 days."},
				{"user", "How long do refunds take?"},
			},
			question: "How long do refunds take?",
			passages: []string{"You are a support agent.", "Refunds take 5 days."},
		},
		{
			name:     "last paragraph is the question",
			msgs:     []message{{"user", "Refunds take 5 days.\nExchanges are free.\n\nHow long do refunds take?\n\n"}},
			question: "How long do refunds take?",
			passages: []string{"Refunds take 5 days.", "Exchanges are free."},
		},
		{
			name:     "question up to the answer line",
			msgs:     []message{{"user", "Context: Refunds take 5 days.\nQuestion: How long\ndo refunds take?\nAnswer:"}},
			question: "How long\ndo refunds take?",
			passages: []string{"Refunds take 5 days."},
		},
		{
			name:     "few-shot lines are not context",
			msgs:     []message{{"user", "Context:\n- Refunds take 5 days.\nQuestion: Is it free?\nAnswer: Yes.\nquestion: How long do refunds take?\nANSWER:"}},
			question: "How long do refunds take?",
			passages: []string{"- Refunds take 5 days."},
		},
		{
			name: "only the last user message holds the question",
			msgs: []message{
				{"user", "Question: first?"},
				{"assistant", "Ignored answer."},
				{"tool", "Ignored tool output."},
				{"developer", "Dev note."},
				{"user", "Question: second?"},
			},
			question: "second?",
			passages: []string{"Dev note."},
		},
		{
			name: "no user message",
			msgs: []message{{"system", "Refunds take 5 days."}},
			err:  errNoUserMessage,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, ps, err := parsePrompt(tt.msgs)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if q != tt.question || !slices.Equal(ps, tt.passages) {
				t.Errorf("got %q, %q, want %q, %q", q, ps, tt.question, tt.passages)
			}
		})
	}
}

// TestQuickstartPromptRoundTrip checks that the quickstart template gives a
// model exactly the item's passages and input.
func TestQuickstartPromptRoundTrip(t *testing.T) {
	passages := []string{
		"Standard shipping takes 5 to 7 business days. Express costs $14.99.",
		"You can return unused items for a full refund, and you have 30 days from delivery to start a return.",
		"Password reset links expire after 1 hour.",
	}
	input := "How many days do I have to start a return?"
	q, ps, err := parsePrompt([]message{{"user", quickstartPrompt(input, passages)}})
	if err != nil {
		t.Fatal(err)
	}
	if q != input {
		t.Errorf("question = %q, want %q", q, input)
	}
	if got, want := splitSentences(ps), splitSentences(passages); !slices.Equal(got, want) {
		t.Errorf("sentences = %q, want %q", got, want)
	}
}
