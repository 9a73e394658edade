package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/records"
)

// hybridJudge is an OpenAI-compatible judge that records each request's
// user message and finds every claim supported, except that it answers
// prose (an unreadable reply) to the requests garbled picks.
type hybridJudge struct {
	mu    sync.Mutex
	users []string
}

var judgeClaimsRE = regexp.MustCompile(`\nClaims \((\d+)\):\n`)

func (j *hybridJudge) serve(garbled func(user string) bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 2 {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		user := req.Messages[1].Content
		j.mu.Lock()
		j.users = append(j.users, user)
		j.mu.Unlock()
		m := judgeClaimsRE.FindStringSubmatch(user)
		if m == nil {
			http.Error(w, `{"error":{"message":"no claims","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		n, _ := strconv.Atoi(m[1])
		reply := "They all look right to me."
		if !garbled(user) {
			var vs []string
			for i := range n {
				vs = append(vs, fmt.Sprintf(`{"claim":%d,"supported":true}`, i+1))
			}
			reply = `{"verdicts":[` + strings.Join(vs, ",") + `]}`
		}
		body, _ := json.Marshal(reply)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"j","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":100,"completion_tokens":7,"total_tokens":107}}`, req.Model, body)
	}))
}

// TestHybridEscalatesTheBand runs method hybrid with a band cut from the
// middle of the answers' lexical scores: the judge is asked about exactly
// the answers (with claims) whose lexical score lies in the band, computed
// here independently of the pipeline, and the report counts them, their
// tokens and the judge errors, which are never counted as grounded.
func TestHybridEscalatesTheBand(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "set.parquet")
	items := hybridItems()
	f, err := os.Create(set)
	if err != nil {
		t.Fatal(err)
	}
	if err := datasets.WriteItems(f, items, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The answers' lexical scores, computed here as the checker will.
	type answer struct {
		score  float64
		claims int
	}
	var answers []answer
	var scores []float64
	for _, it := range items {
		g := integrity.Ground(it.Output, it.Context)
		answers = append(answers, answer{g.Score, len(integrity.SplitClaims(it.Output))})
		scores = append(scores, g.Score)
	}
	slices.Sort(scores)
	scores = slices.Compact(scores)
	if len(scores) < 3 {
		t.Fatalf("only %d distinct lexical scores: the items cannot test a band", len(scores))
	}
	lo, hi := scores[len(scores)/3], scores[2*len(scores)/3]
	want := 0
	for _, a := range answers {
		if lo <= a.score && a.score <= hi && a.claims > 0 {
			want++
		}
	}
	if want == 0 || want == len(answers) {
		t.Fatalf("band [%g, %g] holds %d of %d answers: want some, not all", lo, hi, want, len(answers))
	}

	tests := []struct {
		name    string
		garbled func(string) bool
	}{
		{"judge reads", func(string) bool { return false }},
		{"judge garbles half", func(user string) bool { h := fnv.New32a(); h.Write([]byte(user)); return h.Sum32()%2 == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &hybridJudge{}
			srv := j.serve(tt.garbled)
			defer srv.Close()
			body := fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: replay}
run: {concurrency: 2, cache: "off", out: %s}
groundedness:
  method: hybrid
  band: [%v, %v]
  judge: {provider: openai, model: judge-1, base_url: %s/v1, api_key_env: JUDGE_KEY, prices: {input_per_mtok: 2, output_per_mtok: 10, currency: USD}}
gate:
  - {metric: groundedness, min: 0}
`, set, filepath.Join(t.TempDir(), "out"), lo, hi, srv.URL)
			path := filepath.Join(t.TempDir(), "eval.yaml")
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := pipeline.LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := pipeline.Prepare(cfg, pipeline.Options{Getenv: func(k string) string {
				if k == "JUDGE_KEY" {
					return "test-key"
				}
				return ""
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			// The dry run counts the same answers before any call.
			ests, err := p.Estimate()
			if err != nil {
				t.Fatal(err)
			}
			if e := ests[len(ests)-1]; e.Role != "groundedness.judge" || e.Calls != int64(want) || e.Cost == nil || len(j.users) != 0 {
				t.Errorf("dry run: %s, %d calls, cost %v, %d requests; want groundedness.judge, %d calls, a cost, no request", e.Role, e.Calls, e.Cost, len(j.users), want)
			}
			out, err := p.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(j.users) != want {
				t.Fatalf("the judge was asked %d times, want %d (the answers in the band [%g, %g])", len(j.users), want, lo, hi)
			}
			garbled := 0
			for _, u := range j.users {
				if tt.garbled(u) {
					garbled++
				}
			}
			g := out.Report.Metrics.Groundedness
			if g == nil || g.Judge == nil {
				t.Fatalf("report has no groundedness judge section: %+v", g)
			}
			if g.Method != integrity.GroundHybrid {
				t.Errorf("method %q, want hybrid", g.Method)
			}
			u := g.Judge
			if u.Escalated != want || u.Calls != want || u.Errors != garbled || g.Errors != garbled {
				t.Errorf("escalated %d, calls %d, errors %d (groundedness errors %d); want %d, %d, %d, %d", u.Escalated, u.Calls, u.Errors, g.Errors, want, want, garbled, garbled)
			}
			if u.PromptTokens != 100*want || u.CompletionTokens != 7*want {
				t.Errorf("tokens %d + %d, want %d + %d", u.PromptTokens, u.CompletionTokens, 100*want, 7*want)
			}
			if wantRate := float64(want) / float64(len(answers)); u.EscalatedRate != wantRate {
				t.Errorf("escalated rate %v, want %v", u.EscalatedRate, wantRate)
			}
			if wantCost := (200.0*float64(want) + 70.0*float64(want)) / 1e6; u.Cost == nil || math.Abs(*u.Cost-wantCost) > 1e-12 || u.Currency != "USD" {
				t.Errorf("cost %v %s, want %v USD", u.Cost, u.Currency, wantCost)
			}
			// A judge error is left out of the rate: never supported.
			if g.Rate.N+g.Errors != len(answers) {
				t.Errorf("rate over %d answers + %d errors, want %d answers checked", g.Rate.N, g.Errors, len(answers))
			}
			if out.Report.Judge == nil || out.Report.Judge.Calls != want {
				t.Errorf("report.judge %+v, want %d calls", out.Report.Judge, want)
			}
			// score rebuilds the same groundedness from the stored replies,
			// without calling the judge.
			asked := len(j.users)
			rescored, err := pipeline.Score(context.Background(), cfg, pipeline.ScoreInput{Results: filepath.Join(cfg.Run.Out, pipeline.ResultsFile)}, pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(out.Report.Metrics.Groundedness)
			b, _ := json.Marshal(rescored.Metrics.Groundedness)
			if string(a) != string(b) || len(j.users) != asked {
				t.Errorf("score gives another groundedness or calls the judge (%d calls):\nrun   %s\nscore %s", len(j.users)-asked, a, b)
			}
		})
	}
}

// hybridItems are answers to one context that range from copied to
// invented, so that their lexical scores spread over [0, 1].
func hybridItems() []records.Item {
	context := []string{"The store opens at 9 am on weekdays. Refunds are accepted within 30 days of purchase. The warehouse is in Leeds and ships to the whole of the United Kingdom."}
	supported := []string{"The store opens at 9 am on weekdays.", "Refunds are accepted within 30 days.", "The warehouse is in Leeds.", "It ships to the whole of the United Kingdom."}
	invented := []string{"Shipping to Paris costs $45.", "The manager, Oliver Grant, answers complaints personally.", "Refunds are accepted within 90 days.", "The store closes at midnight on Sundays.", "Every order includes a free umbrella."}
	var items []records.Item
	for i := range 24 {
		var parts []string
		for k := range 1 + i%4 {
			parts = append(parts, supported[(i+k)%len(supported)])
		}
		for k := range i % 3 {
			parts = append(parts, invented[(i+k)%len(invented)])
		}
		if i%5 == 4 {
			parts = parts[len(parts)-1:]
		}
		items = append(items, records.Item{Row: int64(i), ID: fmt.Sprintf("q%02d", i), Input: "What are the store's terms?", Context: context, Output: strings.Join(parts, " ")})
	}
	return items
}
