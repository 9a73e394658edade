package integrity

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/records"
)

// integrityItems returns items with and without context, PII, rules to
// break and groups, and 3 samples of each item, some failed.
func integrityItems() ([]records.Item, [][]records.Result) {
	outputs := []string{
		"Refunds are accepted within 30 days of delivery.",
		"Refunds take 90 days and we guarantee it.",
		"Write to help@example.com or call 415-555-0123.",
		"Sorry, I do not know.",
	}
	var items []records.Item
	var results [][]records.Result
	for i := range 40 {
		it := records.Item{ID: fmt.Sprintf("q-%02d", i), Input: fmt.Sprintf("Refund for order %d?", i), Expected: "30 days",
			Task: []string{"billing", "returns"}[i%2], Extra: map[string]string{"region": []string{"eu", "", "us"}[i%3]}}
		if i%3 == 0 {
			it.Input += " I am at a@b.example.org."
		}
		if i%2 == 0 {
			it.Context = []string{"Refunds are accepted within 30 days of delivery.", "Call 415-555-0100 for help."}
		}
		if i%5 == 0 {
			it.MustNotContain = []string{"guarantee"}
		}
		var rs []records.Result
		for s := range 3 {
			if i%7 == 6 {
				break // no results
			}
			r := records.Result{ID: it.ID, Sample: s, Output: outputs[(i+s)%len(outputs)], Confidence: float64((i+s)%10) / 10}
			if (i+s)%9 == 0 {
				r.Output, r.Error = "", "timeout"
			}
			rs = append(rs, r)
		}
		items, results = append(items, it), append(results, rs)
	}
	return items, results
}

// TestIntegrityCheckRecord checks that checking items concurrently, an
// item's results in one or two parts (Check, then CheckAnswers), and
// recording them in order gives what Add gives.
func TestIntegrityCheckRecord(t *testing.T) {
	items, results := integrityItems()
	bounds, err := CompileBoundaries(configs.Boundaries{MaxChars: 45}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"every check", Options{Grounder: NewGrounder(GroundOptions{}), Boundaries: bounds, DetectPII: true, ConfidenceBelow: 0.35, Groups: []string{"region"}, Level: 0.95}},
		{"redacted", Options{Grounder: NewGrounder(GroundOptions{}), Boundaries: bounds, DetectPII: true, Redact: true, ConfidenceBelow: 0.35, Level: 0.95}},
		{"pii only", Options{DetectPII: true, Level: 0.95}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := NewChecker(tc.opts)
			for i := range items {
				want.Add(&items[i], results[i], nil)
			}
			got := NewChecker(tc.opts)
			checks := make([][]ItemCheck, len(items))
			var wg sync.WaitGroup
			for i := range items {
				wg.Go(func() {
					rs := results[i]
					cut := i % (len(rs) + 1) // 0: all in the first part
					checks[i] = append(checks[i], got.Check(&items[i], rs[:cut], nil))
					if cut < len(rs) {
						checks[i] = append(checks[i], got.CheckAnswers(&items[i], rs[cut:], nil))
					}
				})
			}
			wg.Wait()
			for _, cs := range checks {
				for _, c := range cs {
					got.Record(c)
				}
			}
			g, _ := json.Marshal(got.Result())
			w, _ := json.Marshal(want.Result())
			if string(g) != string(w) {
				t.Errorf("result:\ngot  %s\nwant %s", g, w)
			}
			if g, w := got.ReviewRows(), want.ReviewRows(); !reflect.DeepEqual(g, w) {
				t.Errorf("review rows:\ngot  %+v\nwant %+v", g, w)
			}
			if len(want.ReviewRows()) == 0 && tc.opts.ConfidenceBelow > 0 {
				t.Error("nothing routed to review: the case checks too little")
			}
		})
	}
}
