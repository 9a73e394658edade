package reports

// The drift report: how two Parquet files — eval sets, results files or
// production logs — differ in distribution, feature by feature, with the
// thresholds and gate rules of a config applied.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/metrics"
)

// DriftSchemaVersion is the version of drift.json's layout. It changes
// whenever a field is renamed or removed or its meaning changes.
const DriftSchemaVersion = "1"

// Drift statuses, of a feature and of a whole report: ok below
// drift.psi_warn, warn from drift.psi_warn, alert from drift.psi_alert.
const (
	DriftOK    = "ok"
	DriftWarn  = "warn"
	DriftAlert = "alert"
)

// Feature kinds.
const (
	FeatureNumeric     = "numeric"
	FeatureCategorical = "categorical"
)

// DriftFeature is one feature evalgate drift compares.
type DriftFeature struct {
	// Name is the feature's name in reports and in gate rule paths
	// (drift.<name>.psi).
	Name string
	// Kind is FeatureNumeric or FeatureCategorical.
	Kind string
	// Columns are the columns that may hold the feature, in order of
	// preference; each file reads the first it has.
	Columns []string
	// Length, for a numeric feature, reads a string column and measures
	// each value's length in characters (Unicode code points).
	Length bool
}

// Measure describes what a feature's values are, for reports.
func (f DriftFeature) Measure() string {
	switch {
	case f.Length:
		return "length in characters"
	case f.Kind == FeatureNumeric:
		return "value"
	}
	return "category"
}

// DriftFeatures lists the features evalgate drift compares under cfg
// (nil for none), in report order:
//
//   - numeric: input_length and output_length (characters of the input
//     and output columns), latency_ms, confidence, then each column of
//     drift.numeric under its own name;
//   - categorical: task, each column of fairness.groups and
//     drift.categorical, model_version (the model_version column, or the
//     model column of a results file), and label (the output column) when
//     scoring.method is label.
//
// A name is listed once, at its first place.
func DriftFeatures(cfg *configs.Config) []DriftFeature {
	feats := []DriftFeature{
		{Name: "input_length", Kind: FeatureNumeric, Columns: []string{"input"}, Length: true},
		{Name: "output_length", Kind: FeatureNumeric, Columns: []string{"output"}, Length: true},
		{Name: "latency_ms", Kind: FeatureNumeric, Columns: []string{"latency_ms"}},
		{Name: "confidence", Kind: FeatureNumeric, Columns: []string{"confidence"}},
	}
	add := func(f DriftFeature) {
		if !slices.ContainsFunc(feats, func(g DriftFeature) bool { return g.Name == f.Name }) {
			feats = append(feats, f)
		}
	}
	if cfg != nil {
		for _, c := range cfg.Drift.Numeric {
			add(DriftFeature{Name: c, Kind: FeatureNumeric, Columns: []string{c}})
		}
	}
	add(DriftFeature{Name: "task", Kind: FeatureCategorical, Columns: []string{"task"}})
	if cfg != nil {
		for _, c := range slices.Concat(cfg.Fairness.Groups, cfg.Drift.Categorical) {
			add(DriftFeature{Name: c, Kind: FeatureCategorical, Columns: []string{c}})
		}
	}
	add(DriftFeature{Name: "model_version", Kind: FeatureCategorical, Columns: []string{"model_version", "model"}})
	if cfg != nil && cfg.Scoring.Method == configs.MethodLabel {
		add(DriftFeature{Name: "label", Kind: FeatureCategorical, Columns: []string{"output"}})
	}
	return feats
}

// DriftTally is what one file holds of each feature, tallied as the file
// streams past: a metrics.Sample per numeric feature and the counts of a
// categorical one. Its memory grows with the distinct values (see
// metrics.Sample and metrics.Categories), not with the rows.
type DriftTally struct {
	// Info describes the file: path, SHA-256, size, rows.
	Info     datasets.Info
	features []DriftFeature
	sides    []featureTally
}

// featureTally is one feature of one file.
type featureTally struct {
	column  string // the column read; "" when none
	problem string // why the feature was not read
	missing int64  // null (and, for numbers, non-finite) values
	sample  *metrics.Sample
	cats    *metrics.Categories
}

// ctxCheckEvery is how many batches TallyDrift reads between looks at
// its context.
const ctxCheckEvery = 64

// TallyDrift streams the file at path and tallies each feature from the
// first of its columns the file has; a feature whose column is absent,
// or of the wrong type, is noted and left out. It stops with ctx's error
// when ctx is done. Errors about the file wrap a *datasets.RowError.
func TallyDrift(ctx context.Context, path string, features []DriftFeature) (*DriftTally, error) {
	r, err := datasets.OpenColumns(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t := &DriftTally{Info: r.Info(), features: features, sides: make([]featureTally, len(features))}
	var cols []string
	users := map[string][]int{} // column → features reading it
	for i, f := range features {
		ft := &t.sides[i]
		col := ""
		for _, c := range f.Columns {
			if _, ok := r.Kind(c); ok {
				col = c
				break
			}
		}
		if col == "" {
			ft.problem = "no column " + strings.Join(f.Columns, " or ")
			continue
		}
		want := datasets.ValueString
		if f.Kind == FeatureNumeric && !f.Length {
			want = datasets.ValueNumber
		}
		if k, _ := r.Kind(col); k != want {
			ft.problem = fmt.Sprintf("column %s is %s, not a %s", col, r.Type(col), want)
			continue
		}
		ft.column = col
		if f.Kind == FeatureNumeric {
			ft.sample = metrics.NewSample(t.Info.Rows)
		} else {
			ft.cats = &metrics.Categories{}
		}
		if users[col] == nil {
			cols = append(cols, col)
		}
		users[col] = append(users[col], i)
	}
	if err := r.Select(cols...); err != nil {
		return nil, err
	}
	readers := make([][]int, len(cols))
	for i, c := range cols {
		readers[i] = users[c]
	}
	for batches := 0; r.Scan(); batches++ {
		if batches%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("read %s: %w", path, ctx.Err())
		}
		b := r.Batch()
		for _, fi := range readers[b.Column] {
			t.add(fi, b)
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// add tallies one batch of a column into feature fi.
func (t *DriftTally) add(fi int, b *datasets.ColumnBatch) {
	f, ft := t.features[fi], &t.sides[fi]
	ft.missing += int64(b.Nulls)
	switch {
	case f.Length:
		for _, s := range b.Strings {
			ft.sample.Add(float64(utf8.RuneCount(s)))
		}
	case f.Kind == FeatureNumeric:
		for _, x := range b.Numbers {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				ft.missing++
				continue
			}
			ft.sample.Add(x)
		}
	default:
		for _, s := range b.Strings {
			ft.cats.Add(s)
		}
	}
}

// DriftInput is what BuildDrift builds a report from.
type DriftInput struct {
	// Config supplies the thresholds (drift.psi_warn, drift.psi_alert,
	// drift.bins) and the gate rules on drift.* paths; nil means the
	// defaults and no rules.
	Config *configs.Config
	// Reference and Current were tallied over the same features.
	Reference, Current *DriftTally
	Timing             Timing
}

// DriftReport is the result of evalgate drift, the content of drift.json.
type DriftReport struct {
	// SchemaVersion is DriftSchemaVersion at the time of writing.
	SchemaVersion string `json:"schema_version"`
	// Status is the worst status of any compared feature: ok, warn or
	// alert.
	Status string `json:"status"`
	// Verdict is BLOCK when a gate rule on a drift.* path failed (or could
	// not be evaluated and is not optional), ALLOW otherwise, including
	// when there are no such rules: an alert alone does not block.
	Verdict string `json:"verdict"`
	// Harness identifies the evalgate that wrote the report.
	Harness Harness `json:"harness"`
	// Config identifies the config, when one was given.
	Config *ConfigInfo `json:"config,omitempty"`
	// Reference and Current identify the two files.
	Reference DriftFile `json:"reference"`
	Current   DriftFile `json:"current"`
	// Thresholds are the PSI thresholds and bin count applied.
	Thresholds DriftThresholds `json:"thresholds"`
	// Method says how every number was computed.
	Method DriftMethod `json:"method"`
	// Features are the compared features, in DriftFeatures order.
	Features []FeatureDrift `json:"features"`
	// Skipped are the features that could not be compared, and why.
	Skipped []SkippedFeature `json:"skipped"`
	// Gate holds the config's rules on drift.* paths with their outcomes.
	Gate Gate `json:"gate"`
	// OtherRules counts the config's gate rules on other paths, which
	// evalgate run applies and evalgate drift does not.
	OtherRules int `json:"other_rules"`
	// Timing holds the wall-clock times, the only fields that differ
	// between two runs over the same files.
	Timing Timing `json:"timing"`
}

// DriftFile identifies one compared file.
type DriftFile struct {
	// Path is the file's path as given on the command line.
	Path string `json:"path"`
	// SHA256 is the lowercase hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Size is in bytes; Rows is the number of rows.
	Size int64 `json:"size"`
	Rows int64 `json:"rows"`
}

// DriftThresholds are the PSI thresholds (drift.psi_warn,
// drift.psi_alert) and the number of numeric bins (drift.bins).
type DriftThresholds struct {
	// PSIWarn and PSIAlert are PSI values, PSIWarn ≤ PSIAlert.
	PSIWarn  float64 `json:"psi_warn"`
	PSIAlert float64 `json:"psi_alert"`
	// Bins is the number of reference-quantile bins requested, 2 to 1000.
	Bins int `json:"bins"`
}

// DriftMethod states how the report's numbers were computed.
type DriftMethod struct {
	// PSI is the formula, and PSIEpsilon the smoothing it adds to every
	// bin proportion (metrics.PSIEpsilon).
	PSI        string  `json:"psi"`
	PSIEpsilon float64 `json:"psi_epsilon"`
	// Bins says how numeric features are binned.
	Bins string `json:"bins"`
	// KS and ChiSquare describe the tests.
	KS        string `json:"ks"`
	ChiSquare string `json:"chi_square"`
	// Status says how a feature's status follows from its PSI.
	Status string `json:"status"`
}

func driftMethod() DriftMethod {
	return DriftMethod{
		PSI:        "PSI = Σ (c_i − r_i)·ln(c_i / r_i), where r_i and c_i are the shares of the reference and current values in bin (or category) i, each plus ε = 0.0001, so that an empty bin gives a large but finite term",
		PSIEpsilon: metrics.PSIEpsilon,
		Bins:       "numeric features: bin edges at the reference's quantiles k/bins (k = 1 … bins−1, inverse ECDF), repeated edges removed so that tied values never split; bin i holds values in (edge[i−1], edge[i]], the first bin open below and the last open above; categorical features: one bin per category seen in either file",
		KS:         "two-sample Kolmogorov–Smirnov test, two-sided, as scipy.stats.ks_2samp(reference, current) with method='auto': exact p-value when both files hold at most 10000 values of the feature, otherwise scipy.stats.kstwo.sf(D, round(n·m/(n+m)))",
		ChiSquare:  "chi-square test of homogeneity of the 2 × categories table, as scipy.stats.chi2_contingency(table, correction=False)",
		Status:     "ok when PSI < psi_warn, warn when psi_warn ≤ PSI < psi_alert, alert when PSI ≥ psi_alert; the tests are evidence and do not set the status",
	}
}

// FeatureDrift is one compared feature.
type FeatureDrift struct {
	// Name is the feature's name, as in DriftFeature and gate paths.
	Name string `json:"name"`
	// Kind is numeric or categorical; Measure says what the values are:
	// "value", "length in characters" or "category".
	Kind    string `json:"kind"`
	Measure string `json:"measure"`
	// ReferenceColumn and CurrentColumn are the columns read.
	ReferenceColumn string `json:"reference_column"`
	CurrentColumn   string `json:"current_column"`
	// Status is ok, warn or alert, from PSI and the thresholds.
	Status string  `json:"status"`
	PSI    float64 `json:"psi"`
	// ReferenceN and CurrentN count the values compared; the Missing
	// counts the null (and for numbers non-finite) values left out.
	ReferenceN       int64 `json:"reference_n"`
	ReferenceMissing int64 `json:"reference_missing"`
	CurrentN         int64 `json:"current_n"`
	CurrentMissing   int64 `json:"current_missing"`
	// Numeric holds the bins, PSI and KS test of a numeric feature;
	// Categorical the categories, PSI and chi-square test of a
	// categorical one.
	Numeric     *metrics.NumericDrift     `json:"numeric,omitempty"`
	Categorical *metrics.CategoricalDrift `json:"categorical,omitempty"`
}

// SkippedFeature is a feature that could not be compared.
type SkippedFeature struct {
	// Name and Kind are the feature's, as in DriftFeature.
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Reason says, per file, why it could not be read.
	Reason string `json:"reason"`
}

// driftStatus classifies a PSI value under th.
func driftStatus(psi float64, th DriftThresholds) string {
	switch {
	case psi >= th.PSIAlert:
		return DriftAlert
	case psi >= th.PSIWarn:
		return DriftWarn
	}
	return DriftOK
}

// statusRank orders statuses from ok to alert.
func statusRank(s string) int { return slices.Index([]string{DriftOK, DriftWarn, DriftAlert}, s) }

// BuildDrift compares in.Current against in.Reference feature by
// feature, classifies each by PSI, applies the config's drift.* gate
// rules and returns the report. It does no I/O.
func BuildDrift(in DriftInput) *DriftReport {
	cfg := in.Config
	th := DriftThresholds{PSIWarn: 0.1, PSIAlert: 0.2, Bins: 10}
	r := &DriftReport{
		SchemaVersion: DriftSchemaVersion,
		Status:        DriftOK,
		Harness:       Harness{Name: "evalgate", Version: Version},
		Reference:     driftFile(in.Reference.Info),
		Current:       driftFile(in.Current.Info),
		Method:        driftMethod(),
		Features:      []FeatureDrift{},
		Skipped:       []SkippedFeature{},
		Timing:        in.Timing,
	}
	if cfg != nil {
		th = DriftThresholds{PSIWarn: cfg.Drift.PSIWarn, PSIAlert: cfg.Drift.PSIAlert, Bins: cfg.Drift.Bins}
		r.Config = &ConfigInfo{Path: cfg.Path, SHA256: cfg.SHA256}
	}
	r.Thresholds = th
	for i, f := range in.Reference.features {
		ref, cur := &in.Reference.sides[i], &in.Current.sides[i]
		if reason := skipReason(ref, cur); reason != "" {
			r.Skipped = append(r.Skipped, SkippedFeature{Name: f.Name, Kind: f.Kind, Reason: reason})
			continue
		}
		fd := FeatureDrift{
			Name: f.Name, Kind: f.Kind, Measure: f.Measure(),
			ReferenceColumn: ref.column, CurrentColumn: cur.column,
			ReferenceMissing: ref.missing, CurrentMissing: cur.missing,
		}
		if f.Kind == FeatureNumeric {
			nd := metrics.CompareNumeric(ref.sample, cur.sample, th.Bins)
			fd.Numeric, fd.PSI = &nd, nd.PSI
			fd.ReferenceN, fd.CurrentN = ref.sample.N(), cur.sample.N()
		} else {
			cd := metrics.CompareCategorical(ref.cats.Counts(), cur.cats.Counts())
			fd.Categorical, fd.PSI = &cd, cd.PSI
			fd.ReferenceN, fd.CurrentN = ref.cats.N(), cur.cats.N()
		}
		fd.Status = driftStatus(fd.PSI, th)
		if statusRank(fd.Status) > statusRank(r.Status) {
			r.Status = fd.Status
		}
		r.Features = append(r.Features, fd)
	}
	var rules []configs.Rule
	if cfg != nil {
		for _, rule := range cfg.Gate {
			if IsDriftMetric(rule.Metric) {
				rules = append(rules, rule)
			} else {
				r.OtherRules++
			}
		}
	}
	applyDriftGate(r, rules)
	return r
}

func driftFile(info datasets.Info) DriftFile {
	return DriftFile{Path: info.Path, SHA256: info.SHA256, Size: info.Size, Rows: info.Rows}
}

// skipReason says why a feature cannot be compared, or "".
func skipReason(ref, cur *featureTally) string {
	var why []string
	for _, side := range []struct {
		name string
		t    *featureTally
	}{{"reference", ref}, {"current", cur}} {
		t := side.t
		switch {
		case t.problem != "":
			why = append(why, side.name+": "+t.problem)
		case t.cats != nil && t.cats.Overflow():
			why = append(why, fmt.Sprintf("%s: column %s has more than %d distinct values, too many for a categorical feature", side.name, t.column, metrics.CategoryLimit))
		case (t.sample != nil && t.sample.N() == 0) || (t.cats != nil && t.cats.N() == 0):
			why = append(why, fmt.Sprintf("%s: column %s holds no values (%d missing)", side.name, t.column, t.missing))
		}
	}
	return strings.Join(why, "; ")
}

// Statistics a drift gate rule may name per feature: drift.<feature>.<stat>.
const (
	DriftStatPSI         = "psi"
	DriftStatKSStatistic = "ks_statistic"
	DriftStatKSPValue    = "ks_pvalue"
	DriftStatChi2        = "chi2_statistic"
	DriftStatChi2PValue  = "chi2_pvalue"
)

// Whole-report drift metric paths.
const (
	DriftPSIMax     = "drift.psi.max"
	DriftAlertCount = "drift.alert_count"
	DriftWarnCount  = "drift.warn_count"
)

var driftStats = []string{DriftStatPSI, DriftStatKSStatistic, DriftStatKSPValue, DriftStatChi2, DriftStatChi2PValue}

// IsDriftMetric reports whether a gate rule's metric path belongs to
// evalgate drift (it starts with "drift."), which evalgate run does not
// evaluate.
func IsDriftMetric(path string) bool { return strings.HasPrefix(path, "drift.") }

// DriftMetricPaths lists the metric paths gate rules may use under
// evalgate drift, with a one-line description each, in the format of
// MetricPaths.
func DriftMetricPaths() []string {
	docs := []metricDoc{
		{DriftPSIMax, "largest PSI of any compared feature", false},
		{DriftAlertCount, "number of features whose PSI is at or above drift.psi_alert", false},
		{DriftWarnCount, "number of features whose PSI is at or above drift.psi_warn and below drift.psi_alert", false},
		{"drift.<feature>.psi", "one feature's PSI (features: input_length, output_length, latency_ms, confidence, task, model_version, label, and the columns of drift.numeric, drift.categorical and fairness.groups)", false},
		{"drift.<feature>.ks_statistic", "a numeric feature's two-sample KS statistic D, 0 to 1", false},
		{"drift.<feature>.ks_pvalue", "a numeric feature's two-sample KS p-value", false},
		{"drift.<feature>.chi2_statistic", "a categorical feature's chi-square statistic", false},
		{"drift.<feature>.chi2_pvalue", "a categorical feature's chi-square p-value", false},
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = fmt.Sprintf("%-52s %s", d.path, d.doc)
	}
	return out
}

// parseDriftMetric splits drift.<feature>.<stat>; ok is false for a path
// of another shape. The whole-report paths are not feature paths.
func parseDriftMetric(path string) (feature, stat string, ok bool) {
	rest, found := strings.CutPrefix(path, "drift.")
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(rest, ".")
	if i <= 0 || !slices.Contains(driftStats, rest[i+1:]) {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// CheckDriftRules returns an error naming every gate rule of cfg on a
// drift.* path that is not one DriftMetricPaths describes, so that a typo
// fails before the files are read.
func CheckDriftRules(cfg *configs.Config) error {
	var bad []string
	for i, rule := range cfg.Gate {
		if !IsDriftMetric(rule.Metric) {
			continue
		}
		switch rule.Metric {
		case DriftPSIMax, DriftAlertCount, DriftWarnCount:
			continue
		}
		if _, _, ok := parseDriftMetric(rule.Metric); !ok {
			bad = append(bad, fmt.Sprintf("gate rule %d: unknown drift metric %q (want %s, %s, %s or drift.<feature>.<%s>)",
				i+1, rule.Metric, DriftPSIMax, DriftAlertCount, DriftWarnCount, strings.Join(driftStats, "|")))
		}
	}
	if len(bad) > 0 {
		return errors.New(cfg.Path + ": " + strings.Join(bad, "; "))
	}
	return nil
}

// DriftValues returns every drift metric of r by path.
func DriftValues(r *DriftReport) map[string]float64 {
	v := map[string]float64{}
	alerts, warns := 0, 0
	psiMax := math.NaN()
	for _, f := range r.Features {
		v["drift."+f.Name+"."+DriftStatPSI] = f.PSI
		if math.IsNaN(psiMax) || f.PSI > psiMax {
			psiMax = f.PSI
		}
		switch f.Status {
		case DriftAlert:
			alerts++
		case DriftWarn:
			warns++
		}
		if n := f.Numeric; n != nil {
			v["drift."+f.Name+"."+DriftStatKSStatistic] = n.KS.Statistic
			v["drift."+f.Name+"."+DriftStatKSPValue] = n.KS.PValue
		}
		if c := f.Categorical; c != nil {
			v["drift."+f.Name+"."+DriftStatChi2] = c.ChiSquare.Statistic
			v["drift."+f.Name+"."+DriftStatChi2PValue] = c.ChiSquare.PValue
		}
	}
	v[DriftPSIMax] = psiMax
	v[DriftAlertCount] = float64(alerts)
	v[DriftWarnCount] = float64(warns)
	return v
}

// applyDriftGate checks every rule against r's values, fills r.Gate and
// sets r.Verdict.
func applyDriftGate(r *DriftReport, rules []configs.Rule) {
	values := DriftValues(r)
	g := Gate{Rules: make([]RuleResult, 0, len(rules))}
	for _, rule := range rules {
		rr := RuleResult{Metric: rule.Metric, Min: rule.Min, Max: rule.Max, Optional: rule.Optional, Description: rule.Description,
			Observed: math.NaN(), Low: math.NaN(), High: math.NaN()}
		val, ok := values[rule.Metric]
		if !ok || math.IsNaN(val) {
			rr.Outcome = NotEvaluated
			rr.Reason = "metric could not be computed" + driftHint(r, rule.Metric)
			if rule.Optional {
				rr.Reason += "; optional, so it does not block"
			}
		} else {
			rr.Observed = val
			rr.Outcome, rr.Reason = judge(rule, val)
		}
		if rr.Outcome == Pass || (rr.Outcome == NotEvaluated && rule.Optional) {
			g.Passed++
		} else {
			g.Failed++
		}
		g.Rules = append(g.Rules, rr)
	}
	r.Gate = g
	r.Verdict = Allow
	if g.Failed > 0 {
		r.Verdict = Block
	}
}

// driftHint explains why a drift metric has no value.
func driftHint(r *DriftReport, path string) string {
	if path == DriftPSIMax {
		return " (no feature could be compared)"
	}
	feature, stat, ok := parseDriftMetric(path)
	if !ok {
		return ""
	}
	for _, s := range r.Skipped {
		if s.Name == feature {
			return " (feature " + feature + " was skipped: " + s.Reason + ")"
		}
	}
	for _, f := range r.Features {
		if f.Name == feature {
			return fmt.Sprintf(" (%s is a %s feature, and %s applies to the other kind)", feature, f.Kind, stat)
		}
	}
	var names []string
	for _, f := range r.Features {
		names = append(names, f.Name)
	}
	return fmt.Sprintf(" (no feature %q; compared: %s)", feature, strings.Join(names, ", "))
}

// CompareFiles tallies the reference and current files at once, one
// goroutine each, and builds their drift report under cfg (nil for the
// defaults).
func CompareFiles(ctx context.Context, cfg *configs.Config, reference, current string) (*DriftReport, error) {
	started := time.Now().UTC()
	feats := DriftFeatures(cfg)
	var ref, cur *DriftTally
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if ref, err = TallyDrift(gctx, reference, feats); err != nil {
			return fmt.Errorf("reference: %w", err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if cur, err = TallyDrift(gctx, current, feats); err != nil {
			return fmt.Errorf("current: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	finished := time.Now().UTC()
	return BuildDrift(DriftInput{Config: cfg, Reference: ref, Current: cur,
		Timing: Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}}), nil
}
