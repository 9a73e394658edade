package reports_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// Counts gives the counts behind exactly the values Values reports.
func TestCountsMatchValues(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	values := reports.Values(r)
	counts := reports.Counts(r)
	if len(counts) < 4 {
		t.Fatalf("only %d counted metrics: %v", len(counts), counts)
	}
	for path, c := range counts {
		v, ok := values[path]
		if !ok || v.V != float64(c.K)/float64(c.N) {
			t.Errorf("%s: counts %d/%d, value %v (present %v)", path, c.K, c.N, v.V, ok)
		}
	}
	for _, path := range []string{"accuracy", "errors.rate", "production.accuracy", "accuracy.task.billing"} {
		if _, ok := counts[path]; !ok {
			t.Errorf("no counts for %s", path)
		}
	}
}

func TestControlPositionJSON(t *testing.T) {
	tests := []struct {
		name string
		p    reports.ControlPosition
		json string
	}{
		{"p-chart, flagged", reports.ControlPosition{"accuracy", metrics.ChartP, 0.725, 400, 0.85, 0.9, 0.95, []metrics.Signal{{Rule: metrics.Rule1, Side: -1}}, "all 12 reports"},
			`{"metric":"accuracy","chart":"p","value":0.725,"n":400,"lcl":0.85,"center":0.9,"ucl":0.95,"signals":[{"rule":1,"side":"below","text":"one point beyond 3σ"}],"reference":"all 12 reports"}`},
		{"no limits", reports.ControlPosition{"tokens.total", metrics.ChartXmR, 1200, 0, math.NaN(), 1100, math.NaN(), nil, "all 1 reports"},
			`{"metric":"tokens.total","chart":"xmr","value":1200,"n":0,"lcl":null,"center":1100,"ucl":null,"signals":[],"reference":"all 1 reports"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.p)
			if err != nil || string(b) != tt.json {
				t.Fatalf("Marshal = %s, %v\nwant %s", b, err, tt.json)
			}
			var back reports.ControlPosition
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			b2, _ := json.Marshal(back)
			if string(b2) != tt.json {
				t.Errorf("round trip gave %s", b2)
			}
		})
	}
}
