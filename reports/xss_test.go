package reports

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
// reaches report.html from a config, a dataset or a model.
func hostileReport(t *testing.T) *Report {
	r := Build(testInput(t))
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
	r.Status, r.StatusReason = Incomplete, "stopped"+xssImg
	return r
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
		})
	}
}
