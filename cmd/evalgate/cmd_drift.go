package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/drift"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

const driftUsage = "drift --reference A.parquet --current B.parquet [-c CONFIG] [--out DIR] [--key FILE]"

// cmdDrift compares the distributions of two Parquet files feature by
// feature (PSI, KS, chi-square) and writes drift.json, drift.md,
// drift.html and, with a signing key, drift.dsse.json. The config, when
// given, sets the thresholds and the features beyond the built-in ones,
// and its gate rules on drift.* paths decide the exit code: 1 when one
// fails, 0 otherwise, even when a feature is in alert. 2 on bad usage,
// config or input; 3 when the comparison could not finish.
func cmdDrift(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "drift", driftUsage)
	refPath := fs.String("reference", "", "the reference Parquet `file`: an eval set, results file or production log (required)")
	curPath := fs.String("current", "", "the current Parquet `file` to compare with the reference (required)")
	cfgPath := fs.String("c", "", "the config `file`: its drift section sets thresholds and extra columns, its gate rules on drift.* paths decide the exit code")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	out := fs.String("out", "", "write the reports to `dir` (default: the config's run.out, else evalgate-out)")
	keyPath := fs.String("key", "", "sign drift.json with the private key in `file` (PKCS#8 PEM); default: the PEM in $"+signingKeyEnv+", if set")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErr("drift: unexpected argument %q (usage: evalgate %s)", pos[0], driftUsage)
	case *refPath == "" || *curPath == "":
		return usageErr("drift: --reference and --current are required (usage: evalgate %s)", driftUsage)
	}
	signer, err := loadSigner(e, *keyPath)
	if err != nil {
		return err
	}
	var cfg *configs.Config
	outDir := "evalgate-out"
	if *cfgPath != "" {
		if cfg, err = configs.Load(*cfgPath); err != nil {
			return inputErr(err)
		}
		if err := reports.CheckDriftRules(cfg); err != nil {
			return inputErr(err)
		}
		outDir = cfg.Run.Out
	}
	if *out != "" {
		outDir = *out
	}
	rep, err := drift.CompareFiles(ctx, cfg, *refPath, *curPath)
	if err != nil {
		if ctx.Err() != nil {
			return runErr(fmt.Errorf("drift: stopped before the files were read: %w", ctx.Err()))
		}
		return inputErr(fmt.Errorf("drift: %w", err))
	}
	if err := mkdirAll(outDir); err != nil {
		return runErr(err)
	}
	var b bytes.Buffer
	if err := drift.WriteJSON(&b, rep); err != nil {
		return runErr(err)
	}
	written := []string{filepath.Join(outDir, "drift.json")}
	if err := writeFile(written[0], b.Bytes()); err != nil {
		return runErr(err)
	}
	files, err := render.WriteFiles(outDir, render.KindDrift, rep)
	if err != nil {
		return runErr(err)
	}
	written = append(written, files...)
	if signer != nil {
		env, err := drift.Sign(signer, rep)
		if err != nil {
			return runErr(err)
		}
		path := filepath.Join(outDir, "drift.dsse.json")
		if err := writeFile(path, env); err != nil {
			return runErr(err)
		}
		written = append(written, path)
	}
	if err := render.WriteDriftSummary(e.stdout, rep); err != nil {
		return runErr(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", strings.Join(written, ", "))
	if signer != nil {
		fmt.Fprintf(e.stdout, "signed with key %s\n", signer.KeyID)
	}
	if rep.Verdict != reports.Allow {
		return &exitError{exitBlock, errors.New("")}
	}
	return nil
}

// verifyDrift is evalgate verify for a signed drift report
// (drift.dsse.json): it checks the signature with v, each FILE's SHA-256
// against the statement's subjects, and with requireAllow that the
// verdict is ALLOW; it prints the status and the files the report
// vouches for. Exit codes as cmdVerify's: 1 when a check fails.
func verifyDrift(e *env, v *signing.Verifier, envPath string, raw []byte, files []string, requireAllow bool) error {
	st, err := drift.Verify(v, raw)
	if err != nil {
		return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", envPath, err)}
	}
	r := st.Drift.Report
	fmt.Fprintf(e.stdout, "signature: good (%s, sha256 of the PKIX key %s)\n", v.KeyID, v.Fingerprint)
	if err := checkSubjects(e, st.Subject, files); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "drift: %s (%d features compared, %d skipped)\n", safe(strings.ToUpper(r.Status)), len(r.Features), len(r.Skipped))
	fmt.Fprintf(e.stdout, "verdict: %s (%d of %d drift gate rules passed)\n", safe(r.Verdict), r.Gate.Passed, len(r.Gate.Rules))
	fmt.Fprintf(e.stdout, "reference: %s, %d rows, sha256 %s\n", safe(r.Reference.Path), r.Reference.Rows, safe(r.Reference.SHA256))
	fmt.Fprintf(e.stdout, "current: %s, %d rows, sha256 %s\n", safe(r.Current.Path), r.Current.Rows, safe(r.Current.SHA256))
	if c := r.Config; c != nil {
		fmt.Fprintf(e.stdout, "config: %s, sha256 %s\n", safe(c.Path), safe(c.SHA256))
	}
	fmt.Fprintf(e.stdout, "compared: %s\n", st.Drift.TimeVerified)
	if requireAllow && r.Verdict != reports.Allow {
		return &exitError{exitBlock, errors.New("verification failed: the verdict is " + r.Verdict + ", and --require-drift-allow asks for ALLOW")}
	}
	return nil
}
