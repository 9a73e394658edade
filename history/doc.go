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
// reads no position). WriteJSON writes history.json (Document) and ReadJSON
// reads it back strictly; the render package writes history.md, .html and
// the terminal summary.
//
// Sign signs a history as history.dsse.json: an in-toto Statement of type
// PredicateType whose predicate is history.json's document and whose
// subjects are the rendered files and every source report's envelope, by
// SHA-256; Verify checks one. ReadSignedReports skips signed histories
// (and drift reports) found in a folder: they are not points on a chart.
package history
