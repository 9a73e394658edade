package integrity

import (
	"fmt"
	"strings"
	"testing"
)

// TestGroundTask: the verdict of each answer is taken at its task type's
// calibrated threshold, so that the precision and recall the report
// states for a task type are those of the rule applied; an explicit
// Threshold holds for every type.
func TestGroundTask(t *testing.T) {
	context := []string{"The hotel offers free parking, a heated indoor pool, a rooftop restaurant and a fitness centre open around the clock."}
	words := []string{"free", "parking", "heated", "indoor", "pool", "rooftop", "restaurant", "fitness", "centre"}
	novel := []string{"casino", "helipad", "marina", "vineyard", "observatory", "aquarium", "bowling", "cinema", "ballroom"}
	g := NewGrounder(GroundOptions{})
	differ := 0
	for k := 1; k < len(words); k++ {
		for m := 0; m <= 4; m++ {
			answer := fmt.Sprintf("The hotel has %s.", strings.Join(append(append([]string{}, words[:k]...), novel[:m]...), " and "))
			for _, typ := range []string{"summary", "data2txt", "", "other"} {
				c, ok := CalibrationFor(typ)
				if !ok {
					c, _ = CalibrationFor("")
				}
				gr := g.GroundTask(answer, context, typ)
				if len(gr.Claims) > 0 && gr.Hallucinated != (gr.Score >= c.Threshold) {
					t.Errorf("%q as %q: score %.3f, hallucinated %v; want score ≥ %.3f", answer, typ, gr.Score, gr.Hallucinated, c.Threshold)
				}
			}
			if g.GroundTask(answer, context, "summary").Hallucinated != g.GroundTask(answer, context, "").Hallucinated {
				differ++
			}
			fixed := NewGrounder(GroundOptions{Threshold: 0.99})
			if a, b := fixed.GroundTask(answer, context, "summary"), fixed.GroundTask(answer, context, "data2txt"); a.Hallucinated != b.Hallucinated || a.Hallucinated != (a.Score >= 0.99) {
				t.Errorf("%q: an explicit threshold gives %v and %v by task type", answer, a.Hallucinated, b.Hallucinated)
			}
		}
	}
	s, _ := CalibrationFor("summary")
	p, _ := CalibrationFor("")
	if s.Threshold != p.Threshold && differ == 0 {
		t.Errorf("no answer's verdict differs between the summary threshold %.3f and the pooled %.3f: the test does not reach the thresholds", s.Threshold, p.Threshold)
	}
}
