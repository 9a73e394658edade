package render

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/internal/golden"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
)

func TestRenderGolden(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	for _, tt := range []struct{ format, file string }{
		{FormatMarkdown, "report.md"},
		{FormatHTML, "report.html"},
		{FormatJUnit, "report.junit.xml"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := Report(&a, r, tt.format); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tt.file, a.Bytes())
			// From report.json, as `evalgate report render` does.
			var js bytes.Buffer
			reports.WriteJSON(&js, r)
			back, err := reports.ReadJSON(&js)
			if err != nil {
				t.Fatal(err)
			}
			Report(&b, back, tt.format)
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("rendering the decoded report.json gives other bytes")
			}
		})
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Report(&bytes.Buffer{}, reports.Build(reportstest.Input(t)), "pdf")
	if err == nil || !strings.Contains(err.Error(), `unknown format "pdf"`) {
		t.Errorf("error %v, want unknown format", err)
	}
}

func TestMarkdown(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	var b bytes.Buffer
	WriteMarkdown(&b, r)
	md := b.String()
	verdict, failing, details := strings.Index(md, "BLOCK"), strings.Index(md, "### Failing rules"), strings.Index(md, "<details>")
	if !(verdict >= 0 && verdict < failing && failing < details) {
		t.Errorf("want the verdict, then the failing rules, then <details>; got positions %d, %d, %d", verdict, failing, details)
	}
	if strings.Contains(md, "<b>answer</b>") {
		t.Error("report.md repeats model output")
	}
}

func TestMarkdownTruncation(t *testing.T) {
	r := reports.Build(reportstest.Input(t))
	// Many flips and groups, as a big eval set would have.
	for i := range 20000 {
		r.Metrics.Regression.RightToWrong = append(r.Metrics.Regression.RightToWrong, fmt.Sprintf("item-%06d", i))
	}
	col := r.Metrics.Fairness[0]
	for i := range 3000 {
		g := col.Groups[0]
		g.Value = fmt.Sprintf("group-%04d", i)
		col.Groups = append(col.Groups, g)
	}
	r.Metrics.Fairness[0] = col
	tests := []struct {
		name  string
		limit int
		want  []string
	}{
		{"GitHub limit", MarkdownLimit, []string{"Fairness by group", "fairness by group (cut after", "more (see report.json)", "Regression against production", "SOC 2 evidence"}},
		{"small limit", 4000, []string{"## ❌ evalgate: BLOCK", "### Failing rules", "truncated", "accuracy (left out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := markdown(r, tt.limit)
			if len(md) > tt.limit {
				t.Errorf("%d bytes, over the limit of %d", len(md), tt.limit)
			}
			for _, w := range tt.want {
				if !strings.Contains(md, w) {
					t.Errorf("lacks %q", w)
				}
			}
		})
	}
}

func TestMarkdownEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
		{"a|b", `a\|b`},
		{"**bold** [link](x)", `\*\*bold\*\* \[link\](x)`},
		{"line\nbreak", "line break"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := md(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestJUnit(t *testing.T) {
	in := reportstest.Input(t)
	tests := []struct {
		name                     string
		incomplete               string
		requireRefunds           bool
		tests, failures, skipped int
		failing                  []string
	}{
		{"gate as configured", "", false, 6, 1, 1, []string{"accuracy.ci_low >= 0.9 [SOC 2 PI1]"}},
		{"not evaluated, not optional", "", true, 6, 2, 0, []string{"accuracy.ci_low >= 0.9 [SOC 2 PI1]", "accuracy.task.refunds >= 0.1 [SOC 2 PI1]"}},
		{"incomplete run", "interrupted", false, 7, 2, 1, []string{"accuracy.ci_low >= 0.9 [SOC 2 PI1]", "run completed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
				Skipped  int `xml:"skipped,attr"`
				Suites   []struct {
					Cases []struct {
						Name    string    `xml:"name,attr"`
						Failure *struct{} `xml:"failure"`
						Skipped *struct{} `xml:"skipped"`
					} `xml:"testcase"`
				} `xml:"testsuite"`
			}
			in.Incomplete = tt.incomplete
			in.Config.Gate[4].Optional = !tt.requireRefunds
			var b bytes.Buffer
			if err := WriteJUnit(&b, reports.Build(in)); err != nil {
				t.Fatal(err)
			}
			if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatalf("not XML: %v\n%s", err, b.String())
			}
			if doc.Tests != tt.tests || doc.Failures != tt.failures || doc.Skipped != tt.skipped {
				t.Errorf("tests/failures/skipped %d/%d/%d, want %d/%d/%d", doc.Tests, doc.Failures, doc.Skipped, tt.tests, tt.failures, tt.skipped)
			}
			var failing []string
			for _, c := range doc.Suites[0].Cases {
				if c.Failure != nil {
					failing = append(failing, c.Name)
				}
			}
			if strings.Join(failing, "; ") != strings.Join(tt.failing, "; ") {
				t.Errorf("failing cases %q, want %q", failing, tt.failing)
			}
		})
	}
}

func TestSummaryGolden(t *testing.T) {
	var sum bytes.Buffer
	if err := WriteSummary(&sum, reports.Build(reportstest.Input(t))); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "summary.txt", sum.Bytes())
}

// TestIntegrityRenderGolden renders the integrity report in every format,
// from the built report and from its report.json, as evalgate report
// render does: both give the golden bytes.
func TestIntegrityRenderGolden(t *testing.T) {
	checkRoundTripGoldens(t, reportstest.IntegrityReport(t), nil, map[string]func(io.Writer, *reports.Report) error{
		"report-integrity.md":          WriteMarkdown,
		"report-integrity.html":        WriteHTML,
		"report-integrity.junit.xml":   WriteJUnit,
		"report-integrity.summary.txt": WriteSummary,
	})
}

// checkRoundTripGoldens renders r with each writer, checks the bytes
// against the golden file named by its key and that each holds every
// string of want, and checks that rendering r decoded from its
// report.json (as evalgate report render does) gives the same bytes.
func checkRoundTripGoldens(t *testing.T, r *reports.Report, want []string, writers map[string]func(io.Writer, *reports.Report) error) {
	t.Helper()
	var js bytes.Buffer
	if err := reports.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	back, err := reports.ReadJSON(bytes.NewReader(js.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range slices.Sorted(maps.Keys(writers)) {
		write := writers[file]
		t.Run(file, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := write(&a, r); err != nil {
				t.Fatal(err)
			}
			for _, w := range want {
				if !strings.Contains(a.String(), w) {
					t.Errorf("%s lacks %q", file, w)
				}
			}
			golden.Check(t, file, a.Bytes())
			if err := write(&b, back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("rendering the decoded report.json gives other bytes")
			}
		})
	}
}

// TestNoneVerdict checks that a report without gate rules (run --no-gate)
// reads as no verdict in every format, never as a pass.
func TestNoneVerdict(t *testing.T) {
	in := reportstest.Input(t)
	cfg := *in.Config
	cfg.Gate = nil
	in.Config = &cfg
	r := reports.Build(in)
	if r.Verdict != reports.None {
		t.Fatalf("verdict %s, want NONE", r.Verdict)
	}
	for _, tt := range []struct {
		format    string
		want      []string
		forbidden []string
	}{
		{FormatSummary, []string{"verdict: NONE — no gate rules (--no-gate)"}, []string{"ALLOW", "0 of 0"}},
		{FormatMarkdown, []string{"## ➖ evalgate: NONE", "gives no verdict"}, []string{"✅", "ALLOW"}},
		{FormatHTML, []string{`<div class="banner none">`, "no gate rules (--no-gate)"}, []string{`banner allow`, "0 of 0"}},
		{FormatJUnit, []string{`name="verdict" value="NONE"`, `skipped="1"`, "no gate rules (--no-gate)"}, []string{"ALLOW"}},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Report(&b, r, tt.format); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("%s rendering lacks %q", tt.format, w)
				}
			}
			for _, f := range tt.forbidden {
				if strings.Contains(b.String(), f) {
					t.Errorf("%s rendering of a NONE report holds %q", tt.format, f)
				}
			}
		})
	}
}

// TestShardsLine: a merged report says in every human format how many
// shards it was merged from and where their digests are; a report of
// one run says nothing of shards.
func TestShardsLine(t *testing.T) {
	r := reportstest.IntegrityReport(t)
	writers := map[string]func(io.Writer, *reports.Report) error{"md": WriteMarkdown, "html": WriteHTML, "summary": WriteSummary}
	for name, write := range writers {
		var b bytes.Buffer
		if err := write(&b, r); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "merged from") {
			t.Errorf("%s of a one-run report mentions shards", name)
		}
	}
	r.Shards = []reports.ShardRun{
		{Index: 0, Count: 3, Folder: "shard-0-of-3", Status: reports.Complete, Items: 4},
		{Index: 1, Count: 3, Folder: "shard-1-of-3", Status: reports.Complete, Items: 3},
		{Index: 2, Count: 3, Folder: "shard-2-of-3", Status: reports.Incomplete, Items: 4},
	}
	for name, write := range writers {
		var b bytes.Buffer
		if err := write(&b, r); err != nil {
			t.Fatal(err)
		}
		if want := "merged from 3 of 3 shards (2 complete, 11 items)"; !strings.Contains(b.String(), want) {
			t.Errorf("%s lacks %q", name, want)
		}
	}
}
