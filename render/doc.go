// Package render writes evalgate's documents for people and tools: the
// promotion report (reports.Report) as report.md for pull requests, the
// self-contained report.html (every string escaped by html/template),
// report.junit.xml for CI test reporters and the terminal summary; the
// drift report (drift.Report) as drift.md, drift.html and a summary; and
// the history of signed reports (history.History) as history.md,
// history.html, history.json and a summary.
//
// One table (Files, Get) lists every (document kind, format) pair; the
// CLI reads it for its file names and for report render --format
// (Formats). Every rendering is made from the document alone, so the
// bytes are deterministic; the SOC 2 criterion of each gate rule comes
// from the metric catalog (reports.Criterion). Text from configs,
// datasets and models is made inert for terminals, Markdown and HTML.
//
// To add a format: write WriteXxx(w, doc) in its own file with its own
// table test, and add one row to the table in table.go.
package render
