// Package approvals records a person's decision on a signed promotion
// report: approve, reject, or override a BLOCK with a justification. The
// record is signed by the approver's own key as a DSSE envelope around an
// in-toto Statement v1 of predicate type PredicateType, whose subjects are
// the signed report envelope (and report.json) by SHA-256.
//
// The flow is: NewRecord verifies the signed report and fills in what the
// record says about it (digests, verdict, model, dataset, the report
// signer's key); the caller sets the decision, the approver and the time;
// Sign checks the record's rules and signs it; Verify checks a signed
// record's signature and decodes it strictly; Check binds a verified
// record to one signed report and applies the promotion rules.
//
// The rules (Sign and Verify refuse a record that breaks the first four,
// Check applies the rest):
//
//   - the decision is approve, reject or override;
//   - an override needs a justification, and overrides a report whose
//     verdict is not ALLOW (BLOCK, or NONE when no gate rule applied);
//     approve is for an ALLOW only;
//   - the approver is a named person, "Name <email>";
//   - separation of duties: the approver's key is not the key that signed
//     the report (ErrSameKey);
//   - the record is over this report's envelope digest (ErrOtherReport);
//   - the approver's key is one of the allowed keys, when a list is given
//     (ErrNotAllowed);
//   - the decision permits promotion: approve of an ALLOW, or override with
//     a justification (ErrNotPermitted, checked last, so that a caller can
//     tell a valid rejection from an invalid record).
//
// Keys never appear in records or errors; only their fingerprints do.
package approvals
