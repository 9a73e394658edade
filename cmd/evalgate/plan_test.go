package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want []string // substrings of stdout, or of stderr when code is not 0
	}{
		{"regression", []string{"plan", "regression", "--n", "1000", "--margin", "0.02", "--discordance", "0.10"}, exitOK,
			[]string{"regression.accuracy.delta.ci_low >= -0.02", "blocks identical models               48.4%", "n = 1963", "regression.mcnemar_p >= 0.05", "blocks a 3-point drop                 83.5%"}},
		{"accuracy", []string{"plan", "accuracy", "--floor", "0.9", "--accuracy", "0.93", "--n", "200"}, exitOK,
			[]string{"accuracy >= 0.9", "blocks a model at that accuracy        4.2%", "accuracy.ci_low >= 0.9", "74.9%"}},
		{"fairness", []string{"plan", "fairness", "--groups", "3", "--group-size", "150", "--threshold", "0.2", "--sims", "20"}, exitOK,
			[]string{"fairness.group.accuracy.gap <= 0.2", "blocks a truly fair model", "group sizes = 150, 150, 150", "rule 3: fairness.group.accuracy.p_value >= 0.05"}},
		{"config", []string{"plan", "-c", filepath.Join("..", "..", "configs", "regression-demo.yaml"), "--sims", "50"}, exitOK,
			[]string{"400 rows", "rule 4: regression.accuracy.delta.ci_low >= -0.02", "blocks identical models               75.6%  <- above 20%", "rule 3: fairness.accuracy.gap <= 0.2", "columns independent", "rule 5: errors.rate <= 0.01\n  not planned"}},
		{"no question", []string{"plan"}, exitUsage, []string{"give -c CONFIG, or a question"}},
		{"unknown question", []string{"plan", "latency"}, exitUsage, []string{`unknown question "latency"`}},
		{"regression without n", []string{"plan", "regression", "--margin", "0.02"}, exitUsage, []string{"give --n"}},
		{"bad discordance", []string{"plan", "regression", "--n", "100", "--margin", "0.02", "--discordance", "1.5"}, exitUsage, []string{"--discordance 1.5: want the share"}},
		{"accuracy without floor", []string{"plan", "accuracy", "--n", "100"}, exitUsage, []string{"--floor (the rule's minimum, in (0, 1))"}},
		{"fairness without threshold", []string{"plan", "fairness", "--groups", "3", "--group-size", "100"}, exitUsage, []string{"--threshold (the largest gap allowed"}},
		{"bad power", []string{"plan", "accuracy", "--n", "100", "--floor", "0.9", "--power", "1"}, exitUsage, []string{"--power 1"}},
		{"fairness one group", []string{"plan", "fairness", "--groups", "1", "--group-size", "100", "--threshold", "0.1"}, exitUsage, []string{"--groups (at least 2)"}},
		{"fairness gap too big", []string{"plan", "fairness", "--groups", "2", "--group-size", "100", "--threshold", "0.1", "--gap", "0.9"}, exitUsage, []string{"--gap 0.9"}},
		{"missing config", []string{"plan", "-c", "no-such.yaml"}, exitUsage, []string{"no-such.yaml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, context.Background(), nil, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.code, r.stdout, r.stderr)
			}
			out := r.stdout
			if c.code != exitOK {
				out = r.stderr
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestDryRunPowerWarning checks that --dry-run warns of a rule the set is
// too small for, and says what it assumed.
func TestDryRunPowerWarning(t *testing.T) {
	r := runCLI(t, context.Background(), nil, "run", "-c", filepath.Join("..", "..", "configs", "regression-demo.yaml"), "--dry-run", "--out", t.TempDir())
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "warning: gate rule 4 (regression.accuracy.delta.ci_low >= -0.02): at n = 400 and 10% discordance (assumed), identical models fail this rule 75.6% of the time"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("dry run lacks %q:\n%s", want, r.stdout)
	}
}
