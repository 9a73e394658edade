package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/objstore"
	"github.com/evalgate/evalgate/pipeline"
)

const sampleUsage = "sample --from LOGS.parquet --n N --seed S --out FILE [--stratify COLUMN] [--since TIME] [--until TIME] [--time-column NAME] [--name NAME] [--version V]"

func cmdSample(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sample", sampleUsage)
	from := fs.String("from", "", "the production log `file` (Parquet) to sample, or an s3://bucket/key, read in ranges, never downloaded whole (required)")
	n := fs.Int("n", 0, "the number of `rows` to draw, at least 1 (required)")
	seed := fs.Uint64("seed", 0, "`seed` of the random source: the same log and flags give the same bytes (required)")
	out := fs.String("out", "", "write the eval set to `file` (required)")
	stratify := fs.String("stratify", "", "allocate n across the values of `column` in proportion to their rows")
	since := fs.String("since", "", "only rows whose timestamp is at or after `time` (RFC 3339, or YYYY-MM-DD for midnight UTC)")
	until := fs.String("until", "", "only rows whose timestamp is before `time` (RFC 3339, or YYYY-MM-DD for midnight UTC)")
	timeCol := fs.String("time-column", datasets.DefaultTimeColumn, "the timestamp `column` that --since and --until apply to")
	name := fs.String("name", "", "the eval set's `name` (default: the log's base name and -sample)")
	version := fs.String("version", "", "the eval set's `version` (default: the log's digest prefix and the seed)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("sample: unexpected argument %q (usage: evalgate %s)", pos[0], sampleUsage)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var missing []string
	for _, f := range []string{"from", "n", "seed", "out"} {
		if !given[f] {
			missing = append(missing, "--"+f)
		}
	}
	switch {
	case len(missing) == 1:
		return usageErr("sample: %s is required (usage: evalgate %s)", missing[0], sampleUsage)
	case len(missing) > 1:
		return usageErr("sample: %s are required (usage: evalgate %s)", strings.Join(missing, ", "), sampleUsage)
	case *n < 1:
		return usageErr("sample: --n is %d; want at least 1", *n)
	case *from == "" || *out == "":
		return usageErr("sample: --from and --out must name files")
	}
	opts := datasets.SampleOptions{N: *n, Seed: *seed, Stratify: *stratify, TimeColumn: *timeCol, Name: *name, Version: *version}
	for _, b := range []struct {
		flag  string
		value string
		t     *time.Time
	}{{"since", *since, &opts.Since}, {"until", *until, &opts.Until}} {
		if b.value == "" {
			continue
		}
		if *b.t, err = datasets.ParseTime(b.value); err != nil {
			return usageErr("sample: --%s: %v", b.flag, err)
		}
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && !opts.Since.Before(opts.Until) {
		return usageErr("sample: --since %s is not before --until %s", *since, *until)
	}
	if same, _ := sameFile(*from, *out); same {
		return usageErr("sample: --out %s is the log file itself", *out)
	}

	var res *datasets.SampleResult
	var digest string
	if objstore.IsURL(*from) {
		c, cerr := pipeline.ObjectClient(ctx, e.getenv)
		if cerr != nil {
			return cerr
		}
		obj, oerr := c.Open(ctx, *from)
		if oerr != nil {
			return pipeline.ObjectError(fmt.Errorf("sample: --from: %w", oerr))
		}
		res, digest, err = datasets.SampleFileAt(datasets.Remote{Name: obj.URL(), ReaderAt: obj, Size: obj.Size()}, *out, opts)
		if oe := new(objstore.Error); errors.As(err, &oe) {
			return pipeline.ObjectError(err) // the store, not the log's contents
		}
	} else {
		res, digest, err = datasets.SampleFile(*from, *out, opts)
	}
	switch {
	case errors.Is(err, datasets.ErrWrite):
		return runErr(err)
	case errors.Is(err, datasets.ErrCreate):
		return inputErr(fmt.Errorf("sample: --out %s: %w", *out, err))
	case err != nil:
		return inputErr(err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "evalgate: warning: %s\n", safe(w.Error()))
	}
	md := res.Metadata
	fmt.Fprintf(e.stdout, "sampled %d of %d eligible rows (%d in the log) from %s, %s, seed %d\n",
		res.RowsSampled, res.RowsEligible, res.RowsSeen, *from, res.Method, *seed)
	if len(res.Strata) > 0 {
		fmt.Fprintf(e.stdout, "strata of %s (sampled / eligible):\n", *stratify)
		for _, st := range res.Strata {
			label := st.Value
			if st.Null {
				label = "(null)"
			}
			fmt.Fprintf(e.stdout, "  %-20s %d / %d\n", safe(label), st.Sampled, st.Eligible)
		}
	}
	fmt.Fprintf(e.stdout, "wrote %s as %s %s: %d rows, sha256 %s\n", safe(*out), safe(md[datasets.MetaName]), safe(md[datasets.MetaVersion]), res.RowsSampled, digest)
	return nil
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
