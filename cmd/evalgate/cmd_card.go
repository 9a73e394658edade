package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evalgate/evalgate/cards"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/signing"
)

const cardUsage = "card --key PUB.pem [-c eval.yaml] [--approval approval.dsse.json... --approver-key PUB.pem...] [--drift drift.dsse.json]... [--drift-key PUB.pem] [--sign-key PRIV.pem] --out DIR report.dsse.json [report.dsse.json...]"

// cmdCard writes a model card from signed reports: it verifies every
// report, drift report and approval (one that does not verify, or an
// approval of a report not on the card, is refused, exit 2),
// writes card.json, card.md and card.html into --out, and with --sign-key
// card.dsse.json over them. Exit 0 on success.
func cmdCard(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "card", cardUsage)
	keyPath := fs.String("key", "", "the public key `file` that signed the reports (PKIX PEM; required)")
	configPath := fs.String("c", "", "the config `file` whose card block gives intended use, out-of-scope use, limitations and owners")
	var driftPaths fileList
	fs.Var(&driftPaths, "drift", "a signed drift report `file` (drift.dsse.json) for the drift status; repeatable")
	var approvalPaths, approverKeyPaths fileList
	fs.Var(&approvalPaths, "approval", "a signed approval `file` (evalgate approve) of one of the reports, for the approval trail; repeatable")
	fs.Var(&approverKeyPaths, "approver-key", "an approver's public key `file` (PKIX PEM), other than --key; each approval must verify under one; repeatable")
	driftKeyPath := fs.String("drift-key", "", "the public key `file` that signed the drift reports (default: --key)")
	signKeyPath := fs.String("sign-key", "", "sign the card with the private key in `file` (PKCS#8 PEM), writing card.dsse.json")
	outDir := fs.String("out", "", "write the card into `dir` (required)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *keyPath == "":
		return usageErr("card: --key PUB.pem is required (usage: evalgate %s)", cardUsage)
	case *outDir == "":
		return usageErr("card: --out DIR is required (usage: evalgate %s)", cardUsage)
	case len(pos) == 0:
		return usageErr("card: missing report.dsse.json (usage: evalgate %s)", cardUsage)
	case *driftKeyPath != "" && len(driftPaths) == 0:
		return usageErr("card: --drift-key without --drift: no drift report to verify")
	case len(approvalPaths) > 0 && len(approverKeyPaths) == 0:
		return usageErr("card: --approval needs --approver-key PUB.pem: the approvers' public keys")
	case len(approvalPaths) == 0 && len(approverKeyPaths) > 0:
		return usageErr("card: --approver-key without --approval: no approval to verify")
	}
	in := cards.Inputs{}
	if in.Key, err = readVerifier("--key", *keyPath); err != nil {
		return err
	}
	if *driftKeyPath != "" {
		if in.DriftKey, err = readVerifier("--drift-key", *driftKeyPath); err != nil {
			return err
		}
	}
	for _, p := range approverKeyPaths {
		a, err := readVerifier("--approver-key", p)
		if err != nil {
			return err
		}
		if a.Fingerprint == in.Key.Fingerprint {
			return usageErr("card: --approver-key %s is the report key --key: an approval by the key that signed the report is no separate decision", p)
		}
		in.Approvers = append(in.Approvers, a)
	}
	var signer *signing.Signer
	if *signKeyPath != "" {
		if signer, err = loadSigner(e, *signKeyPath); err != nil {
			return err
		}
	}
	if *configPath != "" {
		if in.Config, err = configs.Load(*configPath); err != nil {
			return inputErr(fmt.Errorf("card: -c: %w", err))
		}
	}
	if in.Reports, err = readDocuments(pos); err != nil {
		return err
	}
	if in.Drift, err = readDocuments(driftPaths); err != nil {
		return err
	}
	if in.Approvals, err = readDocuments(approvalPaths); err != nil {
		return err
	}
	c, err := cards.Build(in)
	if err != nil {
		return inputErr(fmt.Errorf("card: %w", err))
	}
	files, err := cards.Render(c)
	if err != nil {
		return runErr(fmt.Errorf("card: %w", err))
	}
	if signer != nil {
		env, err := cards.Sign(signer, c, files)
		if err != nil {
			return runErr(fmt.Errorf("card: sign card: %w", err))
		}
		files = append(files, cards.File{Name: cards.FileEnvelope, Data: env})
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return inputErr(fmt.Errorf("card: --out: %w", err))
	}
	for _, f := range files {
		p := filepath.Join(*outDir, f.Name)
		if err := writeFile(p, f.Data); err != nil {
			return runErr(fmt.Errorf("card: %w", err))
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", safe(p))
	}
	fmt.Fprintf(e.stdout, "card for %s from %d signed reports, %d drift reports and %d approvals\n", safe(c.Model.Identity), len(c.Evaluations), len(c.Drift), len(c.Approvals))
	if signer == nil {
		fmt.Fprintln(e.stdout, "not signed (give --sign-key PRIV.pem to write card.dsse.json)")
	}
	return nil
}

// readVerifier reads the public key named by flag.
func readVerifier(flag, path string) (*signing.Verifier, error) {
	pub, err := inputfile.Read(path, "key", inputfile.MaxKey)
	if err != nil {
		return nil, inputErr(fmt.Errorf("card: %s: %w", flag, err))
	}
	v, err := signing.ParsePublicKey(pub)
	if err != nil {
		return nil, inputErr(fmt.Errorf("card: %s %s: %w", flag, path, err))
	}
	return v, nil
}

func readDocuments(paths []string) ([]cards.Document, error) {
	var out []cards.Document
	for _, p := range paths {
		b, err := inputfile.Read(p, "envelope", inputfile.MaxEnvelope)
		if err != nil {
			return nil, inputErr(fmt.Errorf("card: %w", err))
		}
		out = append(out, cards.Document{Path: p, Envelope: b})
	}
	return out, nil
}

// verifyCard checks a signed model card (verify dispatches here on its
// predicate type): the signature, then each file against the subjects,
// then the expected model. It prints what the card vouches for.
func verifyCard(e *env, v *signing.Verifier, envPath string, raw []byte, files []string, expectModel string) error {
	st, err := cards.Verify(v, raw)
	if err != nil {
		return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", envPath, err)}
	}
	c := st.Card
	fmt.Fprintf(e.stdout, "signature: good (%s, sha256 of the PKIX key %s)\n", v.KeyID, v.Fingerprint)
	if err := checkSubjects(e, st.Subject, files); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "model card: %s (%s)\n", safe(c.Model.Identity), safe(c.Model.Provider))
	for _, s := range c.Sources {
		fmt.Fprintf(e.stdout, "source: %s %s, envelope sha256 %s\n", safe(s.Kind), safe(s.Name), safe(s.SHA256))
	}
	if expectModel != "" && c.Model.Identity != expectModel {
		return &exitError{exitBlock, errors.New("verification failed: the card is for model " + safe(c.Model.Identity) + ", not " + expectModel)}
	}
	return nil
}
