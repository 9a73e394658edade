package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reviews"
	"github.com/evalgate/evalgate/signing"
)

const reviewUsage = `review import --key REVIEWER.pem --reviewer "Name <email>" --report report.dsse.json [--report-key REPORT_PUB.pem] [--time RFC3339] [--out review.dsse.json] review.csv`

// reviewRecordFile is the name review import writes beside the CSV by
// default.
const reviewRecordFile = "review.dsse.json"

// cmdReview brings reviewers' decisions back into the evidence: review
// import reads the decision and note columns of a filled review.csv,
// checks them (an unknown decision is exit 2 naming the line), and writes
// them signed with the reviewer's key as a review record over the report
// envelope's and the CSV's digests. It never overwrites a file.
func cmdReview(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("review: missing subcommand (usage: evalgate %s)", reviewUsage)
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.stdout, "usage: evalgate %s\n", reviewUsage)
		return nil
	case "import":
	default:
		return usageErr("review: unknown subcommand %q (usage: evalgate %s)", sub, reviewUsage)
	}
	fset := newFlags(e, "review import", reviewUsage)
	keyPath := fset.String("key", "", "the reviewer's private key `file` (PKCS#8 PEM; required)")
	reviewer := fset.String("reviewer", "", `who reviewed, as "Name <email>" (required)`)
	reportPath := fset.String("report", "", "the signed report `file` (report.dsse.json) whose answers were reviewed (required)")
	reportKeyPath := fset.String("report-key", "", "the report signer's public key `file`: verify the report first (optional)")
	at := fset.String("time", "", "when the review was done, `RFC3339` (default: now; not in the future)")
	out := fset.String("out", "", "write the signed record to `file` (default: "+reviewRecordFile+" beside the CSV); never overwritten")
	pos, err := parseFlags(fset, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usageErr("review import: want exactly one review.csv, got %d arguments (usage: evalgate %s)", len(pos), reviewUsage)
	case *keyPath == "":
		return usageErr("review import: --key REVIEWER.pem is required: the reviewer's own private key")
	case *reviewer == "":
		return usageErr(`review import: --reviewer "Name <email>" is required`)
	case *reportPath == "":
		return usageErr("review import: --report report.dsse.json is required: the record is over the report's digest")
	}
	when := time.Now().UTC()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageErr("review import: --time %q: want RFC 3339, e.g. 2026-12-01T09:30:00Z", *at)
		}
		if t.After(when.Add(maxClockSkew)) {
			return usageErr("review import: --time %s is in the future", *at)
		}
		when = t
	}
	csvPath := pos[0]
	kb, err := inputfile.Read(*keyPath, "key", inputfile.MaxKey)
	if err != nil {
		return usageErr("review import: --key: %v", err)
	}
	signer, err := signing.ParsePrivateKey(kb)
	if err != nil {
		return usageErr("review import: --key %s: %v", *keyPath, err)
	}
	var reportKey *signing.Verifier
	if *reportKeyPath != "" {
		pub, err := inputfile.Read(*reportKeyPath, "key", inputfile.MaxKey)
		if err != nil {
			return inputErr(fmt.Errorf("review import: --report-key: %w", err))
		}
		if reportKey, err = signing.ParsePublicKey(pub); err != nil {
			return inputErr(fmt.Errorf("review import: --report-key %s: %w", *reportKeyPath, err))
		}
	}
	env, err := inputfile.Read(*reportPath, "envelope", inputfile.MaxEnvelope)
	if err != nil {
		return inputErr(fmt.Errorf("review import: --report: %w", err))
	}
	csvBytes, err := inputfile.Read(csvPath, "review csv", inputfile.MaxEnvelope)
	if err != nil {
		return inputErr(fmt.Errorf("review import: %w", err))
	}
	rec, err := reviews.NewRecord(env, csvBytes, reportKey)
	if err != nil {
		var re *reviews.RowError
		if errors.As(err, &re) {
			return inputErr(fmt.Errorf("review import: %s: %w", csvPath, err))
		}
		return inputErr(fmt.Errorf("review import: --report %s: %w", *reportPath, err))
	}
	rec.Reviewer, rec.Time = *reviewer, when
	signed, err := reviews.Sign(signer, *rec)
	switch {
	case errors.Is(err, reviews.ErrInvalid):
		return usageErr("review import: %v", err)
	case err != nil:
		return runErr(fmt.Errorf("review import: sign: %w", err))
	}
	dest := *out
	if dest == "" {
		dest = filepath.Join(filepath.Dir(csvPath), reviewRecordFile)
	}
	if err := atomicfile.WriteNew(dest, signed, 0o644); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return inputErr(fmt.Errorf("review import: %s exists; a signed review is never overwritten (choose another --out)", dest))
		}
		return inputErr(fmt.Errorf("review import: write review record: %w", err))
	}
	counts := map[string]int{}
	for _, d := range rec.Decisions {
		counts[d.Decision]++
	}
	r := rec.Report
	fmt.Fprintf(e.stdout, "report: %s verdict %s, model %s, dataset %s %s\n", safe(*reportPath), safe(r.Verdict), safe(r.Model), safe(orDash(r.DatasetName)), safe(orDash(r.DatasetVersion)))
	fmt.Fprintf(e.stdout, "decisions: %d (accept %d, reject %d, escalate %d) by %s\n", len(rec.Decisions), counts[reviews.Accept], counts[reviews.Reject], counts[reviews.Escalate], safe(*reviewer))
	fmt.Fprintf(e.stdout, "wrote %s\n", safe(dest))
	return nil
}

// reviewFlags are the --reviews and --reviews-key flags run and score
// share.
type reviewFlags struct {
	dir  string
	keys fileList
}

// add registers the flags on fs.
func (rf *reviewFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&rf.dir, "reviews", "", "count the signed review records (evalgate review import) under `dir` on reports of the same eval set; the report's review_decisions holds the counts, and gate rules on review.* see them")
	fs.Var(&rf.keys, "reviews-key", "a reviewer's public key (PEM `file`) that verifies --reviews records; repeat for each reviewer")
}

// check checks that the flags go together, as soon as they are parsed.
func (rf *reviewFlags) check(cmd string) error {
	if (rf.dir == "") != (len(rf.keys) == 0) {
		return usageErr("%s: --reviews and --reviews-key go together", cmd)
	}
	return nil
}

// load reads and verifies the review records the flags name or, without
// them, the config's run.reviews_dir and run.reviews_key, for command
// cmd; it returns nil when neither names any, and the key files read.
func (rf *reviewFlags) load(cmd string, cfg *configs.Config) (func(string) *reports.ReviewDecisions, []string, error) {
	if err := rf.check(cmd); err != nil {
		return nil, nil, err
	}
	dir, keys, names := rf.dir, []string(rf.keys), [2]string{"--reviews", "--reviews-key"}
	if dir == "" {
		dir, keys, names = cfg.ReviewsDirPath(), cfg.ReviewsKeyPaths(), [2]string{"run.reviews_dir", "run.reviews_key"}
	}
	if dir == "" {
		return nil, nil, nil
	}
	count, err := loadReviews(cmd, names, dir, keys)
	return count, keys, err
}

// loadReviews reads and verifies the review records under dir with the
// public keys at keyPaths, for cmd; names are the flags or config keys
// that gave dir and the keys, for errors. The returned function counts
// the records for one eval set.
func loadReviews(cmd string, names [2]string, dir string, keyPaths []string) (func(string) *reports.ReviewDecisions, error) {
	var keys []*signing.Verifier
	for _, p := range keyPaths {
		b, err := inputfile.Read(p, "key", inputfile.MaxKey)
		if err != nil {
			return nil, inputErr(fmt.Errorf("%s: %s: %w", cmd, names[1], err))
		}
		v, err := signing.ParsePublicKey(b)
		if err != nil {
			return nil, inputErr(fmt.Errorf("%s: %s %s: %w", cmd, names[1], p, err))
		}
		keys = append(keys, v)
	}
	loaded, err := reviews.Load(dir, keys)
	if err != nil {
		return nil, inputErr(fmt.Errorf("%s: %s %s: %w", cmd, names[0], dir, err))
	}
	return loaded.Count, nil
}

// verifyReview checks a signed review record (reviews.Verify) with the
// reviewer's public key v, and each file: one named report.dsse.json, or
// with the digest of the report envelope the record names, is checked as
// that envelope; any other as the filled review.csv (reviews.VerifyCSV).
// It prints the reviewer, the report's digest and the decision counts.
// A record or file that does not check is exit 1.
func verifyReview(e *env, v *signing.Verifier, envPath string, raw []byte, files []string) error {
	rec, err := reviews.Verify(v, raw)
	if err != nil {
		return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", envPath, err)}
	}
	fmt.Fprintf(e.stdout, "signature: good (%s, sha256 of the PKIX key %s)\n", v.KeyID, v.Fingerprint)
	for _, f := range files {
		b, err := inputfile.Read(f, "file", inputfile.MaxEnvelope)
		if err != nil {
			return inputErr(fmt.Errorf("verify: %w", err))
		}
		if sum := signing.DigestHex(b); filepath.Base(f) == reviews.SubjectEnvelope || sum == rec.Report.EnvelopeSHA256 {
			if sum != rec.Report.EnvelopeSHA256 {
				return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w: sha256 %s, and the record is over report envelope %s", f, signing.ErrDigestMismatch, sum, rec.Report.EnvelopeSHA256)}
			}
			fmt.Fprintf(e.stdout, "file %s: the report envelope the record is over\n", safe(f))
			continue
		}
		if err := reviews.VerifyCSV(rec, b); err != nil {
			return &exitError{exitBlock, fmt.Errorf("verification failed: %s: %w", f, err)}
		}
		fmt.Fprintf(e.stdout, "file %s: the review.csv the record was made from\n", safe(f))
	}
	counts := map[string]int{}
	for _, d := range rec.Decisions {
		counts[d.Decision]++
	}
	r := rec.Report
	fmt.Fprintf(e.stdout, "reviewer: %s (key %s), at %s\n", safe(rec.Reviewer), safe(rec.ReviewerKeyID), rec.Time.UTC().Format(time.RFC3339))
	fmt.Fprintf(e.stdout, "report: envelope sha256 %s; verdict %s, model %s, dataset %s %s, sha256 %s\n", safe(r.EnvelopeSHA256), safe(r.Verdict), safe(r.Model), safe(orDash(r.DatasetName)), safe(orDash(r.DatasetVersion)), safe(r.DatasetSHA256))
	fmt.Fprintf(e.stdout, "decisions: %d (accept %d, reject %d, escalate %d)\n", len(rec.Decisions), counts[reviews.Accept], counts[reviews.Reject], counts[reviews.Escalate])
	return nil
}
