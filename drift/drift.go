package drift

// The drift report: how two Parquet files — eval sets, results files or
// production logs — differ in distribution, feature by feature, with the
// thresholds and gate rules of a config applied.

import (
	"context"
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
	"github.com/evalgate/evalgate/reports"
)

// SchemaVersion is the version of drift.json's layout. It changes
// whenever a field is renamed or removed or its meaning changes.
const SchemaVersion = "1"

// Drift statuses, of a feature and of a whole report: ok below
// drift.psi_warn, warn from drift.psi_warn, alert from drift.psi_alert.
const (
	OK    = "ok"
	Warn  = "warn"
	Alert = "alert"
)

// Feature kinds.
const (
	FeatureNumeric     = "numeric"
	FeatureCategorical = "categorical"
)

// Feature is one feature evalgate drift compares.
type Feature struct {
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
func (f Feature) Measure() string {
	switch {
	case f.Length:
		return "length in characters"
	case f.Kind == FeatureNumeric:
		return "value"
	}
	return "category"
}

// Features lists the features evalgate drift compares under cfg
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
func Features(cfg *configs.Config) []Feature {
	feats := []Feature{
		{Name: "input_length", Kind: FeatureNumeric, Columns: []string{"input"}, Length: true},
		{Name: "output_length", Kind: FeatureNumeric, Columns: []string{"output"}, Length: true},
		{Name: "latency_ms", Kind: FeatureNumeric, Columns: []string{"latency_ms"}},
		{Name: "confidence", Kind: FeatureNumeric, Columns: []string{"confidence"}},
	}
	add := func(f Feature) {
		if !slices.ContainsFunc(feats, func(g Feature) bool { return g.Name == f.Name }) {
			feats = append(feats, f)
		}
	}
	if cfg != nil {
		for _, c := range cfg.Drift.Numeric {
			add(Feature{Name: c, Kind: FeatureNumeric, Columns: []string{c}})
		}
	}
	add(Feature{Name: "task", Kind: FeatureCategorical, Columns: []string{"task"}})
	if cfg != nil {
		for _, c := range slices.Concat(cfg.Fairness.Groups, cfg.Drift.Categorical) {
			add(Feature{Name: c, Kind: FeatureCategorical, Columns: []string{c}})
		}
	}
	add(Feature{Name: "model_version", Kind: FeatureCategorical, Columns: []string{"model_version", "model"}})
	if cfg != nil && cfg.Scoring.Method == configs.MethodLabel {
		add(Feature{Name: "label", Kind: FeatureCategorical, Columns: []string{"output"}})
	}
	return feats
}

// Tally is what one file holds of each feature, tallied as the file
// streams past: a metrics.Sample per numeric feature and the counts of a
// categorical one. Its memory grows with the distinct values (see
// metrics.Sample and metrics.Categories), not with the rows.
type Tally struct {
	// Info describes the file: path, SHA-256, size, rows.
	Info     datasets.Info
	features []Feature
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

// ctxCheckEvery is how many batches TallyFile reads between looks at
// its context.
const ctxCheckEvery = 64

// TallyFile streams the file at path and tallies each feature from the
// first of its columns the file has; a feature whose column is absent,
// or of the wrong type, is noted and left out. It stops with ctx's error
// when ctx is done. Errors about the file wrap a *datasets.RowError.
func TallyFile(ctx context.Context, path string, features []Feature) (*Tally, error) {
	r, err := datasets.OpenColumns(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t := &Tally{Info: r.Info(), features: features, sides: make([]featureTally, len(features))}
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
func (t *Tally) add(fi int, b *datasets.ColumnBatch) {
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

// Input is what Build builds a report from.
type Input struct {
	// Config supplies the thresholds (drift.psi_warn, drift.psi_alert,
	// drift.bins) and the gate rules on drift.* paths; nil means the
	// defaults and no rules.
	Config *configs.Config
	// Reference and Current were tallied over the same features.
	Reference, Current *Tally
	Timing             reports.Timing
}

// Report is the result of evalgate drift, the content of drift.json.
type Report struct {
	// SchemaVersion is SchemaVersion at the time of writing.
	SchemaVersion string `json:"schema_version"`
	// Status is the worst status of any compared feature: ok, warn or
	// alert.
	Status string `json:"status"`
	// Verdict is BLOCK when a gate rule on a drift.* path failed (or could
	// not be evaluated and is not optional), ALLOW otherwise, including
	// when there are no such rules: an alert alone does not block.
	Verdict string `json:"verdict"`
	// reports.Harness identifies the evalgate that wrote the report.
	Harness reports.Harness `json:"harness"`
	// Config identifies the config, when one was given.
	Config *reports.ConfigInfo `json:"config,omitempty"`
	// Reference and Current identify the two files.
	Reference File `json:"reference"`
	Current   File `json:"current"`
	// Thresholds are the PSI thresholds and bin count applied.
	Thresholds Thresholds `json:"thresholds"`
	// Method says how every number was computed.
	Method Method `json:"method"`
	// Features are the compared features, in Features order.
	Features []FeatureDrift `json:"features"`
	// Skipped are the features that could not be compared, and why.
	Skipped []SkippedFeature `json:"skipped"`
	// Gate holds the config's rules on drift.* paths with their outcomes.
	Gate reports.Gate `json:"gate"`
	// OtherRules counts the config's gate rules on other paths, which
	// evalgate run applies and evalgate drift does not.
	OtherRules int `json:"other_rules"`
	// Controls maps the drift section to the audit controls it gives
	// evidence for, in report.json's shape.
	Controls map[string][]reports.Control `json:"controls,omitempty"`
	// Timing holds the wall-clock times, the only fields that differ
	// between two runs over the same files.
	Timing reports.Timing `json:"timing"`
}

// File identifies one compared file.
type File struct {
	// Path is the file's path as given on the command line.
	Path string `json:"path"`
	// SHA256 is the lowercase hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Size is in bytes; Rows is the number of rows.
	Size int64 `json:"size"`
	Rows int64 `json:"rows"`
}

// Thresholds are the PSI thresholds (drift.psi_warn,
// drift.psi_alert) and the number of numeric bins (drift.bins).
type Thresholds struct {
	// PSIWarn and PSIAlert are PSI values, PSIWarn ≤ PSIAlert.
	PSIWarn  float64 `json:"psi_warn"`
	PSIAlert float64 `json:"psi_alert"`
	// Bins is the number of reference-quantile bins requested, 2 to 1000.
	Bins int `json:"bins"`
}

// Method states how the report's numbers were computed.
type Method struct {
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

func method() Method {
	return Method{
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
	// Name is the feature's name, as in Feature and gate paths.
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
	// Name and Kind are the feature's, as in Feature.
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Reason says, per file, why it could not be read.
	Reason string `json:"reason"`
}

// status classifies a PSI value under th.
func status(psi float64, th Thresholds) string {
	switch {
	case psi >= th.PSIAlert:
		return Alert
	case psi >= th.PSIWarn:
		return Warn
	}
	return OK
}

// statusRank orders statuses from ok to alert.
func statusRank(s string) int { return slices.Index([]string{OK, Warn, Alert}, s) }

// Build compares in.Current against in.Reference feature by
// feature, classifies each by PSI, applies the config's drift.* gate
// rules and returns the report. It does no I/O.
func Build(in Input) *Report {
	cfg := in.Config
	th := Thresholds{PSIWarn: 0.1, PSIAlert: 0.2, Bins: 10}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Status:        OK,
		Harness:       reports.Harness{Name: "evalgate", Version: reports.Version},
		Reference:     fileOf(in.Reference.Info),
		Current:       fileOf(in.Current.Info),
		Method:        method(),
		Features:      []FeatureDrift{},
		Skipped:       []SkippedFeature{},
		Controls:      map[string][]reports.Control{reports.SectionDrift: reports.SectionControls(reports.SectionDrift)},
		Timing:        in.Timing,
	}
	if cfg != nil {
		th = Thresholds{PSIWarn: cfg.Drift.PSIWarn, PSIAlert: cfg.Drift.PSIAlert, Bins: cfg.Drift.Bins}
		r.Config = &reports.ConfigInfo{Path: cfg.Path, SHA256: cfg.SHA256}
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
		fd.Status = status(fd.PSI, th)
		if statusRank(fd.Status) > statusRank(r.Status) {
			r.Status = fd.Status
		}
		r.Features = append(r.Features, fd)
	}
	var rules []configs.Rule
	if cfg != nil {
		rules, r.OtherRules = reports.RulesFor(reports.DocDrift, cfg.Gate)
	}
	applyGate(r, rules)
	return r
}

func fileOf(info datasets.Info) File {
	return File{Path: info.Path, SHA256: info.SHA256, Size: info.Size, Rows: info.Rows}
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

// Statistics a drift gate rule may name per feature: drift.<feature>.<stat>
// (the catalog, reports.Catalog, documents each).
const (
	StatPSI         = "psi"
	StatKSStatistic = "ks_statistic"
	StatKSPValue    = "ks_pvalue"
	StatChi2        = "chi2_statistic"
	StatChi2PValue  = "chi2_pvalue"
)

// Whole-report drift metric paths.
const (
	PSIMax     = "drift.psi.max"
	AlertCount = "drift.alert_count"
	WarnCount  = "drift.warn_count"
)

var stats = []string{StatPSI, StatKSStatistic, StatKSPValue, StatChi2, StatChi2PValue}

// parseMetric splits drift.<feature>.<stat>; ok is false for a path
// of another shape. The whole-report paths are not feature paths.
func parseMetric(path string) (feature, stat string, ok bool) {
	rest, found := strings.CutPrefix(path, "drift.")
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(rest, ".")
	if i <= 0 || !slices.Contains(stats, rest[i+1:]) {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// readers read each drift metric of the catalog (reports.Catalog,
// Document reports.DocDrift) from a drift report, keyed by the catalog's
// path; a test checks that the keys are exactly the catalog's drift
// paths.
var readers = map[string]func(r *Report, emit func(path string, v float64)){
	PSIMax: func(r *Report, emit func(string, float64)) {
		psiMax := math.NaN()
		for _, f := range r.Features {
			if math.IsNaN(psiMax) || f.PSI > psiMax {
				psiMax = f.PSI
			}
		}
		emit(PSIMax, psiMax)
	},
	AlertCount: func(r *Report, emit func(string, float64)) { emit(AlertCount, float64(r.count(Alert))) },
	WarnCount:  func(r *Report, emit func(string, float64)) { emit(WarnCount, float64(r.count(Warn))) },
	"drift.<feature>." + StatPSI: func(r *Report, emit func(string, float64)) {
		for _, f := range r.Features {
			emit("drift."+f.Name+"."+StatPSI, f.PSI)
		}
	},
	"drift.<feature>." + StatKSStatistic: numeric(StatKSStatistic, func(n *metrics.NumericDrift) float64 { return n.KS.Statistic }),
	"drift.<feature>." + StatKSPValue:    numeric(StatKSPValue, func(n *metrics.NumericDrift) float64 { return n.KS.PValue }),
	"drift.<feature>." + StatChi2:        categorical(StatChi2, func(c *metrics.CategoricalDrift) float64 { return c.ChiSquare.Statistic }),
	"drift.<feature>." + StatChi2PValue:  categorical(StatChi2PValue, func(c *metrics.CategoricalDrift) float64 { return c.ChiSquare.PValue }),
}

// count counts the features of a status.
func (r *Report) count(s string) int {
	n := 0
	for _, f := range r.Features {
		if f.Status == s {
			n++
		}
	}
	return n
}

func numeric(stat string, get func(*metrics.NumericDrift) float64) func(*Report, func(string, float64)) {
	return func(r *Report, emit func(string, float64)) {
		for _, f := range r.Features {
			if f.Numeric != nil {
				emit("drift."+f.Name+"."+stat, get(f.Numeric))
			}
		}
	}
}

func categorical(stat string, get func(*metrics.CategoricalDrift) float64) func(*Report, func(string, float64)) {
	return func(r *Report, emit func(string, float64)) {
		for _, f := range r.Features {
			if f.Categorical != nil {
				emit("drift."+f.Name+"."+stat, get(f.Categorical))
			}
		}
	}
}

// Values returns every drift metric of r by path, as the catalog's
// drift paths name them. Drift metrics have no interval.
func Values(r *Report) map[string]reports.Value {
	v := map[string]reports.Value{}
	for _, m := range reports.Catalog() {
		if read := readers[m.Path]; m.Document == reports.DocDrift && read != nil {
			read(r, func(path string, x float64) { v[path] = reports.Value{V: x, Low: math.NaN(), High: math.NaN()} })
		}
	}
	return v
}

// applyGate checks rules (all on drift.* paths) against r's values with
// the one gate engine, fills r.Gate and sets r.Verdict.
func applyGate(r *Report, rules []configs.Rule) {
	r.Gate = reports.Evaluate(rules, Values(r), func(metric string) string { return hint(r, metric) })
	r.Verdict = r.Gate.Verdict()
}

// hint explains why a drift metric has no value.
func hint(r *Report, path string) string {
	if path == PSIMax {
		return " (no feature could be compared)"
	}
	feature, stat, ok := parseMetric(path)
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
func CompareFiles(ctx context.Context, cfg *configs.Config, reference, current string) (*Report, error) {
	started := time.Now().UTC()
	feats := Features(cfg)
	var ref, cur *Tally
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if ref, err = TallyFile(gctx, reference, feats); err != nil {
			return fmt.Errorf("reference: %w", err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if cur, err = TallyFile(gctx, current, feats); err != nil {
			return fmt.Errorf("current: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	finished := time.Now().UTC()
	return Build(Input{Config: cfg, Reference: ref, Current: cur,
		Timing: reports.Timing{StartedAt: started, FinishedAt: finished, Seconds: finished.Sub(started).Seconds()}}), nil
}
