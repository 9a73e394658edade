package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalgate/evalgate/approvals"
	"github.com/evalgate/evalgate/cards"
	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reviews"
	"github.com/evalgate/evalgate/signing"
)

const verifyUsage = "verify --key PUB.pem [--require-allow | --require-drift-allow] [--expect-model NAME@VERSION] [--expect-commit SHA] [--policy FILE] [--signature-only] [--require-approval APPROVAL.dsse.json --approver-key PUB.pem [--approver-key PUB.pem ...]] report.dsse.json|drift.dsse.json|card.dsse.json|history.dsse.json|review.dsse.json [FILE...]"

// cmdVerify checks a signed report: the signature with the given public
// key, then each FILE against the statement's subject of the same name (or,
// for a file named as none, any subject with its SHA-256), then the
// optional expectations. It prints the verdict and the identities the
// report vouches for, and says what it did not check. Exit 0 when all
// checks pass, 1 when one fails (including BLOCK under --require-allow),
// 2 on bad usage or input, and when no FILE was given without
// --signature-only: the subjects were then not checked. With
// --require-approval, the approval must verify under one of the
// --approver-key keys, be over this report, be signed by a key other than
// --key, and permit promotion (exit 1 otherwise). Drift reports, model
// cards, signed histories and review records are recognized by their
// predicate type and verified as such.
func cmdVerify(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify", verifyUsage)
	keyPath := fs.String("key", "", "the signer's public key `file` (PKIX PEM; required)")
	requireAllow := fs.Bool("require-allow", false, "fail (exit 1) unless the document is a model report whose verdict is ALLOW")
	requireDriftAllow := fs.Bool("require-drift-allow", false, "fail (exit 1) unless the document is a drift report whose verdict is ALLOW")
	signatureOnly := fs.Bool("signature-only", false, "check the signature and the expectations alone, with no FILE: the subjects are not checked")
	expectModel := fs.String("expect-model", "", "fail (exit 1) unless the report is for candidate `NAME@VERSION`")
	policyPath := fs.String("policy", "", "fail (exit 1) unless the report's gate equals the gate of this protected config `file` (e.g. the base branch's)")
	expectCommit := fs.String("expect-commit", "", "fail (exit 1) unless the signed provenance names commit `SHA` (or a prefix of 7 or more characters)")
	approvalPath := fs.String("require-approval", "", "fail (exit 1) unless this signed approval `file` (evalgate approve) is over the report, by an --approver-key other than --key, and permits promotion (approve of an ALLOW, or a justified override)")
	var approverKeys fileList
	fs.Var(&approverKeys, "approver-key", "an allowed approver's public key `file` (PKIX PEM); repeat for each; required with --require-approval")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *approvalPath != "" && len(approverKeys) == 0:
		return usageErr("verify: --require-approval needs --approver-key PUB.pem: the allowed approvers' public keys")
	case *approvalPath == "" && len(approverKeys) > 0:
		return usageErr("verify: --approver-key is only used with --require-approval APPROVAL.dsse.json")
	case *keyPath == "":
		return usageErr("verify: --key PUB.pem is required (usage: evalgate %s)", verifyUsage)
	case len(pos) == 0:
		return usageErr("verify: missing report.dsse.json (usage: evalgate %s)", verifyUsage)
	case *requireAllow && *requireDriftAllow:
		return usageErr("verify: --require-allow is for a model report and --require-drift-allow for a drift report; give one")
	case *signatureOnly && len(pos) > 1:
		return usageErr("verify: --signature-only checks no FILE, but %d were given", len(pos)-1)
	}
	var wantName, wantVersion string
	if *expectModel != "" {
		i := strings.LastIndex(*expectModel, "@")
		if i <= 0 || i == len(*expectModel)-1 {
			return usageErr("verify: --expect-model %q: want NAME@VERSION", *expectModel)
		}
		wantName, wantVersion = (*expectModel)[:i], (*expectModel)[i+1:]
	}
	pub, err := inputfile.Read(*keyPath, "key", inputfile.MaxKey)
	if err != nil {
		return inputErr(fmt.Errorf("verify: --key: %w", err))
	}
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		return inputErr(fmt.Errorf("verify: --key %s: %w", *keyPath, err))
	}
	envPath, files := pos[0], pos[1:]
	raw, err := inputfile.Read(envPath, "envelope", inputfile.MaxEnvelope)
	if err != nil {
		return inputErr(fmt.Errorf("verify: %w", err))
	}
	if st, err := signing.VerifyStatement(v, raw); err == nil && st.PredicateType == cards.PredicateType {
		switch {
		case *requireAllow || *requireDriftAllow:
			return &exitError{exitBlock, fmt.Errorf("verification failed: %s is a model card, which has no verdict of its own; --require-allow and --require-drift-allow ask for a report", envPath)}
		case *policyPath != "" || *expectCommit != "" || *approvalPath != "":
			return usageErr("verify: --policy, --expect-commit and --require-approval apply to a model report, not to a model card")
		}
		if err := verifyCard(e, v, envPath, raw, files, *expectModel); err != nil {
			return err
		}
		return subjectsChecked(e, files, *signatureOnly)
	}
	if st, err := signing.VerifyStatement(v, raw); err == nil && st.PredicateType == history.PredicateType {
		switch {
		case *requireAllow || *requireDriftAllow:
			return &exitError{exitBlock, fmt.Errorf("verification failed: %s is a signed history, which has no verdict of its own; --require-allow and --require-drift-allow ask for a report", envPath)}
		case *policyPath != "" || *expectCommit != "" || *approvalPath != "" || *expectModel != "":
			return usageErr("verify: --policy, --expect-commit, --require-approval and --expect-model apply to a model report, not to a signed history")
		}
		if err := verifyHistory(e, v, envPath, raw, files); err != nil {
			return err
		}
		return subjectsChecked(e, files, *signatureOnly)
	}
	if reviews.IsRecord(raw) {
		switch {
		case *requireAllow || *requireDriftAllow:
			return &exitError{exitBlock, fmt.Errorf("verification failed: %s is a review record, which has no verdict of its own; --require-allow and --require-drift-allow ask for a report", envPath)}
		case *policyPath != "" || *expectCommit != "" || *approvalPath != "" || *expectModel != "":
			return usageErr("verify: --policy, --expect-commit, --require-approval and --expect-model apply to a model report, not to a review record")
		}
		if err := verifyReview(e, v, envPath, raw, files); err != nil {
			return err
		}
		return subjectsChecked(e, files, *signatureOnly)
	}
	if st, err := signing.VerifyStatement(v, raw); err == nil && st.PredicateType == drift.PredicateType {
		if *expectModel != "" {
			return usageErr("verify: --expect-model does not apply to a drift report")
		}
		if *approvalPath != "" {
			return usageErr("verify: --require-approval applies to a model report, and %s is a drift report", envPath)
		}
		if *requireAllow {
			return &exitError{exitBlock, fmt.Errorf("verification failed: %s is a drift report, and --require-allow asks for a model report (use --require-drift-allow)", envPath)}
		}
		if err := verifyDrift(e, v, envPath, raw, files, *requireDriftAllow); err != nil {
			return err
		}
		return subjectsChecked(e, files, *signatureOnly)
	}
	if *requireDriftAllow {
		return &exitError{exitBlock, fmt.Errorf("verification failed: %s is a model report, and --require-drift-allow asks for a drift report", envPath)}
	}
	st, err := reports.VerifyReport(v, raw)
	if err != nil {
		return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", envPath, err)}
	}
	r := st.Predicate.Report
	fmt.Fprintf(e.stdout, "signature: good (%s, sha256 of the PKIX key %s)\n", v.KeyID, v.Fingerprint)
	if err := checkSubjects(e, st.Subject, files); err != nil {
		return err
	}
	// Everything below comes from the signed payload, whose strings came
	// from a config, an eval set or a model: none may act on the terminal.
	fmt.Fprintf(e.stdout, "verdict: %s (%s; %d of %d gate rules passed)\n", safe(r.Verdict), safe(r.Status), r.Gate.Passed, len(r.Gate.Rules))
	fmt.Fprintf(e.stdout, "candidate: %s (%s)\n", safe(reports.ModelIdentity(r.Candidate)), safe(r.Candidate.Provider))
	if p := r.Production; p != nil {
		fmt.Fprintf(e.stdout, "production: %s (%s)\n", safe(reports.ModelIdentity(*p)), safe(p.Provider))
	}
	fmt.Fprintf(e.stdout, "dataset: %s %s, %d rows, sha256 %s\n", safe(orDash(r.Dataset.Name)), safe(orDash(r.Dataset.Version)), r.Dataset.Rows, safe(r.Dataset.SHA256))
	fmt.Fprintf(e.stdout, "config: %s, sha256 %s\n", safe(r.Config.Path), safe(r.Config.SHA256))
	fmt.Fprintf(e.stdout, "evaluated: %s\n", st.Predicate.TimeVerified)
	pv := st.Predicate.Provenance
	if pv != nil {
		fmt.Fprintf(e.stdout, "provenance: %s commit %s, ref %s, pull request %s, run %s, actor %s\n", safe(orDash(pv.System)), safe(orDash(pv.Commit)), safe(orDash(pv.Ref)), safe(orDash(pv.PullRequest)), safe(orDash(pv.RunURL)), safe(orDash(pv.Actor)))
		fmt.Fprintf(e.stdout, "evalgate: %s, sha256 %s; gate policy sha256 %s\n", safe(pv.EvalgateVersion), safe(orDash(pv.EvalgateSHA256)), safe(pv.PolicySHA256))
	} else {
		fmt.Fprintln(e.stdout, "provenance: none recorded")
	}
	if c := *expectCommit; c != "" {
		switch {
		case len(c) < 7:
			return usageErr("verify: --expect-commit %q: give 7 or more characters of the SHA", c)
		case pv == nil || pv.Commit == "" || !strings.HasPrefix(strings.ToLower(pv.Commit), strings.ToLower(c)):
			got := "none"
			if pv != nil && pv.Commit != "" {
				got = pv.Commit
			}
			return &exitError{exitBlock, fmt.Errorf("verification failed: the report's signed commit is %s, not %s", safe(got), c)}
		}
	}
	if *expectModel != "" && (r.Candidate.Model != wantName || r.Candidate.Version != wantVersion) {
		return &exitError{exitBlock, fmt.Errorf("verification failed: the report is for model %s, not %s", reports.ModelIdentity(r.Candidate), *expectModel)}
	}
	if *policyPath != "" {
		diff, err := pipeline.PolicyDiff(*policyPath, reports.RulesOf(r.Gate))
		switch {
		case err != nil:
			return inputErr(fmt.Errorf("verify: %w", err))
		case len(diff) > 0:
			return &exitError{exitBlock, fmt.Errorf("verification failed: the report's gate differs from the policy %s:\n  %s", *policyPath, strings.Join(diff, "\n  "))}
		}
		fmt.Fprintf(e.stdout, "policy: the gate equals that of %s\n", safe(*policyPath))
	}
	if *approvalPath != "" {
		if err := verifyApproval(e, v, raw, *approvalPath, approverKeys); err != nil {
			return err
		}
	}
	if *requireAllow && r.Verdict != reports.Allow {
		return &exitError{exitBlock, errors.New("verification failed: the verdict is " + r.Verdict + ", and --require-allow asks for ALLOW")}
	}
	return subjectsChecked(e, files, *signatureOnly)
}

// checkSubjects checks each file against subjects (signing.CheckSubject),
// hashing it as it streams, and prints what each matched.
func checkSubjects(e *env, subjects []signing.Subject, files []string) error {
	for _, f := range files {
		sum, err := inputfile.SHA256(f)
		if err != nil {
			return inputErr(fmt.Errorf("verify: %w", err))
		}
		sub, byName, err := signing.CheckSubject(subjects, subjectName(subjects, f), sum)
		if err != nil {
			return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", f, err)}
		}
		how := "by name and sha256"
		if !byName {
			how = "by sha256 (no subject has its name)"
		}
		fmt.Fprintf(e.stdout, "file %s: matches subject %s, %s\n", safe(f), safe(sub.Name), how)
	}
	return nil
}

// subjectName is the name file f is checked under: its base name, or,
// when a subject's name has folders (a merged report's
// "shard-3-of-8/results.parquet"), the longest such name that f's path
// ends with.
func subjectName(subjects []signing.Subject, f string) string {
	name := filepath.Base(f)
	path := "/" + strings.TrimPrefix(filepath.ToSlash(filepath.Clean(f)), "/")
	for _, s := range subjects {
		if strings.Contains(s.Name, "/") && len(s.Name) > len(name) && strings.HasSuffix(path, "/"+s.Name) {
			name = s.Name
		}
	}
	return name
}

// subjectsChecked ends a verification: OK when files were checked or
// the signature alone was asked for, and otherwise an error saying that
// the subjects were not checked.
func subjectsChecked(e *env, files []string, signatureOnly bool) error {
	if len(files) == 0 && !signatureOnly {
		return usageErr("verify: the signature is good, but no FILE was given, so the files the report vouches for were not checked: pass them (the results, the eval set, the config), or --signature-only to check the signature alone")
	}
	if len(files) == 0 {
		fmt.Fprintln(e.stdout, "subjects: not checked (--signature-only)")
	}
	fmt.Fprintln(e.stdout, "OK")
	return nil
}

// fileList is a repeatable flag of file paths.
type fileList []string

func (l *fileList) String() string { return strings.Join(*l, ",") }

func (l *fileList) Set(s string) error {
	if s == "" {
		return errors.New("empty file name")
	}
	*l = append(*l, s)
	return nil
}

// verifyApproval checks the signed approval at path against the report
// envelope raw, signed with reportKey: it must verify under one of
// approverKeys (none of which may be reportKey), be over this report and
// permit promotion (approvals.Check). It prints the decision.
func verifyApproval(e *env, reportKey *signing.Verifier, raw []byte, path string, approverKeys []string) error {
	var allowed []*signing.Verifier
	for _, p := range approverKeys {
		b, err := inputfile.Read(p, "key", inputfile.MaxKey)
		if err != nil {
			return inputErr(fmt.Errorf("verify: --approver-key: %w", err))
		}
		k, err := signing.ParsePublicKey(b)
		if err != nil {
			return inputErr(fmt.Errorf("verify: --approver-key %s: %w", p, err))
		}
		if k.KeyID == reportKey.KeyID {
			return usageErr("verify: --approver-key %s is the report's signing key --key (%s): separation of duties forbids it as an approver", p, k.KeyID)
		}
		allowed = append(allowed, k)
	}
	env, err := inputfile.Read(path, "envelope", inputfile.MaxEnvelope)
	if err != nil {
		return inputErr(fmt.Errorf("verify: --require-approval: %w", err))
	}
	var rec *approvals.Record
	var errs []error
	for _, k := range allowed {
		r, err := approvals.Verify(k, env)
		if err == nil {
			rec = r
			break
		}
		errs = append(errs, err)
	}
	if rec == nil {
		return &exitError{exitBlock, fmt.Errorf("verification failed: approval %s does not verify under any --approver-key (%d given): %w", path, len(allowed), errors.Join(errs...))}
	}
	if err := approvals.Check(rec, raw, reportKey, approvals.CheckOptions{Approvers: allowed}); err != nil {
		return &exitError{exitBlock, fmt.Errorf("verification failed: approval %s: %w", path, err)}
	}
	fmt.Fprintf(e.stdout, "approval: %s by %s at %s", safe(rec.Decision), safe(rec.Approver), rec.Time.UTC().Format(time.RFC3339))
	if rec.Reference != "" {
		fmt.Fprintf(e.stdout, ", ref %s", safe(rec.Reference))
	}
	fmt.Fprintf(e.stdout, " (key %s, not the report's)\n", rec.ApproverKeyID)
	if rec.Justification != "" {
		fmt.Fprintf(e.stdout, "justification: %s\n", safe(rec.Justification))
	}
	return nil
}
