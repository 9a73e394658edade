package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/evidence"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/signing"
)

const evidenceUsage = "evidence --since DATE --until DATE --key PUB.pem [--approver-key PUB.pem]... --sign-key PRIV.pem [--out FILE.tar.gz] DIR"

const evidenceHelp = `
Builds the evidence bundle of an audit period [--since, --until) from the
files under DIR: every signed report, drift report and history document
(evalgate history --sign-key) is verified with --key and every approval with the --approver-key keys and against the report it
names (failures are listed with the reason, never dropped), the gate
decisions of the period are indexed with their approvals (index.csv,
index.json), ISO weeks with no verified
report or drift run are listed as gaps (monitoring.json), and each control of
SOC 2, ISO/IEC 42001, the EU AI Act and the NIST AI RMF is mapped to the files
that evidence it (controls.json, controls.md). The bundle is one tar.gz whose
manifest.json, signed with --sign-key, lists every file's SHA-256.

exit codes: 0 bundle written, every signed file verified and every week
monitored; 1 bundle written, but some file failed verification or some week
has no monitoring run; 2 bad usage or input; 3 the bundle could not be
written.
`

// cmdEvidence writes the evidence bundle of an audit period.
func cmdEvidence(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "evidence", evidenceUsage)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		io.WriteString(fs.Output(), evidenceHelp)
	}
	since := fs.String("since", "", "the period's first `DATE` (YYYY-MM-DD, UTC, or RFC 3339), included; required")
	until := fs.String("until", "", "the period's end `DATE` (YYYY-MM-DD, UTC, or RFC 3339), excluded; required")
	keyPath := fs.String("key", "", "the public key `file` (PKIX PEM) that verifies the reports, drift reports and signed histories; required")
	var approverPaths []string
	fs.Func("approver-key", "a public key `file` (PKIX PEM) that verifies approvals (evalgate approve); repeatable", func(s string) error {
		approverPaths = append(approverPaths, s)
		return nil
	})
	signPath := fs.String("sign-key", "", "the private key `file` (PKCS#8 PEM) that signs the bundle's manifest; required")
	out := fs.String("out", filepath.Join("evalgate-out", "evidence.tar.gz"), "write the bundle to `file`")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *since == "":
		return usageErr("evidence: --since DATE is required (usage: evalgate %s)", evidenceUsage)
	case *until == "":
		return usageErr("evidence: --until DATE is required (usage: evalgate %s)", evidenceUsage)
	case *keyPath == "":
		return usageErr("evidence: --key PUB.pem is required (usage: evalgate %s)", evidenceUsage)
	case *signPath == "":
		return usageErr("evidence: --sign-key PRIV.pem is required (usage: evalgate %s)", evidenceUsage)
	case len(pos) != 1:
		return usageErr("evidence: want one DIR, got %d arguments (usage: evalgate %s)", len(pos), evidenceUsage)
	case *out == "":
		return usageErr("evidence: --out is empty")
	}
	var opt evidence.Options
	if opt.Since, err = parseDay(*since); err != nil {
		return usageErr("evidence: --since %q: %v", *since, err)
	}
	if opt.Until, err = parseDay(*until); err != nil {
		return usageErr("evidence: --until %q: %v", *until, err)
	}
	if !opt.Since.Before(opt.Until) {
		return usageErr("evidence: --since %s is not before --until %s", *since, *until)
	}
	if opt.ReportKey, err = readPub("--key", *keyPath); err != nil {
		return err
	}
	for _, p := range approverPaths {
		v, err := readPub("--approver-key", p)
		if err != nil {
			return err
		}
		opt.ApproverKeys = append(opt.ApproverKeys, v)
	}
	signer, err := readPriv("--sign-key", *signPath)
	if err != nil {
		return err
	}
	dir := pos[0]
	if st, err := os.Stat(dir); err != nil {
		return usageErr("evidence: DIR %s: %v", dir, unwrapPath(err))
	} else if !st.IsDir() {
		return usageErr("evidence: DIR %s is not a directory", dir)
	}
	c, err := evidence.Collect(os.DirFS(dir), opt)
	if err != nil {
		return inputErr(fmt.Errorf("evidence: %s: %w", dir, err))
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return inputErr(fmt.Errorf("evidence: --out: %w", err))
	}
	f, err := atomicfile.Create(*out, 0o644)
	if err != nil {
		return inputErr(fmt.Errorf("evidence: --out: %w", err))
	}
	defer f.Abort()
	if err := evidence.WriteArchive(f, c, signer, time.Now()); err != nil {
		return runErr(fmt.Errorf("evidence: %w", err))
	}
	if err := f.Commit(); err != nil {
		return runErr(fmt.Errorf("evidence: write %s: %w", *out, err))
	}
	n := c.Counts()
	fmt.Fprintf(e.stdout, "%d files under %s: %d signed documents verified, %d in the period; %d gate decisions indexed\n",
		n.Files, safe(dir), n.Verified, n.InPeriod, n.Decisions)
	failed := c.Failed()
	for _, x := range failed {
		fmt.Fprintf(e.stdout, "  failed %s: %s: %s\n", safe(x.Path), x.Reason, safe(x.Detail))
	}
	var weeks []string
	for _, g := range c.Gaps {
		weeks = append(weeks, g.Week)
	}
	if len(weeks) > 0 {
		fmt.Fprintf(e.stdout, "  no monitoring run in %s\n", strings.Join(weeks, ", "))
	}
	fmt.Fprintf(e.stdout, "wrote %s (sha256 %s), manifest signed with key %s\n", safe(*out), f.SHA256(), signer.KeyID)
	if len(failed) > 0 || len(weeks) > 0 {
		return &exitError{exitBlock, fmt.Errorf("evidence: files that failed verification: %d; weeks with no monitoring run: %d (both listed in %s)", len(failed), len(weeks), evidence.VerificationMD)}
	}
	return nil
}

// parseDay reads a period bound: a date is that day's start, UTC.
func parseDay(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("want YYYY-MM-DD or an RFC 3339 time")
	}
	return t.UTC(), nil
}

// readPub reads the public key given with flag; its errors are usage
// errors naming the flag.
func readPub(flag, path string) (*signing.Verifier, error) {
	b, err := inputfile.Read(path, "key", inputfile.MaxKey)
	if err != nil {
		return nil, usageErr("evidence: %s %s: %v", flag, path, unwrapPath(err))
	}
	v, err := signing.ParsePublicKey(b)
	if err != nil {
		return nil, usageErr("evidence: %s %s: %v", flag, path, err)
	}
	return v, nil
}

// readPriv reads the private key given with flag, never quoting it.
func readPriv(flag, path string) (*signing.Signer, error) {
	b, err := inputfile.Read(path, "key", inputfile.MaxKey)
	if err != nil {
		return nil, usageErr("evidence: %s %s: %v", flag, path, unwrapPath(err))
	}
	s, err := signing.ParsePrivateKey(b)
	if err != nil {
		return nil, usageErr("evidence: %s %s: %v", flag, path, err)
	}
	return s, nil
}

// unwrapPath drops a *fs.PathError's repetition of the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
