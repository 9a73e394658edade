package render

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strconv"

	"github.com/evalgate/evalgate/records"
)

// ReviewCSVHeader is the header row of review.csv: the columns of
// review.parquet, with decision and note, empty, last for the reviewer.
var ReviewCSVHeader = []string{"id", "sample", "task", "groups", "reasons", "confidence", "input", "expected", "output", "evidence", "decision", "note"}

// WriteReviewCSV writes the answers routed to review as review.csv, a
// file a spreadsheet opens: one row per answer, in the order given, with
// empty decision and note columns for the reviewer to fill (see
// reviews.ReadCSV). Every cell is neutralised against spreadsheet
// formulas: a cell starting with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe (OWASP's CSV injection advice), which
// reviews.ReadCSV takes off again.
func WriteReviewCSV(w io.Writer, rows []records.ReviewRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ReviewCSVHeader); err != nil {
		return fmt.Errorf("write review csv: %w", err)
	}
	for _, r := range rows {
		conf := ""
		if r.Confidence != nil {
			conf = strconv.FormatFloat(*r.Confidence, 'f', 4, 64)
		}
		cells := []string{r.ID, strconv.Itoa(int(r.Sample)), r.Task, r.Groups, r.Reasons, conf, r.Input, r.Expected, r.Output, r.Evidence, r.Decision, r.Note}
		for i, c := range cells {
			cells[i] = CSVCell(c)
		}
		if err := cw.Write(cells); err != nil {
			return fmt.Errorf("write review csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write review csv: %w", err)
	}
	return nil
}

// CSVCell neutralises one cell against spreadsheet formulas: a cell
// starting with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe.
func CSVCell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}

// reviewHTMLText is review.html: one self-contained page, no script, a
// Content-Security-Policy that forbids any, every string escaped by
// html/template.
const reviewHTMLText = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>evalgate review: {{.Dataset}}</title>
<style>
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2328; background: #f6f8fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
article { background: #fff; border: 1px solid #d0d7de; border-radius: 10px; padding: 12px 20px; margin-top: 14px; }
h1 { font-size: 22px; } h2 { font-size: 16px; margin: 4px 0; font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: 120px 1fr; gap: 4px 12px; margin: 8px 0; }
dt { color: #57606a; font-size: 13px; font-weight: 600; }
dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.reasons { color: #cf222e; font-weight: 600; font-size: 13px; }
.how { color: #57606a; }
</style>
</head>
<body>
<main>
<h1>Answers routed to human review: {{len .Rows}}</h1>
<p class="how">Eval set {{.Dataset}}. Record a decision (accept, reject or escalate) and a note for each answer in the <code>decision</code> and <code>note</code> columns of review.csv beside this page, then sign them with <code>evalgate review import</code>: the next report counts them.</p>
{{range .Rows}}<article>
<h2>{{.ID}}{{if .Sample}} (sample {{.Sample}}){{end}}</h2>
<div class="reasons">{{.Reasons}}</div>
<dl>
{{if .Task}}<dt>task</dt><dd>{{.Task}}</dd>{{end}}
{{if .Groups}}<dt>groups</dt><dd>{{.Groups}}</dd>{{end}}
{{if .Confidence}}<dt>confidence</dt><dd>{{.Confidence}}</dd>{{end}}
<dt>question</dt><dd>{{.Input}}</dd>
<dt>reference</dt><dd>{{if .Expected}}{{.Expected}}{{else}}-{{end}}</dd>
<dt>answer</dt><dd>{{.Output}}</dd>
{{if .Evidence}}<dt>evidence</dt><dd>{{.Evidence}}</dd>{{end}}
</dl>
</article>
{{else}}<p>No answer was routed to review.</p>
{{end}}</main>
</body>
</html>
`

var reviewHTML = template.Must(template.New("review").Parse(reviewHTMLText))

// reviewHTMLRow is one answer as review.html shows it; every text has
// its control characters made visible.
type reviewHTMLRow struct {
	ID                                string
	Sample                            int32
	Task, Groups, Reasons, Confidence string
	Input, Expected, Output, Evidence string
}

// WriteReviewHTML writes the answers routed to review as review.html, a
// self-contained page (no script, nothing fetched) a reviewer reads in a
// browser: each answer with its reasons, question, reference, answer and
// evidence. dataset names the eval set in the title.
func WriteReviewHTML(w io.Writer, dataset string, rows []records.ReviewRow) error {
	view := struct {
		Dataset string
		Rows    []reviewHTMLRow
	}{Dataset: visible(dataset)}
	for _, r := range rows {
		conf := ""
		if r.Confidence != nil {
			conf = strconv.FormatFloat(*r.Confidence, 'f', 3, 64)
		}
		view.Rows = append(view.Rows, reviewHTMLRow{ID: visible(r.ID), Sample: r.Sample, Task: visible(r.Task), Groups: visible(r.Groups), Reasons: visible(r.Reasons), Confidence: conf,
			Input: TermSafeLines(r.Input), Expected: TermSafeLines(r.Expected), Output: TermSafeLines(r.Output), Evidence: TermSafeLines(r.Evidence)})
	}
	if err := reviewHTML.Execute(w, view); err != nil {
		return fmt.Errorf("render review html: %w", err)
	}
	return nil
}
