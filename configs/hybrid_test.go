package configs

import (
	"slices"
	"strings"
	"testing"
)

const hybridJudge = "groundedness:\n  method: hybrid\n  judge: {provider: openai, model: j, api_key_env: K}\n"

func TestHybridConfig(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantErr  []string // each must appear in the error; none: valid
		wantBand []float64
		wantType map[string]string
	}{
		{name: "default band", yaml: minimal + hybridJudge},
		{name: "band", yaml: minimal + hybridJudge + "  band: [0.2, 0.6]\n", wantBand: []float64{0.2, 0.6}},
		{name: "empty band is one point", yaml: minimal + hybridJudge + "  band: [0.5, 0.5]\n", wantBand: []float64{0.5, 0.5}},
		{name: "task types", yaml: minimal + "groundedness:\n  task_types: {news: summary, yelp: data2txt}\n",
			wantType: map[string]string{"news": "summary", "yelp": "data2txt"}},
		{name: "hybrid without judge", yaml: minimal + "groundedness: {method: hybrid}\n",
			wantErr: []string{"eval.yaml:3:", "groundedness.method hybrid needs groundedness.judge"}},
		{name: "band reversed", yaml: minimal + hybridJudge + "  band: [0.6, 0.2]\n",
			wantErr: []string{"eval.yaml:6:", "0 ≤ lo ≤ hi ≤ 1, got [0.6, 0.2]"}},
		{name: "band above 1", yaml: minimal + hybridJudge + "  band: [0.5, 1.5]\n",
			wantErr: []string{"eval.yaml:6:", "0 ≤ lo ≤ hi ≤ 1"}},
		{name: "band negative", yaml: minimal + hybridJudge + "  band: [-0.1, 0.5]\n",
			wantErr: []string{"eval.yaml:6:", "0 ≤ lo ≤ hi ≤ 1"}},
		{name: "band NaN", yaml: minimal + hybridJudge + "  band: [.nan, 0.5]\n",
			wantErr: []string{"eval.yaml:6:", "0 ≤ lo ≤ hi ≤ 1"}},
		{name: "band of three", yaml: minimal + hybridJudge + "  band: [0.1, 0.2, 0.3]\n",
			wantErr: []string{"eval.yaml:6:", "two numbers, got 3"}},
		{name: "band without hybrid", yaml: minimal + "groundedness:\n  method: lexical\n  band: [0.1, 0.2]\n",
			wantErr: []string{"eval.yaml:5:", "applies to groundedness.method hybrid only"}},
		{name: "unknown task type", yaml: minimal + "groundedness:\n  task_types:\n    news: summary\n    qa: question\n",
			wantErr: []string{"eval.yaml:6:", `task "qa" maps to "question"`}},
		{name: "unknown method lists hybrid", yaml: minimal + "groundedness: {method: oracle}\n",
			wantErr: []string{"eval.yaml:3:", "lexical, judge, hybrid or off"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("eval.yaml", []byte(tt.yaml))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("got no error, want one containing %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Groundedness.Band, tt.wantBand) {
				t.Errorf("band = %v, want %v", c.Groundedness.Band, tt.wantBand)
			}
			for k, v := range tt.wantType {
				if got := c.Groundedness.TaskType(k); got != v {
					t.Errorf("TaskType(%q) = %q, want %q", k, got, v)
				}
			}
			if got := c.Groundedness.TaskType("unmapped"); got != "" {
				t.Errorf("TaskType(unmapped) = %q, want pooled", got)
			}
		})
	}
}
