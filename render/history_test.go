package render

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/internal/golden"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// hostileHistory is a history whose every report-written string (model
// name and version, a fairness column, hence a metric path) and every file
// path and detail carries the script payloads of xss_test.go; week 9 is
// flagged, so the payloads also reach the flagged points' tooltips.
func hostileHistory(t *testing.T) *history.History {
	t.Helper()
	set := reportstest.WeekSet(9)
	col := "region" + xssAttr + xssSVG
	for i, sr := range set.Reports {
		r := sr.Report
		r.Candidate.Model, r.Candidate.Version = "m"+xssImg, "v"+xssScript+"|**x**"
		if i != 3 {
			r.Metrics.Fairness = []metrics.FairnessColumn{{Column: col, Disparities: []metrics.Disparity{{Metric: "accuracy", Gap: metrics.Estimate{Value: 0.02 + 0.01*float64(i%3), Low: 0, High: 0.1}}}}}
		}
	}
	set.Excluded = []history.Exclusion{{Path: "week" + xssImg + ".dsse.json", Reason: history.ExcludedInvalid, Detail: "detail" + xssScript + xssSVG}}
	h, err := history.New(set, history.Options{Metrics: []string{"accuracy", "fairness." + col + ".accuracy.gap"}})
	if err != nil {
		t.Fatal(err)
	}
	if !h.Metrics[0].Chart.Points[8].OutOfControl() || len(h.Metrics[1].Chart.Warnings) < 2 {
		t.Fatal("the hostile history has no flagged point or no warning naming the metric")
	}
	return h
}

// Every string from a report or a path reaches history.md escaped for
// Markdown (code spans aside, whose content is literal), and history.json
// as JSON.
func TestHistoryRenderEscapes(t *testing.T) {
	h := hostileHistory(t)
	codeSpan := regexp.MustCompile("`[^`\n]*`")
	tests := []struct {
		name  string
		write func(io.Writer, *history.History) error
		not   []string
		want  []string
	}{
		{"markdown", WriteHistoryMarkdown, []string{"<img", "<script", "<svg", "</text>", "|**x**"}, []string{"&lt;script&gt;", `\|\*\*x\*\*`, "&lt;img src=x"}},
		{"json", WriteHistoryJSON, []string{"<img", "<script"}, []string{`\u003cscript\u003e`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, h); err != nil {
				t.Fatal(err)
			}
			text := codeSpan.ReplaceAllString(b.String(), "`code`")
			for _, s := range tt.not {
				if strings.Contains(text, s) {
					t.Errorf("output contains %q unescaped", s)
				}
			}
			for _, s := range tt.want {
				if !strings.Contains(text, s) {
					t.Errorf("output lacks %q", s)
				}
			}
		})
	}
}

// TestHistoryHTMLEscapesInChromium opens the hostile history.html in a
// real headless Chromium, with and without its Content-Security-Policy,
// and checks in the DOM that no payload ran or became markup (see
// TestHTMLEscapesInChromium, whose helpers and control page it shares).
func TestHistoryHTMLEscapesInChromium(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium); skipping the headless XSS test")
	}
	var page bytes.Buffer
	if err := WriteHistoryHTML(&page, hostileHistory(t)); err != nil {
		t.Fatal(err)
	}
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)
	if !csp.Match(page.Bytes()) {
		t.Fatal("history.html has no Content-Security-Policy")
	}
	tests := []struct {
		name string
		page []byte
	}{
		{"history.html", page.Bytes()},
		{"history.html without its CSP", csp.ReplaceAll(page.Bytes(), nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dom := dumpDOM(t, chromium, tt.page)
			if ran := executed(dom); ran != "" {
				t.Fatalf("%s; DOM:\n%s", ran, dom)
			}
			if !strings.Contains(dom, "&lt;img src=x onerror=") || !strings.Contains(dom, "&lt;script&gt;") || !strings.Contains(dom, "<svg") {
				t.Fatalf("the payloads or the charts are missing from the page, so the test checked nothing; DOM:\n%s", dom)
			}
		})
	}
}

func TestHistoryJSON(t *testing.T) {
	h, err := history.New(reportstest.WeekSet(12), history.Options{Reference: 8})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := WriteHistoryJSON(&a, h); err != nil {
		t.Fatal(err)
	}
	WriteHistoryJSON(&b, h)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same history gave different bytes")
	}
	golden.Check(t, "history.json", a.Bytes())
	var got struct {
		Reference struct{ Reports int }
		Metrics   []struct {
			Metric string
			Points []struct {
				Reference bool
				Signals   []metrics.Signal
			}
		}
	}
	if err := json.Unmarshal(a.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	acc := got.Metrics[0]
	if got.Reference.Reports != 8 || acc.Metric != "accuracy" || !acc.Points[7].Reference || acc.Points[8].Reference || len(acc.Points[8].Signals) == 0 {
		t.Errorf("reference %d, accuracy points %+v: want 8 reference points and week 9 flagged", got.Reference.Reports, acc.Points)
	}
}

// One report makes a chart with no moving range: the renderers say n/a
// where a limit is undefined, and write null in JSON.
func TestHistoryRenderOneReport(t *testing.T) {
	h, err := history.New(reportstest.WeekSet(1), history.Options{Metrics: []string{"accuracy", "tokens.total"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		write func(io.Writer, *history.History) error
		want  string
	}{
		{"markdown", WriteHistoryMarkdown, "| 2026-01-05 | bot@v1 | 0 | - | n/a | 0 | n/a |  |"},
		{"html", WriteHistoryHTML, "no moving range"},
		{"json", WriteHistoryJSON, `"moving_range": null`},
		{"summary", WriteHistorySummary, "limits [n/a, n/a]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, h); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, b.String())
			}
		})
	}
}
