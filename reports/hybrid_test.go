package reports_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// TestEscalatedRateMetric checks that groundedness.escalated_rate exists
// under method hybrid only, and reads the report's share escalated.
func TestEscalatedRateMetric(t *testing.T) {
	const base = "dataset: {path: s.parquet}\ncandidate: {provider: replay}\n"
	const judge = "  judge: {provider: openai, model: j, api_key_env: K}\n"
	tests := []struct {
		name, groundedness   string
		escalated, judgeErrs bool
	}{
		{"lexical", "groundedness: {method: lexical}\n", false, false},
		{"judge", "groundedness:\n  method: judge\n" + judge, false, true},
		{"hybrid", "groundedness:\n  method: hybrid\n" + judge, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := configs.Parse("eval.yaml", []byte(base+tt.groundedness))
			if err != nil {
				t.Fatal(err)
			}
			listed := func(path string) bool {
				return slices.ContainsFunc(reports.MetricPaths(cfg), func(line string) bool { return strings.HasPrefix(line, path+" ") })
			}
			if got := listed("groundedness.escalated_rate"); got != tt.escalated {
				t.Errorf("escalated_rate listed %v, want %v", got, tt.escalated)
			}
			if got := listed("groundedness.judge_errors"); got != tt.judgeErrs {
				t.Errorf("judge_errors listed %v, want %v", got, tt.judgeErrs)
			}
		})
	}
	r := reportstest.HybridReport(t)
	v, ok := reports.Values(r)["groundedness.escalated_rate"]
	if want := r.Metrics.Groundedness.Judge.EscalatedRate; !ok || v.V != want || want <= 0 {
		t.Errorf("groundedness.escalated_rate = %v (%v), want %v", v.V, ok, want)
	}
}
