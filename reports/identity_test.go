package reports

import (
	"reflect"
	"testing"

	"github.com/evalgate/evalgate/configs"
)

func TestRecordedIdentity(t *testing.T) {
	replay := configs.Model{Provider: "replay", Model: "replay", Version: "replay"}
	for _, tt := range []struct {
		name           string
		m              configs.Model
		counts         map[string]int
		model, version string
		all            []RecordedModel
	}{
		{"no answers", replay, nil, "replay", "replay", nil},
		{"no model_version in the log", replay, map[string]int{"replay": 5}, "replay", "replay", nil},
		{"name@version", replay, map[string]int{"support-bot@2026-09-14": 5}, "support-bot", "2026-09-14", nil},
		{"no @", replay, map[string]int{"gpt-4o-2024-08-06": 5}, "gpt-4o-2024-08-06", "gpt-4o-2024-08-06", nil},
		{"last @ splits", replay, map[string]int{"team@bot@v2": 1}, "team@bot", "v2", nil},
		{"trailing @ is not a split", replay, map[string]int{"bot@": 1}, "bot@", "bot@", nil},
		{"the most common of two", replay, map[string]int{"bot@1": 3, "bot@2": 7}, "bot", "2",
			[]RecordedModel{{"bot@2", 7}, {"bot@1", 3}}},
		{"a tie goes to byte order", replay, map[string]int{"bot@2": 4, "bot@1": 4}, "bot", "1",
			[]RecordedModel{{"bot@1", 4}, {"bot@2", 4}}},
		{"rows without a version are listed too", replay, map[string]int{"bot@1": 4, "replay": 1}, "bot", "1",
			[]RecordedModel{{"bot@1", 4}, {"replay", 1}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			model, version, all := recordedIdentity(tt.m, tt.counts)
			if model != tt.model || version != tt.version || !reflect.DeepEqual(all, tt.all) {
				t.Errorf("got %q %q %v, want %q %q %v", model, version, all, tt.model, tt.version, tt.all)
			}
		})
	}
}
