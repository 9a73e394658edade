package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSignedProvenance runs the quickstart as GitHub Actions would for a
// pull request, signs it, and checks that the signed statement carries the
// commit, ref, pull request, run URL, actor, evalgate's version and binary
// digest and the gate policy's digest; that verify prints them and checks
// --expect-commit; and that openssl still verifies the envelope.
func TestSignedProvenance(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	environ := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_SHA": commit, "GITHUB_REF": "refs/pull/42/merge", "GITHUB_ACTOR": "octocat",
		"GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "acme/model", "GITHUB_RUN_ID": "7",
	}
	dir, pub := signedQuickstart(t, "ed25519", environ)
	env := filepath.Join(dir, "report.dsse.json")
	files := []string{filepath.Join(dir, "results.parquet"), filepath.Join(dir, "production-results.parquet")}
	res := runCLI(t, context.Background(), nil, append([]string{"verify", "--key", pub, "--expect-commit", commit[:12], env}, files...)...)
	if res.code != exitOK {
		t.Fatalf("verify --expect-commit: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	exe, _ := os.Executable()
	raw, _ := os.ReadFile(exe)
	sum := sha256.Sum256(raw)
	for _, want := range []string{
		"provenance: github-actions commit " + commit + ", ref refs/pull/42/merge, pull request 42, run https://github.example/acme/model/actions/runs/7, actor octocat",
		"sha256 " + hex.EncodeToString(sum[:]), "gate policy sha256 ",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("verify output lacks %q:\n%s", want, res.stdout)
		}
	}
	res = runCLI(t, context.Background(), nil, append([]string{"verify", "--key", pub, "--expect-commit", "fedcba9876543", env}, files...)...)
	if res.code != exitBlock || !strings.Contains(res.stderr, "the report's signed commit is "+commit+", not fedcba9876543") {
		t.Errorf("verify with another commit: exit %d, want 1\n%s", res.code, res.stderr)
	}
	opensslVerify(t, "ed25519", env, pub)
}
