package render

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// Payloads that, if they ran, would mark the document: set its title and
// put a data-xss attribute on <html>.
const (
	xssImg    = `<img src=x onerror="document.title='PWNED';document.documentElement.setAttribute('data-xss','img')">`
	xssScript = `<script>document.title='PWNED';document.documentElement.setAttribute('data-xss','script')</script>`
	xssAttr   = `"><svg onload="document.documentElement.setAttribute('data-xss','attr')">`
	xssSVG    = `</text><script>document.documentElement.setAttribute('data-xss','svg')</script><text>`
)

// hostileReport plants the payloads in every string of a report that
// reaches report.html from a config, a dataset or a model, the integrity
// sections (claims and their evidence, boundary details, review reasons,
// PII locations, control-chart positions, the judge) included.
func hostileReport(t *testing.T) *reports.Report {
	r := reportstest.IntegrityReport(t)
	all := xssImg + xssScript + xssAttr + xssSVG
	r.Candidate.Model, r.Candidate.Version = "m"+xssImg, "v"+xssScript
	r.Production.Model, r.Production.Version = "p"+xssAttr, "v"+xssSVG
	r.Dataset.Name, r.Dataset.Version, r.Dataset.Path = "set"+xssImg, xssScript, xssAttr
	r.Config.Path = "eval.yaml" + xssScript
	r.Candidate.ResultsFile = xssImg
	r.Metrics.Accuracy.ByTask[0].Name = "task" + xssSVG
	r.Production.Accuracy.ByTask[0].Name = "task" + xssSVG
	col := &r.Metrics.Fairness[0]
	col.Column = "region" + xssAttr
	col.Groups[0].Value = "group" + xssSVG
	col.Groups[1].Value = "group" + xssImg
	for i := range col.Disparities {
		col.Disparities[i].Highest, col.Disparities[i].Lowest = xssScript, xssImg
	}
	reg := r.Metrics.Regression
	reg.ByGroup[0].Value = "group" + xssSVG
	reg.ByGroup[1].Column = "col" + xssAttr
	reg.RightToWrong = append(reg.RightToWrong, "item"+xssImg, "item"+xssScript)
	reg.WrongToRight = append(reg.WrongToRight, "item"+xssAttr, "item"+xssSVG)
	for i := range r.Gate.Rules {
		r.Gate.Rules[i].Description = "rule" + all
	}
	r.Gate.Rules[0].Metric = "accuracy" + xssSVG
	r.Gate.Rules[1].Reason = "reason" + xssImg
	r.Metrics.Accuracy.Warnings = append(r.Metrics.Accuracy.Warnings, errors.New("warning"+xssScript))
	r.Status, r.StatusReason = reports.Incomplete, "stopped"+xssImg

	g := r.Metrics.Groundedness
	g.Method = "lexical" + xssAttr
	g.ByTask[0].Name = "task" + xssSVG
	g.ByGroup[0].Column = "region" + xssAttr
	g.ByGroup[0].Groups[0].Name = "group" + xssImg
	g.Warnings = append(g.Warnings, errors.New("warning"+xssSVG))
	h := &g.Hallucinated[0]
	h.ID, h.Task = "item"+xssImg, "task"+xssScript
	c := &h.Unsupported[0]
	c.Text, c.Snippet, c.Reason = "claim"+all, "snippet"+all, "judge"+xssSVG
	c.Missing, c.Contradicted = []string{xssImg, xssScript}, []string{xssAttr, xssSVG}
	c = &g.Hallucinated[1].Unsupported[0]
	c.Missing, c.Contradicted, c.Uncovered = nil, nil, []string{"uncovered" + xssImg, xssScript}
	b := r.Metrics.Boundaries
	b.Rules[0].Rule = "rule" + xssImg
	b.Groups[0].Column = "col" + xssAttr
	b.Groups[0].Values[0].Value = "value" + xssSVG
	b.Items[0].ID, b.Items[0].Task = "item"+xssScript, "task"+xssAttr
	b.Items[0].Violations[0] = integrity.Violation{Rule: "rule" + xssSVG, Detail: "detail" + all}
	rv := r.Review
	rv.ByReason[0].Reason = "reason" + xssImg
	rv.Items[0].ID, rv.Items[0].Task = "item"+xssSVG, "task"+xssImg
	rv.Items[0].Reasons = append(rv.Items[0].Reasons, "boundary:"+xssScript)
	r.Metrics.PII.Locations[0].Location = "prompt" + xssSVG
	r.History[0].Metric, r.History[0].Chart, r.History[0].Reference = "accuracy"+xssScript, "p"+xssAttr, "reference"+xssImg
	r.Judge = &reports.JudgeRun{Provider: "openai" + xssAttr, Model: "judge" + xssImg, Version: "v" + xssScript, Calls: 11, Errors: 1}
	prod, score := "production"+xssSVG, 0.9
	r.Examples = &reports.Examples{
		Regressions:    []reports.Example{{ID: "regid" + xssAttr, Task: "task" + xssImg, Input: "question" + xssImg, Expected: "reference" + xssScript, Candidate: "candidate" + all, Production: &prod}},
		Hallucinations: []reports.Example{{ID: "halid" + xssScript, Input: "hquestion" + xssSVG, Candidate: "hanswer" + xssImg, HallucinationScore: &score}},
	}
	r.ReviewDecisions = &reports.ReviewDecisions{Records: 1, Reviewed: 1, Accepted: 1, Reviewers: []reports.ReviewerCount{{Reviewer: "Eve" + xssImg + " <e@x>", KeyID: "SHA256:k", Reviewed: 1, Accepted: 1}}, Skipped: []string{"bad.json" + xssScript}}
	return r
}

// plantedText is how some of hostileReport's strings read in the DOM
// dump when they are escaped, one or more from each section, so that the
// test fails if a section stops showing them.
var plantedText = []string{
	"claim&lt;img src=x onerror=", "snippet&lt;img src=x onerror=", "judge: judge&lt;/text&gt;&lt;script&gt;",
	"uncovered&lt;img src=x onerror=", "task&lt;script&gt;", // groundedness
	"rule&lt;img src=x onerror=", "detail&lt;img src=x onerror=", "value&lt;/text&gt;&lt;script&gt;", "item&lt;script&gt;", // boundaries
	"reason&lt;img src=x onerror=", "boundary:&lt;script&gt;", "item&lt;/text&gt;", // review
	"prompt&lt;/text&gt;&lt;script&gt;",                         // PII
	"accuracy&lt;script&gt;", "reference&lt;img src=x onerror=", // control charts
	"judge&lt;img src=x onerror=", // judge identity
	"warning&lt;/text&gt;",        // warnings

	// examples
	"question&lt;img src=x onerror=", "reference&lt;script&gt;", "candidate&lt;img src=x onerror=", "production&lt;/text&gt;", "hanswer&lt;img src=x onerror=",
	// review decisions
	"Eve&lt;img src=x onerror=", "bad.json&lt;script&gt;",
}

// findChromium returns a headless-capable Chromium, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// dumpDOM loads page in headless Chromium and returns the DOM after the
// load event, scripts (if any ran) included.
func dumpDOM(t *testing.T, chromium string, page []byte) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "</html>") {
		t.Fatalf("chromium dumped no DOM:\n%s\n%s", out.String(), errb.String())
	}
	return out.String()
}

var (
	titleRE   = regexp.MustCompile(`(?s)<title>(.*?)</title>`)
	markRE    = regexp.MustCompile(`<html[^>]*data-xss`)
	elementRE = regexp.MustCompile(`<(img|script)[\s>]|<[a-z]+[^>]*\son(load|error)=`)
	// attrRE matches attribute values, which the dump always double-quotes
	// (with " inside written &quot;).
	attrRE = regexp.MustCompile(`="[^"]*"`)
)

// executed says how the dumped DOM shows that a payload ran or became
// markup, or "". In the dump, text is serialised with < as &lt;, so a
// raw tag is a real element.
func executed(dom string) string {
	title := titleRE.FindStringSubmatch(dom)
	switch {
	case markRE.MatchString(dom):
		return "a payload set data-xss on <html>"
	case len(title) > 1 && title[1] == "PWNED":
		return "a payload set document.title"
	case elementRE.MatchString(attrRE.ReplaceAllString(dom, `=""`)):
		return "a payload became an element or an event handler: " + elementRE.FindString(attrRE.ReplaceAllString(dom, `=""`))
	}
	return ""
}

// TestHTMLEscapesInChromium renders a report whose every config-, dataset-
// and model-written string carries script payloads, opens it in a real
// headless Chromium, and checks in the resulting DOM that none ran. A
// control page with the same payloads unescaped shows that the check
// would see them run.
func TestHTMLEscapesInChromium(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium); skipping the headless XSS test")
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, hostileReport(t)); err != nil {
		t.Fatal(err)
	}
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)
	if !csp.Match(page.Bytes()) {
		t.Fatal("report.html has no Content-Security-Policy")
	}
	tests := []struct {
		name    string
		page    []byte
		wantRun bool
	}{
		{"report.html", page.Bytes(), false},
		// Without the CSP, escaping alone must hold.
		{"report.html without its CSP", csp.ReplaceAll(page.Bytes(), nil), false},
		{"control: payloads unescaped", []byte("<!DOCTYPE html><html><head><title>control</title></head><body>" + xssImg + xssScript + "</body></html>"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dom := dumpDOM(t, chromium, tt.page)
			ran := executed(dom)
			switch {
			case tt.wantRun && !markRE.MatchString(dom):
				t.Fatalf("the control's payloads did not run, so this test cannot see XSS; DOM:\n%s", dom)
			case !tt.wantRun && ran != "":
				t.Fatalf("%s; DOM:\n%s", ran, dom)
			case !tt.wantRun && !strings.Contains(dom, "&lt;img src=x onerror=") || !tt.wantRun && !strings.Contains(dom, "&lt;script&gt;"):
				t.Fatalf("the payloads do not appear as text, so the test planted nothing; DOM:\n%s", dom)
			}
			if tt.wantRun {
				return
			}
			for _, p := range plantedText {
				if !strings.Contains(dom, p) {
					t.Errorf("%q does not appear as text: its section did not render the planted string", p)
				}
			}
		})
	}
}
