// Package reports builds the evaluation report — what ran, what was measured
// and the verdict — and applies the gate: every rule of the config is checked
// against a metric of the report, and the verdict is ALLOW only when all of
// them pass.
//
// It is the last layer of the pipeline (configs → datasets → eval → metrics
// → reports). report.json is the canonical form: its schema is versioned by
// SchemaVersion, its bytes are deterministic for the same inputs (struct
// fields in a fixed order, map keys sorted, timestamps kept apart under
// "timing"), and every other rendering is made from it.
package reports
