// Package reports builds the promotion report — what ran, what was
// measured and the verdict — and owns the metric catalog and the gate
// engine that every evalgate document is judged by.
//
// It is the last layer of the pipeline (configs → datasets → eval →
// metrics, integrity → reports). report.json is the canonical form: its
// schema is versioned by SchemaVersion, its bytes are deterministic for
// the same inputs (struct fields in a fixed order, map keys sorted,
// timestamps kept apart under "timing"), and every rendering is made from
// it by the render package. Build makes a report from results held in
// memory, BuildFromTallies from results streamed into ModelTally values
// (whose Merge combines shards); both apply the gate. SignReport wraps a
// report in an in-toto Statement signed through the signing package.
//
// The neighbouring documents live in their own packages: drift (two
// files' distributions), history (control charts over signed reports,
// which places a built report on them with history.Position) and render
// (every format of all three).
//
// # The metric catalog
//
// Catalog lists every gateable metric path once: its doc line, whether it
// has an interval (path.ci_low, path.ci_high), its unit, its SOC 2
// criterion, the document it is read from, how history charts it (as a
// rate with its trials, or as individuals, and whether by default), under
// which configs it exists, and how its value is read from a report.
// Everything that knows metric paths reads that table: Values and Counts
// (the gate and history), MetricPaths (evalgate gate --list-metrics),
// CheckRules and CheckDriftRules (config load), HistoryDefaults, Criterion
// (the renderers' SOC 2 column) and DocumentOf (which gate applies a
// rule). Evaluate is the one gate engine: ApplyGate runs it on a report's
// values and the drift package on a drift report's.
//
// # Adding a metric
//
// A new metric touches three files:
//
//  1. reports/catalog.go: one Metric entry, with its Read function (for a
//     drift.* metric, the reader goes in drift/drift.go's readers table
//     instead, which a test matches against the catalog).
//  2. The computation: the file of package metrics or integrity (or
//     drift/drift.go for a drift statistic) that computes the value, into
//     a field of a struct the document already carries, such as
//     metrics.Accuracy, metrics.Regression or integrity.Groundedness.
//  3. A test of the computation, or a case in reports/catalog_test.go.
//
// Nothing else lists metric paths. Two kinds of data may follow: when the
// computation adds a field to report.json, the golden files are rewritten
// with go test ./reports ./render -update, and report.schema.json must
// declare the field if its object is closed (additionalProperties false,
// as metrics.Accuracy's is).
package reports
