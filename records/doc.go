// Package records holds the plain records that flow through evalgate's
// pipeline: an eval-set Item, a model call's Result, a ReviewRow routed to
// human review, and the run statistics (RunStats, CacheStats,
// AdaptiveStats) a report carries.
//
// It is the leaf of the package graph: it imports nothing but the standard
// library, so that the statistics (metrics), the integrity checks and the
// report documents can use the records without pulling in Parquet, YAML or
// an HTTP client. The datasets package reads and writes these records as
// Parquet; the eval package produces Results.
package records
