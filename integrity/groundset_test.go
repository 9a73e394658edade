package integrity_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
)

// grounding returns a lexical Grounding with the given supported and
// unsupported claim counts and score.
func fakeGrounding(supported, unsupported int, score float64) integrity.Grounding {
	g := integrity.Grounding{Method: integrity.GroundLexical, SupportedFraction: 1, Score: score}
	for i := range supported + unsupported {
		g.Claims = append(g.Claims, integrity.Claim{Text: "claim", Supported: i < supported})
	}
	if n := supported + unsupported; n > 0 {
		g.SupportedFraction = float64(supported) / float64(n)
		g.Hallucinated = unsupported > 0
	}
	return g
}

func fakeAbstention() integrity.Grounding {
	return integrity.Grounding{Method: integrity.GroundLexical, SupportedFraction: 1, Abstained: true,
		Claims: []integrity.Claim{{Text: "I don't know.", Supported: true, Abstention: true}}}
}

func TestComputeGroundedness(t *testing.T) {
	answers := []integrity.GroundedAnswer{
		{ID: "a", Task: "qa", Groups: map[string]string{"lang": "en"}, Grounding: fakeGrounding(3, 0, 0.1)},
		{ID: "b", Task: "qa", Groups: map[string]string{"lang": "fr"}, Grounding: fakeGrounding(1, 1, 0.7)},
		{ID: "c", Task: "summary", Groups: map[string]string{"lang": "en"}, Grounding: fakeGrounding(0, 2, 0.9)},
		{ID: "d", Task: "summary", Groups: map[string]string{"lang": ""}, Grounding: fakeAbstention()},
		{ID: "e", Task: "", Grounding: fakeGrounding(0, 0, 0)},
		{ID: "f", Task: "qa", Groups: map[string]string{"lang": "en"}, Error: "judge error: claim 2 has no verdict"},
		{ID: "b", Sample: 1, Task: "qa", Groups: map[string]string{"lang": "fr"}, Grounding: fakeGrounding(2, 1, 0.7)},
	}
	got := integrity.ComputeGroundedness(answers, []string{"lang"}, 0.95)

	if got.Method != integrity.GroundLexical {
		t.Errorf("Method = %q, want lexical", got.Method)
	}
	// Checked: a b c d e b#1 (f failed); grounded: a d e.
	wantRate := metrics.NewProportion(3, 6, 0.95)
	if got.Rate != wantRate {
		t.Errorf("Rate = %v, want %v", got.Rate, wantRate)
	}
	if got.Abstained != 1 || got.NoClaims != 1 || got.Errors != 1 {
		t.Errorf("Abstained, NoClaims, Errors = %d, %d, %d; want 1, 1, 1", got.Abstained, got.NoClaims, got.Errors)
	}
	wantTasks := []integrity.GroundednessSlice{
		{Name: "(none)", Rate: metrics.NewProportion(1, 1, 0.95)},
		{Name: "qa", Rate: metrics.NewProportion(1, 3, 0.95), Hallucinated: 2},
		{Name: "summary", Rate: metrics.NewProportion(1, 2, 0.95), Abstained: 1, Hallucinated: 1},
	}
	if !slices.Equal(got.ByTask, wantTasks) {
		t.Errorf("ByTask = %+v, want %+v", got.ByTask, wantTasks)
	}
	if len(got.ByGroup) != 1 || got.ByGroup[0].Column != "lang" {
		t.Fatalf("ByGroup = %+v, want one column lang", got.ByGroup)
	}
	wantGroups := []integrity.GroundednessSlice{
		{Name: metrics.MissingGroup, Rate: metrics.NewProportion(2, 2, 0.95), Abstained: 1},
		{Name: "en", Rate: metrics.NewProportion(1, 2, 0.95), Hallucinated: 1},
		{Name: "fr", Rate: metrics.NewProportion(0, 2, 0.95), Hallucinated: 2},
	}
	if !slices.Equal(got.ByGroup[0].Groups, wantGroups) {
		t.Errorf("lang groups = %+v, want %+v", got.ByGroup[0].Groups, wantGroups)
	}
	var ids []string
	for _, h := range got.Hallucinated {
		ids = append(ids, h.ID)
		for _, c := range h.Unsupported {
			if c.Supported {
				t.Errorf("%s: a supported claim is listed as unsupported", h.ID)
			}
		}
	}
	// Highest score first; b and b#1 tie on score and go by sample.
	if want := []string{"c", "b", "b"}; !slices.Equal(ids, want) {
		t.Errorf("Hallucinated ids = %q, want %q", ids, want)
	}
	if h := got.Hallucinated[1]; h.Sample != 0 || len(h.Unsupported) != 1 || h.SupportedFraction != 0.5 {
		t.Errorf("Hallucinated[1] = %+v, want sample 0 with 1 unsupported claim, fraction 0.5", h)
	}
	wantWarnings := []string{"could not be checked", "abstained", "no checkable claim", "2 samples per item"}
	if len(got.Warnings) != len(wantWarnings) {
		t.Fatalf("Warnings = %v, want %d", got.Warnings, len(wantWarnings))
	}
	for i, w := range wantWarnings {
		if !strings.Contains(got.Warnings[i].Error(), w) {
			t.Errorf("Warnings[%d] = %q, want it to mention %q", i, got.Warnings[i], w)
		}
	}
	if !strings.Contains(got.Warnings[0].Error(), "judge error: claim 2 has no verdict") {
		t.Errorf("error warning %q does not quote the first error", got.Warnings[0])
	}
}

func TestComputeGroundednessEdges(t *testing.T) {
	tests := []struct {
		name       string
		answers    []integrity.GroundedAnswer
		method     string
		n          int
		warning    string
		hallucSize int
	}{
		{name: "nothing", answers: nil, method: "", warning: "no answer could be checked"},
		{name: "all errors", answers: []integrity.GroundedAnswer{{ID: "a", Error: "timeout"}}, warning: "no answer could be checked"},
		{name: "mixed methods", answers: []integrity.GroundedAnswer{
			{ID: "a", Grounding: fakeGrounding(1, 0, 0)},
			{ID: "b", Grounding: integrity.Grounding{Method: integrity.GroundJudge, SupportedFraction: 0, Hallucinated: true, Claims: []integrity.Claim{{Text: "x"}}}},
		}, method: "mixed", n: 2, warning: "different methods", hallucSize: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := integrity.ComputeGroundedness(tc.answers, nil, 0.95)
			if got.Method != tc.method || got.Rate.N != tc.n || len(got.Hallucinated) != tc.hallucSize {
				t.Errorf("Method %q, N %d, %d hallucinated; want %q, %d, %d", got.Method, got.Rate.N, len(got.Hallucinated), tc.method, tc.n, tc.hallucSize)
			}
			if tc.n == 0 && !math.IsNaN(got.Rate.Rate) {
				t.Errorf("Rate = %v, want NaN with no checked answer", got.Rate.Rate)
			}
			found := false
			for _, w := range got.Warnings {
				found = found || strings.Contains(w.Error(), tc.warning)
			}
			if !found {
				t.Errorf("Warnings = %v, want one mentioning %q", got.Warnings, tc.warning)
			}
			// It must encode for report.json, NaN as null.
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var back integrity.Groundedness
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if back.Rate.N != got.Rate.N || len(back.Warnings) != len(got.Warnings) {
				t.Errorf("round trip changed the result: %s", b)
			}
		})
	}
}

func TestComputeGroundednessJSON(t *testing.T) {
	answers := []integrity.GroundedAnswer{
		{ID: "q1", Task: "qa", Grounding: integrity.Ground("The Eiffel Tower is 450 metres tall.", []string{ctxEiffel})},
	}
	b, err := json.Marshal(integrity.ComputeGroundedness(answers, []string{"lang"}, 0.95))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"rate":{"k":0,"n":1`, `"by_task":[{"name":"qa"`, `"by_group":[{"column":"lang","groups":[{"name":"(missing)"`,
		`"hallucinated":[{"id":"q1","sample":0,"task":"qa","hallucination_score":`, `"missing":["450"]`, `"no_claims":0`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("report JSON lacks %s:\n%s", key, b)
		}
	}
}
