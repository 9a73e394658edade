package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyFromOutsideThePR plays a pull request that loosens its own
// gate: its config lowers the accuracy threshold. Against the base
// branch's config as --policy, run refuses to start (exit 2, before any
// call) and verify refuses the signed report (exit 1), each with the
// rule that differs; the base config itself passes both.
func TestPolicyFromOutsideThePR(t *testing.T) {
	base, err := os.ReadFile(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Join("..", "..", "datasets", "examples", "support-qa.parquet"))
	body := strings.Replace(string(base), "../datasets/examples/support-qa.parquet", abs, 1)
	loosened := strings.Replace(body, "{metric: accuracy, min: 0.80,", "{metric: accuracy, min: 0.50,", 1)
	if loosened == body {
		t.Fatal("the quickstart's accuracy rule was not found: the test would check nothing")
	}
	dir := t.TempDir()
	policy, pr := filepath.Join(dir, "policy.yaml"), filepath.Join(dir, "pr.yaml")
	os.WriteFile(policy, []byte(body), 0o644)
	os.WriteFile(pr, []byte(loosened), 0o644)
	const diff = "rule 1: the policy has accuracy >= 0.8; the gate in force has accuracy >= 0.5"

	res := runCLI(t, context.Background(), nil, "run", "-c", pr, "--policy", policy, "--out", t.TempDir(), "--quiet", "--no-cache")
	if res.code != exitUsage || !strings.Contains(res.stderr, diff) {
		t.Errorf("run --policy with a loosened gate: exit %d, want 2 and %q\n%s", res.code, diff, res.stderr)
	}

	priv, pub := keygen(t, "ed25519")
	out := t.TempDir()
	if res := runCLI(t, context.Background(), nil, "run", "-c", pr, "--out", out, "--quiet", "--no-cache", "--key", priv); res.code != exitOK {
		t.Fatalf("the PR's run: exit %d\n%s", res.code, res.stderr)
	}
	env, results := filepath.Join(out, "report.dsse.json"), filepath.Join(out, "results.parquet")
	res = runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-allow", "--policy", policy, env, results)
	if res.code != exitBlock || !strings.Contains(res.stderr, diff) {
		t.Errorf("verify --policy on the loosened report: exit %d, want 1 and %q\n%s", res.code, diff, res.stderr)
	}
	res = runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-allow", "--policy", pr, env, results)
	if res.code != exitOK || !strings.Contains(res.stdout, "policy: the gate equals that of") {
		t.Errorf("verify --policy against the same gate: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
