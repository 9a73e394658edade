package approvals

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// Decisions an approver can record.
const (
	// Approve lets a report whose verdict is ALLOW be promoted.
	Approve = "approve"
	// Reject refuses promotion, whatever the verdict.
	Reject = "reject"
	// Override lets a report whose verdict is not ALLOW be promoted; it
	// needs a justification.
	Override = "override"
)

// Decisions lists the decisions a record may carry.
func Decisions() []string { return []string{Approve, Reject, Override} }

// Errors of the approval rules, for errors.Is.
var (
	// ErrInvalid marks a record that breaks the rules of a record: an
	// unknown decision, an override without a justification or of an
	// ALLOW, an approve of a report that did not ALLOW, no named approver,
	// no time, or a malformed report digest.
	ErrInvalid = errors.New("invalid approval")
	// ErrSameKey marks an approval signed by the key that signed the
	// report: separation of duties is broken.
	ErrSameKey = errors.New("the approver's key signed the report")
	// ErrOtherReport marks an approval that is not about the report it is
	// checked against.
	ErrOtherReport = errors.New("the approval is for another report")
	// ErrNotAllowed marks an approval by a key outside the allowed set.
	ErrNotAllowed = errors.New("the approver's key is not an allowed approver")
	// ErrNotPermitted marks a valid approval whose decision does not
	// permit promotion: a rejection.
	ErrNotPermitted = errors.New("the decision does not permit promotion")
)

// Record is one approver's decision on one signed report: the predicate of
// a signed approval. Sign fills ApproverKeyID and ApproverFingerprint from
// the signing key and normalizes Time to UTC seconds.
type Record struct {
	// Decision is Approve, Reject or Override.
	Decision string `json:"decision"`
	// Justification says why; required for Override.
	Justification string `json:"justification,omitempty"`
	// Approver is the person deciding, "Name <email>".
	Approver string `json:"approver"`
	// Time is when the decision was made (UTC, whole seconds); not before
	// the report's evaluation time.
	Time time.Time `json:"time"`
	// Reference is the ticket or change the decision belongs to, such as
	// CHG-1234; optional.
	Reference string `json:"reference,omitempty"`
	// Report identifies the signed report decided on.
	Report ReportRef `json:"report"`
	// ApproverKeyID is the SSH-style fingerprint of the approver's public
	// key (signing.KeyID), the key that signed this record.
	ApproverKeyID string `json:"approver_key_id"`
	// ApproverFingerprint is the hex SHA-256 of the approver's PKIX public
	// key, as signing.Verifier.Fingerprint.
	ApproverFingerprint string `json:"approver_fingerprint"`
}

// ReportRef is what an approval says about the signed report it decides
// on. Every field is copied from the verified report by NewRecord.
type ReportRef struct {
	// EnvelopeSHA256 is the hex SHA-256 of the signed report envelope's
	// bytes (report.dsse.json); the approval's binding to the report.
	EnvelopeSHA256 string `json:"envelope_sha256"`
	// JSONSHA256 is the hex SHA-256 of the report as report.json holds it
	// (reports.WriteJSON of the signed report).
	JSONSHA256 string `json:"json_sha256"`
	// Verdict is the report's verdict: ALLOW, BLOCK or NONE.
	Verdict string `json:"verdict"`
	// Status is COMPLETE or INCOMPLETE.
	Status string `json:"status"`
	// Model is the candidate, NAME@VERSION (reports.ModelIdentity).
	Model string `json:"model"`
	// ModelArtifactSHA256 is the model artifact's digest when the report
	// names one as a subject.
	ModelArtifactSHA256 string `json:"model_artifact_sha256,omitempty"`
	// DatasetName, DatasetVersion and DatasetSHA256 identify the eval set.
	DatasetName    string `json:"dataset_name"`
	DatasetVersion string `json:"dataset_version"`
	DatasetSHA256  string `json:"dataset_sha256"`
	// ConfigSHA256 is the digest of the config whose gate applied.
	ConfigSHA256 string `json:"config_sha256"`
	// Evaluated is the report's timeVerified (RFC 3339, UTC).
	Evaluated string `json:"evaluated"`
	// SignerKeyID and SignerFingerprint identify the key that signed the
	// report (signing.Verifier's KeyID and Fingerprint).
	SignerKeyID       string `json:"signer_key_id"`
	SignerFingerprint string `json:"signer_fingerprint"`
}

// NewRecord verifies a signed report envelope with reportKey and returns a
// record about it with Report filled in; the caller sets Decision,
// Justification, Approver, Time and Reference before Sign. Errors wrap
// signing.ErrEnvelope or signing.ErrSignature when the report does not
// verify.
func NewRecord(reportEnvelope []byte, reportKey *signing.Verifier) (*Record, error) {
	st, err := reports.VerifyReport(reportKey, reportEnvelope)
	if err != nil {
		return nil, fmt.Errorf("verify report: %w", err)
	}
	r := st.Predicate.Report
	var js bytes.Buffer
	if err := reports.WriteJSON(&js, r); err != nil {
		return nil, err
	}
	ref := ReportRef{
		EnvelopeSHA256:    signing.DigestHex(reportEnvelope),
		JSONSHA256:        signing.DigestHex(js.Bytes()),
		Verdict:           r.Verdict,
		Status:            r.Status,
		Model:             reports.ModelIdentity(r.Candidate),
		DatasetName:       r.Dataset.Name,
		DatasetVersion:    r.Dataset.Version,
		DatasetSHA256:     r.Dataset.SHA256,
		ConfigSHA256:      r.Config.SHA256,
		Evaluated:         st.Predicate.TimeVerified,
		SignerKeyID:       reportKey.KeyID,
		SignerFingerprint: reportKey.Fingerprint,
	}
	for _, s := range st.Subject {
		if s.Name == "model:"+ref.Model {
			ref.ModelArtifactSHA256 = s.Digest["sha256"]
		}
	}
	return &Record{Report: ref}, nil
}

// Permits reports whether the decision lets the report be promoted:
// approve of an ALLOW, or override (with a justification) of anything
// else. It assumes a record that passed validation (Sign or Verify).
func (rec *Record) Permits() bool {
	switch rec.Decision {
	case Approve:
		return rec.Report.Verdict == reports.Allow
	case Override:
		return rec.Report.Verdict != reports.Allow && strings.TrimSpace(rec.Justification) != ""
	}
	return false
}

// validate checks the rules a record obeys whoever signed it. Errors wrap
// ErrInvalid.
func (rec *Record) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch rec.Decision {
	case Approve:
		if rec.Report.Verdict != reports.Allow {
			return bad("the report's verdict is %s, and approve is for an ALLOW: a promotion despite the gate is an override, with a justification", rec.Report.Verdict)
		}
	case Override:
		if strings.TrimSpace(rec.Justification) == "" {
			return bad("an override needs a justification")
		}
		if rec.Report.Verdict == reports.Allow {
			return bad("the report's verdict is ALLOW: there is nothing to override (approve it)")
		}
	case Reject:
	default:
		return bad("decision %q is not one of %s", rec.Decision, strings.Join(Decisions(), ", "))
	}
	for _, f := range []struct{ name, v string }{{"approver", rec.Approver}, {"justification", rec.Justification}, {"reference", rec.Reference}} {
		if !utf8.ValidString(f.v) {
			// JSON would sign U+FFFD in its place: not what was given.
			return bad("the %s is not valid UTF-8", f.name)
		}
	}
	if err := signing.CheckPerson(rec.Approver); err != nil {
		return bad("approver %q: %v", rec.Approver, err)
	}
	for _, f := range []struct{ name, v string }{{"justification", rec.Justification}, {"reference", rec.Reference}} {
		if strings.ContainsFunc(f.v, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }) {
			return bad("the %s holds control characters", f.name)
		}
	}
	if rec.Time.IsZero() {
		return bad("no time")
	}
	if ev, err := time.Parse(time.RFC3339, rec.Report.Evaluated); err != nil {
		return bad("the report's evaluation time %q is not RFC 3339", rec.Report.Evaluated)
	} else if rec.Time.Before(ev) {
		return bad("the decision's time %s is before the report was evaluated (%s)", rec.Time.UTC().Format(time.RFC3339), rec.Report.Evaluated)
	}
	for _, d := range []struct{ name, v string }{{"envelope_sha256", rec.Report.EnvelopeSHA256}, {"json_sha256", rec.Report.JSONSHA256}} {
		if !signing.IsDigestHex(d.v) {
			return bad("report %s %q is not a lowercase hex SHA-256", d.name, d.v)
		}
	}
	switch rec.Report.Verdict {
	case reports.Allow, reports.Block, reports.None:
	default:
		return bad("report verdict %q is not ALLOW, BLOCK or NONE", rec.Report.Verdict)
	}
	if rec.Report.SignerKeyID == "" {
		return bad("no report signer key id")
	}
	return nil
}
