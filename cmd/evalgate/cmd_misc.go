package main

import (
	"context"
	"fmt"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/reports"
)

func harnessVersion() string { return reports.Version }
func reportSchema() string   { return reports.SchemaVersion }

const datasetUsage = "dataset inspect FILE | dataset validate FILE | dataset freeze FILE --name NAME --version VERSION [--out FILE] | dataset import SRC --out DST.parquet [--map input=question,…] [--id-column C] [--name N --version V]"

func cmdDataset(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("dataset: missing subcommand (usage: evalgate %s)", datasetUsage)
	}
	if isHelp(args[0]) {
		printHelp(e.stdout, datasetUsage, "\nRun \"evalgate dataset SUBCOMMAND -h\" for a subcommand's flags.\n")
		return nil
	}
	sub, args := args[0], args[1:]
	if sub == "import" {
		return cmdDatasetImport(ctx, e, args)
	}
	fs := newFlags(e, "dataset "+sub, datasetUsage)
	var name, version, out *string
	if sub == "freeze" {
		name = fs.String("name", "", "the eval set's `name` (required)")
		version = fs.String("version", "", "the eval set's `version` (required)")
		out = fs.String("out", "", "write the frozen set to `file` instead of rewriting FILE")
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("dataset %s: want exactly one FILE, got %d arguments (usage: evalgate %s)", sub, len(pos), datasetUsage)
	}
	file := pos[0]
	switch sub {
	case "inspect":
		rep, err := datasets.Inspect(file)
		if err != nil {
			return inputErr(err)
		}
		return rep.WriteText(e.stdout)
	case "validate":
		problems, err := datasets.Validate(file)
		if err != nil {
			return inputErr(err)
		}
		if len(problems) > 0 {
			return inputErr(fmt.Errorf("%s is not a valid eval set (%s):\n%s", file, plural(len(problems), "problem"), pipeline.Bulleted(problems)))
		}
		fmt.Fprintf(e.stdout, "%s: valid eval set\n", file)
		return nil
	case "freeze":
		if *name == "" || *version == "" {
			return usageErr("dataset freeze: --name and --version are required")
		}
		dst := file
		if *out != "" {
			dst = *out
		}
		info, err := datasets.Freeze(file, dst, *name, *version)
		if err != nil {
			return inputErr(err)
		}
		fmt.Fprintf(e.stdout, "froze %s as %s %s: %d rows, sha256 %s\n", safe(dst), safe(info.Name), safe(info.Version), info.Rows, info.SHA256)
		fmt.Fprintf(e.stdout, "pin it in a config with:\n  dataset:\n    sha256: %s\n", info.SHA256)
		return nil
	}
	return usageErr("dataset: unknown subcommand %q (usage: evalgate %s)", sub, datasetUsage)
}

func cmdGate(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "gate", "gate --list-metrics -c CONFIG")
	list := fs.Bool("list-metrics", false, "print every metric path a gate rule may use")
	cfgPath := fs.String("c", "", "the config `file` (required)")
	fs.StringVar(cfgPath, "config", "", "same as -c")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || !*list {
		return usageErr("gate: usage: evalgate gate --list-metrics -c CONFIG")
	}
	if *cfgPath == "" {
		return usageErr("gate: -c CONFIG is required")
	}
	// The checks run and --dry-run make, but for the gate's presence: the
	// list is how a gate is written.
	cfg, err := pipeline.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if err := pipeline.Check(cfg, e.getenv); err != nil {
		return err
	}
	for _, line := range reports.MetricPaths(cfg) {
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}

// plural formats n and noun, adding an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
