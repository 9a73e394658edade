package reports

// The metric catalog: every gateable path, declared once.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
)

// Document names the document a metric is read from.
type Document string

// Documents that carry gateable metrics.
const (
	// DocReport is the promotion report (report.json), gated by
	// evalgate run and score.
	DocReport Document = "report"
	// DocDrift is the drift report (drift.json), gated by evalgate drift.
	DocDrift Document = "drift"
)

// Unit says what a metric's number measures.
type Unit string

// Units of the catalog's metrics.
const (
	// UnitRate is a share, 0 to 1.
	UnitRate Unit = "rate"
	// UnitDifference is a difference of two rates, −1 to 1.
	UnitDifference Unit = "difference"
	// UnitRatio is a ratio of two rates (smaller / larger), 0 to 1.
	UnitRatio Unit = "ratio"
	// UnitScore is a mean score such as token F1, 0 to 1.
	UnitScore Unit = "score"
	// UnitPValue is a test's p-value, 0 to 1.
	UnitPValue Unit = "p-value"
	// UnitStatistic is a test statistic (KS D in 0 to 1, chi-square ≥ 0).
	UnitStatistic Unit = "statistic"
	// UnitPSI is a population stability index, ≥ 0.
	UnitPSI Unit = "psi"
	// UnitCount is a whole number of items, calls, values or rules, ≥ 0.
	UnitCount Unit = "count"
	// UnitTokens is a number of model tokens, ≥ 0.
	UnitTokens Unit = "tokens"
)

// Chart says how evalgate history charts a metric.
type Chart int

// How a metric is charted.
const (
	// ChartIndividuals is an individuals (X-mR) chart of the values.
	ChartIndividuals Chart = iota
	// ChartRate is a p-chart of successes over trials: the metric is a
	// rate over independent trials and the report gives their count.
	ChartRate
	// ChartNone is for metrics that are not in a promotion report.
	ChartNone
)

// SOC 2 trust services criteria that the metrics give evidence for.
const (
	SOC2ProcessingIntegrity = "PI1"
	SOC2ChangeManagement    = "CC8.1"
	SOC2Monitoring          = "CC7"
	SOC2Privacy             = "C1/P"
)

// Metric declares one gateable metric path of the catalog.
type Metric struct {
	// Path is the metric path. It may hold one <placeholder>: <method>
	// and <column> are spelled out for each scoring method and fairness
	// column of a config when listed; any other (<task>, <class>, <rule>,
	// <k>, <feature>) stands for any non-empty text.
	Path string
	// Doc describes the metric in one line; it may hold Path's
	// placeholder, which is spelled out with it.
	Doc string
	// Interval is set when the value has a confidence interval, which
	// gate rules reach as Path.ci_low and Path.ci_high.
	Interval bool
	// Unit says what the number measures.
	Unit Unit
	// Criterion is the SOC 2 criterion the metric gives evidence for.
	Criterion string
	// Document is the document the metric is read from.
	Document Document
	// Chart says how evalgate history charts the metric.
	Chart Chart
	// HistoryDefault, when above 0, charts the metric by default (where
	// every report has it), in increasing HistoryDefault order.
	HistoryDefault int
	// When, when not nil, says under which configs the metric exists;
	// --list-metrics and CheckRules leave it out under the others.
	When func(cfg *configs.Config) bool
	// Read emits the metric's values in a report (one per task, column or
	// class for a pattern), and nothing when it could not be computed. It
	// is nil for other documents, whose package reads them (the drift
	// package for DocDrift).
	Read func(r *Report, emit func(path string, v Value))
}

// Conditions under which metrics exist.
func positiveLabel(cfg *configs.Config) bool { return cfg.Scoring.PositiveLabel != "" }
func labelMethod(cfg *configs.Config) bool   { return cfg.Scoring.Method == configs.MethodLabel }
func grounded(cfg *configs.Config) bool      { return cfg.Groundedness.Method != configs.GroundOff }
func judged(cfg *configs.Config) bool        { return cfg.Groundedness.Judged() }
func hybrid(cfg *configs.Config) bool        { return cfg.Groundedness.Method == configs.GroundHybrid }
func piiDetected(cfg *configs.Config) bool   { return cfg.PII.DetectPII() }
func repeated(cfg *configs.Config) bool      { return cfg.Run.Repeats > 1 }
func and(a, b func(*configs.Config) bool) func(*configs.Config) bool {
	return func(cfg *configs.Config) bool { return a(cfg) && b(cfg) }
}

// catalog is every gateable metric, in the order --list-metrics lists
// them. The fairness.<column>.… entries form one block that is spelled out
// column by column.
var catalog = []Metric{
	{Path: "accuracy", Doc: "share of candidate results correct under scoring.method", Interval: true, Unit: UnitRate, Chart: ChartRate, HistoryDefault: 1,
		Read: func(r *Report, emit func(string, Value)) {
			if acc := r.Metrics.Accuracy; acc.Overall.N > 0 {
				emit("accuracy", prop(acc.Overall))
			}
		}},
	{Path: "accuracy.<method>", Doc: "share correct under method <method>", Interval: true, Unit: UnitRate, Chart: ChartRate,
		Read: func(r *Report, emit func(string, Value)) {
			if acc := r.Metrics.Accuracy; acc.Overall.N > 0 {
				for m, p := range acc.ByMethod {
					emit("accuracy."+m, prop(p))
				}
			}
		}},
	{Path: "accuracy.f1.mean", Doc: "mean token F1, 0 to 1", Unit: UnitScore,
		Read: func(r *Report, emit func(string, Value)) {
			if acc := r.Metrics.Accuracy; acc.Overall.N > 0 {
				emit("accuracy.f1.mean", point(acc.MeanF1))
			}
		}},
	{Path: "accuracy.task.<task>", Doc: "accuracy on one task slice", Interval: true, Unit: UnitRate, Chart: ChartRate,
		Read: func(r *Report, emit func(string, Value)) {
			if acc := r.Metrics.Accuracy; acc.Overall.N > 0 {
				for _, s := range acc.ByTask {
					emit("accuracy.task."+s.Name, prop(s.Accuracy))
				}
			}
		}},
	{Path: "errors.rate", Doc: "share of candidate calls that failed", Interval: true, Unit: UnitRate, Chart: ChartRate, HistoryDefault: 5,
		Read: func(r *Report, emit func(string, Value)) {
			if r.Candidate.Calls > 0 {
				emit("errors.rate", prop(r.Candidate.ErrorRate))
			}
		}},
	{Path: "errors.count", Doc: "number of candidate calls that failed", Unit: UnitCount,
		Read: func(r *Report, emit func(string, Value)) { emit("errors.count", count(r.Candidate.Errors)) }},
	{Path: "tokens.total", Doc: "candidate prompt + completion tokens", Unit: UnitTokens,
		Read: func(r *Report, emit func(string, Value)) {
			emit("tokens.total", count(r.Candidate.PromptTokens+r.Candidate.CompletionTokens))
		}},
	{Path: "fairness.accuracy.gap", Doc: "largest accuracy gap (max − min) between groups, over all group columns", Interval: true, Unit: UnitDifference, HistoryDefault: 6,
		Read: worstOverColumns("fairness.accuracy.gap", true, func(c metrics.FairnessColumn) (metrics.Estimate, bool) { return accuracyDisparity(c, true) })},
	{Path: "fairness.accuracy.ratio", Doc: "smallest accuracy ratio (min / max) between groups, over all group columns", Interval: true, Unit: UnitRatio,
		Read: worstOverColumns("fairness.accuracy.ratio", false, func(c metrics.FairnessColumn) (metrics.Estimate, bool) { return accuracyDisparity(c, false) })},
	{Path: "fairness.demographic_parity_difference", Doc: "largest selection-rate gap, over all group columns", Interval: true, Unit: UnitDifference, HistoryDefault: 7, When: positiveLabel,
		Read: worstOverColumns("fairness.demographic_parity_difference", true, selection(func(c metrics.FairnessColumn) metrics.Estimate { return c.DemographicParityDifference }))},
	{Path: "fairness.disparate_impact", Doc: "smallest selection-rate ratio, over all group columns (four-fifths rule: ≥ 0.8)", Interval: true, Unit: UnitRatio, When: positiveLabel,
		Read: worstOverColumns("fairness.disparate_impact", false, selection(func(c metrics.FairnessColumn) metrics.Estimate { return c.DisparateImpact }))},
	{Path: "fairness.equalized_odds_difference", Doc: "largest of the TPR and FPR gaps, over all group columns", Interval: true, Unit: UnitDifference, HistoryDefault: 8, When: positiveLabel,
		Read: worstOverColumns("fairness.equalized_odds_difference", true, selection(func(c metrics.FairnessColumn) metrics.Estimate { return c.EqualizedOddsDifference }))},
	{Path: "fairness.<column>.accuracy.gap", Doc: "accuracy gap between <column> groups", Interval: true, Unit: UnitDifference,
		Read: perColumn("accuracy.gap", func(c metrics.FairnessColumn) (metrics.Estimate, bool) { return accuracyDisparity(c, true) })},
	{Path: "fairness.<column>.accuracy.ratio", Doc: "accuracy ratio between <column> groups", Interval: true, Unit: UnitRatio,
		Read: perColumn("accuracy.ratio", func(c metrics.FairnessColumn) (metrics.Estimate, bool) { return accuracyDisparity(c, false) })},
	{Path: "fairness.<column>.demographic_parity_difference", Doc: "selection-rate gap between <column> groups", Interval: true, Unit: UnitDifference, When: positiveLabel,
		Read: perColumn("demographic_parity_difference", selection(func(c metrics.FairnessColumn) metrics.Estimate { return c.DemographicParityDifference }))},
	{Path: "fairness.<column>.disparate_impact", Doc: "selection-rate ratio between <column> groups", Interval: true, Unit: UnitRatio, When: positiveLabel,
		Read: perColumn("disparate_impact", selection(func(c metrics.FairnessColumn) metrics.Estimate { return c.DisparateImpact }))},
	{Path: "fairness.<column>.equalized_odds_difference", Doc: "larger of the TPR and FPR gaps between <column> groups", Interval: true, Unit: UnitDifference, When: positiveLabel,
		Read: perColumn("equalized_odds_difference", selection(func(c metrics.FairnessColumn) metrics.Estimate { return c.EqualizedOddsDifference }))},
	testMetric("accuracy", "accuracy", nil),
	disparityMetric("selection_rate", "gap", "selection-rate gap between <column> groups (the demographic parity difference)"),
	disparityMetric("selection_rate", "ratio", "selection-rate ratio between <column> groups (the disparate impact)"),
	disparityMetric("tpr", "gap", "true-positive-rate gap between <column> groups"),
	disparityMetric("tpr", "ratio", "true-positive-rate ratio between <column> groups"),
	disparityMetric("fpr", "gap", "false-positive-rate gap between <column> groups"),
	disparityMetric("fpr", "ratio", "false-positive-rate ratio between <column> groups"),
	disparityMetric("fnr", "gap", "false-negative-rate gap between <column> groups"),
	disparityMetric("fnr", "ratio", "false-negative-rate ratio between <column> groups"),
	testMetric("selection_rate", "selection rate", positiveLabel),
	testMetric("tpr", "true-positive rate", positiveLabel),
	testMetric("fpr", "false-positive rate", positiveLabel),
	testMetric("fnr", "false-negative rate", positiveLabel),
	{Path: "production.accuracy", Doc: "production model's accuracy (needs production)", Interval: true, Unit: UnitRate, Criterion: SOC2ChangeManagement, Chart: ChartRate,
		Read: func(r *Report, emit func(string, Value)) {
			if p := r.Production; p != nil && p.Accuracy.Overall.N > 0 {
				emit("production.accuracy", prop(p.Accuracy.Overall))
			}
		}},
	{Path: "regression.accuracy.delta", Doc: "candidate − production accuracy on paired items, paired bootstrap interval (needs production)", Interval: true, Unit: UnitDifference, Criterion: SOC2ChangeManagement,
		Read: regression(func(reg *metrics.Regression, emit func(string, Value)) {
			emit("regression.accuracy.delta", Value{V: reg.Delta, Low: reg.DeltaLow, High: reg.DeltaHigh})
		})},
	{Path: "regression.mcnemar_p", Doc: "two-sided exact McNemar p-value on the discordant pairs (needs production)", Unit: UnitPValue, Criterion: SOC2ChangeManagement,
		Read: regression(func(reg *metrics.Regression, emit func(string, Value)) {
			emit("regression.mcnemar_p", point(reg.McNemarP))
		})},
	{Path: "regression.right_to_wrong", Doc: "items production got right and the candidate wrong (needs production)", Unit: UnitCount, Criterion: SOC2ChangeManagement,
		Read: regression(func(reg *metrics.Regression, emit func(string, Value)) {
			emit("regression.right_to_wrong", count(len(reg.RightToWrong)))
		})},
	{Path: "regression.wrong_to_right", Doc: "items production got wrong and the candidate right (needs production)", Unit: UnitCount, Criterion: SOC2ChangeManagement,
		Read: regression(func(reg *metrics.Regression, emit func(string, Value)) {
			emit("regression.wrong_to_right", count(len(reg.WrongToRight)))
		})},
	{Path: "regression.group.min_delta", Doc: "the most negative accuracy delta of any group of min_group_size or more (needs production)", Interval: true, Unit: UnitDifference, Criterion: SOC2ChangeManagement,
		Read: regression(func(reg *metrics.Regression, emit func(string, Value)) {
			found, worst := false, metrics.Estimate{}
			for _, g := range reg.ByGroup {
				if g.Small || math.IsNaN(g.Delta.Value) {
					continue
				}
				if !found || g.Delta.Value < worst.Value {
					found, worst = true, g.Delta
				}
			}
			if found {
				emit("regression.group.min_delta", est(worst))
			}
		})},
	{Path: "labels.accuracy", Doc: "share of predicted labels equal to the true label", Interval: true, Unit: UnitRate, Chart: ChartRate, HistoryDefault: 2, When: labelMethod,
		Read: func(r *Report, emit func(string, Value)) {
			if l := r.Metrics.Labels; l != nil {
				emit("labels.accuracy", prop(l.Accuracy))
			}
		}},
	{Path: "labels.macro_f1", Doc: "unweighted mean of the per-class F1", Unit: UnitScore, When: labelMethod,
		Read: func(r *Report, emit func(string, Value)) {
			if l := r.Metrics.Labels; l != nil {
				emit("labels.macro_f1", point(l.MacroF1))
			}
		}},
	{Path: "labels.f1.<class>", Doc: "one class's F1", Unit: UnitScore, When: labelMethod,
		Read: func(r *Report, emit func(string, Value)) {
			if l := r.Metrics.Labels; l != nil {
				for _, cm := range l.PerClass {
					emit("labels.f1."+cm.Class, point(cm.F1))
				}
			}
		}},
	{Path: "groundedness", Doc: "share of answers (with context) whose every claim the context supports; abstentions count as grounded", Interval: true, Unit: UnitRate, Chart: ChartRate, HistoryDefault: 4, When: grounded,
		Read: func(r *Report, emit func(string, Value)) {
			if g := r.Metrics.Groundedness; g != nil && g.Rate.N > 0 {
				emit("groundedness", prop(g.Rate))
			}
		}},
	// The counts exist even when no answer could be checked: that is when
	// judge_errors matters most.
	{Path: "groundedness.hallucinated", Doc: "number of answers with an unsupported claim", Unit: UnitCount, When: grounded,
		Read: func(r *Report, emit func(string, Value)) {
			if g := r.Metrics.Groundedness; g != nil {
				emit("groundedness.hallucinated", count(len(g.Hallucinated)))
			}
		}},
	{Path: "groundedness.task.<task>", Doc: "groundedness on one task slice", Interval: true, Unit: UnitRate, When: grounded,
		Read: func(r *Report, emit func(string, Value)) {
			if g := r.Metrics.Groundedness; g != nil && g.Rate.N > 0 {
				for _, s := range g.ByTask {
					emit("groundedness.task."+s.Name, prop(s.Rate))
				}
			}
		}},
	{Path: "groundedness.judge_errors", Doc: "answers the judge could not verify (failed call or unparseable reply)", Unit: UnitCount, When: and(grounded, judged),
		Read: func(r *Report, emit func(string, Value)) {
			if g := r.Metrics.Groundedness; g != nil {
				emit("groundedness.judge_errors", count(g.Errors))
			}
		}},
	{Path: "groundedness.escalated_rate", Doc: "share of checked answers that method hybrid sent to the judge (their lexical score fell in the band); caps the judge's cost", Unit: UnitRate, When: and(grounded, hybrid),
		Read: func(r *Report, emit func(string, Value)) {
			if g := r.Metrics.Groundedness; g != nil && g.Judge != nil {
				emit("groundedness.escalated_rate", point(g.Judge.EscalatedRate))
			}
		}},
	{Path: "boundaries.violations", Doc: "boundary rules broken, summed over outputs", Unit: UnitCount,
		Read: func(r *Report, emit func(string, Value)) {
			if b := r.Metrics.Boundaries; b != nil {
				emit("boundaries.violations", count(b.Violations))
			}
		}},
	{Path: "boundaries.violating_items", Doc: "outputs that broke at least one boundary rule", Unit: UnitCount,
		Read: func(r *Report, emit func(string, Value)) {
			if b := r.Metrics.Boundaries; b != nil {
				emit("boundaries.violating_items", count(b.ViolatingItems))
			}
		}},
	{Path: "boundaries.rule.<rule>", Doc: "violations of one rule (for example boundaries.rule.max_chars)", Unit: UnitCount,
		Read: func(r *Report, emit func(string, Value)) {
			if b := r.Metrics.Boundaries; b != nil {
				for _, rc := range b.Rules {
					emit("boundaries.rule."+rc.Rule, count(rc.Violations))
				}
			}
		}},
	{Path: "review.reviewed", Doc: "answers reviewers decided on in signed review records of earlier reports (run --reviews)", Unit: UnitCount,
		Read: reviewCount("review.reviewed", func(d *ReviewDecisions) int { return d.Reviewed })},
	{Path: "review.accepted", Doc: "answers reviewers accepted (run --reviews)", Unit: UnitCount,
		Read: reviewCount("review.accepted", func(d *ReviewDecisions) int { return d.Accepted })},
	{Path: "review.rejected", Doc: "answers reviewers rejected (run --reviews)", Unit: UnitCount,
		Read: reviewCount("review.rejected", func(d *ReviewDecisions) int { return d.Rejected })},
	{Path: "review.routed", Doc: "answers routed to human review", Unit: UnitCount,
		Read: func(r *Report, emit func(string, Value)) {
			if rv := r.Review; rv != nil {
				emit("review.routed", count(rv.Routed))
			}
		}},
	{Path: "pii.total", Doc: "personal data values found in prompts, contexts and outputs", Unit: UnitCount, Criterion: SOC2Privacy, When: piiDetected,
		Read: func(r *Report, emit func(string, Value)) {
			if p := r.Metrics.PII; p != nil {
				emit("pii.total", count(p.Total))
			}
		}},
	{Path: "pii.output", Doc: "personal data values found in model outputs", Unit: UnitCount, Criterion: SOC2Privacy, When: piiDetected,
		Read: func(r *Report, emit func(string, Value)) {
			if p := r.Metrics.PII; p != nil {
				for _, l := range p.Locations {
					if l.Location == integrity.PIIOutput.String() {
						emit("pii.output", count(l.Total))
					}
				}
			}
		}},
	// repeats.mean_accuracy gets an individuals chart: its samples cluster
	// by item, so they are not independent trials.
	{Path: "repeats.mean_accuracy", Doc: "accuracy averaged over samples (items as the unit)", Interval: true, Unit: UnitRate, When: repeated,
		Read: func(r *Report, emit func(string, Value)) {
			if rp := r.Metrics.Repeats; rp != nil {
				emit("repeats.mean_accuracy", prop(rp.MeanAccuracy))
			}
		}},
	{Path: "repeats.majority_accuracy", Doc: "accuracy of each item's majority answer", Interval: true, Unit: UnitRate, Chart: ChartRate, HistoryDefault: 3, When: repeated,
		Read: func(r *Report, emit func(string, Value)) {
			if rp := r.Metrics.Repeats; rp != nil {
				emit("repeats.majority_accuracy", prop(rp.MajorityAccuracy))
			}
		}},
	{Path: "repeats.consistency", Doc: "mean share of samples agreeing with their item's majority answer", Unit: UnitRate, When: repeated,
		Read: func(r *Report, emit func(string, Value)) {
			if rp := r.Metrics.Repeats; rp != nil {
				emit("repeats.consistency", point(rp.MeanConsistency))
			}
		}},
	{Path: "repeats.pass_at_<k>", Doc: "unbiased pass@k (Chen et al. 2021), k = 1 to run.repeats", Unit: UnitRate, When: repeated,
		Read: func(r *Report, emit func(string, Value)) {
			if rp := r.Metrics.Repeats; rp != nil {
				for _, pk := range rp.PassAtK {
					emit(fmt.Sprintf("repeats.pass_at_%d", pk.K), point(pk.Value))
				}
			}
		}},

	// evalgate drift's metrics, read from drift.json by the drift package.
	{Path: "drift.psi.max", Doc: "largest PSI of any compared feature", Unit: UnitPSI, Criterion: SOC2Monitoring, Document: DocDrift, Chart: ChartNone},
	{Path: "drift.alert_count", Doc: "number of features whose PSI is at or above drift.psi_alert", Unit: UnitCount, Criterion: SOC2Monitoring, Document: DocDrift, Chart: ChartNone},
	{Path: "drift.warn_count", Doc: "number of features whose PSI is at or above drift.psi_warn and below drift.psi_alert", Unit: UnitCount, Criterion: SOC2Monitoring, Document: DocDrift, Chart: ChartNone},
	{Path: "drift.<feature>.psi", Doc: "one feature's PSI (features: input_length, output_length, latency_ms, confidence, task, model_version, label, and the columns of drift.numeric, drift.categorical and fairness.groups)", Unit: UnitPSI, Criterion: SOC2Monitoring, Document: DocDrift, Chart: ChartNone},
	{Path: "drift.<feature>.ks_statistic", Doc: "a numeric feature's two-sample KS statistic D, 0 to 1", Unit: UnitStatistic, Criterion: SOC2Monitoring, Document: DocDrift, Chart: ChartNone},
	{Path: "drift.<feature>.ks_pvalue", Doc: "a numeric feature's two-sample KS p-value", Unit: UnitPValue, Criterion: SOC2Monitoring, Document: DocDrift, Chart: ChartNone},
	{Path: "drift.<feature>.chi2_statistic", Doc: "a categorical feature's chi-square statistic", Unit: UnitStatistic, Criterion: SOC2Monitoring, Document: DocDrift, Chart: ChartNone},
	{Path: "drift.<feature>.chi2_pvalue", Doc: "a categorical feature's chi-square p-value", Unit: UnitPValue, Criterion: SOC2Monitoring, Document: DocDrift, Chart: ChartNone},
}

// Catalog returns every gateable metric, in listing order. The entries
// are copies: changing them changes nothing.
func Catalog() []Metric {
	out := slices.Clone(catalog)
	for i := range out {
		out[i] = out[i].normal()
	}
	return out
}

// normal fills the defaults of an entry: the promotion report, and SOC 2
// PI1 processing integrity.
func (m Metric) normal() Metric {
	if m.Document == "" {
		m.Document = DocReport
	}
	if m.Criterion == "" {
		m.Criterion = SOC2ProcessingIntegrity
	}
	return m
}

// Value is a metric's value and, where it has one, its interval. An
// undefined value is NaN.
type Value struct {
	V, Low, High float64
	// K and N are the successes and trials behind a rate that has them
	// (see Counts); both are 0 otherwise.
	K, N int
}

func point(v float64) Value { return Value{V: v, Low: math.NaN(), High: math.NaN()} }

func count(n int) Value { return point(float64(n)) }

func prop(p metrics.Proportion) Value {
	return Value{V: p.Rate, Low: p.Low, High: p.High, K: p.K, N: p.N}
}

func est(e metrics.Estimate) Value { return Value{V: e.Value, Low: e.Low, High: e.High} }

// accuracyDisparity is a column's accuracy gap (or ratio), if the column
// has an accuracy disparity.
func accuracyDisparity(c metrics.FairnessColumn, gap bool) (metrics.Estimate, bool) {
	for _, d := range c.Disparities {
		if d.Metric == "accuracy" {
			if gap {
				return d.Gap, true
			}
			return d.Ratio, true
		}
	}
	return metrics.Estimate{}, false
}

// disparityMetric is the catalog entry fairness.<column>.<metric>.<stat>
// for a metric that needs a positive label, stat gap or ratio.
func disparityMetric(metric, stat, doc string) Metric {
	unit := UnitDifference
	if stat == "ratio" {
		unit = UnitRatio
	}
	return Metric{Path: "fairness.<column>." + metric + "." + stat, Doc: doc, Interval: true, Unit: unit, When: positiveLabel,
		Read: perColumn(metric+"."+stat, func(c metrics.FairnessColumn) (metrics.Estimate, bool) {
			d, ok := disparity(c, metric)
			if stat == "ratio" {
				return d.Ratio, ok
			}
			return d.Gap, ok
		})}
}

// testMetric is the catalog entry fairness.<column>.<metric>.p_value: the
// p-value of the test that <column>'s groups share one rate.
func testMetric(metric, name string, when func(*configs.Config) bool) Metric {
	return Metric{Path: "fairness.<column>." + metric + ".p_value", Doc: "p-value of the test that <column> groups share one " + name + " (small: evidence they differ)", Unit: UnitPValue, When: when,
		Read: func(r *Report, emit func(string, Value)) {
			for _, c := range r.Metrics.Fairness {
				if d, ok := disparity(c, metric); ok {
					emit("fairness."+c.Column+"."+metric+".p_value", point(d.Test.P))
				}
			}
		}}
}

// disparity is a column's disparity of metric, if it has one.
func disparity(c metrics.FairnessColumn, metric string) (metrics.Disparity, bool) {
	for _, d := range c.Disparities {
		if d.Metric == metric {
			return d, true
		}
	}
	return metrics.Disparity{}, false
}

// selection reads a selection-rate disparity of a column with a positive
// label.
func selection(get func(metrics.FairnessColumn) metrics.Estimate) func(metrics.FairnessColumn) (metrics.Estimate, bool) {
	return func(c metrics.FairnessColumn) (metrics.Estimate, bool) { return get(c), c.PositiveLabel != "" }
}

// perColumn reads fairness.<column>.<name> from each fairness column.
func perColumn(name string, get func(metrics.FairnessColumn) (metrics.Estimate, bool)) func(*Report, func(string, Value)) {
	return func(r *Report, emit func(string, Value)) {
		for _, c := range r.Metrics.Fairness {
			if e, ok := get(c); ok {
				emit("fairness."+c.Column+"."+name, est(e))
			}
		}
	}
}

// worstOverColumns reads the worst value over the fairness columns: the
// largest gap (larger) or the smallest ratio, with that column's
// interval; the first column wins a tie.
func worstOverColumns(path string, larger bool, get func(metrics.FairnessColumn) (metrics.Estimate, bool)) func(*Report, func(string, Value)) {
	return func(r *Report, emit func(string, Value)) {
		found, worst := false, metrics.Estimate{}
		for _, c := range r.Metrics.Fairness {
			e, ok := get(c)
			if !ok || math.IsNaN(e.Value) {
				continue
			}
			if !found || (larger && e.Value > worst.Value) || (!larger && e.Value < worst.Value) {
				found, worst = true, e
			}
		}
		if found {
			emit(path, est(worst))
		}
	}
}

// reviewCount reads a count of the review decisions, when the report
// counted review records.
func reviewCount(path string, get func(*ReviewDecisions) int) func(*Report, func(string, Value)) {
	return func(r *Report, emit func(string, Value)) {
		if d := r.ReviewDecisions; d != nil {
			emit(path, count(get(d)))
		}
	}
}

// regression reads a metric of the regression against production, when
// it has paired items.
func regression(read func(reg *metrics.Regression, emit func(string, Value))) func(*Report, func(string, Value)) {
	return func(r *Report, emit func(string, Value)) {
		if reg := r.Metrics.Regression; reg != nil && reg.Pairs > 0 {
			read(reg, emit)
		}
	}
}

// Values returns every metric of r by path, as the catalog reads them.
// Metrics that could not be computed are absent or NaN. A value with an
// interval also appears under path.ci_low and path.ci_high.
func Values(r *Report) map[string]Value {
	v := map[string]Value{}
	for _, m := range catalog {
		if m.Read != nil {
			m.Read(r, func(path string, val Value) { v[path] = val })
		}
	}
	addBounds(v)
	return v
}

// addBounds adds path.ci_low and path.ci_high for every value with an
// interval.
func addBounds(v map[string]Value) {
	var withBounds []string
	for path, val := range v {
		if !math.IsNaN(val.Low) {
			withBounds = append(withBounds, path)
		}
	}
	for _, path := range withBounds {
		val := v[path]
		v[path+".ci_low"] = point(val.Low)
		v[path+".ci_high"] = point(val.High)
	}
}

// Counts returns the successes and trials behind each of r's rate metrics
// that history charts as rates (Chart ChartRate), by metric path, for a
// p-chart.
func Counts(r *Report) map[string]metrics.Proportion {
	c := map[string]metrics.Proportion{}
	for _, m := range catalog {
		if m.Chart != ChartRate || m.Read == nil {
			continue
		}
		m.Read(r, func(path string, val Value) {
			if val.N > 0 {
				c[path] = metrics.Proportion{K: val.K, N: val.N, Rate: val.V, Low: val.Low, High: val.High}
			}
		})
	}
	return c
}

// HistoryDefaults lists the metrics history charts by default, in order.
func HistoryDefaults() []string {
	var ms []Metric
	for _, m := range catalog {
		if m.HistoryDefault > 0 {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b Metric) int { return a.HistoryDefault - b.HistoryDefault })
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Path
	}
	return out
}

// Lookup returns the catalog entry a metric path belongs to. A path
// ending in .ci_low or .ci_high belongs to the metric with an interval it
// extends. A placeholder stands for any non-empty text; when several
// entries match, the one with the most literal text wins, so that
// accuracy.task.billing is accuracy.task.<task>, not accuracy.<method>.
func Lookup(path string) (Metric, bool) {
	type candidate struct {
		path     string
		interval bool // only metrics with an interval have this path
	}
	cands := []candidate{{path, false}}
	for _, suffix := range []string{".ci_low", ".ci_high"} {
		if base, ok := strings.CutSuffix(path, suffix); ok {
			cands = append(cands, candidate{base, true})
		}
	}
	best, bestLiteral := -1, -1
	for _, c := range cands {
		for i, m := range catalog {
			if (c.interval && !m.Interval) || !matchPattern(m.Path, c.path) {
				continue
			}
			literal := len(m.Path)
			if open, end := strings.Index(m.Path, "<"), strings.Index(m.Path, ">"); open >= 0 && end > open {
				literal -= end - open + 1
			} else {
				literal += len(path) // an exact match beats every pattern
			}
			if literal > bestLiteral {
				best, bestLiteral = i, literal
			}
		}
	}
	if best < 0 {
		return Metric{}, false
	}
	return catalog[best].normal(), true
}

// namespace is a path's first segment: accuracy, fairness, drift, ….
func namespace(path string) string {
	head, _, _ := strings.Cut(path, ".")
	return head
}

// DocumentOf returns the document whose gate applies a rule on path: the
// document of the catalog's metrics in path's namespace (its first
// segment), the promotion report for a namespace the catalog does not
// have.
func DocumentOf(path string) Document {
	for _, m := range catalog {
		if strings.HasPrefix(path, namespace(m.Path)+".") {
			return m.normal().Document
		}
	}
	return DocReport
}

// IsDriftMetric reports whether a gate rule's metric path belongs to
// evalgate drift (DocumentOf is DocDrift), which evalgate run does not
// evaluate.
func IsDriftMetric(path string) bool { return DocumentOf(path) == DocDrift }

// Criterion returns the SOC 2 criterion a gate metric path gives evidence
// for, from its catalog entry: CC8.1 for the regression against
// production, CC7 for drift, C1/P for personal data (pii.*), and PI1
// processing integrity for what the run measured about the candidate's
// answers. A path the catalog does not have takes the criterion of its
// namespace, and PI1 when the namespace is unknown too.
func Criterion(path string) string {
	if m, ok := Lookup(path); ok {
		return m.Criterion
	}
	for _, m := range catalog {
		if namespace(m.Path) == namespace(path) {
			return m.normal().Criterion
		}
	}
	return SOC2ProcessingIntegrity
}

// CriterionName spells a SOC 2 criterion out for readers.
func CriterionName(c string) string {
	switch c {
	case SOC2ProcessingIntegrity:
		return "SOC 2 PI1 processing integrity"
	case SOC2ChangeManagement:
		return "SOC 2 CC8.1 change management"
	case SOC2Monitoring:
		return "SOC 2 CC7 system monitoring"
	case SOC2Privacy:
		return "SOC 2 C1 confidentiality / P privacy"
	}
	return "SOC 2 " + c
}

// listed is one line of --list-metrics: a path spelled out for a config.
type listed struct {
	path, doc string
	interval  bool
}

// FairnessColumns names the fairness columns a config produces, as
// reports and metric paths name them: each group column, then each
// intersection joined with ×.
func FairnessColumns(cfg *configs.Config) []string {
	cols := slices.Clone(cfg.Fairness.Groups)
	for _, combo := range cfg.Fairness.Intersections {
		cols = append(cols, strings.Join(combo, metrics.IntersectionSep))
	}
	return cols
}

// listFor spells out the catalog's metrics of doc under cfg: <method> for
// each scoring method, and the block of fairness.<column>.… entries
// column by column.
func listFor(cfg *configs.Config, doc Document) []listed {
	var out []listed
	spell := func(m Metric, placeholder, value string) listed {
		return listed{strings.Replace(m.Path, placeholder, value, 1), strings.ReplaceAll(m.Doc, placeholder, value), m.Interval}
	}
	for i := 0; i < len(catalog); i++ {
		m := catalog[i].normal()
		if m.Document != doc {
			continue
		}
		switch {
		case strings.Contains(m.Path, "<column>"):
			end := i
			for end < len(catalog) && strings.Contains(catalog[end].Path, "<column>") {
				end++
			}
			for _, c := range FairnessColumns(cfg) {
				for _, b := range catalog[i:end] {
					if b.When == nil || b.When(cfg) {
						out = append(out, spell(b, "<column>", c))
					}
				}
			}
			i = end - 1
		case m.When != nil && !m.When(cfg):
		case strings.Contains(m.Path, "<method>"):
			for _, method := range configs.Methods() {
				out = append(out, spell(m, "<method>", method))
			}
		default:
			out = append(out, listed{m.Path, m.Doc, m.Interval})
		}
	}
	return out
}

// MetricPaths lists every metric path a gate rule may use under cfg, with a
// one-line description each: the promotion report's, then evalgate
// drift's. Paths with <task> accept any task name, and <k> any number of
// samples up to run.repeats.
func MetricPaths(cfg *configs.Config) []string {
	var out []string
	for _, d := range listFor(cfg, DocReport) {
		out = append(out, fmt.Sprintf("%-52s %s", d.path, d.doc))
		if d.interval {
			out = append(out, fmt.Sprintf("%-52s %s", d.path+".ci_low", "lower bound of its interval"), fmt.Sprintf("%-52s %s", d.path+".ci_high", "upper bound of its interval"))
		}
	}
	return append(out, DriftMetricPaths()...)
}

// DriftMetricPaths lists the metric paths gate rules may use under
// evalgate drift, with a one-line description each, in the format of
// MetricPaths.
func DriftMetricPaths() []string {
	var out []string
	for _, d := range listFor(nil, DocDrift) {
		out = append(out, fmt.Sprintf("%-52s %s", d.path, d.doc))
	}
	return out
}

// CheckRules returns an error naming every gate rule whose metric path is
// not one MetricPaths lists, so that a typo fails at load time, not after
// the run.
func CheckRules(cfg *configs.Config) error {
	known := map[string]bool{}
	var patterns []string
	for _, d := range listFor(cfg, DocReport) {
		paths := []string{d.path}
		if d.interval {
			paths = append(paths, d.path+".ci_low", d.path+".ci_high")
		}
		for _, p := range paths {
			if strings.Contains(p, "<") {
				patterns = append(patterns, p)
			} else {
				known[p] = true
			}
		}
	}
	if err := CheckDriftRules(cfg); err != nil {
		return err
	}
	var bad []string
	for i, r := range cfg.Gate {
		if IsDriftMetric(r.Metric) {
			continue
		}
		if known[r.Metric] || slices.ContainsFunc(patterns, func(p string) bool { return matchPattern(p, r.Metric) }) {
			if why := neverEvaluated(cfg, r.Metric); why != "" && !r.Optional {
				bad = append(bad, fmt.Sprintf("gate rule %d: %s can never be evaluated: %s (mark it optional: true to keep it anyway)", i+1, r.Metric, why))
			}
			continue
		}
		hint := needs(r.Metric)
		if rest, ok := strings.CutPrefix(r.Metric, "fairness."); ok {
			col, _, _ := strings.Cut(rest, ".")
			if !slices.Contains(FairnessColumns(cfg), col) && !known["fairness."+col+".accuracy.gap"] && col != "accuracy" {
				hint = unknownColumnHint(cfg, col)
			}
		}
		bad = append(bad, fmt.Sprintf("gate rule %d: unknown metric %q%s", i+1, r.Metric, hint))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %s; `evalgate gate --list-metrics -c %s` lists them", cfg.Path, strings.Join(bad, "; "), cfg.Path)
	}
	return nil
}

// unknownColumnHint says, as a parenthesis, that col is not one of cfg's
// fairness columns, which ones are, and how to spell an intersection.
func unknownColumnHint(cfg *configs.Config, col string) string {
	cols := FairnessColumns(cfg)
	if len(cols) == 0 {
		return fmt.Sprintf(" (%q is not in fairness.groups, which is empty)", col)
	}
	what := "fairness.groups"
	if strings.Contains(col, metrics.IntersectionSep) {
		what = "fairness.intersections"
	}
	return fmt.Sprintf(" (%q is not in %s; the fairness columns are %s; an intersection is written a×b or a%sb, with its columns in fairness.groups and the pair in fairness.intersections)",
		col, what, strings.Join(cols, ", "), configs.IntersectionASCII)
}

// NeverEvaluated says why a metric the catalog lists under cfg can still
// never have a value under it (no production model, no group column, a
// pass@k past run.repeats), or "" when it can: a rule on it is
// not_evaluated in every report of cfg.
func NeverEvaluated(cfg *configs.Config, metric string) string { return neverEvaluated(cfg, metric) }

// neverEvaluated says why a metric the catalog lists under cfg can still
// never have a value under it, or "" when it can.
func neverEvaluated(cfg *configs.Config, metric string) string {
	switch {
	case (strings.HasPrefix(metric, "regression.") || strings.HasPrefix(metric, "production.")) && cfg.Production == nil:
		return "the config has no production model to compare with"
	case strings.HasPrefix(metric, "fairness.") && len(cfg.Fairness.Groups) == 0:
		return "fairness.groups names no group column"
	case strings.HasPrefix(metric, "regression.group.") && len(cfg.Fairness.Groups) == 0:
		return "fairness.groups names no group column"
	}
	if k, ok := strings.CutPrefix(metric, "repeats.pass_at_"); ok {
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 || n > cfg.Run.Repeats {
			return fmt.Sprintf("k must be 1 to run.repeats (%d)", cfg.Run.Repeats)
		}
	}
	return ""
}

// needs says, for a metric path that exists only under some configs,
// which setting it needs, as a parenthesis; "" otherwise.
func needs(metric string) string {
	for _, n := range []struct{ prefix, setting string }{
		{"groundedness.judge_errors", "groundedness.method: judge or hybrid"},
		{"groundedness.escalated_rate", "groundedness.method: hybrid"},
		{"groundedness", "groundedness.method other than off"},
		{"labels.", "scoring.method: label"},
		{"repeats.", "run.repeats above 1"},
		{"pii.", "PII detection (pii.detect or pii.redact)"},
	} {
		if strings.HasPrefix(metric, n.prefix) {
			return " (it exists only with " + n.setting + ")"
		}
	}
	for _, sel := range []string{"demographic_parity_difference", "disparate_impact", "equalized_odds_difference", ".selection_rate.", ".tpr.", ".fpr.", ".fnr."} {
		if strings.HasPrefix(metric, "fairness.") && strings.Contains(metric, sel) {
			return " (it exists only with scoring.positive_label, the label counted as a positive decision)"
		}
	}
	return ""
}

// CheckDriftRules returns an error naming every gate rule of cfg on a
// drift.* path that is not one DriftMetricPaths describes, so that a typo
// fails before the files are read.
func CheckDriftRules(cfg *configs.Config) error {
	var whole, stats []string
	for _, m := range catalog {
		if m.normal().Document != DocDrift {
			continue
		}
		if stat, ok := strings.CutPrefix(m.Path, "drift.<feature>."); ok {
			stats = append(stats, stat)
		} else {
			whole = append(whole, m.Path)
		}
	}
	var bad []string
	for i, rule := range cfg.Gate {
		if !IsDriftMetric(rule.Metric) {
			continue
		}
		if _, ok := Lookup(rule.Metric); !ok {
			bad = append(bad, fmt.Sprintf("gate rule %d: unknown drift metric %q (want %s or drift.<feature>.<%s>)",
				i+1, rule.Metric, strings.Join(whole, ", "), strings.Join(stats, "|")))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %s", cfg.Path, strings.Join(bad, "; "))
	}
	return nil
}

// matchPattern reports whether path matches a catalog path, where one
// <placeholder> stands for any non-empty text.
func matchPattern(pattern, path string) bool {
	open := strings.Index(pattern, "<")
	end := strings.Index(pattern, ">")
	if open < 0 || end < open {
		return pattern == path
	}
	prefix, suffix := pattern[:open], pattern[end+1:]
	return len(path) > len(prefix)+len(suffix) && strings.HasPrefix(path, prefix) && strings.HasSuffix(path, suffix)
}
