package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/evalgate/evalgate/datasets"
)

const importUsage = "dataset import SRC --out DST.parquet [--format jsonl|csv|tsv|parquet] [--map input=question,expected=answer,context=passages,…] [--id-column C] [--name NAME --version VERSION]"

// cmdDatasetImport converts a JSONL, CSV/TSV or Parquet file written by
// another tool into an eval set.
func cmdDatasetImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dataset import", importUsage)
	out := fs.String("out", "", "write the eval set to `file` (required)")
	format := fs.String("format", "", "the source `format`: jsonl, csv, tsv or parquet (default: by extension)")
	mapping := fs.String("map", "", "eval-set columns from source columns, as `input=question,expected=answer,…`")
	idCol := fs.String("id-column", "", "the source `column` holding ids (same as --map id=C)")
	name := fs.String("name", "", "the eval set's `name` (with --version)")
	version := fs.String("version", "", "the eval set's `version` (with --name)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("dataset import: want exactly one SRC, got %d arguments (usage: evalgate %s)", len(pos), importUsage)
	}
	if *out == "" {
		return usageErr("dataset import: --out is required (usage: evalgate %s)", importUsage)
	}
	switch *format {
	case "", datasets.FormatJSONL, datasets.FormatCSV, datasets.FormatTSV, datasets.FormatParquet:
	default:
		return usageErr("dataset import: --format %q: want jsonl, csv, tsv or parquet", *format)
	}
	if (*name == "") != (*version == "") {
		return usageErr("dataset import: --name and --version go together")
	}
	m, err := datasets.ParseMapping(*mapping)
	if err != nil {
		return usageErr("dataset import: --map: %v", err)
	}
	if *idCol != "" {
		if prev, ok := m["id"]; ok && prev != *idCol {
			return usageErr("dataset import: --id-column %s and --map id=%s disagree", *idCol, prev)
		}
		m["id"] = *idCol
	}
	res, err := datasets.Import(ctx, pos[0], *out, datasets.ImportOptions{
		Format: *format, Map: m, Name: *name, Version: *version,
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return runErr(fmt.Errorf("%w (nothing written to %s)", err, *out))
		}
		return inputErr(err)
	}
	var mapped []string
	for _, c := range res.Mapped {
		how := ""
		if c.Auto {
			how = " (automatic)"
		}
		mapped = append(mapped, fmt.Sprintf("%s ← %s%s", c.Column, safe(c.Source), how))
	}
	fmt.Fprintf(e.stdout, "imported %s (%s) to %s: %d rows\n", safe(pos[0]), res.Format, safe(*out), res.Info.Rows)
	fmt.Fprintf(e.stdout, "columns: %s\n", strings.Join(mapped, ", "))
	if len(res.Extra) > 0 {
		fmt.Fprintf(e.stdout, "kept as extra columns (usable as fairness groups): %s\n", safe(strings.Join(res.Extra, ", ")))
	}
	if len(res.Ignored) > 0 {
		fmt.Fprintf(e.stdout, "not imported: %s\n", safe(strings.Join(res.Ignored, "; ")))
	}
	if res.DerivedIDs {
		fmt.Fprintf(e.stdout, "ids: no id column, so ids were %s; pass --id-column to use your own\n", res.IDs)
	} else {
		fmt.Fprintf(e.stdout, "ids: from %s\n", safe(res.IDs))
	}
	if res.Info.Name != "" {
		fmt.Fprintf(e.stdout, "identity: %s %s\n", safe(res.Info.Name), safe(res.Info.Version))
	}
	fmt.Fprintf(e.stdout, "sha256 %s\n", res.Info.SHA256)
	return nil
}
