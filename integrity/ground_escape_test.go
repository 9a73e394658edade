package integrity

import "testing"

func TestGroundIgnoresTerminalEscapes(t *testing.T) {
	ctx := []string{"Standard shipping takes 5 to 7 business days."}
	for _, out := range []string{
		"\x1b[31mStandard shipping takes 5 to 7 business days.\x1b[0m",
		"\x1b]8;;https://example.com/x\x07Standard shipping\x1b]8;;\x07 takes 5 to 7 business days.",
		"\x1b]8;;https://example.com/x\x1b\\Standard shipping\x1b]8;;\x1b\\ takes 5 to 7 business days.",
	} {
		g := NewGrounder(GroundOptions{}).Ground(out, ctx)
		if g.Hallucinated || len(g.Claims) != 1 {
			t.Errorf("%q: hallucinated %v, %d claims %+v; want one supported claim", out, g.Hallucinated, len(g.Claims), g.Claims)
		}
	}
	if got := stripEscapes("a\x1b[1;31mb\x1b"); got != "ab" {
		t.Errorf("stripEscapes = %q, want %q", got, "ab")
	}
}
