package metrics

import "testing"

// FuzzScoreAll checks that ScoreAll, which normalizes each string once,
// agrees with the methods it combines.
func FuzzScoreAll(f *testing.F) {
	for _, s := range [][3]string{
		{"Within 30 days.", "30 days", "thirty days"},
		{"  The answer  ", "answer", ""},
		{"", "", "a"},
		{"3", "30", "3"},
		{"Don't panic!", "dont panic", "the"},
		{"ÜBER straße", "über strasse", "Über STRAßE"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, output, ref1, ref2 string) {
		refs := Refs(ref1, []string{ref2})
		got := ScoreAll(output, refs)
		if len(refs) == 0 {
			if got != nil {
				t.Fatalf("ScoreAll(%q, no refs) = %v, want nil", output, got)
			}
			return
		}
		want := map[string]float64{
			"exact":      b2f(ExactMatch(output, refs)),
			"normalized": b2f(NormalizedMatch(output, refs)),
			"contains":   b2f(Contains(output, refs)),
			"f1":         TokenF1(output, refs),
		}
		for m, w := range want {
			if got[m] != w {
				t.Errorf("ScoreAll(%q, %q)[%s] = %v, want %v", output, refs, m, got[m], w)
			}
		}
	})
}
