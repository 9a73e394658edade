// Package evidence is evalgate evidence's document: the evidence bundle of
// an audit period.
//
// Collect walks a folder (regular files only, each file read whole at most
// inputfile.MaxEnvelope bytes) and classifies every file: a signed report
// (reports.PredicateType), a signed drift report (drift.PredicateType), a
// signed approval (approvals.PredicateType), a signed history document
// (history.PredicateType), another DSSE envelope, a report.json with no
// signature, or anything else. Every envelope is verified with the keys
// given: reports, drift reports and histories with the report key, approvals with the approvers' keys (approvals.Verify) and then
// against the verified report whose envelope digest they name
// (approvals.Check: separation of duties, the same report). One that does
// not verify — a bad signature, a payload changed after signing, a
// predicate evalgate does not know, an unsigned report, an approval by the
// report's own key or of a report not in the folder — is listed with the
// reason and is never used, and never dropped without a line saying so.
//
// From what verified in the period [Since, Until) Collect builds the
// population index of gate decisions (one row per verified report, with
// the approvals of it), the
// ISO weeks with no verified report or drift run (monitoring gaps), and the
// control mapping: for each framework and control of reports.SectionControls,
// the files of the bundle that evidence it.
//
// (*Bundle).Write writes the whole bundle as one gzipped tar archive with
// sorted entries and fixed modification times, so the same inputs give the
// same bytes apart from the manifest's creation time (and an ECDSA
// signature, which is randomized). Its last entry, manifest.json, is a
// DSSE envelope signed with the bundle key over an in-toto Statement of
// type ManifestPredicateType whose subjects are every other file of the
// archive; VerifyArchive checks it.
//
// A report is placed in the period by the time it is about: the start of
// its data window (dataset.window, a sample of production logs) when it
// has one, so a backfill of past weeks run in one day lands in the weeks
// it sampled; else when its run finished. A drift report is placed by when
// it ran, and a signed history by its newest report's time. A signed
// history evidences the history section's controls; it is not a
// monitoring run (the reports and drift runs it charts are).
package evidence
