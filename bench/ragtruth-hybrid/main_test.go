package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

func TestOverlaps(t *testing.T) {
	const s = "Open daily, sandwiches, salads, and coffee."
	claim := [2]int{0, strings.Index(s, ",") + 1} // "Open daily,"
	tests := []struct {
		name string
		span string // located in s
		want bool
	}{
		{"span inside the claim", "daily", true},
		{"span shares one letter", "y, sandwiches", true},
		{"span shares only the comma", ", sandwiches", false},
		{"span after the claim", "salads", false},
		{"span covering everything", s, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := strings.Index(s, tt.span)
			if got := overlaps(s, claim[0], claim[1], i, i+len(tt.span)); got != tt.want {
				t.Errorf("overlaps(claim %q, span %q) = %v, want %v", s[claim[0]:claim[1]], tt.span, got, tt.want)
			}
		})
	}
}

func TestClaimTruths(t *testing.T) {
	out := "The café opens at 8. It closes at 9 pm. It has parking."
	span := strings.Index(out, "9 pm")
	got, ok := claimTruths(out, []string{"The café opens at 8.", "It closes at 9 pm.", "It has parking."}, [][2]int{{span, span + len("9 pm")}})
	if !ok || fmt.Sprint(got) != "[true false true]" {
		t.Errorf("got %v, %v; want [true false true], true", got, ok)
	}
	if _, ok := claimTruths(out, []string{"Not in the answer."}, nil); ok {
		t.Error("a claim that is not in the answer was located")
	}
}

func TestRuneOffsets(t *testing.T) {
	got := runeOffsets("aé€b")
	if fmt.Sprint(got) != "[0 1 3 6 7]" {
		t.Errorf("got %v, want [0 1 3 6 7]", got)
	}
}

// The judge is right on each claim with the probability asked for,
// deterministically per seed and independently of the order of calls.
func TestJudgeAccuracy(t *testing.T) {
	j := &judge{seed: 7, accuracy: 0.9}
	right := 0
	const n = 20000
	for k := range n {
		if j.right(fmt.Sprintf("question %d", k/10), k%10) {
			right++
		}
	}
	if p := float64(right) / n; math.Abs(p-0.9) > 0.01 {
		t.Errorf("right on %.3f of claims, want 0.9 ± 0.01", p)
	}
	if j.right("q", 3) != j.right("q", 3) {
		t.Error("the same claim gets two verdicts")
	}
	other := &judge{seed: 8, accuracy: 0.9}
	differ := 0
	for k := range 1000 {
		if j.right("q", k) != other.right("q", k) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("another seed gives the same errors")
	}
}

// TestRun runs the benchmark on the development split, when present, with
// one seed and one band.
func TestRun(t *testing.T) {
	const dir = "../../../shared/data/ragtruth-dev"
	if _, err := os.Stat(dir + "/ragtruth-dev.jsonl"); err != nil {
		t.Skipf("RAGTruth data not found at %s", dir)
	}
	var out, errw bytes.Buffer
	if err := run([]string{"-data", dir, "-seeds", "1", "-widths", "0.1"}, &out, &errw); err != nil {
		t.Fatalf("%v\n%s", err, errw.String())
	}
	for _, want := range []string{"none (lexical)", "±0.1", "default", "all: [0, 1]", "Summary", "Data2txt", "overall"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// Judging every answer escalates all 208.
	if !strings.Contains(out.String(), "208/208 (100%)") {
		t.Errorf("band all does not escalate every answer:\n%s", out.String())
	}
}
