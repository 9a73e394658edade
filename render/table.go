package render

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/reports"
)

// Kind names the document a renderer writes.
type Kind string

// Document kinds.
const (
	// KindReport is the promotion report (*reports.Report).
	KindReport Kind = "report"
	// KindDrift is the drift report (*drift.Report).
	KindDrift Kind = "drift"
	// KindHistory is the history of signed reports (*history.History).
	KindHistory Kind = "history"
)

// Formats of the renderers.
const (
	FormatMarkdown = "md"
	FormatHTML     = "html"
	FormatJUnit    = "junit"
	FormatJSON     = "json"
	// FormatSummary is the few lines for the terminal.
	FormatSummary = "summary"
)

// Renderer is one row of the renderer table: a document kind in one
// format.
type Renderer struct {
	Kind   Kind
	Format string
	// File is the file evalgate writes the rendering to, beside the
	// document; "" for the terminal summary, which goes to stdout.
	File  string
	write func(w io.Writer, doc any) error
}

// typed adapts a writer of one document type to the table.
func typed[D any](write func(io.Writer, D) error) func(io.Writer, any) error {
	return func(w io.Writer, doc any) error {
		d, ok := doc.(D)
		if !ok {
			return fmt.Errorf("render: got a %T, want a %T", doc, d)
		}
		return write(w, d)
	}
}

// table is every rendering of every document, in the order evalgate
// writes the files. The canonical JSON of the report and of the drift
// report is not a rendering: reports.WriteJSON and drift.WriteJSON write
// it, and every row here is made from it.
var table = []Renderer{
	{KindReport, FormatMarkdown, "report.md", typed(WriteMarkdown)},
	{KindReport, FormatHTML, "report.html", typed(WriteHTML)},
	{KindReport, FormatJUnit, "report.junit.xml", typed(WriteJUnit)},
	{KindReport, FormatSummary, "", typed(WriteSummary)},
	{KindDrift, FormatMarkdown, "drift.md", typed(WriteDriftMarkdown)},
	{KindDrift, FormatHTML, "drift.html", typed(WriteDriftHTML)},
	{KindDrift, FormatSummary, "", typed(WriteDriftSummary)},
	{KindHistory, FormatMarkdown, "history.md", typed(WriteHistoryMarkdown)},
	{KindHistory, FormatHTML, "history.html", typed(WriteHistoryHTML)},
	{KindHistory, FormatJSON, "history.json", typed(WriteHistoryJSON)},
	{KindHistory, FormatSummary, "", typed(WriteHistorySummary)},
}

// Files returns the renderers of kind that write a file, in the order
// evalgate writes them.
func Files(kind Kind) []Renderer {
	var out []Renderer
	for _, r := range table {
		if r.Kind == kind && r.File != "" {
			out = append(out, r)
		}
	}
	return out
}

// FormatsOf lists the file formats of kind (see Files).
func FormatsOf(kind Kind) []string {
	var out []string
	for _, r := range Files(kind) {
		out = append(out, r.Format)
	}
	return out
}

// Formats lists the formats evalgate report render accepts: the file
// formats of the promotion report (md, html, junit).
func Formats() []string { return FormatsOf(KindReport) }

// Get returns the renderer of kind in format. An unknown format is an
// error that lists the file formats, never a fallback.
func Get(kind Kind, format string) (Renderer, error) {
	for _, r := range table {
		if r.Kind == kind && r.Format == format {
			return r, nil
		}
	}
	return Renderer{}, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(FormatsOf(kind), ", "))
}

// Write renders doc, which must be of the renderer's kind, to w.
func (r Renderer) Write(w io.Writer, doc any) error { return r.write(w, doc) }

// Report writes r in format (see Files(KindReport), or FormatSummary).
func Report(w io.Writer, r *reports.Report, format string) error {
	return render(w, KindReport, format, r)
}

// Drift writes r in format (see Files(KindDrift), or FormatSummary).
func Drift(w io.Writer, r *drift.Report, format string) error { return render(w, KindDrift, format, r) }

// History writes h in format (see Files(KindHistory), or FormatSummary).
func History(w io.Writer, h *history.History, format string) error {
	return render(w, KindHistory, format, h)
}

func render(w io.Writer, kind Kind, format string, doc any) error {
	r, err := Get(kind, format)
	if err != nil {
		return err
	}
	return r.Write(w, doc)
}

// WriteFiles writes every rendering of doc that Files(kind) lists to dir,
// each atomically (see atomicfile), and returns the paths written, in
// order.
func WriteFiles(dir string, kind Kind, doc any) ([]string, error) {
	var written []string
	for _, r := range Files(kind) {
		var b bytes.Buffer
		if err := r.Write(&b, doc); err != nil {
			return written, err
		}
		path := filepath.Join(dir, r.File)
		if _, err := atomicfile.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}
