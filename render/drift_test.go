package render

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/internal/golden"
)

// hostileDriftReport plants script payloads in every string that reaches
// drift.html from a file or a config: paths, column names (and so feature
// names) and category values.
func hostileDriftReport(t *testing.T) *drift.Report {
	r := goldenDriftReport(t)
	r.Reference.Path, r.Current.Path = "ref"+xssImg, "cur"+xssScript
	r.Config.Path = "eval.yaml" + xssAttr
	for i := range r.Features {
		f := &r.Features[i]
		f.Name += xssSVG
		f.ReferenceColumn = xssImg
		if c := f.Categorical; c != nil {
			c.Categories[0] += xssScript
			c.Categories[len(c.Categories)-1] = xssSVG
		}
	}
	r.Skipped[0].Reason += xssImg
	r.Gate.Rules[0].Description += xssScript
	return r
}

func TestDriftRenderEscapes(t *testing.T) {
	r := hostileDriftReport(t)
	var page, mdb bytes.Buffer
	if err := WriteDriftHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteDriftMarkdown(&mdb, r); err != nil {
		t.Fatal(err)
	}
	// In Markdown, text inside a code span is shown as is, never as HTML.
	codeSpan := regexp.MustCompile("`[^`]*`")
	for name, out := range map[string]string{"drift.html": page.String(), "drift.md": codeSpan.ReplaceAllString(mdb.String(), "")} {
		for _, raw := range []string{"<script>", "<img ", "<svg onload"} {
			if strings.Contains(out, raw) {
				t.Errorf("%s holds %q unescaped", name, raw)
			}
		}
	}
	if !strings.Contains(page.String(), `content="default-src 'none'; style-src 'unsafe-inline'"`) {
		t.Error("drift.html has no Content-Security-Policy forbidding scripts")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium); skipping the headless check")
	}
	dom := dumpDOM(t, chromium, page.Bytes())
	if ran := executed(dom); ran != "" {
		t.Fatalf("%s; DOM:\n%s", ran, dom)
	}
	if !strings.Contains(dom, "&lt;img src=x onerror=") {
		t.Fatalf("the payloads do not appear as text, so the test planted nothing")
	}
}

func TestDriftHTMLManyCategories(t *testing.T) {
	r := goldenDriftReport(t)
	c := feature(t, r, "region").Categorical
	for i := range 40 {
		c.Categories = append(c.Categories, fmt.Sprint("extra-", i))
		c.Reference, c.Current = append(c.Reference, 1), append(c.Current, 2)
	}
	var page bytes.Buffer
	if err := WriteDriftHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"14 others", "The 29 most frequent of 43 categories"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("drift.html lacks %q", want)
		}
	}
}

func TestDriftMarkdownLimit(t *testing.T) {
	r := goldenDriftReport(t)
	base := r.Features
	for i := range 300 {
		f := base[i%len(base)]
		f.Name = fmt.Sprint("column_", i)
		r.Features = append(r.Features, f)
	}
	var b bytes.Buffer
	if err := WriteDriftMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() > MarkdownLimit || !strings.Contains(b.String(), "were left out to stay within GitHub's 65536-character limit") {
		t.Errorf("drift.md is %d bytes; note present: %v", b.Len(), strings.Contains(b.String(), "left out"))
	}
	if !strings.Contains(b.String(), "| `column_299` |") {
		t.Error("the features table lost a feature")
	}
}

func TestDriftRenderGolden(t *testing.T) {
	r := goldenDriftReport(t)
	for _, tt := range []struct {
		name  string
		write func(io.Writer, *drift.Report) error
	}{
		{"drift.md", WriteDriftMarkdown},
		{"drift.txt", WriteDriftSummary},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, r); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tt.name, b.Bytes())
		})
	}
}
