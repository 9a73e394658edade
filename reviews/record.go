package reviews

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// PredicateType identifies the predicate of a signed review record.
const PredicateType = "https://github.com/evalgate/evalgate/review/v1"

// Subject names of a review record's statement.
const (
	// SubjectEnvelope names the signed report envelope's subject.
	SubjectEnvelope = "report.dsse.json"
	// SubjectCSV names the filled review.csv's subject.
	SubjectCSV = "review.csv"
)

// Decisions a reviewer can record on an answer.
const (
	// Accept: the answer is acceptable as given.
	Accept = "accept"
	// Reject: the answer is wrong or harmful.
	Reject = "reject"
	// Escalate: the reviewer cannot decide; someone else must.
	Escalate = "escalate"
)

// DecisionNames lists the decisions a review.csv row may carry.
func DecisionNames() []string { return []string{Accept, Reject, Escalate} }

// ErrInvalid marks a record that breaks the rules of a record: no named
// reviewer, no time, a malformed digest, an unknown decision or an answer
// decided twice.
var ErrInvalid = errors.New("invalid review record")

// Record is one reviewer's decisions on the answers of one signed report
// routed to review: the predicate of a signed review record. Sign fills
// ReviewerKeyID and ReviewerFingerprint from the signing key and
// normalizes Time to UTC seconds.
type Record struct {
	// Reviewer is the person deciding, "Name <email>".
	Reviewer string `json:"reviewer"`
	// Time is when the decisions were recorded (UTC, whole seconds).
	Time time.Time `json:"time"`
	// Report identifies the report whose answers were reviewed.
	Report ReportRef `json:"report"`
	// CSVSHA256 is the hex SHA-256 of the filled review.csv.
	CSVSHA256 string `json:"csv_sha256"`
	// Decisions are the answers decided, in the CSV's order; rows with
	// an empty decision are left out.
	Decisions []Decision `json:"decisions"`
	// ReviewerKeyID is the SSH-style fingerprint of the reviewer's public
	// key (signing.KeyID), the key that signed this record;
	// ReviewerFingerprint the hex SHA-256 of its PKIX form.
	ReviewerKeyID       string `json:"reviewer_key_id"`
	ReviewerFingerprint string `json:"reviewer_fingerprint"`
}

// ReportRef is what a review record says about the report it reviews,
// read from the signed report envelope.
type ReportRef struct {
	// EnvelopeSHA256 is the hex SHA-256 of report.dsse.json's bytes.
	EnvelopeSHA256 string `json:"envelope_sha256"`
	// Verdict is the report's verdict; Model the candidate, NAME@VERSION.
	Verdict string `json:"verdict"`
	Model   string `json:"model"`
	// DatasetName, DatasetVersion and DatasetSHA256 identify the eval set.
	DatasetName    string `json:"dataset_name"`
	DatasetVersion string `json:"dataset_version"`
	DatasetSHA256  string `json:"dataset_sha256"`
}

// Decision is a reviewer's decision on one answer.
type Decision struct {
	// ID and Sample identify the answer, as in review.parquet.
	ID     string `json:"id"`
	Sample int    `json:"sample"`
	// Decision is Accept, Reject or Escalate.
	Decision string `json:"decision"`
	// Note is the reviewer's note; untrusted text.
	Note string `json:"note,omitempty"`
}

// NewRecord returns a record about the signed report envelope and the
// filled review.csv, with the CSV's decisions (ReadCSV); the caller sets
// Reviewer and Time before Sign. With reportKey not nil the report is
// verified first; without, the envelope is only decoded, and the record
// binds it by digest. Errors wrap signing.ErrEnvelope,
// signing.ErrSignature, or a *RowError from the CSV.
func NewRecord(reportEnvelope, csvBytes []byte, reportKey *signing.Verifier) (*Record, error) {
	var r *reports.Report
	if reportKey != nil {
		st, err := reports.VerifyReport(reportKey, reportEnvelope)
		if err != nil {
			return nil, fmt.Errorf("verify report: %w", err)
		}
		r = st.Predicate.Report
	} else {
		env, err := signing.DecodeEnvelope(reportEnvelope)
		if err != nil {
			return nil, fmt.Errorf("read report: %w", err)
		}
		var st reports.Statement
		if err := json.Unmarshal(env.Payload, &st); err != nil || st.PredicateType != reports.PredicateType || st.Predicate.Report == nil {
			return nil, fmt.Errorf("read report: %w: not a signed evalgate report", signing.ErrEnvelope)
		}
		r = st.Predicate.Report
	}
	decisions, err := ReadCSV(bytes.NewReader(csvBytes))
	if err != nil {
		return nil, err
	}
	return &Record{
		Report: ReportRef{EnvelopeSHA256: signing.DigestHex(reportEnvelope), Verdict: r.Verdict, Model: reports.ModelIdentity(r.Candidate),
			DatasetName: r.Dataset.Name, DatasetVersion: r.Dataset.Version, DatasetSHA256: r.Dataset.SHA256},
		CSVSHA256: signing.DigestHex(csvBytes),
		Decisions: decisions,
	}, nil
}

// Sign checks rec's rules and signs it with the reviewer's key s as an
// in-toto Statement of type PredicateType whose subjects are the report
// envelope and review.csv by SHA-256. It returns the envelope's JSON,
// indented, with a final newline. Errors wrap ErrInvalid.
func Sign(s *signing.Signer, rec Record) ([]byte, error) {
	v, err := signing.NewVerifier(s)
	if err != nil {
		return nil, err
	}
	rec.ReviewerKeyID, rec.ReviewerFingerprint = v.KeyID, v.Fingerprint
	rec.Time = rec.Time.UTC().Truncate(time.Second)
	if err := rec.validate(); err != nil {
		return nil, err
	}
	return signing.SignStatement(s, subjects(&rec), PredicateType, rec)
}

// subjects are a record's statement subjects.
func subjects(rec *Record) []signing.Subject {
	return []signing.Subject{
		signing.DigestSubject(SubjectEnvelope, rec.Report.EnvelopeSHA256),
		signing.DigestSubject(SubjectCSV, rec.CSVSHA256),
	}
}

// Verify checks a signed review record: the signature with the
// reviewer's public key v, unambiguous JSON, the predicate type, a
// predicate decoded strictly (unknown fields refused), the record's rules,
// that the record names v as its key, and subjects that agree with the
// record. Errors wrap signing.ErrEnvelope, signing.ErrSignature or
// ErrInvalid.
func Verify(v *signing.Verifier, envelope []byte) (*Record, error) {
	var rec Record
	st, err := signing.VerifyPredicate(v, envelope, PredicateType, &rec)
	if err != nil {
		return nil, err
	}
	if err := rec.validate(); err != nil {
		return nil, err
	}
	if rec.ReviewerKeyID != v.KeyID || rec.ReviewerFingerprint != v.Fingerprint {
		return nil, fmt.Errorf("%w: the record names reviewer key %s, but key %s signed it", ErrInvalid, rec.ReviewerKeyID, v.KeyID)
	}
	if !signing.SameSubjects(st.Subject, subjects(&rec)) {
		return nil, fmt.Errorf("%w: the statement's subjects disagree with the record's digests", ErrInvalid)
	}
	return &rec, nil
}

// VerifyCSV checks that csvBytes are the review.csv rec was made from.
// The error wraps signing.ErrDigestMismatch.
func VerifyCSV(rec *Record, csvBytes []byte) error {
	if got := signing.DigestHex(csvBytes); got != rec.CSVSHA256 {
		return fmt.Errorf("%w: review.csv has sha256 %s, and the record was signed over %s: the file was changed after it was signed", signing.ErrDigestMismatch, got, rec.CSVSHA256)
	}
	return nil
}

// validate checks the rules a record obeys whoever signed it. Errors wrap
// ErrInvalid.
func (rec *Record) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if err := signing.CheckPerson(rec.Reviewer); err != nil {
		return bad("reviewer %q: %v", rec.Reviewer, err)
	}
	if rec.Time.IsZero() {
		return bad("no time")
	}
	for _, d := range []struct{ name, v string }{{"report envelope_sha256", rec.Report.EnvelopeSHA256}, {"csv_sha256", rec.CSVSHA256}} {
		if !signing.IsDigestHex(d.v) {
			return bad("%s %q is not a lowercase hex SHA-256", d.name, d.v)
		}
	}
	seen := map[[2]string]bool{}
	for _, d := range rec.Decisions {
		if !slices.Contains(DecisionNames(), d.Decision) {
			return bad("answer %q sample %d: decision %q is not one of %s", d.ID, d.Sample, d.Decision, strings.Join(DecisionNames(), ", "))
		}
		if !utf8.ValidString(d.ID) || !utf8.ValidString(d.Note) {
			return bad("answer %q sample %d: invalid UTF-8", d.ID, d.Sample)
		}
		k := [2]string{d.ID, fmt.Sprint(d.Sample)}
		if seen[k] {
			return bad("answer %q sample %d is decided twice", d.ID, d.Sample)
		}
		seen[k] = true
	}
	return nil
}
