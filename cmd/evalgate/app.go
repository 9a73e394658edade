package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/render"
)

// Exit codes, for every command.
const (
	exitOK      = 0 // success, or verdict ALLOW
	exitBlock   = 1 // verdict BLOCK, or verification failed
	exitUsage   = 2 // bad usage, config or input
	exitRunFail = 3 // the run could not finish
)

// exitError carries an exit code with the error that caused it: usage
// errors and BLOCK. Errors of the pipeline carry a kind instead
// (pipeline.ErrInput, pipeline.ErrIncomplete), which exitCode maps.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func inputErr(err error) error { return pipeline.InputError(err) }

func runErr(err error) error { return pipeline.IncompleteError(err) }

// env is what a command may touch of the outside world; tests supply their
// own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "run an evaluation: call the models, score, gate, write the report", cmdRun},
		{"score", "re-score a results file against the eval set and the config, making no call", cmdScore},
		{"compare", "compare two results files item by item (regression, McNemar, flips)", cmdCompare},
		{"drift", "compare the distributions of two Parquet files: PSI, KS, chi-square (drift --reference A --current B)", cmdDrift},
		{"dataset", "inspect, validate, freeze or import an eval set (dataset inspect|validate|freeze|import FILE)", cmdDataset},
		{"sample", "draw a seeded random sample of production logs into an eval set (sample --from LOGS --n N --seed S --out FILE)", cmdSample},
		{"gate", "list the metric paths gate rules may use (gate --list-metrics -c FILE)", cmdGate},
		{"plan", "how often each gate rule blocks a model that meets it, and the n it needs (plan -c FILE, or plan regression|accuracy|fairness)", cmdPlan},
		{"report", "re-render a report.json (report render FILE --format md|html|junit)", cmdReport},
		{"keygen", "write a signing key pair (keygen --out DIR [--type ed25519|ecdsa-p256])", cmdKeygen},
		{"approve", "sign a decision on a signed report: approve, reject or override (approve --key APPROVER --report-key PUB --decision D --approver NAME report.dsse.json)", cmdApprove},
		{"verify", "check a signed report and the files it names (verify --key PUB report.dsse.json [FILE...])", cmdVerify},
		{"card", "write a model card from signed reports, signed like a report (card --key PUB --out DIR report.dsse.json...)", cmdCard},
		{"history", "control charts over a folder of signed reports; exit 1 when the newest is out of control (history DIR --key PUB)", cmdHistory},
		{"evidence", "the signed evidence bundle of an audit period (evidence --since D --until D --key PUB --sign-key PRIV DIR)", cmdEvidence},
		{"version", "print evalgate's version", cmdVersion},
	}
}

const usageText = `evalgate decides whether an AI model version may be promoted.

usage: evalgate <command> [flags]

commands:
%s
exit codes: 0 success or ALLOW, 1 BLOCK, 2 bad usage, config or input,
3 the run could not finish.

Run "evalgate <command> -h" for a command's flags.
`

func writeUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, usageText, b.String())
}

// run is the whole CLI: it parses args, runs one command and returns the
// exit code. Only main exits.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		writeUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		writeUsage(stdout)
		return exitOK
	}
	e := &env{stdout: stdout, stderr: stderr, getenv: getenv}
	for _, c := range commands() {
		if c.name == args[0] {
			return report(stderr, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "evalgate: unknown command %q\n\n", args[0])
	writeUsage(stderr)
	return exitUsage
}

// report prints err, if any, and returns its exit code.
func report(stderr io.Writer, err error) int {
	code := exitCode(err)
	if code != exitOK && err.Error() != "" {
		// Messages quote configs, eval sets and model output: nothing
		// in them may act on the terminal.
		fmt.Fprintf(stderr, "evalgate: %s\n", render.TermSafeLines(err.Error()))
	}
	return code
}

// exitCode is the one mapping from errors to exit codes: usage errors and
// BLOCK carry their code (exitError); bad input (pipeline.ErrInput) is 2;
// anything else, a run that could not finish included, is 3.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, pipeline.ErrInput):
		return exitUsage
	}
	return exitRunFail
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: evalgate %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning a flag error into a usage error. Flags
// may follow positional arguments ("dataset inspect FILE --json").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &exitError{exitUsage, fmt.Errorf("%s: %w", fs.Name(), err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "version")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "evalgate %s (report schema %s)\n", harnessVersion(), reportSchema())
	return nil
}
