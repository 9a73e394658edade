// Package reports builds the evaluation report — what ran, what was measured
// and the verdict — and applies the gate: every rule of the config is checked
// against a metric of the report, and the verdict is ALLOW only when all of
// them pass.
//
// It is the last layer of the pipeline (configs → datasets → eval → metrics
// → reports). report.json is the canonical form: its schema is versioned by
// SchemaVersion, its bytes are deterministic for the same inputs (struct
// fields in a fixed order, map keys sorted, timestamps kept apart under
// "timing"), and every other rendering is made from it: the terminal
// summary, report.md for pull requests, the self-contained report.html (every
// string escaped by html/template), and report.junit.xml for CI test
// reporters.
//
// SignReport wraps a report in a DSSE v1 envelope around an in-toto Statement
// whose subjects are the files the verdict is about, and VerifyReport checks one;
// the standard library does the cryptography (Ed25519, ECDSA P-256).
//
// The same family has two more documents. BuildDrift compares two files'
// feature distributions into a DriftReport (drift.json, .md, .html), signed
// by SignDrift under its own predicate type. ReadSignedReports and
// NewHistory read a folder of signed reports, leave out the unsigned and
// tampered ones, and chart every metric over time (history.json, .md,
// .html); HistoryPosition places a new report on those charts.
package reports
