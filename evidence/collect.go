package evidence

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/evalgate/evalgate/approvals"
	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// Kinds of file Collect tells apart.
const (
	// KindReport is a signed promotion report (reports.PredicateType).
	KindReport = "report"
	// KindDrift is a signed drift report (drift.PredicateType).
	KindDrift = "drift"
	// KindApproval is a signed approval record (approvals.PredicateType).
	KindApproval = "approval"
	// KindHistory is a signed history document (history.PredicateType).
	KindHistory = "history"
	// KindEnvelope is a DSSE envelope of another predicate, or one whose
	// predicate cannot be read.
	KindEnvelope = "envelope"
	// KindUnsigned is a report with no signature: a report.json with no
	// verified envelope beside it, or a *.dsse.json holding a plain report.
	KindUnsigned = "unsigned"
	// KindReportCopy is the plain report.json a signed run writes beside
	// its envelope; the envelope is the evidence.
	KindReportCopy = "report_copy"
	// KindOther is any other file: results, eval sets, configs, renders.
	KindOther = "other"
)

// Statuses of a file.
const (
	// StatusVerified is an envelope whose signature and statement verified.
	StatusVerified = "verified"
	// StatusFailed is a file that should be signed evidence and is not;
	// Reason says why.
	StatusFailed = "failed"
	// StatusNotEvidence is a file that is not signed evidence and claims
	// not to be (KindReportCopy, KindOther).
	StatusNotEvidence = "not_evidence"
)

// Reasons a file failed, beside history's Excluded… reasons (unsigned,
// tampered, bad_signature, invalid, duplicate).
const (
	// ReasonUnknownPredicate is an envelope that verified but whose
	// predicate type evalgate does not take as evidence.
	ReasonUnknownPredicate = "unknown_predicate"
	// ReasonWrongKey is an envelope signed by a key given for another
	// role: a report, drift report or history signed by an approver key.
	ReasonWrongKey = "wrong_key"
	// ReasonSameKey is an approval signed by the key that signed its
	// report, or by a key that also signed the report's envelope:
	// separation of duties is broken.
	ReasonSameKey = "same_key"
	// ReasonNoReport is a verified approval whose report (by envelope
	// digest) is not among the verified reports of the folder, so it
	// cannot be checked against it.
	ReasonNoReport = "no_report"
	// ReasonOtherReport is an approval whose account of its report
	// (verdict, model, dataset, signer) disagrees with the report that has
	// its envelope digest.
	ReasonOtherReport = "other_report"
	// ReasonNotRegular is a path that is not a regular file (a symlink, a
	// FIFO, a device).
	ReasonNotRegular = "not_regular"
)

// Errors of Collect, for errors.Is.
var (
	// ErrOptions marks options Collect cannot work with: no key, an empty
	// or reversed period.
	ErrOptions = errors.New("evidence options")
)

// Options choose the period and the keys.
type Options struct {
	// Since and Until bound the period [Since, Until): Since is in it,
	// Until is not.
	Since, Until time.Time
	// ReportKey verifies the signed reports, drift reports and history
	// documents; required.
	ReportKey *signing.Verifier
	// ApproverKeys verify approval records (approvals.Verify); an approval
	// no approver key verifies is listed as failed. A report, drift
	// report or history signed by one of them is refused (ReasonWrongKey).
	ApproverKeys []*signing.Verifier
}

// File is one file Collect found, and what it made of it.
type File struct {
	// Path is slash-separated and relative to the folder.
	Path string `json:"path"`
	// Kind is one of the Kind… constants. For a failed envelope it is the
	// kind its unverified payload claims, when that can be read.
	Kind string `json:"kind"`
	// Size is in bytes; SHA256 is the hex digest of the file's bytes
	// (empty for a path that is not a regular file).
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	// Status is one of the Status… constants.
	Status string `json:"status"`
	// Reason, when Status is failed, is one of history's Excluded…
	// constants or a Reason… constant; Detail says what was found.
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// KeyID is the key a verified envelope verified with.
	KeyID string `json:"key_id,omitempty"`
	// Time places a verified document in time, UTC (see decisionTime);
	// InPeriod is whether it falls in [Since, Until).
	Time     *time.Time `json:"time,omitempty"`
	InPeriod bool       `json:"in_period"`

	raw        []byte            // the envelope's bytes, for a verified document
	timeSource string            // how Time was found (Decision.TimeSource)
	report     *reports.Report   // the verified report of KindReport
	drift      *drift.Report     // the verified drift report of KindDrift
	approval   *approvals.Record // the verified record of KindApproval
	history    *history.Document // the verified document of KindHistory
}

// Decision is one gate decision of the period: a row of the population
// index.
type Decision struct {
	// Time is when the report was placed in the period (see TimeSource),
	// UTC.
	Time time.Time `json:"time"`
	// TimeSource is "data_window_since" or "data_window_until" (a bound
	// of the sampled data's window, dataset.window), "finished_at" (the
	// run's Timing.FinishedAt, for a report with no window) or
	// "time_verified" (the statement's timeVerified, for a report with
	// neither).
	TimeSource string `json:"time_source"`
	// WindowSince and WindowUntil are the report's data window, when it
	// has one (RFC 3339, UTC; empty for an unbounded side or no window).
	WindowSince string `json:"window_since"`
	WindowUntil string `json:"window_until"`
	// Model is the candidate's NAME@VERSION.
	Model string `json:"model"`
	// DatasetName, DatasetVersion and DatasetSHA256 identify the eval set.
	DatasetName    string `json:"dataset_name"`
	DatasetVersion string `json:"dataset_version"`
	DatasetSHA256  string `json:"dataset_sha256"`
	// Verdict is ALLOW, BLOCK or NONE; Status COMPLETE or INCOMPLETE.
	Verdict string `json:"verdict"`
	Status  string `json:"status"`
	// RulesPassed and RulesFailed count the gate's rules.
	RulesPassed int `json:"rules_passed"`
	RulesFailed int `json:"rules_failed"`
	// SignerKeyID is the key the report verified with.
	SignerKeyID string `json:"signer_key_id"`
	// Approvals are the verified approval records of this report, by
	// time; empty when nobody decided on it.
	Approvals []Approval `json:"approvals"`
	// File is the envelope's path relative to the folder; the bundle holds
	// it at DocumentsDir/File. EnvelopeSHA256 is the digest of its bytes.
	File           string `json:"file"`
	EnvelopeSHA256 string `json:"envelope_sha256"`
}

// Approval is one verified approval record of a report in the index.
type Approval struct {
	// Approver is the person, "Name <email>"; Decision is approve,
	// reject or override; Justification and Reference as recorded.
	Approver      string `json:"approver"`
	Decision      string `json:"decision"`
	Justification string `json:"justification,omitempty"`
	Reference     string `json:"reference,omitempty"`
	// Time is when the decision was made, UTC.
	Time time.Time `json:"time"`
	// KeyID is the approver's key.
	KeyID string `json:"key_id"`
	// File is the approval envelope's path relative to the folder;
	// EnvelopeSHA256 the digest of its bytes.
	File           string `json:"file"`
	EnvelopeSHA256 string `json:"envelope_sha256"`
}

// Collection is what Collect found in a folder.
type Collection struct {
	// Options are the options it was collected with.
	Options Options
	// Files are every file of the folder, in lexical path order.
	Files []File
	// Decisions are the verified reports in the period, by time then path.
	Decisions []Decision
	// Gaps are the ISO weeks of the period with no verified report or
	// drift report in them.
	Gaps []Week
}

// Failed returns the files that failed verification.
func (c *Collection) Failed() []File {
	var out []File
	for _, f := range c.Files {
		if f.Status == StatusFailed {
			out = append(out, f)
		}
	}
	return out
}

// Collect walks fsys, verifies every signed document with opt's keys and
// gathers the period's population index and monitoring gaps. Files that
// fail verification are in Files with their reason; only an error walking
// the folder, or bad options, is returned as an error.
func Collect(fsys fs.FS, opt Options) (*Collection, error) {
	switch {
	case opt.ReportKey == nil:
		return nil, fmt.Errorf("collect evidence: %w: no report key", ErrOptions)
	case opt.Since.IsZero() || opt.Until.IsZero():
		return nil, fmt.Errorf("collect evidence: %w: the period needs both a start and an end", ErrOptions)
	case !opt.Since.Before(opt.Until):
		return nil, fmt.Errorf("collect evidence: %w: the period starts %s, not before its end %s", ErrOptions,
			opt.Since.UTC().Format(time.RFC3339), opt.Until.UTC().Format(time.RFC3339))
	}
	c := &Collection{Options: opt}
	var plain []int // indexes of report.json files, settled after the envelopes
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		f := File{Path: p, Kind: KindOther, Status: StatusNotEvidence}
		if !d.Type().IsRegular() {
			f.Status, f.Reason, f.Detail = StatusFailed, ReasonNotRegular, "not a regular file ("+d.Type().String()+"); not read"
			c.Files = append(c.Files, f)
			return nil
		}
		if strings.HasSuffix(d.Name(), ".json") {
			f = c.readJSON(fsys, f)
			if f.Kind == KindUnsigned && d.Name() == "report.json" {
				plain = append(plain, len(c.Files))
			}
		} else {
			f.Size, f.SHA256, err = hashFile(fsys, p)
			if err != nil {
				f.Detail = "cannot be read: " + err.Error()
			}
		}
		c.Files = append(c.Files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collect evidence: %w", err)
	}
	// A report.json beside a verified report is the plain copy a signed
	// run writes; one with no verified report beside it is unsigned.
	signedDirs := map[string]bool{}
	for _, f := range c.Files {
		if f.Kind == KindReport && f.Status == StatusVerified {
			signedDirs[path.Dir(f.Path)] = true
		}
	}
	for _, i := range plain {
		if signedDirs[path.Dir(c.Files[i].Path)] {
			f := &c.Files[i]
			f.Kind, f.Status, f.Reason, f.Detail = KindReportCopy, StatusNotEvidence, "", "the plain copy of the signed report beside it"
		}
	}
	c.dedupe()
	for i := range c.Files {
		f := &c.Files[i]
		if f.Status == StatusVerified && f.Time != nil {
			f.InPeriod = !f.Time.Before(opt.Since) && f.Time.Before(opt.Until)
		}
	}
	c.bindApprovals()
	c.index()
	c.Gaps = gaps(opt.Since, opt.Until, c.Files)
	return c, nil
}

// readJSON reads a *.json file and classifies and verifies it.
func (c *Collection) readJSON(fsys fs.FS, f File) File {
	raw, err := inputfile.ReadFS(fsys, f.Path, "file", inputfile.MaxEnvelope)
	if err != nil {
		if strings.HasSuffix(f.Path, ".dsse.json") || path.Base(f.Path) == "report.json" {
			f.Kind, f.Status, f.Reason = KindEnvelope, StatusFailed, history.ExcludedInvalid
		}
		if st, serr := fs.Stat(fsys, f.Path); serr == nil {
			f.Size = st.Size()
		}
		f.Detail = "cannot be read: " + err.Error()
		return f
	}
	sum := sha256.Sum256(raw)
	f.Size, f.SHA256 = int64(len(raw)), hex.EncodeToString(sum[:])
	env, err := signing.DecodeEnvelope(raw)
	if err != nil {
		var head struct {
			SchemaVersion string `json:"schema_version"`
			Verdict       string `json:"verdict"`
		}
		switch {
		case json.Unmarshal(raw, &head) == nil && head.SchemaVersion != "" && head.Verdict != "":
			f.Kind, f.Status, f.Reason, f.Detail = KindUnsigned, StatusFailed, history.ExcludedUnsigned, "a report with no signature"
		case strings.HasSuffix(f.Path, ".dsse.json"):
			f.Kind, f.Status, f.Reason, f.Detail = KindEnvelope, StatusFailed, history.ExcludedInvalid, err.Error()
		}
		return f
	}
	return c.verify(f, raw, env)
}

// verify checks an envelope with each key until one verifies it, then
// checks its statement by its predicate type. The unverified payload is
// only read to say what a failed envelope claims to be.
func (c *Collection) verify(f File, raw []byte, env *signing.Envelope) File {
	fail := func(reason, format string, args ...any) File {
		f.Status, f.Reason, f.Detail = StatusFailed, reason, fmt.Sprintf(format, args...)
		return f
	}
	f.Kind = claimedKind(env.Payload)
	keys := append([]*signing.Verifier{c.Options.ReportKey}, c.Options.ApproverKeys...)
	var key *signing.Verifier
	var st *signing.RawStatement
	for _, k := range keys {
		s, err := signing.VerifyStatement(k, raw)
		if errors.Is(err, signing.ErrSignature) {
			continue
		}
		if err != nil {
			return fail(history.ExcludedInvalid, "%v", err)
		}
		key, st = k, s
		break
	}
	if key == nil {
		for _, k := range keys {
			if slices.ContainsFunc(env.Signatures, func(s signing.Signature) bool { return s.KeyID == k.KeyID }) {
				return fail(history.ExcludedTampered, "the envelope names key %s, but its signature does not verify over its payload: the payload or the signature was changed after signing", k.KeyID)
			}
		}
		var names []string
		for _, s := range env.Signatures {
			names = append(names, cmp.Or(s.KeyID, "(no keyid)"))
		}
		hint := ""
		if f.Kind == KindApproval {
			hint = " (approvals verify with the approvers' keys, --approver-key)"
		}
		return fail(history.ExcludedBadSignature, "no given key verifies its signature%s; it names key %s", hint, strings.Join(names, ", "))
	}
	f.KeyID = key.KeyID
	switch st.PredicateType {
	case reports.PredicateType, drift.PredicateType, history.PredicateType:
		if key != c.Options.ReportKey {
			return fail(ReasonWrongKey, "a %s signed by key %s, given as an approver key; reports verify only with the report key %s", f.Kind, key.KeyID, c.Options.ReportKey.KeyID)
		}
	case approvals.PredicateType:
		rec, err := approvals.Verify(key, raw)
		switch {
		case errors.Is(err, approvals.ErrSameKey):
			return fail(ReasonSameKey, "%v", err)
		case err != nil:
			return fail(history.ExcludedInvalid, "%v", err)
		}
		t := rec.Time.UTC()
		f.Status, f.Time, f.raw, f.approval = StatusVerified, &t, raw, rec
		return f
	default:
		return fail(ReasonUnknownPredicate, "predicate type %q is not evidence evalgate reads", st.PredicateType)
	}
	var t time.Time
	switch st.PredicateType {
	case history.PredicateType:
		hs, err := history.Verify(key, raw)
		if err != nil {
			return fail(history.ExcludedInvalid, "%v", err)
		}
		// A history is about its newest report, the one it judges in
		// control or not.
		f.history, t = hs.History, hs.History.NewestTime()
	case reports.PredicateType:
		rs, err := reports.VerifyReport(key, raw)
		if err != nil {
			return fail(history.ExcludedInvalid, "%v", err)
		}
		f.report = rs.Predicate.Report
		var ok bool
		if t, f.timeSource, ok = decisionTime(rs); !ok {
			return fail(history.ExcludedInvalid, "the report has no data window, no finish time, and timeVerified %q is not RFC 3339", rs.Predicate.TimeVerified)
		}
	default:
		ds, err := drift.Verify(key, raw)
		if err != nil {
			return fail(history.ExcludedInvalid, "%v", err)
		}
		f.drift = ds.Drift.Report
		if t = ds.Drift.Report.Timing.FinishedAt; t.IsZero() {
			var err error
			if t, err = time.Parse(time.RFC3339, ds.Drift.TimeVerified); err != nil {
				return fail(history.ExcludedInvalid, "the drift report has no finish time and timeVerified %q is not RFC 3339", ds.Drift.TimeVerified)
			}
		}
	}
	t = t.UTC()
	f.Status, f.Time, f.raw = StatusVerified, &t, raw
	return f
}

// claimedKind reads the predicate type an envelope's payload claims,
// before (or without) verifying it.
func claimedKind(payload []byte) string {
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	if json.Unmarshal(payload, &st) != nil {
		return KindEnvelope
	}
	switch st.PredicateType {
	case reports.PredicateType:
		return KindReport
	case drift.PredicateType:
		return KindDrift
	case approvals.PredicateType:
		return KindApproval
	case history.PredicateType:
		return KindHistory
	}
	return KindEnvelope
}

// decisionTime places a verified report in time: the start of its data
// window when it has one (reports.Report.DataTime; a backfill of past weeks
// run today lands in the weeks it sampled), else the window's end, else
// when its run finished, else the statement's timeVerified. It returns the
// source's name (Decision.TimeSource) and false when none is usable.
func decisionTime(st *reports.Statement) (time.Time, string, bool) {
	r := st.Predicate.Report
	switch w := r.Dataset.Window; {
	case w != nil && w.Since != nil:
		return w.Since.UTC(), "data_window_since", true
	case w != nil && w.Until != nil:
		return w.Until.UTC(), "data_window_until", true
	case !r.Timing.FinishedAt.IsZero():
		return r.Timing.FinishedAt.UTC(), "finished_at", true
	}
	t, err := time.Parse(time.RFC3339, st.Predicate.TimeVerified)
	if err != nil {
		return time.Time{}, "", false
	}
	return t.UTC(), "time_verified", true
}

// bindApprovals checks each verified approval against the verified report
// whose envelope digest it names (approvals.Check), failing those with no
// such report or that disagree with it, and puts in the period an
// approval of a report in the period. A valid rejection is verified: it
// is a decision, not a failure.
func (c *Collection) bindApprovals() {
	reportAt := map[string]int{}
	for i, f := range c.Files {
		if f.report != nil {
			reportAt[f.SHA256] = i
		}
	}
	for i := range c.Files {
		f := &c.Files[i]
		if f.approval == nil {
			continue
		}
		fail := func(reason, detail string) {
			f.Status, f.Reason, f.Detail, f.InPeriod, f.raw, f.approval = StatusFailed, reason, detail, false, nil, nil
		}
		j, ok := reportAt[f.approval.Report.EnvelopeSHA256]
		if !ok {
			fail(ReasonNoReport, fmt.Sprintf("an approval of the report envelope with sha256 %s, which is not among the verified reports of the folder", f.approval.Report.EnvelopeSHA256))
			continue
		}
		rep := c.Files[j]
		err := approvals.Check(f.approval, rep.raw, c.Options.ReportKey, approvals.CheckOptions{Approvers: c.Options.ApproverKeys})
		switch {
		case err == nil, errors.Is(err, approvals.ErrNotPermitted):
		case errors.Is(err, approvals.ErrSameKey):
			fail(ReasonSameKey, err.Error())
			continue
		case errors.Is(err, approvals.ErrOtherReport):
			fail(ReasonOtherReport, err.Error())
			continue
		default:
			fail(history.ExcludedInvalid, err.Error())
			continue
		}
		f.Detail = f.approval.Decision + " of " + rep.Path
		if rep.InPeriod {
			f.InPeriod = true
		}
	}
}

// dedupe fails every verified envelope whose payload an earlier one (in
// path order) already carries: a copy is not a second decision.
func (c *Collection) dedupe() {
	seen := map[[32]byte]string{}
	for i := range c.Files {
		f := &c.Files[i]
		if f.Status != StatusVerified {
			continue
		}
		env, err := signing.DecodeEnvelope(f.raw)
		if err != nil {
			continue
		}
		sum := sha256.Sum256(env.Payload)
		if first, ok := seen[sum]; ok {
			f.Status, f.Reason, f.Detail, f.raw, f.report, f.drift, f.approval, f.history = StatusFailed, history.ExcludedDuplicate, "the same signed statement as "+first, nil, nil, nil, nil, nil
			continue
		}
		seen[sum] = f.Path
	}
}

// index builds the population index from the verified reports in the
// period.
func (c *Collection) index() {
	c.Decisions = nil
	byReport := map[string][]Approval{}
	for _, f := range c.Files {
		if a := f.approval; a != nil {
			byReport[a.Report.EnvelopeSHA256] = append(byReport[a.Report.EnvelopeSHA256], Approval{Approver: a.Approver, Decision: a.Decision,
				Justification: a.Justification, Reference: a.Reference, Time: a.Time.UTC(), KeyID: f.KeyID, File: f.Path, EnvelopeSHA256: f.SHA256})
		}
	}
	for _, as := range byReport {
		slices.SortStableFunc(as, func(a, b Approval) int { return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.File, b.File)) })
	}
	for _, f := range c.Files {
		r := f.report
		if r == nil || !f.InPeriod {
			continue
		}
		var since, until string
		if w := r.Dataset.Window; w != nil {
			since, until = rfc3339(w.Since), rfc3339(w.Until)
		}
		c.Decisions = append(c.Decisions, Decision{
			Time: *f.Time, TimeSource: f.timeSource, WindowSince: since, WindowUntil: until, Model: reports.ModelIdentity(r.Candidate),
			DatasetName: r.Dataset.Name, DatasetVersion: r.Dataset.Version, DatasetSHA256: r.Dataset.SHA256,
			Verdict: r.Verdict, Status: r.Status, RulesPassed: r.Gate.Passed, RulesFailed: r.Gate.Failed,
			SignerKeyID: f.KeyID, Approvals: nonNil(byReport[f.SHA256]), File: f.Path, EnvelopeSHA256: f.SHA256,
		})
	}
	slices.SortStableFunc(c.Decisions, func(a, b Decision) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.File, b.File))
	})
}

// rfc3339 formats t in UTC, or "" for nil.
func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// hashFile streams a file of fsys through SHA-256.
func hashFile(fsys fs.FS, p string) (int64, string, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
