package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
)

// disparitySet writes a replay set of a classification model over two
// groups of 1,000: each has 500 actual positives, 400 of them predicted
// positive (TPR 0.8), and 500 actual negatives, of which group a's model
// predicts 225 positive (FPR 0.45) and group b's 115 (FPR 0.23).
func disparitySet(t *testing.T) string {
	t.Helper()
	var items []records.Item
	add := func(group string, n int, expected, output string) {
		for range n {
			items = append(items, records.Item{ID: fmt.Sprintf("%s-%04d", group, len(items)), Input: "approve?", Expected: expected, Output: output,
				Extra: map[string]string{"grp": group, "region": []string{"north", "south"}[len(items)%2]}})
		}
	}
	for _, g := range []struct {
		name string
		fp   int
	}{{"a", 225}, {"b", 115}} {
		add(g.name, 400, "yes", "yes")
		add(g.name, 100, "yes", "no")
		add(g.name, g.fp, "no", "yes")
		add(g.name, 500-g.fp, "no", "no")
	}
	path := filepath.Join(t.TempDir(), "disparity.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := datasets.WriteItems(f, items, []string{"grp", "region"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRealDisparityCaught replays a model whose false-positive rates are
// 0.45 and 0.23 in two groups of 1,000: a rule on the FPR gap blocks, and
// says the interval shows the gap itself is above the threshold (evidence),
// not that the data are too few; the TPR gap, equal in truth, passes.
func TestRealDisparityCaught(t *testing.T) {
	set := disparitySet(t)
	cfg := writeConfig(t, fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: replay}
scoring: {method: label, positive_label: "yes"}
fairness: {groups: [grp]}
gate:
  - {metric: fairness.grp.fpr.gap, max: 0.1}
  - {metric: fairness.grp.tpr.gap, max: 0.1}
`, set))
	out := t.TempDir()
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitBlock {
		t.Fatalf("exit %d, want %d (BLOCK)\n%s%s", res.code, exitBlock, res.stdout, res.stderr)
	}
	var r reports.Report
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	fpr, tpr := r.Gate.Rules[0], r.Gate.Rules[1]
	if fpr.Outcome != reports.Fail || fpr.Finding != reports.FindingEvidence || !strings.Contains(fpr.Reason, "evidence that the gap is above 0.1") {
		t.Errorf("FPR gap rule: %s %s %q, want a fail with evidence of a gap", fpr.Outcome, fpr.Finding, fpr.Reason)
	}
	if tpr.Outcome != reports.Pass {
		t.Errorf("TPR gap rule: %s %q, want a pass (both TPRs are 0.8)", tpr.Outcome, tpr.Reason)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAIL: evidence", "| FPR |", "0.450 \\[0.4"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

// TestFairnessRuleInputErrors checks that fairness rules that can never
// be evaluated exit 2 before any call, with a message naming the fix.
func TestFairnessRuleInputErrors(t *testing.T) {
	set := disparitySet(t)
	for _, tt := range []struct {
		name, scoring, rule string
		want                []string
		fairness            string
	}{
		{"too few actual positives in every group", `{method: label, positive_label: "yes"}`, "fairness.grp.tpr.gap.ci_high",
			[]string{"gate rule 1 (fairness.grp.tpr.gap.ci_high) can never be evaluated", `0 of the 2 groups of grp have at least 600 actual positives (label "yes"`,
				"a has 500 of 1000, b has 500 of 1000", "mark the rule optional"},
			"{groups: [grp], min_rate_denominator: 600}"},
		{"an intersection with too few items per group", `{method: label, positive_label: "yes"}`, "fairness.grp*region.accuracy.gap",
			[]string{"(fairness.grp×region.accuracy.gap) can never be evaluated", "0 of the 4 groups of grp×region have at least 600 scored results", "a×north has 500"},
			"{groups: [grp, region], intersections: [[grp, region]], min_group_size: 600}"},
		{"a rate without a positive label", "{method: label}", "fairness.grp.fpr.gap",
			[]string{"fairness.grp.fpr.gap", "scoring.positive_label"}, ""},
		{"a misspelled intersection column", `{method: label, positive_label: "yes"}`, "fairness.grp*regoin.tpr.gap",
			[]string{`"grp×regoin" is not in fairness.intersections`, "grp, region, grp×region", "a*b"}, ""},
		{"an unknown positive label", `{method: label, positive_label: "approve"}`, "fairness.grp.fpr.gap",
			[]string{`scoring.positive_label "approve" is the expected answer of no item`, "no, yes"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fairness := tt.fairness
			if fairness == "" {
				fairness = "{groups: [grp, region], intersections: [[grp, region]]}"
			}
			body := fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: replay}\nscoring: %s\nfairness: %s\ngate:\n  - {metric: %s, max: 0.1%%s}\n", set, tt.scoring, fairness, tt.rule)
			cfg := writeConfig(t, fmt.Sprintf(body, ""))
			res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--dry-run")
			if res.code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s%s", res.code, exitUsage, res.stdout, res.stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
			if tt.fairness != "" {
				// Marked optional, the same rule is let through.
				cfg := writeConfig(t, fmt.Sprintf(body, ", optional: true"))
				if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--dry-run"); res.code != exitOK {
					t.Errorf("optional: exit %d, want %d\n%s", res.code, exitOK, res.stderr)
				}
			}
		})
	}
}

// TestPlanFairnessRates plans rules on a rate other than accuracy, on a
// column and on an intersection: each is simulated on that rate's own
// denominators as the eval set has them (500 actual negatives per group of
// grp; 250 actual positives per group of grp×region).
func TestPlanFairnessRates(t *testing.T) {
	set := disparitySet(t)
	cfg := writeConfig(t, fmt.Sprintf(`dataset: {path: %s}
candidate: {provider: replay}
scoring: {method: label, positive_label: "yes"}
fairness: {groups: [grp, region], intersections: [[grp, region]]}
gate:
  - {metric: fairness.grp.fpr.gap, max: 0.1}
  - {metric: fairness.grp*region.tpr.gap.ci_high, max: 0.1}
  - {metric: fairness.grp.equalized_odds_difference, max: 0.1}
`, set))
	res := runCLI(t, context.Background(), nil, "plan", "-c", cfg, "--sims", "200")
	if res.code != exitOK {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"at group actual negatives = 500, 500, every group's FPR 0.8 (assumed)",
		"at group actual positives = 250, 250, 250, 250, every group's TPR 0.8 (assumed)",
		"actual positives per group = ",
		"not planned: the planner models the gap, ratio and p_value rules",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, res.stdout)
		}
	}
}
