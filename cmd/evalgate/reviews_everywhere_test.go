package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/reports"
)

// reviewedQuickstart runs the quickstart, with a gate rule on
// review.rejected added, signed with a fresh key; fills its review.csv
// (accept, reject, escalate) and signs it with a reviewer's key. It
// returns the config, the run's output folder, the folder holding the
// review record, the record, the filled CSV and the reviewer's public
// key.
func reviewedQuickstart(t *testing.T) (cfg, first, reviewDir, record, filled, revPub string) {
	t.Helper()
	ctx := context.Background()
	quick, err := os.ReadFile(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(quick), "path: ../datasets/examples/support-qa.parquet", "path: "+exampleSet, 1)
	body += `  - {metric: review.rejected, max: 0, description: "no answer a reviewer rejected"}` + "\n"
	cfg = writeConfig(t, body)
	ciPriv, _ := keygen(t, "ed25519")
	revPriv, revPub := keygen(t, "ecdsa-p256")
	first = t.TempDir()
	res := runCLI(t, ctx, nil, "run", "-c", cfg, "--out", first, "--quiet", "--key", ciPriv)
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	filled = fillReviewCSV(t, filepath.Join(first, "review.csv"), map[int][2]string{0: {"accept", "fine"}, 1: {"reject", "wrong"}, 2: {"escalate", ""}})
	reviewDir = t.TempDir()
	record = filepath.Join(reviewDir, "ada.dsse.json")
	res = runCLI(t, ctx, nil, "review", "import", "--key", revPriv, "--reviewer", "Ada Reviewer <ada@example.com>", "--report", filepath.Join(first, "report.dsse.json"), "--out", record, filled)
	if res.code != exitOK {
		t.Fatalf("review import: exit %d\n%s", res.code, res.stderr)
	}
	return cfg, first, reviewDir, record, filled, revPub
}

// rule returns the gate's rule on metric.
func rule(t *testing.T, r *reports.Report, metric string) reports.RuleResult {
	t.Helper()
	for _, rr := range r.Gate.Rules {
		if rr.Metric == metric {
			return rr
		}
	}
	t.Fatalf("the report's gate has no rule on %s", metric)
	return reports.RuleResult{}
}

// TestReviewsRunAndScore checks that score --reviews counts the signed
// review records as run --reviews does (the same report, apart from
// timing and run statistics), and that in both the gate sees the counts:
// a rule on review.rejected is evaluated, not left not_evaluated.
func TestReviewsRunAndScore(t *testing.T) {
	ctx := context.Background()
	cfg, first, reviewDir, _, _, revPub := reviewedQuickstart(t)
	if got := rule(t, readReport(t, first), "review.rejected").Outcome; got != "not_evaluated" {
		t.Errorf("without --reviews the rule on review.rejected is %s, want not_evaluated", got)
	}
	out := t.TempDir()
	res := runCLI(t, ctx, nil, "run", "-c", cfg, "--out", out, "--quiet", "--reviews", reviewDir, "--reviews-key", revPub)
	if res.code != exitBlock {
		t.Fatalf("run --reviews: exit %d, want 1 (a rejected answer)\n%s", res.code, res.stderr)
	}
	runRep := readReport(t, out)
	if d := runRep.ReviewDecisions; d == nil || d.Records != 1 || d.Reviewed != 3 || d.Rejected != 1 {
		t.Fatalf("run: review_decisions %+v, want 1 record, 3 reviewed, 1 rejected", d)
	}
	if rr := rule(t, runRep, "review.rejected"); rr.Outcome != "fail" || rr.Observed != 1 {
		t.Errorf("run: the rule on review.rejected is %s with %v, want fail with 1", rr.Outcome, rr.Observed)
	}

	scoreOut := t.TempDir()
	args := []string{"score", "-c", cfg, "--results", filepath.Join(out, "results.parquet"), "--baseline", filepath.Join(out, "production-results.parquet"), "--out", scoreOut}
	sres := runCLI(t, ctx, nil, append(args, "--reviews", reviewDir, "--reviews-key", revPub)...)
	if sres.code != res.code {
		t.Fatalf("score --reviews: exit %d, run exited %d\n%s", sres.code, res.code, sres.stderr)
	}
	scoreRep := readReport(t, scoreOut)
	if scoreRep.ReviewDecisions == nil {
		t.Fatal("score --reviews counted no review decisions")
	}
	if got, want := runOnly(t, scoreRep), runOnly(t, runRep); !bytes.Equal(got, want) {
		t.Errorf("score --reviews's report differs from run --reviews's:\n%s", firstDiff(got, want))
	}

	// Without --reviews, score counts nothing; the flags go together.
	plain := t.TempDir()
	sres = runCLI(t, ctx, nil, append(args[:len(args)-1:len(args)-1], plain)...)
	if sres.code != exitBlock {
		t.Fatalf("score: exit %d\n%s", sres.code, sres.stderr)
	}
	if r := readReport(t, plain); r.ReviewDecisions != nil || rule(t, r, "review.rejected").Outcome != "not_evaluated" {
		t.Errorf("score without --reviews: review_decisions %+v, rule %s", r.ReviewDecisions, rule(t, r, "review.rejected").Outcome)
	}
	for _, extra := range [][]string{{"--reviews", reviewDir}, {"--reviews-key", revPub}} {
		sres = runCLI(t, ctx, nil, append(args[:len(args):len(args)], extra...)...)
		if sres.code != exitUsage || !strings.Contains(sres.stderr, "score: --reviews and --reviews-key go together") {
			t.Errorf("score %s alone: exit %d\n%s", extra[0], sres.code, sres.stderr)
		}
	}
}
