package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/evalgate/evalgate/approvals"
	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/signing"
)

const approveUsage = `approve --key APPROVER.pem --report-key REPORT_PUB.pem --decision approve|reject|override --approver "Name <email>" [--justification TEXT] [--ref TICKET] [--time RFC3339] [--out FILE] report.dsse.json`

// approvalFile is the name approve writes beside the report by default.
const approvalFile = "approval.dsse.json"

// maxClockSkew is how far in the future --time may be: a decision is
// recorded when it is made or later, never ahead.
const maxClockSkew = 5 * time.Minute

// cmdApprove records a person's decision on a signed report: it verifies
// the report with the report signer's public key, refuses what the
// approval rules forbid (approvals package), and writes the decision
// signed with the approver's own key as a DSSE envelope. It never
// overwrites a file. Exit 0 when written, 2 on bad usage or input, a
// report that does not verify, or a decision the rules refuse.
func cmdApprove(_ context.Context, e *env, args []string) error {
	fset := newFlags(e, "approve", approveUsage)
	keyPath := fset.String("key", "", "the approver's private key `file` (PKCS#8 PEM; required; never the key that signed the report)")
	reportKeyPath := fset.String("report-key", "", "the report signer's public key `file` (PKIX PEM; required): the report is verified with it first")
	decision := fset.String("decision", "", "the `decision`: approve (an ALLOW), reject, or override (a BLOCK, with --justification); required")
	justification := fset.String("justification", "", "why, in `text`; required for override")
	approver := fset.String("approver", "", `who decides, as "Name <email>" (required)`)
	ref := fset.String("ref", "", "the ticket or change `reference` the decision belongs to, e.g. CHG-1234")
	at := fset.String("time", "", "when the decision was made, `RFC3339` (default: now; not in the future, not before the report's evaluation)")
	out := fset.String("out", "", "write the signed approval to `file` (default: "+approvalFile+" beside the report); never overwritten")
	pos, err := parseFlags(fset, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErr("approve: missing report.dsse.json (usage: evalgate %s)", approveUsage)
	case len(pos) > 1:
		return usageErr("approve: one report per approval, but %d files were given", len(pos))
	case *keyPath == "":
		return usageErr("approve: --key APPROVER.pem is required: the approver's own private key")
	case *reportKeyPath == "":
		return usageErr("approve: --report-key REPORT_PUB.pem is required: the report is verified before it is approved")
	case *decision == "":
		return usageErr("approve: --decision is required: one of %s", strings.Join(approvals.Decisions(), ", "))
	case !slices.Contains(approvals.Decisions(), *decision):
		return usageErr("approve: --decision %q is not one of %s", *decision, strings.Join(approvals.Decisions(), ", "))
	case *decision == approvals.Override && strings.TrimSpace(*justification) == "":
		return usageErr("approve: --decision override needs --justification: say why the gate's BLOCK is overridden")
	case *approver == "":
		return usageErr(`approve: --approver "Name <email>" is required`)
	}
	now := time.Now().UTC()
	when := now
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageErr("approve: --time %q: want RFC 3339, e.g. 2026-12-01T09:30:00Z", *at)
		}
		if t.After(now.Add(maxClockSkew)) {
			return usageErr("approve: --time %s is in the future: a decision is recorded when it is made", *at)
		}
		when = t
	}
	reportPath := pos[0]
	signer, err := readApproverKey(*keyPath)
	if err != nil {
		return err
	}
	pub, err := inputfile.Read(*reportKeyPath, "key", inputfile.MaxKey)
	if err != nil {
		return inputErr(fmt.Errorf("approve: --report-key: %w", err))
	}
	reportKey, err := signing.ParsePublicKey(pub)
	if err != nil {
		return inputErr(fmt.Errorf("approve: --report-key %s: %w", *reportKeyPath, err))
	}
	if signer.KeyID == reportKey.KeyID {
		return usageErr("approve: --key %s is the key that signed the report (%s): separation of duties requires the approver's own key", *keyPath, signer.KeyID)
	}
	raw, err := inputfile.Read(reportPath, "envelope", inputfile.MaxEnvelope)
	if err != nil {
		return inputErr(fmt.Errorf("approve: %w", err))
	}
	rec, err := approvals.NewRecord(raw, reportKey)
	if err != nil {
		return inputErr(fmt.Errorf("approve: %s: %w; only a report that verifies can be approved", reportPath, err))
	}
	approverPub, err := signing.NewVerifier(signer)
	if err != nil {
		return runErr(err)
	}
	if env, err := signing.DecodeEnvelope(raw); err == nil && approverPub.Verify(env) == nil {
		return usageErr("approve: the approver's key %s also signed %s: separation of duties requires a key that did not sign the report", signer.KeyID, reportPath)
	}
	rec.Decision, rec.Justification, rec.Approver, rec.Time, rec.Reference = *decision, *justification, *approver, when, *ref
	signed, err := approvals.Sign(signer, *rec)
	switch {
	case errors.Is(err, approvals.ErrInvalid), errors.Is(err, approvals.ErrSameKey):
		return usageErr("approve: %s: %v", reportPath, err)
	case err != nil:
		return runErr(fmt.Errorf("approve: sign: %w", err))
	}
	dest := *out
	if dest == "" {
		dest = filepath.Join(filepath.Dir(reportPath), approvalFile)
	}
	if err := atomicfile.WriteNew(dest, signed, 0o644); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return inputErr(fmt.Errorf("approve: %s exists; a signed decision is never overwritten (choose another --out)", dest))
		}
		return inputErr(fmt.Errorf("approve: write approval: %w", err))
	}
	r := rec.Report
	fmt.Fprintf(e.stdout, "report: %s verdict %s, model %s, dataset %s %s, signed by %s\n", safe(reportPath), safe(r.Verdict), safe(r.Model), safe(orDash(r.DatasetName)), safe(orDash(r.DatasetVersion)), safe(r.SignerKeyID))
	fmt.Fprintf(e.stdout, "decision: %s by %s at %s", safe(*decision), safe(*approver), when.UTC().Truncate(time.Second).Format(time.RFC3339))
	if *ref != "" {
		fmt.Fprintf(e.stdout, ", ref %s", safe(*ref))
	}
	fmt.Fprintf(e.stdout, "\napprover key: %s (sha256 of the PKIX key %s)\n", approverPub.KeyID, approverPub.Fingerprint)
	fmt.Fprintf(e.stdout, "wrote %s\n", safe(dest))
	return nil
}

// readApproverKey reads the approver's private key from path. Unlike
// loadSigner it never falls back to EVALGATE_SIGNING_KEY: that is the
// report signer's key, the one key that may not approve.
func readApproverKey(path string) (*signing.Signer, error) {
	b, err := inputfile.Read(path, "key", inputfile.MaxKey)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usageErr("approve: --key %s: %v", path, err)
	}
	s, err := signing.ParsePrivateKey(b)
	if err != nil {
		return nil, usageErr("approve: --key %s: %v", path, err)
	}
	return s, nil
}
