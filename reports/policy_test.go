package reports

import (
	"reflect"
	"testing"

	"github.com/evalgate/evalgate/configs"
)

func TestGateDiff(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	policy := []configs.Rule{{Metric: "accuracy", Min: f(0.8)}, {Metric: "errors.rate", Max: f(0.01)}}
	tests := []struct {
		name string
		got  []configs.Rule
		want []string
	}{
		{"same, descriptions aside", []configs.Rule{{Metric: "accuracy", Min: f(0.8), Description: "x"}, {Metric: "errors.rate", Max: f(0.01)}}, nil},
		{"loosened", []configs.Rule{{Metric: "accuracy", Min: f(0.5)}, {Metric: "errors.rate", Max: f(0.01)}},
			[]string{"rule 1: the policy has accuracy >= 0.8; the gate in force has accuracy >= 0.5"}},
		{"made optional", []configs.Rule{{Metric: "accuracy", Min: f(0.8), Optional: true}, {Metric: "errors.rate", Max: f(0.01)}},
			[]string{"rule 1: the policy has accuracy >= 0.8; the gate in force has accuracy >= 0.8 (optional)"}},
		{"rule dropped", []configs.Rule{{Metric: "accuracy", Min: f(0.8)}},
			[]string{"rule 2: the policy has errors.rate <= 0.01; the gate in force lacks it"}},
		{"rule added", append(append([]configs.Rule{}, policy...), configs.Rule{Metric: "accuracy.ci_low", Min: f(0.7)}),
			[]string{"rule 3: the gate in force adds accuracy.ci_low >= 0.7, which the policy lacks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GateDiff(policy, tt.got); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
