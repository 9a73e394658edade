package builtin_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/evalgate/evalgate/datasets/examples/supportqa"
	"github.com/evalgate/evalgate/eval/builtin"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
)

// containsAnswer is "contains" scoring, as evalgate run applies it.
func containsAnswer(output string, it records.Item) bool {
	return metrics.Contains(output, metrics.Refs(it.Expected, it.ExpectedAny))
}

// measurement is the accuracy of one model on the example set.
type measurement struct {
	correct map[string]bool // by item id
	overall float64
	byGroup map[string]map[string]float64 // column → value → accuracy
	gap     map[string]float64            // column → max − min accuracy
}

func measure(t *testing.T, name string, items []records.Item) measurement {
	t.Helper()
	m, err := builtin.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	res := measurement{correct: map[string]bool{}, byGroup: map[string]map[string]float64{}, gap: map[string]float64{}}
	type tally struct{ right, n int }
	groups := map[string]map[string]*tally{}
	right := 0
	for _, it := range items {
		ok := containsAnswer(m.Answer(it.Input, it.Context), it)
		res.correct[it.ID] = ok
		if ok {
			right++
		}
		cols := append(supportqa.ExtraColumns(), "task")
		for _, c := range cols {
			v := it.Extra[c]
			if c == "task" {
				v = it.Task
			}
			if groups[c] == nil {
				groups[c] = map[string]*tally{}
			}
			if groups[c][v] == nil {
				groups[c][v] = &tally{}
			}
			groups[c][v].n++
			if ok {
				groups[c][v].right++
			}
		}
	}
	res.overall = float64(right) / float64(len(items))
	for c, vs := range groups {
		res.byGroup[c] = map[string]float64{}
		lo, hi := 1.0, 0.0
		for v, tl := range vs {
			a := float64(tl.right) / float64(tl.n)
			res.byGroup[c][v] = a
			lo, hi = min(lo, a), max(hi, a)
		}
		res.gap[c] = hi - lo
	}
	return res
}

// TestExampleSetQuality measures both builtin models on the support-qa
// example set and checks the properties the quickstart relies on: v2 is
// clearly better, v1 is less fair across the group columns, and
// regressions flow both ways.
func TestExampleSetQuality(t *testing.T) {
	items := supportqa.Items(supportqa.DefaultSeed)
	v1 := measure(t, "extractive-v1", items)
	v2 := measure(t, "extractive-v2", items)

	counts := map[string]map[string]int{}
	for _, it := range items {
		for _, c := range append(supportqa.ExtraColumns(), "task") {
			v := it.Extra[c]
			if c == "task" {
				v = it.Task
			}
			if counts[c] == nil {
				counts[c] = map[string]int{}
			}
			counts[c][v]++
		}
	}
	t.Logf("items: %d", len(items))
	t.Logf("accuracy (contains): extractive-v1 %.3f, extractive-v2 %.3f", v1.overall, v2.overall)
	cols := append(supportqa.ExtraColumns(), "task")
	for _, c := range cols {
		var vals []string
		for v := range counts[c] {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		var parts []string
		for _, v := range vals {
			parts = append(parts, fmt.Sprintf("%s(n=%d) %.3f/%.3f", v, counts[c][v], v1.byGroup[c][v], v2.byGroup[c][v]))
		}
		t.Logf("%-13s v1/v2: %s; gap v1 %.3f, v2 %.3f", c, strings.Join(parts, ", "), v1.gap[c], v2.gap[c])
	}
	var fixed, broke []string
	for _, it := range items {
		switch {
		case !v1.correct[it.ID] && v2.correct[it.ID]:
			fixed = append(fixed, it.ID)
		case v1.correct[it.ID] && !v2.correct[it.ID]:
			broke = append(broke, it.ID)
		}
	}
	t.Logf("flips v1→v2: wrong→right %d, right→wrong %d %v", len(fixed), len(broke), broke)

	if d := v2.overall - v1.overall; d <= 0.1 {
		t.Errorf("v2 − v1 accuracy = %.3f, want > 0.1", d)
	}
	for _, c := range supportqa.GroupColumns() {
		if v1.gap[c] <= v2.gap[c] {
			t.Errorf("%s accuracy gap: v1 %.3f, v2 %.3f, want v1 > v2", c, v1.gap[c], v2.gap[c])
		}
	}
	if len(fixed) == 0 || len(broke) == 0 {
		t.Errorf("flips: wrong→right %d, right→wrong %d, want both > 0", len(fixed), len(broke))
	}
}

// TestExampleSetOverHTTP sends every example item through the real client
// path — the quickstart prompt template, go-openai, HTTP, the handler's
// prompt parsing — and checks that each answer is the one Answer gives for
// the item's passages and input, so that the numbers above are what an
// evalgate run of the quickstart measures.
func TestExampleSetOverHTTP(t *testing.T) {
	client := newClient(t)
	items := supportqa.Items(supportqa.DefaultSeed)
	for _, name := range []string{"extractive-v1", "extractive-v2"} {
		m, err := builtin.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			resp, err := client.CreateChatCompletion(t.Context(), openai.ChatCompletionRequest{
				Model:    name,
				Messages: quickstartMessages(it.Input, it.Context),
			})
			if err != nil {
				t.Fatalf("%s %s: %v", name, it.ID, err)
			}
			if got, want := resp.Choices[0].Message.Content, m.Answer(it.Input, it.Context); got != want {
				t.Errorf("%s %s: over HTTP %q, direct %q", name, it.ID, got, want)
			}
		}
	}
}
