package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/reviews"
	"github.com/evalgate/evalgate/signing"
)

// fillReviewCSV reads review.csv at path, sets the decision and note of
// the rows given by index, and writes the result to a new file.
func fillReviewCSV(t *testing.T, path string, fill map[int][2]string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("review.csv does not parse: %v", err)
	}
	header := rows[0]
	if header[len(header)-2] != "decision" || header[len(header)-1] != "note" {
		t.Fatalf("review.csv header %v: want decision and note last", header)
	}
	for i, f := range fill {
		if i+1 >= len(rows) {
			t.Fatalf("review.csv has %d rows, want more than %d", len(rows)-1, i)
		}
		rows[i+1][len(header)-2], rows[i+1][len(header)-1] = f[0], f[1]
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "review.csv")
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReviewRoundTrip runs the quickstart, fills the review.csv it wrote
// beside review.parquet, signs it with review import, and checks that
// the next run with --reviews counts the decisions, that the record
// verifies, and that a changed CSV does not match it.
func TestReviewRoundTrip(t *testing.T) {
	ctx := context.Background()
	ciPriv, _ := keygen(t, "ed25519")
	revPriv, revPub := keygen(t, "ecdsa-p256")
	cfg := filepath.Join("..", "..", "configs", "quickstart.yaml")
	first := t.TempDir()
	res := runCLI(t, ctx, nil, "run", "-c", cfg, "--out", first, "--quiet", "--key", ciPriv)
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	rep := readReport(t, first)
	if rep.ReviewDecisions != nil {
		t.Fatalf("a run without --reviews counted decisions: %+v", rep.ReviewDecisions)
	}
	for _, f := range []string{"review.parquet", "review.csv", "review.html"} {
		if _, err := os.Stat(filepath.Join(first, f)); err != nil {
			t.Fatalf("the run wrote no %s: %v", f, err)
		}
	}
	if rep.Review == nil || rep.Review.Routed < 3 {
		t.Fatalf("the quickstart routes %v answers, want at least 3", rep.Review)
	}
	filled := fillReviewCSV(t, filepath.Join(first, "review.csv"), map[int][2]string{0: {"accept", "fine"}, 1: {"Reject", "=cites a page that does not exist"}, 2: {"escalate", ""}})
	reviewDir := t.TempDir()
	record := filepath.Join(reviewDir, "ada.dsse.json")
	report := filepath.Join(first, "report.dsse.json")

	bad := fillReviewCSV(t, filepath.Join(first, "review.csv"), map[int][2]string{1: {"approve", ""}})
	res = runCLI(t, ctx, nil, "review", "import", "--key", revPriv, "--reviewer", "Ada Reviewer <ada@example.com>", "--report", report, "--out", filepath.Join(t.TempDir(), "x.json"), bad)
	if res.code != exitUsage || !strings.Contains(res.stderr, "line 3") || !strings.Contains(res.stderr, `"approve" is not one of accept, reject, escalate`) {
		t.Fatalf("unknown decision: exit %d, want 2 naming line 3\n%s", res.code, res.stderr)
	}

	res = runCLI(t, ctx, nil, "review", "import", "--key", revPriv, "--reviewer", "Ada Reviewer <ada@example.com>", "--report", report, "--out", record, filled)
	if res.code != exitOK {
		t.Fatalf("review import: exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "decisions: 3 (accept 1, reject 1, escalate 1)") {
		t.Errorf("review import said:\n%s", res.stdout)
	}
	res = runCLI(t, ctx, nil, "review", "import", "--key", revPriv, "--reviewer", "Ada Reviewer <ada@example.com>", "--report", report, "--out", record, filled)
	if res.code != exitUsage || !strings.Contains(res.stderr, "never overwritten") {
		t.Errorf("a second import over the record: exit %d\n%s", res.code, res.stderr)
	}

	// The record verifies with the reviewer's key, matches the filled CSV
	// and not a changed one.
	pub, _ := os.ReadFile(revPub)
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := os.ReadFile(record)
	rec, err := reviews.Verify(v, signed)
	if err != nil {
		t.Fatalf("the review record does not verify: %v", err)
	}
	csvBytes, _ := os.ReadFile(filled)
	if err := reviews.VerifyCSV(rec, csvBytes); err != nil {
		t.Errorf("the filled CSV: %v", err)
	}
	if err := reviews.VerifyCSV(rec, bytes.Replace(csvBytes, []byte("fine"), []byte("FINE"), 1)); !errors.Is(err, signing.ErrDigestMismatch) {
		t.Errorf("a changed CSV: got %v, want a digest mismatch", err)
	}
	if rec.Decisions[1].Note != "=cites a page that does not exist" {
		t.Errorf("note %q: the formula guard was not taken off", rec.Decisions[1].Note)
	}

	second := t.TempDir()
	res = runCLI(t, ctx, nil, "run", "-c", cfg, "--out", second, "--quiet", "--reviews", reviewDir, "--reviews-key", revPub)
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("run --reviews: exit %d\n%s", res.code, res.stderr)
	}
	d := readReport(t, second).ReviewDecisions
	if d == nil || d.Records != 1 || d.Reviewed != 3 || d.Accepted != 1 || d.Rejected != 1 || d.Escalated != 1 {
		t.Fatalf("review_decisions %+v, want 1 record, 3 reviewed: 1 accepted, 1 rejected, 1 escalated", d)
	}
	if len(d.Reviewers) != 1 || d.Reviewers[0].Reviewer != "Ada Reviewer <ada@example.com>" {
		t.Errorf("reviewers %+v", d.Reviewers)
	}
	md, _ := os.ReadFile(filepath.Join(second, "report.md"))
	if !strings.Contains(string(md), "3 reviewed, 1 accepted, 1 rejected") {
		t.Error("report.md does not show the reviewers' decisions")
	}

	// A key that did not sign the record counts nothing and says why.
	_, strangerPub := keygen(t, "ed25519")
	third := t.TempDir()
	res = runCLI(t, ctx, nil, "run", "-c", cfg, "--out", third, "--quiet", "--reviews", reviewDir, "--reviews-key", strangerPub)
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("run --reviews with another key: exit %d\n%s", res.code, res.stderr)
	}
	if d := readReport(t, third).ReviewDecisions; d == nil || d.Reviewed != 0 || len(d.Skipped) != 1 {
		t.Errorf("another key: review_decisions %+v, want nothing counted and one file skipped", d)
	}
	res = runCLI(t, ctx, nil, "run", "-c", cfg, "--out", t.TempDir(), "--quiet", "--reviews", reviewDir)
	if res.code != exitUsage || !strings.Contains(res.stderr, "--reviews and --reviews-key go together") {
		t.Errorf("--reviews without a key: exit %d\n%s", res.code, res.stderr)
	}
}

// TestRegressionExamples checks that a BLOCK by the regression demo
// carries its regressions with their text in report.json, and shows
// them in report.md before the accuracy details.
func TestRegressionExamples(t *testing.T) {
	out := t.TempDir()
	res := runCLI(t, context.Background(), nil, "run", "-c", filepath.Join("..", "..", "configs", "regression-demo.yaml"), "--out", out, "--quiet")
	if res.code != exitBlock {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	rep := readReport(t, out)
	ex := rep.Examples
	if ex == nil || len(ex.Regressions) == 0 {
		t.Fatalf("report.json has no regression examples: %+v", ex)
	}
	if want := min(10, rep.Metrics.Regression.Counts.RightToWrong); len(ex.Regressions) != want {
		t.Errorf("%d regression examples, want %d", len(ex.Regressions), want)
	}
	for i, e := range ex.Regressions {
		if e.ID != rep.Metrics.Regression.RightToWrong[i] || e.Input == "" || e.Expected == "" || e.Candidate == "" || e.Production == nil || *e.Production == "" {
			t.Errorf("example %d: %+v, want the %d-th regression with question, reference and both answers", i, e, i)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	q := strings.Fields(ex.Regressions[0].Input)
	first := strings.Join(q[:min(3, len(q))], " ")
	at, acc := strings.Index(string(md), first), strings.Index(string(md), "<b>Accuracy</b>")
	if at < 0 || acc < 0 || at > acc {
		t.Errorf("report.md shows the first regression's question %q at %d, accuracy at %d: want it first", first, at, acc)
	}
}

// TestExamplesRedacted checks that under pii.redact the examples in
// report.json and report.md carry placeholders, not the personal data of
// the eval set's questions.
func TestExamplesRedacted(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "configs", "regression-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(raw), "path: ../datasets/examples/support-qa.parquet", "path: "+exampleSet, 1)
	tests := []struct {
		name, extra string
		redacted    bool
	}{
		{"plain", "", false},
		{"pii.redact", "pii: {redact: true}\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			res := runCLI(t, context.Background(), nil, "run", "-c", writeConfig(t, body+tt.extra), "--out", out, "--quiet", "--no-cache")
			if res.code != exitBlock {
				t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
			}
			j, _ := os.ReadFile(filepath.Join(out, "report.json"))
			md, _ := os.ReadFile(filepath.Join(out, "report.md"))
			for _, d := range []struct{ name, doc, placeholder string }{
				{"report.json", string(j), "call me back on [PHONE]"},
				{"report.md", string(md), `call me back on \[PHONE\]`},
			} {
				if got := strings.Contains(d.doc, "212-555-0101"); got == tt.redacted {
					t.Errorf("%s holds the phone number of sqa-016's question: %v", d.name, got)
				}
				if got := strings.Contains(d.doc, d.placeholder); got != tt.redacted {
					t.Errorf("%s holds the redacted question: %v, want %v", d.name, got, tt.redacted)
				}
			}
		})
	}
}
