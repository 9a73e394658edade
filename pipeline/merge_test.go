package pipeline

import (
	"reflect"
	"testing"
	"time"

	"github.com/evalgate/evalgate/records"
)

// TestRunTotals checks how the shards' run statistics combine: counters
// add, adaptive concurrency is the shards' processes side by side, and
// cache origins of one endpoint, model and version combine.
func TestRunTotals(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	origin := func(endpoint string, answers int, oldest, newest int) records.CacheOrigin {
		return records.CacheOrigin{Endpoint: endpoint, Provider: "openai", Model: "m", Evalgate: "0.1.0", Answers: answers,
			Oldest: t0.Add(time.Duration(oldest) * time.Hour), Newest: t0.Add(time.Duration(newest) * time.Hour)}
	}
	tests := []struct {
		name   string
		shards []ShardModel
		want   records.RunStats
		adapt  *records.AdaptiveStats
		origin []records.CacheOrigin
	}{
		{"counters add", []ShardModel{
			{Stats: records.RunStats{Done: 10, Errors: 1, Retries: 2, Cached: 3, Resumed: 4, Tokens: 100}},
			{Stats: records.RunStats{Done: 5, Errors: 2, Retries: 0, Cached: 1, Resumed: 0, Tokens: 50}},
		}, records.RunStats{Done: 15, Errors: 3, Retries: 2, Cached: 4, Resumed: 4, Tokens: 150}, nil, nil},
		{"adaptive side by side", []ShardModel{
			{Adaptive: &records.AdaptiveStats{Enabled: true, Max: 8, Min: 2, Final: 6, Decreases: 3, Increases: 5}},
			{},
			{Adaptive: &records.AdaptiveStats{Enabled: true, Max: 8, Min: 4, Final: 8, Decreases: 1, Increases: 1}},
		}, records.RunStats{}, &records.AdaptiveStats{Enabled: true, Max: 16, Min: 2, Final: 14, Decreases: 4, Increases: 6}, nil},
		{"cache origins combine", []ShardModel{
			{CacheOrigins: []records.CacheOrigin{origin("http://b/v1", 2, 1, 5)}},
			{CacheOrigins: []records.CacheOrigin{origin("http://a/v1", 1, 0, 0), origin("http://b/v1", 3, 0, 3)}},
		}, records.RunStats{}, nil, []records.CacheOrigin{origin("http://a/v1", 1, 0, 0), origin("http://b/v1", 5, 0, 5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rt runTotals
			for i := range tt.shards {
				rt.add(&tt.shards[i])
			}
			got := rt.info("results.parquet", "ab")
			if got.Stats != tt.want {
				t.Errorf("stats %+v, want %+v", got.Stats, tt.want)
			}
			if !reflect.DeepEqual(got.Adaptive, tt.adapt) {
				t.Errorf("adaptive %+v, want %+v", got.Adaptive, tt.adapt)
			}
			if !reflect.DeepEqual(got.CacheOrigins, tt.origin) {
				t.Errorf("cache origins %+v, want %+v", got.CacheOrigins, tt.origin)
			}
		})
	}
}
