package cards

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/evalgate/evalgate/approvals"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// SchemaVersion is the version of card.json's layout. It changes whenever
// a field is renamed or removed or its meaning changes.
const SchemaVersion = "1"

// Kinds of source document.
const (
	SourceReport   = "report"
	SourceDrift    = "drift"
	SourceApproval = "approval"
)

// Sentinel errors, for errors.Is.
var (
	// ErrUnverified marks a document whose signature or statement does not
	// verify, or an approval that breaks the approval rules (same key as
	// the report, another report's account): the card refuses it.
	ErrUnverified = errors.New("does not verify")
	// ErrMismatch marks reports that cannot share one card (different
	// candidate models or model artifacts), or an approval of a report
	// that is not on the card.
	ErrMismatch = errors.New("reports disagree")
	// ErrNoReport marks a card asked for with no report.
	ErrNoReport = errors.New("no report")
)

// Card is a model card: the content of card.json and the predicate of
// card.dsse.json. Its sections follow Mitchell et al., "Model Cards for
// Model Reporting" (FAT* 2019), and the Hugging Face model-card layout.
// Every number in it is copied from a signed report that Build verified;
// Sources lists those reports by the SHA-256 of their envelopes.
type Card struct {
	// SchemaVersion is SchemaVersion at the time of writing.
	SchemaVersion string `json:"schema_version"`
	// Harness identifies the evalgate that wrote the card.
	Harness reports.Harness `json:"harness"`
	// Model identifies the candidate model the reports evaluated.
	Model Model `json:"model"`
	// Use is the intended and out-of-scope use, owners and contact, from
	// the config's card block; empty without a config.
	Use Use `json:"use"`
	// Config identifies the config the Use and Limitations were read from;
	// nil without one.
	Config *Config `json:"config,omitempty"`
	// Evaluations holds one entry per signed report, in the order given.
	Evaluations []Evaluation `json:"evaluations"`
	// Drift holds one entry per signed drift report, in the order given.
	Drift []DriftStatus `json:"drift"`
	// Limitations are the config's known limitations, then every
	// statistical warning of the reports, each once, in report order.
	Limitations []Limitation `json:"limitations"`
	// Approvals is the approval trail; empty when none was given.
	Approvals []Approval `json:"approvals"`
	// Sources are the signed documents every number was copied from.
	Sources []Source `json:"sources"`
	// Controls maps each section the card has to the audit controls it
	// gives evidence for (reports.SectionControls).
	Controls map[string][]reports.Control `json:"controls"`
}

// Model is the identity of the evaluated model.
type Model struct {
	// Name and Version are the candidate's, as the reports record them;
	// Identity is NAME@VERSION.
	Name     string `json:"name"`
	Version  string `json:"version"`
	Identity string `json:"identity"`
	Provider string `json:"provider"`
	// ArtifactSHA256 is the model artifact's digest, from the signed
	// statements' "model:" subject; empty when no report names one.
	ArtifactSHA256 string `json:"artifact_sha256,omitempty"`
}

// Use is what the config's card block says (configs.Card).
type Use struct {
	IntendedUse string   `json:"intended_use"`
	OutOfScope  []string `json:"out_of_scope"`
	Owners      []string `json:"owners"`
	Contact     string   `json:"contact"`
}

// Config identifies the config the card's text came from.
type Config struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// SameAsReports is true when every report was run with this very
	// config file (equal SHA-256).
	SameAsReports bool `json:"same_as_reports"`
}

// Evaluation is what one signed report measured.
type Evaluation struct {
	// Source is the SHA-256 of the report's envelope (see Sources).
	Source string `json:"source"`
	// Evaluated is when the run finished (RFC 3339, UTC).
	Evaluated string `json:"evaluated"`
	// Verdict is ALLOW, BLOCK or NONE; Status COMPLETE or INCOMPLETE.
	Verdict string `json:"verdict"`
	Status  string `json:"status"`
	// Dataset identifies the eval set: name, version, SHA-256, rows.
	Dataset reports.DatasetInfo `json:"dataset"`
	// Config identifies the config the run used.
	Config reports.ConfigInfo `json:"config"`
	// Provenance ties the run to its commit; nil when none was recorded.
	Provenance *reports.Provenance `json:"provenance,omitempty"`
	// Accuracy is overall and per task, each with its interval.
	Accuracy metrics.Accuracy `json:"accuracy"`
	// ErrorRate is the candidate's failed calls over its calls.
	ErrorRate metrics.Proportion `json:"error_rate"`
	// Fairness is the per-group breakdown with gaps, ratios and tests.
	Fairness []metrics.FairnessColumn `json:"fairness"`
	// Groundedness, Boundaries, PII and Regression are nil when the
	// report has none.
	Groundedness *Groundedness `json:"groundedness,omitempty"`
	Boundaries   *Boundaries   `json:"boundaries,omitempty"`
	PII          *PII          `json:"pii,omitempty"`
	Regression   *Regression   `json:"regression,omitempty"`
	// Review counts the answers routed to human review; nil without.
	Review *Review `json:"review,omitempty"`
	// Gate is every rule with its outcome.
	Gate reports.Gate `json:"gate"`
}

// Groundedness is the report's groundedness without the hallucinated
// answers' text (which report.json and review.parquet hold).
type Groundedness struct {
	Method       string                         `json:"method"`
	Rate         metrics.Proportion             `json:"rate"`
	Abstained    int                            `json:"abstained"`
	Hallucinated int                            `json:"hallucinated"`
	Errors       int                            `json:"errors"`
	ByTask       []integrity.GroundednessSlice  `json:"by_task"`
	ByGroup      []integrity.GroundednessColumn `json:"by_group"`
}

// Boundaries is the count of output rules broken, by rule.
type Boundaries struct {
	Checked        int                           `json:"checked"`
	Violations     int                           `json:"violations"`
	ViolatingItems int                           `json:"violating_items"`
	Rules          []integrity.BoundaryRuleCount `json:"rules"`
}

// PII is how personal data was found and handled.
type PII struct {
	// Redacted is set when every file the run wrote had personal data
	// replaced by typed placeholders.
	Redacted bool `json:"redacted"`
	// Summary counts the values found by kind and location.
	Summary integrity.PIISummary `json:"summary"`
}

// Regression compares the candidate with the production model on the
// items both answered.
type Regression struct {
	// Production is the production model's NAME@VERSION.
	Production string `json:"production"`
	Pairs      int    `json:"pairs"`
	// Candidate and Baseline are the accuracies over the pairs.
	Candidate metrics.Proportion `json:"candidate"`
	Baseline  metrics.Proportion `json:"baseline"`
	// Delta is Candidate − Baseline with its paired bootstrap interval.
	Delta metrics.Estimate `json:"delta"`
	// McNemarP is the exact McNemar p-value; null when undefined.
	McNemarP *float64           `json:"mcnemar_p"`
	Counts   metrics.PairCounts `json:"counts"`
}

// Review counts the answers routed to people.
type Review struct {
	Routed   int                     `json:"routed"`
	ByReason []integrity.ReasonCount `json:"by_reason"`
}

// DriftStatus is what one signed drift report found.
type DriftStatus struct {
	// Source is the SHA-256 of the drift report's envelope.
	Source string `json:"source"`
	// Compared is when the comparison finished (RFC 3339, UTC).
	Compared string `json:"compared"`
	// Status is ok, warn or alert; Verdict ALLOW or BLOCK.
	Status  string `json:"status"`
	Verdict string `json:"verdict"`
	// Reference and Current identify the compared files.
	Reference drift.File `json:"reference"`
	Current   drift.File `json:"current"`
	// Features are the compared features' names, status and PSI.
	Features []DriftFeature `json:"features"`
}

// DriftFeature is one compared feature's outcome.
type DriftFeature struct {
	Name   string  `json:"name"`
	Status string  `json:"status"`
	PSI    float64 `json:"psi"`
}

// Limitation is one known limitation or statistical caveat.
type Limitation struct {
	// Origin is "config" for the config's limitations, else the report
	// section the warning belongs to (accuracy, fairness, …).
	Origin string `json:"origin"`
	Text   string `json:"text"`
}

// Approval is one verified decision on a source report: approve, reject
// or override (approvals.Record).
type Approval struct {
	// Source is the SHA-256 of the approval's envelope; Report the SHA-256
	// of the report envelope it decides on.
	Source        string `json:"source"`
	Report        string `json:"report"`
	Decision      string `json:"decision"`
	Justification string `json:"justification,omitempty"`
	Approver      string `json:"approver"`
	Time          string `json:"time"`
	Reference     string `json:"reference,omitempty"`
	// Verdict is the verdict of the report decided on, as the approval
	// records it (checked against the report).
	Verdict string `json:"verdict"`
	// ApproverFingerprint is the SHA-256 of the approver's PKIX public
	// key, a key other than the one that signed the report.
	ApproverFingerprint string `json:"approver_fingerprint"`
}

// Source is one signed document the card was built from.
type Source struct {
	// Kind is SourceReport, SourceDrift or SourceApproval.
	Kind string `json:"kind"`
	// Name is the envelope's file name, unique among the sources.
	Name string `json:"name"`
	// SHA256 is the SHA-256 of the envelope's bytes.
	SHA256 string `json:"sha256"`
	// KeyFingerprint is the SHA-256 of the PKIX public key that verified it.
	KeyFingerprint string `json:"key_fingerprint"`
}

// Document is a signed envelope as read from a file.
type Document struct {
	// Path names the file, in messages and (its base name) in Sources.
	Path string
	// Envelope is the file's bytes.
	Envelope []byte
}

// Inputs is what Build makes a card from.
type Inputs struct {
	// Key verifies the reports; DriftKey the drift reports (nil: Key).
	Key, DriftKey *signing.Verifier
	// Reports are signed reports (report.dsse.json) of one candidate
	// model; at least one.
	Reports []Document
	// Drift are signed drift reports (drift.dsse.json); may be empty.
	Drift []Document
	// Approvals are signed approvals (evalgate approve) of the Reports;
	// each must verify under one of Approvers, keys other than Key.
	Approvals []Document
	Approvers []*signing.Verifier
	// Config, when set, gives the card block; nil leaves Use empty.
	Config *configs.Config
}

// Build verifies every document of in and makes the card. A document that
// does not verify is an error wrapping ErrUnverified and naming its file;
// reports of different candidate models or artifacts are an error wrapping
// ErrMismatch. Nothing in the card is taken from an unverified byte.
func Build(in Inputs) (*Card, error) {
	if len(in.Reports) == 0 {
		return nil, fmt.Errorf("build card: %w", ErrNoReport)
	}
	if in.Key == nil {
		return nil, errors.New("build card: no report key")
	}
	c := &Card{
		SchemaVersion: SchemaVersion,
		Harness:       reports.Harness{Name: "evalgate", Version: reports.Version},
		Evaluations:   []Evaluation{},
		Drift:         []DriftStatus{},
		Limitations:   []Limitation{},
		Approvals:     []Approval{},
		Use:           Use{OutOfScope: []string{}, Owners: []string{}},
	}
	names := map[string]bool{}
	addSource := func(kind string, d Document, v *signing.Verifier) string {
		s := Source{Kind: kind, Name: uniqueName(names, filepath.Base(d.Path)), SHA256: sha256Hex(d.Envelope), KeyFingerprint: v.Fingerprint}
		c.Sources = append(c.Sources, s)
		return s.SHA256
	}
	for i, d := range in.Reports {
		st, err := reports.VerifyReport(in.Key, d.Envelope)
		if err != nil {
			return nil, fmt.Errorf("build card: report %s: %w: %w", d.Path, ErrUnverified, err)
		}
		r := st.Predicate.Report
		artifact := artifactDigest(st.Subject)
		if i == 0 {
			c.Model = Model{Name: r.Candidate.Model, Version: r.Candidate.Version, Identity: reports.ModelIdentity(r.Candidate), Provider: r.Candidate.Provider, ArtifactSHA256: artifact}
		} else {
			if id := reports.ModelIdentity(r.Candidate); id != c.Model.Identity {
				return nil, fmt.Errorf("build card: report %s: %w: it is for model %s, %s is for %s", d.Path, ErrMismatch, id, in.Reports[0].Path, c.Model.Identity)
			}
			switch {
			case artifact == "":
			case c.Model.ArtifactSHA256 == "":
				c.Model.ArtifactSHA256 = artifact
			case artifact != c.Model.ArtifactSHA256:
				return nil, fmt.Errorf("build card: report %s: %w: its model artifact is sha256 %s, another report's %s", d.Path, ErrMismatch, artifact, c.Model.ArtifactSHA256)
			}
		}
		src := addSource(SourceReport, d, in.Key)
		c.Evaluations = append(c.Evaluations, evaluation(src, st))
		c.Limitations = append(c.Limitations, warnings(r)...)
	}
	dk := cmp.Or(in.DriftKey, in.Key)
	for _, d := range in.Drift {
		st, err := drift.Verify(dk, d.Envelope)
		if err != nil {
			return nil, fmt.Errorf("build card: drift report %s: %w: %w", d.Path, ErrUnverified, err)
		}
		c.Drift = append(c.Drift, driftStatus(addSource(SourceDrift, d, dk), st))
	}
	for _, d := range in.Approvals {
		a, v, err := verifyApproval(d, in)
		if err != nil {
			return nil, fmt.Errorf("build card: approval %s: %w", d.Path, err)
		}
		a.Source = addSource(SourceApproval, d, v)
		c.Approvals = append(c.Approvals, a)
	}
	if cfg := in.Config; cfg != nil {
		c.Config = &Config{Path: cfg.Path, SHA256: cfg.SHA256, SameAsReports: true}
		for _, e := range c.Evaluations {
			if e.Config.SHA256 != cfg.SHA256 {
				c.Config.SameAsReports = false
			}
		}
		c.Use = Use{IntendedUse: cfg.Card.IntendedUse, OutOfScope: nonNil(cfg.Card.OutOfScope), Owners: nonNil(cfg.Card.Owners), Contact: cfg.Card.Contact}
		var fromConfig []Limitation
		for _, l := range cfg.Card.Limitations {
			fromConfig = append(fromConfig, Limitation{Origin: "config", Text: l})
		}
		c.Limitations = append(fromConfig, c.Limitations...)
	}
	c.Limitations = dedupe(c.Limitations)
	c.Controls = c.controls()
	return c, nil
}

// verifyApproval verifies an approval under the first of in.Approvers
// that signed it, and checks it against the report it names, which must be
// one of in.Reports (approvals.Check). A valid rejection is kept: the
// trail records every decision, not only those that permit promotion.
func verifyApproval(d Document, in Inputs) (Approval, *signing.Verifier, error) {
	if len(in.Approvers) == 0 {
		return Approval{}, nil, fmt.Errorf("%w: no approver key to verify it with", ErrUnverified)
	}
	var rec *approvals.Record
	var v *signing.Verifier
	var errs []error
	for _, k := range in.Approvers {
		r, err := approvals.Verify(k, d.Envelope)
		if err == nil {
			rec, v = r, k
			break
		}
		errs = append(errs, fmt.Errorf("key %s: %w", k.KeyID, err))
	}
	if rec == nil {
		return Approval{}, nil, fmt.Errorf("%w: %w", ErrUnverified, errors.Join(errs...))
	}
	i := slices.IndexFunc(in.Reports, func(r Document) bool { return sha256Hex(r.Envelope) == rec.Report.EnvelopeSHA256 })
	if i < 0 {
		return Approval{}, nil, fmt.Errorf("%w: it decides on the report envelope with sha256 %s, which is not among the card's reports", ErrMismatch, rec.Report.EnvelopeSHA256)
	}
	if err := approvals.Check(rec, in.Reports[i].Envelope, in.Key, approvals.CheckOptions{Approvers: in.Approvers}); err != nil && !errors.Is(err, approvals.ErrNotPermitted) {
		return Approval{}, nil, fmt.Errorf("%w: %w", ErrUnverified, err)
	}
	return Approval{
		Report:              rec.Report.EnvelopeSHA256,
		Decision:            rec.Decision,
		Justification:       rec.Justification,
		Approver:            rec.Approver,
		Time:                rec.Time.UTC().Format(time.RFC3339),
		Reference:           rec.Reference,
		Verdict:             rec.Report.Verdict,
		ApproverFingerprint: rec.ApproverFingerprint,
	}, v, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// evaluation copies what the card shows of one verified report.
func evaluation(src string, st *reports.Statement) Evaluation {
	r := st.Predicate.Report
	e := Evaluation{
		Source:     src,
		Evaluated:  st.Predicate.TimeVerified,
		Verdict:    r.Verdict,
		Status:     r.Status,
		Dataset:    r.Dataset,
		Config:     r.Config,
		Provenance: st.Predicate.Provenance,
		Accuracy:   r.Metrics.Accuracy,
		ErrorRate:  r.Candidate.ErrorRate,
		Fairness:   r.Metrics.Fairness,
		Gate:       r.Gate,
	}
	if e.Fairness == nil {
		e.Fairness = []metrics.FairnessColumn{}
	}
	if g := r.Metrics.Groundedness; g != nil {
		e.Groundedness = &Groundedness{Method: g.Method, Rate: g.Rate, Abstained: g.Abstained, Hallucinated: len(g.Hallucinated), Errors: g.Errors, ByTask: g.ByTask, ByGroup: g.ByGroup}
	}
	if b := r.Metrics.Boundaries; b != nil {
		e.Boundaries = &Boundaries{Checked: b.Checked, Violations: b.Violations, ViolatingItems: b.ViolatingItems, Rules: b.Rules}
	}
	if p := r.Metrics.PII; p != nil {
		e.PII = &PII{Redacted: r.Redacted, Summary: *p}
	}
	if g := r.Metrics.Regression; g != nil && r.Production != nil {
		e.Regression = &Regression{
			Production: reports.ModelIdentity(*r.Production),
			Pairs:      g.Pairs,
			Candidate:  g.Candidate,
			Baseline:   g.Baseline,
			Delta:      metrics.Estimate{Value: g.Delta, Low: g.DeltaLow, High: g.DeltaHigh},
			McNemarP:   metrics.Finite(g.McNemarP),
			Counts:     g.Counts,
		}
	}
	if rv := r.Review; rv != nil {
		e.Review = &Review{Routed: rv.Routed, ByReason: rv.ByReason}
	}
	return e
}

// warnings lists a report's statistical caveats, by section.
func warnings(r *reports.Report) []Limitation {
	var out []Limitation
	add := func(origin string, ws metrics.Warnings) {
		for _, w := range ws {
			out = append(out, Limitation{Origin: origin, Text: w.Error()})
		}
	}
	if r.Status != reports.Complete {
		out = append(out, Limitation{Origin: reports.SectionRun, Text: "the run was INCOMPLETE: " + r.StatusReason})
	}
	add(reports.SectionAccuracy, r.Metrics.Accuracy.Warnings)
	for _, f := range r.Metrics.Fairness {
		add(reports.SectionFairness, f.Warnings)
	}
	if g := r.Metrics.Regression; g != nil {
		add(reports.SectionRegression, g.Warnings)
	}
	if g := r.Metrics.Groundedness; g != nil {
		add(reports.SectionGroundedness, g.Warnings)
	}
	return out
}

func driftStatus(src string, st *drift.Statement) DriftStatus {
	r := st.Drift.Report
	d := DriftStatus{Source: src, Compared: st.Drift.TimeVerified, Status: r.Status, Verdict: r.Verdict, Reference: r.Reference, Current: r.Current, Features: []DriftFeature{}}
	for _, f := range r.Features {
		d.Features = append(d.Features, DriftFeature{Name: f.Name, Status: f.Status, PSI: f.PSI})
	}
	return d
}

// controls maps each section the card has to its controls.
func (c *Card) controls() map[string][]reports.Control {
	has := map[string]bool{reports.SectionRun: true, reports.SectionSignature: true}
	for _, e := range c.Evaluations {
		has[reports.SectionAccuracy] = has[reports.SectionAccuracy] || e.Accuracy.Overall.N > 0
		has[reports.SectionFairness] = has[reports.SectionFairness] || len(e.Fairness) > 0
		has[reports.SectionRegression] = has[reports.SectionRegression] || e.Regression != nil
		has[reports.SectionGroundedness] = has[reports.SectionGroundedness] || e.Groundedness != nil
		has[reports.SectionBoundaries] = has[reports.SectionBoundaries] || e.Boundaries != nil
		has[reports.SectionPII] = has[reports.SectionPII] || e.PII != nil
		has[reports.SectionReview] = has[reports.SectionReview] || e.Review != nil
	}
	has[reports.SectionDrift] = len(c.Drift) > 0
	has[reports.SectionApproval] = len(c.Approvals) > 0
	out := map[string][]reports.Control{}
	for _, s := range reports.Sections() {
		if has[s] {
			out[s] = reports.SectionControls(s)
		}
	}
	return out
}

// artifactDigest is the digest of a statement's "model:" subject.
func artifactDigest(subjects []signing.Subject) string {
	for _, s := range subjects {
		if strings.HasPrefix(s.Name, "model:") {
			return s.Digest["sha256"]
		}
	}
	return ""
}

// uniqueName returns name, or name with a numeric suffix when taken.
func uniqueName(taken map[string]bool, name string) string {
	n := name
	for i := 2; taken[n]; i++ {
		n = fmt.Sprintf("%s#%d", name, i)
	}
	taken[n] = true
	return n
}

func dedupe(ls []Limitation) []Limitation {
	seen := map[Limitation]bool{}
	out := []Limitation{}
	for _, l := range ls {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// WriteJSON writes c as indented JSON followed by a newline: card.json.
// The same card always gives the same bytes.
func WriteJSON(w io.Writer, c *Card) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode card: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadJSON decodes a card written by WriteJSON. A card of another schema
// version, or with a field this evalgate does not know, is an error.
func ReadJSON(r io.Reader) (*Card, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c Card
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decode card: %w", err)
	}
	if c.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("decode card: schema_version %q, this evalgate reads %q", c.SchemaVersion, SchemaVersion)
	}
	return &c, nil
}
