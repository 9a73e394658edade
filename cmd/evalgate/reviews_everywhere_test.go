package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
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

	// run.reviews_dir and run.reviews_key count the same records as the
	// flags, in run and in score; the flags, when given, replace them.
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	withKeys := strings.Replace(string(raw), "  out: evalgate-out/quickstart\n", "  out: evalgate-out/quickstart\n  reviews_dir: "+reviewDir+"\n  reviews_key: ["+revPub+"]\n", 1)
	if withKeys == string(raw) {
		t.Fatal("the quickstart config has no run.out line to add the review keys after")
	}
	cfgKeys := writeConfig(t, withKeys)
	_, strangerPub := keygen(t, "ed25519")
	for _, tt := range []struct {
		name  string
		args  []string
		count int
	}{
		{"run", []string{"run", "-c", cfgKeys, "--quiet"}, 3},
		{"score", []string{"score", "-c", cfgKeys, "--results", filepath.Join(out, "results.parquet"), "--baseline", filepath.Join(out, "production-results.parquet")}, 3},
		{"score, the flags replacing the keys", []string{"score", "-c", cfgKeys, "--results", filepath.Join(out, "results.parquet"), "--reviews", reviewDir, "--reviews-key", strangerPub}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			res := runCLI(t, ctx, nil, append(tt.args, "--out", dir)...)
			if res.code != exitOK && res.code != exitBlock {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			d := readReport(t, dir).ReviewDecisions
			if d == nil || d.Reviewed != tt.count {
				t.Fatalf("review_decisions %+v, want %d reviewed", d, tt.count)
			}
			if tt.count > 0 && !reflect.DeepEqual(d, runRep.ReviewDecisions) {
				t.Errorf("review_decisions %+v, want run --reviews's %+v", d, runRep.ReviewDecisions)
			}
		})
	}
}

// TestVerifyReviewRecord checks evalgate verify on a signed review
// record: it prints the reviewer, the report's digest and the decision
// counts; a changed CSV, a changed report envelope or another key is
// exit 1; flags for a model report are exit 2.
func TestVerifyReviewRecord(t *testing.T) {
	ctx := context.Background()
	_, first, _, record, filled, revPub := reviewedQuickstart(t)
	report := filepath.Join(first, "report.dsse.json")
	reportSum := sha256File(t, report)
	csvBytes, err := os.ReadFile(filled)
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "review.csv")
	if err := os.WriteFile(changed, bytes.Replace(csvBytes, []byte("wrong"), []byte("right"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(t.TempDir(), "filled.csv")
	if err := os.WriteFile(renamed, csvBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	otherReport := filepath.Join(t.TempDir(), "report.dsse.json")
	if err := os.WriteFile(otherReport, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, strangerPub := keygen(t, "ed25519")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // each must appear
		stderr string
	}{
		{"the filled CSV", []string{"--key", revPub, record, filled}, exitOK,
			[]string{"signature: good", "reviewer: Ada Reviewer <ada@example.com>", "report: envelope sha256 " + reportSum, "decisions: 3 (accept 1, reject 1, escalate 1)", "the review.csv the record was made from", "OK"}, ""},
		{"the CSV renamed and the report", []string{"--key", revPub, record, renamed, report}, exitOK,
			[]string{"the review.csv the record was made from", "the report envelope the record is over", "OK"}, ""},
		{"signature only", []string{"--key", revPub, "--signature-only", record}, exitOK,
			[]string{"decisions: 3", "subjects: not checked"}, ""},
		{"no file", []string{"--key", revPub, record}, exitUsage, nil, "no FILE was given"},
		{"a changed CSV", []string{"--key", revPub, record, changed}, exitBlock, nil, "the file was changed after it was signed"},
		{"another report envelope", []string{"--key", revPub, record, otherReport}, exitBlock, nil, "the record is over report envelope " + reportSum},
		{"another key", []string{"--key", strangerPub, record, filled}, exitBlock, nil, "signature does not verify"},
		{"--require-allow", []string{"--key", revPub, "--require-allow", record, filled}, exitBlock, nil, "is a review record, which has no verdict"},
		{"--expect-model", []string{"--key", revPub, "--expect-model", "m@1", record, filled}, exitUsage, nil, "not to a review record"},
		{"--policy", []string{"--key", revPub, "--policy", quickstart, record, filled}, exitUsage, nil, "not to a review record"},
		{"--expect-commit", []string{"--key", revPub, "--expect-commit", "abcdef0", record, filled}, exitUsage, nil, "not to a review record"},
		{"--require-approval", []string{"--key", revPub, "--require-approval", record, "--approver-key", strangerPub, record, filled}, exitUsage, nil, "not to a review record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, ctx, nil, append([]string{"verify"}, tt.args...)...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.code, res.stdout, res.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(res.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, res.stdout)
				}
			}
			if !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, res.stderr)
			}
		})
	}
}

// sha256File is the hex SHA-256 of the file at path.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return signing.DigestHex(b)
}
