package datasets

import (
	"strings"
	"testing"
)

func TestCheckGroupColumn(t *testing.T) {
	tests := []struct {
		name string
		want string // "" for accepted
	}{
		{"region", ""},
		{"customer_tier", ""},
		{"task", "fixed column"},
		{"expected", "fixed column"},
		{"id", "fixed column"},
		{"input", "fixed column"},
		{"model_version", "fixed column"},
		{"latency_ms", "fixed column"},
		{"error_kind", "fixed column"},
		{"score_exact", "score columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckGroupColumn(tt.name)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
