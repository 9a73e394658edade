package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

const verifyUsage = "verify --key PUB.pem [--require-allow] [--expect-model NAME@VERSION] report.dsse.json|drift.dsse.json [FILE...]"

// cmdVerify checks a signed report: the signature with the given public
// key, then each FILE's SHA-256 against the statement's subjects, then the
// optional expectations. It prints the verdict and the identities the
// report vouches for. Exit 0 when all checks pass, 1 when one fails
// (including BLOCK under --require-allow), 2 on bad usage or input.
func cmdVerify(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify", verifyUsage)
	keyPath := fs.String("key", "", "the signer's public key `file` (PKIX PEM; required)")
	requireAllow := fs.Bool("require-allow", false, "fail (exit 1) unless the verdict is ALLOW")
	expectModel := fs.String("expect-model", "", "fail (exit 1) unless the report is for candidate `NAME@VERSION`")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *keyPath == "":
		return usageErr("verify: --key PUB.pem is required (usage: evalgate %s)", verifyUsage)
	case len(pos) == 0:
		return usageErr("verify: missing report.dsse.json (usage: evalgate %s)", verifyUsage)
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
	if st, err := signing.VerifyStatement(v, raw); err == nil && st.PredicateType == drift.PredicateType {
		if *expectModel != "" {
			return usageErr("verify: --expect-model does not apply to a drift report")
		}
		return verifyDrift(e, v, envPath, raw, files, *requireAllow)
	}
	st, err := reports.VerifyReport(v, raw)
	if err != nil {
		return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", envPath, err)}
	}
	r := st.Predicate.Report
	fmt.Fprintf(e.stdout, "signature: good (%s, sha256 of the PKIX key %s)\n", v.KeyID, v.Fingerprint)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return inputErr(fmt.Errorf("verify: %w", err))
		}
		sub, err := st.MatchSubject(data)
		if err != nil {
			return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", f, err)}
		}
		fmt.Fprintf(e.stdout, "file %s: matches subject %s\n", safe(f), safe(sub.Name))
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
	if *expectModel != "" && (r.Candidate.Model != wantName || r.Candidate.Version != wantVersion) {
		return &exitError{exitBlock, fmt.Errorf("verification failed: the report is for model %s, not %s", reports.ModelIdentity(r.Candidate), *expectModel)}
	}
	if *requireAllow && r.Verdict != reports.Allow {
		return &exitError{exitBlock, errors.New("verification failed: the verdict is " + r.Verdict + ", and --require-allow asks for ALLOW")}
	}
	fmt.Fprintln(e.stdout, "OK")
	return nil
}
