// Package metrics turns scored results into the numbers a gate decides on:
// accuracy with confidence intervals, per-group accuracy and the gaps between
// groups, and the change against the production model.
//
// It imports only the standard library, gonum and the records package (see
// docs/ARCHITECTURE.md for where it sits in the pipeline). Every function is pure: it takes results and returns
// values, and does no I/O. Statistical caveats — a group too small to judge,
// an interval that cannot be computed — travel with the values as Warnings,
// so that they reach the report instead of a log.
//
// Every proportion carries a Wilson score interval (Wilson 1927), which, unlike
// the normal approximation, stays inside [0, 1] and keeps its coverage for
// rates near 0 or 1 and for small n.
//
// Fairness gaps and ratios carry simultaneous intervals, not bootstrap
// ones: each compared group's Wilson interval is at the Šidák level
// Level^(1/k), and a gap's interval runs from the largest lower bound minus
// the smallest upper bound (at least 0) to the largest upper bound minus
// the smallest lower bound, so it covers the true gap at least at Level
// whatever that gap is, 0 included (FairnessColumn says why a bootstrap of
// a maximum minus a minimum cannot). Each fairness metric also carries a
// test that the groups share one rate (HomogeneityTest). Regression deltas
// carry percentile bootstrap intervals with a recorded seed and resample
// count (Options.Seed, Options.Resamples). The bootstrap never touches
// rows: a resample of paired items is a multinomial draw over the four pair
// categories (PairCounts), drawn as conditional binomials, so its cost is
// independent of the number of results. Exact tests (BinomTest,
// McNemarExact) follow R's binom.test; PassAtK is the unbiased estimator of
// Chen et al. (2021); ComputeLabels follows scikit-learn's definitions.
//
// One engine computes each section: Tally (accuracy, fairness, labels),
// PairTally (regression) and RepeatsTally (repeats) take results one at a
// time, and the slice functions (ComputeAccuracy, ComputeGroupFairness,
// CompareByGroup, ComputeRepeats) are thin wrappers over them. Their
// state does not depend on the order of adds (the token-F1 sum is a
// correctly rounded Shewchuk sum), and each has a Merge that is exact: the
// tallies of shards, merged in any order and grouping, report what one
// pass over the union reports, bit for bit, intervals and tests included.
// Merging tallies made with different options is an error wrapping
// ErrMergeMismatch.
//
// HomogeneityTest tests that groups share one rate: Pearson's chi-square
// when every expected cell count is at least 5 (Cochran's rule), otherwise
// the mid-p of the exact conditional (Fisher–Freeman–Halton) test, whose
// size stays near α where Fisher's own p-value is far below it; its doc
// gives the sizes measured.
//
// For production monitoring, CompareNumeric and CompareCategorical measure
// drift (PSI over reference-quantile bins, the two-sample Kolmogorov–Smirnov
// test as SciPy's ks_2samp computes it, the chi-square test of homogeneity),
// and PChart and XmRChart compute control limits with the Western Electric
// rules.
//
// For planning, McNemarPower, DeltaBlockRate, ProportionBlockRate and
// FairnessBlockRate say how often a gate rule blocks a model whose truth is
// known (identical to production, at a given accuracy, truly fair), and
// SmallestN finds the n a target needs: McNemar's test and the accuracy
// rules exactly, the paired-delta rules by the normal approximation of the
// bootstrap (within 2 points of simulation, BENCHMARKS.md), and fairness by
// a seeded simulation through FairnessFromCounts itself.
package metrics
