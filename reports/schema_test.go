package reports_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles report.schema.json, asserting formats.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("report.schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatalf("compile report.schema.json: %v", err)
	}
	return s
}

func TestSchema(t *testing.T) {
	s := compileSchema(t)
	golden, err := os.ReadFile("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	var noProd bytes.Buffer
	in := reportstest.Input(t)
	in.Production, in.Config.Production = nil, nil
	if err := reports.WriteJSON(&noProd, reports.Build(in)); err != nil {
		t.Fatal(err)
	}
	var noGate bytes.Buffer
	in = reportstest.Input(t)
	in.Config.Gate = nil
	if err := reports.WriteJSON(&noGate, reports.Build(in)); err != nil {
		t.Fatal(err)
	}
	var reasoning bytes.Buffer
	in = reportstest.Input(t)
	in.Config.Candidate.MaxTokens, in.Config.Candidate.MaxCompletionTokens = 0, 4096
	in.Config.Candidate.ReasoningEffort, in.Config.Candidate.Verbosity = "high", "low"
	reasoningReport := reports.Build(in)
	if err := reports.WriteJSON(&reasoning, reasoningReport); err != nil {
		t.Fatal(err)
	}
	if c := reasoningReport.Candidate; c.MaxCompletionTokens != 4096 || c.ReasoningEffort != "high" || c.Verbosity != "low" || c.MaxTokens != 0 {
		t.Errorf("candidate identity %d max_completion_tokens, %q reasoning_effort, %q verbosity, %d max_tokens; want the config's 4096, high, low, 0",
			c.MaxCompletionTokens, c.ReasoningEffort, c.Verbosity, c.MaxTokens)
	}
	var hybrid bytes.Buffer
	if err := reports.WriteJSON(&hybrid, reportstest.HybridReport(t)); err != nil {
		t.Fatal(err)
	}
	mutateHybrid := func(f func(g map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(hybrid.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		f(m["metrics"].(map[string]any)["groundedness"].(map[string]any))
		b, _ := json.Marshal(m)
		return b
	}
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(golden, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name  string
		doc   []byte
		valid bool
		want  string
	}{
		{"golden report", golden, true, ""},
		{"report without production", noProd.Bytes(), true, ""},
		{"report without gate rules, verdict NONE", noGate.Bytes(), true, ""},
		{"report of a reasoning model", reasoning.Bytes(), true, ""},
		{"report of method hybrid", hybrid.Bytes(), true, ""},
		{"hybrid escalated rate above 1", mutateHybrid(func(g map[string]any) { g["judge"].(map[string]any)["escalated_rate"] = 1.5 }), false, "/metrics/groundedness/judge/escalated_rate"},
		{"hybrid judge without tokens", mutateHybrid(func(g map[string]any) { delete(g["judge"].(map[string]any), "prompt_tokens") }), false, "prompt_tokens"},
		{"calibration without its source", mutateHybrid(func(g map[string]any) {
			delete(g["calibration"].([]any)[0].(map[string]any)["calibration"].(map[string]any), "source")
		}), false, "source"},
		{"calibration of an unknown task type", mutateHybrid(func(g map[string]any) {
			g["calibration"].([]any)[0].(map[string]any)["calibration"].(map[string]any)["task"] = "qa"
		}), false, "/metrics/groundedness/calibration/0/calibration/task"},
		{"reasoning_effort not a string", mutate(func(m map[string]any) { m["candidate"].(map[string]any)["reasoning_effort"] = 3 }), false, "/candidate/reasoning_effort"},
		{"unknown verdict", mutate(func(m map[string]any) { m["verdict"] = "MAYBE" }), false, "/verdict"},
		{"unknown top-level field", mutate(func(m map[string]any) { m["extra"] = 1 }), false, "extra"},
		{"rate above 1", mutate(func(m map[string]any) {
			m["metrics"].(map[string]any)["accuracy"].(map[string]any)["overall"].(map[string]any)["rate"] = 1.5
		}), false, "/metrics/accuracy/overall/rate"},
		{"bad digest", mutate(func(m map[string]any) { m["dataset"].(map[string]any)["sha256"] = "XYZ" }), false, "/dataset/sha256"},
		{"missing gate", mutate(func(m map[string]any) { delete(m, "gate") }), false, "gate"},
		{"bad timestamp", mutate(func(m map[string]any) { m["timing"].(map[string]any)["started_at"] = "yesterday" }), false, "/timing/started_at"},
		{"cache origins", mutate(func(m map[string]any) {
			m["candidate"].(map[string]any)["cache_origins"] = []any{map[string]any{"endpoint": "http://127.0.0.1:8080/v1", "provider": "openai", "model": "m",
				"evalgate": "0.1.0", "answers": 3, "oldest": "2026-12-06T05:00:00Z", "newest": "2026-12-06T05:01:00.5Z"}}
		}), true, ""},
		{"shards of a merged report", mutate(func(m map[string]any) {
			m["shards"] = []any{map[string]any{"index": 0, "count": 2, "folder": "shard-0-of-2", "status": "COMPLETE", "items": 7,
				"manifest_sha256": strings.Repeat("ab", 32), "files": []any{map[string]any{"name": "results.parquet", "sha256": strings.Repeat("cd", 32)}}}}
		}), true, ""},
		{"shard without its manifest's digest", mutate(func(m map[string]any) {
			m["shards"] = []any{map[string]any{"index": 0, "count": 2, "folder": "shard-0-of-2", "status": "COMPLETE", "items": 7, "files": []any{}}}
		}), false, "manifest_sha256"},
		{"cache origin without its time", mutate(func(m map[string]any) {
			m["candidate"].(map[string]any)["cache_origins"] = []any{map[string]any{"endpoint": "http://x/v1", "provider": "openai", "model": "m",
				"evalgate": "0.1.0", "answers": 3, "oldest": "2026-12-06T05:00:00Z"}}
		}), false, "newest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Validate(inst)
			switch {
			case tt.valid && err != nil:
				t.Errorf("valid report rejected: %v", err)
			case !tt.valid && err == nil:
				t.Error("invalid report accepted")
			case !tt.valid && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %v does not name %q", err, tt.want)
			}
		})
	}
}
