package pipeline

import (
	"strings"
	"testing"

	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/records"
)

// TestVerdictsTiedToTheQuestion checks that a recorded judge reply is used
// only for the very claims and context it was asked about, and that a
// missing, failed or unparseable reply is a judge error, never "supported".
func TestVerdictsTiedToTheQuestion(t *testing.T) {
	item := records.Item{ID: "q1", Context: []string{"Refunds are accepted within 30 days."}}
	answer := "Refunds are accepted within 30 days."
	claims := integrity.SplitClaims(answer)
	_, _, digest := judgeRequest(claims, item.Context)
	allSupported := `{"verdicts":[{"claim":1,"supported":true}]}`
	tests := []struct {
		name    string
		reply   *judgeReply // nil: none recorded
		context []string    // the item's context when scored, if changed
		wantErr string      // "" for a verdict
	}{
		{"matching reply", &judgeReply{digest: digest, output: allSupported}, nil, ""},
		{"no reply", nil, nil, "no reply recorded"},
		{"reply for another context", &judgeReply{digest: digest, output: allSupported}, []string{"Refunds take 90 days."}, "another question"},
		{"failed call", &judgeReply{digest: digest, err: "http 500"}, nil, "the call failed: http 500"},
		{"unparseable reply", &judgeReply{digest: digest, output: "I think so."}, nil, "judge error: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &verdicts{replies: map[eval.Key]judgeReply{}}
			if tt.reply != nil {
				v.replies[eval.Key{ID: "q1", Sample: 0}] = *tt.reply
			}
			it := item
			if tt.context != nil {
				it.Context = tt.context
			}
			results := []records.Result{{ID: "q1", Output: answer}}
			j := v.lookup(&it, results)(0)
			switch {
			case tt.wantErr == "" && (j.Err != "" || j.Grounding.Hallucinated || len(j.Grounding.Claims) != 1):
				t.Errorf("got %+v, want one supported claim", j)
			case tt.wantErr != "" && !strings.Contains(j.Err, tt.wantErr):
				t.Errorf("got error %q, want one containing %q", j.Err, tt.wantErr)
			}
			calls, errs := v.counts()
			wantErrs := 0
			if tt.wantErr != "" {
				wantErrs = 1
			}
			if calls != 1 || errs != wantErrs {
				t.Errorf("counts %d calls, %d errors; want 1, %d", calls, errs, wantErrs)
			}
		})
	}
}

func TestCutLast(t *testing.T) {
	tests := []struct{ in, before, after string }{
		{"a#0#abc", "a#0", "abc"},
		{"id#with#hashes#2#ff", "id#with#hashes#2", "ff"},
	}
	for _, tt := range tests {
		b, a, ok := cutLast(tt.in)
		if !ok || b != tt.before || a != tt.after {
			t.Errorf("cutLast(%q) = %q, %q, %v; want %q, %q", tt.in, b, a, ok, tt.before, tt.after)
		}
	}
	if _, _, ok := cutLast("nohash"); ok {
		t.Error("cutLast(\"nohash\"): got ok")
	}
}
