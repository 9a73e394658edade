// Package drift is evalgate drift's document: how two Parquet files —
// eval sets, results files or production logs — differ in distribution,
// feature by feature.
//
// TallyFile streams one file into a Tally (memory grows with distinct
// values, not rows); Build compares two tallies into a Report, classifies
// each feature by PSI under the config's thresholds and applies the
// config's drift.* gate rules with the one gate engine
// (reports.Evaluate); CompareFiles does both files at once. The drift.*
// metric paths are declared in the metric catalog (reports.Catalog);
// Values reads them from a Report. WriteJSON and ReadJSON are drift.json;
// the render package writes the Markdown, HTML and terminal forms; Sign
// and Verify wrap a Report in a DSSE envelope under PredicateType.
package drift
