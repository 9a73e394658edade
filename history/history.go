package history

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// Why a file of a history folder is left out of the series.
const (
	// ExcludedUnsigned is a report with no signature: a report.json with no
	// *.dsse.json beside it, or a *.dsse.json that holds a plain report.
	ExcludedUnsigned = "unsigned"
	// ExcludedTampered is an envelope that names the given key but whose
	// signature does not verify over its payload: the payload or the
	// signature was changed after signing.
	ExcludedTampered = "tampered"
	// ExcludedBadSignature is an envelope whose signature does not verify
	// with the given key and that does not name it: another key signed it,
	// or it was altered.
	ExcludedBadSignature = "bad_signature"
	// ExcludedInvalid is a file that is not a well-formed envelope of an
	// evalgate report (or could not be read).
	ExcludedInvalid = "invalid"
	// ExcludedDuplicate is an envelope with the same signed statement as a
	// file listed before it.
	ExcludedDuplicate = "duplicate"
)

// Exclusion is a file of a history folder that is not in the series, and
// why.
type Exclusion struct {
	// Path is slash-separated and relative to the folder.
	Path string `json:"path"`
	// Reason is one of the Excluded… constants.
	Reason string `json:"reason"`
	// Detail says what was found, in a sentence.
	Detail string `json:"detail"`
}

// SignedReport is a report whose envelope verified.
type SignedReport struct {
	// Path is the envelope's path, slash-separated and relative to the
	// folder.
	Path string
	// Time is the time the report is about (reports.Report.DataTime): the
	// start of its data window when it has one (a sample of production
	// logs), else when the run finished, else the statement's
	// timeVerified.
	Time time.Time
	// Report is the signed report.
	Report *reports.Report
	// EnvelopeSHA256 is the hex SHA-256 of the envelope file's bytes.
	EnvelopeSHA256 string
}

// SignedSet is what ReadSignedReports found in a folder: the reports that
// verified and the files left out.
type SignedSet struct {
	// Reports are in the order the folder was walked (lexical paths).
	Reports []SignedReport
	// Excluded are the files left out, in the same order.
	Excluded []Exclusion
	// KeyID and KeyFingerprint identify the key the reports verified with
	// (see signing.Verifier).
	KeyID, KeyFingerprint string
}

// ReadSignedReports walks fsys for signed reports: every file named
// *.dsse.json is verified with v, and every report.json with no
// *.dsse.json in its directory is listed as unsigned (a report.json beside
// an envelope is the plain copy a signed run writes, and is skipped). A
// file that does not verify is listed in Excluded with the reason, and
// nothing from its payload is used. Only an error walking the folder is
// returned as an error.
func ReadSignedReports(fsys fs.FS, v *signing.Verifier) (*SignedSet, error) {
	set := &SignedSet{KeyID: v.KeyID, KeyFingerprint: v.Fingerprint}
	var envelopes, plain []string
	signedDirs := map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch name := d.Name(); {
		case d.IsDir():
		case strings.HasSuffix(name, ".dsse.json"):
			envelopes = append(envelopes, p)
			signedDirs[path.Dir(p)] = true
		case name == "report.json":
			plain = append(plain, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read signed reports: %w", err)
	}
	seen := map[[32]byte]string{}
	for _, p := range envelopes {
		sr, ex := readSigned(fsys, p, v, seen)
		switch {
		case ex != nil:
			set.Excluded = append(set.Excluded, *ex)
		case sr.Report != nil:
			set.Reports = append(set.Reports, sr)
		}
	}
	for _, p := range plain {
		if !signedDirs[path.Dir(p)] {
			set.Excluded = append(set.Excluded, Exclusion{p, ExcludedUnsigned, "a report with no signature envelope beside it"})
		}
	}
	slices.SortFunc(set.Excluded, func(a, b Exclusion) int { return strings.Compare(a.Path, b.Path) })
	return set, nil
}

// readSigned verifies one envelope; seen maps the SHA-256 of each payload
// already read to its path.
func readSigned(fsys fs.FS, p string, v *signing.Verifier, seen map[[32]byte]string) (SignedReport, *Exclusion) {
	exclude := func(reason, format string, args ...any) (SignedReport, *Exclusion) {
		return SignedReport{}, &Exclusion{p, reason, fmt.Sprintf(format, args...)}
	}
	raw, err := inputfile.ReadFS(fsys, p, "envelope", inputfile.MaxEnvelope)
	if err != nil {
		return exclude(ExcludedInvalid, "cannot be read: %v", err)
	}
	env, err := signing.DecodeEnvelope(raw)
	if err != nil {
		var head struct {
			SchemaVersion string `json:"schema_version"`
		}
		if json.Unmarshal(raw, &head) == nil && head.SchemaVersion != "" {
			return exclude(ExcludedUnsigned, "a plain report, not a signature envelope")
		}
		return exclude(ExcludedInvalid, "%v", err)
	}
	if st, err := signing.VerifyStatement(v, raw); err == nil && (st.PredicateType == drift.PredicateType || st.PredicateType == PredicateType) {
		return SignedReport{}, nil // a signed drift report or history: evidence, but not a point on these charts
	}
	st, err := reports.VerifyReport(v, raw)
	switch {
	case errors.Is(err, signing.ErrSignature) && slices.ContainsFunc(env.Signatures, func(s signing.Signature) bool { return s.KeyID == v.KeyID }):
		return exclude(ExcludedTampered, "the envelope names key %s, but its signature does not verify over its payload: the payload or the signature was changed after signing", v.KeyID)
	case errors.Is(err, signing.ErrSignature):
		return exclude(ExcludedBadSignature, "%v", err)
	case err != nil:
		return exclude(ExcludedInvalid, "%v", err)
	}
	sum := sha256.Sum256(env.Payload)
	if first, ok := seen[sum]; ok {
		return exclude(ExcludedDuplicate, "the same signed report as %s", first)
	}
	seen[sum] = p
	r := st.Predicate.Report
	t := r.DataTime()
	if t.IsZero() {
		if t, err = time.Parse(time.RFC3339, st.Predicate.TimeVerified); err != nil {
			return exclude(ExcludedInvalid, "the report has no finish time and timeVerified %q is not RFC 3339", st.Predicate.TimeVerified)
		}
	}
	envSum := sha256.Sum256(raw)
	return SignedReport{Path: p, Time: t.UTC(), Report: r, EnvelopeSHA256: hex.EncodeToString(envSum[:])}, nil
}

// Options choose what a History charts and which reports its limits
// come from.
type Options struct {
	// Metrics are the metric paths to chart, in this order (see
	// reports.Values for the paths). Empty means the catalog's defaults
	// (reports.HistoryDefaults: the headline rates accuracy,
	// labels.accuracy, repeats.majority_accuracy, groundedness and
	// errors.rate, and the fairness gaps fairness.accuracy.gap,
	// fairness.demographic_parity_difference and
	// fairness.equalized_odds_difference), each where every report has it.
	Metrics []string
	// Reference, when above 0, fits the limits on the Reference earliest
	// reports.
	Reference int
	// Until, when not zero, fits the limits on the reports that finished at
	// or before it. Reference and Until cannot both be set; with neither,
	// the limits come from every report.
	Until time.Time
}

// History is a control chart of each metric over a series of signed
// reports.
type History struct {
	// KeyID and KeyFingerprint identify the key the reports verified with.
	KeyID, KeyFingerprint string
	// Reports are the verified reports, oldest first (by finish time, then
	// path).
	Reports []Report
	// Excluded are the files left out of the series.
	Excluded []Exclusion
	// Reference is the period the limits come from.
	Reference Reference
	// Metrics are the charts, in Options.Metrics order.
	Metrics []Metric
}

// Report identifies one report of a history.
type Report struct {
	// Path is the envelope's path relative to the folder.
	Path string
	// Time is the time the report is about, UTC: the start of its data
	// window, else when the run finished.
	Time time.Time
	// Model is the candidate's NAME@VERSION.
	Model string
	// Verdict is the report's ALLOW or BLOCK.
	Verdict string
	// Dataset is the eval set's name and version.
	Dataset string
	// ResultsSHA256 is the digest of the candidate's results file, which
	// with Time identifies the run.
	ResultsSHA256 string
	// EnvelopeSHA256 is the hex SHA-256 of the report's envelope file (a
	// subject of the signed history; not in history.json).
	EnvelopeSHA256 string
}

// How a reference period was chosen.
const (
	ReferenceAll   = "all"
	ReferenceFirst = "first"
	ReferenceUntil = "until"
)

// Reference is the period a history's limits come from: always the
// earliest Reports reports.
type Reference struct {
	// By is ReferenceAll, ReferenceFirst (Options.Reference) or
	// ReferenceUntil (Options.Until).
	By string
	// Reports is how many of the earliest reports the period holds, ≥ 1.
	Reports int
	// Until is Options.Until when By is ReferenceUntil.
	Until time.Time
	// From and To are the finish times of the first and last reference
	// reports.
	From, To time.Time
}

// String describes the period: "all 12 reports, 2026-01-05 to 2026-03-23".
func (r Reference) String() string {
	span := r.From.Format(time.DateOnly) + " to " + r.To.Format(time.DateOnly)
	switch r.By {
	case ReferenceFirst:
		return fmt.Sprintf("the first %d reports, %s", r.Reports, span)
	case ReferenceUntil:
		return fmt.Sprintf("the %d reports up to %s, %s", r.Reports, r.Until.UTC().Format(time.RFC3339), span)
	}
	return fmt.Sprintf("all %d reports, %s", r.Reports, span)
}

// Metric is one metric's control chart.
type Metric struct {
	// Metric is the metric path.
	Metric string
	// Chart is a p-chart when the catalog charts the metric as a rate and
	// every report that has it also gives its count of trials (see
	// reports.Counts), an individuals chart otherwise.
	Chart metrics.ControlChart
	// Reports holds, for each chart point, the index of its report in
	// History.Reports; a report without the metric has no point.
	Reports []int
}

// Errors of New, for errors.Is.
var (
	// ErrNoReports marks a history with no verified report.
	ErrNoReports = errors.New("no verified report")
	// ErrOptions marks options the reports cannot satisfy: a
	// reference period with no report, a metric in no report.
	ErrOptions = errors.New("history options")
)

// New orders the verified reports by finish time and fits a control
// chart to each metric, with the limits from the reference period opt
// chooses.
func New(set *SignedSet, opt Options) (*History, error) {
	reps := slices.Clone(set.Reports)
	if len(reps) == 0 {
		return nil, fmt.Errorf("history: %w", ErrNoReports)
	}
	slices.SortStableFunc(reps, func(a, b SignedReport) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Path, b.Path))
	})
	h := &History{KeyID: set.KeyID, KeyFingerprint: set.KeyFingerprint, Excluded: slices.Clone(set.Excluded)}
	for _, sr := range reps {
		r := sr.Report
		h.Reports = append(h.Reports, Report{Path: sr.Path, Time: sr.Time, Model: reports.ModelIdentity(r.Candidate), Verdict: r.Verdict,
			Dataset: strings.TrimSpace(r.Dataset.Name + " " + r.Dataset.Version), ResultsSHA256: r.Candidate.ResultsSHA256, EnvelopeSHA256: sr.EnvelopeSHA256})
	}
	ref, err := referencePeriod(h.Reports, opt)
	if err != nil {
		return nil, err
	}
	h.Reference = ref
	values := make([]map[string]reports.Value, len(reps))
	counts := make([]map[string]metrics.Proportion, len(reps))
	for i, sr := range reps {
		values[i], counts[i] = reports.Values(sr.Report), reports.Counts(sr.Report)
	}
	names := opt.Metrics
	if len(names) == 0 {
		if names = defaultHistoryMetrics(values); len(names) == 0 {
			return nil, fmt.Errorf("history: %w: no default metric is in every report; name some with Metrics", ErrOptions)
		}
	}
	for _, name := range names {
		m, err := metricHistory(name, values, counts, ref.Reports)
		if err != nil {
			return nil, err
		}
		h.Metrics = append(h.Metrics, m)
	}
	return h, nil
}

func referencePeriod(reps []Report, opt Options) (Reference, error) {
	ref := Reference{By: ReferenceAll, Reports: len(reps)}
	switch {
	case opt.Reference < 0:
		return ref, fmt.Errorf("history: %w: reference %d reports; want 1 or more", ErrOptions, opt.Reference)
	case opt.Reference > 0 && !opt.Until.IsZero():
		return ref, fmt.Errorf("history: %w: a reference period by count and by date at once", ErrOptions)
	case opt.Reference > len(reps):
		return ref, fmt.Errorf("history: %w: reference %d reports, and only %d verified", ErrOptions, opt.Reference, len(reps))
	case opt.Reference > 0:
		ref.By, ref.Reports = ReferenceFirst, opt.Reference
	case !opt.Until.IsZero():
		n := 0
		for n < len(reps) && !reps[n].Time.After(opt.Until) {
			n++
		}
		if n == 0 {
			return ref, fmt.Errorf("history: %w: no report finished by %s; the first finished %s", ErrOptions, opt.Until.UTC().Format(time.RFC3339), reps[0].Time.Format(time.RFC3339))
		}
		ref.By, ref.Reports, ref.Until = ReferenceUntil, n, opt.Until
	}
	ref.From, ref.To = reps[0].Time, reps[ref.Reports-1].Time
	return ref, nil
}

// metricHistory fits the chart of one metric; refReports is how many of
// the earliest reports are the reference period.
func metricHistory(name string, values []map[string]reports.Value, counts []map[string]metrics.Proportion, refReports int) (Metric, error) {
	m := Metric{Metric: name}
	var x []float64
	var k, n []int
	withCounts, ref := true, 0
	for i := range values {
		v, ok := values[i][name]
		if !ok || math.IsNaN(v.V) || math.IsInf(v.V, 0) {
			continue
		}
		c, ok := counts[i][name]
		withCounts = withCounts && ok && c.N > 0
		m.Reports = append(m.Reports, i)
		x, k, n = append(x, v.V), append(k, c.K), append(n, c.N)
		if i < refReports {
			ref++
		}
	}
	switch {
	case len(m.Reports) == 0:
		return m, fmt.Errorf("history: %w: metric %q is in none of the %d reports (evalgate gate --list-metrics lists metric paths)", ErrOptions, name, len(values))
	case ref == 0:
		return m, fmt.Errorf("history: %w: metric %q has no value in the reference period", ErrOptions, name)
	}
	var err error
	if withCounts {
		m.Chart, err = metrics.PChart(k, n, ref)
	} else {
		m.Chart, err = metrics.XmRChart(x, ref)
	}
	if err != nil {
		return m, fmt.Errorf("history: metric %q: %w", name, err)
	}
	if missing := len(values) - len(m.Reports); missing > 0 {
		m.Chart.Warnings = append(m.Chart.Warnings, fmt.Errorf("%d of the %d reports have no value for %s", missing, len(values), name))
	}
	return m, nil
}

// defaultHistoryMetrics picks the default metrics (see
// Options.Metrics) that every report has.
func defaultHistoryMetrics(values []map[string]reports.Value) []string {
	var out []string
	for _, p := range reports.HistoryDefaults() {
		if !slices.ContainsFunc(values, func(v map[string]reports.Value) bool { x, ok := v[p]; return !ok || math.IsNaN(x.V) }) {
			out = append(out, p)
		}
	}
	return out
}

func (h *History) position(m Metric, p metrics.ControlPoint) reports.ControlPosition {
	return reports.ControlPosition{Metric: m.Metric, Chart: m.Chart.Kind, Value: p.Value, N: p.N, LCL: p.LCL, Center: m.Chart.Center, UCL: p.UCL,
		Signals: p.Signals, Reference: h.Reference.String()}
}

// Latest returns the newest report's position on each chart that has a
// point for it.
func (h *History) Latest() []reports.ControlPosition {
	var out []reports.ControlPosition
	newest := len(h.Reports) - 1
	for _, m := range h.Metrics {
		if j := len(m.Reports) - 1; j >= 0 && m.Reports[j] == newest {
			out = append(out, h.position(m, m.Chart.Points[j]))
		}
	}
	return out
}

// Position returns r's position on each of h's charts, for a run's
// report to show where this week sits. When r is one of h's reports (same
// finish time and results digest) its points are returned as charted;
// otherwise r is judged as a new point placed by its finish time after the
// reports that finished before it, against h's limits (which it does not
// change). Metrics r lacks, or whose count of trials it lacks on a
// p-chart, are left out.
func Position(h *History, r *reports.Report) []reports.ControlPosition {
	values, counts := reports.Values(r), reports.Counts(r)
	at := r.DataTime()
	self := slices.IndexFunc(h.Reports, func(hr Report) bool {
		return hr.ResultsSHA256 != "" && hr.ResultsSHA256 == r.Candidate.ResultsSHA256 && hr.Time.Equal(at)
	})
	var out []reports.ControlPosition
	for _, m := range h.Metrics {
		if j := slices.Index(m.Reports, self); self >= 0 && j >= 0 {
			out = append(out, h.position(m, m.Chart.Points[j]))
			continue
		}
		v, ok := values[m.Metric]
		if !ok || math.IsNaN(v.V) || math.IsInf(v.V, 0) {
			continue
		}
		x, n := v.V, 0
		if m.Chart.Kind == metrics.ChartP {
			c, ok := counts[m.Metric]
			if !ok {
				continue
			}
			x, n = float64(c.K)/float64(c.N), c.N
		}
		before := 0
		for before < len(m.Reports) && !h.Reports[m.Reports[before]].Time.After(at) {
			before++
		}
		chart := m.Chart
		chart.Points = chart.Points[:before]
		out = append(out, h.position(m, chart.Next(x, n)))
	}
	return out
}
