package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/signing"
)

const historyUsage = "history DIR --key PUB.pem [--reference N | --reference-until DATE] [--metrics M1,M2] [--out DIR] [--sign-key PRIV.pem]"

const historyHelp = `
Reads every signed report (*.dsse.json) under DIR, verifies each with the
public key, and draws a control chart of each metric over time: p-charts for
rates (accuracy, errors.rate, ...), individuals charts for the rest (fairness
gaps, ...), flagged with the Western Electric rules 1 to 4. Unsigned reports
(a report.json with no envelope beside it), tampered ones and those signed by
another key are listed and left out. Writes history.md, history.html and
history.json to --out. With --sign-key, also writes history.dsse.json: the
history document signed (predicate https://github.com/evalgate/evalgate/history/v1)
over those three files and every source report envelope, which evalgate
verify and evalgate evidence check.

exit codes: 0 the newest report is in control on every metric; 1 a rule fires
on the newest report, or no report under DIR verifies; 2 bad usage or input.
`

// cmdHistory charts the metrics of the signed reports in a folder against
// control limits and says whether the newest report is in control: exit 0
// when it is, 1 when a rule fires on it (what a weekly cron wants) or when
// no report verifies, 2 on bad usage or input.
func cmdHistory(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "history", historyUsage)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		io.WriteString(fs.Output(), historyHelp)
	}
	keyPath := fs.String("key", "", "the signer's public key `file` (PKIX PEM; required)")
	refN := fs.Int("reference", 0, "fit the limits on the first `N` reports by time (default: all reports)")
	until := fs.String("reference-until", "", "fit the limits on the reports finished by `DATE`: YYYY-MM-DD (that whole day, UTC) or RFC 3339")
	names := fs.String("metrics", "", "chart these comma-separated metric `paths` (default: accuracy, errors.rate, groundedness, fairness gaps that every report has)")
	out := fs.String("out", filepath.Join("evalgate-out", "history"), "write history.md, history.html and history.json to `dir`")
	signKeyPath := fs.String("sign-key", "", "sign the history with the private key in `file` (PKCS#8 PEM), writing history.dsse.json; the environment's key is not used")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	refSet := false
	fs.Visit(func(f *flag.Flag) { refSet = refSet || f.Name == "reference" })
	opt := history.Options{Reference: *refN}
	switch {
	case *keyPath == "":
		return usageErr("history: --key PUB.pem is required (usage: evalgate %s)", historyUsage)
	case len(pos) != 1:
		return usageErr("history: want one DIR of signed reports, got %d arguments (usage: evalgate %s)", len(pos), historyUsage)
	case refSet && *refN < 1:
		return usageErr("history: --reference %d: want 1 or more reports", *refN)
	case refSet && *until != "":
		return usageErr("history: --reference and --reference-until both choose the reference period; give one")
	case *out == "":
		return usageErr("history: --out is empty")
	}
	if *until != "" {
		if opt.Until, err = parseUntil(*until); err != nil {
			return usageErr("history: --reference-until %q: %v", *until, err)
		}
	}
	if *names != "" {
		for _, m := range strings.Split(*names, ",") {
			if m = strings.TrimSpace(m); m == "" {
				return usageErr("history: --metrics %q: empty metric path", *names)
			}
			opt.Metrics = append(opt.Metrics, m)
		}
	}
	var signer *signing.Signer
	if *signKeyPath != "" {
		b, err := inputfile.Read(*signKeyPath, "key", inputfile.MaxKey)
		if err != nil {
			return usageErr("history: --sign-key: %v", err)
		}
		if signer, err = signing.ParsePrivateKey(b); err != nil {
			return usageErr("history: --sign-key %s: %v", *signKeyPath, err)
		}
	}
	dir := pos[0]
	local, cleanup, err := localDir(ctx, e, dir) // an s3:// prefix is mirrored
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer cleanup()
	set, v, err := pipeline.ReadSignedReports(local, *keyPath)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if len(set.Reports) == 0 {
		if len(set.Excluded) == 0 {
			return inputErr(fmt.Errorf("history: no signed report (*.dsse.json) under %s", dir))
		}
		for _, x := range set.Excluded {
			fmt.Fprintf(e.stderr, "  %s: %s: %s\n", safe(x.Path), safe(x.Reason), safe(x.Detail))
		}
		return &exitError{exitBlock, fmt.Errorf("history: none of the %d report files under %s verifies with key %s", len(set.Excluded), dir, v.KeyID)}
	}
	h, err := history.New(set, opt)
	if err != nil {
		return inputErr(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return inputErr(fmt.Errorf("history: --out: %w", err))
	}
	written, err := writeHistory(*out, h, signer)
	if err != nil {
		return runErr(err)
	}
	if err := render.WriteHistorySummary(e.stdout, h); err != nil {
		return runErr(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", strings.Join(written, ", "))
	var bad []string
	for _, p := range h.Latest() {
		if p.OutOfControl() {
			bad = append(bad, p.Metric)
		}
	}
	if len(bad) > 0 {
		return &exitError{exitBlock, errors.New("history: the newest report is out of control on " + strings.Join(bad, ", "))}
	}
	return nil
}

// writeHistory writes every rendering of h to dir and, with a signer,
// history.dsse.json over exactly the bytes written. It returns the paths
// written, in order.
func writeHistory(dir string, h *history.History, signer *signing.Signer) ([]string, error) {
	var written []string
	var files []history.File
	for _, r := range render.Files(render.KindHistory) {
		var b bytes.Buffer
		if err := r.Write(&b, h); err != nil {
			return written, err
		}
		p := filepath.Join(dir, r.File)
		if _, err := atomicfile.WriteFile(p, b.Bytes(), 0o644); err != nil {
			return written, fmt.Errorf("history: write %s: %w", p, err)
		}
		written = append(written, p)
		files = append(files, history.File{Name: r.File, Data: b.Bytes()})
	}
	if signer == nil {
		return written, nil
	}
	env, err := history.Sign(signer, h, files)
	if err != nil {
		return written, fmt.Errorf("history: %w", err)
	}
	p := filepath.Join(dir, history.FileEnvelope)
	if _, err := atomicfile.WriteFile(p, env, 0o644); err != nil {
		return written, fmt.Errorf("history: write %s: %w", p, err)
	}
	return append(written, p), nil
}

// verifyHistory checks a signed history (verify dispatches here on its
// predicate type): the signature, then each file against the subjects.
// It prints the reports the history was built from and the newest
// report's state; an out-of-control newest report is not a failed
// verification (evalgate history exits 1 for it).
func verifyHistory(e *env, v *signing.Verifier, envPath string, raw []byte, files []string) error {
	st, err := history.Verify(v, raw)
	if err != nil {
		return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", envPath, err)}
	}
	fmt.Fprintf(e.stdout, "signature: good (%s, sha256 of the PKIX key %s)\n", v.KeyID, v.Fingerprint)
	if err := checkSubjects(e, st.Subject, files); err != nil {
		return err
	}
	d := st.History
	fmt.Fprintf(e.stdout, "history: %d signed reports verified with key %s, %s to %s; limits from %s\n", len(d.Reports), safe(d.Key.ID),
		safe(d.Reports[0].Time), safe(d.Newest.Time), safe(d.Reference.Text))
	for _, r := range d.Reports {
		sum := ""
		for _, s := range st.Subject {
			if s.Name == r.Path {
				sum = s.Digest["sha256"]
			}
		}
		fmt.Fprintf(e.stdout, "source: %s %s %s, envelope sha256 %s\n", safe(r.Time), safe(r.Model), safe(r.Path), safe(sum))
	}
	state := "in control on every metric"
	if d.Newest.OutOfControl {
		state = "out of control"
	}
	fmt.Fprintf(e.stdout, "newest: %s is %s\n", safe(d.Newest.Path), state)
	return nil
}

// parseUntil reads --reference-until: a date means the end of that day,
// UTC.
func parseUntil(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Nanosecond), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("want YYYY-MM-DD or an RFC 3339 time")
	}
	return t, nil
}
