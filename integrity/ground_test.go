package integrity_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/evalgate/evalgate/integrity"
)

const ctxEiffel = "The Eiffel Tower was completed in 1889 for the World's Fair. It is 330 metres tall and stands in Paris."

// ctxYelp is a structured context in the shape of RAGTruth's Data2txt task.
const ctxYelp = `{"name": "Blue Door Cafe", "address": "2220 Bath St", "city": "Goleta", "state": "CA",
 "hours": {"Monday": "8:0-14:0", "Friday": "16:30-21:0"},
 "attributes": {"OutdoorSeating": false, "RestaurantsTakeOut": true, "WiFi": "free", "Music": null,
  "Ambience": {"romantic": false, "casual": true}},
 "business_stars": 4.5,
 "review_info": [{"review_stars": 5.0, "review_date": "2021-12-21 19:03:34",
  "review_text": "Great coffee and \"friendly\" staff.\nThe eggs were perfect!"}]}`

func TestGround(t *testing.T) {
	tests := []struct {
		name    string
		output  string
		context []string
		// want
		claims       int
		supported    int
		hallucinated bool
		abstained    bool
		missing      []string // Missing of every claim, in order
		contradicted []string // Contradicted of every claim, in order
		unsupported  []string // texts of the unsupported claims
	}{
		{
			name:    "supported paraphrase",
			output:  "The tower was finished in 1889 and is 330 metres high.",
			context: []string{ctxEiffel}, claims: 1, supported: 1,
		},
		{
			name:    "invented number",
			output:  "The Eiffel Tower is 450 metres tall.",
			context: []string{ctxEiffel}, claims: 1, hallucinated: true,
			missing: []string{"450"}, unsupported: []string{"The Eiffel Tower is 450 metres tall."},
		},
		{
			name:    "invented name",
			output:  "The Eiffel Tower in Paris was designed by Gustave Eiffel.",
			context: []string{ctxEiffel}, claims: 1, hallucinated: true,
			missing: []string{"Gustave"}, unsupported: []string{"The Eiffel Tower in Paris was designed by Gustave Eiffel."},
		},
		{
			name:    "date mismatch",
			output:  "The vote took place on 14 March 2024.",
			context: []string{"The council vote took place on 12 March 2024 in the town hall."}, claims: 1, hallucinated: true,
			missing: []string{"14"}, unsupported: []string{"The vote took place on 14 March 2024."},
		},
		{
			name:    "date in another format",
			output:  "A reviewer praised the coffee in December 2021.",
			context: []string{ctxYelp}, claims: 1, supported: 1,
		},
		{
			name:    "abstention about the context",
			output:  "The context does not say when the shop opens.",
			context: []string{ctxEiffel}, claims: 1, supported: 1, abstained: true,
		},
		{
			name:    "abstention, I don't know",
			output:  "Sorry, I don’t know.",
			context: []string{ctxEiffel}, claims: 1, supported: 1, abstained: true,
		},
		{
			name:    "abstention, not mentioned in the provided information",
			output:  "The opening hours are not mentioned in the provided information.",
			context: []string{ctxEiffel}, claims: 1, supported: 1, abstained: true,
		},
		{
			name:    "a negative statement is not an abstention",
			output:  "The museum does not provide free parking.",
			context: []string{ctxEiffel}, claims: 1, hallucinated: true,
			unsupported: []string{"The museum does not provide free parking."},
		},
		{
			name:   "empty output",
			output: "", context: []string{ctxEiffel},
		},
		{
			name:   "no content words",
			output: "Sure! Here it is:", context: []string{ctxEiffel},
		},
		{
			name:   "empty context",
			output: "Paris is the capital of France.", claims: 1, hallucinated: true,
			missing: []string{"France"}, unsupported: []string{"Paris is the capital of France."},
		},
		{
			name: "multi-claim partial support",
			output: "The Eiffel Tower was completed in 1889. It stands in Paris.\n" +
				"It attracts seven million visitors every year; tickets cost 30 euros.",
			context: []string{ctxEiffel}, claims: 4, supported: 2, hallucinated: true,
			missing:     []string{"30"},
			unsupported: []string{"It attracts seven million visitors every year", "tickets cost 30 euros."},
		},
		{
			name:    "best of several passages",
			output:  "Shipping takes 2 days.",
			context: []string{"Refunds are accepted within 30 days.", "Shipping takes 2 days within the country."},
			claims:  1, supported: 1,
		},
		{
			name:    "unicode",
			output:  "Café Müller opened in Zürich in 1999. Café Müller moved to Genève in 2005.",
			context: []string{"Das Café Müller in Zürich öffnete 1999."}, claims: 2, supported: 1, hallucinated: true,
			missing: []string{"Genève", "2005"}, unsupported: []string{"Café Müller moved to Genève in 2005."},
		},
		{
			name:    "number normalisation",
			output:  "The fund raised 1000000 dollars in 2020, a 4.5% return.",
			context: []string{"In 2020 the fund raised $1,000,000 (a 4.50% return on 08.00 hours of work)."},
			claims:  2, supported: 2, // the comma cuts a clause

		},
		{
			name:    "decimal is not rounded",
			output:  "The fund returned 4.6% in 2020.",
			context: []string{"In 2020 the fund returned 4.50%."}, claims: 1, hallucinated: true,
			missing: []string{"4.6"}, unsupported: []string{"The fund returned 4.6% in 2020."},
		},
		{
			name: "structured context, matching attributes",
			output: "Blue Door Cafe in Goleta, California has a 4.5-star rating. It offers free Wi-Fi and takeout.\n" +
				"It opens at 8:00 am on Mondays and closes at 9 pm on Fridays. It has no outdoor seating.",
			context: []string{ctxYelp}, claims: 4, supported: 4,
		},
		{
			name:    "structured context, false and null attributes",
			output:  "Blue Door Cafe offers outdoor seating. It has live music and a romantic atmosphere.",
			context: []string{ctxYelp}, claims: 2, hallucinated: true,
			contradicted: []string{"seating", "music", "romantic"},
			unsupported:  []string{"Blue Door Cafe offers outdoor seating.", "It has live music and a romantic atmosphere."},
		},
		{
			name:    "structured context, wrong hours",
			output:  "Blue Door Cafe closes at 10 pm on Fridays.",
			context: []string{ctxYelp}, claims: 1, hallucinated: true,
			missing: []string{"10 pm"}, unsupported: []string{"Blue Door Cafe closes at 10 pm on Fridays."},
		},
		{
			name:    "lead-in and list markers are not claims",
			output:  "Here is a summary in 42 words:\n1. The Eiffel Tower was completed in 1889.\n- It stands in Paris.",
			context: []string{ctxEiffel}, claims: 2, supported: 2,
		},
		{
			name:    "acronym and derived name",
			output:  "CHIP was extended by the Senate. Canadian officials welcomed it.",
			context: []string{"The Senate extended the Children's Health Insurance Program. Officials in Canada welcomed the move."},
			claims:  2, supported: 2,
		},
		{
			name:    "similar names are not the same",
			output:  "Officials in Iraq welcomed the deal.",
			context: []string{"Officials in Iran welcomed the deal."}, claims: 1, hallucinated: true,
			missing: []string{"Iraq"}, unsupported: []string{"Officials in Iraq welcomed the deal."},
		},
		{
			name:    "unrelated claim",
			output:  "Bananas are rich in potassium and grow in tropical climates.",
			context: []string{ctxEiffel}, claims: 1, hallucinated: true,
			unsupported: []string{"Bananas are rich in potassium and grow in tropical climates."},
		},
	}
	g := integrity.NewGrounder(integrity.GroundOptions{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := g.Ground(tc.output, tc.context)
			if got.Method != integrity.GroundLexical {
				t.Errorf("Method = %q, want %q", got.Method, integrity.GroundLexical)
			}
			if len(got.Claims) != tc.claims {
				t.Fatalf("%d claims, want %d: %s", len(got.Claims), tc.claims, groundingJSON(got))
			}
			supported := 0
			var missing, contradicted, unsupported []string
			for _, c := range got.Claims {
				if c.Supported {
					supported++
				} else {
					unsupported = append(unsupported, c.Text)
				}
				missing = append(missing, c.Missing...)
				contradicted = append(contradicted, c.Contradicted...)
			}
			if supported != tc.supported {
				t.Errorf("%d supported claims, want %d: %s", supported, tc.supported, groundingJSON(got))
			}
			wantFrac := 1.0
			if tc.claims > 0 {
				wantFrac = float64(tc.supported) / float64(tc.claims)
			}
			if got.SupportedFraction != wantFrac {
				t.Errorf("SupportedFraction = %v, want %v", got.SupportedFraction, wantFrac)
			}
			if got.Hallucinated != tc.hallucinated {
				t.Errorf("Hallucinated = %v, want %v: %s", got.Hallucinated, tc.hallucinated, groundingJSON(got))
			}
			if got.Abstained != tc.abstained {
				t.Errorf("Abstained = %v, want %v", got.Abstained, tc.abstained)
			}
			if !slices.Equal(missing, tc.missing) {
				t.Errorf("Missing = %q, want %q", missing, tc.missing)
			}
			if !slices.Equal(contradicted, tc.contradicted) {
				t.Errorf("Contradicted = %q, want %q", contradicted, tc.contradicted)
			}
			if !slices.Equal(unsupported, tc.unsupported) {
				t.Errorf("unsupported claims = %q, want %q", unsupported, tc.unsupported)
			}
			if u := got.Unsupported(); len(u) != len(tc.unsupported) {
				t.Errorf("Unsupported() has %d claims, want %d", len(u), len(tc.unsupported))
			}
			checkGrounding(t, tc.output, tc.context, got)
		})
	}
}

// checkGrounding checks what must hold for every lexical Grounding.
func checkGrounding(t *testing.T, output string, context []string, g integrity.Grounding) {
	t.Helper()
	if !(g.SupportedFraction >= 0 && g.SupportedFraction <= 1) {
		t.Errorf("SupportedFraction = %v, outside [0, 1]", g.SupportedFraction)
	}
	if !(g.Score >= 0 && g.Score <= 1) {
		t.Errorf("Score = %v, outside [0, 1]", g.Score)
	}
	if len(g.Claims) == 0 && (g.Hallucinated || g.Score != 0) {
		t.Errorf("no claims, but Hallucinated = %v, Score = %v", g.Hallucinated, g.Score)
	}
	unsupported := 0
	for i, c := range g.Claims {
		if c.Start < 0 || c.End > len(output) || c.Start > c.End || output[c.Start:c.End] != c.Text {
			t.Errorf("claim %d: Text %q is not output[%d:%d]", i, c.Text, c.Start, c.End)
		}
		if !(c.Coverage >= 0 && c.Coverage <= 1) {
			t.Errorf("claim %d: Coverage = %v, outside [0, 1]", i, c.Coverage)
		}
		if c.Passage < -1 || c.Passage >= len(context) {
			t.Errorf("claim %d: Passage = %d, outside [-1, %d)", i, c.Passage, len(context))
		}
		if c.Passage >= 0 && c.Snippet != "" && !strings.Contains(context[c.Passage], strings.TrimSuffix(c.Snippet, "…")) {
			t.Errorf("claim %d: Snippet %q is not in passage %d", i, c.Snippet, c.Passage)
		}
		if !c.Supported {
			unsupported++
		}
		if c.Supported && (len(c.Missing) > 0 || len(c.Contradicted) > 0) {
			t.Errorf("claim %d is supported with hard evidence against it: %+v", i, c)
		}
	}
	if g.Hallucinated != (unsupported > 0) {
		t.Errorf("Hallucinated = %v with %d unsupported claims", g.Hallucinated, unsupported)
	}
}

func groundingJSON(g integrity.Grounding) string {
	b, _ := json.MarshalIndent(g, "", "  ")
	return string(b)
}

func TestGroundEvidence(t *testing.T) {
	got := integrity.Ground("The Eiffel Tower was completed in 1889. It is 450 metres tall.", []string{"Paris has many sights.", ctxEiffel})
	if len(got.Claims) != 2 {
		t.Fatalf("%d claims, want 2", len(got.Claims))
	}
	first, second := got.Claims[0], got.Claims[1]
	if first.Passage != 1 || first.Snippet != "The Eiffel Tower was completed in 1889 for the World's Fair." {
		t.Errorf("supported claim: Passage %d, Snippet %q; want 1, the first sentence of the passage", first.Passage, first.Snippet)
	}
	if first.Coverage != 1 || first.Uncovered != nil {
		t.Errorf("supported claim: Coverage %v, Uncovered %q; want 1, none", first.Coverage, first.Uncovered)
	}
	if second.Snippet != "It is 330 metres tall and stands in Paris." {
		t.Errorf("unsupported claim: Snippet %q", second.Snippet)
	}
	if !slices.Equal(second.Uncovered, []string{"450"}) {
		t.Errorf("unsupported claim: Uncovered %q, want [450]", second.Uncovered)
	}
	// Hard evidence dominates the score: one missing number halves what
	// the coverage left.
	if want := 1 - (1-(0+1.0/3)/2)*0.5; math.Abs(got.Score-want) > 1e-12 {
		t.Errorf("Score = %v, want %v", got.Score, want)
	}
}

func TestGrounderOptions(t *testing.T) {
	out := "The tower attracts visitors from many countries."
	ctx := []string{ctxEiffel + " Visitors come from all over."}
	// Content words: tower, attracts, visitors, countries; covered: tower,
	// visitors (2 of 4).
	tests := []struct {
		name string
		opts integrity.GroundOptions
		want bool // supported
	}{
		{"default third", integrity.GroundOptions{}, true},
		{"half", integrity.GroundOptions{MinCoverage: 0.5}, true},
		{"three quarters", integrity.GroundOptions{MinCoverage: 0.75}, false},
		{"above one is clamped to all words", integrity.GroundOptions{MinCoverage: 7}, false},
		{"stop words replaced", integrity.GroundOptions{MinCoverage: 0.75, StopWords: append(integrity.DefaultStopWords(), "attracts", "countries")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := integrity.NewGrounder(tc.opts).Ground(out, ctx)
			if len(got.Claims) != 1 || got.Claims[0].Supported != tc.want {
				t.Errorf("got %s, want supported = %v", groundingJSON(got), tc.want)
			}
		})
	}
	if got := integrity.NewGrounder(integrity.GroundOptions{StopWords: []string{}}).Claims("The and of."); len(got) != 1 {
		t.Errorf("with no stop words, Claims = %q, want one claim", got)
	}
	var zero integrity.Grounder
	if got := zero.Ground("The tower is 450 metres tall.", ctx); !got.Hallucinated || len(got.Claims) != 1 {
		t.Errorf("zero Grounder: %s, want the invented number caught", groundingJSON(got))
	}
}

func TestSplitClaims(t *testing.T) {
	tests := []struct {
		name, output string
		want         []string
	}{
		{"sentences", "Dr. Smith arrived at 9 a.m. on Monday. He left at 5.30 p.m.! Why? Nobody knows.",
			[]string{"Dr. Smith arrived at 9 a.m. on Monday.", "He left at 5.30 p.m.!", "Nobody knows."}},
		{"lines, semicolons and bullets", "Summary:\n* Prices rose 3%; wages fell.\n2) Rents held.",
			[]string{"Prices rose 3%", "wages fell.", "Rents held."}},
		{"initials and decimals", "J. R. R. Tolkien sold 4.5 million copies in the U.S. market.",
			[]string{"J. R. R. Tolkien sold 4.5 million copies in the U.S. market."}},
		{"quotes", `He said "it works." Then he left.`, []string{`He said "it works."`, "Then he left."}},
		{"nothing", "  \n ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := integrity.SplitClaims(tc.output); !slices.Equal(got, tc.want) {
				t.Errorf("SplitClaims(%q) = %q, want %q", tc.output, got, tc.want)
			}
		})
	}
}

// TestGroundConcurrent checks that one Grounder gives the same answers from
// many goroutines as from one (run with -race to check for data races).
func TestGroundConcurrent(t *testing.T) {
	g := integrity.NewGrounder(integrity.GroundOptions{})
	cases := [][2]string{
		{"The Eiffel Tower is 450 metres tall.", ctxEiffel},
		{"Blue Door Cafe offers outdoor seating and free WiFi.", ctxYelp},
		{"The context does not say.", ctxEiffel},
		{"Café Müller opened in Zürich in 1999.", "Das Café Müller in Zürich öffnete 1999."},
	}
	want := make([]string, len(cases))
	for i, c := range cases {
		want[i] = groundingJSON(g.Ground(c[0], []string{c[1]}))
	}
	var wg sync.WaitGroup
	errs := make([]string, 8)
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				c := cases[(i+w)%len(cases)]
				if got := groundingJSON(g.Ground(c[0], []string{c[1]})); got != want[(i+w)%len(cases)] {
					errs[w] = fmt.Sprintf("goroutine %d, case %d: got %s, want %s", w, (i+w)%len(cases), got, want[(i+w)%len(cases)])
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}

// TestGroundSynonyms checks the WordNet paraphrase tolerance: a claim word
// is covered by a synonym ("purchased"/"bought", an irregular form) or a
// derived form ("decision"/"decided") in the passage, and not by a word
// of an unrelated sense; NoSynonyms turns it off.
func TestGroundSynonyms(t *testing.T) {
	cases := []struct {
		name, claim, context string
		want, wantOff        float64 // coverage with and without synonyms
	}{
		{"synonym", "The shop purchased a mill.", "The shop bought a factory.", 1, 1.0 / 3},
		{"derived form", "The board decided quickly.", "The board's decision came quickly.", 1, 2.0 / 3},
		{"unrelated", "The firm purchased a factory.", "The river flooded the valley.", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, off := range []bool{false, true} {
				g := integrity.NewGrounder(integrity.GroundOptions{NoSynonyms: off})
				r := g.Ground(c.claim, []string{c.context})
				want := c.want
				if off {
					want = c.wantOff
				}
				if len(r.Claims) != 1 || math.Abs(r.Claims[0].Coverage-want) > 1e-9 {
					t.Errorf("NoSynonyms %v: claims %+v, want one with coverage %.3f", off, r.Claims, want)
				}
			}
		})
	}
}

// TestSplitClauses checks how sentences are cut into claims: after commas
// and before clause-opening conjunctions, not inside names, not before a
// bare "and", and never into a piece too short to check.
func TestSplitClauses(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
	}{
		{"comma", "The council approved the budget, a record sum for roads.",
			[]string{"The council approved the budget", "a record sum for roads."}},
		{"but", "The council approved the budget but the mayor vetoed it.",
			[]string{"The council approved the budget", "but the mayor vetoed it."}},
		{"while", "Sales rose in Europe while profits fell in Asia.",
			[]string{"Sales rose in Europe", "while profits fell in Asia."}},
		{"name with a comma", "The cafe in Goleta, California serves breakfast.",
			[]string{"The cafe in Goleta, California serves breakfast."}},
		{"bare and joins nouns", "Shelton and Bryan hosted the awards show.",
			[]string{"Shelton and Bryan hosted the awards show."}},
		{"short piece joins its neighbour", "However, the mayor vetoed the budget.",
			[]string{"However, the mayor vetoed the budget."}},
		{"list items join", "Soldiers came from Australia, Canada and Britain to the quarry.",
			[]string{"Soldiers came from Australia, Canada and Britain to the quarry."}},
		{"comma and", "The court ruled on Monday, and the family appealed the decision.",
			[]string{"The court ruled on Monday", "and the family appealed the decision."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := integrity.SplitClaims(c.text); !slices.Equal(got, c.want) {
				t.Errorf("SplitClaims(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

func ExampleGrounder_Ground() {
	g := integrity.NewGrounder(integrity.GroundOptions{})
	context := []string{"The Eiffel Tower was completed in 1889. It is 330 metres tall."}
	answer := "The tower was finished in 1889. It is 450 metres tall and was designed by Gustave Eiffel."
	r := g.Ground(answer, context)
	fmt.Printf("supported %.2f, hallucinated %v, score %.2f\n", r.SupportedFraction, r.Hallucinated, r.Score)
	for _, c := range r.Claims {
		fmt.Printf("%v %q coverage %.2f evidence %q missing %q\n", c.Supported, c.Text, c.Coverage, c.Snippet, c.Missing)
	}
	// Output:
	// supported 0.50, hallucinated true, score 0.81
	// true "The tower was finished in 1889." coverage 1.00 evidence "The Eiffel Tower was completed in 1889." missing []
	// false "It is 450 metres tall and was designed by Gustave Eiffel." coverage 0.50 evidence "It is 330 metres tall." missing ["450" "Gustave"]
}

func FuzzGround(f *testing.F) {
	f.Add("The Eiffel Tower is 450 metres tall.", ctxEiffel)
	f.Add("Blue Door Cafe offers outdoor seating. It opens at 8 am.", ctxYelp)
	f.Add("I don't know.", "")
	f.Add("1,000.5 9 p.m. 12:00am U.S. O'Brien's well-known CamelCase &nbsp; \\u00e9", `{"a\"b": "c\\nd", "x": [1, 2.50, null, false]`)
	f.Add("Ünïcödé \xff\xfe invalid", "{[\"\\")
	g := integrity.NewGrounder(integrity.GroundOptions{})
	f.Fuzz(func(t *testing.T, output, context string) {
		for _, ctx := range [][]string{{context}, {context, output}, nil} {
			got := g.Ground(output, ctx)
			checkGrounding(t, output, ctx, got)
			if len(got.Claims) == 0 && got.SupportedFraction != 1 {
				t.Errorf("no claims, SupportedFraction = %v", got.SupportedFraction)
			}
		}
		if utf8.ValidString(output) {
			// Claims splits the way Ground does.
			claims := g.Claims(output)
			got := g.Ground(output, []string{context})
			if len(claims) != len(got.Claims) {
				t.Errorf("Claims gives %d claims, Ground %d", len(claims), len(got.Claims))
			}
		}
	})
}
