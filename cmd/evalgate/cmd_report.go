package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/render"
	"github.com/evalgate/evalgate/reports"
)

const reportUsage = "report render REPORT.json --format md|html|junit [--out FILE]"

// cmdReport re-renders a report.json as Markdown, HTML or JUnit XML.
func cmdReport(_ context.Context, e *env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		printHelp(e.stdout, reportUsage, "\nRun \"evalgate report render -h\" for its flags.\n")
		return nil
	}
	if len(args) == 0 || args[0] != "render" {
		if len(args) == 0 {
			return usageErr("report: missing subcommand (usage: evalgate %s)", reportUsage)
		}
		return usageErr("report: unknown subcommand %q (usage: evalgate %s)", args[0], reportUsage)
	}
	fs := newFlags(e, "report render", reportUsage)
	format := fs.String("format", "", "output `format`: "+strings.Join(render.Formats(), ", ")+" (required)")
	out := fs.String("out", "", "write to `file` instead of stdout")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	switch {
	case *format == "":
		return usageErr("report render: --format is required (one of %s)", strings.Join(render.Formats(), ", "))
	case !slices.Contains(render.Formats(), *format):
		return usageErr("report render: --format %q is not one of %s", *format, strings.Join(render.Formats(), ", "))
	case len(pos) != 1:
		return usageErr("report render: want exactly one REPORT.json, got %d arguments (usage: evalgate %s)", len(pos), reportUsage)
	}
	raw, err := inputfile.Read(pos[0], "report", inputfile.MaxEnvelope)
	if err != nil {
		return inputErr(fmt.Errorf("read report: %w", err))
	}
	rep, err := reports.ReadJSON(bytes.NewReader(raw))
	if err != nil {
		return inputErr(fmt.Errorf("%s: %w", pos[0], err))
	}
	var buf bytes.Buffer
	if err := render.Report(&buf, rep, *format); err != nil {
		return runErr(err)
	}
	if *out == "" {
		_, err := e.stdout.Write(buf.Bytes())
		return err
	}
	if err := writeFile(*out, buf.Bytes()); err != nil {
		return runErr(err)
	}
	return nil
}
