// Package history is evalgate history's document: every metric of a
// series of signed promotion reports on a control chart.
//
// ReadSignedReports walks a folder and verifies each envelope with a
// public key (signing.Verifier), leaving out — and naming — the unsigned,
// tampered, foreign-key, malformed and duplicate files; New orders the
// verified reports by finish time and fits one chart per metric, a p-chart
// for the metrics the catalog (reports.Catalog) charts as rates with their
// trials, an individuals (X-mR) chart for the others, with limits from a
// chosen reference period. Position places a new report on those charts
// after it is built (reports.Build leaves Report.History to it; the gate
// reads no position). The render package writes history.json, .md, .html
// and the terminal summary.
package history
