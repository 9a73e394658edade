package reports

// Signing of any in-toto Statement, whatever its predicate; the drift
// report is signed through it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"
)

// DriftPredicateType identifies the predicate of a signed drift report:
// the whole drift.json under "report", with the verdict also in the field
// names of an SLSA Verification Summary.
const DriftPredicateType = "https://github.com/evalgate/evalgate/drift/v1"

// RawStatement is an in-toto Statement v1 whose predicate is kept as
// undecoded JSON, for callers that dispatch on PredicateType.
type RawStatement struct {
	// Type is StatementType.
	Type string `json:"_type"`
	// Subject lists the artifacts the statement is about, by digest.
	Subject []Subject `json:"subject"`
	// PredicateType names the predicate's schema, such as PredicateType
	// or DriftPredicateType.
	PredicateType string `json:"predicateType"`
	// Predicate is the predicate's JSON, undecoded.
	Predicate json.RawMessage `json:"predicate"`
}

// SignStatement wraps predicate in an in-toto Statement v1 with the given
// subjects and predicate type, signs it with s in a DSSE envelope (payload
// type PayloadType) and returns the envelope's JSON, indented, with a
// final newline. Subjects are matched by their SHA-256 digest only.
func SignStatement(s *Signer, subjects []Subject, predicateType string, predicate any) ([]byte, error) {
	pred, err := json.Marshal(predicate)
	if err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	payload, err := json.Marshal(RawStatement{Type: StatementType, Subject: subjects, PredicateType: predicateType, Predicate: pred})
	if err != nil {
		return nil, fmt.Errorf("encode statement: %w", err)
	}
	env, err := s.SignEnvelope(payload)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode envelope: %w", err)
	}
	return append(out, '\n'), nil
}

// VerifyStatement decodes a DSSE envelope, checks its signature with v and
// decodes its in-toto Statement, leaving the predicate undecoded. Errors
// wrap ErrEnvelope or ErrSignature.
func VerifyStatement(v *Verifier, envelope []byte) (*RawStatement, error) {
	env, err := DecodeEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	if err := v.Verify(env); err != nil {
		return nil, err
	}
	var st RawStatement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrEnvelope, err)
	}
	if st.Type != StatementType {
		return nil, fmt.Errorf("%w: statement _type %q, want %q", ErrEnvelope, st.Type, StatementType)
	}
	return &st, nil
}

// MatchSubject returns the subject whose SHA-256 is that of data. The
// error wraps ErrSubject and lists the subjects.
func (st *RawStatement) MatchSubject(data []byte) (Subject, error) {
	return (&Statement{Subject: st.Subject}).MatchSubject(data)
}

// DriftPredicate is what a signed drift report attests.
type DriftPredicate struct {
	// Verifier names evalgate and its version, as in Predicate.
	Verifier VSAVerifier `json:"verifier"`
	// TimeVerified is when the comparison finished (RFC 3339, UTC).
	TimeVerified string `json:"timeVerified"`
	// Policy is the config whose thresholds and gate rules applied; empty
	// without one.
	Policy Policy `json:"policy"`
	// VerificationResult is PASSED for ALLOW and FAILED for BLOCK.
	VerificationResult string `json:"verificationResult"`
	// Report is the whole report, as in drift.json.
	Report *DriftReport `json:"report"`
}

// DriftStatement is a verified drift statement with its predicate decoded.
type DriftStatement struct {
	RawStatement
	// Drift is the decoded predicate.
	Drift DriftPredicate
}

// DriftSubjects are the subjects of a signed drift report: the reference
// and current files by SHA-256, named by their base names (prefixed with
// their role when the names are equal), and the config when there is one.
func DriftSubjects(r *DriftReport) []Subject {
	refName, curName := filepath.Base(r.Reference.Path), filepath.Base(r.Current.Path)
	if refName == curName {
		refName, curName = "reference:"+refName, "current:"+curName
	}
	subjects := []Subject{
		{Name: refName, Digest: map[string]string{"sha256": r.Reference.SHA256}},
		{Name: curName, Digest: map[string]string{"sha256": r.Current.SHA256}},
	}
	if c := r.Config; c != nil && c.SHA256 != "" {
		subjects = append(subjects, Subject{Name: filepath.Base(c.Path), Digest: map[string]string{"sha256": c.SHA256}})
	}
	return subjects
}

// SignDrift signs r as drift.dsse.json: an in-toto Statement of type
// DriftPredicateType whose subjects are DriftSubjects(r).
func SignDrift(s *Signer, r *DriftReport) ([]byte, error) {
	result := Failed
	if r.Verdict == Allow {
		result = Passed
	}
	pred := DriftPredicate{
		Verifier:           VSAVerifier{ID: VerifierID, Version: map[string]string{"evalgate": r.Harness.Version}},
		TimeVerified:       r.Timing.FinishedAt.UTC().Format(time.RFC3339),
		VerificationResult: result,
		Report:             r,
	}
	if c := r.Config; c != nil {
		pred.Policy = Policy{URI: c.Path, Digest: map[string]string{"sha256": c.SHA256}}
	}
	return SignStatement(s, DriftSubjects(r), DriftPredicateType, pred)
}

// VerifyDrift checks a signed drift report: the signature with v, the
// statement and predicate types, the report's schema version, and that
// verificationResult agrees with the verdict. It does not look at the
// verdict itself. Errors wrap ErrEnvelope or ErrSignature.
func VerifyDrift(v *Verifier, envelope []byte) (*DriftStatement, error) {
	st, err := VerifyStatement(v, envelope)
	if err != nil {
		return nil, err
	}
	if st.PredicateType != DriftPredicateType {
		return nil, fmt.Errorf("%w: predicateType %q, want %q", ErrEnvelope, st.PredicateType, DriftPredicateType)
	}
	ds := &DriftStatement{RawStatement: *st}
	dec := json.NewDecoder(bytes.NewReader(st.Predicate))
	if err := dec.Decode(&ds.Drift); err != nil {
		return nil, fmt.Errorf("%w: predicate: %w", ErrEnvelope, err)
	}
	rep := ds.Drift.Report
	switch {
	case rep == nil:
		return nil, fmt.Errorf("%w: the predicate holds no drift report", ErrEnvelope)
	case rep.SchemaVersion != DriftSchemaVersion:
		return nil, fmt.Errorf("%w: drift report schema_version %q, this evalgate reads %q", ErrEnvelope, rep.SchemaVersion, DriftSchemaVersion)
	}
	want := Failed
	if rep.Verdict == Allow {
		want = Passed
	}
	if ds.Drift.VerificationResult != want {
		return nil, fmt.Errorf("%w: verificationResult %s contradicts the report's verdict %s", ErrEnvelope, ds.Drift.VerificationResult, rep.Verdict)
	}
	return ds, nil
}
