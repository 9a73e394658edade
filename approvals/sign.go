package approvals

// Signing and verifying an approval: an in-toto Statement of its own
// predicate type, signed through signing.SignStatement.

import (
	"fmt"
	"time"

	"github.com/evalgate/evalgate/signing"
)

// PredicateType identifies the predicate of a signed approval: a Record.
const PredicateType = "https://github.com/evalgate/evalgate/approval/v1"

// Subject names of a signed approval's statement.
const (
	// SubjectEnvelope names the signed report envelope's subject.
	SubjectEnvelope = "report.dsse.json"
	// SubjectReportJSON names the report.json subject.
	SubjectReportJSON = "report.json"
)

// Sign checks rec's rules and signs it with the approver's key s as an
// in-toto Statement of type PredicateType whose subjects are the report
// envelope and report.json by SHA-256. It sets rec's ApproverKeyID and
// ApproverFingerprint from s and rounds Time to UTC seconds, and refuses
// (ErrSameKey) when s is the key that signed the report. It returns the
// envelope's JSON, indented, with a final newline. Errors wrap ErrInvalid
// or ErrSameKey.
func Sign(s *signing.Signer, rec Record) ([]byte, error) {
	v, err := signing.NewVerifier(s)
	if err != nil {
		return nil, err
	}
	rec.ApproverKeyID, rec.ApproverFingerprint = v.KeyID, v.Fingerprint
	rec.Time = rec.Time.UTC().Truncate(time.Second)
	if err := rec.validate(); err != nil {
		return nil, err
	}
	if rec.ApproverKeyID == rec.Report.SignerKeyID {
		return nil, fmt.Errorf("%w: %s signed the report and may not approve it (separation of duties: use the approver's own key)", ErrSameKey, rec.ApproverKeyID)
	}
	return signing.SignStatement(s, subjects(&rec), PredicateType, rec)
}

// subjects are a record's statement subjects.
func subjects(rec *Record) []signing.Subject {
	return []signing.Subject{
		signing.DigestSubject(SubjectEnvelope, rec.Report.EnvelopeSHA256),
		signing.DigestSubject(SubjectReportJSON, rec.Report.JSONSHA256),
	}
}

// Verify checks a signed approval: the signature with the approver's
// public key v, unambiguous JSON (signing.CheckUnambiguous), the statement
// and predicate types, a predicate decoded strictly (unknown fields
// refused), subjects that agree with the record, the record's rules, and
// that the record names v as its key and another key as the report's
// (ErrSameKey). It does not look at the report itself: Check does. Errors
// wrap signing.ErrEnvelope, signing.ErrSignature, ErrInvalid or
// ErrSameKey.
func Verify(v *signing.Verifier, envelope []byte) (*Record, error) {
	var rec Record
	st, err := signing.VerifyPredicate(v, envelope, PredicateType, &rec)
	if err != nil {
		return nil, err
	}
	if err := rec.validate(); err != nil {
		return nil, err
	}
	if rec.ApproverKeyID != v.KeyID || rec.ApproverFingerprint != v.Fingerprint {
		return nil, fmt.Errorf("%w: the record names approver key %s, but key %s signed it", ErrInvalid, rec.ApproverKeyID, v.KeyID)
	}
	if rec.ApproverKeyID == rec.Report.SignerKeyID {
		return nil, fmt.Errorf("%w: key %s signed both the report and the approval (separation of duties)", ErrSameKey, v.KeyID)
	}
	if !signing.SameSubjects(st.Subject, subjects(&rec)) {
		return nil, fmt.Errorf("%w: the statement's subjects disagree with the record's report digests", ErrInvalid)
	}
	return &rec, nil
}

// CheckOptions are the optional rules of Check.
type CheckOptions struct {
	// Approvers, when not empty, are the keys allowed to approve: the
	// record's key must be one of them (ErrNotAllowed).
	Approvers []*signing.Verifier
}

// Check binds rec, a record returned by Verify, to a signed report and
// applies the promotion rules, in this order: the report verifies with
// reportKey; rec is over this envelope's digest and agrees with the
// report's verdict, model, dataset and signer (ErrOtherReport); the
// approver's key is not the report's key, nor a key that also signed the
// report envelope (ErrSameKey); the approver's key is among
// opts.Approvers when that is set (ErrNotAllowed); and last, the decision
// permits promotion (ErrNotPermitted). So an error wrapping
// ErrNotPermitted means a valid record of a rejection.
func Check(rec *Record, reportEnvelope []byte, reportKey *signing.Verifier, opts CheckOptions) error {
	fresh, err := NewRecord(reportEnvelope, reportKey)
	if err != nil {
		return err
	}
	if got := fresh.Report.EnvelopeSHA256; rec.Report.EnvelopeSHA256 != got {
		return fmt.Errorf("%w: it is over the report envelope with sha256 %s, and this one has %s", ErrOtherReport, rec.Report.EnvelopeSHA256, got)
	}
	if rec.Report != fresh.Report {
		return fmt.Errorf("%w: its account of the report (verdict %s, model %s, signer %s) disagrees with the report (verdict %s, model %s, signer %s)", ErrOtherReport,
			rec.Report.Verdict, rec.Report.Model, rec.Report.SignerKeyID, fresh.Report.Verdict, fresh.Report.Model, fresh.Report.SignerKeyID)
	}
	if rec.ApproverKeyID == reportKey.KeyID {
		return fmt.Errorf("%w: key %s signed both the report and the approval (separation of duties)", ErrSameKey, rec.ApproverKeyID)
	}
	env, err := signing.DecodeEnvelope(reportEnvelope)
	if err != nil {
		return err
	}
	allowed := false
	for _, a := range opts.Approvers {
		if a.KeyID != rec.ApproverKeyID {
			continue
		}
		allowed = true
		if a.Verify(env) == nil {
			return fmt.Errorf("%w: the approver's key %s also signed the report envelope (separation of duties)", ErrSameKey, a.KeyID)
		}
	}
	if len(opts.Approvers) > 0 && !allowed {
		return fmt.Errorf("%w: %s (%s)", ErrNotAllowed, rec.ApproverKeyID, rec.Approver)
	}
	if !rec.Permits() {
		return fmt.Errorf("%w: %s decided %s on %s (verdict %s)", ErrNotPermitted, rec.Approver, rec.Decision, rec.Report.Model, rec.Report.Verdict)
	}
	return nil
}
