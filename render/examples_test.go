package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// exampleReport is the integrity report (a BLOCK with a production
// model) with examples whose texts are n bytes long.
func exampleReport(t *testing.T, n int) *reports.Report {
	r := reportstest.IntegrityReport(t)
	long := func(s string) string { return s + strings.Repeat("x|*_`<", n/6) }
	prod := long("the production answer ")
	score := 0.75
	r.Examples = &reports.Examples{}
	for range reports.MaxExamples {
		r.Examples.Regressions = append(r.Examples.Regressions, reports.Example{ID: "q-reg", Input: long("what is the capital "), Expected: "Paris", Candidate: long("the candidate says Lyon "), Production: &prod})
		r.Examples.Hallucinations = append(r.Examples.Hallucinations, reports.Example{ID: "q-hal", Input: long("who wrote "), Candidate: long("an invented author "), HallucinationScore: &score})
	}
	return r
}

// TestExamplesRendered checks that every format shows the regressions
// and hallucinations with their text, labels the hallucination score,
// and on a BLOCK shows them expanded before the accuracy section.
func TestExamplesRendered(t *testing.T) {
	tests := []struct {
		name    string
		verdict string
		first   bool
	}{
		{"block: failures first and open", reports.Block, true},
		{"allow: collapsed after groundedness", reports.Allow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exampleReport(t, 60)
			r.Verdict = tt.verdict
			var md, html bytes.Buffer
			if err := WriteMarkdown(&md, r); err != nil {
				t.Fatal(err)
			}
			if err := WriteHTML(&html, r); err != nil {
				t.Fatal(err)
			}
			for _, doc := range []struct{ name, text, accuracy, examples string }{
				{"report.md", md.String(), "<b>Accuracy</b>", "Regressions: production right, candidate wrong"},
				{"report.html", html.String(), "<h2>Accuracy", "Regressions: production right, candidate wrong"},
			} {
				for _, want := range []string{"what is the capital", "the candidate says Lyon", "the production answer", "an invented author", "Paris", "hallucination score", "how much of the answer its context does not support"} {
					if !strings.Contains(doc.text, want) {
						t.Errorf("%s lacks %q", doc.name, want)
					}
				}
				ex, acc := strings.Index(doc.text, doc.examples), strings.Index(doc.text, doc.accuracy)
				if ex < 0 || acc < 0 {
					t.Fatalf("%s: examples at %d, accuracy at %d", doc.name, ex, acc)
				}
				if got := ex < acc; got != tt.first {
					t.Errorf("%s: examples before accuracy = %v, want %v", doc.name, got, tt.first)
				}
			}
			open := strings.Contains(html.String(), "<details open>\n  <summary><b>Regressions: production right")
			if open != tt.first {
				t.Errorf("report.html: regression examples open = %v, want %v", open, tt.first)
			}
			fixesOpen := strings.Contains(html.String(), "<details open>\n    <summary>Fixes: wrong → right")
			if tt.first && fixesOpen {
				t.Error("report.html: on a BLOCK the fixes are expanded")
			}
		})
	}
}

// TestMarkdownLimitHugeExamples checks that report.md stays within
// GitHub's limit when every example text is megabytes long, and says so
// when it cuts.
func TestMarkdownLimitHugeExamples(t *testing.T) {
	for _, n := range []int{0, 1 << 10, 1 << 20} {
		r := exampleReport(t, n)
		var b bytes.Buffer
		if err := WriteMarkdown(&b, r); err != nil {
			t.Fatal(err)
		}
		if b.Len() > MarkdownLimit {
			t.Errorf("texts of %d bytes: report.md is %d bytes, over %d", n, b.Len(), MarkdownLimit)
		}
		if !strings.Contains(b.String(), "the candidate says Lyon") {
			t.Errorf("texts of %d bytes: report.md shows no regression text", n)
		}
	}
}

// TestFairnessRuleWhere checks that a failing fairness rule names the
// column and the groups at the ends of the gap.
func TestFairnessRuleWhere(t *testing.T) {
	r := reportstest.IntegrityReport(t)
	col := r.Metrics.Fairness[0]
	var d = col.Disparities[0]
	rr := reports.RuleResult{Metric: "fairness." + col.Column + "." + d.Metric + ".gap", Outcome: reports.Fail, Reason: "gap above max", Observed: d.Gap.Value}
	r.Gate.Rules = append(r.Gate.Rules, rr)
	got := ruleReason(r, rr)
	for _, want := range []string{"column " + col.Column, "lowest " + d.Lowest, "highest " + d.Highest} {
		if !strings.Contains(got, want) {
			t.Errorf("ruleReason = %q, lacks %q", got, want)
		}
	}
	worst := reports.RuleResult{Metric: "fairness.accuracy.gap", Outcome: reports.Fail, Reason: "r", Observed: d.Gap.Value}
	if got := ruleReason(r, worst); !strings.Contains(got, "column "+col.Column) {
		t.Errorf("over all columns: ruleReason = %q, lacks the column", got)
	}
	pass := rr
	pass.Outcome = reports.Pass
	if got := ruleReason(r, pass); got != pass.Reason {
		t.Errorf("a passing rule's reason = %q, want it unchanged", got)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "column "+col.Column) {
		t.Error("report.md's failing rules do not name the fairness column")
	}
}

// TestReviewHTMLEscapes renders review.html for answers full of script
// payloads and checks, in the text and (when installed) in headless
// Chromium, that none becomes markup or runs.
func TestReviewHTMLEscapes(t *testing.T) {
	all := xssImg + xssScript + xssAttr + xssSVG
	conf := 0.2
	rows := []records.ReviewRow{{ID: "id" + xssAttr, Task: "task" + xssImg, Groups: "g=" + xssSVG, Reasons: "hallucinated" + xssScript, Confidence: &conf,
		Input: "question" + all, Expected: "reference" + xssImg, Output: "answer" + all + "\x1b[31m", Evidence: "evidence" + xssScript}}
	var page bytes.Buffer
	if err := WriteReviewHTML(&page, "set"+xssImg, rows); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	if !strings.Contains(html, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'`) {
		t.Error("review.html has no Content-Security-Policy")
	}
	for _, bad := range []string{"<script", "<img", "<svg", "\x1b"} {
		if strings.Contains(html, bad) {
			t.Errorf("review.html holds %q raw", bad)
		}
	}
	for _, want := range []string{"question&lt;img src=x onerror=", "answer&lt;img", `\x1b[31m`, "reference&lt;img"} {
		if !strings.Contains(html, want) {
			t.Errorf("review.html lacks %q", want)
		}
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed; skipping the headless check of review.html")
	}
	if ran := executed(dumpDOM(t, chromium, page.Bytes())); ran != "" {
		t.Errorf("review.html: %s", ran)
	}
}
