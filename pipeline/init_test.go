package pipeline_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/records"
)

// TestProfileSet checks which columns init proposes as groups (and why it
// skips the others) and when it takes the expected answers for labels.
func TestProfileSet(t *testing.T) {
	tests := []struct {
		name      string
		expected  func(i int) string
		labelLike bool
	}{
		{"yes/no labels", func(i int) string { return []string{"yes", "no"}[i%2] }, true},
		{"sentences", func(i int) string { return fmt.Sprintf("It ships in %d days.", i) }, false},
		{"one label", func(int) string { return "ok" }, false},
		{"eleven labels", func(i int) string { return fmt.Sprintf("class%d", i%11) }, false},
		{"long labels", func(i int) string {
			return []string{"a very long answer of many words", "another long answer of many words"}[i%2]
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var items []records.Item
			for i := range 50 {
				tier := "free"
				if i < 2 {
					tier = "gold"
				}
				seg := "retail"
				if i%5 < 2 {
					seg = "business"
				}
				items = append(items, records.Item{ID: fmt.Sprint(i), Input: "q", Expected: tt.expected(i),
					Extra: map[string]string{"segment": seg, "note": fmt.Sprint(i), "tier": tier, "same": "x"}})
			}
			path := filepath.Join(t.TempDir(), "set.parquet")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := datasets.WriteItems(f, items, []string{"segment", "note", "tier", "same"}, nil); err != nil {
				t.Fatal(err)
			}
			f.Close()
			p, err := pipeline.ProfileSet(path)
			if err != nil {
				t.Fatal(err)
			}
			if p.Rows != 50 || p.Scored != 50 {
				t.Errorf("rows %d, scored %d", p.Rows, p.Scored)
			}
			if len(p.Groups) != 1 || p.Groups[0].Name != "segment" || p.Groups[0].Sizes["retail"] != 30 || p.Groups[0].Sizes["business"] != 20 || p.Groups[0].SecondLargest() != 20 {
				t.Errorf("groups %+v, want segment (retail 30, business 20)", p.Groups)
			}
			want := []string{
				"note: more than 12 distinct values",
				"tier: its second-largest group has 2 scored items, fewer than 5",
				"same: one value among the scored items",
			}
			if !slices.Equal(p.Skipped, want) {
				t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(p.Skipped, "\n"), strings.Join(want, "\n"))
			}
			if p.LabelLike != tt.labelLike {
				t.Errorf("LabelLike %v, want %v (labels %v)", p.LabelLike, tt.labelLike, p.Labels)
			}
			cfg := string(pipeline.InitConfig(p, pipeline.InitOptions{Dataset: "set.parquet"}).YAML)
			if strings.Contains(cfg, "method: label") != tt.labelLike {
				t.Errorf("config's scoring, label-like %v:\n%s", tt.labelLike, cfg)
			}
			if strings.Contains(cfg, "positive_label:") != (tt.name == "yes/no labels") {
				t.Errorf("config's positive_label:\n%s", cfg)
			}
		})
	}
}
