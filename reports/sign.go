package reports

// Signing a promotion report: an in-toto Statement whose predicate is the
// report, signed through the signing package.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalgate/evalgate/signing"
)

// PredicateType identifies evalgate's report predicate: the whole report
// plus SLSA Verification Summary-style verdict fields.
const PredicateType = "https://github.com/evalgate/evalgate/report/v1"

// Statement is an in-toto Statement v1 whose predicate is a report.
type Statement struct {
	Type          string            `json:"_type"`
	Subject       []signing.Subject `json:"subject"`
	PredicateType string            `json:"predicateType"`
	Predicate     Predicate         `json:"predicate"`
}

// Predicate is what evalgate attests: the report, with the verdict also in
// the field names of an SLSA Verification Summary Attestation, so that
// policy engines that read VSAs can read it.
type Predicate struct {
	Verifier signing.VSAVerifier `json:"verifier"`
	// TimeVerified is when the run finished (RFC 3339, UTC).
	TimeVerified string `json:"timeVerified"`
	// ResourceURI names the candidate model: evalgate:model/<model>@<version>.
	ResourceURI string `json:"resourceUri"`
	// Policy is the config, whose gate rules the verdict applied.
	Policy signing.Policy `json:"policy"`
	// VerificationResult is PASSED for ALLOW and FAILED for BLOCK.
	VerificationResult string `json:"verificationResult"`
	// Report is the whole report, as in report.json.
	Report *Report `json:"report"`
	// Provenance ties the report to its commit and CI run; nil in
	// statements signed before evalgate recorded it.
	Provenance *Provenance `json:"provenance,omitempty"`
}

// NewStatement returns the in-toto Statement for r. The subjects are the
// candidate's results file, the production results file when there is one,
// the dataset and the config, each by SHA-256, and the model artifact when
// artifactSHA256 (configs.Model.ArtifactSHA256) is set. Subjects with an
// empty digest are left out.
func NewStatement(r *Report, artifactSHA256 string) *Statement {
	var subjects []signing.Subject
	add := func(name, sum string) {
		if sum != "" {
			subjects = append(subjects, signing.Subject{Name: name, Digest: map[string]string{"sha256": strings.ToLower(sum)}})
		}
	}
	add(r.Candidate.ResultsFile, r.Candidate.ResultsSHA256)
	if p := r.Production; p != nil {
		add(p.ResultsFile, p.ResultsSHA256)
	}
	add(filepath.Base(r.Dataset.Path), r.Dataset.SHA256)
	add(filepath.Base(r.Config.Path), r.Config.SHA256)
	add("model:"+ModelIdentity(r.Candidate), artifactSHA256)
	for _, sh := range r.Shards {
		for _, f := range sh.Files {
			add(path.Join(sh.Folder, f.Name), f.SHA256)
		}
		add(path.Join(sh.Folder, "shard.json"), sh.ManifestSHA256)
	}
	result := signing.Result(r.Verdict == Allow)
	return &Statement{
		Type:          signing.StatementType,
		Subject:       subjects,
		PredicateType: PredicateType,
		Predicate: Predicate{
			Verifier:           signing.VSAVerifier{ID: signing.VerifierID, Version: map[string]string{"evalgate": r.Harness.Version}},
			TimeVerified:       r.Timing.FinishedAt.UTC().Format(time.RFC3339),
			ResourceURI:        "evalgate:model/" + url.PathEscape(r.Candidate.Model) + "@" + url.PathEscape(r.Candidate.Version),
			Policy:             signing.Policy{URI: r.Config.Path, Digest: map[string]string{"sha256": r.Config.SHA256}},
			VerificationResult: result,
			Report:             r,
		},
	}
}

// ModelIdentity is a model's NAME@VERSION, as verify --expect-model takes it.
func ModelIdentity(m ModelRun) string { return m.Model + "@" + m.Version }

// SignReport builds r's statement, signs it with s and returns the
// envelope's JSON, indented, with a final newline.
func SignReport(s *signing.Signer, r *Report, artifactSHA256 string) ([]byte, error) {
	return SignReportProvenance(s, r, artifactSHA256, nil)
}

// SignReportProvenance is SignReport with the run's provenance in the
// predicate.
func SignReportProvenance(s *signing.Signer, r *Report, artifactSHA256 string, prov *Provenance) ([]byte, error) {
	st := NewStatement(r, artifactSHA256)
	st.Predicate.Provenance = prov
	return signing.SignStatement(s, st.Subject, st.PredicateType, st.Predicate)
}

// VerifyReport decodes a signed report envelope, checks its signature with
// v, and decodes its statement. It does not look at the verdict. Errors
// wrap signing.ErrEnvelope or signing.ErrSignature.
func VerifyReport(v *signing.Verifier, envelope []byte) (*Statement, error) {
	env, err := signing.DecodeEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	if err := v.Verify(env); err != nil {
		return nil, err
	}
	if err := signing.CheckUnambiguous(env.Payload); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", signing.ErrEnvelope, err)
	}
	var st Statement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", signing.ErrEnvelope, err)
	}
	switch {
	case st.Type != signing.StatementType:
		return nil, fmt.Errorf("%w: statement _type %q, want %q", signing.ErrEnvelope, st.Type, signing.StatementType)
	case st.PredicateType != PredicateType:
		return nil, fmt.Errorf("%w: predicateType %q, want %q", signing.ErrEnvelope, st.PredicateType, PredicateType)
	case st.Predicate.Report == nil:
		return nil, fmt.Errorf("%w: the predicate holds no report", signing.ErrEnvelope)
	case st.Predicate.Report.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("%w: report schema_version %q, this evalgate reads %q", signing.ErrEnvelope, st.Predicate.Report.SchemaVersion, SchemaVersion)
	}
	if err := checkGateStrict(env.Payload); err != nil {
		return nil, fmt.Errorf("%w: %w", signing.ErrEnvelope, err)
	}
	if err := CheckVerdict(st.Predicate.Report); err != nil {
		return nil, fmt.Errorf("%w: %w", signing.ErrEnvelope, err)
	}
	want := signing.Result(st.Predicate.Report.Verdict == Allow)
	if st.Predicate.VerificationResult != want {
		return nil, fmt.Errorf("%w: verificationResult %s contradicts the report's verdict %s", signing.ErrEnvelope, st.Predicate.VerificationResult, st.Predicate.Report.Verdict)
	}
	return &st, nil
}

// MatchSubject returns the subject whose SHA-256 is that of data. The error
// wraps signing.ErrSubject and lists the subjects.
func (st *Statement) MatchSubject(data []byte) (signing.Subject, error) {
	return signing.MatchSubject(st.Subject, data)
}
