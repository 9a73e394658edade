package drift

// Signing a drift report: an in-toto Statement of its own predicate
// type, signed through signing.SignStatement.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// PredicateType identifies the predicate of a signed drift report:
// the whole drift.json under "report", with the verdict also in the field
// names of an SLSA Verification Summary.
const PredicateType = "https://github.com/evalgate/evalgate/drift/v1"

// Predicate is what a signed drift report attests.
type Predicate struct {
	// Verifier names evalgate and its version, as in reports.Predicate.
	Verifier signing.VSAVerifier `json:"verifier"`
	// TimeVerified is when the comparison finished (RFC 3339, UTC).
	TimeVerified string `json:"timeVerified"`
	// Policy is the config whose thresholds and gate rules applied; empty
	// without one.
	Policy signing.Policy `json:"policy"`
	// VerificationResult is PASSED for ALLOW and FAILED for BLOCK.
	VerificationResult string `json:"verificationResult"`
	// Report is the whole report, as in drift.json.
	Report *Report `json:"report"`
}

// Statement is a verified drift statement with its predicate decoded.
type Statement struct {
	signing.RawStatement
	// Drift is the decoded predicate.
	Drift Predicate
}

// Subjects are the subjects of a signed drift report: the reference
// and current files by SHA-256, named by their base names (prefixed with
// their role when the names are equal), and the config when there is one.
func Subjects(r *Report) []signing.Subject {
	refName, curName := filepath.Base(r.Reference.Path), filepath.Base(r.Current.Path)
	if refName == curName {
		refName, curName = "reference:"+refName, "current:"+curName
	}
	subjects := []signing.Subject{
		{Name: refName, Digest: map[string]string{"sha256": r.Reference.SHA256}},
		{Name: curName, Digest: map[string]string{"sha256": r.Current.SHA256}},
	}
	if c := r.Config; c != nil && c.SHA256 != "" {
		subjects = append(subjects, signing.Subject{Name: filepath.Base(c.Path), Digest: map[string]string{"sha256": c.SHA256}})
	}
	return subjects
}

// Sign signs r as drift.dsse.json: an in-toto Statement of type
// PredicateType whose subjects are Subjects(r).
func Sign(s *signing.Signer, r *Report) ([]byte, error) {
	result := signing.Result(r.Verdict == reports.Allow)
	pred := Predicate{
		Verifier:           signing.VSAVerifier{ID: signing.VerifierID, Version: map[string]string{"evalgate": r.Harness.Version}},
		TimeVerified:       r.Timing.FinishedAt.UTC().Format(time.RFC3339),
		VerificationResult: result,
		Report:             r,
	}
	if c := r.Config; c != nil {
		pred.Policy = signing.Policy{URI: c.Path, Digest: map[string]string{"sha256": c.SHA256}}
	}
	return signing.SignStatement(s, Subjects(r), PredicateType, pred)
}

// Verify checks a signed drift report: the signature with v, the
// statement and predicate types, the report's schema version, and that
// verificationResult agrees with the verdict. It does not look at the
// verdict itself. Errors wrap signing.ErrEnvelope or signing.ErrSignature.
func Verify(v *signing.Verifier, envelope []byte) (*Statement, error) {
	st, err := signing.VerifyStatement(v, envelope)
	if err != nil {
		return nil, err
	}
	if st.PredicateType != PredicateType {
		return nil, fmt.Errorf("%w: predicateType %q, want %q", signing.ErrEnvelope, st.PredicateType, PredicateType)
	}
	ds := &Statement{RawStatement: *st}
	dec := json.NewDecoder(bytes.NewReader(st.Predicate))
	if err := dec.Decode(&ds.Drift); err != nil {
		return nil, fmt.Errorf("%w: predicate: %w", signing.ErrEnvelope, err)
	}
	rep := ds.Drift.Report
	switch {
	case rep == nil:
		return nil, fmt.Errorf("%w: the predicate holds no drift report", signing.ErrEnvelope)
	case rep.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("%w: drift report schema_version %q, this evalgate reads %q", signing.ErrEnvelope, rep.SchemaVersion, SchemaVersion)
	}
	want := signing.Result(rep.Verdict == reports.Allow)
	if ds.Drift.VerificationResult != want {
		return nil, fmt.Errorf("%w: verificationResult %s contradicts the report's verdict %s", signing.ErrEnvelope, ds.Drift.VerificationResult, rep.Verdict)
	}
	return ds, nil
}
